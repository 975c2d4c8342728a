/* The profanity strategy against whole dictionaries: every word of Debian's
 * wamerican, wspanish, wfrench, wngerman, witalian and wportuguese
 * (/usr/share/dict, installed by scripts/deps.sh) goes through the strategy
 * with its language declared and the default options, the language
 * detector attached as in the server. The words it censors must be exactly
 * the language's budget, tests/unit/profanity_dictionary/<lang>.censored
 * (one word a line, sorted): a newly censored word fails the test, and so
 * does a budgeted word of the dictionary that is no longer censored, so
 * every change to the lists or the matcher shows up here and is reviewed
 * by editing the budget. <lang>.innocent holds everyday words and sentences
 * that must stay untouched, with the language declared and without (the
 * detector then decides). docs/strategies-profanity.md records the counts.
 *
 * Usage: test_profanity_dictionary [LANG...] (all six by default);
 * PROFANITY_DICTIONARY_WRITE=1 rewrites the budgets from the run instead
 * of checking them (review the diff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strategies/builtin.h"
#include "strategies/profanity.h"

#include "profanity_fixture.h"

#define BUDGET_DIR PARLEY_SOURCE_DIR "/tests/unit/profanity_dictionary"
#define WORD_MAX 256

typedef struct dictionary {
    const char *lang;
    const char *path;
} dictionary;

static const dictionary DICTIONARIES[] = {
    {"en", "/usr/share/dict/american-english"}, {"es", "/usr/share/dict/spanish"},
    {"fr", "/usr/share/dict/french"},           {"de", "/usr/share/dict/ngerman"},
    {"it", "/usr/share/dict/italian"},          {"pt", "/usr/share/dict/portuguese"},
};
#define NDICT (sizeof DICTIONARIES / sizeof DICTIONARIES[0])

static const char *only[NDICT];
static size_t nonly;

/* ---- word sets: sorted arrays of strings ---- */

typedef struct wordset {
    char **w;
    size_t n, cap;
} wordset;

static void set_add(wordset *s, const char *w) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->w = realloc(s->w, s->cap * sizeof *s->w);
        assert_non_null(s->w);
    }
    s->w[s->n] = strdup(w);
    assert_non_null(s->w[s->n]);
    s->n++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort(wordset *s) {
    if (s->n > 0) {
        qsort(s->w, s->n, sizeof *s->w, cmp_str);
    }
}

static bool set_has(const wordset *s, const char *w) {
    return s->n > 0 && bsearch(&w, s->w, s->n, sizeof *s->w, cmp_str) != NULL;
}

static void set_free(wordset *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->w[i]);
    }
    free(s->w);
}

/* Lines of a file without their newline, '#' lines and empty ones
 * skipped (comments only when skip_comments). false when it cannot be
 * read. */
static bool read_lines(const char *path, bool skip_comments, wordset *out) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    char line[WORD_MAX * 4];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0' && !(skip_comments && line[0] == '#')) {
            set_add(out, line);
        }
    }
    fclose(f);
    return true;
}

/* ---- the strategy ---- */

typedef struct runner {
    parley_strategy *strategy;
    json_t *meta;
} runner;

static void runner_open(runner *r, const char *lang) {
    char config[128];
    if (lang != NULL) {
        snprintf(config, sizeof config, "{\"name\": \"profanity\", \"language\": \"%s\"}", lang);
    } else {
        snprintf(config, sizeof config, "{\"name\": \"profanity\"}");
    }
    json_t *cfg = json_loads(config, 0, NULL);
    assert_non_null(cfg);
    parley_error err = {0};
    assert_int_equal(
        parley_profanity_strategy_ops.create(cfg, profanity_shared, &r->strategy, &err), PARLEY_OK);
    json_decref(cfg);
    r->meta = json_object();
    assert_non_null(r->meta);
}

/* Does the strategy change text? *out (when not NULL) gets the result. */
static bool censors(runner *r, const char *text, char **out) {
    parley_message m = {0};
    m.content = strdup(text);
    assert_non_null(m.content);
    json_object_clear(r->meta);
    parley_strategy_context ctx = {.message = &m, .meta = r->meta};
    parley_error err = {0};
    parley_strategy_result res = parley_profanity_strategy_ops.process(r->strategy, &ctx, &err);
    assert_int_not_equal(res, PARLEY_STRATEGY_REJECT);
    bool changed = res == PARLEY_STRATEGY_MODIFIED;
    if (out != NULL) {
        *out = m.content;
    } else {
        free(m.content);
    }
    return changed;
}

