/*
 * notify_worker.c - the delivery worker and the notification service's
 * wiring (notify_worker.h, docs/subsystems/notifications.md).
 */
#include "net/notify_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "core/webhooks.h"
#include "storage/backend.h"
#include "util/log.h"

/* deliveries read per look; more are read at once after a full batch */
#define DUE_BATCH 64

struct parley_notify_worker {
    parley_notify_worker_options options;
    parley_repository *repo; /* the worker thread's own connection */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool poked;    /* under lock */
    bool stopping; /* under lock */
    bool leader;   /* under lock: this node delivers (parley_notify_worker_set_leader) */
    unsigned seed; /* the jitter's, worker thread */
};

int64_t parley_notify_backoff_ms(int attempts, int64_t base_ms, int64_t max_ms, double roll) {
    int64_t delay = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempts && delay < max_ms; i++) {
        delay *= 2;
    }
    if (delay > max_ms) {
        delay = max_ms;
    }
    /* half fixed, half random: retries of many deliveries that failed
     * together (a receiver down) spread out instead of coming back in step */
    int64_t half = delay / 2;
    if (roll < 0) {
        roll = 0;
    } else if (roll >= 1) {
        roll = 0.999999;
    }
    return delay - half + (int64_t)((double)half * roll);
}

static const parley_notify_channel_binding *channel_named(const parley_notify_worker *w,
                                                          const char *name) {
    for (size_t i = 0; i < w->options.channel_count; i++) {
        if (strcmp(w->options.channels[i].channel->name, name) == 0) {
            return &w->options.channels[i];
        }
    }
    return NULL;
}

/* One attempt of one delivery, and its record. */
static void attempt(parley_notify_worker *w, parley_delivery *d) {
    parley_error err = {0};
    parley_notification n;
    bool permanent = false;
    parley_status st = w->repo->notifications->get(w->repo, d->notification_id, &n, &err);
    if (st == PARLEY_OK) {
        const parley_notify_channel_binding *b = channel_named(w, d->channel);
        if (b == NULL) {
            permanent = true;
            st = parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "channel %s is not configured",
                                  d->channel);
        } else {
            st = b->channel->deliver(b->ctx, &n, d, &permanent, &err);
        }
        parley_notification_free(&n);
    } else if (st == PARLEY_E_NOT_FOUND) {
        permanent = true;
    }
    parley_time_ms now = parley_now_ms();
    d->attempts++;
    d->updated_at = now;
    free(d->last_error);
    d->last_error = NULL;
    if (st == PARLEY_OK) {
        d->state = PARLEY_DELIVERY_SENT;
        d->sent_at = now;
    } else {
        d->last_error = strdup(err.message);
        if (permanent || d->attempts >= w->options.max_attempts) {
            d->state = PARLEY_DELIVERY_DEAD;
        } else {
            d->state = PARLEY_DELIVERY_FAILED;
            double roll = (double)rand_r(&w->seed) / ((double)RAND_MAX + 1.0);
            d->next_attempt_at =
                now + parley_notify_backoff_ms(d->attempts, w->options.retry_base_ms,
                                               w->options.retry_max_ms, roll);
        }
    }
    parley_error rec = {0};
    if (w->repo->notifications->delivery_update(w->repo, d, &rec) != PARLEY_OK) {
        /* it stays due and is attempted again (same idempotency key) */
        parley_log_warn("notifications: recording delivery %s failed: %s", d->id, rec.message);
    } else if (d->state == PARLEY_DELIVERY_DEAD) {
        parley_log_warn("notifications: delivery %s (%s) is dead after %d attempts: %s", d->id,
                        d->channel, d->attempts, d->last_error != NULL ? d->last_error : "");
    }
}

