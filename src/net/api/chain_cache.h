/*
 * chain_cache.h - which sessions have a strategy chain, as the loop thread
 * has learnt from completed sends.
 *
 * A message to a session with a chain is prepared on a pool thread (the
 * chain may take milliseconds) and then stored by the writer; a message to
 * a session without one is cheaper stored by the writer in one go, without
 * the extra hop, reads and thread hand-offs. A session's chain is set
 * when it is created and changes only when an admin re-applies the policy
 * (POST /api/v1/strategies/policy/reapply). What was learnt may then be
 * stale, and either way stays correct: the writer's one-unit path reads
 * the session and runs its chain when it has one (slower, on the writer,
 * for that one send, whose finish corrects the entry); the prepared path
 * runs whatever the session has. An unknown session takes the prepared
 * path, which is right in either case.
 *
 * Bounded: when full it forgets everything and learns again.
 * Threads: the event-loop thread only. Ownership: the cache owns its keys.
 */
#ifndef PARLEY_CHAIN_CACHE_H
#define PARLEY_CHAIN_CACHE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_chain_cache_entry parley_chain_cache_entry;

typedef struct parley_chain_cache {
    parley_chain_cache_entry *entries;
    size_t count;
    size_t max;
} parley_chain_cache;

void parley_chain_cache_init(parley_chain_cache *cache, size_t max);
void parley_chain_cache_free(parley_chain_cache *cache);
/* True when known; *has_chain is then set. */
bool parley_chain_cache_lookup(const parley_chain_cache *cache, const char *session_id,
                               bool *has_chain);
/* Remembers (silently does nothing when out of memory). */
void parley_chain_cache_note(parley_chain_cache *cache, const char *session_id, bool has_chain);

#endif
