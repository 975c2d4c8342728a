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

/* load_<kind>: the stored record as a participant; present says whether a
 * record found still counts when active_only. */
#define PARLEY_DEFINE_LOAD(kind, present)                                                          \
    static parley_status load_##kind(parley_repository *repo, const char *id, bool active_only,    \
                                     parley_participant **out, parley_error *err) {                \
        parley_##kind record = {0};                                                                \
        parley_status st = repo->accounts->kind##_get(repo, id, &record, err);                     \
        if (st == PARLEY_OK && active_only && !(present)) {                                        \
            parley_##kind##_free(&record);                                                         \
            return PARLEY_E_NOT_FOUND;                                                             \
        }                                                                                          \
        if (st == PARLEY_OK) {                                                                     \
            *out = parley_participant_from_##kind(&record);                                        \
        }                                                                                          \
        return st;                                                                                 \
    }

PARLEY_DEFINE_LOAD(customer, true)
PARLEY_DEFINE_LOAD(agent, record.active)
PARLEY_DEFINE_LOAD(bot, record.active)

parley_status parley_participant_load(parley_repository *repo, parley_participant_kind kind,
                                      const char *id, bool active_only, parley_participant **out,
                                      parley_error *err) {
    parley_status st = PARLEY_E_NOT_FOUND;
    *out = NULL;
    switch (kind) {
    case PARLEY_PARTICIPANT_CUSTOMER:
        st = load_customer(repo, id, active_only, out, err);
        break;
    case PARLEY_PARTICIPANT_AGENT:
        st = load_agent(repo, id, active_only, out, err);
        break;
    case PARLEY_PARTICIPANT_BOT:
        st = load_bot(repo, id, active_only, out, err);
        break;
    case PARLEY_PARTICIPANT_SYSTEM:
        break;
    }
    if (st != PARLEY_OK) {
        return st;
    }
    return *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}
