#include "core/text_similarity.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define WORD_WEIGHT 0.4
#define CHAR_WEIGHT 0.6
#define NGRAM_MIN 3
#define NGRAM_MAX 5
#define MAX_WORDS 256 /* longer texts are scored on their first words */

/* Small stopword lists (already normalised: no accents, folded): words so
 * common in questions that matching on them would only add noise. */
static const char *const stopwords[] = {
    /* en */
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "and", "or", "in", "on", "at", "for",
    "with", "my", "me", "i", "you", "your", "it", "its", "this", "that", "do", "does", "can", "how",
    "what", "when", "where", "which", "who", "we", "our", "please", "would", "could", "should",
    "will", "there", "have", "has", "from", "by", "as", "about", "so", "if", "am",
    /* es */
    "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "y", "o", "en", "por",
    "para", "con", "mi", "mis", "tu", "su", "es", "son", "que", "como", "cual", "donde", "cuando",
    "se", "lo", "le", "al", "me", "yo", "puedo", "hay", "esta", "este", "favor",
    /* fr */
    "le", "les", "des", "du", "et", "ou", "est", "je", "mon", "ma", "mes", "vous", "votre",
    "comment", "quoi", "pour", "avec", "dans", "sur", "il", "elle", "ce", "qui", "au", "aux", "ne",
    "pas", "plait"};

static bool is_stopword(const char *w, size_t len) {
    for (size_t i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++) {
        if (strlen(stopwords[i]) == len && memcmp(stopwords[i], w, len) == 0) {
            return true;
        }
    }
    return false;
}

char *parley_tsim_normalize(const char *text) {
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)text, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                         UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    if (n < 0) {
        free(out);
        return NULL;
    }
    return (char *)out;
}

/* ---- words ---------------------------------------------------------------- */

typedef struct word_span {
    const char *start;
    size_t len;
} word_span;

static bool is_word_char(utf8proc_int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME);
}

/* Cuts normalised text into words; returns how many (at most max). */
static size_t split_words(const char *s, word_span *words, size_t max) {
    size_t count = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    const char *start = NULL;
    for (;;) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t len = *p != 0 ? utf8proc_iterate(p, -1, &cp) : 0;
        bool word = len > 0 && is_word_char(cp);
        if (word && start == NULL) {
            start = (const char *)p;
        } else if (!word && start != NULL) {
            if (count < max) {
                words[count++] = (word_span){start, (size_t)((const char *)p - start)};
            }
            start = NULL;
        }
        if (len <= 0) {
            break;
        }
        p += len;
    }
    return count;
}

bool parley_tsim_has_word(const char *normalized, const char *word) {
    word_span words[MAX_WORDS];
    size_t n = split_words(normalized, words, MAX_WORDS);
    size_t wlen = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (words[i].len == wlen && memcmp(words[i].start, word, wlen) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- features --------------------------------------------------------------- */

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull
#define CHAR_FEATURE (1ull << 63) /* the top bit tells the two vectors apart */

static uint64_t fnv(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * FNV_PRIME;
    }
    return h;
}

typedef struct hash_list {
    uint64_t *items;
    size_t count;
    size_t capacity;
} hash_list;

static bool hash_push(hash_list *l, uint64_t h) {
    if (l->count == l->capacity) {
        size_t cap = l->capacity != 0 ? l->capacity * 2 : 64;
        uint64_t *items = realloc(l->items, cap * sizeof *items);
        if (items == NULL) {
            return false;
        }
        l->items = items;
        l->capacity = cap;
    }
    l->items[l->count++] = h;
    return true;
}

/* Every feature of text, with repeats (term frequency). */
static bool extract(const char *text, hash_list *out) {
    char *norm = parley_tsim_normalize(text);
    if (norm == NULL) {
        return false;
    }
    word_span all[MAX_WORDS];
    word_span kept[MAX_WORDS];
    size_t n = split_words(norm, all, MAX_WORDS);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_stopword(all[i].start, all[i].len)) {
            kept[k++] = all[i];
        }
    }
    if (k == 0) { /* a text of stopwords only is still a text */
        memcpy(kept, all, n * sizeof *all);
        k = n;
    }
    bool ok = true;
    for (size_t i = 0; i < k && ok; i++) {
        uint64_t uni = fnv(fnv(FNV_OFFSET, "w", 1), kept[i].start, kept[i].len);
        ok = hash_push(out, uni & ~CHAR_FEATURE);
        if (ok && i + 1 < k) {
            uint64_t bi = fnv(fnv(uni, " ", 1), kept[i + 1].start, kept[i + 1].len);
            ok = hash_push(out, bi & ~CHAR_FEATURE);
        }
        /* n-grams of " word " by bytes: after accent stripping most words
         * are ASCII, and a multi-byte letter cut at an edge still hashes
         * the same way in every text */
        char padded[128];
        size_t len = kept[i].len < sizeof padded - 2 ? kept[i].len : sizeof padded - 2;
        padded[0] = ' ';
        memcpy(padded + 1, kept[i].start, len);
        padded[len + 1] = ' ';
        size_t plen = len + 2;
        for (size_t g = NGRAM_MIN; g <= NGRAM_MAX && ok; g++) {
            for (size_t at = 0; at + g <= plen && ok; at++) {
                ok = hash_push(out, fnv(fnv(FNV_OFFSET, "c", 1), padded + at, g) | CHAR_FEATURE);
            }
        }
    }
    free(norm);
    return ok;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- vectors ------------------------------------------------------------------ */

