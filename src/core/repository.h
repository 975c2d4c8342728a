/*
 * repository.h - the seed's Repository: the handle every storage backend
 * (SQLite now, PostgreSQL later) hands out, and the umbrella header of its
 * ops tables.
 *
 * The handle carries the lifecycle and transaction ops (repo->ops) and one
 * const ops table per aggregate, each declared with its contracts in its
 * own header under core/store/:
 *
 *   repo->sessions         store/sessions.h         sessions, lifecycle
 *   repo->messages         store/messages.h         messages, seq (store)
 *   repo->accounts         store/accounts.h         customers, agents, bots, tokens
 *   repo->tickets          store/tickets.h          tickets, ticket notes, feedback
 *   repo->desk             store/desk.h             presence, routing, queue, teams
 *   repo->tools            store/tools.h            canned, notes, receipts, labels
 *   repo->kb               store/kb.h               knowledge base, bot failures
 *   repo->strategy_stores  store/strategy_stores.h  flagged, labels, spam, allowlist
 *   repo->reports          store/reports.h          report aggregates
 *   repo->search           store/search.h           full-text index and search
 *   repo->retention        store/retention.h        purges of expired rows
 *   repo->audit            store/audit.h            audit log
 *   repo->uploads          store/uploads.h          attachment metadata
 *   repo->settings         store/settings.h         desk settings
 *
 * A call reads repo->sessions->get(repo, id, &out, err). A new op goes into
 * its aggregate's header and into each backend's file of that aggregate
 * (storage/<backend>/<aggregate>.c); a new aggregate adds a header here, a
 * field below and a file per backend. Backends are chosen by database URL
 * through storage/backend.h.
 *
 * Ownership: a backend allocates its own struct that embeds
 * parley_repository first, points every table below at its static const
 * tables, and frees the handle in ops->close(). Output structs are
 * owned by the caller, who frees them with the model's *_free(); on error
 * the backend leaves outputs zeroed.
 *
 * Threads: one repository handle (one connection) is used by one thread at
 * a time. The server opens one handle per worker thread; none is ever used
 * on the event-loop thread.
 *
 * Transactions: begin/commit/rollback bracket a batch; savepoint/release/
 * rollback_to nest one unit of work inside it, so a batch of many requests
 * commits once (group commit) while each request stays all-or-nothing.
 * rollback_to undoes the unit and ends it (no release afterwards); rollback
 * with no open transaction succeeds (SQLite may have rolled back already).
 *
 * Results: PARLEY_OK, PARLEY_E_NOT_FOUND (get/update of a missing row),
 * PARLEY_E_CONFLICT (a unique key already taken), PARLEY_E_UNAVAILABLE
 * (database busy/locked), PARLEY_E_STORAGE (anything else; err says what).
 *
 * Expected conflicts are results. A statement that fails (a unique key
 * taken, a foreign key missing) leaves an SQLite transaction usable, but
 * aborts a PostgreSQL one: every later statement fails until it rolls
 * back. So no unit runs another statement after a write that failed. An
 * outcome a caller expects and goes on from (a retry of a stored message,
 * a row already there, a closed session) is the op's result, reported with
 * PARLEY_OK: an outcome enum (messages->store), an added/found flag
 * (desk->team_member_add). A backend reaches it without a failing
 * statement (a lookup first, INSERT ... ON CONFLICT DO NOTHING, one
 * function). PARLEY_E_CONFLICT is for a taken key that ends the unit: the
 * caller returns it (409) and the unit rolls back. A read that finds
 * nothing, or an UPDATE/DELETE that matches no row (PARLEY_E_NOT_FOUND),
 * is no failed statement on any backend, so going on after it is fine. A
 * best-effort write whose error the caller ignores (accounts->token_touch)
 * must have no expected failure: an unexpected one still aborts the unit
 * on PostgreSQL, like any storage error.
 */
#ifndef PARLEY_REPOSITORY_H
#define PARLEY_REPOSITORY_H

#include "util/error.h"
#include "core/model.h"
#include "core/store/accounts.h"
#include "core/store/audit.h"
#include "core/store/contacts.h"
#include "core/store/desk.h"
#include "core/store/kb.h"
#include "core/store/messages.h"
#include "core/store/notifications.h"
#include "core/store/push.h"
#include "core/store/reports.h"
#include "core/store/retention.h"
#include "core/store/search.h"
#include "core/store/sessions.h"
#include "core/store/settings.h"
#include "core/store/strategy_stores.h"
#include "core/store/tickets.h"
#include "core/store/tools.h"
#include "core/store/uploads.h"
#include "core/store/webhooks.h"

