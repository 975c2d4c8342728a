/*
 * queue_positions.h - the waiting queue's positions in one pass.
 *
 * A queued session's position is 1 + the sessions still waiting ahead of
 * it in the same pool (its team's, or the no-team pool ""). Counting them
 * afresh for each session was O(q^2) string compares per dispatch (13k
 * waiting: 14 % of a core while idle); this walks the queue once, keeping a
 * running count per pool in a hash, so a dispatch pays O(q) however the
 * queue changed (sessions added at the back, taken from anywhere, put back
 * at their original place).
 *
 * Threads: any; no shared state. Ownership: the caller's arrays.
 */
#ifndef PARLEY_QUEUE_POSITIONS_H
#define PARLEY_QUEUE_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"

/* out[i] = position of q->items[i] counting only entries not gone (gone may
 * be NULL: none is); out[i] = 0 for an entry that is gone. out holds
 * q->count ints. False when out of memory (out untouched). */
bool parley_queue_positions(const parley_queue_list *q, const bool *gone, int *out);

#endif
