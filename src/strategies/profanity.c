/*
 * profanity.c - the profanity strategy (see profanity.h).
 */
#include "strategies/profanity.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "core/participant.h"
#include "strategies/profanity_matcher.h"
#include "strategies/profanity_normalize.h"
#include "strategies/profanity_words.h"

#define PROF_VERSION "1.1"
#define MAX_LANGS 8
#define KEY_MAX 256

/* A list entry's tag in the automaton: category, severity, flags. */
#define TAG(e) ((unsigned)(e)->category | (unsigned)(e)->severity << 8 | (unsigned)(e)->flags << 16)
#define TAG_CATEGORY(t) ((t)&0xffu)
#define TAG_SEVERITY(t) ((t) >> 8 & 0xffu)
#define TAG_FLAGS(t) ((t) >> 16 & 0xffu)

static const char *const CATEGORY_NAMES[PARLEY_PROFANITY_CATEGORY_COUNT] = {
    [PARLEY_PROFANITY_INSULT] = "insult",
    [PARLEY_PROFANITY_OBSCENITY] = "obscenity",
    [PARLEY_PROFANITY_SLUR] = "slur",
    [PARLEY_PROFANITY_HATE] = "hate",
    [PARLEY_PROFANITY_VIOLENCE] = "violence",
    [PARLEY_PROFANITY_SEXUAL] = "sexual",
    [PARLEY_PROFANITY_ANATOMICAL] = "anatomical",
    [PARLEY_PROFANITY_DRUGS] = "drugs"};
#define DEFAULT_CATEGORIES                                                                         \
    (1u << PARLEY_PROFANITY_INSULT | 1u << PARLEY_PROFANITY_OBSCENITY |                            \
     1u << PARLEY_PROFANITY_SLUR | 1u << PARLEY_PROFANITY_HATE)
#define DEFAULT_MIN_SEVERITY 1

typedef struct prof_lang {
    const char *code;
    size_t words;              /* entries of this language's own list in use */
    parley_prof_automaton *ac; /* English plus this language */
} prof_lang;

typedef struct allow_entry {
    char *word;
    char *key;     /* normalised, collapsed */
    bool built_in; /* from data/wordlists/allowlist.txt: not removable */
} allow_entry;

typedef struct prof_shared {
    prof_lang langs[MAX_LANGS];
    size_t nlangs;
    /* every entry of every list: a message with no match in it has none
     * in any language, so it needs no detection and no other scan */
    parley_prof_automaton *any;
    pthread_rwlock_t lock;
    allow_entry *allow;
    size_t nallow, cap_allow;
    parley_profanity_detect_fn detect; /* NULL: declared language and English only */
    void *detect_ctx;
} prof_shared;

typedef struct prof_strategy {
    parley_strategy base;
    prof_shared *shared;
    bool reject;
    char language[8];    /* "" when not set */
    unsigned categories; /* bit per parley_profanity_category acted on */
    unsigned min_severity;
} prof_strategy;

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, "unavailable", "profanity: out of memory");
}

/* The normalised, collapsed form of a word ("" when it has no letters). */
static bool word_key(const char *word, char *key, size_t size) {
    parley_prof_text t;
    if (!parley_prof_normalize(word, strlen(word), &t)) {
        return false;
    }
    size_t from = 0, to = t.count;
    while (from < to && t.units[from].sym == PARLEY_PROF_SYM_SEP) {
        from++;
    }
    while (to > from && t.units[to - 1].sym == PARLEY_PROF_SYM_SEP) {
        to--;
    }
    if (to > from) {
        parley_prof_spell(t.units, from, to - 1, true, key, size);
    } else {
        key[0] = '\0';
    }
    parley_prof_text_free(&t);
    return true;
}

static ssize_t allow_find(const prof_shared *sh, const char *key) {
    for (size_t i = 0; i < sh->nallow; i++) {
        if (strcmp(sh->allow[i].key, key) == 0) {
            return (ssize_t)i;
        }
    }
    return -1;
}

