/*
 * chat_tickets.c - the ChatService's tickets (opened from a session or
 * directly; assignee, priority, state changes, internal notes) and the
 * customers' feedback on a session. Split from chat_service.c, which keeps
 * sessions and messages; both implement core/chat_service.h.
 *
 * Threads: like every service call, the calling worker's thread, inside
 * its unit of work. Ownership: outputs belong to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chat_service_internal.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "util/validate.h"

#define COMMENT_MAX_CHARS 2000
#define SUBJECT_MAX_CHARS 200
#define NOTE_MAX_CHARS 5000
#define EXCERPT_MESSAGES 10
#define EXCERPT_LINE_BYTES 200

/* actor: the person who made the change (the event's actor_id). */
static parley_status emit_ticket_event(parley_chat_service *svc, parley_event_type type,
                                       const parley_ticket *t, const parley_participant *actor,
                                       parley_error *err) {
    parley_event *e = parley_event_new(type, PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER,
                                       t->session_id, t->customer_id);
    if (e != NULL && !parley_ticket_copy(&e->ticket, t)) {
        parley_event_free(e);
        e = NULL;
    }
    if (e != NULL) {
        snprintf(e->actor_id, sizeof e->actor_id, "%s", actor->id);
    }
    return parley_chat_emit(svc, e, err);
}

/* An active agent to assign a ticket to, or 404. */
static parley_status check_assignee(parley_chat_service *svc, const char *agent_id,
                                    parley_error *err) {
    parley_agent agent = {0};
    parley_status st = svc->repo->accounts->agent_get(svc->repo, agent_id, &agent, err);
    bool usable = st == PARLEY_OK && agent.active;
    parley_agent_free(&agent);
    if (usable) {
        return PARLEY_OK;
    }
    return st != PARLEY_OK && st != PARLEY_E_NOT_FOUND
               ? st
               : parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
}

static parley_status check_priority(const char *name, parley_ticket_priority *out,
                                    parley_error *err) {
    if (name != NULL && !parley_ticket_priority_from_name(name, out)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "priority: must be low, normal, high or urgent");
    }
    return PARLEY_OK;
}

/* Appends s to buf (a bounded string), cut at a UTF-8 boundary. */
static void append_cut(char *buf, size_t size, const char *s, size_t max_bytes) {
    size_t used = strlen(buf);
    size_t n = strlen(s);
    if (n > max_bytes) {
        n = max_bytes;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--; /* never split a character */
        }
    }
    if (used + n + 1 > size) {
        return;
    }
    memcpy(buf + used, s, n);
    buf[used + n] = '\0';
}

/* The description of a ticket made from a session without one: its topic
 * and its last few messages, each line cut to EXCERPT_LINE_BYTES. */
static parley_status session_excerpt(parley_chat_service *svc, const parley_session *session,
                                     char **out, parley_error *err) {
    parley_message_range range = {0, 0, EXCERPT_MESSAGES};
    range.before_seq = session->last_seq + 1;
    parley_message_list list = {0};
    parley_status st = svc->repo->messages->list(svc->repo, session->id, &range, &list, err);
    if (st != PARLEY_OK) {
        return st;
    }
    size_t size = 4096;
    char *text = calloc(1, size);
    if (text == NULL) {
        parley_message_list_free(&list);
        return nomem(err);
    }
    append_cut(text, size, "Topic: ", 16);
    append_cut(text, size, session->topic != NULL ? session->topic : "", 500);
    if (list.count > 0) {
        append_cut(text, size, "\n\nLast messages:", 32);
    }
    for (size_t i = 0; i < list.count; i++) {
        append_cut(text, size, "\n", 1);
        append_cut(text, size, parley_participant_kind_name(list.items[i].sender_kind), 16);
        append_cut(text, size, ": ", 2);
        append_cut(text, size, list.items[i].content, EXCERPT_LINE_BYTES);
    }
    parley_message_list_free(&list);
    *out = text;
    return PARLEY_OK;
}

