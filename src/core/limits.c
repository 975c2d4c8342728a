#include "core/limits.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Buckets kept per limiter: enough for every active client of a busy
 * node; idle ones are evicted first when full. */
#define LIMITER_KEYS 65536

static parley_rate_limiter *per_minute(int64_t n, bool *ok) {
    if (n <= 0) {
        return NULL;
    }
    parley_rate_limit limit = {.per_second = (double)n / 60.0, .burst = (double)n};
    parley_rate_limiter *rl = parley_rate_limiter_create(limit, LIMITER_KEYS);
    if (rl == NULL) {
        *ok = false;
    }
    return rl;
}

parley_status parley_limits_init(parley_limits *limits, const parley_config *cfg,
                                 parley_error *err) {
    bool ok = true;
    memset(limits, 0, sizeof *limits);
    limits->customers_by_ip = per_minute(cfg->limit_customers_per_minute, &ok);
    limits->connections_by_ip = per_minute(cfg->limit_connections_per_minute, &ok);
    limits->messages_by_participant = per_minute(cfg->limit_messages_per_minute, &ok);
    limits->logins_by_account = per_minute(cfg->limit_logins_per_minute, &ok);
    limits->logins_by_ip = per_minute(cfg->limit_logins_per_minute * 5, &ok);
    limits->uploads_by_participant = per_minute(cfg->limit_uploads_per_minute, &ok);
    limits->searches_by_customer = per_minute(cfg->limit_searches_per_minute, &ok);
    /* the pool keeps a thread for everything else (one pool thread: one search) */
    limits->search_slots = cfg->worker_threads > 1 ? (int)cfg->worker_threads - 1 : 1;
    limits->searches_running = calloc(1, sizeof *limits->searches_running);
    if (limits->searches_running == NULL) {
        ok = false;
    } else {
        atomic_init(limits->searches_running, 0);
    }
    if (!ok) {
        parley_limits_free(limits);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return PARLEY_OK;
}

void parley_limits_free(parley_limits *limits) {
    parley_rate_limiter_free(limits->customers_by_ip);
    parley_rate_limiter_free(limits->connections_by_ip);
    parley_rate_limiter_free(limits->messages_by_participant);
    parley_rate_limiter_free(limits->logins_by_account);
    parley_rate_limiter_free(limits->logins_by_ip);
    parley_rate_limiter_free(limits->uploads_by_participant);
    parley_rate_limiter_free(limits->searches_by_customer);
    free(limits->searches_running);
    memset(limits, 0, sizeof *limits);
}

parley_status parley_limits_take(parley_rate_limiter *limiter, const char *key, const char *what,
                                 parley_error *err) {
    int64_t retry_ms = 0;
    if (limiter == NULL ||
        parley_rate_limiter_take(limiter, key, parley_monotonic_ms(), &retry_ms)) {
        return PARLEY_OK;
    }
    parley_error_set(err, PARLEY_E_RATE_LIMITED, "rate_limited", "too many %s; retry later", what);
    if (err != NULL) {
        err->retry_after_seconds = (int)((retry_ms + 999) / 1000);
    }
    return PARLEY_E_RATE_LIMITED;
}

parley_status parley_limits_search_start(const parley_limits *limits, parley_error *err) {
    if (limits == NULL || limits->searches_running == NULL) {
        return PARLEY_OK;
    }
    if (atomic_fetch_add(limits->searches_running, 1) >= limits->search_slots) {
        atomic_fetch_sub(limits->searches_running, 1);
        parley_error_set(err, PARLEY_E_UNAVAILABLE, "unavailable",
                         "too many searches are running; retry in a moment");
        if (err != NULL) {
            err->retry_after_seconds = 1;
        }
        return PARLEY_E_UNAVAILABLE;
    }
    return PARLEY_OK;
}

void parley_limits_search_done(const parley_limits *limits) {
    if (limits != NULL && limits->searches_running != NULL) {
        atomic_fetch_sub(limits->searches_running, 1);
    }
}