/* Adds the word under its key, unless the key is there already; lock held. */
static parley_status allow_add(prof_shared *sh, const char *word, const char *key,
                               parley_error *err) {
    if (allow_find(sh, key) >= 0) {
        return PARLEY_OK;
    }
    if (sh->nallow == sh->cap_allow) {
        size_t cap = sh->cap_allow ? sh->cap_allow * 2 : 32;
        allow_entry *grown = realloc(sh->allow, cap * sizeof *grown);
        if (grown != NULL) {
            sh->allow = grown;
            sh->cap_allow = cap;
        }
    }
    allow_entry e = {.word = strdup(word), .key = strdup(key)};
    if (sh->nallow < sh->cap_allow && e.word != NULL && e.key != NULL) {
        sh->allow[sh->nallow++] = e;
        return PARLEY_OK;
    }
    free(e.word);
    free(e.key);
    return nomem(err);
}

/* Removes the word under the key; lock held. */
static parley_status allow_remove(prof_shared *sh, const char *key, parley_error *err) {
    ssize_t i = key[0] != '\0' ? allow_find(sh, key) : -1;
    if (i < 0) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "profanity: the word is not in the allowlist");
    }
    free(sh->allow[i].word);
    free(sh->allow[i].key);
    sh->allow[i] = sh->allow[--sh->nallow];
    return PARLEY_OK;
}

/* An admin's change to the allowlist: the word (1 to KEY_MAX - 1 bytes) is
 * normalised once, then added (a word with no letters is refused) or
 * removed. */
static parley_status edit_allowlist(void *shared, const char *word, bool add, parley_error *err) {
    prof_shared *sh = shared;
    char key[KEY_MAX];
    if (sh == NULL || word == NULL || strlen(word) >= KEY_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: a word of 1 to %d bytes is required", KEY_MAX - 1);
    }
    if (!word_key(word, key, sizeof key)) {
        return nomem(err);
    }
    if (add && key[0] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: the word has no letters");
    }
    pthread_rwlock_wrlock(&sh->lock);
    parley_status st = add ? allow_add(sh, word, key, err) : allow_remove(sh, key, err);
    pthread_rwlock_unlock(&sh->lock);
    return st;
}

parley_status parley_profanity_allow(void *shared, const char *word, parley_error *err) {
    return edit_allowlist(shared, word, true, err);
}

parley_status parley_profanity_disallow(void *shared, const char *word, parley_error *err) {
    return edit_allowlist(shared, word, false, err);
}

parley_status parley_profanity_allowlist_find(void *shared, const char *word, char *stored,
                                              size_t stored_size, bool *built_in,
                                              parley_error *err) {
    prof_shared *sh = shared;
    char key[KEY_MAX];
    if (sh == NULL || word == NULL || word[0] == '\0' || strlen(word) >= KEY_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                word == NULL || word[0] == '\0' ? "word: required"
                                                                : "word: too long");
    }
    if (!word_key(word, key, sizeof key)) {
        return nomem(err);
    }
    if (key[0] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "word: has no letters");
    }
    pthread_rwlock_rdlock(&sh->lock);
    ssize_t i = allow_find(sh, key);
    if (i >= 0) {
        snprintf(stored, stored_size, "%s", sh->allow[i].word);
        *built_in = sh->allow[i].built_in;
    }
    pthread_rwlock_unlock(&sh->lock);
    return i >= 0 ? PARLEY_OK
                  : parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                     "the word is not in the allowlist");
}

json_t *parley_profanity_allowlist(void *shared) {
    prof_shared *sh = shared;
    json_t *list = json_array();
    if (list == NULL || sh == NULL) {
        return list;
    }
    pthread_rwlock_rdlock(&sh->lock);
    for (size_t i = 0; i < sh->nallow; i++) {
        if (json_array_append_new(list, json_string(sh->allow[i].word)) != 0) {
            json_decref(list);
            list = NULL;
            break;
        }
    }
    pthread_rwlock_unlock(&sh->lock);
    return list;
}

