/* ChatBot: an automated participant. A bot reaches only the sessions it is
 * attached to (session.bot_id), never others. */
#include <string.h>

#include "core/participant.h"

static bool bot_attached(const parley_participant *self, const parley_session *session) {
    return session->bot_id[0] != '\0' && strcmp(session->bot_id, self->id) == 0;
}

const parley_participant_ops parley_bot_participant_ops = {
    .kind = PARLEY_PARTICIPANT_BOT,
    .can_see_session = bot_attached,
    .is_staff = parley_participant_never,
    .is_admin = parley_participant_never,
};