typedef struct term {
    uint64_t hash;
    double weight;
} term;

typedef struct vec {
    term *terms; /* ascending hash */
    size_t count;
} vec;

typedef struct phrasing {
    size_t doc;
    hash_list features; /* sorted, with repeats, until build */
    vec words;
    vec chars;
} phrasing;

struct parley_tsim_index {
    phrasing *items;
    size_t count;
    size_t capacity;
    term *idf; /* ascending hash; weight = idf */
    size_t idf_count;
    double unknown_idf; /* a feature no phrasing has */
    bool built;
};

parley_tsim_index *parley_tsim_index_new(void) {
    return calloc(1, sizeof(parley_tsim_index));
}

size_t parley_tsim_index_phrasings(const parley_tsim_index *ix) {
    return ix->count;
}

bool parley_tsim_index_add(parley_tsim_index *ix, size_t doc, const char *text) {
    if (ix->count == ix->capacity) {
        size_t cap = ix->capacity != 0 ? ix->capacity * 2 : 16;
        phrasing *items = realloc(ix->items, cap * sizeof *items);
        if (items == NULL) {
            return false;
        }
        ix->items = items;
        ix->capacity = cap;
    }
    phrasing *p = &ix->items[ix->count];
    memset(p, 0, sizeof *p);
    p->doc = doc;
    if (!extract(text, &p->features)) {
        free(p->features.items);
        return false;
    }
    if (p->features.count > 1) { /* none at all for a stopword-only text */
        qsort(p->features.items, p->features.count, sizeof(uint64_t), cmp_u64);
    }
    ix->count++;
    return true;
}

static double idf_of(const parley_tsim_index *ix, uint64_t h) {
    size_t lo = 0;
    size_t hi = ix->idf_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->idf[mid].hash < h) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < ix->idf_count && ix->idf[lo].hash == h ? ix->idf[lo].weight : ix->unknown_idf;
}

static void normalize_vec(vec *v) {
    double sum = 0;
    for (size_t i = 0; i < v->count; i++) {
        sum += v->terms[i].weight * v->terms[i].weight;
    }
    double norm = sqrt(sum);
    for (size_t i = 0; norm > 0 && i < v->count; i++) {
        v->terms[i].weight /= norm;
    }
}

/* Sorted features with repeats -> the two weighted, normalised vectors. */
static bool vectorize(const parley_tsim_index *ix, const hash_list *f, vec *words, vec *chars) {
    words->terms = calloc(f->count + 1, sizeof(term));
    chars->terms = calloc(f->count + 1, sizeof(term));
    words->count = chars->count = 0;
    if (words->terms == NULL || chars->terms == NULL) {
        return false;
    }
    for (size_t i = 0; i < f->count;) {
        size_t j = i;
        while (j < f->count && f->items[j] == f->items[i]) {
            j++;
        }
        vec *v = (f->items[i] & CHAR_FEATURE) ? chars : words;
        v->terms[v->count++] =
            (term){f->items[i], (1.0 + log((double)(j - i))) * idf_of(ix, f->items[i])};
        i = j;
    }
    normalize_vec(words);
    normalize_vec(chars);
    return true;
}

