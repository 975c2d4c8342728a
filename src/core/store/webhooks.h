/*
 * store/webhooks.h - the webhooks aggregate: the outgoing webhooks an admin
 * configured (docs/subsystems/notifications.md, "Webhooks") and the log of
 * every attempt to deliver to them.
 *
 * A webhook's deliveries are ordinary rows of the notification outbox
 * (core/store/notifications.h): one notification per event and webhook
 * (recipient_kind system, recipient_id the webhook's id, body the JSON
 * payload) and one delivery on the channel "webhook". This aggregate adds
 * the webhooks themselves, the attempts (status code, error, duration)
 * that the outbox's delivery row does not keep, and the per-webhook view
 * of the deliveries (a join of the two outbox tables).
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->webhooks at its parley_webhooks_ops (sqlite/webhooks.c,
 * postgres/webhooks.c). Ownership, threads, transactions and result codes
 * are the Repository's. Rows go in and come out as the plain structs below (char * fields owned by
 * the struct, freed by the matching *_free(), defined in core/model.c; lists own their items).
 *
 * Threads: any thread with its own handle. Webhooks are written by the
 * admins' API calls (audited in the same unit), read by the outbox's
 * in-unit subscriber on the writer (core/webhooks.c) and by the webhook
 * channel on the delivery worker's thread (net/notify_channel_webhook.c),
 * which also appends the attempts.
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/webhooks.c (and its ops table).
 */
#ifndef PARLEY_STORE_WEBHOOKS_H
#define PARLEY_STORE_WEBHOOKS_H

#include "util/error.h"
#include "core/model.h"
#include "core/store/notifications.h"

typedef struct parley_repository parley_repository;

typedef struct parley_webhook {
    char id[PARLEY_ID_SIZE]; /* whk_... */
    char *url;               /* http(s)://host[:port]/path, checked when written */
    char *events;            /* the event types it wants, space-separated ("message.created ...") */
    char *secret;            /* the HMAC-SHA256 key (whsec_...); shown once, at creation */
    char *description;       /* may be "" */
    bool active;             /* inactive: no new deliveries; pending ones die */
    parley_time_ms created_at;
    parley_time_ms updated_at;
} parley_webhook;

/* One attempt to deliver to a webhook (appended by the channel). */
typedef struct parley_webhook_attempt {
    char delivery_id[PARLEY_ID_SIZE];
    char webhook_id[PARLEY_ID_SIZE];
    int attempt;     /* 1, 2, ... (the delivery's attempts when it was made) */
    int status_code; /* the receiver's HTTP status; 0 = none (refused, timeout, no connection) */
    char *error;     /* NULL when it succeeded */
    int64_t duration_ms;
    parley_time_ms at;
} parley_webhook_attempt;

PARLEY_DECLARE_LIST(parley_webhook_list, parley_webhook);
PARLEY_DECLARE_LIST(parley_webhook_attempt_list, parley_webhook_attempt);

/* Defined in core/model.c with the other lists. */
void parley_webhook_free(parley_webhook *w);
void parley_webhook_attempt_free(parley_webhook_attempt *a);
parley_webhook *parley_webhook_list_push(parley_webhook_list *list);
void parley_webhook_list_free(parley_webhook_list *list);
parley_webhook_attempt *parley_webhook_attempt_list_push(parley_webhook_attempt_list *list);
void parley_webhook_attempt_list_free(parley_webhook_attempt_list *list);

/* A server keeps at most this many webhooks (list reads them all). */
#define PARLEY_WEBHOOKS_MAX 100

typedef struct parley_webhooks_ops {
    parley_status (*insert)(parley_repository *repo, const parley_webhook *w, parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_webhook *out,
                         parley_error *err);
    /* Writes url, events, description, active and updated_at of w->id
     * (never the secret); PARLEY_E_NOT_FOUND when there is none. */
    parley_status (*update)(parley_repository *repo, const parley_webhook *w, parley_error *err);
    /* PARLEY_E_NOT_FOUND when there is none. Its attempts stay (the log). */
    parley_status (*remove)(parley_repository *repo, const char *id, parley_error *err);
    /* Every webhook (at most PARLEY_WEBHOOKS_MAX), oldest first;
     * active_only keeps the active ones. */
    parley_status (*list)(parley_repository *repo, bool active_only, parley_webhook_list *out,
                          parley_error *err);
    /* How many there are (the cap's check). */
    parley_status (*count)(parley_repository *repo, int64_t *out, parley_error *err);

    parley_status (*attempt_insert)(parley_repository *repo, const parley_webhook_attempt *a,
                                    parley_error *err);
    /* A delivery's attempts, in order. */
    parley_status (*attempt_list)(parley_repository *repo, const char *delivery_id,
                                  parley_webhook_attempt_list *out, parley_error *err);
    /* The deliveries of a webhook (the outbox's rows of notifications whose
     * recipient is it), newest first, cursor-paged (limit 1..200). */
    parley_status (*delivery_list)(parley_repository *repo, const char *webhook_id, int limit,
                                   const char *cursor, parley_delivery_list *out,
                                   char *next_cursor_out, size_t next_cursor_size,
                                   parley_error *err);
} parley_webhooks_ops;

#endif
