/* The "spam" strategy: each rule fires on spam and stays quiet on ordinary
 * customer chat, staff are exempt, rate limits give 429 with a retry,
 * duplicates and near-duplicates within the window, the Bayesian model
 * (training, held-out classification, untrain, export/import, concurrent
 * use) and the tokenizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "core/ids.h"
#include "core/participant.h"
#include "core/strategy.h"
#include "strategies/spam.h"
#include "strategies/spam_tokenize.h"

static void *shared;
static int64_t fake_now;

static int64_t fake_clock(void *ud) {
    (void)ud;
    return fake_now;
}

static int setup(void **state) {
    (void)state;
    parley_error err = {0};
    assert_int_equal(parley_spam_shared_create(&shared, &err), PARLEY_OK);
    fake_now = 1000000;
    parley_spam_shared_set_clock(shared, fake_clock, NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    parley_spam_shared_free(shared);
    shared = NULL;
    return 0;
}

static parley_participant customer(const char *id) {
    parley_participant p = {.ops = &parley_customer_participant_ops};
    snprintf(p.id, sizeof p.id, "%s", id);
    return p;
}

typedef struct outcome {
    parley_strategy_result result;
    parley_error err;
    json_t *meta; /* owned */
} outcome;

/* Runs one message from sender through a fresh "spam" instance made from
 * config_json (NULL for defaults), as chat_service does per message. */
static outcome run_as(const char *config_json, const parley_participant *sender, const char *text) {
    outcome o = {0};
    json_t *config = json_loads(config_json ? config_json : "{\"name\":\"spam\"}", 0, NULL);
    assert_non_null(config);
    parley_strategy *s = NULL;
    parley_error cerr = {0};
    assert_int_equal(parley_spam_strategy_ops.create(config, shared, &s, &cerr), PARLEY_OK);
    json_decref(config);
    parley_message m = {0};
    m.content = strdup(text);
    o.meta = json_object();
    parley_strategy_context ctx = {.message = &m, .meta = o.meta, .sender = sender};
    o.result = parley_spam_strategy_ops.process(s, &ctx, &o.err);
    parley_spam_strategy_ops.destroy(s);
    free(m.content);
    return o;
}

static outcome run(const char *config_json, const char *text) {
    parley_participant p = customer("cust-1");
    return run_as(config_json, &p, text);
}

static bool meta_has_rule(const json_t *meta, const char *rule) {
    json_t *rules = json_object_get(json_object_get(meta, "spam"), "rules");
    size_t i;
    json_t *v;
    json_array_foreach(rules, i, v) {
        if (strcmp(json_string_value(v), rule) == 0) {
            return true;
        }
    }
    return false;
}

static void expect_spam(outcome *o, const char *rule) {
    assert_int_equal(o->result, PARLEY_STRATEGY_REJECT);
    assert_int_equal(o->err.status, PARLEY_E_REJECTED);
    assert_string_equal(o->err.code, "spam_detected");
    assert_true(meta_has_rule(o->meta, rule));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o->meta, "spam"), "strategy")), "spam");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o->meta, "spam"), "version")),
        PARLEY_SPAM_VERSION);
    json_decref(o->meta);
}

static void expect_clean(outcome *o) {
    if (json_object_size(o->meta) != 0) {
        char *dump = json_dumps(o->meta, JSON_COMPACT);
        print_message("unexpected meta: %s\n", dump);
        free(dump);
    }
    assert_int_equal(o->result, PARLEY_STRATEGY_PASS);
    assert_int_equal(o->err.status, PARLEY_OK);
    assert_int_equal(json_object_size(o->meta), 0);
    json_decref(o->meta);
}

static const char *const ORDINARY_CHAT[] = {
    "Hi, I ordered a blue jacket last week and it hasn't arrived yet.",
    "My order number is 48213, can you check where it is?",
    "Thanks! Also, could I change the delivery address to my office?",
    "ok",
    "ok",
    "thanks",
    "Is there a way to pay with PayPal? The card form gives me an error.",
    "Here's the screenshot: https://imgur.com/a/xyz123",
    "@anna said you could help me with the refund",
    "I'm SO happy with the service, thank you!!!",
    "Hello? Anyone there?",
    "Great, have a nice day :)",
    "Can you compare https://shop.example.com/p/1 and https://shop.example.com/p/2 for me?",
    "Ünïcödé façade naïve café — 日本語のテキストも大丈夫です",
};

