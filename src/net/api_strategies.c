/* REST handlers for strategy data admins edit: the profanity allowlist. The
 * router has checked the admin role; words are stored in the repository
 * (inside the request's transaction) and applied to the live filter. */
#include <string.h>

#include "core/audit.h"
#include "core/ids.h"
#include "net/api.h"
#include "net/json_request.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"

#define BODY(call) (call)->req->body, (call)->req->body_len

static void *profanity_of(parley_api_call *call, parley_error *err) {
    void *shared = parley_builtin_profanity(call->conn->server->strategies);
    if (shared == NULL) {
        parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no profanity strategy here");
    }
    return shared;
}

void parley_api_list_allowlist(parley_api_call *call, parley_facade *f) {
    (void)f;
    parley_error err = {0};
    void *shared = profanity_of(call, &err);
    if (shared == NULL) {
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_json(call, 200,
                          json_pack("{s:o}", "words", parley_profanity_allowlist(shared)));
}

void parley_api_add_allowlist(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    const char *word = NULL;
    void *shared = profanity_of(call, &err);
    parley_status st =
        shared != NULL ? parley_json_parse_object(BODY(call), &root, &err) : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_OK) {
        st = parley_json_string(root, "word", true, &word, &err);
    }
    parley_repository *repo = parley_facade_repository(f);
    if (st == PARLEY_OK) {
        st = parley_profanity_allow(shared, word, &err);
    }
    if (st == PARLEY_OK) {
        st = repo->ops->allowlist_add(repo, word, call->caller->id, parley_now_ms(), &err);
    }
    if (st == PARLEY_OK) {
        st = parley_audit_record(repo, call->caller, "allowlist.add", NULL, call->conn->peer_ip,
                                 json_pack("{s:s}", "word", word), &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 201, json_pack("{s:s}", "word", word));
    }
    json_decref(root);
}

void parley_api_remove_allowlist(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    void *shared = profanity_of(call, &err);
    parley_repository *repo = parley_facade_repository(f);
    const char *word = call->params[0];
    parley_status st =
        shared != NULL ? repo->ops->allowlist_remove(repo, word, &err) : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_E_NOT_FOUND && shared != NULL) {
        parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "the word is not allowlisted");
    }
    if (st == PARLEY_OK) {
        parley_error ignored = {0};
        (void)parley_profanity_disallow(shared, word, &ignored);
        st = parley_audit_record(repo, call->caller, "allowlist.remove", NULL, call->conn->peer_ip,
                                 json_pack("{s:s}", "word", word), &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}
