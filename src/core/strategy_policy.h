/*
 * strategy_policy.h - the operator's message-filter policy: which strategy
 * chain every new session gets, and which options of it a customer may
 * choose (issue 16).
 *
 * The policy is the run-time setting "strategies.policy" (core/settings.h),
 * an object {"chain": [...], "customer_options": {"<strategy>": ["option",
 * ...]}, "teams": {"<team_id>": {"chain": [...], "customer_options":
 * {...}}}}. A policy without "chain" uses --default-strategies (the initial
 * policy); without "customer_options" a customer may pick the translation
 * languages (PARLEY_POLICY_DEFAULT_CUSTOMER_OPTIONS) and nothing else. A
 * team's entry replaces what it names for sessions routed to that team
 * (parley_strategy_policy_for_team; core/team_policy.h applies it once
 * routing has picked the team).
 *
 * A customer's own "strategies" list (session create body) is a request for
 * options, never a chain: each entry must name a strategy of the policy's
 * chain and only options the policy lets customers set, else the request is
 * refused (403 strategy_not_allowed); the allowed options are laid over the
 * matching entries of the policy's chain. "[]" or no list: the policy's
 * chain as it is.
 *
 * Threads: any; pure functions over their arguments (the registry is
 * read-only after start-up). Ownership: results belong to the caller.
 */
#ifndef PARLEY_STRATEGY_POLICY_H
#define PARLEY_STRATEGY_POLICY_H

#include <jansson.h>

#include "core/strategy.h"
#include "util/error.h"

#define PARLEY_POLICY_DEFAULT_CUSTOMER_OPTIONS                                                     \
    "{\"translation\": [\"target\", \"source\", \"customer_language\"]}"

/* The setting's shape check (no registry at hand): "chain" an array of
 * objects with a "name" string, "customer_options" an object of arrays of
 * strings, no other member. */
parley_status parley_strategy_policy_check_shape(const json_t *policy, parley_error *err);

/* The policy that holds for a session of team_id ("" or NULL: no team):
 * the team's "chain" and "customer_options" where it has them, the desk's
 * otherwise. A new object (NULL when out of memory). */
json_t *parley_strategy_policy_for_team(const json_t *policy, const char *team_id);

/* The whole check an admin's new policy passes before it is stored: its
 * shape and its chains (the desk's and every team's) built against the
 * registry (names, option values). */
parley_status parley_strategy_policy_check(const parley_strategy_registry *registry,
                                           const json_t *policy, const char *default_chain,
                                           parley_error *err);

/* The chain a new session gets, as JSON text in *chain_json (free()):
 * policy (the setting's value), default_chain (--default-strategies, used
 * when the policy has no "chain"), requested (the customer's list as JSON
 * text, or NULL). PARLEY_E_INVALID for a malformed or unknown entry,
 * PARLEY_E_FORBIDDEN ("strategy_not_allowed") for a strategy or option
 * the policy keeps from customers; the result is built once to prove it. */
parley_status parley_strategy_policy_resolve(const parley_strategy_registry *registry,
                                             const json_t *policy, const char *default_chain,
                                             const char *requested, char **chain_json,
                                             parley_error *err);

/* The chain an open session gets when an admin re-applies the policy:
 * the policy's chain with the choices its customer made in current_chain
 * (the session's chain text) kept where the policy still lets customers
 * make them, and dropped where it no longer does (never refused). Built
 * once to prove it, except when the text is current_chain's own (stored,
 * hence proven, when the session got it): re-applying an unchanged policy
 * builds nothing. */
parley_status parley_strategy_policy_reapply(const parley_strategy_registry *registry,
                                             const json_t *policy, const char *default_chain,
                                             const char *current_chain, char **chain_json,
                                             parley_error *err);

#endif