static void runner_close(runner *r) {
    parley_profanity_strategy_ops.destroy(r->strategy);
    json_decref(r->meta);
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool selected(const char *lang) {
    for (size_t i = 0; i < nonly; i++) {
        if (strcmp(only[i], lang) == 0) {
            return true;
        }
    }
    return nonly == 0;
}

/* Speed (1.4 million words under ASan): words go through the strategy
 * BATCH at a time, one a line. A batch that passes untouched means every
 * word of it passes alone too: each word keeps its own boundaries (a
 * newline ends a word and never joins spelled letters) and every match a
 * word has alone it has in the batch, which would then be modified. So
 * only the words of a modified batch are run alone (and only that run
 * counts). A word of PARLEY_PROFANITY_DETECT_MIN bytes or more (long
 * enough for detection by itself) is always run alone. Returns how many
 * words from `from` on the batch covered (>= 1); *alone: run them one by
 * one. */
#define BATCH 64
static size_t batch(runner *r, const wordset *words, size_t from, bool *alone) {
    size_t n = 0, len = 0;
    while (from + n < words->n && n < BATCH &&
           strlen(words->w[from + n]) < PARLEY_PROFANITY_DETECT_MIN) {
        len += strlen(words->w[from + n]) + 1;
        n++;
    }
    if (n == 0) {
        *alone = true;
        return 1;
    }
    char *text = malloc(len + 1), *w = text;
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(words->w[from + i]);
        memcpy(w, words->w[from + i], l);
        w[l] = '\n';
        w += l + 1;
    }
    *w = '\0';
    *alone = censors(r, text, NULL);
    free(text);
    return n;
}

/* ---- the tests ---- */

static void check_dictionary(const dictionary *d) {
    wordset words = {0}, budget = {0}, censored = {0};
    if (!read_lines(d->path, false, &words)) {
        fail_msg("%s is missing: run scripts/deps.sh (Debian's word lists)", d->path);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.censored", BUDGET_DIR, d->lang);
    bool write = getenv("PROFANITY_DICTIONARY_WRITE") != NULL;
    if (!read_lines(path, true, &budget) && !write) {
        fail_msg("%s is missing", path);
    }
    sort(&budget);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    runner r;
    runner_open(&r, d->lang);
    for (size_t i = 0; i < words.n;) {
        bool alone = false;
        size_t n = batch(&r, &words, i, &alone);
        for (size_t j = i; alone && j < i + n; j++) {
            if (censors(&r, words.w[j], NULL)) {
                set_add(&censored, words.w[j]);
            }
        }
        i += n;
    }
    runner_close(&r);
    sort(&censored);
    wordset dict_sorted = words;
    sort(&dict_sorted);
    printf("[ %s ] %zu words, %zu censored (%.3f %%), budget %zu, %.2f s\n", d->lang, words.n,
           censored.n, 100.0 * (double)censored.n / (double)(words.n ? words.n : 1), budget.n,
           seconds_since(&t0));
    if (write) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f,
                "# Words of %s the profanity strategy censors with \"language\": \"%s\"\n"
                "# and the default options (tests/unit/test_profanity_dictionary.c).\n",
                d->path, d->lang);
        for (size_t i = 0; i < censored.n; i++) {
            fprintf(f, "%s\n", censored.w[i]);
        }
        fclose(f);
    }
    size_t over = 0, under = 0;
    for (size_t i = 0; i < censored.n && !write; i++) {
        if (!set_has(&budget, censored.w[i])) {
            printf("  newly censored (%s): %s\n", d->lang, censored.w[i]);
            over++;
        }
    }
    for (size_t i = 0; i < budget.n && !write; i++) {
        if (set_has(&dict_sorted, budget.w[i]) && !set_has(&censored, budget.w[i])) {
            printf("  no longer censored (%s): %s\n", d->lang, budget.w[i]);
            under++;
        }
    }
    set_free(&words);
    set_free(&budget);
    set_free(&censored);
    if (over > 0 || under > 0) {
        fail_msg("%s: %zu word(s) censored outside the budget, %zu budgeted word(s) no longer "
                 "censored; review, then edit %s",
                 d->lang, over, under, path);
    }
}

static void test_dictionaries(void **state) {
    (void)state;
    for (size_t i = 0; i < NDICT; i++) {
        if (selected(DICTIONARIES[i].lang)) {
            check_dictionary(&DICTIONARIES[i]);
        }
    }
}

/* Every line of <lang>.innocent stays as written with the language
 * declared; those long enough for detection also without a declared
 * language (a shorter one is then English only). */
static void test_innocent(void **state) {
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < NDICT; i++) {
        const char *lang = DICTIONARIES[i].lang;
        if (!selected(lang)) {
            continue;
        }
        char path[512];
        snprintf(path, sizeof path, "%s/%s.innocent", BUDGET_DIR, lang);
        wordset lines = {0};
        if (!read_lines(path, true, &lines)) {
            fail_msg("%s is missing", path);
        }
        assert_true(lines.n >= 10);
        runner declared, undeclared;
        runner_open(&declared, lang);
        runner_open(&undeclared, NULL);
        for (size_t j = 0; j < lines.n; j++) {
            char *out = NULL;
            int runs = strlen(lines.w[j]) >= PARLEY_PROFANITY_DETECT_MIN ? 2 : 1;
            for (int k = 0; k < runs; k++) {
                if (censors(k == 0 ? &declared : &undeclared, lines.w[j], &out)) {
                    printf("  censored (%s, %s): \"%s\" -> \"%s\"\n", lang,
                           k == 0 ? "declared" : "detected", lines.w[j], out);
                    bad++;
                }
                free(out);
            }
        }
        runner_close(&declared);
        runner_close(&undeclared);
        set_free(&lines);
    }
    assert_int_equal(bad, 0);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc && nonly < NDICT; i++) {
        only[nonly++] = argv[i];
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_innocent),
        cmocka_unit_test(test_dictionaries),
    };
    return cmocka_run_group_tests(tests, profanity_fixture_setup, profanity_fixture_teardown);
}
