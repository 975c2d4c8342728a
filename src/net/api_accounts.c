/* REST handlers for auth, agents, bots and customers. */
#include <sodium.h>
#include <string.h>

#include "core/audit.h"
#include "core/model_json.h"
#include "net/api.h"
#include "net/json_request.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

void parley_api_login(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_login_body in;
    char token[PARLEY_TOKEN_SIZE];
    parley_agent agent = {0};
    parley_status st = parley_decode_login(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_account_login(parley_facade_accounts(f), in.email, in.password, token, &agent,
                                  &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(
            call, 200,
            json_pack("{s:s, s:o}", "token", token, "agent", parley_agent_to_json(&agent)));
        sodium_memzero(token, sizeof token);
    }
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_logout(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (parley_facade_logout(f, call->caller, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

void parley_api_me(parley_api_call *call, parley_facade *f) {
    (void)f;
    parley_api_reply_json(call, 200, parley_participant_to_json(call->caller));
}

void parley_api_create_agent(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_agent_input in;
    parley_agent agent = {0};
    parley_status st = parley_decode_agent(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_create_agent(f, call->caller, &in, &agent, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 201, parley_agent_to_json(&agent));
    }
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_list_agents(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_agent_list list = {0};
    if (parley_facade_list_agents(f, call->caller, &list, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_agent_to_json(&list.items[i]));
    }
    parley_agent_list_free(&list);
    parley_api_reply_json(call, 200, json_pack("{s:o}", "agents", items));
}

void parley_api_update_agent(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_agent_changes in;
    parley_agent agent = {0};
    parley_status st = parley_decode_agent_changes(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_update_agent(f, call->caller, call->params[0], &in, &agent, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 200, parley_agent_to_json(&agent));
    }
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_list_bots(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_bot_list list = {0};
    if (parley_facade_list_bots(f, call->caller, &list, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_bot_to_json(&list.items[i]));
    }
    parley_bot_list_free(&list);
    parley_api_reply_json(call, 200, json_pack("{s:o}", "bots", items));
}

void parley_api_revoke_bot(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (parley_facade_revoke_bot(f, call->caller, call->params[0], &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

void parley_api_create_bot(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_bot_body in;
    parley_bot bot = {0};
    char token[PARLEY_TOKEN_SIZE];
    parley_status st = parley_decode_bot(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_create_bot(f, call->caller, in.name, &bot, token, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(
            call, 201, json_pack("{s:o, s:s}", "bot", parley_bot_to_json(&bot), "token", token));
        sodium_memzero(token, sizeof token);
    }
    parley_bot_free(&bot);
    json_decref(root);
}

void parley_api_create_customer(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_customer_input in;
    parley_customer customer = {0};
    char token[PARLEY_TOKEN_SIZE];
    bool existing = false;
    parley_status st = parley_decode_customer(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_account_register_customer(parley_facade_accounts(f), &in, &customer, &existing,
                                              token, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        json_t *c = parley_customer_to_json(&customer);
        parley_api_reply_json(call, existing ? 200 : 201,
                              json_pack("{s:o, s:s}", "customer", c, "token", token));
        sodium_memzero(token, sizeof token);
    }
    parley_customer_free(&customer);
    json_decref(root);
}

void parley_api_list_audit(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    int limit = PARLEY_API_DEFAULT_LIMIT;
    char cursor[PARLEY_ID_SIZE * 2];
    if (!parley_api_read_paging(call, &limit, cursor, sizeof cursor)) {
        return;
    }
    parley_audit_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    if (parley_facade_list_audit(f, call->caller, limit, cursor, &list, next, sizeof next, &err) !=
        PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_audit_entry_to_json(&list.items[i]));
    }
    parley_audit_list_free(&list);
    parley_api_reply_json(call, 200,
                          json_pack("{s:o, s:o}", "entries", items, "next_cursor",
                                    next[0] != '\0' ? json_string(next) : json_null()));
}