void parley_profanity_shared_free(void *shared) {
    prof_shared *sh = shared;
    if (sh == NULL) {
        return;
    }
    for (size_t i = 0; i < sh->nlangs; i++) {
        parley_prof_automaton_free(sh->langs[i].ac);
    }
    parley_prof_automaton_free(sh->any);
    for (size_t i = 0; i < sh->nallow; i++) {
        free(sh->allow[i].word);
        free(sh->allow[i].key);
    }
    free(sh->allow);
    pthread_rwlock_destroy(&sh->lock);
    free(sh);
}

size_t parley_profanity_languages(void *shared, const char **codes, size_t max) {
    const prof_shared *sh = shared;
    for (size_t i = 0; i < sh->nlangs && i < max; i++) {
        codes[i] = sh->langs[i].code;
    }
    return sh->nlangs;
}

void parley_profanity_set_detector(void *shared, parley_profanity_detect_fn fn, void *ctx) {
    prof_shared *sh = shared;
    sh->detect = fn;
    sh->detect_ctx = ctx;
}

/* Is entry's normalised form one of the NULL-terminated words? */
static bool listed(const char *entry, const char *const *words) {
    char key[KEY_MAX], other[KEY_MAX];
    if (words == NULL || words[0] == NULL || strlen(entry) >= KEY_MAX ||
        !word_key(entry[0] == '*' ? entry + 1 : entry, key, sizeof key)) {
        return false;
    }
    for (size_t i = 0; words[i] != NULL; i++) {
        if (strlen(words[i]) < KEY_MAX && word_key(words[i], other, sizeof other) &&
            strcmp(key, other) == 0) {
            return true;
        }
    }
    return false;
}

/* Adds a list to ac, leaving out entries that are everyday words of the
 * language the automaton serves; the number of entries used, or -1 out of
 * memory. */
static long add_list(parley_prof_automaton *ac, const parley_profanity_wordlist *list,
                     const char *const *everyday) {
    long used = 0;
    for (size_t i = 0; i < list->count; i++) {
        const parley_profanity_entry *e = &list->words[i];
        if (listed(e->word, everyday)) {
            continue;
        }
        int r = parley_prof_automaton_add(ac, e->word, TAG(e));
        if (r < 0) {
            return -1;
        }
        used += r;
    }
    return used;
}

parley_status parley_profanity_shared_create(void **shared, parley_error *err) {
    *shared = NULL;
    prof_shared *sh = calloc(1, sizeof *sh);
    if (sh == NULL || pthread_rwlock_init(&sh->lock, NULL) != 0) {
        free(sh);
        return nomem(err);
    }
    const parley_profanity_wordlist *en = NULL;
    for (size_t i = 0; i < parley_profanity_wordlist_count; i++) {
        if (strcmp(parley_profanity_wordlists[i].lang, "en") == 0) {
            en = &parley_profanity_wordlists[i];
        }
    }
    if (en == NULL) {
        parley_profanity_shared_free(sh);
        return parley_error_set(err, PARLEY_E_INTERNAL, "internal",
                                "profanity: no English word list");
    }
    /* en first: the automaton used for English and unknown languages */
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < parley_profanity_wordlist_count && sh->nlangs < MAX_LANGS; i++) {
            const parley_profanity_wordlist *list = &parley_profanity_wordlists[i];
            if ((pass == 0) != (list == en)) {
                continue;
            }
            prof_lang *l = &sh->langs[sh->nlangs];
            l->code = list->lang;
            l->ac = parley_prof_automaton_new();
            long own = l->ac != NULL ? add_list(l->ac, list, NULL) : -1;
            long base = list == en || own < 0 ? 0 : add_list(l->ac, en, list->everyday);
            sh->nlangs += l->ac != NULL;
            if (own < 0 || base < 0 || !parley_prof_automaton_build(l->ac)) {
                parley_profanity_shared_free(sh);
                return nomem(err);
            }
            l->words = (size_t)own;
        }
    }
    sh->any = parley_prof_automaton_new();
    bool any_ok = sh->any != NULL;
    for (size_t i = 0; any_ok && i < parley_profanity_wordlist_count; i++) {
        any_ok = add_list(sh->any, &parley_profanity_wordlists[i], NULL) >= 0;
    }
    if (!any_ok || !parley_prof_automaton_build(sh->any)) {
        parley_profanity_shared_free(sh);
        return nomem(err);
    }
    for (size_t i = 0; i < parley_profanity_default_allowlist_count; i++) {
        parley_status st = parley_profanity_allow(sh, parley_profanity_default_allowlist[i], err);
        if (st != PARLEY_OK) {
            parley_profanity_shared_free(sh);
            return st;
        }
    }
    for (size_t i = 0; i < sh->nallow; i++) {
        sh->allow[i].built_in = true;
    }
    *shared = sh;
    return PARLEY_OK;
}

