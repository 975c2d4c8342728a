#include "net/ws/conn_index.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct parley_conn_index_key {
    UT_hash_handle hh;
    void **conns;
    size_t count;
    size_t cap;
    char key[]; /* flexible: NUL-terminated */
};

void parley_conn_index_free(parley_conn_index *ix) {
    parley_conn_index_key *k, *tmp;
    HASH_ITER(hh, ix->keys, k, tmp) {
        HASH_DEL(ix->keys, k);
        free(k->conns);
        free(k);
    }
    ix->entries = 0;
}

static parley_conn_index_key *lookup(const parley_conn_index *ix, const char *key) {
    parley_conn_index_key *k = NULL;
    if (key != NULL && key[0] != '\0') {
        HASH_FIND(hh, ix->keys, key, strlen(key), k);
    }
    return k;
}

bool parley_conn_index_add(parley_conn_index *ix, const char *key, void *conn) {
    if (key == NULL || key[0] == '\0') {
        return true;
    }
    parley_conn_index_key *k = lookup(ix, key);
    bool fresh = k == NULL;
    if (fresh) {
        size_t len = strlen(key);
        k = calloc(1, sizeof *k + len + 1);
        if (k == NULL) {
            return false;
        }
        memcpy(k->key, key, len + 1);
    }
    if (k->count == k->cap) {
        size_t cap = k->cap == 0 ? 2 : k->cap * 2;
        void **grown = realloc(k->conns, cap * sizeof *grown);
        if (grown == NULL) {
            if (fresh) {
                free(k);
            }
            return false;
        }
        k->conns = grown;
        k->cap = cap;
    }
    k->conns[k->count++] = conn;
    if (fresh) {
        HASH_ADD_KEYPTR(hh, ix->keys, k->key, strlen(k->key), k);
    }
    ix->entries++;
    return true;
}

bool parley_conn_index_remove(parley_conn_index *ix, const char *key, void *conn) {
    parley_conn_index_key *k = lookup(ix, key);
    for (size_t i = 0; k != NULL && i < k->count; i++) {
        if (k->conns[i] == conn) {
            k->conns[i] = k->conns[--k->count]; /* order does not matter */
            ix->entries--;
            if (k->count == 0) {
                HASH_DEL(ix->keys, k);
                free(k->conns);
                free(k);
            }
            return true;
        }
    }
    return false;
}

size_t parley_conn_index_find(const parley_conn_index *ix, const char *key, void **out,
                              size_t cap) {
    const parley_conn_index_key *k = lookup(ix, key);
    if (k == NULL) {
        return 0;
    }
    for (size_t i = 0; i < k->count && i < cap; i++) {
        out[i] = k->conns[i];
    }
    return k->count;
}

bool parley_conn_index_snapshot(const parley_conn_index *ix, const char *key, void ***out,
                                size_t *count) {
    *out = NULL;
    *count = parley_conn_index_find(ix, key, NULL, 0);
    if (*count == 0) {
        return true;
    }
    *out = malloc(*count * sizeof **out);
    if (*out == NULL) {
        *count = 0;
        return false;
    }
    parley_conn_index_find(ix, key, *out, *count);
    return true;
}
