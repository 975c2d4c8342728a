/*
 * fuzz_spam.c - the spam strategy on arbitrary bytes: tokenizer, Bayesian
 * classifier, rules and the strategy's process() (src/strategies/spam*.c).
 *
 * Input layout: the first byte chooses the session options (bit 0: tight
 * limits and a blocklist instead of the defaults, bit 1: tokenizer bigrams
 * on a second model); the rest is the message text, which may hold NULs
 * (the tokenizer sees all of it, the strategy sees it up to the first NUL,
 * as a C string).
 *
 * The shared state (strategy state and a model trained on a few labelled
 * lines) is built once in LLVMFuzzerInitialize; each input is classified,
 * then trained and untrained again so the model's totals stay put.
 *
 * Invariants (trap on violation):
 *  - every token is non-empty, NUL-terminated at the reported length, at
 *    most PARLEY_SPAM_TOKEN_SIZE bytes, and a URL token starts "url:";
 *  - the probability is within [0, 1] and the verdict's top tokens are
 *    sorted by significance with f in (0, 1);
 *  - train then untrain leaves the message totals unchanged;
 *  - process() passes or rejects; a rejection is 422 spam_detected or 429
 *    rate_limited with retry_after_seconds >= 1, and meta["spam"] then
 *    exists with a score >= 1 and a non-empty rules array; the meta can be
 *    serialised.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/participant.h"
#include "core/strategy.h"
#include "fuzz_checks.h"
#include "strategies/spam.h"
#include "strategies/spam_rules.h"
#include "strategies/spam_tokenize.h"

static void *shared;
static parley_spam_model *bigram_model;
static parley_strategy *instances[2];
static int64_t fake_now;

static int64_t fake_clock(void *ud) {
    (void)ud;
    return fake_now;
}

static const char *const SPAM[] = {
    "Congratulations you won a free iPhone, click here to claim your prize",
    "Cheap pills online, best price guaranteed, order now at http://pills.example",
    "Earn money fast working from home, guaranteed income",
};
static const char *const HAM[] = {
    "Hi, my order has not arrived yet, can you check the tracking number",
    "I would like to return the shoes I bought last week",
    "Can I change the delivery address for my order",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (!parley_crypto_init()) {
        abort();
    }
    parley_error err = {0};
    if (parley_spam_shared_create(&shared, &err) != PARLEY_OK) {
        abort();
    }
    parley_spam_shared_set_clock(shared, fake_clock, NULL);
    parley_spam_bayes_params p = PARLEY_SPAM_BAYES_DEFAULTS;
    p.flags = PARLEY_SPAM_TOKENIZE_BIGRAMS;
    bigram_model = parley_spam_model_create(&p);
    parley_spam_model *m = parley_spam_shared_model(shared);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < 3; i++) {
            parley_spam_model_train(m, SPAM[i], true);
            parley_spam_model_train(m, HAM[i], false);
            parley_spam_model_train(bigram_model, SPAM[i], true);
            parley_spam_model_train(bigram_model, HAM[i], false);
        }
    }
    const char *configs[2] = {
        "{\"name\":\"spam\",\"bayes_min_messages\":1}",
        "{\"name\":\"spam\",\"max_links\":0,\"max_mentions\":1,\"caps_ratio\":0.3,"
        "\"caps_min_letters\":1,\"max_repeat\":2,\"rate_per_minute\":1,\"burst\":1,"
        "\"max_duplicates\":1,\"bayes_threshold\":0.5,\"bayes_min_messages\":1,"
        "\"blocked_domains\":[\"example\",\"a.b\"]}",
    };
    for (int i = 0; i < 2; i++) {
        json_t *c = json_loads(configs[i], 0, NULL);
        if (c == NULL ||
            parley_spam_strategy_ops.create(c, shared, &instances[i], &err) != PARLEY_OK) {
            abort();
        }
        json_decref(c);
    }
    return 0;
}

static int check_token(parley_spam_token_kind kind, const char *token, size_t len, void *ud) {
    (void)ud;
    CHECK(len > 0 && len <= PARLEY_SPAM_TOKEN_SIZE);
    CHECK(strlen(token) == len);
    CHECK(kind != PARLEY_SPAM_TOKEN_URL || strncmp(token, "url:", 4) == 0);
    return 0;
}

static void check_verdict(double p, const parley_spam_verdict *v) {
    CHECK(p >= 0.0 && p <= 1.0);
    CHECK(v->probability == p);
    CHECK(v->top_count <= PARLEY_SPAM_BAYES_TOP);
    for (size_t i = 0; i < v->top_count; i++) {
        CHECK(v->top[i].f > 0.0 && v->top[i].f < 1.0);
        CHECK(memchr(v->top[i].token, '\0', sizeof v->top[i].token) != NULL);
        if (i > 0) {
            double a = v->top[i - 1].f - 0.5, b = v->top[i].f - 0.5;
            CHECK((a < 0 ? -a : a) >= (b < 0 ? -b : b));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    uint8_t mode = data[0];
    const char *bytes = (const char *)data + 1;
    size_t len = size - 1;
    parley_spam_tokenize(bytes, len, 0, check_token, NULL);
    parley_spam_tokenize(bytes, len, PARLEY_SPAM_TOKENIZE_BIGRAMS, check_token, NULL);

    char *text = malloc(len + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, bytes, len);
    text[len] = '\0';

    parley_spam_model *m = (mode & 2) ? bigram_model : parley_spam_shared_model(shared);
    parley_spam_verdict v;
    double p = parley_spam_model_classify(m, text, &v);
    check_verdict(p, &v);
    uint64_t s0, h0, s1, h1;
    parley_spam_model_totals(m, &s0, &h0);
    bool is_spam = (mode & 4) != 0;
    if (parley_spam_model_train(m, text, is_spam)) {
        p = parley_spam_model_classify(m, text, &v);
        check_verdict(p, &v);
        CHECK(parley_spam_model_untrain(m, text, is_spam));
    }
    parley_spam_model_totals(m, &s1, &h1);
    CHECK(s0 == s1 && h0 == h1);

    parley_spam_findings f;
    memset(&f, 0, sizeof f);
    (void)parley_spam_similarity(text, "click here to claim your free prize");

    parley_participant sender = {.ops = &parley_customer_participant_ops};
    memcpy(sender.id, "fuzz-sender", 12);
    parley_message msg = {0};
    msg.content = text;
    json_t *meta = json_object();
    parley_strategy_context ctx = {.message = &msg, .meta = meta, .sender = &sender};
    parley_error err = {0};
    fake_now += 1000;
    parley_strategy_result r = parley_spam_strategy_ops.process(instances[mode & 1], &ctx, &err);
    CHECK(r == PARLEY_STRATEGY_PASS || r == PARLEY_STRATEGY_REJECT);
    CHECK(msg.content == text);
    if (r == PARLEY_STRATEGY_REJECT) {
        CHECK((err.status == PARLEY_E_REJECTED && strcmp(err.code, "spam_detected") == 0) ||
              (err.status == PARLEY_E_RATE_LIMITED && strcmp(err.code, "rate_limited") == 0 &&
               err.retry_after_seconds >= 1));
        json_t *spam = json_object_get(meta, "spam");
        CHECK(spam != NULL);
        CHECK(json_real_value(json_object_get(spam, "score")) >= 1.0);
        CHECK(json_array_size(json_object_get(spam, "rules")) > 0);
    } else {
        CHECK(err.status == PARLEY_OK);
    }
    char *dump = json_dumps(meta, JSON_COMPACT);
    CHECK(dump != NULL);
    free(dump);
    json_decref(meta);
    free(text);
    return 0;
}