/* ---- the strategy ---- */

/* The language of a tag ("pt-BR" is pt), or NULL when none has a list. */
static const prof_lang *find_lang(const prof_shared *sh, const char *tag) {
    if (tag != NULL) {
        size_t n = strcspn(tag, "-_");
        for (size_t i = 0; i < sh->nlangs; i++) {
            if (strlen(sh->langs[i].code) == n && strncasecmp(sh->langs[i].code, tag, n) == 0) {
                return &sh->langs[i];
            }
        }
    }
    return NULL;
}

static const char *sender_language(const parley_participant *p) {
    if (p == NULL || p->ops == NULL) {
        return NULL;
    }
    switch (parley_participant_kind_of(p)) {
    case PARLEY_PARTICIPANT_CUSTOMER:
        return ((const parley_customer_participant *)p)->customer.language;
    case PARLEY_PARTICIPANT_AGENT:
        return ((const parley_agent_participant *)p)->agent.language;
    default:
        return NULL;
    }
}

/* "categories": a non-empty array of category names, each once; the bit
 * set, or 0 when invalid. */
static unsigned parse_categories(const json_t *v) {
    unsigned set = 0;
    size_t i;
    const json_t *item;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        return 0;
    }
    json_array_foreach(v, i, item) {
        unsigned bit = 0;
        for (unsigned c = 0; c < PARLEY_PROFANITY_CATEGORY_COUNT && json_is_string(item); c++) {
            if (strcmp(json_string_value(item), CATEGORY_NAMES[c]) == 0) {
                bit = 1u << c;
            }
        }
        if (bit == 0 || (set & bit) != 0) {
            return 0;
        }
        set |= bit;
    }
    return set;
}

static parley_status prof_create(const json_t *config, void *shared, parley_strategy **out,
                                 parley_error *err) {
    if (shared == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: registered without its word lists");
    }
    const json_t *mode = json_object_get(config, "mode");
    const json_t *lang = json_object_get(config, "language");
    const json_t *cats = json_object_get(config, "categories");
    const json_t *sev = json_object_get(config, "min_severity");
    unsigned categories = cats != NULL ? parse_categories(cats) : DEFAULT_CATEGORIES;
    if (categories == 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: categories must be a non-empty array of distinct "
                                "names among insult, obscenity, slur, hate, violence, sexual, "
                                "anatomical, drugs");
    }
    if (sev != NULL &&
        (!json_is_integer(sev) || json_integer_value(sev) < 1 || json_integer_value(sev) > 3)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: min_severity must be 1, 2 or 3");
    }
    if (mode != NULL &&
        (!json_is_string(mode) || (strcmp(json_string_value(mode), "censor") != 0 &&
                                   strcmp(json_string_value(mode), "reject") != 0))) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: mode must be \"censor\" or \"reject\"");
    }
    if (lang != NULL && (!json_is_string(lang) || json_string_length(lang) == 0 ||
                         json_string_length(lang) >= sizeof((prof_strategy *)NULL)->language)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "profanity: language must be a language tag such as \"fr\"");
    }
    prof_strategy *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return nomem(err);
    }
    s->shared = shared;
    s->reject = mode != NULL && strcmp(json_string_value(mode), "reject") == 0;
    s->categories = categories;
    s->min_severity = sev != NULL ? (unsigned)json_integer_value(sev) : DEFAULT_MIN_SEVERITY;
    if (lang != NULL) {
        snprintf(s->language, sizeof s->language, "%s", json_string_value(lang));
    }
    *out = &s->base;
    return PARLEY_OK;
}

