/* REST handlers of the outgoing webhooks (core/webhooks.h): the admins'
 * CRUD, a webhook's delivery log and the replay of a delivery.
 * Authorization: the route's action (router.c, webhook.admin) and the
 * service's own check, through the policy table (core/authorization.c).
 * Creating and changing a webhook resolve its URL's host (the SSRF rule,
 * net/webhook_target.h), so those routes run on the pool (concurrent),
 * never in the writer's batch; each statement commits on its own there,
 * the audit entry after the change. */
#include "core/webhooks.h"
#include "net/api/api.h"
#include "net/http/json_request.h"
#include "net/server.h"
#include "net/webhook_target.h"

/* parley_webhook_url_check: the target rule with the operator's flag. */
static parley_status check_target(void *ctx, const char *url, parley_error *err) {
    const parley_api_call *call = ctx;
    parley_webhook_target target;
    return parley_webhook_target_resolve(url, call->conn->server->config->webhooks_allow_private,
                                         &target, err);
}

/* POST /api/v1/webhooks and PATCH /api/v1/webhooks/{id}. */
void parley_api_write_webhook(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *in = NULL;
    json_t *body = NULL;
    bool create = call->params[0][0] == '\0';
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &in, &err);
    if (st == PARLEY_OK && create) {
        st = parley_webhooks_create(parley_facade_chat(f), call->caller, in, check_target, call,
                                    call->conn->client_ip, &body, &err);
    } else if (st == PARLEY_OK) {
        st = parley_webhooks_update(parley_facade_chat(f), call->caller, call->params[0], in,
                                    check_target, call, call->conn->client_ip, &body, &err);
    }
    json_decref(in);
    parley_api_reply(call, st, create ? 201 : 200, body, &err);
}

void parley_api_list_webhooks(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st = parley_webhooks_list(parley_facade_chat(f), call->caller, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_get_webhook(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st =
        parley_webhooks_get(parley_facade_chat(f), call->caller, call->params[0], &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_delete_webhook(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_status st = parley_webhooks_delete(parley_facade_chat(f), call->caller, call->params[0],
                                              call->conn->client_ip, &err);
    parley_api_reply_empty(call, st, &err);
}

void parley_api_webhook_deliveries(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_api_page page;
    if (!parley_api_read_page(call, &page)) {
        return;
    }
    json_t *body = NULL;
    parley_status st = parley_webhooks_deliveries(
        parley_facade_chat(f), call->caller, call->params[0], page.limit, page.cursor, &body, &err);
    parley_api_reply(call, st, 200, body, &err);
}

void parley_api_replay_webhook_delivery(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *body = NULL;
    parley_status st = parley_webhooks_replay(parley_facade_chat(f), call->caller, call->params[0],
                                              call->params[1], call->conn->client_ip, &body, &err);
    parley_api_reply(call, st, 202, body, &err);
}
