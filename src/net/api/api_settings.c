/* REST handlers for the desk's run-time settings (core/settings.h). */
#include "net/api/api.h"

#include <stdlib.h>

void parley_api_get_settings(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *out = NULL;
    parley_status st = parley_facade_get_settings(f, call->caller, &out, &err);
    parley_api_reply(call, st, 200, out, &err);
}

/* One page of open sessions a unit (chat_facade.h): the progress rides
 * on the call and the router runs the job again while no answer is set. */
void parley_api_reapply_strategy_policy(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (call->prepared == NULL) {
        call->prepared = calloc(1, sizeof(parley_reapply_progress));
        call->prepared_free = free;
        if (call->prepared == NULL) {
            parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
            parley_api_reply_error(call, &err);
            return;
        }
    }
    json_t *out = NULL;
    parley_status st =
        parley_facade_reapply_strategy_policy(f, call->caller, call->prepared, &out, &err);
    if (st == PARLEY_OK && out == NULL) {
        call->job.status = PARLEY_OK;
        call->again = true; /* this page commits; the next one in a new unit */
        return;
    }
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
