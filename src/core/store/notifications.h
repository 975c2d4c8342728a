/*
 * store/notifications.h - the notifications aggregate: the outbox of the
 * notification service (core/notifications.h). A notification is one
 * thing one recipient is told (a customer waiting, a session assigned to
 * them, a mention...); a delivery is its state on one channel (in_app,
 * email...), with its attempts; preferences are what each user chose; a
 * password reset is the single-use token a reset e-mail carries.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->notifications at its parley_notifications_ops; callers write
 * repo->notifications->op(repo, ...). Ownership, threads, transactions and
 * result codes are the Repository's (see there). Rows go in and come out
 * as the plain structs below (char * fields owned by the struct, freed by
 * the matching *_free(); lists own their items). Nothing here is JSON
 * except the preferences' text, which core/notifications.c parses.
 *
 * Expected conflicts are results: a notification or delivery whose key is
 * taken already (the same cause seen twice) is not inserted again and the
 * op says so through *added with PARLEY_OK.
 *
 * Threads: any thread with its own handle. Notifications and deliveries
 * are inserted in the unit of their cause (the writer); the delivery
 * worker (net/notify_worker.c) reads due deliveries and records attempts
 * on its own connection; the API reads and marks on pool threads.
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/notifications.c (and its ops table).
 */
#ifndef PARLEY_STORE_NOTIFICATIONS_H
#define PARLEY_STORE_NOTIFICATIONS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

#define PARLEY_NOTIFY_EVENT_SIZE 32   /* "session.waiting", ... */
#define PARLEY_NOTIFY_CHANNEL_SIZE 16 /* "in_app", "email", ... */

typedef struct parley_notification {
    char id[PARLEY_ID_SIZE]; /* ntf_... */
    parley_participant_kind recipient_kind;
    char recipient_id[PARLEY_ID_SIZE];
    char event[PARLEY_NOTIFY_EVENT_SIZE]; /* core/notifications.h's names */
    char session_id[PARLEY_ID_SIZE];      /* "" none */
    char ticket_id[PARLEY_ID_SIZE];       /* "" none */
    char *title;
    char *body;
    /* one notification per cause and recipient: the same cause seen again
     * (a session.updated that changed something else) inserts nothing */
    char *dedupe_key;
    parley_time_ms created_at;
    parley_time_ms read_at; /* 0 = unread */
} parley_notification;

/* A delivery's state machine (docs/subsystems/notifications.md):
 * pending -> sent; pending -> failed (an attempt failed, retried at
 * next_attempt_at) -> sent | failed | dead (attempts exhausted). */
typedef enum parley_delivery_state {
    PARLEY_DELIVERY_PENDING = 0,
    PARLEY_DELIVERY_SENT,
    PARLEY_DELIVERY_FAILED,
    PARLEY_DELIVERY_DEAD
} parley_delivery_state;

typedef struct parley_delivery {
    char id[PARLEY_ID_SIZE]; /* dlv_... */
    char notification_id[PARLEY_ID_SIZE];
    char channel[PARLEY_NOTIFY_CHANNEL_SIZE];
    parley_delivery_state state;
    int attempts;
    parley_time_ms next_attempt_at; /* due from then on (pending, failed) */
    char *last_error;               /* the last failed attempt's error; NULL none */
    /* unique: the receiving end may use it to drop a repeat (the worker
     * may attempt again after a crash between sending and recording) */
    char *idempotency_key;
    parley_time_ms created_at;
    parley_time_ms updated_at;
    parley_time_ms sent_at; /* 0 = not sent */
} parley_delivery;

PARLEY_DECLARE_LIST(parley_notification_list, parley_notification);
PARLEY_DECLARE_LIST(parley_delivery_list, parley_delivery);

/* Defined in core/model.c with the other lists. */
void parley_notification_free(parley_notification *n);
void parley_delivery_free(parley_delivery *d);
parley_notification *parley_notification_list_push(parley_notification_list *list);
void parley_notification_list_free(parley_notification_list *list);
parley_delivery *parley_delivery_list_push(parley_delivery_list *list);
void parley_delivery_list_free(parley_delivery_list *list);
const char *parley_delivery_state_name(parley_delivery_state state);
bool parley_delivery_state_from_name(const char *name, parley_delivery_state *out);

