#include "core/authorization.h"

enum {
    ROLE_ADMIN = 1u << 0,
    ROLE_AGENT = 1u << 1,
    ROLE_CUSTOMER = 1u << 2,
    ROLE_BOT = 1u << 3,
    STAFF = ROLE_ADMIN | ROLE_AGENT
};

typedef struct policy {
    const char *name;
    unsigned roles;
    bool session_scoped; /* non-staff callers must have the session in scope */
} policy;

/* The whole access policy of Parley. Changing a line here changes it
 * everywhere; tests/integration/test_access_control.py checks every cell. */
static const policy policies[PARLEY_ACTION_COUNT] = {
    [PARLEY_ACTION_AGENT_CREATE] = {"agent.create", ROLE_ADMIN, false},
    [PARLEY_ACTION_AGENT_LIST] = {"agent.list", STAFF, false},
    [PARLEY_ACTION_AGENT_UPDATE] = {"agent.update", ROLE_ADMIN, false},
    [PARLEY_ACTION_AGENT_PASSWORD_RESET] = {"agent.password_reset", ROLE_ADMIN, false},
    [PARLEY_ACTION_PASSWORD_CHANGE] = {"password.change", STAFF, false},
    [PARLEY_ACTION_BOT_CREATE] = {"bot.create", ROLE_ADMIN, false},
    [PARLEY_ACTION_BOT_LIST] = {"bot.list", ROLE_ADMIN, false},
    [PARLEY_ACTION_BOT_REVOKE] = {"bot.revoke", ROLE_ADMIN, false},
    [PARLEY_ACTION_SESSION_CREATE] = {"session.create", ROLE_CUSTOMER, false},
    [PARLEY_ACTION_SESSION_LIST] = {"session.list", STAFF | ROLE_CUSTOMER, false},
    [PARLEY_ACTION_SESSION_READ] = {"session.read", STAFF | ROLE_CUSTOMER | ROLE_BOT, true},
    [PARLEY_ACTION_SESSION_ASSIGN] = {"session.assign", STAFF, true},
    [PARLEY_ACTION_SESSION_ATTACH_BOT] = {"session.attach_bot", STAFF, true},
    [PARLEY_ACTION_SESSION_CLOSE] = {"session.close", STAFF | ROLE_CUSTOMER, true},
    [PARLEY_ACTION_MESSAGE_SEND] = {"message.send", STAFF | ROLE_CUSTOMER | ROLE_BOT, true},
    [PARLEY_ACTION_MESSAGE_READ] = {"message.read", STAFF | ROLE_CUSTOMER | ROLE_BOT, true},
    [PARLEY_ACTION_TICKET_CREATE] = {"ticket.create", STAFF, true},
    [PARLEY_ACTION_TICKET_LIST] = {"ticket.list", STAFF | ROLE_CUSTOMER, false},
    [PARLEY_ACTION_TICKET_READ] = {"ticket.read", STAFF | ROLE_CUSTOMER, true},
    [PARLEY_ACTION_TICKET_UPDATE] = {"ticket.update", STAFF, true},
    [PARLEY_ACTION_FEEDBACK_SUBMIT] = {"feedback.submit", ROLE_CUSTOMER, true},
    [PARLEY_ACTION_FEEDBACK_READ] = {"feedback.read", STAFF | ROLE_CUSTOMER, true},
    [PARLEY_ACTION_AUDIT_READ] = {"audit.read", ROLE_ADMIN, false},
    /* agents label what they review: they see the queue like any session */
    [PARLEY_ACTION_FLAGGED_READ] = {"flagged.read", STAFF, false},
    [PARLEY_ACTION_MESSAGE_LABEL] = {"message.label", STAFF, true},
    [PARLEY_ACTION_STRATEGY_ADMIN] = {"strategy.admin", ROLE_ADMIN, false},
    [PARLEY_ACTION_SETTINGS_READ] = {"settings.read", STAFF, false},
    [PARLEY_ACTION_SETTINGS_UPDATE] = {"settings.update", ROLE_ADMIN, false},
    /* agents search the bot's answers too (to reply with them) */
    [PARLEY_ACTION_KB_READ] = {"kb.read", STAFF, false},
    [PARLEY_ACTION_KB_EDIT] = {"kb.edit", ROLE_ADMIN, false},
    /* whoever may send into a session may upload what they attach; the
     * upload service scopes reads to the uploader and the session's people */
    [PARLEY_ACTION_UPLOAD_CREATE] = {"upload.create", STAFF | ROLE_CUSTOMER | ROLE_BOT, false},
    [PARLEY_ACTION_UPLOAD_READ] = {"upload.read", STAFF | ROLE_CUSTOMER | ROLE_BOT, true},
    /* the conversation's two parties: its customer and staff */
    [PARLEY_ACTION_TRANSCRIPT_READ] = {"transcript.read", STAFF | ROLE_CUSTOMER, true},
    [PARLEY_ACTION_PRESENCE_SET] = {"presence.set", STAFF, false},
    [PARLEY_ACTION_QUEUE_READ] = {"queue.read", STAFF, false},
    /* customers may choose a team when they start a chat */
    /* staff only: a team's name and topics describe the organisation, and
     * no customer page needs them (a site that routes by team passes a
     * team_id it knows at session start) */
    [PARLEY_ACTION_TEAM_LIST] = {"team.list", STAFF, false},
    [PARLEY_ACTION_TEAM_ADMIN] = {"team.admin", ROLE_ADMIN, false},
    [PARLEY_ACTION_SESSION_TRANSFER] = {"session.transfer", STAFF, true},
    [PARLEY_ACTION_SESSION_UNASSIGN] = {"session.unassign", STAFF, true},
    /* team-wide canned responses are edited by admins only: the service
     * checks that against the row's owner */
    [PARLEY_ACTION_CANNED_USE] = {"canned.use", STAFF, false},
    [PARLEY_ACTION_NOTE_WRITE] = {"note.write", STAFF, true},
    [PARLEY_ACTION_NOTE_READ] = {"note.read", STAFF, true},
    [PARLEY_ACTION_READ_MARK] = {"read.mark", STAFF | ROLE_CUSTOMER | ROLE_BOT, true},
    [PARLEY_ACTION_LABEL_ADMIN] = {"label.admin", ROLE_ADMIN, false},
    [PARLEY_ACTION_LABEL_LIST] = {"label.list", STAFF, false},
    [PARLEY_ACTION_SESSION_LABEL] = {"session.label", STAFF, true},
    /* the service narrows a customer's search to their own sessions */
    [PARLEY_ACTION_MESSAGE_SEARCH] = {"message.search", STAFF | ROLE_CUSTOMER, false},
    [PARLEY_ACTION_TICKET_NOTE_CREATE] = {"ticket.note.create", STAFF, false},
    [PARLEY_ACTION_TICKET_NOTE_READ] = {"ticket.note.read", STAFF, false},
    [PARLEY_ACTION_FEEDBACK_LIST] = {"feedback.list", STAFF, false},
    /* reports compare agents with each other: a manager's view */
    [PARLEY_ACTION_REPORT_READ] = {"report.read", ROLE_ADMIN, false},
    [PARLEY_ACTION_NOTIFICATION_READ] = {"notification.read", STAFF | ROLE_CUSTOMER, false},
    [PARLEY_ACTION_NOTIFICATION_ADMIN] = {"notification.admin", ROLE_ADMIN, false},
    [PARLEY_ACTION_WEBHOOK_ADMIN] = {"webhook.admin", ROLE_ADMIN, false},
    [PARLEY_ACTION_CONTACT_READ] = {"contact.read", STAFF, false},
    [PARLEY_ACTION_CONTACT_UPDATE] = {"contact.update", STAFF, false},
};

