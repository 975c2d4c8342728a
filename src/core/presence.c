#include "core/presence.h"

#include <stdio.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/settings.h"

/* presence.updated goes to every agent: the console shows who is there. */
static parley_status emit_presence(parley_chat_service *svc, const parley_agent *a,
                                   parley_error *err) {
    parley_event *e =
        parley_event_new(PARLEY_EVENT_PRESENCE_UPDATED, PARLEY_AUDIENCE_AGENTS, NULL, NULL);
    if (e != NULL) {
        snprintf(e->presence.agent_id, sizeof e->presence.agent_id, "%s", a->id);
        e->presence.status = a->status;
        e->presence.since = a->status_since;
    }
    return parley_chat_emit(svc, e, err);
}

static parley_status change(parley_chat_service *svc, parley_agent *a, parley_agent_status to,
                            bool *changed, parley_error *err) {
    *changed = a->status != to;
    if (!*changed) {
        return PARLEY_OK;
    }
    a->status = to;
    a->status_since = parley_now_ms();
    parley_status st =
        svc->repo->desk->agent_set_presence(svc->repo, a->id, a->status, a->status_since, err);
    return st == PARLEY_OK ? emit_presence(svc, a, err) : st;
}

parley_status parley_presence_set(parley_chat_service *svc, const parley_participant *caller,
                                  const char *status, parley_agent *out, bool *changed,
                                  parley_error *err) {
    *changed = false;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_PRESENCE_SET, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_agent_status to;
    if (status == NULL || !parley_agent_status_from_name(status, &to)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "status: must be online, busy or offline");
    }
    parley_agent a = {0};
    if ((st = svc->repo->accounts->agent_get(svc->repo, caller->id, &a, err)) != PARLEY_OK) {
        return st;
    }
    if ((st = change(svc, &a, to, changed, err)) != PARLEY_OK) {
        parley_agent_free(&a);
        return st;
    }
    *out = a;
    return PARLEY_OK;
}

parley_status parley_presence_disconnected(parley_chat_service *svc, const char *agent_id,
                                           parley_error *err) {
    parley_agent a = {0};
    parley_status st = svc->repo->accounts->agent_get(svc->repo, agent_id, &a, err);
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        return PARLEY_OK;
    }
    bool changed = false;
    if (st == PARLEY_OK) {
        st = change(svc, &a, PARLEY_AGENT_OFFLINE, &changed, err);
    }
    parley_agent_free(&a);
    return st;
}

int64_t parley_presence_grace_ms(parley_chat_service *svc) {
    return parley_settings_int(svc->repo, "presence.offline_grace_seconds") * 1000;
}
