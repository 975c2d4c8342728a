/* The MessageProcessingStrategy chain: order, pass/modify/reject, options,
 * and what is recorded on the message. Uses small test strategies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strategy_stubs.h"
#include "core/strategy.h"

/* "append": appends its "suffix" option to the content. */
typedef struct append_strategy {
    parley_strategy base;
    char suffix[32];
} append_strategy;

static parley_status append_create(const json_t *config, void *shared, parley_strategy **out,
                                   parley_error *err) {
    (void)shared;
    const char *suffix = json_string_value(json_object_get(config, "suffix"));
    if (suffix == NULL || strlen(suffix) >= 32) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "append: suffix is required");
    }
    append_strategy *s = calloc(1, sizeof *s);
    strcpy(s->suffix, suffix);
    *out = &s->base;
    return PARLEY_OK;
}

static parley_strategy_result append_process(parley_strategy *self, parley_strategy_context *ctx,
                                             parley_error *err) {
    (void)err;
    append_strategy *s = (append_strategy *)self;
    size_t n = strlen(ctx->message->content) + strlen(s->suffix) + 1;
    char *next = malloc(n);
    strcpy(next, ctx->message->content);
    strcat(next, s->suffix);
    free(ctx->message->content);
    ctx->message->content = next;
    return PARLEY_STRATEGY_MODIFIED;
}

static const parley_strategy_ops append_ops =
    TEST_STRATEGY_OPS("append", "1.0", "test: appends a suffix", append_create, append_process);

/* "block": rejects messages containing "forbidden". */
static int block_calls;

static parley_strategy_result block_process(parley_strategy *self, parley_strategy_context *ctx,
                                            parley_error *err) {
    (void)self;
    block_calls++;
    if (strstr(ctx->message->content, "forbidden") != NULL) {
        parley_error_set(err, PARLEY_E_REJECTED, "blocked_word", "contains a blocked word");
        return PARLEY_STRATEGY_REJECT;
    }
    return PARLEY_STRATEGY_PASS;
}

static const parley_strategy_ops block_ops =
    TEST_STRATEGY_OPS("block", "2.1", "test: blocks a word", stub_create, block_process);

static parley_strategy_registry registry;

static int setup(void **state) {
    (void)state;
    memset(&registry, 0, sizeof registry);
    assert_true(parley_strategy_register(&registry, &append_ops, NULL));
    assert_true(parley_strategy_register(&registry, &block_ops, NULL));
    block_calls = 0;
    return 0;
}

/* What a chain made of one message: its result, the content and meta
 * after it, its error. */
typedef struct chain_run {
    parley_strategy_result result;
    char *content;
    json_t *meta;
    parley_error err;
} chain_run;

static chain_run run(const char *chain_json, const char *content) {
    chain_run r = {0};
    parley_strategy *chain = NULL;
    assert_int_equal(parley_strategy_chain_build(&registry, chain_json, &chain, &r.err), PARLEY_OK);
    parley_message m = {0};
    m.content = strdup(content);
    r.meta = json_object();
    parley_strategy_context ctx = {.message = &m, .meta = r.meta};
    r.result = parley_strategy_chain_run(chain, &ctx, &r.err);
    parley_strategy_chain_free(chain);
    r.content = m.content;
    return r;
}

static void run_free(chain_run *r) {
    free(r->content);
    json_decref(r->meta);
}

/* One field of step i of the processing log. */
static const char *step_field(const chain_run *r, size_t i, const char *field) {
    json_t *step = json_array_get(json_object_get(r->meta, "processing"), i);
    return json_string_value(json_object_get(step, field));
}

static void test_registry_refuses_duplicates(void **state) {
    (void)state;
    assert_false(parley_strategy_register(&registry, &append_ops, NULL));
    assert_ptr_equal(parley_strategy_find(&registry, "block"), &block_ops);
    assert_null(parley_strategy_find(&registry, "spam"));
}

static void test_empty_chain_passes_unchanged(void **state) {
    (void)state;
    chain_run r = run("[]", "hello");
    assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
    assert_string_equal(r.content, "hello");
    assert_int_equal(json_object_size(r.meta), 0);
    run_free(&r);
}

static void test_chain_runs_in_order(void **state) {
    (void)state;
    chain_run r = run("[{\"name\":\"append\",\"suffix\":\"-a\"},{\"name\":\"block\"},"
                      "{\"name\":\"append\",\"suffix\":\"-b\"}]",
                      "x");
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(r.content, "x-a-b"); /* -a before -b: the listed order */
    /* passes are not recorded */
    assert_int_equal(json_array_size(json_object_get(r.meta, "processing")), 2);
    assert_string_equal(step_field(&r, 0, "strategy"), "append");
    assert_string_equal(step_field(&r, 0, "version"), "1.0");
    assert_int_equal(block_calls, 1);
    run_free(&r);
}

static void test_reject_stops_the_chain(void **state) {
    (void)state;
    chain_run r =
        run("[{\"name\":\"block\"},{\"name\":\"append\",\"suffix\":\"-z\"}]", "a forbidden word");
    assert_int_equal(r.result, PARLEY_STRATEGY_REJECT);
    assert_int_equal(r.err.status, PARLEY_E_REJECTED);
    assert_string_equal(r.err.code, "blocked_word");
    assert_string_equal(r.content, "a forbidden word"); /* the later append never ran */
    assert_string_equal(step_field(&r, 0, "result"), "rejected");
    assert_string_equal(step_field(&r, 0, "strategy"), "block");
    run_free(&r);
}

static void test_build_rejects_bad_chains(void **state) {
    (void)state;
    const char *bad[] = {"{}",
                         "[1]",
                         "[{\"nam\":\"block\"}]",
                         "[{\"name\":\"spam\"}]",
                         "[{\"name\":\"append\"}]",
                         "not json",
                         "[{\"name\":7}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parley_strategy *chain = (parley_strategy *)0x1;
        parley_error err = {0};
        assert_int_equal(parley_strategy_chain_build(&registry, bad[i], &chain, &err),
                         PARLEY_E_INVALID);
        assert_null(chain);
        assert_string_equal(err.code, "validation_failed");
        assert_true(strlen(err.message) > 0);
    }
}

static void test_build_cleans_up_partial_chains(void **state) {
    (void)state;
    /* the second entry fails after the first was created: no leak (ASan) */
    parley_strategy *chain = NULL;
    parley_error err = {0};
    assert_int_equal(parley_strategy_chain_build(
                         &registry, "[{\"name\":\"block\"},{\"name\":\"append\"}]", &chain, &err),
                     PARLEY_E_INVALID);
    assert_null(chain);
    assert_non_null(strstr(err.message, "suffix"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registry_refuses_duplicates, setup),
        cmocka_unit_test_setup(test_empty_chain_passes_unchanged, setup),
        cmocka_unit_test_setup(test_chain_runs_in_order, setup),
        cmocka_unit_test_setup(test_reject_stops_the_chain, setup),
        cmocka_unit_test_setup(test_build_rejects_bad_chains, setup),
        cmocka_unit_test_setup(test_build_cleans_up_partial_chains, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
