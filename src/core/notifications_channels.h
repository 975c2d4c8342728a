/*
 * notifications_channels.h - the channel interface of the notification
 * service: one const ops table per channel, one file per channel (the
 * shape of curl's vtls backends). The outbox (core/notifications.c)
 * writes a pending delivery for each channel of the notifier's list that
 * reaches the recipient; the delivery worker (net/notify_worker.c) finds
 * a due delivery's channel by name and calls its deliver().
 *
 * Channels today: in_app (net/notify_channel_in_app.c: the inbox of
 * GET /api/v1/notifications and the notification.created WebSocket frame
 * to the recipient's connections), email (net/notify_channel_email.c:
 * SMTP with libcurl, when --smtp-url is set) and webhook
 * (net/notify_channel_webhook.c: the signed POST to an admin's webhook;
 * its deliveries are written by core/webhooks.c, not by the notifier, and
 * only the worker lists it) and web_push (net/notify_channel_push.c: RFC 8291
 * encrypted, VAPID-signed POSTs to the recipient's browsers' push services,
 * unless --push 0).
 *
 * Threads: reaches(), reaches_recipient() and default_on() on the writer (inside the unit of the
 * cause), deliver() on the delivery worker's thread, one delivery at a time; a channel's ctx is its
 * own (the server builds it) and must be safe to use from that thread. Ownership: tables are static
 * and const; deliver() borrows the notification and the delivery for the call.
 */
#ifndef PARLEY_NOTIFICATIONS_CHANNELS_H
#define PARLEY_NOTIFICATIONS_CHANNELS_H

#include <stdbool.h>

#include "util/error.h"
#include "core/model.h"
#include "core/store/notifications.h"

typedef struct parley_notify_channel {
    const char *name; /* the deliveries' channel: "in_app", ... */
    /* may this channel reach a recipient of this kind at all */
    bool (*reaches)(parley_participant_kind kind);
    /* One attempt. PARLEY_OK: delivered (the state becomes sent). An error
     * is retried with backoff until the attempts run out; *permanent =
     * true makes it dead at once (no retry can help: a refused address).
     * d->idempotency_key goes with the delivery where the receiving end
     * can see it, so a repeat after a crash between sending and recording
     * can be dropped there. */
    parley_status (*deliver)(void *ctx, const parley_notification *n, const parley_delivery *d,
                             bool *permanent, parley_error *err);
    /* Optional (NULL: yes). May it reach this recipient (has it an address
     * to send to)? On the writer, in the unit of the cause, with its repo:
     * a recipient it cannot reach gets no delivery on it. */
    bool (*reaches_recipient)(parley_repository *repo, parley_participant_kind kind,
                              const char *recipient_id);
    /* Optional (NULL: every event). Is the event (a notification event's
     * wire name) on for this channel in the preferences' defaults? */
    bool (*default_on)(const char *event);
} parley_notify_channel;

/* A server has at most this many channels. */
#define PARLEY_NOTIFY_CHANNELS_MAX 4

/* A channel with its context, as the server lists them. */
typedef struct parley_notify_channel_binding {
    const parley_notify_channel *channel;
    void *ctx;
} parley_notify_channel_binding;

#endif
