/* REST handlers for the ChatBot's knowledge base (core/knowledge_base.h):
 * admins edit entries, staff read and search them. */
#include <string.h>

#include "core/knowledge_base.h"
#include "net/api/api.h"
#include "net/http/json_request.h"

#define KB_QUERY_MAX_BYTES 2000

static void reply_entry(parley_api_call *call, int status, parley_kb_entry *e) {
    json_t *body = parley_kb_entry_to_json(e);
    parley_kb_entry_free(e);
    parley_api_reply_json(call, status, body);
}

void parley_api_create_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_kb_entry e = {0};
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &body, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_kb_create(f, call->caller, body, &e, &err);
    }
    json_decref(body);
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    reply_entry(call, 201, &e);
}

void parley_api_list_kb_entries(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    int limit = 0;
    char cursor[PARLEY_ID_SIZE * 2];
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    parley_kb_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    if (parley_facade_kb_list(f, call->caller, limit, cursor, &list, next, sizeof next, &err) !=
        PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_kb_entry_to_json(&list.items[i]));
    }
    parley_kb_list_free(&list);
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", "entries", items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}

void parley_api_get_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_kb_entry e = {0};
    if (parley_facade_kb_get(f, call->caller, call->params[0], &e, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    reply_entry(call, 200, &e);
}

void parley_api_update_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *patch = NULL;
    parley_kb_entry e = {0};
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &patch, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_kb_update(f, call->caller, call->params[0], patch, &e, &err);
    }
    json_decref(patch);
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    reply_entry(call, 200, &e);
}

void parley_api_delete_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (parley_facade_kb_delete(f, call->caller, call->params[0], &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

void parley_api_search_kb(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char q[KB_QUERY_MAX_BYTES + 1];
    bool too_long = false;
    if (!parley_http_query_param(call->req, "q", q, sizeof q, &too_long) || q[0] == '\0') {
        parley_error_set(&err, PARLEY_E_INVALID, "validation_failed",
                         too_long ? "q: at most 2000 bytes" : "q: required");
        parley_api_reply_error(call, &err);
        return;
    }
    int64_t limit = 5;
    bool present = false;
    if (!parley_api_query_int(call, "limit", 1, PARLEY_KB_SEARCH_MAX, &limit, &present)) {
        return;
    }
    json_t *hits = NULL;
    if (parley_facade_kb_search(f, call->caller, q, (int)limit, &hits, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_json(call, 200, json_pack("{s:o}", "matches", hits));
}
