/*
 * fd_limit.h - the process's open-file limit and what it allows
 * (issue 11: at the limit, new clients got a silent EOF from libuv's
 * EMFILE handling instead of Parley's 503).
 *
 * parley_fd_limit_fit raises the soft RLIMIT_NOFILE to the hard limit and
 * returns how many client connections fit under it, keeping
 * PARLEY_FD_RESERVE descriptors for everything else (listeners, the
 * database connections of every thread with their WAL and shm files,
 * uploads being written, the log). The server then refuses connections
 * past --max-connections (clamped to that) with 503 + Retry-After.
 *
 * Thread-safety: call once at start-up, on the main thread, before other
 * threads exist.
 */
#ifndef PARLEY_FD_LIMIT_H
#define PARLEY_FD_LIMIT_H

#include <stdint.h>

#define PARLEY_FD_RESERVE 256

typedef struct parley_fd_limit {
    int64_t before; /* the soft limit found at start */
    int64_t soft;   /* the soft limit now (the hard one when it could be raised) */
    int64_t fit;    /* client connections that fit: soft - PARLEY_FD_RESERVE, at least 1 */
} parley_fd_limit;

/* Raises the soft limit to the hard one (an unlimited hard limit counts as
 * the kernel's nr_open, never more than 1<<20). Returns 0, or -1 when the
 * limit cannot be read (out is then left as "unknown": fit = INT64_MAX). */
int parley_fd_limit_fit(parley_fd_limit *out);

#endif
