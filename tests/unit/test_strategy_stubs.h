/*
 * test_strategy_stubs.h - two tiny strategies for unit tests that run the
 * chain against a real database (test_chat_facade.c, test_send_pipeline.c):
 * "shout" upper-cases the content; "refuse" rejects messages containing
 * "buy now" with code spam_detected. Register both with
 * register_stub_strategies(). Header-only: each test is its own program.
 */
#ifndef PARLEY_TEST_STRATEGY_STUBS_H
#define PARLEY_TEST_STRATEGY_STUBS_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/strategy.h"

static parley_status simple_create(const json_t *config, void *shared, parley_strategy **out,
                                   parley_error *err) {
    (void)shared;
    (void)config;
    (void)err;
    *out = calloc(1, sizeof(parley_strategy));
    return PARLEY_OK;
}

static void simple_destroy(parley_strategy *self) {
    free(self);
}

static parley_strategy_result shout(parley_strategy *self, parley_strategy_context *ctx,
                                    parley_error *err) {
    (void)self;
    (void)err;
    for (char *p = ctx->message->content; *p != '\0'; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    json_object_set_new(ctx->meta, "flags", json_pack("[s]", "shouted"));
    return PARLEY_STRATEGY_MODIFIED;
}

static parley_strategy_result refuse(parley_strategy *self, parley_strategy_context *ctx,
                                     parley_error *err) {
    (void)self;
    if (strstr(ctx->message->content, "buy now") != NULL) {
        parley_error_set(err, PARLEY_E_REJECTED, "spam_detected", "looks like spam");
        return PARLEY_STRATEGY_REJECT;
    }
    return PARLEY_STRATEGY_PASS;
}

static const parley_strategy_ops shout_ops = {.name = "shout",
                                              .version = "1",
                                              .description = "test",
                                              .create = simple_create,
                                              .process = shout,
                                              .destroy = simple_destroy};
static const parley_strategy_ops refuse_ops = {.name = "refuse",
                                               .version = "1",
                                               .description = "test",
                                               .create = simple_create,
                                               .process = refuse,
                                               .destroy = simple_destroy};

static bool register_stub_strategies(parley_strategy_registry *registry) {
    return parley_strategy_register(registry, &shout_ops, NULL) &&
           parley_strategy_register(registry, &refuse_ops, NULL);
}

#endif
