/* REST handlers of the e-mail side of the notification service
 * (docs/subsystems/notifications.md "E-mail"): the signed link that
 * reopens a conversation in the widget, and password reset by e-mail. No
 * bearer token: the link's signature, the reset e-mail's token are the
 * credentials (core/resume_link.h), checked by the account service. */
#include <sodium.h>
#include <stddef.h>

#include "core/account_service.h"
#include "core/model_json.h"
#include "net/api/api.h"
#include "net/http/json_request.h"
#include "net/server.h"

typedef struct link_body {
    const char *session_id;
    int64_t expires;
    const char *signature;
} link_body;

static const parley_json_field link_fields[] = {
    PARLEY_JSON_TEXT(link_body, session_id, "session_id", true),
    PARLEY_JSON_INT(link_body, expires, "expires", true),
    PARLEY_JSON_TEXT(link_body, signature, "signature", true),
};

void parley_api_redeem_conversation_link(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    link_body in = {0};
    parley_customer customer = {0};
    char token[PARLEY_TOKEN_SIZE];
    parley_status st = parley_json_decode(call->req->body, call->req->body_len, &root,
                                          PARLEY_JSON_FIELDS(link_fields), false, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_account_redeem_link(parley_facade_accounts(f), in.session_id, in.expires,
                                        in.signature, &customer, token, &err);
    }
    json_t *body = st == PARLEY_OK ? json_pack("{s:o, s:s, s:s}", "customer",
                                               parley_customer_to_json(&customer), "token", token,
                                               "session_id", in.session_id)
                                   : NULL;
    sodium_memzero(token, sizeof token);
    parley_api_reply(call, st, 200, body, &err);
    parley_customer_free(&customer);
    json_decref(root);
}

/* ---- password reset by e-mail ---------------------------------------------------- */

typedef struct reset_request_body {
    const char *email;
} reset_request_body;

static const parley_json_field reset_request_fields[] = {
    PARLEY_JSON_TEXT(reset_request_body, email, "email", true),
};

typedef struct reset_confirm_body {
    const char *token;
    const char *password;
} reset_confirm_body;

static const parley_json_field reset_confirm_fields[] = {
    PARLEY_JSON_TEXT(reset_confirm_body, token, "token", true),
    PARLEY_JSON_TEXT(reset_confirm_body, password, "password", true),
};

static void poke_workers(void *ctx) {
    parley_notify_service_poke(ctx);
}

/* 202 whatever the address (an unknown one is not told apart); 429 past
 * the login limits. Batched: the reset, its notification and delivery
 * are one unit, and the worker is poked once it is committed. */
void parley_api_request_password_reset(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    reset_request_body in = {0};
    parley_notify_service *notify = &call->conn->server->notify;
    parley_status st =
        parley_json_decode(call->req->body, call->req->body_len, &root,
                           PARLEY_JSON_FIELDS(reset_request_fields), false, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_account_request_password_reset(parley_facade_accounts(f), &notify->notifier,
                                                   in.email, &err);
    }
    if (st == PARLEY_OK && notify->worker_count > 0 &&
        !parley_facade_after_commit(f, poke_workers, notify, NULL)) {
        st = parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    parley_api_reply(call, st, 202, st == PARLEY_OK ? json_pack("{s:b}", "accepted", 1) : NULL,
                     &err);
    json_decref(root);
}

void parley_api_confirm_password_reset(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    reset_confirm_body in = {0};
    parley_status st =
        parley_json_decode(call->req->body, call->req->body_len, &root,
                           PARLEY_JSON_FIELDS(reset_confirm_fields), false, &in, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_confirm_password_reset(f, in.token, in.password, &err);
    }
    parley_api_reply_empty(call, st, &err);
    json_decref(root);
}
