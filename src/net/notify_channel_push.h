/*
 * notify_channel_push.h - the "web_push" channel of the notification
 * service (core/notifications_channels.h; docs/subsystems/notifications.md,
 * "Web push"): RFC 8030 push messages, encrypted with RFC 8291 (aes128gcm)
 * and signed with RFC 8292 VAPID (net/webpush_crypto.h), POSTed with
 * libcurl to each push service endpoint the recipient subscribed
 * (core/store/push.h).
 *
 * deliver() reads the recipient's subscriptions and, for each: checks the
 * endpoint's target (the webhooks' SSRF rule, net/webhook_target.h, with
 * --push-allow-private; pinned, no redirect), encrypts the JSON payload
 * (refused, dead, when the encrypted body is over 4096 bytes), signs a
 * VAPID JWT for the endpoint's origin (exp now + 12 h, sub --push-subject)
 * and POSTs with TTL, Urgency, Content-Encoding: aes128gcm and
 * Authorization: vapid t=...,k=... . 201 (any 2xx) is sent; 404 and 410
 * remove the subscription (gone); 429, 5xx and network errors are retried
 * with the worker's backoff; any other status is dead for that
 * subscription. A retry posts only to the subscriptions that have not yet
 * taken the delivery (net/push_progress.h: a bounded memory; after a
 * restart every subscription again). Each message carries the
 * notification's id as its Topic, so a push service holding an
 * undelivered copy replaces it instead of showing it twice.
 *
 * The VAPID key pair is made at the first start and kept in
 * <data-dir>/vapid.key (0600, the base64url private scalar); its public
 * half is served at GET /api/v1/push/vapid-public-key.
 *
 * Threads: deliver() on the delivery worker's thread only; it opens its own
 * database connection there at its first call. reaches_recipient() on the
 * writer with the writer's repo. init and close on the loop thread, close
 * after the worker has stopped; vapid_public is read-only after init (any
 * thread). Ownership: the notification service (net/notify_worker.h)
 * embeds the context.
 */
#ifndef PARLEY_NOTIFY_CHANNEL_PUSH_H
#define PARLEY_NOTIFY_CHANNEL_PUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/notifications_channels.h"
#include "core/repository.h"
#include "net/push_progress.h"
#include "net/webpush_crypto.h"

/* The largest encrypted body a push service must accept (RFC 8030 7.2). */
#define PARLEY_PUSH_BODY_MAX 4096
/* The VAPID JWT's lifetime (RFC 8292: at most 24 h). */
#define PARLEY_VAPID_TTL_S (12 * 3600)

typedef struct parley_push_channel {
    char *database_url; /* NULL: not initialised */
    bool durable;
    bool allow_private; /* --push-allow-private */
    int64_t timeout_ms; /* --push-timeout-ms */
    int64_t ttl_s;      /* --push-ttl-s: the TTL header */
    char *subject;      /* --push-subject, else mailto:<--smtp-from> */
    uint8_t vapid_private[PARLEY_WEBPUSH_PRIVATE_KEY_LEN];
    uint8_t vapid_public[PARLEY_WEBPUSH_PUBLIC_KEY_LEN];
    char vapid_public_b64[96];     /* base64url, what browsers give applicationServerKey */
    parley_repository *repo;       /* the worker thread's, opened at the first delivery */
    parley_push_progress progress; /* the worker thread's: who took what */
} parley_push_channel;

extern const parley_notify_channel parley_notify_channel_push;

/* Reads (or makes, 0600) <data_dir>/vapid.key; curl_global_init. */
parley_status parley_push_channel_init(parley_push_channel *ch, const parley_config *cfg,
                                       const char *database_url, parley_error *err);
void parley_push_channel_close(parley_push_channel *ch);

/* The JSON the service worker gets (compact, at most `size` bytes of
 * body text kept, cut on a UTF-8 boundary). Exposed for tests. */
char *parley_push_payload(const parley_notification *n, size_t body_max);

#endif
