/* REST handlers for presence, the queue, transfers and teams
 * (core/presence.h, core/routing.h, core/teams.h). */
#include <http_parser.h>
#include <stdio.h>
#include <string.h>

#include "core/model_json.h"
#include "net/api/api.h"

/* The session (freed) as staff see it without labels, or err. */
static void reply_session(parley_api_call *call, parley_status st, parley_session *s,
                          const parley_error *err) {
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_session_to_json(s) : NULL, err);
    parley_session_free(s);
}

/* Customers see a team's name and topics, staff its members too. */
static bool staff(const parley_api_call *call) {
    return call->caller != NULL && call->caller->ops->is_staff(call->caller);
}

static void reply_team(parley_api_call *call, parley_status st, int status, parley_team *t,
                       const parley_error *err) {
    parley_api_reply(call, st, status, st == PARLEY_OK ? parley_team_to_json(t, staff(call)) : NULL,
                     err);
    parley_team_free(t);
}

void parley_api_set_presence(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *status = NULL;
    parley_agent a = {0};
    bool changed = false;
    parley_status st = parley_api_body_text(call, &root, "status", &status, &err);
    if (st == PARLEY_OK) {
        st = parley_presence_set(parley_facade_chat(f), call->caller, status, &a, &changed, &err);
    }
    json_t *body = st == PARLEY_OK ? json_pack("{s:s, s:s, s:o}", "agent_id", a.id, "status",
                                               parley_agent_status_name(a.status), "since",
                                               parley_time_to_json(a.status_since))
                                   : NULL;
    parley_api_reply(call, st, 200, body, &err);
    parley_agent_free(&a);
    json_decref(root);
}

void parley_api_list_queue(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    json_t *out = NULL;
    if (parley_api_read_page(call, &page)) {
        parley_status st = parley_routing_list_queue(parley_facade_chat(f), call->caller,
                                                     page.limit, page.cursor, &out, &err);
        parley_api_reply(call, st, 200, out, &err);
    }
}

typedef struct transfer_body {
    const char *agent_id;
    const char *team_id;
} transfer_body;

static const parley_json_field transfer_fields[] = {
    PARLEY_JSON_TEXT(transfer_body, agent_id, "agent_id", false),
    PARLEY_JSON_TEXT(transfer_body, team_id, "team_id", false),
};

void parley_api_transfer_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    transfer_body in = {0};
    parley_session s = {0};
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(transfer_fields), false, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_routing_transfer(parley_facade_chat(f), call->caller, call->params[0],
                                     in.agent_id, in.team_id, &s, &err);
    }
    reply_session(call, st, &s, &err);
    json_decref(root);
}

void parley_api_unassign_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session s = {0};
    parley_status st =
        parley_routing_unassign(parley_facade_chat(f), call->caller, call->params[0], &s, &err);
    reply_session(call, st, &s, &err);
}

/* {name, topics}: a new team needs its name; topics must be an array when
 * present (the service checks its items). */
void parley_api_write_team(parley_api_call *call, parley_facade *f) {
    const char *id = call->params[0][0] != '\0' ? call->params[0] : NULL;
    static const parley_json_field name_field[] = {{"name", true, 0, PARLEY_JSON_STRING}};
    parley_error err = {0};
    json_t *root = NULL;
    const char *name = NULL;
    parley_team t = {0};
    parley_status st =
        parley_api_body(call, &root, PARLEY_JSON_FIELDS(name_field), id != NULL, &name, &err);
    json_t *topics = st == PARLEY_OK ? json_object_get(root, "topics") : NULL;
    if (json_is_null(topics)) {
        topics = NULL;
    }
    if (st == PARLEY_OK && id == NULL) {
        st = parley_facade_create_team(f, call->caller, name, topics, &t, &err);
    } else if (st == PARLEY_OK) {
        st = parley_facade_update_team(f, call->caller, id, name, topics, &t, &err);
    }
    reply_team(call, st, id == NULL ? 201 : 200, &t, &err);
    json_decref(root);
}

void parley_api_list_teams(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    parley_team_list list = {0};
    json_t *items = NULL;
    if (!parley_api_read_page(call, &page)) {
        return;
    }
    parley_status st = parley_teams_list(parley_facade_chat(f), call->caller, page.limit,
                                         page.cursor, &list, page.next, sizeof page.next, &err);
    if (st == PARLEY_OK) {
        items = json_array();
    }
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_team_to_json(&list.items[i], staff(call)));
    }
    parley_team_list_free(&list);
    parley_api_reply_page(call, st, "teams", items, page.next, &err);
}

void parley_api_get_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_team t = {0};
    parley_status st =
        parley_team_get(parley_facade_chat(f), call->caller, call->params[0], &t, &err);
    reply_team(call, st, 200, &t, &err);
}

void parley_api_delete_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(call, parley_facade_delete_team(f, call->caller, call->params[0], &err),
                           &err);
}

void parley_api_team_member(parley_api_call *call, parley_facade *f) {
    bool add = call->req->method == HTTP_POST;
    parley_error err = {0};
    json_t *root = NULL;
    const char *agent_id = NULL;
    parley_team t = {0};
    bool added = false;
    parley_status st = parley_api_body_text(call, &root, "agent_id", &agent_id, &err);
    if (st == PARLEY_OK && add) {
        st = parley_facade_add_team_member(f, call->caller, call->params[0], agent_id, &added, &t,
                                           &err);
    } else if (st == PARLEY_OK) {
        st = parley_facade_remove_team_member(f, call->caller, call->params[0], agent_id, &t, &err);
    }
    reply_team(call, st, add && added ? 201 : 200, &t, &err);
    json_decref(root);
}
