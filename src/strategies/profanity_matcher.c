/*
 * profanity_matcher.c - see profanity_matcher.h.
 */
#include "strategies/profanity_matcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_LEFT 1u
#define OPEN_RIGHT 2u

typedef struct pattern {
    parley_prof_word word;
    uint8_t *syms;
    uint32_t *runs;
    unsigned flags;
    int32_t next_same; /* another pattern ending in the same state, or -1 */
} pattern;

typedef struct state {
    int32_t go[PARLEY_PROF_ALPHABET];
    int32_t fail;
    int32_t out;  /* first pattern ending here, or -1 */
    int32_t dict; /* nearest state along fail links with out >= 0, or -1 */
} state;

struct parley_prof_automaton {
    state *states;
    size_t nstates, cap_states;
    pattern *patterns;
    size_t npatterns, cap_patterns;
};

static int32_t new_state(parley_prof_automaton *a) {
    if (a->nstates == a->cap_states) {
        size_t cap = a->cap_states ? a->cap_states * 2 : 256;
        state *grown = realloc(a->states, cap * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        a->states = grown;
        a->cap_states = cap;
    }
    state *s = &a->states[a->nstates];
    for (int i = 0; i < PARLEY_PROF_ALPHABET; i++) {
        s->go[i] = -1;
    }
    s->fail = 0;
    s->out = -1;
    s->dict = -1;
    return (int32_t)a->nstates++;
}

parley_prof_automaton *parley_prof_automaton_new(void) {
    parley_prof_automaton *a = calloc(1, sizeof *a);
    if (a != NULL && new_state(a) < 0) {
        free(a);
        return NULL;
    }
    return a;
}

void parley_prof_automaton_free(parley_prof_automaton *a) {
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->npatterns; i++) {
        free(a->patterns[i].syms);
        free(a->patterns[i].runs);
        free((char *)(uintptr_t)a->patterns[i].word.display);
        free((char *)(uintptr_t)a->patterns[i].word.key);
    }
    free(a->patterns);
    free(a->states);
    free(a);
}

size_t parley_prof_automaton_size(const parley_prof_automaton *a) {
    return a->npatterns;
}

static int add_units(parley_prof_automaton *a, const parley_prof_unit *u, size_t n, unsigned flags,
                     unsigned tag) {
    if (a->npatterns == a->cap_patterns) {
        size_t cap = a->cap_patterns ? a->cap_patterns * 2 : 128;
        pattern *grown = realloc(a->patterns, cap * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        a->patterns = grown;
        a->cap_patterns = cap;
    }
    size_t dlen = parley_prof_spell(u, 0, n - 1, false, NULL, 0);
    size_t klen = parley_prof_spell(u, 0, n - 1, true, NULL, 0);
    pattern p = {.syms = malloc(n), .runs = malloc(n * sizeof *p.runs), .flags = flags};
    char *display = malloc(dlen + 1), *key = malloc(klen + 1);
    if (p.syms == NULL || p.runs == NULL || display == NULL || key == NULL) {
        free(p.syms);
        free(p.runs);
        free(display);
        free(key);
        return -1;
    }
    parley_prof_spell(u, 0, n - 1, false, display, dlen + 1);
    parley_prof_spell(u, 0, n - 1, true, key, klen + 1);
    p.word = (parley_prof_word){.display = display, .key = key, .len = n, .tag = tag};
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        p.syms[i] = u[i].sym;
        p.runs[i] = u[i].run;
        if (a->states[s].go[u[i].sym] < 0) {
            int32_t t = new_state(a);
            if (t < 0) {
                free(p.syms);
                free(p.runs);
                free(display);
                free(key);
                return -1;
            }
            a->states[s].go[u[i].sym] = t;
        }
        s = a->states[s].go[u[i].sym];
    }
    p.next_same = a->states[s].out;
    a->states[s].out = (int32_t)a->npatterns;
    a->patterns[a->npatterns++] = p;
    return 1;
}

