/* REST handlers for the ChatBot's knowledge base (core/knowledge_base.h):
 * admins edit entries, staff read and search them. */
#include <string.h>

#include "core/knowledge_base.h"
#include "net/api/api.h"

#define KB_QUERY_MAX_BYTES 2000

/* The entry (freed) as the answer, or err. */
static void reply_entry(parley_api_call *call, parley_status st, int status, parley_kb_entry *e,
                        const parley_error *err) {
    parley_api_reply(call, st, status, st == PARLEY_OK ? parley_kb_entry_to_json(e) : NULL, err);
    parley_kb_entry_free(e);
}

/* The facade checks the body's fields (parley_kb_check_fields). */
void parley_api_write_kb_entry(parley_api_call *call, parley_facade *f) {
    const char *id = call->params[0][0] != '\0' ? call->params[0] : NULL;
    parley_error err = {0};
    json_t *body = NULL;
    parley_kb_entry e = {0};
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &body, &err);
    if (st == PARLEY_OK && id == NULL) {
        st = parley_facade_kb_create(f, call->caller, body, &e, &err);
    } else if (st == PARLEY_OK) {
        st = parley_facade_kb_update(f, call->caller, id, body, &e, &err);
    }
    json_decref(body);
    reply_entry(call, st, id == NULL ? 201 : 200, &e, &err);
}

void parley_api_list_kb_entries(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    parley_kb_list list = {0};
    if (parley_api_read_page(call, &page)) {
        parley_status st = parley_facade_kb_list(f, call->caller, page.limit, page.cursor, &list,
                                                 page.next, sizeof page.next, &err);
        parley_api_reply_page(call, st, "entries", parley_kb_list_to_json(&list), page.next, &err);
    }
    parley_kb_list_free(&list);
}

void parley_api_get_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_kb_entry e = {0};
    parley_status st = parley_facade_kb_get(f, call->caller, call->params[0], &e, &err);
    reply_entry(call, st, 200, &e, &err);
}

void parley_api_delete_kb_entry(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(call, parley_facade_kb_delete(f, call->caller, call->params[0], &err),
                           &err);
}

void parley_api_search_kb(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char q[KB_QUERY_MAX_BYTES + 1];
    bool too_long = false;
    if (!parley_http_query_param(call->req, "q", q, sizeof q, &too_long) || q[0] == '\0') {
        parley_api_invalid(call, "%s", too_long ? "q: at most 2000 bytes" : "q: required");
        return;
    }
    int64_t limit = 5;
    bool present = false;
    if (!parley_api_query_int(call, "limit", 1, PARLEY_KB_SEARCH_MAX, &limit, &present)) {
        return;
    }
    json_t *hits = NULL;
    parley_status st = parley_facade_kb_search(f, call->caller, q, (int)limit, &hits, &err);
    parley_api_reply(call, st, 200, st == PARLEY_OK ? json_pack("{s:o}", "matches", hits) : NULL,
                     &err);
}
