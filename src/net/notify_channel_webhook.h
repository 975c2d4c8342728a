/*
 * notify_channel_webhook.h - the "webhook" channel of the notification
 * service (core/notifications_channels.h; docs/subsystems/notifications.md,
 * "Webhooks"): POSTs a delivery's payload to its webhook's URL with libcurl,
 * signed with HMAC-SHA256 over "timestamp.body".
 *
 * deliver() loads the webhook (the notification's recipient_id), checks
 * its target again (net/webhook_target.h: resolved now, refused addresses
 * are a permanent failure, the connection pinned to the checked address
 * and every socket checked once more), POSTs with connect and total
 * timeouts, follows no redirect, keeps at most 64 KiB of the response,
 * and appends the attempt (status code, error, duration) to the webhook's
 * log. 2xx is sent; any other status, a timeout or a connection error is
 * retried with the worker's backoff, then dead. A deleted or inactive
 * webhook's delivery is dead at once.
 *
 * Threads: deliver() on the delivery worker's thread only (one delivery at
 * a time); it opens its own database connection there at its first call.
 * init and close on the loop thread, close after the worker has stopped.
 * Ownership: the notification service (net/notify_worker.h) embeds the
 * context.
 */
#ifndef PARLEY_NOTIFY_CHANNEL_WEBHOOK_H
#define PARLEY_NOTIFY_CHANNEL_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/notifications_channels.h"
#include "core/repository.h"

typedef struct parley_webhook_channel {
    char *database_url; /* NULL: not initialised */
    bool durable;
    bool allow_private;      /* --webhooks-allow-private */
    int64_t timeout_ms;      /* --webhooks-timeout-ms */
    parley_repository *repo; /* the worker thread's, opened at the first delivery */
} parley_webhook_channel;

extern const parley_notify_channel parley_notify_channel_webhook;

/* The response body kept per attempt at most (more is cut off). */
#define PARLEY_WEBHOOK_RESPONSE_MAX (64 * 1024)

parley_status parley_webhook_channel_init(parley_webhook_channel *ch, const parley_config *cfg,
                                          const char *database_url, parley_error *err);
void parley_webhook_channel_close(parley_webhook_channel *ch);

/* "sha256=" + the hex HMAC-SHA256 of "timestamp.body" under secret, into
 * out (at least PARLEY_WEBHOOK_SIGNATURE_SIZE bytes); false when out of
 * memory. Exposed for tests. */
#define PARLEY_WEBHOOK_SIGNATURE_SIZE (sizeof "sha256=" + 64)
bool parley_webhook_sign(const char *secret, const char *timestamp, const char *body, char *out);

#endif
