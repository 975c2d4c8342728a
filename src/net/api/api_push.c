/* REST handlers of web push (core/push.h, net/notify_channel_push.h): the
 * VAPID public key a page subscribes with, and the caller's own
 * subscriptions (an agent's token, a customer's token). Subscribing
 * resolves the endpoint's host (the SSRF rule, net/webhook_target.h), so
 * that route runs on the pool (concurrent), never in the writer's batch. */
#include <stdlib.h>
#include <string.h>

#include "core/push.h"
#include "net/api/api.h"
#include "net/http/json_request.h"
#include "net/server.h"
#include "net/webhook_target.h"
#include "net/webpush_crypto.h"

/* GET /api/v1/push/vapid-public-key (no auth: the key is public). */
void parley_api_push_vapid_key(parley_api_call *call, parley_facade *f) {
    (void)f;
    const parley_push_channel *push = &call->conn->server->notify.push;
    parley_error err = {0};
    if (push->database_url == NULL) {
        parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "web push is off (--push 0)");
        parley_api_reply(call, err.status, 200, NULL, &err);
        return;
    }
    parley_api_reply_json(call, 200, json_pack("{s:s}", "public_key", push->vapid_public_b64));
}

/* parley_push_subscription_check: a reachable endpoint (the operator's
 * --push-allow-private), a p256dh on the curve. */
static parley_status check_subscription(void *ctx, const char *endpoint, const uint8_t *p256dh,
                                        parley_error *err) {
    const parley_api_call *call = ctx;
    const parley_server *srv = call->conn->server;
    bool allow_private = srv->config->push_allow_private != 0;
    if (!allow_private && strncmp(endpoint, "https://", 8) != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "endpoint: push services are https");
    }
    parley_webhook_target target;
    parley_status st = parley_webhook_target_resolve(endpoint, allow_private, &target, err);
    if (st != PARLEY_OK) {
        return st;
    }
    /* an encryption to the key proves it a P-256 point */
    static const uint8_t probe[1] = {0};
    uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN] = {0};
    uint8_t *body = NULL;
    size_t body_len = 0;
    parley_error ignored = {0};
    st = parley_webpush_encrypt(p256dh, auth, probe, sizeof probe, &body, &body_len, &ignored);
    free(body);
    return st == PARLEY_OK ? PARLEY_OK
                           : parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                              "keys.p256dh: not a point of P-256");
}

void parley_api_push_subscribe(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *in = NULL;
    json_t *body = NULL;
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &in, &err);
    if (st == PARLEY_OK && call->conn->server->notify.push.database_url == NULL) {
        st = parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "web push is off (--push 0)");
    }
    if (st == PARLEY_OK) {
        st = parley_push_subscribe(parley_facade_chat(f), call->caller, in, check_subscription,
                                   call, &body, &err);
    }
    json_decref(in);
    parley_api_reply(call, st, 201, body, &err);
}

void parley_api_push_unsubscribe(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *in = NULL;
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_push_unsubscribe(parley_facade_chat(f), call->caller, in, &err);
    }
    json_decref(in);
    parley_api_reply_empty(call, st, &err);
}
