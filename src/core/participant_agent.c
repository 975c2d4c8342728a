/* SupportAgent: staff see and write every session; admins also manage
 * agents and bots. */
#include "core/participant.h"

static bool agent_any_session(const parley_participant *self, const parley_session *session) {
    (void)self;
    (void)session;
    return true;
}

static bool agent_is_staff(const parley_participant *self) {
    (void)self;
    return true;
}

static bool agent_is_admin(const parley_participant *self) {
    return ((const parley_agent_participant *)self)->agent.role == PARLEY_ROLE_ADMIN;
}

const parley_participant_ops parley_agent_participant_ops = {
    .kind = PARLEY_PARTICIPANT_AGENT,
    .can_see_session = agent_any_session,
    .is_staff = agent_is_staff,
    .is_admin = agent_is_admin,
};
