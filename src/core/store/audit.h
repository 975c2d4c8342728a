/*
 * store/audit.h - the audit aggregate: the append-only audit log.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->audit at its parley_audit_ops; callers write
 * repo->audit->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/audit.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_AUDIT_H
#define PARLEY_STORE_AUDIT_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_audit_ops {
    /* the audit log: append-only; listed newest first, cursor-paged; action
     * and actor_id (NULL = any) keep only the entries of that action and of
     * that actor (the filter runs in the query, so pages are full) */
    parley_status (*insert)(parley_repository *repo, const parley_audit_entry *e,
                            parley_error *err);
    parley_status (*list)(parley_repository *repo, const char *action, const char *actor_id,
                          int limit, const char *cursor, parley_audit_list *out,
                          char *next_cursor_out, size_t next_cursor_size, parley_error *err);
} parley_audit_ops;

#endif