/* Attempts what is due; true when a full batch came (look again now). */
static bool run_due(parley_notify_worker *w) {
    pthread_mutex_lock(&w->lock);
    bool leader = w->leader;
    pthread_mutex_unlock(&w->lock);
    if (!leader) {
        return false; /* the leading node delivers */
    }
    parley_delivery_list due;
    parley_error err = {0};
    if (w->repo->notifications->delivery_due(w->repo, parley_now_ms(), w->options.only_channel,
                                             DUE_BATCH, &due, &err) != PARLEY_OK) {
        parley_log_warn("notifications: reading due deliveries failed: %s", err.message);
        return false;
    }
    for (size_t i = 0; i < due.count; i++) {
        pthread_mutex_lock(&w->lock);
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->lock);
        if (stopping) {
            break;
        }
        attempt(w, &due.items[i]);
    }
    bool full = due.count == DUE_BATCH;
    parley_delivery_list_free(&due);
    return full;
}

static void *worker_main(void *arg) {
    parley_notify_worker *w = arg;
    for (;;) {
        bool more = run_due(w);
        pthread_mutex_lock(&w->lock);
        if (!more && !w->poked && !w->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t ns = (int64_t)until.tv_nsec + (w->options.poll_ms % 1000) * 1000000;
            until.tv_sec += (time_t)(w->options.poll_ms / 1000 + ns / 1000000000);
            until.tv_nsec = (long)(ns % 1000000000);
            while (!w->poked && !w->stopping &&
                   pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT) {
            }
        }
        w->poked = false;
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->lock);
        if (stopping) {
            return NULL;
        }
    }
}

parley_status parley_notify_worker_start(const parley_notify_worker_options *options,
                                         parley_notify_worker **out, parley_error *err) {
    *out = NULL;
    parley_notify_worker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    w->options = *options;
    w->leader = !options->wait_for_leadership;
    w->seed = (unsigned)parley_now_ms() ^ (unsigned)(uintptr_t)w;
    parley_storage_options so = {.durable = options->durable};
    parley_status st = parley_storage_open(options->database_url, &so, &w->repo, err);
    if (st != PARLEY_OK) {
        free(w);
        return st;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        w->repo->ops->close(w->repo);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "cannot start the delivery worker");
    }
    *out = w;
    return PARLEY_OK;
}

void parley_notify_worker_poke(parley_notify_worker *w) {
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->poked = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void parley_notify_worker_set_leader(parley_notify_worker *w, bool leader) {
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->poked = w->poked || (leader && !w->leader); /* what waited is due now */
    w->leader = leader;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void parley_notify_worker_stop(parley_notify_worker *w) {
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->repo->ops->close(w->repo);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* ---- the service ------------------------------------------------------------ */

parley_status parley_notify_service_init(parley_notify_service *s, uv_loop_t *loop, parley_hub *hub,
                                         parley_error *err) {
    memset(s, 0, sizeof *s);
    parley_notify_online_init(&s->online);
    hub->online = &s->online;
    parley_status st = parley_in_app_init(&s->in_app, loop, hub, err);
    if (st != PARLEY_OK) {
        return st;
    }
    s->channels[0] = (parley_notify_channel_binding){&parley_notify_channel_in_app, &s->in_app};
    s->notifier.online = &s->online;
    s->notifier.channels = s->channels;
    s->notifier.channel_count = 1;
    return PARLEY_OK;
}

parley_status parley_notify_service_add_email(parley_notify_service *s, const parley_config *cfg,
                                              const char *database_url, const char *public_url,
                                              parley_error *err) {
    if (cfg->smtp_url == NULL || cfg->smtp_url[0] == '\0') {
        return PARLEY_OK;
    }
    if (s->notifier.channel_count >= PARLEY_NOTIFY_CHANNELS_MAX) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "too many notification channels");
    }
    parley_status st = parley_email_init(&s->email, cfg, database_url, public_url, err);
    if (st == PARLEY_OK) {
        s->channels[s->notifier.channel_count++] =
            (parley_notify_channel_binding){&parley_notify_channel_email, &s->email};
        parley_log_info("notifications: e-mail channel on, through %s", cfg->smtp_url);
    }
    return st;
}

parley_status parley_notify_service_add_push(parley_notify_service *s, const parley_config *cfg,
                                             const char *database_url, parley_error *err) {
    if (cfg->push == 0) {
        return PARLEY_OK;
    }
    if (s->notifier.channel_count >= PARLEY_NOTIFY_CHANNELS_MAX) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "too many notification channels");
    }
    parley_status st = parley_push_channel_init(&s->push, cfg, database_url, err);
    if (st == PARLEY_OK) {
        s->channels[s->notifier.channel_count++] =
            (parley_notify_channel_binding){&parley_notify_channel_push, &s->push};
    }
    return st;
}

