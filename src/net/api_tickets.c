/* REST handlers for support tickets and their internal notes. */
#include <string.h>

#include "core/model_json.h"
#include "net/api.h"
#include "net/json_request.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

static void reply_ticket(parley_api_call *call, parley_status st, int status, parley_ticket *t,
                         const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, status, parley_ticket_to_json(t));
    }
    parley_ticket_free(t);
}

/* The optional fields both ways of creating a ticket share. */
static parley_status decode_ticket_extras(json_t *obj, parley_ticket_input *in, parley_error *err) {
    parley_status st = parley_json_string(obj, "subject", false, &in->subject, err);
    if (st == PARLEY_OK) {
        st = parley_json_string(obj, "priority", false, &in->priority, err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(obj, "agent_id", false, &in->agent_id, err);
    }
    return st;
}

void parley_api_create_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket_body body;
    parley_ticket t = {0};
    parley_status st = parley_decode_ticket(BODY(call), &root, &body, &err);
    parley_ticket_input in = {.session_id = body.session_id,
                              .issue_description = body.issue_description};
    if (st == PARLEY_OK) {
        st = decode_ticket_extras(root, &in, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_chat_open_ticket(parley_facade_chat(f), call->caller, &in, &t, &err);
    }
    reply_ticket(call, st, 201, &t, &err);
    json_decref(root);
}

/* POST /sessions/{id}/ticket: the session link and customer are copied;
 * without issue_description the session's topic and last messages
 * describe it. An empty body is allowed. */
void parley_api_ticket_from_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket t = {0};
    parley_ticket_input in = {.session_id = call->params[0], .describe_from_session = true};
    parley_status st = PARLEY_OK;
    if (call->req->body_len > 0) {
        st = parley_json_parse_object(BODY(call), &root, &err);
        if (st == PARLEY_OK) {
            st = parley_json_string(root, "issue_description", false, &in.issue_description, &err);
        }
        if (st == PARLEY_OK) {
            st = decode_ticket_extras(root, &in, &err);
        }
    }
    if (st == PARLEY_OK) {
        st = parley_chat_open_ticket(parley_facade_chat(f), call->caller, &in, &t, &err);
    }
    reply_ticket(call, st, 201, &t, &err);
    json_decref(root);
}

static bool read_enum_param(parley_api_call *call, const char *name, int *out,
                            bool (*from_name)(const char *name, int *out), const char *allowed) {
    char text[32];
    bool bad = false;
    if (parley_http_query_param(call->req, name, text, sizeof text, &bad) && text[0] != '\0') {
        bad = !from_name(text, out);
    }
    if (bad) {
        parley_error err;
        parley_error_set(&err, PARLEY_E_INVALID, "validation_failed", "%s: must be %s", name,
                         allowed);
        parley_api_reply_error(call, &err);
        return false;
    }
    return true;
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
    if (parley_chat_list_tickets(parley_facade_chat(f), call->caller, &filter, &list, next,
                                 sizeof next, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_ticket_to_json(&list.items[i]));
    }
    parley_ticket_list_free(&list);
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", "tickets", items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}

void parley_api_get_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_ticket t = {0};
    parley_status st =
        parley_chat_get_ticket(parley_facade_chat(f), call->caller, call->params[0], &t, &err);
    reply_ticket(call, st, 200, &t, &err);
}

void parley_api_update_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket t = {0};
    parley_ticket_changes in = {0};
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "status", false, &in.status, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "priority", false, &in.priority, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "subject", false, &in.subject, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "issue_description", false, &in.issue_description, &err);
    }
    if (st == PARLEY_OK) {
        /* present as null unassigns; absent leaves the assignee */
        in.set_agent = json_object_get(root, "agent_id") != NULL;
        st = parley_json_string(root, "agent_id", false, &in.agent_id, &err);
    }
    if (st == PARLEY_OK) {
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
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "body", true, &body, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_chat_add_ticket_note(parley_facade_chat(f), call->caller, call->params[0], body,
                                         &n, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 201, parley_ticket_note_to_json(&n));
    }
    parley_ticket_note_free(&n);
    json_decref(root);
}

void parley_api_list_ticket_notes(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    int limit = 50;
    char cursor[PARLEY_ID_SIZE * 2];
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    parley_ticket_note_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    if (parley_chat_list_ticket_notes(parley_facade_chat(f), call->caller, call->params[0], limit,
                                      cursor, &list, next, sizeof next, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_ticket_note_to_json(&list.items[i]));
    }
    parley_ticket_note_list_free(&list);
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", "notes", items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}
