/* ChatBot: an automated participant. Bots reach only the sessions they are
 * attached to; attachment arrives with the access-control work, so until
 * then a bot reaches none (deny by default rather than all). */
#include "core/participant.h"

static bool bot_attached(const parley_participant *self, const parley_session *session) {
    (void)self;
    (void)session;
    return false;
}

static bool bot_is_staff(const parley_participant *self) {
    (void)self;
    return false;
}

const parley_participant_ops parley_bot_participant_ops = {
    .kind = PARLEY_PARTICIPANT_BOT,
    .can_see_session = bot_attached,
    .can_send_to_session = bot_attached,
    .is_staff = bot_is_staff,
    .is_admin = bot_is_staff,
};
