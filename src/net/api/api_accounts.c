/* REST handlers for auth, agents, bots and customers. */
#include <sodium.h>
#include <string.h>

#include "core/audit.h"
#include "core/model_json.h"
#include "net/api/api.h"
#include "util/accept_language.h"

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
    json_t *body = st == PARLEY_OK ? json_pack("{s:s, s:o}", "token", token, "agent",
                                               parley_agent_to_json(&agent))
                                   : NULL;
    sodium_memzero(token, sizeof token);
    parley_api_reply(call, st, 200, body, &err);
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_logout(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(call, parley_facade_logout(f, call->caller, &err), &err);
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
    parley_api_reply(call, st, 201, st == PARLEY_OK ? parley_agent_to_json(&agent) : NULL, &err);
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_list_agents(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_agent_list list = {0};
    parley_status st = parley_facade_list_agents(f, call->caller, &list, &err);
    json_t *body =
        st == PARLEY_OK ? json_pack("{s:o}", "agents", parley_agent_list_to_json(&list)) : NULL;
    parley_agent_list_free(&list);
    parley_api_reply(call, st, 200, body, &err);
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
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_agent_to_json(&agent) : NULL, &err);
    parley_agent_free(&agent);
    json_decref(root);
}

void parley_api_reset_password(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_password_body in;
    parley_status st = parley_decode_password_reset(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_reset_password(f, call->caller, call->params[0], in.new_password, &err);
    }
    parley_api_reply_empty(call, st, &err);
    json_decref(root);
}

void parley_api_change_password(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_password_body in;
    parley_status st = parley_decode_password_change(BODY(call), &root, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_change_password(f, call->caller, in.current_password, in.new_password,
                                           &err);
    }
    parley_api_reply_empty(call, st, &err);
    json_decref(root);
}

void parley_api_list_bots(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_bot_list list = {0};
    parley_status st = parley_facade_list_bots(f, call->caller, &list, &err);
    json_t *body =
        st == PARLEY_OK ? json_pack("{s:o}", "bots", parley_bot_list_to_json(&list)) : NULL;
    parley_bot_list_free(&list);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_revoke_bot(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_reply_empty(call, parley_facade_revoke_bot(f, call->caller, call->params[0], &err),
                           &err);
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
    json_t *body = st == PARLEY_OK
                       ? json_pack("{s:o, s:s}", "bot", parley_bot_to_json(&bot), "token", token)
                       : NULL;
    sodium_memzero(token, sizeof token);
    parley_api_reply(call, st, 201, body, &err);
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
    char browser_language[8];
    if (st == PARLEY_OK && in.language == NULL &&
        parley_accept_language_primary(call->req->accept_language, browser_language,
                                       sizeof browser_language)) {
        in.language = browser_language; /* none declared: the browser's */
    }
    if (st == PARLEY_OK) {
        st = parley_account_register_customer(parley_facade_accounts(f), &in, &customer, &existing,
                                              token, &err);
    }
    json_t *body = st == PARLEY_OK ? json_pack("{s:o, s:s}", "customer",
                                               parley_customer_to_json(&customer), "token", token)
                                   : NULL;
    sodium_memzero(token, sizeof token);
    parley_api_reply(call, st, existing ? 200 : 201, body, &err);
    parley_customer_free(&customer);
    json_decref(root);
}

/* GET /api/v1/audit[?action=][&actor=]: an action longer than any recorded
 * one or an actor longer than an id is refused (400), an unknown one finds
 * nothing. */
void parley_api_list_audit(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    parley_audit_list list = {0};
    char action[sizeof((parley_audit_entry *)0)->action] = "";
    char actor[PARLEY_ID_SIZE];
    bool too_long = false;
    if (!parley_http_query_param(call->req, "action", action, sizeof action, &too_long) &&
        too_long) {
        parley_api_invalid(call, "action: at most %zu characters", sizeof action - 1);
        return;
    }
    if (!parley_api_query_id(call, "actor", actor)) {
        return;
    }
    if (parley_api_read_page(call, &page)) {
        parley_status st = parley_facade_list_audit(
            f, call->caller, action[0] != '\0' ? action : NULL, actor[0] != '\0' ? actor : NULL,
            page.limit, page.cursor, &list, page.next, sizeof page.next, &err);
        parley_api_reply_page(call, st, "entries", parley_audit_list_to_json(&list), page.next,
                              &err);
    }
    parley_audit_list_free(&list);
}
