/* Customer: sees and writes only the sessions it started. */
#include <string.h>

#include "core/participant.h"

static bool customer_owns(const parley_participant *self, const parley_session *session) {
    return strcmp(session->customer_id, self->id) == 0;
}

const parley_participant_ops parley_customer_participant_ops = {
    .kind = PARLEY_PARTICIPANT_CUSTOMER,
    .can_see_session = customer_owns,
    .is_staff = parley_participant_never,
    .is_admin = parley_participant_never,
};
