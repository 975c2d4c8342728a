/*
 * store/push.h - the web push subscriptions aggregate: each browser a
 * recipient (an agent, a customer) subscribed for web push
 * (docs/subsystems/notifications.md, "Web push"): the push service's
 * endpoint and the keys RFC 8291 encrypts with.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->push at its parley_push_ops (sqlite/push.c, postgres/push.c).
 * Ownership, threads, transactions and result codes are the Repository's.
 * Rows go in and come out as the plain struct below (char * fields owned by
 * the struct, freed by parley_push_subscription_free(), defined in
 * core/model.c; lists own their items).
 *
 * Threads: any thread with its own handle. Written by the recipients' API
 * calls (core/push.c, on the writer), read on the writer by the outbox
 * (reaches_recipient: has the recipient a subscription) and on the delivery
 * worker's thread by the push channel (net/notify_channel_push.c), which
 * also removes the subscriptions the push service says are gone (404, 410).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/push.c (and its ops table).
 */
#ifndef PARLEY_STORE_PUSH_H
#define PARLEY_STORE_PUSH_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_push_subscription {
    char id[PARLEY_ID_SIZE]; /* psb_... */
    parley_participant_kind recipient_kind;
    char recipient_id[PARLEY_ID_SIZE];
    char *endpoint; /* the push service's URL for this browser (unique) */
    char *p256dh;   /* the browser's P-256 public key, base64url (65 bytes) */
    char *auth;     /* the auth secret, base64url (16 bytes) */
    parley_time_ms created_at;
} parley_push_subscription;

PARLEY_DECLARE_LIST(parley_push_subscription_list, parley_push_subscription);

/* Defined in core/model.c with the other lists. */
void parley_push_subscription_free(parley_push_subscription *s);
parley_push_subscription *parley_push_subscription_list_push(parley_push_subscription_list *list);
void parley_push_subscription_list_free(parley_push_subscription_list *list);

/* A recipient keeps at most this many subscriptions (browsers). */
#define PARLEY_PUSH_SUBSCRIPTIONS_MAX 10

typedef struct parley_push_ops {
    /* Inserts s, or, when its endpoint is known already (the same browser
     * subscribing again, or another recipient in it now), replaces that
     * row's recipient, keys and created_at (its id stays). */
    parley_status (*upsert)(parley_repository *repo, const parley_push_subscription *s,
                            parley_error *err);
    /* The subscription of this endpoint whoever holds it;
     * PARLEY_E_NOT_FOUND when none. */
    parley_status (*get_by_endpoint)(parley_repository *repo, const char *endpoint,
                                     parley_push_subscription *out, parley_error *err);
    /* A recipient's subscriptions, oldest first (at most
     * PARLEY_PUSH_SUBSCRIPTIONS_MAX + 1). */
    parley_status (*list)(parley_repository *repo, parley_participant_kind kind,
                          const char *recipient_id, parley_push_subscription_list *out,
                          parley_error *err);
    /* How many a recipient has. */
    parley_status (*count)(parley_repository *repo, parley_participant_kind kind,
                           const char *recipient_id, int64_t *out, parley_error *err);
    /* Removes the recipient's subscription of this endpoint;
     * PARLEY_E_NOT_FOUND when the recipient has none there. */
    parley_status (*remove)(parley_repository *repo, parley_participant_kind kind,
                            const char *recipient_id, const char *endpoint, parley_error *err);
    /* Removes by id (the push service said it is gone); PARLEY_E_NOT_FOUND
     * when there is none. */
    parley_status (*remove_id)(parley_repository *repo, const char *id, parley_error *err);
} parley_push_ops;

#endif
