/* REST handlers for the agent tools (core/agent_tools.h): canned
 * responses, private notes, read receipts, labels and message search. The
 * services render their answers; these decode, call and reply. */
#include <http_parser.h>
#include <stdio.h>
#include <string.h>

#include "core/model_json.h"
#include "net/api/api.h"

/* A query value that must fit its buffer: false (and a 400) otherwise. */
static bool query_text(parley_api_call *call, const char *name, char *out, size_t size) {
    bool bad = false;
    if (!parley_http_query_param(call->req, name, out, size, &bad)) {
        out[0] = '\0';
        if (bad) {
            return parley_api_invalid(call, "%s: malformed or too long", name);
        }
    }
    return true;
}

/* ---- canned responses ------------------------------------------------------ */

/* a create needs shortcode, title and content; an update takes any of them */
static const parley_json_field canned_fields[] = {
    PARLEY_JSON_TEXT(parley_canned_input, shortcode, "shortcode", true),
    PARLEY_JSON_TEXT(parley_canned_input, title, "title", true),
    PARLEY_JSON_TEXT(parley_canned_input, content, "content", true),
    PARLEY_JSON_TEXT(parley_canned_input, scope, "scope", false),
};

void parley_api_canned_write(parley_api_call *call, parley_facade *f) {
    const char *id = call->params[0][0] != '\0' ? call->params[0] : NULL;
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    parley_canned_input in = {0};
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(canned_fields), id != NULL, &in, &err);
    if (st == PARLEY_OK && id == NULL) {
        st = parley_tools_canned_create(parley_facade_chat(f), call->caller, &in, &out, &err);
    } else if (st == PARLEY_OK) {
        st = parley_tools_canned_update(parley_facade_chat(f), call->caller, id, &in, &out, &err);
    }
    parley_api_reply(call, st, id == NULL ? 201 : 200, out, &err);
    json_decref(root);
}

void parley_api_canned_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char prefix[64];
    parley_api_page page;
    if (!query_text(call, "q", prefix, sizeof prefix) || !parley_api_read_page(call, &page)) {
        return;
    }
    json_t *items = NULL;
    parley_status st =
        parley_tools_canned_list(parley_facade_chat(f), call->caller, prefix, page.limit,
                                 page.cursor, &items, page.next, sizeof page.next, &err);
    parley_api_reply_page(call, st, "canned_responses", items, page.next, &err);
}

void parley_api_canned_get(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st =
        parley_tools_canned_get(parley_facade_chat(f), call->caller, call->params[0], &out, &err);
    parley_api_reply(call, st, 200, out, &err);
}

void parley_api_canned_delete(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(
        call,
        parley_tools_canned_delete(parley_facade_chat(f), call->caller, call->params[0], &err),
        &err);
}

/* ---- private notes ---------------------------------------------------------- */

void parley_api_note_create(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    const char *content = NULL;
    parley_status st = parley_api_body_text(call, &root, "content", &content, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_note_create(parley_facade_chat(f), call->caller, call->params[0], content,
                                      &out, &err);
    }
    parley_api_reply(call, st, 201, out, &err);
    json_decref(root);
}

void parley_api_note_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    json_t *items = NULL;
    if (parley_api_read_page(call, &page)) {
        parley_status st =
            parley_tools_note_list(parley_facade_chat(f), call->caller, call->params[0], page.limit,
                                   page.cursor, &items, page.next, sizeof page.next, &err);
        parley_api_reply_page(call, st, "notes", items, page.next, &err);
    }
}

/* ---- read receipts ---------------------------------------------------------- */

void parley_api_mark_read(parley_api_call *call, parley_facade *f) {
    static const parley_json_field seq_field[] = {{"seq", true, 0, PARLEY_JSON_INTEGER}};
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    int64_t seq = 0;
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(seq_field), false, &seq, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_mark_read(parley_facade_chat(f), call->caller, call->params[0], seq, &out,
                                    &err);
    }
    parley_api_reply(call, st, 200, out, &err);
    json_decref(root);
}

void parley_api_read_state(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st =
        parley_tools_read_state(parley_facade_chat(f), call->caller, call->params[0], &out, &err);
    parley_api_reply(call, st, 200, out, &err);
}

/* ---- labels -------------------------------------------------------------------- */

typedef struct label_body {
    const char *name;
    const char *color;
} label_body;

static const parley_json_field label_fields[] = {
    PARLEY_JSON_TEXT(label_body, name, "name", true),
    PARLEY_JSON_TEXT(label_body, color, "color", false),
};

void parley_api_label_create(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    label_body in;
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(label_fields), false, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_label_create(parley_facade_chat(f), call->caller, in.name, in.color, &out,
                                       &err);
    }
    parley_api_reply(call, st, 201, out, &err);
    json_decref(root);
}

/* PATCH /api/v1/labels/{name} {"color": "#rrggbb"} */
void parley_api_label_update(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL, *out = NULL;
    const char *color = NULL;
    parley_status st = parley_api_body_text(call, &root, "color", &color, &err);
    if (st == PARLEY_OK) {
        st = parley_tools_label_recolor(parley_facade_chat(f), call->caller, call->params[0], color,
                                        &out, &err);
    }
    parley_api_reply(call, st, 200, out, &err);
    json_decref(root);
}

void parley_api_label_list(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    json_t *items = NULL;
    if (parley_api_read_page(call, &page)) {
        parley_status st =
            parley_tools_label_list(parley_facade_chat(f), call->caller, page.limit, page.cursor,
                                    &items, page.next, sizeof page.next, &err);
        parley_api_reply_page(call, st, "labels", items, page.next, &err);
    }
}

void parley_api_label_delete(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(
        call, parley_tools_label_delete(parley_facade_chat(f), call->caller, call->params[0], &err),
        &err);
}

/* Answers the session as staff see it, labels included. */
void parley_api_session_label(parley_api_call *call, parley_facade *f) {
    bool add = call->req->method == HTTP_POST;
    parley_error err = {0};
    json_t *root = NULL;
    const char *label = call->params[1];
    parley_session s = {0};
    parley_status st = add ? parley_api_body_text(call, &root, "label", &label, &err) : PARLEY_OK;
    if (st == PARLEY_OK) {
        st = parley_tools_session_label(parley_facade_chat(f), call->caller, call->params[0], label,
                                        add, &s, &err);
    }
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_session_json_for(&s, true) : NULL,
                     &err);
    parley_session_free(&s);
    json_decref(root);
}

/* ---- search ---------------------------------------------------------------------- */

void parley_api_search_messages(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char q[300], session_id[PARLEY_ID_SIZE];
    parley_api_page page;
    bool bad = false;
    bool has_q = parley_http_query_param(call->req, "q", q, sizeof q, &bad);
    if ((bad && !parley_api_invalid(call, "q: malformed or too long (at most 256 bytes)")) ||
        !query_text(call, "session_id", session_id, sizeof session_id) ||
        !parley_api_read_page(call, &page)) {
        return;
    }
    json_t *items = NULL;
    parley_status st =
        parley_tools_search(parley_facade_chat(f), call->caller, has_q ? q : NULL, session_id,
                            page.limit, page.cursor, &items, page.next, sizeof page.next, &err);
    parley_api_reply_page(call, st, "results", items, page.next, &err);
}
