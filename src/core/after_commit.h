/*
 * after_commit.h - actions a unit of work wants done only once its writes
 * are committed: changes to in-memory state that mirrors the database (the
 * spam classifier's counts, the profanity allowlist). Done earlier, a
 * rolled-back or failed commit would leave memory believing what the
 * database never stored, until the next restart.
 *
 * Ownership: the queue owns each action's ctx and frees it with free_ctx
 * after running it, or without running it when the unit failed.
 * Threads: a queue belongs to one thread at a time; the executor moves a
 * unit's queue into its job and runs it on the writer after the commit.
 */
#ifndef PARLEY_AFTER_COMMIT_H
#define PARLEY_AFTER_COMMIT_H

#include <stdbool.h>

typedef struct parley_after_commit_action parley_after_commit_action;

typedef struct parley_after_commit {
    parley_after_commit_action *head;
    parley_after_commit_action *tail;
} parley_after_commit;

typedef void (*parley_after_commit_fn)(void *ctx);

/* Queues fn(ctx); false (and ctx freed with free_ctx) when out of memory. */
bool parley_after_commit_add(parley_after_commit *q, parley_after_commit_fn fn, void *ctx,
                             void (*free_ctx)(void *ctx));
/* Appends src's actions to dst, leaving src empty. */
void parley_after_commit_move(parley_after_commit *dst, parley_after_commit *src);
/* Runs every action in order, then empties the queue. */
void parley_after_commit_run(parley_after_commit *q);
/* Empties the queue without running anything. */
void parley_after_commit_discard(parley_after_commit *q);

#endif
