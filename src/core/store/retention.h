/*
 * store/retention.h - the retention aggregate: the purges of what has
 * outlived its use (core/retention.h decides when and how much).
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->retention at its parley_retention_ops; callers write
 * repo->retention->op(repo, ...). Ownership, threads, transactions and
 * result codes are the Repository's (see there).
 *
 * Kept as one aggregate rather than spread over accounts, audit and
 * uploads: the purges share one contract (a bounded, oldest-first batch
 * walking an index of what qualifies, schema step 12), they reach across
 * tables (a customer's purge probes sessions and tokens, an upload's
 * reports file hashes), and core/retention.c is their one caller. Like
 * reports and search, a concern rather than a table.
 *
 * Every purge deletes at most `limit` rows (1..100000; anything else is
 * PARLEY_E_INVALID), oldest first, in the caller's unit (the writer's),
 * so one call costs what it deletes; *deleted gets how many (0 on error).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/retention.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_RETENTION_H
#define PARLEY_STORE_RETENTION_H

#include <stdint.h>

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_retention_ops {
    /* tokens that no longer work: expires_at <= now, or last_used_at <=
     * idle_before (account_service.c refuses exactly these) */
    parley_status (*purge_tokens)(parley_repository *repo, parley_time_ms now,
                                  parley_time_ms idle_before, int limit, int64_t *deleted,
                                  parley_error *err);
    /* customers without an identifier, created before `before`, who never
     * started a session and hold no token (not even an expired one) */
    parley_status (*purge_customers)(parley_repository *repo, parley_time_ms before, int limit,
                                     int64_t *deleted, parley_error *err);
    /* audit entries written before `before` */
    parley_status (*purge_audit)(parley_repository *repo, parley_time_ms before, int limit,
                                 int64_t *deleted, parley_error *err);
    /* uploads no message references, created before `before`; then calls
     * unreferenced(ctx, sha256) once for each of their content hashes that
     * no remaining upload row names (the file may go once this commits) */
    parley_status (*purge_uploads)(parley_repository *repo, parley_time_ms before, int limit,
                                   int64_t *deleted,
                                   void (*unreferenced)(void *ctx, const char *sha256), void *ctx,
                                   parley_error *err);
    /* notifications created before `before` none of whose deliveries is
     * still to be tried (every one sent or dead), with their deliveries and
     * those deliveries' webhook attempts; *deleted counts notifications */
    parley_status (*purge_notifications)(parley_repository *repo, parley_time_ms before, int limit,
                                         int64_t *deleted, parley_error *err);
    /* password resets that can no longer be used: expires_at <= now (a
     * used one expires like the others; until then it answers "used") */
    parley_status (*purge_password_resets)(parley_repository *repo, parley_time_ms now, int limit,
                                           int64_t *deleted, parley_error *err);
} parley_retention_ops;

#endif
