/*
 * authorization.h - who may do what: the one place every REST route, every
 * WebSocket subscribe and message.send, and every service call asks.
 *
 * The policy is a table (authorization.c): for each action, the roles that
 * may attempt it and whether it is scoped to a session. Scoped actions
 * additionally ask the caller's participant ops whether that session is
 * theirs (a customer's own session, a bot's attached one; staff see all).
 * A role that may never do the action gets PARLEY_E_FORBIDDEN (403); a
 * session outside the caller's scope gets PARLEY_E_NOT_FOUND (404), so
 * other people's sessions are not revealed to exist.
 *
 * Thread-safety: pure functions over immutable data, any thread.
 */
#ifndef PARLEY_AUTHORIZATION_H
#define PARLEY_AUTHORIZATION_H

#include "util/error.h"
#include "core/model.h"
#include "core/participant.h"

typedef enum parley_action {
    PARLEY_ACTION_AGENT_CREATE = 0,
    PARLEY_ACTION_AGENT_LIST,
    PARLEY_ACTION_AGENT_UPDATE,
    PARLEY_ACTION_AGENT_PASSWORD_RESET,
    PARLEY_ACTION_PASSWORD_CHANGE,
    PARLEY_ACTION_BOT_CREATE,
    PARLEY_ACTION_BOT_LIST,
    PARLEY_ACTION_BOT_REVOKE,
    PARLEY_ACTION_SESSION_CREATE,
    PARLEY_ACTION_SESSION_LIST,
    PARLEY_ACTION_SESSION_READ,
    PARLEY_ACTION_SESSION_ASSIGN,
    PARLEY_ACTION_SESSION_ATTACH_BOT,
    PARLEY_ACTION_SESSION_CLOSE,
    PARLEY_ACTION_MESSAGE_SEND,
    PARLEY_ACTION_MESSAGE_READ, /* history and WebSocket subscribe */
    PARLEY_ACTION_TICKET_CREATE,
    PARLEY_ACTION_TICKET_LIST,
    PARLEY_ACTION_TICKET_READ,
    PARLEY_ACTION_TICKET_UPDATE,
    PARLEY_ACTION_FEEDBACK_SUBMIT,
    PARLEY_ACTION_FEEDBACK_READ,
    PARLEY_ACTION_AUDIT_READ,
    PARLEY_ACTION_FLAGGED_READ,   /* the queue of refused messages */
    PARLEY_ACTION_MESSAGE_LABEL,  /* teach the spam filter: spam or not */
    PARLEY_ACTION_STRATEGY_ADMIN, /* edit strategy data (the profanity allowlist) */
    PARLEY_ACTION_SETTINGS_READ,  /* the desk's run-time settings */
    PARLEY_ACTION_SETTINGS_UPDATE,
    PARLEY_ACTION_KB_READ, /* the ChatBot's knowledge base: read and search */
    PARLEY_ACTION_KB_EDIT,
    PARLEY_ACTION_UPLOAD_CREATE,    /* store a file to attach to a message */
    PARLEY_ACTION_UPLOAD_READ,      /* download one: its uploader, or who sees its session */
    PARLEY_ACTION_TRANSCRIPT_READ,  /* a session's whole conversation as a file */
    PARLEY_ACTION_PRESENCE_SET,     /* an agent sets its own presence */
    PARLEY_ACTION_QUEUE_READ,       /* the whole waiting queue */
    PARLEY_ACTION_TEAM_LIST,        /* list and read teams (staff only) */
    PARLEY_ACTION_TEAM_ADMIN,       /* create, edit, delete teams and their members */
    PARLEY_ACTION_SESSION_TRANSFER, /* to another agent or team */
    PARLEY_ACTION_SESSION_UNASSIGN, /* back to the queue */
    PARLEY_ACTION_CANNED_USE,       /* list, read, create and edit canned responses */
    PARLEY_ACTION_NOTE_WRITE,       /* private notes inside a session */
    PARLEY_ACTION_NOTE_READ,
    PARLEY_ACTION_READ_MARK,   /* read receipts: mark a session read up to a seq */
    PARLEY_ACTION_LABEL_ADMIN, /* define and delete labels */
    PARLEY_ACTION_LABEL_LIST,
    PARLEY_ACTION_SESSION_LABEL,      /* put labels on sessions and take them off */
    PARLEY_ACTION_MESSAGE_SEARCH,     /* full-text search (customers: their own sessions) */
    PARLEY_ACTION_TICKET_NOTE_CREATE, /* internal notes on tickets: staff only */
    PARLEY_ACTION_TICKET_NOTE_READ,
    PARLEY_ACTION_FEEDBACK_LIST,      /* every rating, for agents and admins */
    PARLEY_ACTION_REPORT_READ,        /* desk reports: admins */
    PARLEY_ACTION_NOTIFICATION_READ,  /* one's own notifications: list, mark read, prefs */
    PARLEY_ACTION_NOTIFICATION_ADMIN, /* the delivery log of every notification: admins */
    PARLEY_ACTION_WEBHOOK_ADMIN,      /* outgoing webhooks, their log and replay: admins */
    PARLEY_ACTION_CONTACT_READ,       /* contacts: list, search, read (staff, as for sessions) */
    PARLEY_ACTION_CONTACT_UPDATE,     /* edit a contact's name, e-mail, language, attributes */
    PARLEY_ACTION_COUNT
} parley_action;

/* May this caller attempt the action at all (its role)? */
parley_status parley_authorize(const parley_participant *caller, parley_action action,
                               parley_error *err);

/* parley_authorize plus, for session-scoped actions, the session's scope. */
parley_status parley_authorize_session(const parley_participant *caller, parley_action action,
                                       const parley_session *session, parley_error *err);

/* The action's name ("session.read"), for logs and the audit trail. */
const char *parley_action_name(parley_action action);

#endif