static void test_ordinary_chat_passes(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof ORDINARY_CHAT / sizeof ORDINARY_CHAT[0]; i++) {
        outcome o = run(NULL, ORDINARY_CHAT[i]);
        expect_clean(&o);
        fake_now += 3000; /* a brisk but human pace */
    }
}

static void test_links(void **state) {
    (void)state;
    outcome o = run(NULL, "deals: http://a.example/1 https://b.example/2 www.c.example/3");
    expect_spam(&o, "links");
    o = run("{\"name\":\"spam\",\"max_links\":3}",
            "deals: http://a.example/1 https://b.example/2 www.c.example/3");
    expect_clean(&o);
    o = run("{\"name\":\"spam\",\"max_links\":0}", "see https://docs.example.com/help");
    expect_spam(&o, "links");
}

static void test_blocked_domain(void **state) {
    (void)state;
    const char *cfg = "{\"name\":\"spam\",\"blocked_domains\":[\"bit.ly\",\"evil.example\"]}";
    outcome o = run(cfg, "free stuff at https://bit.ly/abc");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o.meta, "spam"), "blocked_domain")),
        "bit.ly");
    expect_spam(&o, "blocked_domain");
    o = run(cfg, "look: HTTP://WWW.Shop.EVIL.example/path?q=1");
    expect_spam(&o, "blocked_domain");
    /* a different domain that merely ends with the same letters is fine */
    o = run(cfg, "docs at https://notevil.example/x and https://orbit.ly/");
    expect_clean(&o);
}

static void test_mentions(void **state) {
    (void)state;
    outcome o = run(NULL, "@a1 @b2 @c3 @d4 @e5 @f6 check this out");
    expect_spam(&o, "mentions");
    o = run(NULL, "@anna @bob @carl please look; mail me at me@example.com");
    expect_clean(&o);
}

static void test_caps_and_repeats_mark_but_do_not_reject(void **state) {
    (void)state;
    outcome o = run(NULL, "WHY IS NOBODY ANSWERING MY QUESTION");
    assert_int_equal(o.result, PARLEY_STRATEGY_PASS);
    assert_true(meta_has_rule(o.meta, "caps"));
    json_decref(o.meta);
    o = run(NULL, "helloooooooooooo there");
    assert_int_equal(o.result, PARLEY_STRATEGY_PASS);
    assert_true(meta_has_rule(o.meta, "repeat"));
    json_decref(o.meta);
    /* emoji runs count as characters, not bytes */
    o = run(NULL, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    expect_clean(&o);
    /* together with a hard rule they add to the score */
    o = run(NULL, "BUY NOW CHEAP WATCHES!!!!!!!!!!!! http://a.example http://b.example "
                  "http://c.example");
    expect_spam(&o, "links");
    /* short shouting ("OK", "URGENT") is not judged */
    o = run(NULL, "URGENT");
    expect_clean(&o);
    /* a session may make caps a hard rule by lowering nothing: caps alone
     * never rejects */
    o = run("{\"name\":\"spam\",\"caps_ratio\":0.5}", "THIS IS MOSTLY shouting here");
    assert_int_equal(o.result, PARLEY_STRATEGY_PASS);
    json_decref(o.meta);
}

static void test_staff_exempt(void **state) {
    (void)state;
    parley_participant agent = {.ops = &parley_agent_participant_ops};
    snprintf(agent.id, sizeof agent.id, "agent-1");
    for (int i = 0; i < 50; i++) {
        outcome o =
            run_as(NULL, &agent,
                   "@a @b @c @d @e @f @g see http://1.x http://2.x http://3.x NOW!!!!!!!!!!!");
        expect_clean(&o);
    }
}

static void test_rate_limit(void **state) {
    (void)state;
    const char *cfg = "{\"name\":\"spam\",\"rate_per_minute\":6,\"burst\":3}";
    parley_participant p = customer("fast-typer");
    char text[64];
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "message number %c of a few", 'a' + i);
        outcome o = run_as(cfg, &p, text);
        expect_clean(&o);
    }
    outcome o = run_as(cfg, &p, "one more message please");
    assert_int_equal(o.result, PARLEY_STRATEGY_REJECT);
    assert_int_equal(o.err.status, PARLEY_E_RATE_LIMITED);
    assert_string_equal(o.err.code, "rate_limited");
    assert_int_equal(o.err.retry_after_seconds, 10); /* 6 per minute */
    assert_true(meta_has_rule(o.meta, "rate"));
    json_decref(o.meta);
    /* another sender is not affected */
    parley_participant q = customer("someone-else");
    o = run_as(cfg, &q, "hello there");
    expect_clean(&o);
    /* after the retry time one more is allowed */
    fake_now += 10000;
    o = run_as(cfg, &p, "sorry for the wait");
    expect_clean(&o);
    o = run_as(cfg, &p, "and again");
    assert_int_equal(o.err.status, PARLEY_E_RATE_LIMITED);
    json_decref(o.meta);
    /* defaults: a burst of 10 */
    parley_participant r = customer("default-sender");
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "line %c", 'a' + i);
        o = run_as(NULL, &r, text);
        expect_clean(&o);
    }
    o = run_as(NULL, &r, "eleventh");
    assert_int_equal(o.err.status, PARLEY_E_RATE_LIMITED);
    assert_true(o.err.retry_after_seconds >= 1 && o.err.retry_after_seconds <= 2);
    json_decref(o.meta);
}

