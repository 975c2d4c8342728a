/*
 * push.h - web push subscriptions, the recipients' side
 * (docs/subsystems/notifications.md, "Web push"): an agent (their token)
 * or a customer (their session's customer token) subscribes a browser for
 * web push notifications and unsubscribes it. Always the caller's own: the
 * recipient is the caller, never a parameter.
 *
 * The push channel itself (encryption, VAPID, the POST) is
 * net/notify_channel_push.c; the cryptography net/webpush_crypto.c. This
 * file knows neither: the caller hands it a check (the net layer's: the
 * endpoint may be reached, the key is a P-256 point).
 *
 * Threads: the caller's (an API job), on svc->repo. Ownership: *out is the
 * caller's (json_decref).
 */
#ifndef PARLEY_PUSH_H
#define PARLEY_PUSH_H

#include <jansson.h>
#include <stdint.h>

#include "core/chat_service.h"
#include "core/participant.h"
#include "core/store/push.h"

/* The deliveries' channel name. */
#define PARLEY_PUSH_CHANNEL "web_push"
#define PARLEY_PUSH_ENDPOINT_MAX 1024

/* May this subscription be stored? endpoint: the URL as given (its syntax
 * checked already); p256dh: the decoded 65-byte key. PARLEY_OK or a 400
 * validation_failed naming why. */
typedef parley_status (*parley_push_subscription_check)(void *ctx, const char *endpoint,
                                                        const uint8_t *p256dh, parley_error *err);

/* POST /api/v1/push/subscriptions: in = a PushSubscription's JSON
 * ({endpoint, keys: {p256dh, auth}}, expirationTime ignored). Stores it for
 * the caller (the same endpoint again replaces the keys and moves it to the
 * caller: one browser, one subscription). 201 {id, endpoint, created_at};
 * 409 limit_reached past PARLEY_PUSH_SUBSCRIPTIONS_MAX. */
parley_status parley_push_subscribe(parley_chat_service *svc, const parley_participant *caller,
                                    const json_t *in, parley_push_subscription_check check,
                                    void *check_ctx, json_t **out, parley_error *err);

/* DELETE /api/v1/push/subscriptions: in = {endpoint}. 404 when the caller
 * has no subscription there. */
parley_status parley_push_unsubscribe(parley_chat_service *svc, const parley_participant *caller,
                                      const json_t *in, parley_error *err);

#endif