typedef struct match {
    size_t start, end;
    const parley_prof_word *word;
} match;

typedef struct scan_state {
    const prof_shared *shared;
    const prof_strategy *strategy;
    const char *content;
    const parley_prof_text *text;
    match *matches;
    size_t count, cap;
    size_t first_of_scan; /* matches before it came from an earlier automaton */
    bool nomem;
} scan_state;

/* Is units[sep] a separator that was exactly one '-' between two words
 * ("cul-de-sac")? */
static bool hyphen_at(const scan_state *ss, size_t sep) {
    const parley_prof_text *t = ss->text;
    if (sep == 0 || sep + 1 >= t->count || t->units[sep].sym != PARLEY_PROF_SYM_SEP) {
        return false;
    }
    uint32_t c = t->units[sep - 1].last_char + 1; /* the character between the words */
    return t->units[sep + 1].first_char == c + 1 && c < t->char_count &&
           t->char_offset[c + 1] - t->char_offset[c] == 1 && ss->content[t->char_offset[c]] == '-';
}

/* Is units[from..to] spelled (collapsed, separators as ' ') in the
 * allowlist? */
static bool span_allowed(const scan_state *ss, size_t from, size_t to) {
    char key[KEY_MAX];
    return parley_prof_spell(ss->text->units, from, to, true, key, sizeof key) < sizeof key &&
           allow_find(ss->shared, key) >= 0;
}

/* A match is allowed when the matched entry, the whole word it lies in or
 * the hyphenated compound around it ("cul-de-sac") is in the allowlist. */
static bool allowed(const scan_state *ss, const parley_prof_word *w, size_t start, size_t end) {
    if (ss->shared->nallow == 0) {
        return false;
    }
    const parley_prof_unit *u = ss->text->units;
    size_t from = start, to = end;
    while (from > 0 && u[from - 1].sym != PARLEY_PROF_SYM_SEP) {
        from--;
    }
    while (to + 1 < ss->text->count && u[to + 1].sym != PARLEY_PROF_SYM_SEP) {
        to++;
    }
    if (allow_find(ss->shared, w->key) >= 0 || span_allowed(ss, from, to)) {
        return true;
    }
    bool compound = false;
    while (from > 1 && hyphen_at(ss, from - 1)) {
        compound = true;
        for (from -= 2; from > 0 && u[from - 1].sym != PARLEY_PROF_SYM_SEP; from--) {
        }
    }
    while (to + 2 < ss->text->count && hyphen_at(ss, to + 1)) {
        compound = true;
        for (to += 2; to + 1 < ss->text->count && u[to + 1].sym != PARLEY_PROF_SYM_SEP; to++) {
        }
    }
    return compound && span_allowed(ss, from, to);
}

/* The general category of the code point at byte offset off. */
static utf8proc_propval_t category_at(const char *content, size_t off, size_t len) {
    utf8proc_int32_t cp;
    if (off >= len || utf8proc_iterate((const utf8proc_uint8_t *)content + off,
                                       (utf8proc_ssize_t)(len - off), &cp) <= 0) {
        return UTF8PROC_CATEGORY_CN;
    }
    return utf8proc_get_property(cp)->category;
}

/* A name entry ("Dick") written capitalised: an upper-case letter, then a
 * lower-case one ("DICK" and "dick" are not names). */
