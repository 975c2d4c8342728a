/*
 * translation_stopwords.c - see translation_stopwords.h.
 *
 * The lists are the most frequent function words of each language, written
 * here by hand (not from a corpus): articles, pronouns, prepositions,
 * conjunctions, auxiliaries and the greetings of a support chat. A word
 * that is everyday in another of the six languages is in that language's
 * list too (so it counts for both), or left out ("no", "me", "son", "so",
 * "a"). Apostrophes split words, so French "n'est" gives "n" and "est".
 */
#include "strategies/translation_stopwords.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define NLISTS 6
static const char *const CODES[NLISTS] = {"en", "es", "fr", "de", "it", "pt"};

static const char *const EN[] = {
    "the",   "and",   "is",   "are",  "was",  "were",  "you",   "your",   "my",     "i",
    "we",    "our",   "it",   "this", "that", "with",  "for",   "have",   "has",    "had",
    "not",   "but",   "what", "why",  "how",  "when",  "can",   "could",  "would",  "should",
    "will",  "there", "they", "them", "from", "been",  "be",    "of",     "to",     "at",
    "on",    "in",    "an",   "just", "all",  "yet",   "since", "please", "thanks", "hello",
    "any",   "do",    "does", "did",  "been", "which", "who",   "about",  "get",    "got",
    "still", "here",  "some", "if",   "or",   "as",    "by",    "he",     "she",    "her",
    "his",   "die",   "was",  "also", "hat",  "am",    "war",   "come",   "per",    "i",
    "plus",  "dove",  "do",   "as",   NULL};
static const char *const ES[] = {
    "el",     "la",      "los",    "las",   "de",     "del",      "que",    "y",       "en",
    "un",     "una",     "es",     "por",   "para",   "con",      "se",     "mi",      "mis",
    "su",     "sus",     "lo",     "al",    "pero",   "como",     "más",    "mas",     "muy",
    "ya",     "todavía", "nada",   "desde", "hola",   "gracias",  "este",   "esta",    "está",
    "están",  "hay",     "ha",     "he",    "hace",   "también",  "porque", "qué",     "cuando",
    "donde",  "dónde",   "sin",    "sobre", "eso",    "esto",     "usted",  "ustedes", "yo",
    "le",     "les",     "pueden", "puede", "tengo",  "estoy",    "sí",     "dia",     "día",
    "buenos", "nos",     "o",      "dos",   "quiero", "necesito", "favor",  "cuándo",  "aquí",
    "ahora",  "todo",    "nunca",  NULL};
static const char *const FR[] = {
    "le",    "la",   "les",      "de",     "des",    "du",      "un",    "une",  "et",
    "est",   "pas",  "ne",       "n",      "je",     "j",       "vous",  "nous", "il",
    "elle",  "on",   "ce",       "cette",  "c",      "qu",      "que",   "qui",  "pour",
    "avec",  "dans", "sur",      "mais",   "ou",     "où",      "mon",   "ma",   "mes",
    "votre", "vos",  "toujours", "rien",   "depuis", "bonjour", "merci", "très", "aussi",
    "au",    "aux",  "suis",     "sont",   "avez",   "ai",      "été",   "quoi", "l",
    "d",     "en",   "se",       "non",    "plus",   "pouvez",  "peux",  "chez", "ça",
    "à",     "veux", "voudrais", "besoin", NULL};
static const char *const DE[] = {
    "der",   "die",   "das",    "den",  "dem",   "des",  "ein",   "eine", "einen", "und",
    "ist",   "nicht", "mit",    "auf",  "für",   "ich",  "sie",   "wir",  "noch",  "nichts",
    "seit",  "immer", "bitte",  "aber", "oder",  "kein", "keine", "wie",  "was",   "zu",
    "es",    "im",    "am",     "bei",  "vom",   "zum",  "sind",  "habe", "hat",   "wird",
    "mein",  "meine", "dass",   "auch", "schon", "nur",  "hallo", "an",   "in",    "du",
    "also",  "war",   "will",   "wo",   "danke", "ihr",  "ihre",  "mir",  "mich",  "uns",
    "heute", "warum", "können", "kann", "da",    NULL};