void parley_notify_service_poke(parley_notify_service *s) {
    for (size_t i = 0; i < s->worker_count; i++) {
        parley_notify_worker_poke(s->workers[i]);
    }
}

static void poke_after_commit(void *ctx, const parley_event *event) {
    (void)event;
    parley_notify_service_poke(ctx);
}

bool parley_notify_service_subscribe(parley_notify_service *s, parley_event_registry *reg) {
    return parley_notifications_subscribe(reg, &s->notifier) && parley_webhooks_subscribe(reg) &&
           parley_event_subscribe_after_commit(
               reg, parley_notifications_event_types() | parley_webhooks_event_types(),
               poke_after_commit, s);
}

static void stop_workers(parley_notify_service *s) {
    for (size_t i = 0; i < s->worker_count; i++) {
        parley_notify_worker_stop(s->workers[i]);
        s->workers[i] = NULL;
    }
    s->worker_count = 0;
}

parley_status parley_notify_service_start(parley_notify_service *s, const parley_config *cfg,
                                          const char *database_url, parley_error *err) {
    if (cfg->notify_delivery == 0) {
        parley_log_warn("notifications: delivery is off (--notify-delivery 0); deliveries wait");
        return PARLEY_OK;
    }
    parley_status st = parley_webhook_channel_init(&s->webhook, cfg, database_url, err);
    if (st != PARLEY_OK) {
        return st;
    }
    size_t count = s->notifier.channel_count;
    memcpy(s->delivery_channels, s->channels, count * sizeof s->channels[0]);
    s->delivery_channels[count++] =
        (parley_notify_channel_binding){&parley_notify_channel_webhook, &s->webhook};
    for (size_t i = 0; i < count && st == PARLEY_OK; i++) {
        parley_notify_worker_options options = {
            .database_url = database_url,
            .durable = strcmp(cfg->durability, "full") == 0,
            .channels = &s->delivery_channels[i],
            .channel_count = 1,
            .only_channel = s->delivery_channels[i].channel->name,
            .max_attempts = (int)cfg->notify_max_attempts,
            .retry_base_ms = cfg->notify_retry_base_ms,
            .retry_max_ms = cfg->notify_retry_max_ms,
            /* a retry falls due within a poll, whatever its backoff */
            .poll_ms = cfg->notify_retry_base_ms < 1000 ? cfg->notify_retry_base_ms : 1000,
            .wait_for_leadership = true,
        };
        st = parley_notify_worker_start(&options, &s->workers[i], err);
        if (st == PARLEY_OK) {
            s->worker_count = i + 1;
        }
    }
    if (st != PARLEY_OK) {
        stop_workers(s);
        parley_webhook_channel_close(&s->webhook);
    }
    return st;
}

void parley_notify_service_set_leader(parley_notify_service *s, bool leader) {
    for (size_t i = 0; i < s->worker_count; i++) {
        parley_notify_worker_set_leader(s->workers[i], leader);
    }
}

void parley_notify_service_close(parley_notify_service *s) {
    stop_workers(s);
    parley_webhook_channel_close(&s->webhook); /* after the worker: its thread used it */
    parley_in_app_close(&s->in_app);
    parley_email_close(&s->email);
    parley_push_channel_close(&s->push);
}

void parley_notify_service_free(parley_notify_service *s) {
    if (s->notifier.online != NULL) { /* initialised */
        parley_notify_online_free(&s->online);
        s->notifier.online = NULL;
    }
}
