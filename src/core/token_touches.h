/*
 * token_touches.h - a token's "last used" time, noted in memory and written
 * by the writer's next batch (issue 11 B).
 *
 * Authenticating a token that was not used for a while bumps its
 * last_used_at (its idle timeout runs from there). Written at once, that is
 * a committed write - an fsync - inside the connect or request that merely
 * presented the token: a reconnect storm became fsync-bound. Instead
 * parley_account_authenticate notes the time here and goes on; the writer
 * takes what is noted into its next transaction (at once when jobs are
 * waiting, within a second otherwise) without any reply waiting for it.
 * Until written, a noted time counts for the idle check too (the
 * authenticating thread reads it back), so a token in use never expires
 * for lack of a flushed touch. A touch still unwritten when the process
 * stops is lost: at most a minute of idle credit, never a token's validity
 * beyond its lifetime.
 *
 * Bounded: past PARLEY_TOKEN_TOUCHES_MAX distinct tokens noted and not yet
 * written, note() refuses and the caller writes the touch itself.
 *
 * Threads: any; one mutex inside. Ownership: the executor owns the one
 * instance of a server (net/loop/executor.c) and lends it to every
 * worker's account service.
 */
#ifndef PARLEY_TOKEN_TOUCHES_H
#define PARLEY_TOKEN_TOUCHES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ids.h"
#include "core/model.h"
#include "core/repository.h"

#define PARLEY_TOKEN_TOUCHES_MAX 65536

typedef struct parley_token_touches parley_token_touches;

parley_token_touches *parley_token_touches_new(void);
void parley_token_touches_free(parley_token_touches *t);

/* Notes that token_hash was used at `at` (the newest time wins). False
 * when the ledger is full: write the touch directly. */
bool parley_token_touches_note(parley_token_touches *t, const char *token_hash, parley_time_ms at);

/* The newest time noted and not yet written for token_hash, or 0. */
parley_time_ms parley_token_touches_get(parley_token_touches *t, const char *token_hash);

/* How many tokens have a touch waiting. */
size_t parley_token_touches_pending(parley_token_touches *t);

/* Writer thread, inside its open transaction: writes every waiting touch
 * with repo's token_touch (in a savepoint: a failure undoes only the
 * touches, never the batch's jobs). Returns how many were written; the
 * entries stay noted (get() still sees them) until
 * parley_token_touches_committed. */
size_t parley_token_touches_write(parley_token_touches *t, parley_repository *repo);

/* The transaction that wrote them rolled back: they stay noted, for the
 * next batch. */
void parley_token_touches_rolled_back(parley_token_touches *t);

/* The transaction that wrote them committed: forgets the written touches
 * (those not noted again since with a newer time). */
void parley_token_touches_committed(parley_token_touches *t);

#endif