parley_status parley_chat_open_ticket(parley_chat_service *svc, const parley_participant *caller,
                                      const parley_ticket_input *in, parley_ticket *out,
                                      parley_error *err) {
    parley_status st;
    parley_ticket_priority priority = PARLEY_PRIORITY_NORMAL;
    if ((st = parley_authorize(caller, PARLEY_ACTION_TICKET_CREATE, err)) != PARLEY_OK ||
        (st = parley_check_text("session_id", in->session_id, true, 1, PARLEY_ID_SIZE, err)) !=
            PARLEY_OK ||
        (st = parley_check_text("issue_description", in->issue_description,
                                !in->describe_from_session, 1, ISSUE_MAX_CHARS, err)) !=
            PARLEY_OK ||
        (st = parley_check_text("subject", in->subject, false, 1, SUBJECT_MAX_CHARS, err)) !=
            PARLEY_OK ||
        (st = check_priority(in->priority, &priority, err)) != PARLEY_OK ||
        (st = parley_check_text("agent_id", in->agent_id, false, 1, PARLEY_ID_SIZE, err)) !=
            PARLEY_OK) {
        return st;
    }
    parley_session session = {0};
    if ((st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_TICKET_CREATE, in->session_id,
                                           &session, err)) != PARLEY_OK) {
        return st;
    }
    if (in->agent_id != NULL && (st = check_assignee(svc, in->agent_id, err)) != PARLEY_OK) {
        parley_session_free(&session);
        return st;
    }
    parley_ticket t = {0};
    parley_id_new("tkt", t.id);
    snprintf(t.session_id, sizeof t.session_id, "%s", session.id);
    snprintf(t.customer_id, sizeof t.customer_id, "%s", session.customer_id);
    /* the creating agent, unless another is named */
    snprintf(t.agent_id, sizeof t.agent_id, "%s", in->agent_id != NULL ? in->agent_id : caller->id);
    t.status = PARLEY_TICKET_OPEN;
    t.priority = priority;
    t.created_at = t.updated_at = parley_now_ms();
    if (in->issue_description != NULL) {
        t.issue_description = strdup(in->issue_description);
        st = t.issue_description == NULL ? nomem(err) : PARLEY_OK;
    } else {
        st = session_excerpt(svc, &session, &t.issue_description, err);
    }
    parley_session_free(&session);
    if (st == PARLEY_OK && in->subject != NULL && (t.subject = strdup(in->subject)) == NULL) {
        st = nomem(err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->tickets->insert(svc->repo, &t, err);
    }
    /* ticket.created, and ticket.updated for clients written against
     * API.md, which knows only that one */
    if (st == PARLEY_OK) {
        st = emit_ticket_event(svc, PARLEY_EVENT_TICKET_CREATED, &t, caller, err);
    }
    if (st == PARLEY_OK) {
        st = emit_ticket_event(svc, PARLEY_EVENT_TICKET_UPDATED, &t, caller, err);
    }
    return PARLEY_HAND_OVER(st, t, out, parley_ticket_free);
}

parley_status parley_chat_create_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *session_id, const char *issue_description,
                                        parley_ticket *out, parley_error *err) {
    parley_ticket_input in = {.session_id = session_id, .issue_description = issue_description};
    return parley_chat_open_ticket(svc, caller, &in, out, err);
}

/* Loads a ticket for an action: staff any, customers those of their own
 * sessions (others answer not_found, like their sessions). */
static parley_status load_ticket_for(parley_chat_service *svc, const parley_participant *caller,
                                     parley_action action, const char *ticket_id,
                                     parley_ticket *out, parley_error *err) {
    parley_status st = parley_authorize(caller, action, err);
    if (st == PARLEY_OK) {
        st = svc->repo->tickets->get(svc->repo, ticket_id, out, err);
    }
    if (st == PARLEY_OK && !is_staff(caller)) {
        parley_session session = {0};
        st = parley_chat_load_session_for(svc, caller, action, out->session_id, &session, err);
        parley_session_free(&session);
        if (st != PARLEY_OK) {
            parley_ticket_free(out);
        }
    }
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such ticket");
    }
    return st;
}

parley_status parley_chat_get_ticket(parley_chat_service *svc, const parley_participant *caller,
                                     const char *ticket_id, parley_ticket *out, parley_error *err) {
    return load_ticket_for(svc, caller, PARLEY_ACTION_TICKET_READ, ticket_id, out, err);
}

parley_status parley_chat_list_tickets(parley_chat_service *svc, const parley_participant *caller,
                                       parley_ticket_filter *filter, parley_ticket_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    parley_status st = scope_list_to_caller(caller, PARLEY_ACTION_TICKET_LIST, filter->customer_id,
                                            sizeof filter->customer_id, err);
    if (st != PARLEY_OK) {
        return st;
    }
    return svc->repo->tickets->list(svc->repo, filter, out, next_cursor, next_cursor_size, err);
}