static bool written_as_name(const scan_state *ss, size_t start) {
    const parley_prof_text *t = ss->text;
    uint32_t c = t->units[start].first_char;
    if (c + 1 >= t->char_count) {
        return false;
    }
    size_t len = t->char_offset[t->char_count];
    return category_at(ss->content, t->char_offset[c], len) == UTF8PROC_CATEGORY_LU &&
           category_at(ss->content, t->char_offset[c + 1], len) == UTF8PROC_CATEGORY_LL;
}

/* Does the session act on this entry (category, severity, name)? */
static bool acted_on(const scan_state *ss, const parley_prof_word *word, size_t start) {
    unsigned tag = word->tag;
    if ((ss->strategy->categories & (1u << TAG_CATEGORY(tag))) == 0 ||
        TAG_SEVERITY(tag) < ss->strategy->min_severity) {
        return false;
    }
    return !((TAG_FLAGS(tag) & PARLEY_PROFANITY_NAME) && written_as_name(ss, start));
}

static bool seen_span(const scan_state *ss, size_t start, size_t end) {
    for (size_t i = 0; i < ss->first_of_scan; i++) {
        if (ss->matches[i].start == start && ss->matches[i].end == end) {
            return true;
        }
    }
    return false;
}

/* The spans of the entries a session acts on, before the allowlist: what
 * decides whether detection could change anything. */
#define SPANS_MAX 32
typedef struct span_set {
    const scan_state *ss;
    size_t start[SPANS_MAX], end[SPANS_MAX];
    size_t n;
    bool overflow;
} span_set;

static bool span_in(const span_set *set, size_t start, size_t end) {
    for (size_t i = 0; i < set->n; i++) {
        if (set->start[i] == start && set->end[i] == end) {
            return true;
        }
    }
    return false;
}

static bool collect_span(void *user, const parley_prof_word *word, size_t start, size_t end) {
    span_set *set = user;
    if (!acted_on(set->ss, word, start) || span_in(set, start, end)) {
        return true;
    }
    if (set->n == SPANS_MAX) {
        set->overflow = true;
        return false;
    }
    set->start[set->n] = start;
    set->end[set->n++] = end;
    return true;
}

/* Is there a span in any that mine lacks (or too many to tell)? */
static bool spans_beyond(const span_set *any, const span_set *mine) {
    if (any->overflow || mine->overflow) {
        return true;
    }
    for (size_t i = 0; i < any->n; i++) {
        if (!span_in(mine, any->start[i], any->end[i])) {
            return true;
        }
    }
    return false;
}

static bool on_match(void *user, const parley_prof_word *word, size_t start, size_t end) {
    scan_state *ss = user;
    if (!acted_on(ss, word, start)) {
        return true;
    }
    if (ss->count > 0 && ss->matches[ss->count - 1].start == start &&
        ss->matches[ss->count - 1].end == end) {
        return true; /* another entry for the same span ("bite", "bitte") */
    }
    if (seen_span(ss, start, end) || allowed(ss, word, start, end)) {
        return true;
    }
    if (ss->count == ss->cap) {
        size_t cap = ss->cap ? ss->cap * 2 : 8;
        match *grown = realloc(ss->matches, cap * sizeof *grown);
        if (grown == NULL) {
            ss->nomem = true;
            return false;
        }
        ss->matches = grown;
        ss->cap = cap;
    }
    ss->matches[ss->count++] = (match){.start = start, .end = end, .word = word};
    return true;
}

static char *censor(const char *content, const parley_prof_text *t, const match *m, size_t n) {
    unsigned char *hide = calloc(t->char_count + 1, 1);
    if (hide == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t c0 = t->units[m[i].start].first_char, c1 = t->units[m[i].end].last_char;
        for (uint32_t c = c0 + 1; c <= c1 && c < t->char_count; c++) {
            hide[c] = 1;
        }
    }
    size_t len = t->char_offset[t->char_count];
    char *out = malloc(len + 1), *w = out;
    if (out != NULL) {
        for (size_t c = 0; c < t->char_count; c++) {
            if (hide[c]) {
                *w++ = '*';
            } else {
                size_t from = t->char_offset[c], to = t->char_offset[c + 1];
                memcpy(w, content + from, to - from);
                w += to - from;
            }
        }
        *w = '\0';
    }
    free(hide);
    return out;
}

