/* REST handlers for support tickets. */
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

void parley_api_create_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket_body in;
    parley_ticket t = {0};
    parley_status st = parley_decode_ticket(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_create_ticket(f, call->caller, in.session_id, in.issue_description, &t,
                                         &err);
    }
    reply_ticket(call, st, 201, &t, &err);
    json_decref(root);
}

void parley_api_list_tickets(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_ticket_filter filter = {.status = -1, .limit = 50};
    char status[32];
    bool bad = false;
    if (parley_http_query_param(call->req, "status", status, sizeof status, &bad) &&
        status[0] != '\0') {
        parley_ticket_status s;
        if (!parley_ticket_status_from_name(status, &s)) {
            bad = true;
        }
        filter.status = (int)s;
    }
    if (bad) {
        parley_error_set(&err, PARLEY_E_INVALID, "validation_failed",
                         "status: must be open, in_progress or resolved");
        parley_api_reply_error(call, &err);
        return;
    }
    if (!parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    parley_ticket_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    if (parley_facade_list_tickets(f, call->caller, &filter, &list, next, sizeof next, &err) !=
        PARLEY_OK) {
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
    parley_status st = parley_facade_get_ticket(f, call->caller, call->params[0], &t, &err);
    reply_ticket(call, st, 200, &t, &err);
}

void parley_api_update_ticket(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_ticket_patch_body in;
    parley_ticket t = {0};
    parley_status st = parley_decode_ticket_patch(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_update_ticket(f, call->caller, call->params[0], in.status, &t, &err);
    }
    reply_ticket(call, st, 200, &t, &err);
    json_decref(root);
}
