/*
 * notify_worker.h - the notification service's delivery worker and its
 * wiring into the server (docs/subsystems/notifications.md).
 *
 * A worker is one thread with its own database connection, off the loop
 * thread and off the executor's writer; the service runs one per channel,
 * so a slow receiver (a webhook timing out, an SMTP server that stalls)
 * delays only its own channel's deliveries. A worker reads its channel's
 * due deliveries (pending, or failed and due again), calls the channel's
 * deliver()
 * (core/notifications_channels.h) and records each attempt in autocommit:
 * sent; failed with the error and the next attempt at now + an
 * exponential backoff with jitter; dead once the attempts run out (or the
 * channel says no retry can help). It looks again when poked (after a
 * commit of an event the outbox listens to), when a retry falls due, and
 * at least every poll interval; at start it finds whatever a crash left
 * pending, so a committed notification is delivered late, never lost.
 * Delivery is at least once: a crash between a channel's send and the
 * recording of it sends again, with the same idempotency key.
 *
 * parley_notify_service is what the server embeds: the online set, the
 * outbox's notifier, the channels (in_app, email when configured,
 * web_push unless --push 0; webhook, which only the worker knows: it
 * reaches no user, so it is not in the notifier's list nor in anyone's
 * preferences) and a worker per channel. Deliveries of a channel this
 * node does not run (e-mail rows written before --smtp-url was taken
 * away) wait, pending, until it runs again.
 *
 * Threads: init, subscribe, start, close and free on the loop thread;
 * parley_notify_worker_poke from any thread. Ownership: the server owns
 * the service; the worker owns its thread and connection until stopped.
 */
#ifndef PARLEY_NOTIFY_WORKER_H
#define PARLEY_NOTIFY_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "core/event.h"
#include "core/notifications.h"
#include "net/notify_channel_email.h"
#include "net/notify_channel_in_app.h"
#include "net/notify_channel_push.h"
#include "net/notify_channel_webhook.h"

typedef struct parley_notify_worker parley_notify_worker;

typedef struct parley_notify_worker_options {
    const char *database_url;
    bool durable;
    /* the channels it may deliver on (borrowed); with only_channel set,
     * it reads that channel's deliveries alone (NULL: every channel's, a
     * delivery of a channel not in the list going dead) */
    const parley_notify_channel_binding *channels;
    size_t channel_count;
    const char *only_channel;
    int max_attempts;      /* the last one failing makes the delivery dead */
    int64_t retry_base_ms; /* the first retry waits about this long, doubling after */
    int64_t retry_max_ms;  /* no wait is longer */
    int64_t poll_ms;       /* look for due deliveries at least this often */
    /* true: deliver nothing until parley_notify_worker_set_leader(true)
     * (the server's, whose nodes on one database take turns); false: a
     * worker of its own, delivering from the start */
    bool wait_for_leadership;
} parley_notify_worker_options;

parley_status parley_notify_worker_start(const parley_notify_worker_options *options,
                                         parley_notify_worker **out, parley_error *err);
/* Wakes the worker to look for due deliveries now. */
void parley_notify_worker_poke(parley_notify_worker *w);
/* Whether this node delivers: only the leader among the nodes on one
 * database does (net/server.c's leadership job), so two nodes never
 * attempt one delivery. Any thread. */
void parley_notify_worker_set_leader(parley_notify_worker *w, bool leader);
/* Joins the thread (an attempt under way finishes), closes, frees. */
void parley_notify_worker_stop(parley_notify_worker *w);

/* The delay before retry number `attempts` (1 = the first retry):
 * min(max, base * 2^(attempts-1)), of which a random half is jitter
 * (roll in [0, 1)). Exposed for tests. */
int64_t parley_notify_backoff_ms(int attempts, int64_t base_ms, int64_t max_ms, double roll);

typedef struct parley_notify_service {
    parley_notify_online online;
    parley_notifier notifier;
    parley_in_app in_app;
    parley_email email;       /* a channel when --smtp-url is set */
    parley_push_channel push; /* a channel unless --push 0 */
    parley_notify_channel_binding channels[PARLEY_NOTIFY_CHANNELS_MAX];
    parley_webhook_channel webhook; /* the webhooks' deliveries (core/webhooks.h) */
    /* what the worker delivers on: the notifier's channels, then webhook */
    parley_notify_channel_binding delivery_channels[PARLEY_NOTIFY_CHANNELS_MAX + 1];
    /* one per delivery channel, in its order; none: delivery off
     * (--notify-delivery 0) */
    parley_notify_worker *workers[PARLEY_NOTIFY_CHANNELS_MAX + 1];
    size_t worker_count;
} parley_notify_service;

/* Before the registry is filled: the online set, the channels. */
parley_status parley_notify_service_init(parley_notify_service *s, uv_loop_t *loop, parley_hub *hub,
                                         parley_error *err);
/* After init, before subscribe: the email channel, when cfg->smtp_url is
 * set (else nothing). public_url: the base of the e-mails' links. */
parley_status parley_notify_service_add_email(parley_notify_service *s, const parley_config *cfg,
                                              const char *database_url, const char *public_url,
                                              parley_error *err);
/* After init, before subscribe: the web_push channel unless cfg->push is
 * 0 (reads or makes the VAPID key in cfg->data_dir). */
parley_status parley_notify_service_add_push(parley_notify_service *s, const parley_config *cfg,
                                             const char *database_url, parley_error *err);
/* In unit: the outbox and the webhooks' outbox; after commit: pokes the workers. */
bool parley_notify_service_subscribe(parley_notify_service *s, parley_event_registry *reg);
/* Starts the workers unless cfg turns delivery off. */
/* Wakes every worker (after a commit that may have written deliveries). Any thread. */
void parley_notify_service_poke(parley_notify_service *s);
parley_status parley_notify_service_start(parley_notify_service *s, const parley_config *cfg,
                                          const char *database_url, parley_error *err);
/* Stops the worker and closes the channels' handles (shutdown). */
/* Whether this node is the leader (it delivers): net/server.c's
 * leadership job, on the loop thread. */
void parley_notify_service_set_leader(parley_notify_service *s, bool leader);
void parley_notify_service_close(parley_notify_service *s);
/* After the executor has stopped: the online set. */
void parley_notify_service_free(parley_notify_service *s);

#endif
