/* REST handlers for sessions, messages and feedback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_json.h"
#include "net/api/api.h"
#include "net/api/send_pipeline.h"
#include "net/server.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

/* The session (freed) as the caller may see it, or err. */
static void reply_session(parley_api_call *call, parley_status st, int status, parley_session *s,
                          const parley_error *err) {
    bool staff = call->caller->ops->is_staff(call->caller);
    parley_api_reply(call, st, status, st == PARLEY_OK ? parley_session_json_for(s, staff) : NULL,
                     err);
    parley_session_free(s);
}

void parley_api_create_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_session_body in;
    parley_session s = {0};
    parley_status st = parley_decode_session(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_chat_initiate_in_team(parley_facade_chat(f), call->caller, in.topic,
                                          in.strategies_json, in.team_id, &s, &err);
        free(in.strategies_json);
    }
    reply_session(call, st, 201, &s, &err);
    json_decref(root);
}

void parley_api_list_sessions(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session_filter filter = {.status = -1};
    char status[32];
    bool bad = false;
    if (parley_http_query_param(call->req, "status", status, sizeof status, &bad) &&
        status[0] != '\0') {
        parley_session_status s;
        if (!parley_session_status_from_name(status, &s)) {
            bad = true;
        }
        filter.status = (int)s;
    }
    if (bad) {
        parley_api_invalid(call, "status: must be waiting, active or closed");
        return;
    }
    bool staff = call->caller->ops->is_staff(call->caller);
    bool long_label = false;
    if (parley_http_query_param(call->req, "label", filter.label, sizeof filter.label,
                                &long_label) &&
        filter.label[0] != '\0' && !staff) {
        /* labels are the team's triage; customers neither see nor probe them */
        parley_error_set(&err, PARLEY_E_FORBIDDEN, "forbidden",
                         "label: only staff filter by label");
        parley_api_reply_error(call, &err);
        return;
    }
    if (long_label) {
        parley_api_invalid(call, "label: at most %d bytes", PARLEY_LABEL_NAME_SIZE - 1);
        return;
    }
    if (!parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    parley_session_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    parley_status st = parley_chat_list_sessions(parley_facade_chat(f), call->caller, &filter,
                                                 &list, next, sizeof next, &err);
    /* each session says how much of it the caller has not read yet */
    int64_t *unread = st == PARLEY_OK ? calloc(list.count + 1, sizeof *unread) : NULL;
    if (st == PARLEY_OK && unread == NULL) {
        st = parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK) {
        st = parley_tools_unread_counts(parley_facade_chat(f), call->caller, list.items, list.count,
                                        unread, &err);
    }
    json_t *items = st == PARLEY_OK ? json_array() : NULL;
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_t *obj = parley_session_json_for(&list.items[i], staff);
        if (obj != NULL) {
            json_object_set_new(obj, "unread_count", json_integer((json_int_t)unread[i]));
        }
        json_array_append_new(items, obj);
    }
    free(unread);
    parley_session_list_free(&list);
    parley_api_reply_page(call, st, "sessions", items, next, &err);
}

void parley_api_get_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session s = {0};
    parley_status st =
        parley_chat_get_session(parley_facade_chat(f), call->caller, call->params[0], &s, &err);
    /* a waiting session shows its place in the queue (core/routing.h) */
    json_t *queue = NULL;
    if (st == PARLEY_OK) {
        st = parley_routing_queue_info(parley_facade_chat(f), &s, &queue, &err);
    }
    json_t *body = st == PARLEY_OK
                       ? parley_session_json_for(&s, call->caller->ops->is_staff(call->caller))
                       : NULL;
    if (body != NULL) {
        json_object_set_new(body, "queue", queue);
        queue = NULL;
    }
    json_decref(queue);
    parley_api_reply(call, st, 200, body, &err);
    parley_session_free(&s);
}

void parley_api_assign_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_assign_body in;
    parley_session s = {0};
    parley_status st = parley_decode_assign(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_chat_assign(parley_facade_chat(f), call->caller, call->params[0], in.agent_id,
                                &s, &err);
    }
    reply_session(call, st, 200, &s, &err);
    json_decref(root);
}

void parley_api_attach_bot(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_attach_bot_body in;
    parley_session s = {0};
    parley_status st = parley_decode_attach_bot(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_attach_bot(f, call->caller, call->params[0], in.bot_id, &s, &err);
    }
    reply_session(call, st, 200, &s, &err);
    json_decref(root);
}

void parley_api_close_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session s = {0};
    parley_status st =
        parley_chat_close(parley_facade_chat(f), call->caller, call->params[0], &s, &err);
    reply_session(call, st, 200, &s, &err);
}

/* POST /sessions/{id}/messages: the send pipeline (net/api/send_pipeline.h)
 * with the body decoded on the worker and the answer as HTTP. */
typedef struct rest_send {
    parley_send send; /* first: the pipeline hands it back */
    parley_api_call *call;
    json_t *root; /* owns the decoded strings */
} rest_send;

static parley_status rest_send_decode(parley_send *s, parley_error *err) {
    rest_send *rs = (rest_send *)s;
    return parley_decode_message(BODY(rs->call), &rs->root, &s->input, err);
}

static void rest_send_render(parley_send *s, parley_job *job, const parley_message *m,
                             bool duplicate) {
    (void)job;
    rest_send *rs = (rest_send *)s;
    if (m == NULL) {
        parley_api_reply_error(rs->call, &s->err);
    } else {
        parley_api_reply_json(rs->call, duplicate ? 200 : 201, parley_message_to_json(m));
    }
}

