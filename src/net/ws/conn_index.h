/*
 * conn_index.h - connections by a string key: which WebSockets use a token
 * (its hash), which belong to a staff member (their id).
 *
 * The hub (net/ws/hub.h) keeps these so that a logout or a token
 * revocation closes the connections it names by looking them up, instead of
 * walking every open connection (a cost that grew with the connections,
 * paid on every logout). Entries are added when a connection joins the hub
 * and removed when it leaves, each O(1) plus the key's own connections.
 *
 * Threads: one thread (the hub's: the loop thread). Ownership: the index
 * owns its keys and arrays; the connections are borrowed (opaque pointers).
 */
#ifndef PARLEY_CONN_INDEX_H
#define PARLEY_CONN_INDEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_conn_index_key parley_conn_index_key;

typedef struct parley_conn_index {
    parley_conn_index_key *keys; /* uthash by key */
    size_t entries;              /* (key, connection) pairs held */
} parley_conn_index;

/* A zeroed index is empty and ready. */
void parley_conn_index_free(parley_conn_index *ix);

/* Files conn under key ("" or NULL: nothing to file, true). The same pair
 * twice is held twice. False when out of memory (nothing changed). */
bool parley_conn_index_add(parley_conn_index *ix, const char *key, void *conn);
/* Drops one (key, conn) pair; false when there is none. A key with no
 * connection left is freed. */
bool parley_conn_index_remove(parley_conn_index *ix, const char *key, void *conn);
/* The connections filed under key: their count, and up to cap of them
 * copied to out (out may be NULL when cap is 0). */
size_t parley_conn_index_find(const parley_conn_index *ix, const char *key, void **out, size_t cap);
/* The same, into a new array (*out, free()d by the caller; NULL when there
 * is none). False when out of memory. The copy stays valid while the
 * connections it names close, which may change the index. */
bool parley_conn_index_snapshot(const parley_conn_index *ix, const char *key, void ***out,
                                size_t *count);

#endif
