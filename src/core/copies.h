/*
 * copies.h - news that a committed unit changed something another node
 * keeps a copy of in memory (issue 13): the knowledge base's index and the
 * profanity allowlist.
 * The core calls parley_copies_changed after the commit (an after-commit
 * action, on the writer); the network side, when it runs several nodes,
 * listens (net/cluster/cluster_changes.h: a notice on the bus, and the
 * other nodes mark their copy stale). With no listener it does nothing.
 *
 * Threads: set_listener once at start, before the executor's threads;
 * changed from any thread (the listener must be thread-safe).
 */
#ifndef PARLEY_COPIES_H
#define PARLEY_COPIES_H

typedef enum parley_copy {
    PARLEY_COPY_KB = 1u << 0,        /* the knowledge base's index (knowledge_base.h) */
    PARLEY_COPY_ALLOWLIST = 1u << 1, /* the profanity filter's allowlist (strategies/profanity.h) */
} parley_copy;

typedef void (*parley_copies_listener_fn)(void *ctx, parley_copy what);

void parley_copies_set_listener(parley_copies_listener_fn fn, void *ctx);
void parley_copies_changed(parley_copy what);

#endif
