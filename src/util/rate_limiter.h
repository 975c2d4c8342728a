/*
 * rate_limiter.h - keyed token buckets: customer creation and new connections
 * per client IP, messages per participant, login attempts per account and per
 * IP.
 *
 * Each key (an IP, an account e-mail, a participant id, ...) has a bucket of
 * `burst` tokens that refills continuously at `per_second`; a request takes
 * one token or is refused with the time until the next token.
 *
 * Ownership: the creator owns the limiter and frees it with
 * parley_rate_limiter_free() once no thread can call it any more. Keys are
 * copied (or digested, see below); callers keep ownership of their strings.
 * Thread-safety: every function except create/free may be called from any
 * thread at the same time (the libuv loop and the workers share limiters);
 * one mutex per limiter serialises them. parley_crypto_init() must have run
 * first, because the table is keyed with a random SipHash key (so clients
 * cannot choose keys that collide into one hash chain).
 *
 * Keys: any NUL-terminated string. Keys of up to PARLEY_RATE_LIMIT_KEY_MAX
 * bytes are stored verbatim; longer keys are replaced by their BLAKE2b-256
 * digest, never truncated, so two long keys sharing a prefix (e-mail
 * addresses, say) still get separate buckets and a short key can never
 * collide with a digested one.
 *
 * Memory: at most max_keys buckets. When a new key arrives at a full limiter,
 * an idle bucket (one already refilled to burst, so forgetting it changes
 * nothing) is reused first; only when none is idle is the least recently used
 * bucket evicted, which hands that key a fresh burst. Size max_keys above the
 * number of keys expected to be active within burst / per_second seconds.
 * Cost: a take on a known key is O(1); adding a key is O(log max_keys)
 * amortised; nothing ever scans the whole table.
 */
#ifndef PARLEY_RATE_LIMITER_H
#define PARLEY_RATE_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest key stored verbatim; longer ones are digested (see above). */
#define PARLEY_RATE_LIMIT_KEY_MAX 127

typedef struct parley_rate_limiter parley_rate_limiter;

typedef struct parley_rate_limit {
    double per_second; /* sustained rate (tokens added per second); <= 0 (or NaN, or
                          infinite) disables the limit */
    double burst;      /* bucket size: requests allowed at once; values below 1 (or not
                          finite) are raised to 1 so an enabled limit can ever allow */
} parley_rate_limit;

/* max_keys bounds memory: when full, idle (fully refilled) buckets are evicted
 * first, then the least recently used. max_keys 0 is treated as 1. Returns
 * NULL only when out of memory. */
parley_rate_limiter *parley_rate_limiter_create(parley_rate_limit limit, size_t max_keys);

/* Frees every bucket; NULL is ignored. */
void parley_rate_limiter_free(parley_rate_limiter *rl);

/* Takes one token for key at time now_ms (monotonic milliseconds, passed in
 * so tests control time). Returns true when allowed (and then sets
 * *retry_after_ms to 0 when not NULL). When refused, *retry_after_ms (if not
 * NULL) is how long until one token is available (>= 1): taking again at
 * now_ms + *retry_after_ms succeeds unless someone else took it first.
 * A now_ms earlier than the key's last seen time (a clock going backwards)
 * adds no tokens and does not move the key's time back.
 * A NULL rl (no limiter configured) or a disabled limit always allows and
 * stores nothing; a NULL key counts as "". When memory for a new key cannot
 * be had, the take is refused with a retry of 1000 ms (fail closed). */
bool parley_rate_limiter_take(parley_rate_limiter *rl, const char *key, int64_t now_ms,
                              int64_t *retry_after_ms);

/* Forgets a key (e.g. after a successful login, reset that account's
 * failures); the next take for it starts with a full bucket. */
void parley_rate_limiter_reset(parley_rate_limiter *rl, const char *key);

/* Number of keys currently stored (never more than max_keys). */
size_t parley_rate_limiter_size(const parley_rate_limiter *rl);

/* Monotonic clock in ms for callers (CLOCK_MONOTONIC; unaffected by wall
 * clock changes). Any thread. */
int64_t parley_monotonic_ms(void);

#endif
