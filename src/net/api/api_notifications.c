/* REST handlers of the notification service (core/notifications.h): a
 * recipient's inbox (list, unread count, mark read) and the admins'
 * delivery log. Authorization: the route's action (router.c) and the
 * service's own check, through the policy table (core/authorization.c). */
#include <string.h>

#include "core/notifications.h"
#include "net/api/api.h"
#include "net/server.h"

/* ?name=true|false; false (answered 400) when it is neither. */
static bool query_bool(parley_api_call *call, const char *name, bool *out) {
    char value[8];
    bool too_long = false;
    *out = false;
    if (!parley_http_query_param(call->req, name, value, sizeof value, &too_long)) {
        return !too_long || parley_api_invalid(call, "%s: true or false", name);
    }
    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
        *out = value[0] == 't';
        return true;
    }
    return parley_api_invalid(call, "%s: true or false", name);
}

void parley_api_list_notifications(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    bool unread = false;
    if (!parley_api_read_page(call, &page) || !query_bool(call, "unread", &unread)) {
        return;
    }
    json_t *body = NULL;
    parley_status st = parley_notifications_list(parley_facade_chat(f), call->caller, unread,
                                                 page.limit, page.cursor, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_read_notification(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st = parley_notifications_mark_read(parley_facade_chat(f), call->caller,
                                                      call->params[0], &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_read_all_notifications(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st =
        parley_notifications_mark_all_read(parley_facade_chat(f), call->caller, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_list_deliveries(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    char state[16];
    char notification_id[PARLEY_ID_SIZE];
    bool too_long = false;
    if (!parley_api_read_page(call, &page) ||
        !parley_api_query_id(call, "notification_id", notification_id)) {
        return;
    }
    if (!parley_http_query_param(call->req, "state", state, sizeof state, &too_long)) {
        if (too_long) {
            parley_api_invalid(call, "state: one of pending, sent, failed, dead");
            return;
        }
        state[0] = '\0';
    }
    json_t *body = NULL;
    parley_status st =
        parley_notifications_delivery_log(parley_facade_chat(f), call->caller, state,
                                          notification_id, page.limit, page.cursor, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

/* The server's notifier: the channels there are (read-only once started). */
static const parley_notifier *notifier_of(const parley_api_call *call) {
    return &call->conn->server->notify.notifier;
}

void parley_api_get_notification_prefs(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st = parley_notifications_prefs_get(parley_facade_chat(f), notifier_of(call),
                                                      call->caller, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_put_notification_prefs(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *change = NULL;
    json_t *body = NULL;
    parley_status st =
        parley_json_parse_object(call->req->body, call->req->body_len, &change, &err);
    if (st == PARLEY_OK) {
        st = parley_notifications_prefs_update(parley_facade_chat(f), notifier_of(call),
                                               call->caller, change, &body, &err);
    }
    json_decref(change);
    parley_api_reply(call, st, 200, body, &err);
}
