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

parley_participant *parley_participant_from_customer(parley_customer *record) {
    parley_customer_participant *c = (parley_customer_participant *)participant_alloc(
        sizeof *c, &parley_customer_participant_ops, record->id, record->name);
    if (c == NULL) {
        parley_customer_free(record);
        return NULL;
    }
    c->customer = *record;
    memset(record, 0, sizeof *record);
    return &c->base;
}

parley_participant *parley_participant_from_agent(parley_agent *record) {
    parley_agent_participant *a = (parley_agent_participant *)participant_alloc(
        sizeof *a, &parley_agent_participant_ops, record->id, record->name);
    if (a == NULL) {
        parley_agent_free(record);
        return NULL;
    }
    a->agent = *record;
    memset(record, 0, sizeof *record);
    return &a->base;
}

parley_participant *parley_participant_from_bot(parley_bot *record) {
    parley_bot_participant *b = (parley_bot_participant *)participant_alloc(
        sizeof *b, &parley_bot_participant_ops, record->id, record->name);
    if (b == NULL) {
        parley_bot_free(record);
        return NULL;
    }
    b->bot = *record;
    memset(record, 0, sizeof *record);
    return &b->base;
}