bool parley_tsim_index_build(parley_tsim_index *ix) {
    size_t total = 0;
    for (size_t i = 0; i < ix->count; i++) {
        total += ix->items[i].features.count;
    }
    /* document frequency: each phrasing's distinct features, counted */
    uint64_t *all = malloc((total + 1) * sizeof *all);
    if (all == NULL) {
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < ix->count; i++) {
        const hash_list *f = &ix->items[i].features;
        for (size_t j = 0; j < f->count; j++) {
            if (j == 0 || f->items[j] != f->items[j - 1]) {
                all[n++] = f->items[j];
            }
        }
    }
    qsort(all, n, sizeof *all, cmp_u64);
    ix->idf = malloc((n + 1) * sizeof *ix->idf);
    if (ix->idf == NULL) {
        free(all);
        return false;
    }
    double docs = (double)ix->count;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j] == all[i]) {
            j++;
        }
        ix->idf[ix->idf_count++] =
            (term){all[i], log((1.0 + docs) / (1.0 + (double)(j - i))) + 1.0};
        i = j;
    }
    free(all);
    ix->unknown_idf = log(1.0 + docs) + 1.0;
    for (size_t i = 0; i < ix->count; i++) {
        phrasing *p = &ix->items[i];
        if (!vectorize(ix, &p->features, &p->words, &p->chars)) {
            return false;
        }
        free(p->features.items);
        memset(&p->features, 0, sizeof p->features);
    }
    ix->built = true;
    return true;
}

static double dot(const vec *a, const vec *b) {
    double sum = 0;
    size_t i = 0;
    size_t j = 0;
    while (i < a->count && j < b->count) {
        if (a->terms[i].hash < b->terms[j].hash) {
            i++;
        } else if (a->terms[i].hash > b->terms[j].hash) {
            j++;
        } else {
            sum += a->terms[i++].weight * b->terms[j++].weight;
        }
    }
    return sum;
}

static int cmp_match(const void *a, const void *b) {
    const parley_tsim_match *x = a;
    const parley_tsim_match *y = b;
    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

size_t parley_tsim_query(const parley_tsim_index *ix, const char *text, parley_tsim_match *out,
                         size_t max) {
    if (!ix->built || ix->count == 0 || max == 0) {
        return 0;
    }
    hash_list f = {0};
    vec words = {0};
    vec chars = {0};
    parley_tsim_match *best = NULL;
    size_t found = 0;
    if (!extract(text, &f)) {
        goto done;
    }
    if (f.count > 1) { /* a text without features has no array at all */
        qsort(f.items, f.count, sizeof(uint64_t), cmp_u64);
    }
    if (!vectorize(ix, &f, &words, &chars)) {
        goto done;
    }
    /* best score per document: phrasings of one document are adjacent in
     * the order they were added, but need not be; collect, then dedupe */
    best = malloc(ix->count * sizeof *best);
    if (best == NULL) {
        goto done;
    }
    for (size_t i = 0; i < ix->count; i++) {
        const phrasing *p = &ix->items[i];
        double score = WORD_WEIGHT * dot(&words, &p->words) + CHAR_WEIGHT * dot(&chars, &p->chars);
        if (score <= 0) {
            continue;
        }
        size_t k = 0;
        while (k < found && best[k].doc != p->doc) {
            k++;
        }
        if (k == found) {
            best[found++] = (parley_tsim_match){p->doc, score};
        } else if (score > best[k].score) {
            best[k].score = score;
        }
    }
    qsort(best, found, sizeof *best, cmp_match);
    if (found > max) {
        found = max;
    }
    for (size_t i = 0; i < found; i++) {
        out[i] = best[i];
        if (out[i].score > 1.0) { /* rounding */
            out[i].score = 1.0;
        }
    }
done:
    free(best);
    free(f.items);
    free(words.terms);
    free(chars.terms);
    return found;
}

void parley_tsim_index_free(parley_tsim_index *ix) {
    if (ix == NULL) {
        return;
    }
    for (size_t i = 0; i < ix->count; i++) {
        free(ix->items[i].features.items);
        free(ix->items[i].words.terms);
        free(ix->items[i].chars.terms);
    }
    free(ix->items);
    free(ix->idf);
    free(ix);
}
