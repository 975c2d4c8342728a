/*
 * limits.h - the server's rate limits, built from the configuration: new
 * customers and new connections per client IP, messages per participant,
 * login attempts per account and per IP. Each is a token bucket of N per
 * minute with bursts of N (rate_limiter.h); N = 0 turns a limit off.
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
} parley_limits;

parley_status parley_limits_init(parley_limits *limits, const parley_config *cfg,
                                 parley_error *err);
void parley_limits_free(parley_limits *limits);

/* Takes one event for key; when refused fills err with 429 rate_limited,
 * a message naming `what`, and Retry-After seconds. A NULL limiter (a limit
 * that is off, or none configured at all) always allows. */
parley_status parley_limits_take(parley_rate_limiter *limiter, const char *key, const char *what,
                                 parley_error *err);

#endif
