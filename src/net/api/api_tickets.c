/* REST handlers for support tickets and their internal notes. */
#include <string.h>

#include "core/model_json.h"
#include "net/api/api.h"

/* The ticket (freed) as the answer, or err. */
static void reply_ticket(parley_api_call *call, parley_status st, int status, parley_ticket *t,
                         const parley_error *err) {
    parley_api_reply(call, st, status, st == PARLEY_OK ? parley_ticket_to_json(t) : NULL, err);
    parley_ticket_free(t);
}

/* The optional fields of both ways of creating a ticket: issue_description
 * (required by POST /tickets, which reads it with session_id first), then
 * the three they share. */
static const parley_json_field ticket_fields[] = {
    PARLEY_JSON_TEXT(parley_ticket_input, issue_description, "issue_description", false),
    PARLEY_JSON_TEXT(parley_ticket_input, subject, "subject", false),
    PARLEY_JSON_TEXT(parley_ticket_input, priority, "priority", false),
    PARLEY_JSON_TEXT(parley_ticket_input, agent_id, "agent_id", false),
};
#define TICKET_EXTRAS (ticket_fields + 1), 3

static void open_ticket(parley_api_call *call, parley_facade *f, parley_status st,
                        const parley_ticket_input *in, json_t *root, parley_error *err) {
    parley_ticket t = {0};
    if (st == PARLEY_OK) {
        st = parley_chat_open_ticket(parley_facade_chat(f), call->caller, in, &t, err);
    }
    reply_ticket(call, st, 201, &t, err);
    json_decref(root);
}

void parley_api_create_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket_body body;
    parley_status st =
        parley_decode_ticket(call->req->body, call->req->body_len, &root, &body, &err);
    parley_ticket_input in = {.session_id = body.session_id,
                              .issue_description = body.issue_description};
    if (st == PARLEY_OK) {
        st = parley_json_fields(root, TICKET_EXTRAS, false, &in, &err);
    }
    open_ticket(call, f, st, &in, root, &err);
}

/* POST /sessions/{id}/ticket: the session link and customer are copied;
 * without issue_description the session's topic and last messages
 * describe it. An empty body is allowed. */
void parley_api_ticket_from_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket_input in = {.session_id = call->params[0], .describe_from_session = true};
    parley_status st = PARLEY_OK;
    if (call->req->body_len > 0) {
        st = parley_api_body(call, &root, PARLEY_JSON_FIELDS(ticket_fields), false, &in, &err);
    }
    open_ticket(call, f, st, &in, root, &err);
}

static bool read_enum_param(parley_api_call *call, const char *name, int *out,
                            bool (*from_name)(const char *name, int *out), const char *allowed) {
    char text[32];
    bool bad = false;
    if (parley_http_query_param(call->req, name, text, sizeof text, &bad) && text[0] != '\0') {
        bad = !from_name(text, out);
    }
    return !bad || parley_api_invalid(call, "%s: must be %s", name, allowed);
}

static bool status_from_name(const char *name, int *out) {
    parley_ticket_status s;
    bool ok = parley_ticket_status_from_name(name, &s);
    *out = ok ? (int)s : *out;
    return ok;
}

static bool priority_from_name(const char *name, int *out) {
    parley_ticket_priority p;
    bool ok = parley_ticket_priority_from_name(name, &p);
    *out = ok ? (int)p : *out;
    return ok;
}

void parley_api_list_tickets(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_ticket_filter filter = {.status = -1, .limit = 50};
    int priority = -1;
    bool present = false;
    if (!read_enum_param(call, "status", &filter.status, status_from_name,
                         "open, in_progress or resolved") ||
        !read_enum_param(call, "priority", &priority, priority_from_name,
                         "low, normal, high or urgent") ||
        !parley_api_query_id(call, "assignee_id", filter.agent_id) ||
        !parley_api_query_id(call, "customer_id", filter.customer_id) ||
        !parley_api_query_id(call, "session_id", filter.session_id) ||
        !parley_api_query_time(call, "created_after", false, &filter.created_after, &present) ||
        !parley_api_query_time(call, "created_before", true, &filter.created_before, &present) ||
        !parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    filter.has_priority = priority >= 0;
    filter.priority = priority >= 0 ? (parley_ticket_priority)priority : PARLEY_PRIORITY_NORMAL;
    parley_ticket_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    parley_status st = parley_chat_list_tickets(parley_facade_chat(f), call->caller, &filter, &list,
                                                next, sizeof next, &err);
    parley_api_reply_page(call, st, "tickets", parley_ticket_list_to_json(&list), next, &err);
    parley_ticket_list_free(&list);
}

void parley_api_get_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_ticket t = {0};
    parley_status st =
        parley_chat_get_ticket(parley_facade_chat(f), call->caller, call->params[0], &t, &err);
    reply_ticket(call, st, 200, &t, &err);
}

/* every field optional; agent_id present as null unassigns, absent leaves
 * the assignee */
static const parley_json_field change_fields[] = {
    PARLEY_JSON_TEXT(parley_ticket_changes, status, "status", false),
    PARLEY_JSON_TEXT(parley_ticket_changes, priority, "priority", false),
    PARLEY_JSON_TEXT(parley_ticket_changes, subject, "subject", false),
    PARLEY_JSON_TEXT(parley_ticket_changes, issue_description, "issue_description", false),
    PARLEY_JSON_TEXT(parley_ticket_changes, agent_id, "agent_id", false),
};

void parley_api_update_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket t = {0};
    parley_ticket_changes in = {0};
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(change_fields), true, &in, &err);
    if (st == PARLEY_OK) {
        in.set_agent = json_object_get(root, "agent_id") != NULL;
        st = parley_chat_change_ticket(parley_facade_chat(f), call->caller, call->params[0], &in,
                                       &t, &err);
    }
    reply_ticket(call, st, 200, &t, &err);
    json_decref(root);
}

void parley_api_add_ticket_note(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *body = NULL;
    parley_ticket_note n = {0};
    parley_status st = parley_api_body_text(call, &root, "body", &body, &err);
    if (st == PARLEY_OK) {
        st = parley_chat_add_ticket_note(parley_facade_chat(f), call->caller, call->params[0], body,
                                         &n, &err);
    }
    parley_api_reply(call, st, 201, st == PARLEY_OK ? parley_ticket_note_to_json(&n) : NULL, &err);
    parley_ticket_note_free(&n);
    json_decref(root);
}

void parley_api_list_ticket_notes(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    parley_ticket_note_list list = {0};
    if (parley_api_read_page(call, &page)) {
        parley_status st = parley_chat_list_ticket_notes(parley_facade_chat(f), call->caller,
                                                         call->params[0], page.limit, page.cursor,
                                                         &list, page.next, sizeof page.next, &err);
        parley_api_reply_page(call, st, "notes", parley_ticket_note_list_to_json(&list), page.next,
                              &err);
    }
    parley_ticket_note_list_free(&list);
}