static void test_duplicates(void **state) {
    (void)state;
    parley_participant p = customer("dup");
    const char *spam = "Visit my channel for free gift cards every day";
    outcome o = run_as(NULL, &p, spam);
    expect_clean(&o);
    fake_now += 5000;
    o = run_as(NULL, &p, spam); /* one resend is normal */
    expect_clean(&o);
    fake_now += 5000;
    o = run_as(NULL, &p, spam);
    expect_spam(&o, "duplicate");
    /* another sender may say the same */
    parley_participant q = customer("other");
    o = run_as(NULL, &q, spam);
    expect_clean(&o);
    /* short messages never count */
    for (int i = 0; i < 5; i++) {
        o = run_as(NULL, &q, "ok thanks");
        expect_clean(&o);
        fake_now += 7000;
    }
    /* outside the window the copies are forgotten */
    fake_now += 301000;
    o = run_as(NULL, &p, spam);
    expect_clean(&o);
}

static void test_near_duplicates(void **state) {
    (void)state;
    parley_participant p = customer("near");
    outcome o = run_as(NULL, &p, "Earn $500 a day from home, message me on telegram now 1");
    expect_clean(&o);
    fake_now += 3000;
    o = run_as(NULL, &p, "earn $500 a day from home!! message me on telegram now 2");
    expect_clean(&o);
    fake_now += 3000;
    o = run_as(NULL, &p, "Earn $500 a day from HOME - message me on Telegram now 3");
    expect_spam(&o, "near_duplicate");
    assert_true(parley_spam_similarity("the quick brown fox jumps over the lazy dog",
                                       "the quick brown fox jumps over the lazy dog!") > 0.99);
    assert_true(parley_spam_similarity("the quick brown fox jumps over the lazy dog",
                                       "could you check my order status please") < 0.2);
    /* different questions from one customer are not near-duplicates */
    parley_participant q = customer("asker");
    o = run_as(NULL, &q, "Where is my order? It was due on Monday.");
    expect_clean(&o);
    o = run_as(NULL, &q, "Can I return the shoes if they do not fit?");
    expect_clean(&o);
    o = run_as(NULL, &q, "Do you ship to Canada, and how long does it take?");
    expect_clean(&o);
}

static void test_bad_options_refused(void **state) {
    (void)state;
    const char *bad[] = {
        "{\"name\":\"spam\",\"max_links\":\"two\"}",
        "{\"name\":\"spam\",\"caps_ratio\":2}",
        "{\"name\":\"spam\",\"blocked_domains\":\"bit.ly\"}",
        "{\"name\":\"spam\",\"blocked_domains\":[1]}",
        "{\"name\":\"spam\",\"bayes_threshold\":0.1}",
        "{\"name\":\"spam\",\"no_such_option\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *config = json_loads(bad[i], 0, NULL);
        parley_strategy *s = NULL;
        parley_error err = {0};
        assert_int_equal(parley_spam_strategy_ops.create(config, shared, &s, &err),
                         PARLEY_E_INVALID);
        assert_string_equal(err.code, "validation_failed");
        assert_null(s);
        json_decref(config);
    }
    json_t *d = parley_spam_strategy_ops.describe(shared);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(d, "options"), "max_links"), "default")),
                     2);
    json_decref(d);
}

