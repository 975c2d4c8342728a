#include "net/api/chain_cache.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/model.h"

struct parley_chain_cache_entry {
    char session_id[PARLEY_ID_SIZE];
    bool has_chain;
    UT_hash_handle hh;
};

void parley_chain_cache_init(parley_chain_cache *cache, size_t max) {
    memset(cache, 0, sizeof *cache);
    cache->max = max;
}

void parley_chain_cache_free(parley_chain_cache *cache) {
    parley_chain_cache_entry *e, *tmp;
    HASH_ITER(hh, cache->entries, e, tmp) {
        HASH_DEL(cache->entries, e);
        free(e);
    }
    cache->count = 0;
}

bool parley_chain_cache_lookup(const parley_chain_cache *cache, const char *session_id,
                               bool *has_chain) {
    parley_chain_cache_entry *e = NULL;
    HASH_FIND_STR(cache->entries, session_id, e);
    if (e != NULL) {
        *has_chain = e->has_chain;
    }
    return e != NULL;
}

void parley_chain_cache_note(parley_chain_cache *cache, const char *session_id, bool has_chain) {
    if (strlen(session_id) >= PARLEY_ID_SIZE) {
        return;
    }
    parley_chain_cache_entry *e = NULL;
    HASH_FIND_STR(cache->entries, session_id, e);
    if (e != NULL) {
        e->has_chain = has_chain;
        return;
    }
    if (cache->count >= cache->max) {
        parley_chain_cache_free(cache);
    }
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        return;
    }
    memcpy(e->session_id, session_id, strlen(session_id) + 1);
    e->has_chain = has_chain;
    HASH_ADD_STR(cache->entries, session_id, e);
    cache->count++;
}
