/*
 * strategy.h - the seed's MessageProcessingStrategy: an ops table every
 * message filter implements, chained per session in the order the session
 * names them (curl-style {ops, next} links).
 *
 * A strategy sees the message before it is stored and may pass it, modify
 * it (replace content, add to meta) or reject it with an error that the
 * sender receives (422 and a specific code such as "spam_detected").
 *
 * Ownership: the registry holds borrowed pointers to static ops tables. A
 * chain built by parley_strategy_chain_build() is owned by the caller and
 * freed with parley_strategy_chain_free().
 * Threads: register strategies once at start (main thread) before workers
 * run; afterwards the registry is read-only and shared. A chain is used by
 * one thread at a time.
 */
#ifndef PARLEY_STRATEGY_H
#define PARLEY_STRATEGY_H

#include <jansson.h>

#include "core/after_commit.h"
#include "util/error.h"
#include "core/model.h"

typedef struct parley_participant parley_participant;
typedef struct parley_strategy parley_strategy;

typedef enum parley_strategy_result {
    PARLEY_STRATEGY_PASS = 0,
    PARLEY_STRATEGY_MODIFIED,
    PARLEY_STRATEGY_REJECT
} parley_strategy_result;

/* What a strategy may look at and change. message->content may be replaced
 * (free the old, store a malloc'd new one); meta is a JSON object whose keys
 * are merged into the stored message. repo is the running worker's
 * repository for reads: usually a pool thread's connection in autocommit
 * (the prepare step), the writer's for sessions it handles in one unit, so
 * a strategy must not write through it (may be NULL in tests). Strategies
 * run on any worker thread, several at once: shared state needs locks. */
typedef struct parley_repository parley_repository;
typedef struct parley_strategy_context {
    parley_message *message;
    json_t *meta;
    const parley_session *session;
    const parley_participant *sender;
    parley_repository *repo;
} parley_strategy_context;

typedef struct parley_strategy_ops {
    const char *name;        /* as named in a session's strategies list */
    const char *version;     /* recorded on every message it touches */
    const char *description; /* for GET /api/v1/strategies */
    /* config is the session's entry ({"name": ..., options...}); shared is
     * what was given at registration (models, word lists, pools), owned by
     * whoever registered it and alive for the server's lifetime. */
    parley_status (*create)(const json_t *config, void *shared, parley_strategy **out,
                            parley_error *err);
    /* On REJECT, fill err (status PARLEY_E_REJECTED or PARLEY_E_RATE_LIMITED). */
    parley_strategy_result (*process)(parley_strategy *self, parley_strategy_context *ctx,
                                      parley_error *err);
    void (*destroy)(parley_strategy *self);
    /* Optional: options and extras for GET /api/v1/strategies (e.g. the
     * installed language pairs); a new reference or NULL. */
    json_t *(*describe)(void *shared);
} parley_strategy_ops;

/* Every strategy instance starts with this. */
struct parley_strategy {
    const parley_strategy_ops *ops;
    parley_strategy *next;
};

/* The start of a create that needs its shared state: a zeroed instance of
 * size bytes (a struct whose first member is its parley_strategy, ops set).
 * NULL with err filled when shared is NULL ("<name>: registered without
 * shared state", internal) or when out of memory; err (not NULL) says
 * which. */
void *parley_strategy_new(const parley_strategy_ops *ops, size_t size, const void *shared,
                          parley_error *err);

/* Reads a session's entry: option(ctx, key, value, err) for each member
 * but "name", in order, stopping at the first that fails (an unknown key is
 * the option function's to refuse). */
typedef parley_status (*parley_strategy_option_fn)(void *ctx, const char *key, const json_t *value,
                                                   parley_error *err);
parley_status parley_strategy_each_option(const json_t *config, parley_strategy_option_fn option,
                                          void *ctx, parley_error *err);

/* Agents teach the spam filter (POST /messages/{id}/spam): text is what the
 * sender wrote, repo the running unit's repository (to persist what was
 * learnt, inside the unit), after the unit's after-commit queue (the live
 * model changes only once the counts are committed). Set by whoever
 * registered a learning spam strategy. */
typedef parley_status (*parley_spam_learn_fn)(void *ctx, const char *text, bool is_spam,
                                              parley_repository *repo, parley_after_commit *after,
                                              parley_error *err);
/* Forgets one earlier lesson (an agent changed their mind). */
typedef parley_status (*parley_spam_unlearn_fn)(void *ctx, const char *text, bool was_spam,
                                                parley_repository *repo, parley_after_commit *after,
                                                parley_error *err);

/* Translates text (source detected when from is NULL) into to over the
 * translation strategy's routes (issue 16: the bot's knowledge-base
 * answers in the customer's language). Fills *from_out (a static code)
 * and pair (the route, as the strategy records it). A malloc'd
 * translation, or NULL when there is no route, the source is unknown or
 * already to, or the backend failed. Any worker thread, never the event
 * loop nor the writer: it takes milliseconds. Set by whoever registered
 * the translation strategy. */
typedef char *(*parley_translate_text_fn)(void *ctx, const char *from, const char *to,
                                          const char *text, const char **from_out, char *pair,
                                          size_t pair_size);

#define PARLEY_STRATEGY_REGISTRY_MAX 32
typedef struct parley_strategy_registry {
    const parley_strategy_ops *ops[PARLEY_STRATEGY_REGISTRY_MAX];
    void *shared[PARLEY_STRATEGY_REGISTRY_MAX];
    size_t count;
    parley_spam_learn_fn learn_spam; /* NULL: no strategy learns */
    parley_spam_unlearn_fn unlearn_spam;
    void *learn_spam_ctx;
    parley_translate_text_fn translate_text; /* NULL: nothing translates */
    void *translate_ctx;
} parley_strategy_registry;

/* Adds ops with its shared state (may be NULL); false when full or the
 * name is taken. */
bool parley_strategy_register(parley_strategy_registry *registry, const parley_strategy_ops *ops,
                              void *shared);

/* The registered strategies as [{name, version, description, ...describe}]. */
json_t *parley_strategy_registry_describe(const parley_strategy_registry *registry);
const parley_strategy_ops *parley_strategy_find(const parley_strategy_registry *registry,
                                                const char *name);

/* Builds the chain from a JSON array text (NULL or "[]" gives an empty
 * chain, *head = NULL). Unknown names or bad shapes -> PARLEY_E_INVALID. */
parley_status parley_strategy_chain_build(const parley_strategy_registry *registry,
                                          const char *strategies_json, parley_strategy **head,
                                          parley_error *err);

/* Runs the chain in order, stopping at the first rejection. Each step that
 * modifies or rejects is recorded in ctx->meta["processing"] as
 * {strategy, version, result}. Returns MODIFIED if any step modified. */
parley_strategy_result parley_strategy_chain_run(parley_strategy *head,
                                                 parley_strategy_context *ctx, parley_error *err);

void parley_strategy_chain_free(parley_strategy *head);

#endif
