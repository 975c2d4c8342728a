/*
 * webhooks.h - outgoing webhooks in the core (issue 14,
 * docs/subsystems/notifications.md "Webhooks"): what admins may do with
 * them, and the outbox's in-unit subscriber that writes one delivery per
 * event and webhook in the unit of the event's cause.
 *
 * The outbox. parley_webhooks_subscribe() registers an in-unit subscriber
 * (core/event.h) on the event types a webhook may want
 * (parley_webhook_event_names). For each such event and each active
 * webhook that wants it, it writes, through svc->repo and in the SAME
 * transaction as the cause, a notification (recipient_kind system,
 * recipient_id the webhook, event the type, body the JSON payload
 * {"type", "id", "created_at", "data"}) and its delivery on the channel
 * "webhook" (PARLEY_WEBHOOK_CHANNEL), which the delivery worker sends
 * (net/notify_channel_webhook.c). The payload is fixed when the event
 * happens: every attempt and a replay send the same bytes.
 *
 * Nothing here touches the network: whether a URL's host may be reached
 * (no SSRF) is the caller's check, passed in as a parley_webhook_url_check
 * (net/webhook_target.h).
 *
 * Threads: the subscriber runs on the emitting worker thread (the
 * writer); the calls on the caller's worker thread. Ownership: JSON
 * results belong to the caller; the subscriber has no state.
 */
#ifndef PARLEY_WEBHOOKS_H
#define PARLEY_WEBHOOKS_H

#include <jansson.h>

#include "core/chat_service.h"
#include "core/event.h"
#include "core/participant.h"
#include "core/store/webhooks.h"

/* The deliveries' channel name. */
#define PARLEY_WEBHOOK_CHANNEL "webhook"
#define PARLEY_WEBHOOK_URL_MAX 2048
#define PARLEY_WEBHOOK_DESCRIPTION_MAX 500

/* The event types a webhook may subscribe to, NULL-terminated:
 * message.created, note.created, session.created, session.updated,
 * ticket.created, ticket.updated. */
extern const char *const parley_webhook_event_names[];

/* May this URL be a webhook's target? PARLEY_OK or a 400
 * (validation_failed) with the reason. Called after the URL's syntax is
 * checked, on the caller's thread (it may resolve the host). */
typedef parley_status (*parley_webhook_url_check)(void *ctx, const char *url, parley_error *err);

/* Registers the in-unit subscriber; false when the registry is sealed or full. */
bool parley_webhooks_subscribe(parley_event_registry *reg);
/* The event types it listens to. */
unsigned parley_webhooks_event_types(void);

/* The wire form (never the secret). */
json_t *parley_webhook_to_json(const parley_webhook *w);

/* --- what admins may do (PARLEY_ACTION_WEBHOOK_ADMIN), each write audited --- */

/* body {url, events, description?, active?}: 201 with the webhook and its
 * "secret" (the only time it is shown); 400 validation_failed for a bad
 * field or a URL check refuses; 409 limit_reached past PARLEY_WEBHOOKS_MAX. */
parley_status parley_webhooks_create(parley_chat_service *svc, const parley_participant *caller,
                                     const json_t *body, parley_webhook_url_check check,
                                     void *check_ctx, const char *ip, json_t **out,
                                     parley_error *err);
/* body: any of url, events, description, active. */
parley_status parley_webhooks_update(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const json_t *body,
                                     parley_webhook_url_check check, void *check_ctx,
                                     const char *ip, json_t **out, parley_error *err);
parley_status parley_webhooks_delete(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const char *ip, parley_error *err);
parley_status parley_webhooks_get(parley_chat_service *svc, const parley_participant *caller,
                                  const char *id, json_t **out, parley_error *err);
/* {"webhooks": [...]} (all, oldest first). */
parley_status parley_webhooks_list(parley_chat_service *svc, const parley_participant *caller,
                                   json_t **out, parley_error *err);
/* A webhook's delivery log, newest first: {"deliveries": [delivery +
 * "event" + "attempts_log": [{attempt, status_code, error, duration_ms,
 * at}]], "next_cursor"}. */
parley_status parley_webhooks_deliveries(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, int limit, const char *cursor,
                                         json_t **out, parley_error *err);
/* Re-queues a sent or dead delivery of the webhook: pending, due now,
 * attempts counted from 0 again (409 conflict while it is still queued;
 * 404 when it is not this webhook's). *out the delivery. */
parley_status parley_webhooks_replay(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const char *delivery_id, const char *ip,
                                     json_t **out, parley_error *err);

#endif