static void test_through_the_chain(void **state) {
    (void)state;
    parley_strategy_registry registry;
    memset(&registry, 0, sizeof registry);
    assert_true(parley_strategy_register(&registry, &parley_spam_strategy_ops, shared));
    json_t *described = parley_strategy_registry_describe(&registry);
    assert_string_equal(json_string_value(json_object_get(json_array_get(described, 0), "name")),
                        "spam");
    json_decref(described);
    parley_strategy *chain = NULL;
    parley_error err = {0};
    assert_int_equal(parley_strategy_chain_build(&registry, "[{\"name\":\"spam\",\"max_links\":0}]",
                                                 &chain, &err),
                     PARLEY_OK);
    parley_participant p = customer("chain-user");
    parley_message m = {0};
    m.content = strdup("see https://example.com");
    json_t *meta = json_object();
    parley_strategy_context ctx = {.message = &m, .meta = meta, .sender = &p};
    assert_int_equal(parley_strategy_chain_run(chain, &ctx, &err), PARLEY_STRATEGY_REJECT);
    assert_int_equal(err.status, PARLEY_E_REJECTED);
    assert_string_equal(err.code, "spam_detected");
    assert_true(meta_has_rule(meta, "links"));
    json_t *step = json_array_get(json_object_get(meta, "processing"), 0);
    assert_string_equal(json_string_value(json_object_get(step, "strategy")), "spam");
    assert_string_equal(json_string_value(json_object_get(step, "version")), PARLEY_SPAM_VERSION);
    json_decref(meta);
    free(m.content);
    parley_strategy_chain_free(chain);
    /* bad options are refused when the chain is built */
    assert_int_equal(parley_strategy_chain_build(&registry, "[{\"name\":\"spam\",\"burst\":\"x\"}]",
                                                 &chain, &err),
                     PARLEY_E_INVALID);
}

/* ---- Bayesian model ---- */

static const char *const TRAIN_SPAM[] = {
    "Congratulations you won a free iPhone, click here to claim your prize",
    "Cheap viagra pills online, best price guaranteed, order now",
    "Earn money fast working from home, guaranteed income, click the link",
    "You have been selected for a cash prize, claim now before it expires",
    "Hot singles in your area want to meet you, click here",
    "Buy cheap followers and likes, best price, order now",
    "Limited offer: free gift card, claim your reward now",
    "Make money online with this one weird trick, guaranteed",
    "Crypto investment opportunity, double your bitcoin guaranteed",
    "Winner! Your free vacation prize is waiting, click to claim",
    "Lowest price replica watches, order now, free shipping",
    "Get rich quick, investment guaranteed, limited offer",
};
static const char *const TRAIN_HAM[] = {
    "Hi, my order has not arrived yet, can you check the tracking number",
    "I would like to return the shoes I bought last week",
    "Can I change the delivery address for my order",
    "The payment page shows an error when I enter my card",
    "Thanks for your help, the refund arrived today",
    "Do you have this jacket in a medium size",
    "How long does shipping to Germany usually take",
    "My account password reset email never came",
    "Is the store open on Sunday afternoon",
    "I need an invoice for my last purchase please",
    "The product description says waterproof but it leaks",
    "Could you help me cancel my subscription",
};

static void train_small(parley_spam_model *m) {
    for (size_t i = 0; i < sizeof TRAIN_SPAM / sizeof TRAIN_SPAM[0]; i++) {
        assert_true(parley_spam_model_train(m, TRAIN_SPAM[i], true));
    }
    for (size_t i = 0; i < sizeof TRAIN_HAM / sizeof TRAIN_HAM[0]; i++) {
        assert_true(parley_spam_model_train(m, TRAIN_HAM[i], false));
    }
}

static void test_bayes_classifies_held_out(void **state) {
    (void)state;
    parley_spam_model *m = parley_spam_model_create(NULL);
    assert_non_null(m);
    assert_true(parley_spam_model_classify(m, "anything at all", NULL) == 0.5);
    train_small(m);
    uint64_t s = 0, h = 0;
    parley_spam_model_totals(m, &s, &h);
    assert_int_equal(s, 12);
    assert_int_equal(h, 12);
    const char *held_spam[] = {"Click here to claim your free prize now, guaranteed",
                               "Cheap pills, best price, order now"};
    const char *held_ham[] = {"Can you check why my order has not arrived",
                              "I need help with the refund for my shoes"};
    for (size_t i = 0; i < 2; i++) {
        parley_spam_verdict v;
        double p = parley_spam_model_classify(m, held_spam[i], &v);
        assert_true(p >= 0.9);
        assert_true(v.tokens_used > 0 && v.top_count > 0);
        assert_true(v.top[0].f > 0.5);
        p = parley_spam_model_classify(m, held_ham[i], &v);
        assert_true(p <= 0.1);
        assert_true(p >= 0.0);
    }
    parley_spam_model_free(m);
}

