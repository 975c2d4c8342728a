/* REST handlers for presence, the queue, transfers and teams
 * (core/presence.h, core/routing.h, core/teams.h). */
#include <stdio.h>
#include <string.h>

#include "core/model_json.h"
#include "net/api.h"
#include "net/json_request.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

static void reply_session(parley_api_call *call, parley_status st, parley_session *s,
                          const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, 200, parley_session_to_json(s));
    }
    parley_session_free(s);
}

/* Customers see a team's name and topics, staff its members too. */
static bool staff(const parley_api_call *call) {
    return call->caller != NULL && call->caller->ops->is_staff(call->caller);
}

static void reply_team(parley_api_call *call, parley_status st, int status, parley_team *t,
                       const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, status, parley_team_to_json(t, staff(call)));
    }
    parley_team_free(t);
}

void parley_api_set_presence(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *status = NULL;
    parley_agent a = {0};
    bool changed = false;
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "status", true, &status, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_presence_set(parley_facade_chat(f), call->caller, status, &a, &changed, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 200,
                              json_pack("{s:s, s:s, s:o}", "agent_id", a.id, "status",
                                        parley_agent_status_name(a.status), "since",
                                        parley_time_to_json(a.status_since)));
    }
    parley_agent_free(&a);
    json_decref(root);
}

void parley_api_list_queue(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    int limit = 0;
    char cursor[PARLEY_ID_SIZE * 2];
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    json_t *out = NULL;
    if (parley_routing_list_queue(parley_facade_chat(f), call->caller, limit, cursor, &out, &err) !=
        PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_json(call, 200, out);
}

void parley_api_transfer_session(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *agent_id = NULL;
    const char *team_id = NULL;
    parley_session s = {0};
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "agent_id", false, &agent_id, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "team_id", false, &team_id, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_routing_transfer(parley_facade_chat(f), call->caller, call->params[0], agent_id,
                                     team_id, &s, &err);
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

/* {name, topics}: topics must be an array when present (the service checks
 * its items). */
static parley_status decode_team(parley_api_call *call, json_t **root, const char **name,
                                 json_t **topics, bool name_required, parley_error *err) {
    *name = NULL;
    *topics = NULL;
    parley_status st = parley_json_parse_object(BODY(call), root, err);
    if (st == PARLEY_OK) {
        st = parley_json_string(*root, "name", name_required, name, err);
    }
    if (st == PARLEY_OK) {
        json_t *t = json_object_get(*root, "topics");
        if (t != NULL && !json_is_null(t)) {
            *topics = t;
        }
    }
    return st;
}

void parley_api_create_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *name = NULL;
    json_t *topics = NULL;
    parley_team t = {0};
    parley_status st = decode_team(call, &root, &name, &topics, true, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_create_team(f, call->caller, name, topics, &t, &err);
    }
    reply_team(call, st, 201, &t, &err);
    json_decref(root);
}

void parley_api_list_teams(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    int limit = 0;
    char cursor[PARLEY_ID_SIZE * 2];
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    parley_team_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    if (parley_teams_list(parley_facade_chat(f), call->caller, limit, cursor, &list, next,
                          sizeof next, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_team_to_json(&list.items[i], staff(call)));
    }
    parley_team_list_free(&list);
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", "teams", items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}

void parley_api_get_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_team t = {0};
    parley_status st =
        parley_team_get(parley_facade_chat(f), call->caller, call->params[0], &t, &err);
    reply_team(call, st, 200, &t, &err);
}

void parley_api_update_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *name = NULL;
    json_t *topics = NULL;
    parley_team t = {0};
    parley_status st = decode_team(call, &root, &name, &topics, false, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_update_team(f, call->caller, call->params[0], name, topics, &t, &err);
    }
    reply_team(call, st, 200, &t, &err);
    json_decref(root);
}

void parley_api_delete_team(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (parley_facade_delete_team(f, call->caller, call->params[0], &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

static void member_change(parley_api_call *call, parley_facade *f, bool add) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *agent_id = NULL;
    parley_team t = {0};
    bool added = false;
    parley_status st = parley_json_parse_object(BODY(call), &root, &err);
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "agent_id", true, &agent_id, &err);
    }
    if (st == PARLEY_OK) {
        st = add ? parley_facade_add_team_member(f, call->caller, call->params[0], agent_id, &added,
                                                 &t, &err)
                 : parley_facade_remove_team_member(f, call->caller, call->params[0], agent_id, &t,
                                                    &err);
    }
    reply_team(call, st, add && added ? 201 : 200, &t, &err);
    json_decref(root);
}

void parley_api_add_team_member(parley_api_call *call, parley_facade *f) {
    member_change(call, f, true);
}

void parley_api_remove_team_member(parley_api_call *call, parley_facade *f) {
    member_change(call, f, false);
}
