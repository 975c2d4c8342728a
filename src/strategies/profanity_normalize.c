/*
 * profanity_normalize.c - see profanity_normalize.h for the rules.
 */
#include "strategies/profanity_normalize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { K_SEP = 0, K_LETTER, K_LEET };

typedef struct item {
    uint8_t kind;
    uint8_t sym;
    uint8_t newline; /* a SEP that ends a line */
    int32_t cp;      /* the normalised code point */
    uint32_t ci;     /* original character index */
} item;

typedef struct word {
    size_t from, to; /* items [from, to) */
    size_t letters;
} word;

typedef struct map_entry {
    int32_t cp;
    char to;
} map_entry;

/* Sorted by code point (binary search). Lower case only: matching runs
 * after case folding. */
static const map_entry LOOKALIKES[] = {
    {0x0111, 'd'}, {0x0127, 'h'}, {0x0131, 'i'}, {0x0142, 'l'}, {0x0167, 't'}, {0x0251, 'a'},
    {0x0261, 'g'}, {0x03B1, 'a'}, {0x03B2, 'b'}, {0x03B5, 'e'}, {0x03B7, 'n'}, {0x03B9, 'i'},
    {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'},
    {0x03C7, 'x'}, {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x043A, 'k'}, {0x043C, 'm'},
    {0x043D, 'h'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'},
    {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04AF, 'y'}, {0x04BB, 'h'},
    {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'},
};

static char lookalike(int32_t cp) {
    size_t lo = 0, hi = sizeof LOOKALIKES / sizeof LOOKALIKES[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (LOOKALIKES[mid].cp == cp) {
            return LOOKALIKES[mid].to;
        }
        if (LOOKALIKES[mid].cp < cp) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return 0;
}

static char leet(int32_t cp) {
    switch (cp) {
    case '4':
    case '@':
        return 'a';
    case '8':
        return 'b';
    case '3':
        return 'e';
    case '6':
    case '9':
        return 'g';
    case '1':
    case '!':
        return 'i';
    case '|':
        return 'l';
    case '0':
        return 'o';
    case '5':
    case '$':
        return 's';
    case '7':
    case '+':
        return 't';
    default:
        return 0;
    }
}

static item classify(int32_t cp, uint32_t ci) {
    item it = {.kind = K_SEP, .sym = PARLEY_PROF_SYM_SEP, .cp = cp, .ci = ci};
    char c = 0;
    if (cp >= 'a' && cp <= 'z') {
        c = (char)cp;
    } else if (cp >= 0x80) {
        c = lookalike(cp);
    }
    if (c != 0) {
        it.kind = K_LETTER;
        it.sym = (uint8_t)(c - 'a' + 1);
        return it;
    }
    if ((c = leet(cp)) != 0) {
        it.kind = K_LEET;
        it.sym = (uint8_t)(c - 'a' + 1);
        return it;
    }
    if (cp >= 0x80) {
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
            it.kind = K_LETTER;
            it.sym = PARLEY_PROF_SYM_OTHER;
            return it;
        }
    }
    it.newline = cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x85;
    return it;
}

static bool is_edge_punct(const item *it) {
    return it->kind == K_LEET && (it->cp == '!' || it->cp == '|' || it->cp == '@');
}

void parley_prof_text_free(parley_prof_text *t) {
    free(t->units);
    free(t->char_offset);
    memset(t, 0, sizeof *t);
}

#define DECOMPOSE_MAX 18
#define GAP_MAX 3

/* Step 1-2: items for every normalised code point, and char offsets. */
static bool make_items(const char *s, size_t len, parley_prof_text *out, item **items_out,
                       size_t *nitems_out) {
    size_t cap = len + 1, n = 0;
    item *items = malloc(cap * sizeof *items);
    out->char_offset = malloc((len + 1) * sizeof *out->char_offset);
    if (items == NULL || out->char_offset == NULL) {
        free(items);
        return false;
    }
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t pos = 0, ci = 0;
    while (pos < len) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t step = utf8proc_iterate(p + pos, (utf8proc_ssize_t)(len - pos), &cp);
        out->char_offset[ci] = (uint32_t)pos;
        utf8proc_int32_t buf[DECOMPOSE_MAX];
        utf8proc_ssize_t k = 0;
        if (step <= 0) {
            step = 1; /* an invalid byte: one separator character */
            cp = -1;
        } else {
            int boundclass = 0;
            k = utf8proc_decompose_char(cp, buf, DECOMPOSE_MAX,
                                        UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                            UTF8PROC_STRIPMARK | UTF8PROC_IGNORE,
                                        &boundclass);
        }
        if (cp < 0 || k < 0 || k > DECOMPOSE_MAX) {
            buf[0] = cp < 0 ? -1 : 0x2E2E; /* a separator */
            k = 1;
        }
        for (utf8proc_ssize_t j = 0; j < k; j++) {
            if (n == cap) {
                cap *= 2;
                item *grown = realloc(items, cap * sizeof *items);
                if (grown == NULL) {
                    free(items);
                    return false;
                }
                items = grown;
            }
            items[n++] = classify(buf[j], (uint32_t)ci);
        }
        pos += (size_t)step;
        ci++;
    }
    out->char_offset[ci] = (uint32_t)len;
    out->char_count = ci;
    *items_out = items;
    *nitems_out = n;
    return true;
}

/* Step 3: words (runs of letters and leet characters with a real letter). */
static size_t find_words(const item *items, size_t n, word *words) {
    size_t nw = 0, i = 0;
    while (i < n) {
        if (items[i].kind == K_SEP) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < n && items[i].kind != K_SEP) {
            i++;
        }
        size_t b = i;
        while (a < b && is_edge_punct(&items[a]) && items[a].cp != '@') {
            a++;
        }
        while (b > a && is_edge_punct(&items[b - 1])) {
            b--;
        }
        bool real = false;
        for (size_t j = a; j < b; j++) {
            real |= items[j].kind == K_LETTER;
        }
        if (real) {
            words[nw++] = (word){.from = a, .to = b, .letters = b - a};
        }
    }
    return nw;
}

/* Step 4: may words w and w+1 (both one letter) be joined? */
static bool joinable(const item *items, const word *w) {
    const word *next = w + 1;
    if (w->letters != 1 || next->letters != 1) {
        return false;
    }
    uint32_t c1 = items[w->from].ci, c2 = items[next->from].ci;
    if (c2 <= c1 + 1 || c2 - c1 - 1 > GAP_MAX) {
        return false;
    }
    for (size_t j = w->to; j < next->from; j++) {
        if (items[j].newline) {
            return false;
        }
    }
    return true;
}

static void emit_letter(parley_prof_text *out, const item *it, bool spelled, bool leet_ok) {
    uint8_t sym = it->kind == K_LEET && !leet_ok ? PARLEY_PROF_SYM_OTHER : it->sym;
    parley_prof_unit *last = out->count > 0 ? &out->units[out->count - 1] : NULL;
    if (last != NULL && last->sym == sym && sym != PARLEY_PROF_SYM_OTHER &&
        sym != PARLEY_PROF_SYM_SEP) {
        last->run++;
        last->last_char = it->ci;
        return;
    }
    out->units[out->count++] = (parley_prof_unit){
        .sym = sym, .spelled = spelled, .run = 1, .first_char = it->ci, .last_char = it->ci};
}

static void emit_sep(parley_prof_text *out, uint32_t ci) {
    if (out->count > 0 && out->units[out->count - 1].sym != PARLEY_PROF_SYM_SEP) {
        out->units[out->count++] = (parley_prof_unit){
            .sym = PARLEY_PROF_SYM_SEP, .run = 1, .first_char = ci, .last_char = ci};
    }
}

bool parley_prof_normalize(const char *s, size_t len, parley_prof_text *out) {
    memset(out, 0, sizeof *out);
    item *items = NULL;
    size_t n = 0;
    if (!make_items(s, len, out, &items, &n)) {
        parley_prof_text_free(out);
        return false;
    }
    word *words = malloc((n + 1) * sizeof *words);
    out->units = malloc((2 * n + 1) * sizeof *out->units);
    if (words == NULL || out->units == NULL) {
        free(words);
        free(items);
        parley_prof_text_free(out);
        return false;
    }
    size_t nw = find_words(items, n, words);
    size_t w = 0;
    while (w < nw) {
        size_t end = w + 1; /* words [w, end) form one unit of output */
        while (end < nw && joinable(items, &words[end - 1])) {
            end++;
        }
        bool spelled = end - w >= 3;
        if (!spelled) {
            end = w + 1;
        }
        emit_sep(out, items[words[w].from].ci);
        for (size_t k = w; k < end; k++) {
            for (size_t j = words[k].from; j < words[k].to; j++) {
                emit_letter(out, &items[j], spelled, true);
            }
        }
        w = end;
    }
    if (out->count > 0) {
        emit_sep(out, (uint32_t)out->char_count);
    }
    free(words);
    free(items);
    return true;
}

size_t parley_prof_spell(const parley_prof_unit *units, size_t from, size_t to, bool collapse,
                         char *buf, size_t size) {
    size_t need = 0;
    for (size_t i = from; i <= to; i++) {
        char c = units[i].sym == PARLEY_PROF_SYM_SEP     ? ' '
                 : units[i].sym == PARLEY_PROF_SYM_OTHER ? '?'
                                                         : (char)('a' + units[i].sym - 1);
        uint32_t times = collapse || units[i].sym == PARLEY_PROF_SYM_SEP ? 1 : units[i].run;
        for (uint32_t r = 0; r < times; r++, need++) {
            if (size > 0 && need < size - 1) {
                buf[need] = c;
            }
        }
    }
    if (size > 0) {
        buf[need < size ? need : size - 1] = '\0';
    }
    return need;
}