static void test_bayes_in_strategy(void **state) {
    (void)state;
    parley_spam_model *m = parley_spam_shared_model(shared);
    /* an untrained model never decides */
    outcome o = run(NULL, "Click here to claim your free prize now, guaranteed");
    expect_clean(&o);
    train_small(m);
    o = run(NULL, "Click here to claim your free prize now, guaranteed");
    expect_spam(&o, "bayes");
    json_t *sp = json_object_get(o.meta, "spam");
    (void)sp;
    o = run(NULL, "Can you check why my order has not arrived");
    expect_clean(&o);
    /* the threshold is per session */
    o = run("{\"name\":\"spam\",\"bayes_threshold\":1.01}",
            "Cheap pills, best price, order now, claim your prize");
    expect_clean(&o);
}

typedef struct count_copy {
    parley_spam_model *dst;
    size_t n;
} count_copy;

static int copy_token(const char *token, uint64_t spam, uint64_t ham, void *ud) {
    count_copy *c = ud;
    c->n++;
    assert_true(parley_spam_model_set_token(c->dst, token, spam, ham));
    return 0;
}

static int count_tok(const char *token, void *ud) {
    assert_true(token[0] != '\0');
    (*(size_t *)ud)++;
    return 0;
}

static void test_untrain_and_export_import(void **state) {
    (void)state;
    size_t distinct = 0;
    parley_spam_model *m = parley_spam_model_create(NULL);
    train_small(m);
    size_t size = parley_spam_model_size(m);
    uint64_t s0, h0;
    parley_spam_model_token_counts(m, "claim", &s0, &h0);
    assert_true(s0 >= 3);
    assert_int_equal(h0, 0);
    const char *text = "claim your order now, totally new word zyzzyva";
    assert_true(parley_spam_model_train(m, text, true));
    uint64_t s1, h1;
    parley_spam_model_token_counts(m, "claim", &s1, &h1);
    assert_int_equal(s1, s0 + 1);
    parley_spam_model_token_counts(m, "zyzzyva", &s1, &h1);
    assert_int_equal(s1, 1);
    /* an agent corrects the label: untrain spam, train ham */
    assert_true(parley_spam_model_untrain(m, text, true));
    parley_spam_model_token_counts(m, "claim", &s1, &h1);
    assert_int_equal(s1, s0);
    parley_spam_model_token_counts(m, "zyzzyva", &s1, &h1);
    assert_int_equal(s1 + h1, 0);
    assert_int_equal(parley_spam_model_size(m), size);
    uint64_t ts, th;
    parley_spam_model_totals(m, &ts, &th);
    assert_int_equal(ts, 12);
    assert_int_equal(th, 12);

    /* the tokens a training step counts, for delta persistence */
    assert_int_equal(parley_spam_model_text_tokens(m, "Claim claim CLAIM your prize 42 42",
                                                   count_tok, &distinct),
                     4); /* claim, your, prize, #num */
    assert_int_equal(distinct, 4);

    /* round trip */
    parley_spam_model *copy = parley_spam_model_create(NULL);
    count_copy cc = {.dst = copy};
    assert_int_equal(parley_spam_model_export(m, copy_token, &cc), size);
    assert_int_equal(cc.n, size);
    parley_spam_model_set_totals(copy, ts, th);
    assert_int_equal(parley_spam_model_size(copy), size);
    const char *probe[] = {"Click here to claim your free prize now", "Where is my order",
                           "random words nobody trained"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(parley_spam_model_classify(m, probe[i], NULL) ==
                    parley_spam_model_classify(copy, probe[i], NULL));
    }
    assert_false(parley_spam_model_set_token(copy, "", 1, 1));
    assert_true(parley_spam_model_set_token(copy, "claim", 0, 0));
    parley_spam_model_token_counts(copy, "claim", &s1, &h1);
    assert_int_equal(s1 + h1, 0);
    parley_spam_model_clear(copy);
    assert_int_equal(parley_spam_model_size(copy), 0);
    parley_spam_model_free(copy);
    parley_spam_model_free(m);
}

