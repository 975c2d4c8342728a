/* REST handlers of the e-mail side of the notification service
 * (docs/subsystems/notifications.md "E-mail"): the signed link that
 * reopens a conversation in the widget. No bearer token: the link's
 * signature is the credential (core/resume_link.h), checked by the
 * account service. */
#include <sodium.h>
#include <stddef.h>

#include "core/account_service.h"
#include "core/model_json.h"
#include "net/api/api.h"
#include "net/http/json_request.h"

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
