#include "core/queue_positions.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* the entries seen so far of one pool; key borrowed from the queue */
typedef struct pool_count {
    const char *team_id;
    int seen;
    UT_hash_handle hh;
} pool_count;

bool parley_queue_positions(const parley_queue_list *q, const bool *gone, int *out) {
    if (q->count == 0) {
        return true;
    }
    /* at most one pool per entry: one allocation for all of them */
    pool_count *slots = calloc(q->count, sizeof *slots);
    if (slots == NULL) {
        return false;
    }
    pool_count *pools = NULL;
    size_t used = 0;
    for (size_t i = 0; i < q->count; i++) {
        if (gone != NULL && gone[i]) {
            out[i] = 0;
            continue;
        }
        const char *team = q->items[i].session.team_id;
        pool_count *p = NULL;
        HASH_FIND(hh, pools, team, strlen(team), p);
        if (p == NULL) {
            p = &slots[used++];
            p->team_id = team;
            HASH_ADD_KEYPTR(hh, pools, p->team_id, strlen(p->team_id), p);
        }
        out[i] = ++p->seen;
    }
    HASH_CLEAR(hh, pools);
    free(slots);
    return true;
}
