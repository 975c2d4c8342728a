/*
 * team_policy.h - a team's own strategy policy (core/strategy_policy.h,
 * the "teams" member of the strategies.policy setting) applied to a new
 * session once routing has given it its team.
 *
 * A new session's chain is resolved against the desk's policy when it is
 * created (the customer's options checked there); routing then picks the
 * team, in the same unit (core/routing.h, an in-unit subscriber of
 * session.created). This subscriber, registered after routing's, gives a
 * session whose team has a policy of its own that team's chain, keeping
 * the customer's choices the team's policy allows
 * (parley_strategy_policy_reapply), writes it and amends the event's copy,
 * so the session.created every listener hears already carries it. It
 * uses the strategies.policy value the event carries (the one chat_service
 * read in the same unit to resolve the chain; the writer is one thread, so
 * no change can come between) and reads the setting only when an emitter
 * passed none.
 *
 * Threads: the emitting unit's worker thread (the writer). Ownership: no
 * state of its own.
 */
#ifndef PARLEY_TEAM_POLICY_H
#define PARLEY_TEAM_POLICY_H

#include <stdbool.h>

#include "core/chat_service.h"
#include "core/event.h"

/* Gives session s the chain the policy gives it (its team's policy, else
 * the desk's), keeping its customer's still-allowed choices (a chain the
 * kept choices no longer build falls back to the policy's as it is): when
 * that differs from s->strategies_json, writes it (sessions->set_strategies,
 * the caller's unit), replaces s->strategies_json and sets *changed. */
parley_status parley_team_policy_apply(parley_chat_service *svc, const json_t *policy,
                                       parley_session *s, bool *changed, parley_error *err);

/* Registers the in-unit subscriber; call after parley_routing_subscribe. */
bool parley_team_policy_subscribe(parley_event_registry *reg);

#endif