typedef struct parley_delivery_filter {
    int state;                            /* parley_delivery_state, or -1 = any */
    char notification_id[PARLEY_ID_SIZE]; /* "" = any */
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
} parley_delivery_filter;

/* A password reset by e-mail (the e-mail channel's single-use token):
 * only the token's hash is stored. */
typedef struct parley_password_reset {
    char id[PARLEY_ID_SIZE]; /* prs_..., random */
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
    char agent_id[PARLEY_ID_SIZE];
    parley_time_ms created_at;
    parley_time_ms expires_at;
} parley_password_reset;

typedef struct parley_notifications_ops {
    /* A notification; *added false (PARLEY_OK) when its dedupe_key is taken. */
    parley_status (*insert)(parley_repository *repo, const parley_notification *n, bool *added,
                            parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_notification *out,
                         parley_error *err);
    /* A recipient's, newest first, cursor-paged (limit clamped to 1..200);
     * unread_only keeps those with read_at 0. */
    parley_status (*list)(parley_repository *repo, parley_participant_kind kind,
                          const char *recipient_id, bool unread_only, int limit, const char *cursor,
                          parley_notification_list *out, char *next_cursor_out,
                          size_t next_cursor_size, parley_error *err);
    parley_status (*unread_count)(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, int64_t *out, parley_error *err);
    /* Marks one of the recipient's read at `at`: PARLEY_E_NOT_FOUND when
     * the recipient has no such notification; *changed false when it was
     * read already (its read_at is kept). */
    parley_status (*mark_read)(parley_repository *repo, const char *id,
                               parley_participant_kind kind, const char *recipient_id,
                               parley_time_ms at, bool *changed, parley_error *err);
    /* Marks every unread one of the recipient's; *count how many. */
    parley_status (*mark_all_read)(parley_repository *repo, parley_participant_kind kind,
                                   const char *recipient_id, parley_time_ms at, int64_t *count,
                                   parley_error *err);

    /* A delivery; *added false (PARLEY_OK) when its idempotency key is taken. */
    parley_status (*delivery_insert)(parley_repository *repo, const parley_delivery *d, bool *added,
                                     parley_error *err);
    parley_status (*delivery_get)(parley_repository *repo, const char *id, parley_delivery *out,
                                  parley_error *err);
    /* Pending and failed deliveries with next_attempt_at <= now, of that
     * channel (NULL: of every channel), the earliest first, at most limit
     * (1..1000). */
    parley_status (*delivery_due)(parley_repository *repo, parley_time_ms now, const char *channel,
                                  int limit, parley_delivery_list *out, parley_error *err);
    /* Writes state, attempts, next_attempt_at, last_error, updated_at and
     * sent_at of d->id; PARLEY_E_NOT_FOUND when there is no such row. */
    parley_status (*delivery_update)(parley_repository *repo, const parley_delivery *d,
                                     parley_error *err);
    /* The delivery log: newest first, cursor-paged, filtered. */
    parley_status (*delivery_list)(parley_repository *repo, const parley_delivery_filter *filter,
                                   parley_delivery_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err);

    /* A user's preferences as JSON text (*out NULL when none stored:
     * the defaults apply); put replaces them. */
    parley_status (*prefs_get)(parley_repository *repo, parley_participant_kind kind,
                               const char *recipient_id, char **out, parley_error *err);
    parley_status (*prefs_put)(parley_repository *repo, parley_participant_kind kind,
                               const char *recipient_id, const char *json, parley_time_ms at,
                               parley_error *err);

    /* Password resets by e-mail (issue 14). */
    parley_status (*reset_insert)(parley_repository *repo, const parley_password_reset *r,
                                  parley_error *err);
    /* Uses the reset of this token hash once: when it is unused and
     * expires_at > now, marks it used at now and gives its agent;
     * otherwise (unknown, used, expired) PARLEY_E_NOT_FOUND. */
    parley_status (*reset_take)(parley_repository *repo, const char *token_hash, parley_time_ms now,
                                char agent_id_out[PARLEY_ID_SIZE], parley_error *err);
} parley_notifications_ops;

#endif
