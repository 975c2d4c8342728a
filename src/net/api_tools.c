/* REST handlers for the agent tools (core/agent_tools.h): canned
 * responses, private notes, read receipts, labels and message search. */
#include <stdio.h>
#include <string.h>

#include "core/model_json.h"
#include "net/api.h"
#include "net/json_request.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

static void reply(parley_api_call *call, parley_status st, int status, json_t *out,
                  const parley_error *err) {
    if (st != PARLEY_OK) {
        json_decref(out);
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, status, out);
    }
}

static void reply_no_content(parley_api_call *call, parley_status st, const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

static void reply_page(parley_api_call *call, parley_status st, const char *key, json_t *items,
                       const char *next, const parley_error *err) {
    if (st != PARLEY_OK) {
        json_decref(items);
        parley_api_reply_error(call, err);
        return;
    }
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", key, items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}

/* A query value that must fit its buffer: false (and a 400) otherwise. */
static bool query_text(parley_api_call *call, const char *name, char *out, size_t size) {
    bool bad = false;
    if (!parley_http_query_param(call->req, name, out, size, &bad)) {
        out[0] = '\0';
        if (bad) {
            parley_error err;
            parley_error_set(&err, PARLEY_E_INVALID, "validation_failed",
                             "%s: malformed or too long", name);
            parley_api_reply_error(call, &err);
            return false;
        }
    }
    return true;
}

/* ---- canned responses ------------------------------------------------------ */

static parley_status decode_canned(parley_api_call *call, json_t **root, parley_canned_input *in,
                                   bool create, parley_error *err) {
    memset(in, 0, sizeof *in);
    parley_status st = parley_json_parse_object(BODY(call), root, err);
    if (st == PARLEY_OK) {
        st = parley_json_string(*root, "shortcode", create, &in->shortcode, err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(*root, "title", create, &in->title, err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(*root, "content", create, &in->content, err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(*root, "scope", false, &in->scope, err);
    }
    return st;
}

void parley_api_canned_create(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    parley_canned_input in;
    parley_status st = decode_canned(call, &root, &in, true, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_canned_create(parley_facade_chat(f), call->caller, &in, &out, &err);
    }
    reply(call, st, 201, out, &err);
    json_decref(root);
}

void parley_api_canned_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char prefix[64], cursor[PARLEY_ID_SIZE * 2], next[PARLEY_ID_SIZE * 2] = "";
    int limit;
    if (!query_text(call, "q", prefix, sizeof prefix) ||
        !parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    json_t *items = NULL;
    parley_status st = parley_tools_canned_list(parley_facade_chat(f), call->caller, prefix, limit,
                                                cursor, &items, next, sizeof next, &err);
    reply_page(call, st, "canned_responses", items, next, &err);
}

void parley_api_canned_get(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st =
        parley_tools_canned_get(parley_facade_chat(f), call->caller, call->params[0], &out, &err);
    reply(call, st, 200, out, &err);
}

void parley_api_canned_update(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    parley_canned_input in;
    parley_status st = decode_canned(call, &root, &in, false, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_canned_update(parley_facade_chat(f), call->caller, call->params[0], &in,
                                        &out, &err);
    }
    reply(call, st, 200, out, &err);
    json_decref(root);
}

void parley_api_canned_delete(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    reply_no_content(
        call,
        parley_tools_canned_delete(parley_facade_chat(f), call->caller, call->params[0], &err),
        &err);
}

/* ---- private notes ---------------------------------------------------------- */

void parley_api_note_create(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    const char *content = NULL;
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "content", true, &content, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_tools_note_create(parley_facade_chat(f), call->caller, call->params[0], content,
                                      &out, &err);
    }
    reply(call, st, 201, out, &err);
    json_decref(root);
}

void parley_api_note_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char cursor[PARLEY_ID_SIZE * 2], next[PARLEY_ID_SIZE * 2] = "";
    int limit;
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    json_t *items = NULL;
    parley_status st = parley_tools_note_list(parley_facade_chat(f), call->caller, call->params[0],
                                              limit, cursor, &items, next, sizeof next, &err);
    reply_page(call, st, "notes", items, next, &err);
}

/* ---- read receipts ---------------------------------------------------------- */

void parley_api_mark_read(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    int64_t seq = 0;
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_integer(root, "seq", true, &seq, NULL, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_tools_mark_read(parley_facade_chat(f), call->caller, call->params[0], seq, &out,
                                    &err);
    }
    reply(call, st, 200, out, &err);
    json_decref(root);
}

void parley_api_read_state(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st =
        parley_tools_read_state(parley_facade_chat(f), call->caller, call->params[0], &out, &err);
    reply(call, st, 200, out, &err);
}

/* ---- labels -------------------------------------------------------------------- */

void parley_api_label_create(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    const char *name = NULL, *color = NULL;
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "name", true, &name, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "color", false, &color, &err);
    }
    if (st == PARLEY_OK) {
        st =
            parley_tools_label_create(parley_facade_chat(f), call->caller, name, color, &out, &err);
    }
    reply(call, st, 201, out, &err);
    json_decref(root);
}

void parley_api_label_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char cursor[PARLEY_ID_SIZE * 2], next[PARLEY_ID_SIZE * 2] = "";
    int limit;
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    json_t *items = NULL;
    parley_status st = parley_tools_label_list(parley_facade_chat(f), call->caller, limit, cursor,
                                               &items, next, sizeof next, &err);
    reply_page(call, st, "labels", items, next, &err);
}

void parley_api_label_delete(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    reply_no_content(
        call, parley_tools_label_delete(parley_facade_chat(f), call->caller, call->params[0], &err),
        &err);
}

static void reply_labelled(parley_api_call *call, parley_status st, parley_session *s,
                           const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, 200, parley_session_json_for(s, true));
    }
    parley_session_free(s);
}

void parley_api_session_label_add(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *label = NULL;
    parley_session s = {0};
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "label", true, &label, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_tools_session_label(parley_facade_chat(f), call->caller, call->params[0], label,
                                        true, &s, &err);
    }
    reply_labelled(call, st, &s, &err);
    json_decref(root);
}

void parley_api_session_label_remove(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session s = {0};
    parley_status st = parley_tools_session_label(
        parley_facade_chat(f), call->caller, call->params[0], call->params[1], false, &s, &err);
    reply_labelled(call, st, &s, &err);
}

/* ---- search ---------------------------------------------------------------------- */

void parley_api_search_messages(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char q[300], session_id[PARLEY_ID_SIZE], cursor[PARLEY_ID_SIZE * 2];
    char next[PARLEY_ID_SIZE * 2] = "";
    int limit;
    bool has_q = false, bad = false;
    has_q = parley_http_query_param(call->req, "q", q, sizeof q, &bad);
    if (bad) {
        parley_error_set(&err, PARLEY_E_INVALID, "validation_failed",
                         "q: malformed or too long (at most 256 bytes)");
        parley_api_reply_error(call, &err);
        return;
    }
    if (!query_text(call, "session_id", session_id, sizeof session_id) ||
        !parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    json_t *items = NULL;
    parley_status st =
        parley_tools_search(parley_facade_chat(f), call->caller, has_q ? q : NULL, session_id,
                            limit, cursor, &items, next, sizeof next, &err);
    reply_page(call, st, "results", items, next, &err);
}