int parley_prof_automaton_add(parley_prof_automaton *a, const char *entry, unsigned tag) {
    size_t len = strlen(entry);
    unsigned flags = 0;
    if (len > 0 && entry[0] == '*') {
        flags |= OPEN_LEFT;
        entry++;
        len--;
    }
    if (len > 0 && entry[len - 1] == '*') {
        flags |= OPEN_RIGHT;
        len--;
    }
    parley_prof_text t;
    if (!parley_prof_normalize(entry, len, &t)) {
        return -1;
    }
    size_t from = 0, to = t.count;
    while (from < to && t.units[from].sym == PARLEY_PROF_SYM_SEP) {
        from++;
    }
    while (to > from && t.units[to - 1].sym == PARLEY_PROF_SYM_SEP) {
        to--;
    }
    int result = to > from ? 1 : 0;
    for (size_t i = from; i < to && result == 1; i++) {
        if (t.units[i].sym == PARLEY_PROF_SYM_OTHER) {
            result = 0;
        }
        t.units[i].spelled = 0;
    }
    if (result == 1) {
        result = add_units(a, t.units + from, to - from, flags, tag);
    }
    parley_prof_text_free(&t);
    return result;
}

bool parley_prof_automaton_build(parley_prof_automaton *a) {
    int32_t *queue = malloc(a->nstates * sizeof *queue);
    if (queue == NULL) {
        return false;
    }
    size_t head = 0, tail = 0;
    state *root = &a->states[0];
    for (int c = 0; c < PARLEY_PROF_ALPHABET; c++) {
        if (root->go[c] < 0) {
            root->go[c] = 0;
        } else {
            a->states[root->go[c]].fail = 0;
            queue[tail++] = root->go[c];
        }
    }
    /* OTHER letters are in no word: always back to the root */
    root->go[PARLEY_PROF_SYM_OTHER] = 0;
    while (head < tail) {
        int32_t s = queue[head++];
        state *st = &a->states[s];
        int32_t f = st->fail;
        st->dict = a->states[f].out >= 0 ? f : a->states[f].dict;
        for (int c = 0; c < PARLEY_PROF_ALPHABET; c++) {
            int32_t t = st->go[c];
            if (t >= 0 && c != PARLEY_PROF_SYM_OTHER) {
                a->states[t].fail = a->states[f].go[c];
                queue[tail++] = t;
            } else {
                st->go[c] = a->states[f].go[c];
            }
        }
    }
    free(queue);
    return true;
}

static bool starts_word(const parley_prof_text *t, size_t i) {
    return i == 0 || t->units[i - 1].sym == PARLEY_PROF_SYM_SEP ||
           (t->units[i].spelled && t->units[i - 1].spelled);
}

static bool ends_word(const parley_prof_text *t, size_t i) {
    return i + 1 >= t->count || t->units[i + 1].sym == PARLEY_PROF_SYM_SEP ||
           (t->units[i].spelled && t->units[i + 1].spelled);
}

/* A letter written `text` times where the word has it `word` times: the
 * same count, or stretched to three or more (see profanity_matcher.h). */
static bool run_matches(uint32_t text, uint32_t word) {
    return text == word || (text >= 3 && text > word);
}

static bool accept(const pattern *p, const parley_prof_text *t, size_t start, size_t end) {
    if (!(p->flags & OPEN_LEFT) && !starts_word(t, start)) {
        return false;
    }
    if (!(p->flags & OPEN_RIGHT) && !ends_word(t, end)) {
        return false;
    }
    for (size_t i = 0; i < p->word.len; i++) {
        if (!run_matches(t->units[start + i].run, p->runs[i])) {
            return false;
        }
    }
    return true;
}

void parley_prof_automaton_scan(const parley_prof_automaton *a, const parley_prof_text *text,
                                parley_prof_match_fn fn, void *user) {
    int32_t s = 0;
    for (size_t i = 0; i < text->count; i++) {
        s = a->states[s].go[text->units[i].sym];
        for (int32_t o = a->states[s].out >= 0 ? s : a->states[s].dict; o >= 0;
             o = a->states[o].dict) {
            for (int32_t p = a->states[o].out; p >= 0; p = a->patterns[p].next_same) {
                const pattern *pat = &a->patterns[p];
                size_t start = i + 1 - pat->word.len;
                if (accept(pat, text, start, i) && !fn(user, &pat->word, start, i)) {
                    return;
                }
            }
        }
    }
}