static json_t *words_json(const match *m, size_t n) {
    json_t *words = json_array();
    for (size_t i = 0; words != NULL && i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(m[j].word->display, m[i].word->display) == 0;
        }
        if (!seen && json_array_append_new(words, json_string(m[i].word->display)) != 0) {
            json_decref(words);
            return NULL;
        }
    }
    return words;
}

/* content as a JSON string; invalid UTF-8 bytes (only possible when a
 * caller skipped validation) become U+FFFD. */
static json_t *original_json(const char *content) {
    json_t *j = json_string(content);
    if (j != NULL) {
        return j;
    }
    size_t len = strlen(content), n = 0;
    char *clean = malloc(3 * len + 1);
    if (clean == NULL) {
        return NULL;
    }
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)content;
    for (size_t pos = 0; pos < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(p + pos, (utf8proc_ssize_t)(len - pos), &cp);
        if (step <= 0) {
            memcpy(clean + n, "\xEF\xBF\xBD", 3);
            n += 3;
            pos++;
        } else {
            memcpy(clean + n, content + pos, (size_t)step);
            n += (size_t)step;
            pos += (size_t)step;
        }
    }
    clean[n] = '\0';
    j = json_string(clean);
    free(clean);
    return j;
}

static parley_strategy_result fail_nomem(parley_error *err) {
    nomem(err);
    return PARLEY_STRATEGY_REJECT;
}

static parley_strategy_result prof_process(parley_strategy *self, parley_strategy_context *ctx,
                                           parley_error *err) {
    prof_strategy *s = (prof_strategy *)self;
    const char *content = ctx->message->content;
    if (content == NULL || content[0] == '\0') {
        return PARLEY_STRATEGY_PASS;
    }
    const char *tag = s->language[0] != '\0' ? s->language : NULL;
    if (tag == NULL) {
        tag = json_string_value(json_object_get(ctx->meta, "language"));
    }
    if (tag == NULL) {
        tag = sender_language(ctx->sender);
    }
    size_t len = strlen(content);
    parley_prof_text text;
    if (!parley_prof_normalize(content, len, &text)) {
        return fail_nomem(err);
    }
    scan_state ss = {.shared = s->shared, .strategy = s, .content = content, .text = &text};
    /* most messages: nothing of any list, in any language */
    span_set any = {.ss = &ss};
    parley_prof_automaton_scan(s->shared->any, &text, collect_span, &any);
    if (any.n == 0 && !any.overflow) {
        parley_prof_text_free(&text);
        return PARLEY_STRATEGY_PASS;
    }
    /* declared: a language with a list of its own, else none (English) */
    const prof_lang *declared = find_lang(s->shared, tag);
    const prof_lang *found = NULL;
    /* detection can change the outcome only when another language's entry
     * matched, or, undeclared, by leaving out English entries that are
     * everyday words of the detected language: otherwise it is skipped
     * (exttextcat is the costly part, ~25-60 µs) */
    bool detect = declared == NULL;
    if (!detect) {
        span_set mine = {.ss = &ss};
        parley_prof_automaton_scan(declared->ac, &text, collect_span, &mine);
        detect = spans_beyond(&any, &mine);
    }
    if (detect && s->shared->detect != NULL && len >= PARLEY_PROFANITY_DETECT_MIN) {
        found = find_lang(s->shared, s->shared->detect(s->shared->detect_ctx, content,
                                                       declared != NULL ? declared->code : NULL));
    }
    /* the declared language's automaton, else the detected one's (which
     * holds English, less that language's everyday words), else English;
     * then the detected one's when it is another */
    const prof_lang *lang =
        declared != NULL ? declared : (found != NULL ? found : &s->shared->langs[0]);
    const prof_lang *also = found != lang ? found : NULL;

    pthread_rwlock_rdlock(&s->shared->lock);
    parley_prof_automaton_scan(lang->ac, &text, on_match, &ss);
    if (also != NULL && !ss.nomem) {
        ss.first_of_scan = ss.count;
        parley_prof_automaton_scan(also->ac, &text, on_match, &ss);
    }
    pthread_rwlock_unlock(&s->shared->lock);
    parley_strategy_result result = PARLEY_STRATEGY_PASS;
    if (ss.nomem) {
        result = fail_nomem(err);
    } else if (ss.count > 0 && s->reject) {
        parley_error_set(err, PARLEY_E_REJECTED, "profanity_detected",
                         "the message contains words that are not allowed");
        result = PARLEY_STRATEGY_REJECT;
    } else if (ss.count > 0) {
        char *next = censor(content, &text, ss.matches, ss.count);
        json_t *words = words_json(ss.matches, ss.count);
        json_t *info = words == NULL
                           ? NULL
                           : json_pack("{s:I, s:o, s:s}", "censored", (json_int_t)ss.count, "words",
                                       words, "language", lang->code);
        if (info != NULL && found != NULL &&
            json_object_set_new(info, "detected", json_string(found->code)) != 0) {
            json_decref(info);
            info = NULL;
        }
        bool ok =
            next != NULL && info != NULL && json_object_set_new(ctx->meta, "profanity", info) == 0;
        info = NULL;
        if (ok && json_object_get(ctx->meta, "original_content") == NULL) {
            ok = json_object_set_new(ctx->meta, "original_content", original_json(content)) == 0;
        }
        if (ok) {
            free(ctx->message->content);
            ctx->message->content = next;
            result = PARLEY_STRATEGY_MODIFIED;
        } else {
            free(next);
            result = fail_nomem(err);
        }
    }
    free(ss.matches);
    parley_prof_text_free(&text);
    return result;
}