bool parley_ticket_transition_allowed(parley_ticket_status from, parley_ticket_status to) {
    switch (from) {
    case PARLEY_TICKET_OPEN:
        return to == PARLEY_TICKET_IN_PROGRESS || to == PARLEY_TICKET_RESOLVED;
    case PARLEY_TICKET_IN_PROGRESS:
        return to == PARLEY_TICKET_RESOLVED || to == PARLEY_TICKET_OPEN;
    case PARLEY_TICKET_RESOLVED:
        return to == PARLEY_TICKET_OPEN;
    }
    return false;
}

parley_status parley_chat_update_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *ticket_id, const char *status,
                                        parley_ticket *out, parley_error *err) {
    parley_ticket_changes changes = {.status = status};
    return parley_chat_change_ticket(svc, caller, ticket_id, &changes, out, err);
}

parley_status parley_chat_change_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *ticket_id, const parley_ticket_changes *in,
                                        parley_ticket *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TICKET_UPDATE, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_ticket_status next = PARLEY_TICKET_OPEN;
    parley_ticket_priority priority = PARLEY_PRIORITY_NORMAL;
    if (in->status == NULL && in->priority == NULL && !in->set_agent && in->subject == NULL &&
        in->issue_description == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "status: required (or one of priority, agent_id, subject, "
                                "issue_description)");
    }
    if (in->status != NULL && !parley_ticket_status_from_name(in->status, &next)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "status: must be open, in_progress or resolved");
    }
    if ((st = check_priority(in->priority, &priority, err)) != PARLEY_OK ||
        (st = parley_check_text("subject", in->subject, false, 1, SUBJECT_MAX_CHARS, err)) !=
            PARLEY_OK ||
        (st = parley_check_text("issue_description", in->issue_description, false, 1,
                                ISSUE_MAX_CHARS, err)) != PARLEY_OK ||
        (st = parley_check_text("agent_id", in->agent_id, false, 1, PARLEY_ID_SIZE, err)) !=
            PARLEY_OK) {
        return st;
    }
    parley_ticket t = {0};
    if ((st = load_ticket_for(svc, caller, PARLEY_ACTION_TICKET_UPDATE, ticket_id, &t, err)) !=
        PARLEY_OK) {
        return st;
    }
    bool changed = false;
    if (in->status != NULL && t.status != next) {
        if (!parley_ticket_transition_allowed(t.status, next)) {
            parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "a %s ticket cannot become %s",
                             parley_ticket_status_name(t.status), parley_ticket_status_name(next));
            parley_ticket_free(&t);
            return PARLEY_E_CONFLICT;
        }
        t.status = next;
        changed = true;
    }
    if (in->priority != NULL && t.priority != priority) {
        t.priority = priority;
        changed = true;
    }
    if (in->set_agent && strcmp(t.agent_id, in->agent_id != NULL ? in->agent_id : "") != 0) {
        if (in->agent_id != NULL && (st = check_assignee(svc, in->agent_id, err)) != PARLEY_OK) {
            parley_ticket_free(&t);
            return st;
        }
        snprintf(t.agent_id, sizeof t.agent_id, "%s", in->agent_id != NULL ? in->agent_id : "");
        changed = true;
    }
    char **texts[2] = {&t.subject, &t.issue_description};
    const char *given[2] = {in->subject, in->issue_description};
    for (int i = 0; i < 2 && st == PARLEY_OK; i++) {
        if (given[i] != NULL && (*texts[i] == NULL || strcmp(*texts[i], given[i]) != 0)) {
            char *copy = strdup(given[i]);
            if (copy == NULL) {
                st = nomem(err);
                break;
            }
            free(*texts[i]);
            *texts[i] = copy;
            changed = true;
        }
    }
    if (st == PARLEY_OK && changed) {
        t.updated_at = parley_now_ms();
        st = svc->repo->tickets->update(svc->repo, &t, err);
        if (st == PARLEY_OK) {
            st = emit_ticket_event(svc, PARLEY_EVENT_TICKET_UPDATED, &t, caller, err);
        }
    }
    return PARLEY_HAND_OVER(st, t, out, parley_ticket_free);
}

