/*
 * limits.h - the server's rate limits, built from the configuration: new
 * customers and new connections per client IP, messages per participant,
 * login attempts per account and per IP, searches per customer. Each is a
 * token bucket of N per minute with bursts of N (rate_limiter.h); N = 0
 * turns a limit off. Also the number of message searches running at once
 * (search_slots: one pool thread always stays free for other reads).
 *
 * Ownership: parley_limits owns its limiters. Threads: created at start,
 * then shared by the loop and the workers (each limiter locks itself).
 */
#ifndef PARLEY_LIMITS_H
#define PARLEY_LIMITS_H

#include "core/config.h"
#include "core/error.h"
#include "core/rate_limiter.h"

typedef struct parley_limits {
    parley_rate_limiter *customers_by_ip;
    parley_rate_limiter *connections_by_ip;
    parley_rate_limiter *messages_by_participant;
    parley_rate_limiter *logins_by_account;
    parley_rate_limiter *logins_by_ip;
    parley_rate_limiter *uploads_by_participant;
    parley_rate_limiter *searches_by_customer;
    /* searches running now (any thread; allocated so a const parley_limits
     * can still count) and how many may run at once */
    _Atomic int *searches_running;
    int search_slots;
} parley_limits;

parley_status parley_limits_init(parley_limits *limits, const parley_config *cfg,
                                 parley_error *err);
void parley_limits_free(parley_limits *limits);

/* Takes one event for key; when refused fills err with 429 rate_limited,
 * a message naming `what`, and Retry-After seconds. A NULL limiter (a limit
 * that is off, or none configured at all) always allows. */
parley_status parley_limits_take(parley_rate_limiter *limiter, const char *key, const char *what,
                                 parley_error *err);

/* Takes one of the search slots, or fills err with 503 unavailable and a
 * Retry-After of 1 s when all are taken. Every successful take is paired
 * with parley_limits_search_done(). NULL limits always allow. */
parley_status parley_limits_search_start(const parley_limits *limits, parley_error *err);
void parley_limits_search_done(const parley_limits *limits);

#endif