static const char *const IT[] = {
    "il",     "lo",     "la",     "i",      "gli",    "le",     "di",   "da",     "del",  "della",
    "dei",    "che",    "e",      "è",      "non",    "un",     "una",  "uno",    "per",  "con",
    "su",     "mi",     "mio",    "mia",    "ma",     "ho",     "hai",  "ha",     "sono", "siamo",
    "questo", "questa", "anche",  "ancora", "niente", "nulla",  "ciao", "grazie", "come", "perché",
    "quando", "dove",   "più",    "molto",  "già",    "se",     "ci",   "ne",     "al",   "alla",
    "nel",    "nella",  "dal",    "dalla",  "sul",    "potete", "l",    "d",      "in",   "o",
    "qui",    "voglio", "vorrei", "favore", NULL};
static const char *const PT[] = {
    "o",       "os",     "as",    "de",       "do",       "da",    "dos",   "das",    "que",
    "e",       "é",      "não",   "um",       "uma",      "em",    "na",    "nas",    "nos",
    "por",     "para",   "com",   "se",       "meu",      "minha", "seu",   "sua",    "ainda",
    "nada",    "desde",  "olá",   "obrigado", "obrigada", "mas",   "como",  "mais",   "muito",
    "já",      "está",   "estão", "foi",      "tem",      "há",    "isso",  "isto",   "você",
    "vocês",   "eu",     "ou",    "ao",       "aos",      "pelo",  "pela",  "quando", "onde",
    "porque",  "também", "bom",   "dia",      "podem",    "pode",  "estou", "esta",   "quero",
    "preciso", "favor",  NULL};
static const char *const *const LISTS[NLISTS] = {EN, ES, FR, DE, IT, PT};

#define WORD_MAX 15
#define SLOTS 1024 /* a power of two, well over the ~400 words */

typedef struct {
    char word[WORD_MAX + 1];
    uint8_t mask; /* bit i: CODES[i]'s list; 0 = empty slot */
} slot;

static slot table[SLOTS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static uint32_t hash(const char *w, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    }
    return h;
}

static slot *find_slot(const char *w, size_t n) {
    for (uint32_t i = hash(w, n) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        slot *s = &table[i];
        if (s->mask == 0 || (strncmp(s->word, w, n) == 0 && s->word[n] == '\0')) {
            return s;
        }
    }
}

static void build_table(void) {
    for (size_t l = 0; l < NLISTS; l++) {
        for (const char *const *w = LISTS[l]; *w != NULL; w++) {
            size_t n = strlen(*w);
            if (n > WORD_MAX) {
                continue;
            }
            slot *s = find_slot(*w, n);
            memcpy(s->word, *w, n + 1);
            s->mask |= (uint8_t)(1u << l);
        }
    }
}

bool parley_stopwords_covers(const char *code) {
    for (size_t l = 0; code != NULL && l < NLISTS; l++) {
        if (strcmp(code, CODES[l]) == 0) {
            return true;
        }
    }
    return false;
}

/* a letter of a word: ASCII letters and any byte of a multi-byte UTF-8
 * character (accented letters; punctuation beyond ASCII is rare enough) */
static bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

const char *parley_stopwords_decide(const char *text, size_t len, const char *const *langs,
                                    size_t n) {
    pthread_once(&table_once, build_table);
    unsigned all[NLISTS] = {0}, own[NLISTS] = {0};
    for (size_t i = 0; i < len;) {
        if (!word_byte((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && word_byte((unsigned char)text[i])) {
            i++;
        }
        size_t wl = i - start;
        if (wl > WORD_MAX) {
            continue;
        }
        char w[WORD_MAX + 1];
        for (size_t k = 0; k < wl; k++) {
            char c = text[start + k];
            w[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        uint8_t mask = find_slot(w, wl)->mask;
        for (size_t l = 0; mask != 0 && l < NLISTS; l++) {
            if (mask & (1u << l)) {
                all[l]++;
                own[l] += mask == (1u << l);
            }
        }
    }
    size_t best = 0;
    for (size_t l = 1; l < NLISTS; l++) {
        if (own[l] > own[best]) {
            best = l;
        }
    }
    if (own[best] < 2) {
        return NULL;
    }
    for (size_t l = 0; l < NLISTS; l++) {
        if (l != best && (own[l] * 3 > own[best] || all[l] > all[best])) {
            return NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(langs[i], CODES[best]) == 0) {
            return langs[i];
        }
    }
    return NULL;
}
