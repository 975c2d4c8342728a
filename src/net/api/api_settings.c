/* REST handlers for the desk's run-time settings (core/settings.h). */
#include "net/api/api.h"
#include "net/http/json_request.h"

void parley_api_get_settings(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    if (parley_facade_get_settings(f, call->caller, &out, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_json(call, 200, out);
}

void parley_api_update_settings(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *patch = NULL;
    json_t *out = NULL;
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &patch, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_update_settings(f, call->caller, patch, &out, &err);
    }
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    } else {
        parley_api_reply_json(call, 200, out);
    }
    json_decref(patch);
}
