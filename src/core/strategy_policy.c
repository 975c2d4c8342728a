/* The operator's strategy policy (see strategy_policy.h). */
#include "core/strategy_policy.h"

#include <stdlib.h>
#include <string.h>

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "strategies.policy: %s",
                            what);
}

/* One policy's shape; a team's (in_team) has no "teams" of its own. */
static parley_status check_shape(const json_t *policy, bool in_team, parley_error *err) {
    json_t *chain = json_object_get(policy, "chain");
    json_t *customer_options = json_object_get(policy, "customer_options");
    json_t *teams = in_team ? NULL : json_object_get(policy, "teams");
    if (!json_is_object(policy)) {
        return invalid(err, "a policy is an object");
    }
    if (json_object_size(policy) !=
        (size_t)(chain != NULL) + (size_t)(customer_options != NULL) + (size_t)(teams != NULL)) {
        return invalid(err, in_team ? "a team's policy knows only \"chain\" and "
                                      "\"customer_options\""
                                    : "only \"chain\", \"customer_options\" and \"teams\" are "
                                      "known");
    }
    if (teams != NULL && !json_is_object(teams)) {
        return invalid(err, "teams must be {team_id: {chain, customer_options}}");
    }
    const char *team_id;
    json_t *team_policy;
    json_object_foreach(teams, team_id, team_policy) {
        parley_status st = check_shape(team_policy, true, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    size_t i;
    json_t *entry;
    if (chain != NULL && !json_is_array(chain)) {
        return invalid(err, "chain must be an array of {name, ...options}");
    }
    json_array_foreach(chain, i, entry) {
        if (!json_is_string(json_object_get(entry, "name"))) {
            return invalid(err, "every chain entry needs a \"name\" string");
        }
    }
    if (customer_options != NULL && !json_is_object(customer_options)) {
        return invalid(err, "customer_options must be {strategy: [option, ...]}");
    }
    const char *strategy;
    json_t *options;
    json_object_foreach(customer_options, strategy, options) {
        if (!json_is_array(options)) {
            return invalid(err, "customer_options must be {strategy: [option, ...]}");
        }
        json_array_foreach(options, i, entry) {
            if (!json_is_string(entry) || strcmp(json_string_value(entry), "name") == 0) {
                return invalid(err, "customer_options lists option names (not \"name\")");
            }
        }
    }
    return PARLEY_OK;
}

parley_status parley_strategy_policy_check_shape(const json_t *policy, parley_error *err) {
    return check_shape(policy, false, err);
}

json_t *parley_strategy_policy_for_team(const json_t *policy, const char *team_id) {
    const json_t *team = team_id != NULL && team_id[0] != '\0'
                             ? json_object_get(json_object_get(policy, "teams"), team_id)
                             : NULL;
    json_t *out = json_object();
    const char *keys[] = {"chain", "customer_options"};
    for (size_t i = 0; out != NULL && i < 2; i++) {
        json_t *value = json_object_get(team, keys[i]);
        if (value == NULL) {
            value = json_object_get(policy, keys[i]);
        }
        if (value != NULL && json_object_set(out, keys[i], value) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The policy's chain (a new reference; NULL when out of memory or when
 * default_chain is not JSON, which start-up has ruled out). */
static json_t *chain_of(const json_t *policy, const char *default_chain) {
    const json_t *chain = json_object_get(policy, "chain");
    if (chain != NULL) {
        return json_deep_copy(chain);
    }
    return json_loads(default_chain != NULL ? default_chain : "[]", 0, NULL);
}

/* Builds the chain once (names and option values) and answers its text. */
/* The chain's text in *text, built once to prove it, unless it is proven
 * already (NULL: no such text): a session's stored chain was built when it
 * was stored, and the registry does not change while the server runs. */
static parley_status build_text(const parley_strategy_registry *registry, const json_t *chain,
                                const char *proven, char **text, parley_error *err) {
    *text = json_dumps(chain, JSON_COMPACT);
    if (*text == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (proven != NULL && strcmp(*text, proven) == 0) {
        return PARLEY_OK;
    }
    parley_strategy *built = NULL;
    parley_status st = parley_strategy_chain_build(registry, *text, &built, err);
    parley_strategy_chain_free(built);
    if (st != PARLEY_OK) {
        free(*text);
        *text = NULL;
    }
    return st;
}

parley_status parley_strategy_policy_check(const parley_strategy_registry *registry,
                                           const json_t *policy, const char *default_chain,
                                           parley_error *err) {
    parley_status st = parley_strategy_policy_check_shape(policy, err);
    json_t *chain = st == PARLEY_OK ? chain_of(policy, default_chain) : NULL;
    char *text = NULL;
    if (st == PARLEY_OK) {
        st = chain != NULL ? build_text(registry, chain, NULL, &text, err)
                           : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    free(text);
    json_decref(chain);
    /* every team's chain builds too */
    const char *team_id;
    json_t *team_policy;
    json_object_foreach(st == PARLEY_OK ? json_object_get(policy, "teams") : NULL, team_id,
                        team_policy) {
        json_t *effective = parley_strategy_policy_for_team(policy, team_id);
        chain = effective != NULL ? chain_of(effective, default_chain) : NULL;
        text = NULL;
        st = chain != NULL ? build_text(registry, chain, NULL, &text, err)
                           : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        free(text);
        json_decref(chain);
        json_decref(effective);
        if (st != PARLEY_OK) {
            break;
        }
    }
    return st;
}

static bool customer_may_set(const json_t *customer_options, const char *strategy,
                             const char *option) {
    size_t i;
    const json_t *allowed;
    json_array_foreach(json_object_get(customer_options, strategy), i, allowed) {
        if (strcmp(json_string_value(allowed), option) == 0) {
            return true;
        }
    }
    return false;
}

/* Lays one requested entry's options over the chain's entries of that
 * name, refusing what the policy keeps from customers. */
static parley_status apply_request(const parley_strategy_registry *registry, json_t *chain,
                                   const json_t *customer_options, size_t index, json_t *entry,
                                   parley_error *err) {
    const char *name = json_string_value(json_object_get(entry, "name"));
    if (!json_is_object(entry) || name == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "strategies[%zu] needs a \"name\" string", index);
    }
    if (parley_strategy_find(registry, name) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "strategies[%zu]: unknown strategy \"%.64s\"", index, name);
    }
    bool in_chain = false;
    size_t i;
    json_t *target;
    json_array_foreach(chain, i, target) {
        in_chain =
            in_chain || strcmp(json_string_value(json_object_get(target, "name")), name) == 0;
    }
    if (!in_chain) {
        return parley_error_set(err, PARLEY_E_FORBIDDEN, "strategy_not_allowed",
                                "strategies[%zu]: \"%.64s\" is not in this desk's policy; the "
                                "desk chooses the filters",
                                index, name);
    }
    const char *key;
    json_t *value;
    json_object_foreach(entry, key, value) {
        if (strcmp(key, "name") != 0 && !customer_may_set(customer_options, name, key)) {
            return parley_error_set(err, PARLEY_E_FORBIDDEN, "strategy_not_allowed",
                                    "strategies[%zu]: option \"%.64s\" of \"%.64s\" is set by "
                                    "the desk",
                                    index, key, name);
        }
    }
    json_array_foreach(chain, i, target) {
        if (strcmp(json_string_value(json_object_get(target, "name")), name) != 0) {
            continue;
        }
        json_object_foreach(entry, key, value) {
            if (json_object_set(target, key, value) != 0) {
                return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            }
        }
    }
    return PARLEY_OK;
}

static json_t *customer_options_of(const json_t *policy) {
    json_t *options = json_object_get(policy, "customer_options");
    return options != NULL ? json_incref(options)
                           : json_loads(PARLEY_POLICY_DEFAULT_CUSTOMER_OPTIONS, 0, NULL);
}

/* resolve's work on a decoded request (stolen; NULL: not valid JSON). */
static parley_status resolve_request(const parley_strategy_registry *registry, const json_t *policy,
                                     const char *default_chain, json_t *request, const char *proven,
                                     char **chain_json, parley_error *err) {
    *chain_json = NULL;
    json_t *chain = chain_of(policy, default_chain);
    json_t *customer_options = customer_options_of(policy);
    parley_status st = PARLEY_OK;
    if (chain == NULL || customer_options == NULL || !json_is_array(chain)) {
        st = parley_error_set(err, PARLEY_E_INTERNAL, "internal", "strategies.policy unreadable");
    } else if (!json_is_array(request)) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "strategies must be an array of objects");
    }
    size_t index;
    json_t *entry;
    json_array_foreach(st == PARLEY_OK ? request : NULL, index, entry) {
        st = apply_request(registry, chain, customer_options, index, entry, err);
        if (st != PARLEY_OK) {
            break;
        }
    }
    if (st == PARLEY_OK) {
        st = build_text(registry, chain, proven, chain_json, err);
    }
    json_decref(request);
    json_decref(customer_options);
    json_decref(chain);
    return st;
}

parley_status parley_strategy_policy_resolve(const parley_strategy_registry *registry,
                                             const json_t *policy, const char *default_chain,
                                             const char *requested, char **chain_json,
                                             parley_error *err) {
    json_t *request = requested != NULL ? json_loads(requested, 0, NULL) : json_array();
    return resolve_request(registry, policy, default_chain, request, NULL, chain_json, err);
}

/* What a customer chose in a session's chain and may still choose: for
 * each entry whose strategy the policy's chain has, the options the
 * policy lets customers set (a new array; NULL when out of memory). */
static json_t *kept_choices(json_t *current, const json_t *chain, const json_t *customer_options) {
    json_t *request = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(current, i, entry) {
        const char *name = json_string_value(json_object_get(entry, "name"));
        bool in_chain = false;
        size_t j;
        const json_t *target;
        json_array_foreach(chain, j, target) {
            in_chain =
                in_chain || (name != NULL &&
                             strcmp(json_string_value(json_object_get(target, "name")), name) == 0);
        }
        json_t *kept = in_chain ? json_pack("{s:s}", "name", name) : NULL;
        const char *key;
        json_t *value;
        json_object_foreach(entry, key, value) {
            if (kept != NULL && strcmp(key, "name") != 0 &&
                customer_may_set(customer_options, name, key)) {
                json_object_set(kept, key, value);
            }
        }
        if (kept != NULL && json_object_size(kept) > 1) {
            json_array_append(request, kept);
        }
        json_decref(kept);
    }
    return request;
}

parley_status parley_strategy_policy_reapply(const parley_strategy_registry *registry,
                                             const json_t *policy, const char *default_chain,
                                             const char *current_chain, char **chain_json,
                                             parley_error *err) {
    *chain_json = NULL;
    json_t *current = json_loads(current_chain != NULL ? current_chain : "[]", 0, NULL);
    json_t *chain = chain_of(policy, default_chain);
    json_t *customer_options = customer_options_of(policy);
    json_t *request =
        chain != NULL && customer_options != NULL
            ? kept_choices(json_is_array(current) ? current : NULL, chain, customer_options)
            : NULL;
    json_decref(customer_options);
    json_decref(chain);
    json_decref(current);
    if (request == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return resolve_request(registry, policy, default_chain, request, current_chain, chain_json,
                           err);
}
