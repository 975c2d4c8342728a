/* A team's own strategy policy applied after routing (team_policy.h). */
#include "core/team_policy.h"

#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "core/strategy_policy.h"

/* The chain the policy gives s, in *chain_json (free()); a chain the kept
 * choices no longer build falls back to the policy's chain as it is. */
static parley_status policy_chain(parley_chat_service *svc, const json_t *policy,
                                  const parley_session *s, char **chain_json, parley_error *err) {
    *chain_json = NULL;
    json_t *effective = parley_strategy_policy_for_team(policy, s->team_id);
    if (effective == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    const char *default_chain = svc->config->default_strategies;
    parley_error ignored = {0};
    parley_status st = parley_strategy_policy_reapply(svc->strategies, effective, default_chain,
                                                      s->strategies_json, chain_json, &ignored);
    if (st != PARLEY_OK) {
        st = parley_strategy_policy_resolve(svc->strategies, effective, default_chain, NULL,
                                            chain_json, err);
    }
    json_decref(effective);
    return st;
}

parley_status parley_team_policy_apply(parley_chat_service *svc, const json_t *policy,
                                       parley_session *s, bool *changed, parley_error *err) {
    *changed = false;
    char *chain = NULL;
    parley_status st = policy_chain(svc, policy, s, &chain, err);
    if (st == PARLEY_OK &&
        strcmp(chain, s->strategies_json != NULL ? s->strategies_json : "") != 0) {
        st = svc->repo->sessions->set_strategies(svc->repo, s->id, chain, err);
        if (st == PARLEY_OK) {
            free(s->strategies_json);
            s->strategies_json = chain;
            chain = NULL;
            *changed = true;
        }
    }
    free(chain);
    return st;
}

static parley_status on_session_created(void *ctx, parley_chat_service *svc, parley_event *e,
                                        parley_error *err) {
    (void)ctx;
    parley_session *s = &e->session.session;
    if (s->team_id[0] == '\0') {
        return PARLEY_OK;
    }
    /* the setting chat_service read in this unit to resolve the chain
     * (so the same one, even if an admin changes it meanwhile); read here
     * only for an emitter that did not pass it */
    json_t *policy = json_incref(e->session.policy);
    if (policy == NULL) {
        parley_status st = parley_settings_get(svc->repo, "strategies.policy", &policy, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    /* most desks have no team policies: one object lookup */
    if (json_object_get(json_object_get(policy, "teams"), s->team_id) == NULL) {
        json_decref(policy);
        return PARLEY_OK;
    }
    bool changed = false;
    parley_status st = parley_team_policy_apply(svc, policy, s, &changed, err);
    json_decref(policy);
    return st;
}

bool parley_team_policy_subscribe(parley_event_registry *reg) {
    return parley_event_subscribe_in_unit(reg, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED),
                                          on_session_created, NULL);
}
