/*
 * strategy_stubs.h - tiny message strategies for tests and the strategy
 * bench: stub_create and stub_destroy (a strategy with no state of its
 * own) for any test strategy, and two ready ones for the tests that run
 * the chain against a real database (test_chat_facade.c,
 * test_send_pipeline.c): "shout" upper-cases the content; "refuse"
 * rejects messages containing "buy now" with code spam_detected. Register
 * both with register_stub_strategies().
 *
 * Header-only (static inline: each test and the bench is its own program,
 * and a program may use only some of it). Threads: the strategies keep no
 * state, like every strategy they run on any worker.
 */
#ifndef PARLEY_TEST_STRATEGY_STUBS_H
#define PARLEY_TEST_STRATEGY_STUBS_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/strategy.h"

/* A strategy without options or state. */
static inline parley_status stub_create(const json_t *config, void *shared, parley_strategy **out,
                                        parley_error *err) {
    (void)shared;
    (void)config;
    *out = calloc(1, sizeof(parley_strategy));
    return *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "no memory");
}

static inline void stub_destroy(parley_strategy *self) {
    free(self);
}

static inline parley_strategy_result shout(parley_strategy *self, parley_strategy_context *ctx,
                                           parley_error *err) {
    (void)self;
    (void)err;
    for (char *p = ctx->message->content; *p != '\0'; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    json_object_set_new(ctx->meta, "flags", json_pack("[s]", "shouted"));
    return PARLEY_STRATEGY_MODIFIED;
}

static inline parley_strategy_result refuse(parley_strategy *self, parley_strategy_context *ctx,
                                            parley_error *err) {
    (void)self;
    if (strstr(ctx->message->content, "buy now") != NULL) {
        parley_error_set(err, PARLEY_E_REJECTED, "spam_detected", "looks like spam");
        return PARLEY_STRATEGY_REJECT;
    }
    return PARLEY_STRATEGY_PASS;
}

/* The ops of a test strategy whose instances stub_destroy frees. */
#define TEST_STRATEGY_OPS(strategy_name, version_text, text, create_fn, process_fn)                \
    {                                                                                              \
        .name = strategy_name, .version = version_text, .description = text, .create = create_fn,  \
        .process = process_fn, .destroy = stub_destroy                                             \
    }

/* ... and made by stub_create. */
#define STUB_STRATEGY_OPS(strategy_name, version_text, process_fn)                                 \
    TEST_STRATEGY_OPS(strategy_name, version_text, "test", stub_create, process_fn)

static const parley_strategy_ops shout_ops = STUB_STRATEGY_OPS("shout", "1", shout);
static const parley_strategy_ops refuse_ops = STUB_STRATEGY_OPS("refuse", "1", refuse);

static inline bool register_stub_strategies(parley_strategy_registry *registry) {
    return parley_strategy_register(registry, &shout_ops, NULL) &&
           parley_strategy_register(registry, &refuse_ops, NULL);
}

#endif
