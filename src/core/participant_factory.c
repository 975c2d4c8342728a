#include "core/participant_factory.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Allocates a participant of `size` bytes (a subtype embedding the base
 * first) and wires its ops and identity. */
static parley_participant *participant_alloc(size_t size, const parley_participant_ops *ops,
                                             const char *id, char *name) {
    parley_participant *p = calloc(1, size);
    if (p == NULL) {
        return NULL;
    }
    p->ops = ops;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->name = name; /* borrowed from the record the subtype owns */
    return p;
}

/* parley_participant_from_<kind>: the record moves into a new
 * parley_<kind>_participant (member <kind>), with that kind's ops. */
#define PARLEY_DEFINE_FACTORY(kind)                                                                \
    parley_participant *parley_participant_from_##kind(parley_##kind *record) {                    \
        parley_##kind##_participant *p = (parley_##kind##_participant *)participant_alloc(         \
            sizeof *p, &parley_##kind##_participant_ops, record->id, record->name);                \
        if (p == NULL) {                                                                           \
            parley_##kind##_free(record);                                                          \
            return NULL;                                                                           \
        }                                                                                          \
        p->kind = *record;                                                                         \
        memset(record, 0, sizeof *record);                                                         \
        return &p->base;                                                                           \
    }

PARLEY_DEFINE_FACTORY(customer)
PARLEY_DEFINE_FACTORY(agent)
PARLEY_DEFINE_FACTORY(bot)
