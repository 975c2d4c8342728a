/* REST handlers for the desk's run-time settings (core/settings.h). */
#include "net/api/api.h"

void parley_api_get_settings(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st = parley_facade_get_settings(f, call->caller, &out, &err);
    parley_api_reply(call, st, 200, out, &err);
}

void parley_api_reapply_strategy_policy(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st = parley_facade_reapply_strategy_policy(f, call->caller, &out, &err);
    parley_api_reply(call, st, 200, out, &err);
}

void parley_api_update_settings(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *patch = NULL;
    json_t *out = NULL;
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &patch, &err);
    if (st == PARLEY_OK) {
        st = parley_facade_update_settings(f, call->caller, patch, &out, &err);
    }
    parley_api_reply(call, st, 200, out, &err);
    json_decref(patch);
}