static const parley_send_ops rest_send_ops = {rest_send_decode, rest_send_render};

/* Loop thread, from api_done: what the send learnt, then the memory. */
static void rest_send_free(void *p) {
    rest_send *rs = p;
    parley_send_finish(&rs->send, &rs->call->conn->server->chains);
    json_decref(rs->root);
    free(rs);
}

/* The call's send, made by whichever of its steps runs first. */
static rest_send *rest_send_of(parley_api_call *call) {
    if (call->prepared == NULL) {
        rest_send *rs = calloc(1, sizeof *rs);
        if (rs == NULL) {
            parley_error err;
            parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
            parley_api_reply_error(call, &err);
            return NULL;
        }
        parley_send_init(&rs->send, &rest_send_ops);
        rs->send.session_id = call->params[0];
        rs->call = call;
        call->prepared = rs;
        call->prepared_free = rest_send_free;
    }
    return call->prepared;
}

void parley_api_prepare_message(parley_api_call *call, parley_facade *f) {
    rest_send *rs = rest_send_of(call);
    if (rs != NULL) {
        parley_send_prepare(&rs->send, &call->job, f, call->caller);
    }
}

void parley_api_send_message(parley_api_call *call, parley_facade *f) {
    rest_send *rs = rest_send_of(call);
    if (rs != NULL) {
        parley_send_store(&rs->send, &call->job, f, call->caller);
    }
}

void parley_api_list_messages(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_message_range range = {0};
    int64_t value = 0;
    bool present = false;
    if (!parley_api_query_int(call, "after_seq", 0, INT64_MAX, &value, &present)) {
        return;
    }
    range.after_seq = present ? value : 0;
    if (!parley_api_query_int(call, "before_seq", 0, INT64_MAX, &value, &present)) {
        return;
    }
    range.before_seq = present ? value : 0;
    value = PARLEY_API_DEFAULT_LIMIT;
    if (!parley_api_query_int(call, "limit", 1, PARLEY_API_MAX_LIMIT, &value, &present)) {
        return;
    }
    range.limit = (int)value;
    parley_message_list list = {0};
    parley_status st = parley_chat_history(parley_facade_chat(f), call->caller, call->params[0],
                                           &range, &list, &err);
    json_t *page =
        st == PARLEY_OK ? json_pack("{s:o}", "messages", parley_message_list_to_json(&list)) : NULL;
    parley_message_list_free(&list);
    parley_api_reply(call, st, 200, page, &err);
}

void parley_api_submit_feedback(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_feedback_body in;
    parley_feedback fb = {0};
    parley_status st = parley_decode_feedback(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_chat_submit_feedback(parley_facade_chat(f), call->caller, call->params[0],
                                         in.rating, in.comment, &fb, &err);
    }
    parley_api_reply(call, st, 201, st == PARLEY_OK ? parley_feedback_to_json(&fb) : NULL, &err);
    parley_feedback_free(&fb);
    json_decref(root);
}

void parley_api_get_feedback(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_feedback fb = {0};
    parley_status st =
        parley_chat_get_feedback(parley_facade_chat(f), call->caller, call->params[0], &fb, &err);
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_feedback_to_json(&fb) : NULL, &err);
    parley_feedback_free(&fb);
}

void parley_api_get_message(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_message m = {0};
    if (parley_chat_get_message(parley_facade_chat(f), call->caller, call->params[0], &m, &err) !=
        PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *body = parley_message_to_json(&m);
    /* the text as sent before a strategy changed it is for admins only */
    if (body != NULL && m.original_content != NULL && call->caller->ops->is_admin(call->caller)) {
        json_object_set_new(body, "original_content", json_string(m.original_content));
    }
    parley_message_free(&m);
    parley_api_reply_json(call, 200, body);
}

void parley_api_list_flagged(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    if (!parley_api_read_page(call, &page)) {
        return;
    }
    parley_flagged_list list = {0};
    parley_status st =
        parley_chat_list_flagged(parley_facade_chat(f), call->caller, page.limit, page.cursor,
                                 &list, page.next, sizeof page.next, &err);
    json_t *items = st == PARLEY_OK ? json_array() : NULL;
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        const parley_flagged_message *fm = &list.items[i];
        json_t *item = parley_message_to_json(&fm->message);
        if (item != NULL) {
            json_object_del(item, "seq"); /* it never entered the conversation */
            json_object_set_new(item, "reason", json_string(fm->reason));
            json_object_set_new(item, "reviewed_as",
                                fm->reviewed_as[0] != '\0' ? json_string(fm->reviewed_as)
                                                           : json_null());
        }
        json_array_append_new(items, item);
    }
    parley_flagged_list_free(&list);
    parley_api_reply_page(call, st, "messages", items, page.next, &err);
}

void parley_api_label_message(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_label_body in;
    bool learnt = false;
    parley_status st = parley_decode_label(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_chat_label_message(parley_facade_chat(f), call->caller, call->params[0],
                                       in.is_spam, &learnt, &err);
    }
    json_decref(root);
    parley_api_reply(call, st, 200,
                     st == PARLEY_OK ? json_pack("{s:s, s:b, s:b}", "message_id", call->params[0],
                                                 "is_spam", in.is_spam, "learnt", learnt)
                                     : NULL,
                     &err);
}
