#include "core/participant.h"

#include <stdlib.h>

bool parley_participant_never(const parley_participant *self) {
    (void)self;
    return false;
}

void parley_participant_free(parley_participant *p) {
    if (p == NULL) {
        return;
    }
    switch (p->ops->kind) {
    case PARLEY_PARTICIPANT_AGENT:
        parley_agent_free(&((parley_agent_participant *)p)->agent);
        break;
    case PARLEY_PARTICIPANT_CUSTOMER:
        parley_customer_free(&((parley_customer_participant *)p)->customer);
        break;
    case PARLEY_PARTICIPANT_BOT:
        parley_bot_free(&((parley_bot_participant *)p)->bot);
        break;
    case PARLEY_PARTICIPANT_SYSTEM:
        break;
    }
    free(p);
}