typedef struct worker_arg {
    parley_spam_model *m;
    int bad;
} worker_arg;

static void *classify_worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < 300; i++) {
        double s = parley_spam_model_classify(a->m, TRAIN_SPAM[i % 12], NULL);
        double h = parley_spam_model_classify(a->m, TRAIN_HAM[i % 12], NULL);
        if (!(s >= 0.0 && s <= 1.0 && h >= 0.0 && h <= 1.0) || s < h) {
            a->bad++;
        }
    }
    return NULL;
}

static void *train_worker(void *p) {
    worker_arg *a = p;
    char text[128];
    for (int i = 0; i < 300; i++) {
        snprintf(text, sizeof text, "extra training text number w%d about prize and order", i);
        parley_spam_model_train(a->m, text, (i & 1) != 0);
        if (i % 3 == 0) {
            parley_spam_model_untrain(a->m, text, (i & 1) != 0);
        }
    }
    return NULL;
}

static void test_concurrent_classify_and_train(void **state) {
    (void)state;
    parley_spam_model *m = parley_spam_model_create(NULL);
    train_small(m);
    pthread_t t[5];
    worker_arg args[5];
    for (int i = 0; i < 5; i++) {
        args[i] = (worker_arg){.m = m};
        assert_int_equal(
            pthread_create(&t[i], NULL, i == 4 ? train_worker : classify_worker, &args[i]), 0);
    }
    for (int i = 0; i < 5; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    uint64_t s, h;
    parley_spam_model_totals(m, &s, &h);
    assert_int_equal(s + h, 24 + 200);
    parley_spam_model_free(m);
}

/* ---- tokenizer ---- */

typedef struct tok_list {
    char items[64][PARLEY_SPAM_TOKEN_SIZE + 1];
    int kinds[64];
    size_t n;
} tok_list;

static int keep(parley_spam_token_kind kind, const char *token, size_t len, void *ud) {
    tok_list *l = ud;
    assert_int_equal(strlen(token), len);
    if (l->n < 64) {
        memcpy(l->items[l->n], token, len + 1);
        l->kinds[l->n++] = (int)kind;
    }
    return 0;
}

static void test_tokenizer(void **state) {
    (void)state;
    tok_list l = {0};
    const char *t = "Hello WORLD, call 555-1234 at https://WWW.Example.COM/x?y=1 or a b "
                    "caf\xC3\xA9";
    parley_spam_tokenize(t, strlen(t), 0, keep, &l);
    const char *want[] = {"hello", "world",           "call", "#num",       "#num",
                          "at",    "url:example.com", "or",   "caf\xC3\xA9"};
    assert_int_equal(l.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(l.items[i], want[i]);
    }
    assert_int_equal(l.kinds[6], PARLEY_SPAM_TOKEN_URL);
    memset(&l, 0, sizeof l);
    parley_spam_tokenize("free money now", 14, PARLEY_SPAM_TOKENIZE_BIGRAMS, keep, &l);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.items[2], "free money");
    assert_string_equal(l.items[4], "money now");
    /* bytes that are not UTF-8, NULs, a bare scheme */
    memset(&l, 0, sizeof l);
    const char junk[] = "\xFF\xFEhttp://\0www.\x80\x80 https://";
    parley_spam_tokenize(junk, sizeof junk - 1, 0, keep, &l);
    for (size_t i = 0; i < l.n; i++) {
        assert_true(strlen(l.items[i]) > 0);
    }
}

int main(void) {
    if (!parley_crypto_init()) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_ordinary_chat_passes),
        FIXTURE_TEST(test_links),
        FIXTURE_TEST(test_blocked_domain),
        FIXTURE_TEST(test_mentions),
        FIXTURE_TEST(test_caps_and_repeats_mark_but_do_not_reject),
        FIXTURE_TEST(test_staff_exempt),
        FIXTURE_TEST(test_rate_limit),
        FIXTURE_TEST(test_duplicates),
        FIXTURE_TEST(test_near_duplicates),
        FIXTURE_TEST(test_bad_options_refused),
        FIXTURE_TEST(test_through_the_chain),
        cmocka_unit_test(test_bayes_classifies_held_out),
        FIXTURE_TEST(test_bayes_in_strategy),
        cmocka_unit_test(test_untrain_and_export_import),
        cmocka_unit_test(test_concurrent_classify_and_train),
        cmocka_unit_test(test_tokenizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
