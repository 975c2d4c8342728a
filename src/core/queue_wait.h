/*
 * queue_wait.h - the mean time-to-assignment behind the queue's estimated
 * wait (core/routing.h), kept in memory instead of asked of the database.
 *
 * It is the mean of the last PARLEY_QUEUE_WAIT_SAMPLE waits (assigned_at -
 * queued_at) of sessions assigned from the queue. The old way read it with
 * a query that scanned and sorted every session ever created (33-47 ms at
 * 101k sessions), once per dispatch and once per queue read; now a
 * dispatch adds each committed assignment here (O(1)) and readers take the
 * mean under a mutex. The first reader seeds it from the database once
 * (the repository's queue_average_wait: count and mean of the last
 * assignments, taken as that many samples of the mean, older than any
 * added since), so a restart keeps the estimate.
 *
 * With several nodes on one database each node's figure counts the
 * assignments its own writer made after its seed (the leader makes most).
 *
 * Threads: any; every call takes the structure's mutex.
 * Ownership: the executor makes one per process (net/loop/executor.c) and
 * lends it to each worker's chat service (parley_chat_service.queue_wait).
 */
#ifndef PARLEY_QUEUE_WAIT_H
#define PARLEY_QUEUE_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#define PARLEY_QUEUE_WAIT_SAMPLE 20

typedef struct parley_queue_wait parley_queue_wait;

/* NULL when out of memory. */
parley_queue_wait *parley_queue_wait_new(void);
void parley_queue_wait_free(parley_queue_wait *w);

/* A committed assignment waited wait_ms (negative ones are ignored): it
 * replaces the oldest sample once there are PARLEY_QUEUE_WAIT_SAMPLE. */
void parley_queue_wait_add(parley_queue_wait *w, int64_t wait_ms);
/* Until seeded, false. */
bool parley_queue_wait_seeded(parley_queue_wait *w);
/* Once (later calls do nothing): count samples (capped to the room left)
 * of mean_ms, older than the ones added so far. */
void parley_queue_wait_seed(parley_queue_wait *w, int64_t count, int64_t mean_ms);
/* The mean in ms (truncated); false (and *mean_ms 0) while no sample. */
bool parley_queue_wait_mean(parley_queue_wait *w, int64_t *mean_ms);

#endif