parley_status parley_chat_add_ticket_note(parley_chat_service *svc,
                                          const parley_participant *caller, const char *ticket_id,
                                          const char *body, parley_ticket_note *out,
                                          parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TICKET_NOTE_CREATE, err);
    if (st == PARLEY_OK) {
        st = parley_check_text("body", body, true, 1, NOTE_MAX_CHARS, err);
    }
    parley_ticket t = {0};
    if (st != PARLEY_OK || (st = load_ticket_for(svc, caller, PARLEY_ACTION_TICKET_NOTE_CREATE,
                                                 ticket_id, &t, err)) != PARLEY_OK) {
        return st;
    }
    parley_ticket_note n = {0};
    parley_id_new("tkn", n.id);
    snprintf(n.ticket_id, sizeof n.ticket_id, "%s", t.id);
    snprintf(n.author_id, sizeof n.author_id, "%s", caller->id);
    parley_ticket_free(&t);
    n.created_at = parley_now_ms();
    n.body = strdup(body);
    st = n.body == NULL ? nomem(err) : svc->repo->tickets->note_insert(svc->repo, &n, err);
    if (st == PARLEY_OK) {
        /* staff only: a note never reaches a customer's connection */
        parley_event *e =
            parley_event_new(PARLEY_EVENT_TICKET_NOTE_CREATED, PARLEY_AUDIENCE_AGENTS, "", "");
        if (e != NULL && !parley_ticket_note_copy(&e->ticket_note, &n)) {
            parley_event_free(e);
            e = NULL;
        }
        st = parley_chat_emit(svc, e, err);
    }
    return PARLEY_HAND_OVER(st, n, out, parley_ticket_note_free);
}

parley_status parley_chat_list_ticket_notes(parley_chat_service *svc,
                                            const parley_participant *caller, const char *ticket_id,
                                            int limit, const char *cursor,
                                            parley_ticket_note_list *out, char *next_cursor,
                                            size_t next_cursor_size, parley_error *err) {
    parley_ticket t = {0};
    parley_status st =
        load_ticket_for(svc, caller, PARLEY_ACTION_TICKET_NOTE_READ, ticket_id, &t, err);
    parley_ticket_free(&t);
    if (st != PARLEY_OK) {
        return st;
    }
    return svc->repo->tickets->note_list(svc->repo, ticket_id, limit, cursor, out, next_cursor,
                                         next_cursor_size, err);
}

parley_status parley_chat_list_feedback(parley_chat_service *svc, const parley_participant *caller,
                                        const parley_feedback_filter *filter,
                                        parley_feedback_list *out, char *next_cursor,
                                        size_t next_cursor_size, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_FEEDBACK_LIST, err);
    return st != PARLEY_OK ? st
                           : svc->repo->tickets->feedback_list(svc->repo, filter, out, next_cursor,
                                                               next_cursor_size, err);
}

parley_status parley_chat_submit_feedback(parley_chat_service *svc,
                                          const parley_participant *caller, const char *session_id,
                                          int64_t rating, const char *comment, parley_feedback *out,
                                          parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_FEEDBACK_SUBMIT, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (rating < 1 || rating > 5) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "rating: must be an integer from 1 to 5");
    }
    st = parley_check_text("comment", comment, false, 0, COMMENT_MAX_CHARS, err);
    parley_session session = {0};
    if (st != PARLEY_OK ||
        (st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_FEEDBACK_SUBMIT, session_id,
                                           &session, err)) != PARLEY_OK) {
        return st;
    }
    parley_feedback f = {0};
    parley_id_new("fbk", f.id);
    snprintf(f.session_id, sizeof f.session_id, "%s", session.id);
    snprintf(f.customer_id, sizeof f.customer_id, "%s", session.customer_id);
    parley_session_free(&session);
    f.rating = (int)rating;
    f.comment = comment != NULL ? strdup(comment) : NULL;
    f.created_at = parley_now_ms();
    if (comment != NULL && f.comment == NULL) {
        return nomem(err);
    }
    st = svc->repo->tickets->feedback_insert(svc->repo, &f, err);
    if (st == PARLEY_E_CONFLICT) {
        parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "this session is already rated");
    }
    return PARLEY_HAND_OVER(st, f, out, parley_feedback_free);
}

parley_status parley_chat_get_feedback(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, parley_feedback *out,
                                       parley_error *err) {
    parley_session session = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_FEEDBACK_READ,
                                                    session_id, &session, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_session_free(&session);
    st = svc->repo->tickets->feedback_get_by_session(svc->repo, session_id, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "this session has no feedback yet");
    }
    return st;
}
