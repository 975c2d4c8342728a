/*
 * queue.h - the intrusive FIFO queue several structs share: a struct with
 * `head` and `tail` pointers over nodes linked by their own `next`
 * (executor jobs, events, after-commit actions).
 *
 * Macros, so they work for any node type; each names the queue by pointer
 * and evaluates its arguments more than once (pass plain variables).
 * Ownership: the queue holds borrowed nodes; whoever pops or clears them
 * owns them again. Threads: a queue is used by one thread at a time (its
 * owner locks around it where it is shared).
 */
#ifndef PARLEY_UTIL_QUEUE_H
#define PARLEY_UTIL_QUEUE_H

#include <stddef.h>

/* Appends node at the tail. */
#define PARLEY_QUEUE_PUSH(q, node)                                                                 \
    do {                                                                                           \
        (node)->next = NULL;                                                                       \
        if ((q)->tail != NULL) {                                                                   \
            (q)->tail->next = (node);                                                              \
        } else {                                                                                   \
            (q)->head = (node);                                                                    \
        }                                                                                          \
        (q)->tail = (node);                                                                        \
    } while (0)

/* Moves every node of src, in order, to the tail of dst; src ends empty. */
#define PARLEY_QUEUE_SPLICE(dst, src)                                                              \
    do {                                                                                           \
        if ((src)->head != NULL) {                                                                 \
            if ((dst)->tail != NULL) {                                                             \
                (dst)->tail->next = (src)->head;                                                   \
            } else {                                                                               \
                (dst)->head = (src)->head;                                                         \
            }                                                                                      \
            (dst)->tail = (src)->tail;                                                             \
            (src)->head = (src)->tail = NULL;                                                      \
        }                                                                                          \
    } while (0)

#endif