typedef struct parley_repository parley_repository;

/* The named locks of ops->xact_lock: each guards one check-then-write rule
 * that must hold across several writers on one database (several parleyd
 * on one PostgreSQL database). */
typedef enum parley_lock_name {
    /* routing: an agent's capacity checked, then a session assigned
     * (core/routing.c: the dispatch's assignments, a transfer) */
    PARLEY_LOCK_ROUTING = 1,
    /* the last active admin stays one (core/account_service.c) */
    PARLEY_LOCK_ADMINS = 2,
} parley_lock_name;

/* The handle's own ops: lifecycle, transactions, the named locks and
 * leadership. */
typedef struct parley_repository_ops {
    const char *name; /* "sqlite", "postgres" */

    void (*close)(parley_repository *repo);

    parley_status (*begin)(parley_repository *repo, parley_error *err);
    parley_status (*commit)(parley_repository *repo, parley_error *err);
    parley_status (*rollback)(parley_repository *repo, parley_error *err);
    parley_status (*savepoint)(parley_repository *repo, parley_error *err);
    parley_status (*release)(parley_repository *repo, parley_error *err);
    parley_status (*rollback_to)(parley_repository *repo, parley_error *err);
    /* Whether the last statement that failed on this handle since the last
     * begin or savepoint failed only because of a concurrent transaction
     * (PostgreSQL's serialization failure 40001 or deadlock 40P01; it was
     * answered PARLEY_E_UNAVAILABLE): after rollback_to, the unit is worth
     * running once more. May be NULL: never (SQLite, whose one writer
     * holds the whole database's lock, cannot deadlock). */
    bool (*retryable)(parley_repository *repo);

    /* Takes the named lock until the end of the current transaction (the
     * writer's batch, not the unit: a unit rolled back to its savepoint
     * gives it back), so another writer's unit that takes the same lock
     * waits for this batch's commit and then reads what it committed.
     * wait=true blocks up to the lock timeout (PARLEY_E_UNAVAILABLE past
     * it, or on a deadlock: then retryable() is true) and sets *acquired;
     * wait=false answers at once, *acquired false when another writer
     * holds it. In autocommit it guards nothing (it ends with its own
     * statement). SQLite: always acquired at once (its one writer holds
     * the whole database's write lock from begin). */
    parley_status (*xact_lock)(parley_repository *repo, parley_lock_name name, bool wait,
                               bool *acquired, parley_error *err);

    /* Leadership among the nodes on one database: the periodic jobs
     * (auto-close, re-queue, retention, the search index's catch-up, the
     * notification deliveries) run on the leader only. Tries to become
     * (or checks it still is) the leader; *is_leader says. The handle
     * holds leadership until it is closed or its connection drops (a node
     * that dies frees it within seconds). Call it every few seconds on the
     * same handle; inside or outside a transaction. PostgreSQL: a
     * session-level advisory lock (pg_try_advisory_lock) held by this
     * handle's connection, lost with it; SQLite: always the leader (one
     * file, one server). */
    parley_status (*leadership_try)(parley_repository *repo, bool *is_leader, parley_error *err);

    /* Locks the rows of these sessions (ids sorted bytewise, no repeats;
     * ids of no session are skipped) until the transaction ends, in that
     * order: the writer takes its batch's sessions up front, so two
     * writers whose batches share sessions wait for each other instead of
     * deadlocking on locks taken in their jobs' order. PostgreSQL: one
     * SELECT ... ORDER BY id FOR UPDATE; SQLite: nothing to do (one
     * writer). */
    parley_status (*lock_sessions)(parley_repository *repo, const char *const *ids, size_t count,
                                   parley_error *err);
} parley_repository_ops;

/* Every backend's handle starts with this; every pointer is set (never
 * NULL) by the backend's open, and every op of every table is set. */
struct parley_repository {
    const parley_repository_ops *ops;
    const parley_sessions_ops *sessions;
    const parley_messages_ops *messages;
    const parley_accounts_ops *accounts;
    const parley_tickets_ops *tickets;
    const parley_desk_ops *desk;
    const parley_tools_ops *tools;
    const parley_kb_ops *kb;
    const parley_strategy_stores_ops *strategy_stores;
    const parley_reports_ops *reports;
    const parley_search_ops *search;
    const parley_retention_ops *retention;
    const parley_audit_ops *audit;
    const parley_uploads_ops *uploads;
    const parley_settings_ops *settings;
    const parley_notifications_ops *notifications;
    const parley_webhooks_ops *webhooks;
    const parley_push_ops *push;
    const parley_contacts_ops *contacts;
};

#endif