static unsigned role_of(const parley_participant *caller) {
    switch (parley_participant_kind_of(caller)) {
    case PARLEY_PARTICIPANT_AGENT:
        return caller->ops->is_admin(caller) ? ROLE_ADMIN : ROLE_AGENT;
    case PARLEY_PARTICIPANT_CUSTOMER:
        return ROLE_CUSTOMER;
    case PARLEY_PARTICIPANT_BOT:
        return ROLE_BOT;
    case PARLEY_PARTICIPANT_SYSTEM:
        break;
    }
    return 0;
}

const char *parley_action_name(parley_action action) {
    return (unsigned)action < PARLEY_ACTION_COUNT ? policies[action].name : "unknown";
}

parley_status parley_authorize(const parley_participant *caller, parley_action action,
                               parley_error *err) {
    if (caller == NULL) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated",
                                "a valid bearer token is required");
    }
    if ((unsigned)action >= PARLEY_ACTION_COUNT ||
        (policies[action].roles & role_of(caller)) == 0) {
        return parley_error_set(err, PARLEY_E_FORBIDDEN, "forbidden", "not allowed to %s",
                                parley_action_name(action));
    }
    return PARLEY_OK;
}

parley_status parley_authorize_session(const parley_participant *caller, parley_action action,
                                       const parley_session *session, parley_error *err) {
    parley_status st = parley_authorize(caller, action, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (policies[action].session_scoped && !caller->ops->is_staff(caller) &&
        !caller->ops->can_see_session(caller, session)) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");
    }
    return PARLEY_OK;
}