static void prof_destroy(parley_strategy *self) {
    free(self);
}

static json_t *prof_describe(void *shared) {
    const prof_shared *sh = shared;
    json_t *langs = json_array();
    for (size_t i = 0; sh != NULL && langs != NULL && i < sh->nlangs; i++) {
        json_array_append_new(langs, json_pack("{s:s, s:I}", "code", sh->langs[i].code, "words",
                                               (json_int_t)sh->langs[i].words));
    }
    json_t *all = json_array(), *defaults = json_array();
    for (unsigned c = 0; c < PARLEY_PROFANITY_CATEGORY_COUNT; c++) {
        json_array_append_new(all, json_string(CATEGORY_NAMES[c]));
        if (DEFAULT_CATEGORIES & (1u << c)) {
            json_array_append_new(defaults, json_string(CATEGORY_NAMES[c]));
        }
    }
    /* language: a tag; without it the language an earlier step found
     * (meta), else the sender's; English and the detected language are
     * applied too */
    return json_pack("{s:o, s:s, s:b, s:{s:{s:s, s:s, s:[s,s]}, s:{s:s, s:n}, "
                     "s:{s:s, s:o, s:{s:s, s:o}}, s:{s:s, s:i, s:i, s:i}}}",
                     "languages", langs ? langs : json_array(), "source", parley_profanity_source,
                     "detection", sh != NULL && sh->detect != NULL, "options", "mode", "type",
                     "string", "default", "censor", "enum", "censor", "reject", "language", "type",
                     "string", "default", "categories", "type", "array", "default",
                     defaults ? defaults : json_array(), "items", "type", "string", "enum",
                     all ? all : json_array(), "min_severity", "type", "integer", "default",
                     DEFAULT_MIN_SEVERITY, "minimum", 1, "maximum", 3);
}

const parley_strategy_ops parley_profanity_strategy_ops = {
    .name = "profanity",
    .version = PROF_VERSION,
    .description = "censors swear words (first letter kept, asterisks) or rejects the message; "
                   "English, the message's declared language and the detected one",
    .create = prof_create,
    .process = prof_process,
    .destroy = prof_destroy,
    .describe = prof_describe};
