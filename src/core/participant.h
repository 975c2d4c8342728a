/*
 * participant.h - the seed's ChatParticipant: who is acting.
 *
 * A participant embeds `parley_participant` first and carries a const ops
 * table; customer, agent (SupportAgent) and bot (ChatBot) each live in their
 * own file and are made only by the factory (participant_factory.h).
 * The scope that depends on the kind of participant is answered by its ops;
 * the authorization policy (authorization.h) combines it with the role.
 *
 * Ownership: created by the factory, freed with parley_participant_free().
 * Immutable after creation, so any thread may read a participant that is
 * kept alive by its owner (a request job or a WebSocket connection).
 */
#ifndef PARLEY_PARTICIPANT_H
#define PARLEY_PARTICIPANT_H

#include <stdbool.h>

#include "core/model.h"

typedef struct parley_participant parley_participant;

typedef struct parley_participant_ops {
    parley_participant_kind kind;
    /* Is the session within this participant's scope (a customer's own, a
     * bot's attached one, any for staff)? What may be done there is decided
     * by the authorization policy (authorization.h), which asks this. */
    bool (*can_see_session)(const parley_participant *self, const parley_session *session);
    /* Agents and admins: the support staff, who see every session. */
    bool (*is_staff)(const parley_participant *self);
    bool (*is_admin)(const parley_participant *self);
} parley_participant_ops;

struct parley_participant {
    const parley_participant_ops *ops;
    char id[PARLEY_ID_SIZE];
    char *name;
    /* the hash of the token this request authenticated with ("" if none),
     * so logout can revoke exactly that token */
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
};

/* The agent participant keeps its stored record (role, e-mail, ...). */
typedef struct parley_agent_participant {
    parley_participant base;
    parley_agent agent;
} parley_agent_participant;

typedef struct parley_customer_participant {
    parley_participant base;
    parley_customer customer;
} parley_customer_participant;

typedef struct parley_bot_participant {
    parley_participant base;
    parley_bot bot;
} parley_bot_participant;

static inline parley_participant_kind parley_participant_kind_of(const parley_participant *p) {
    return p->ops->kind;
}

void parley_participant_free(parley_participant *p);

/* is_staff and is_admin of customers and bots: false for self. */
bool parley_participant_never(const parley_participant *self);

/* Per-kind ops tables, used by the factory. */
extern const parley_participant_ops parley_customer_participant_ops;
extern const parley_participant_ops parley_agent_participant_ops;
extern const parley_participant_ops parley_bot_participant_ops;

#endif
