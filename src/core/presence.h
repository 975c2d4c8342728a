/*
 * presence.h - agents' presence: online, busy or offline, and since when.
 *
 * Business rules only: who may set a presence, which changes are real
 * (setting the same status again changes nothing and announces nothing),
 * and the presence.updated event {agent_id, status, since} to every agent.
 * Auto-assignment (core/routing.h) gives sessions to online agents only.
 * When an agent's last WebSocket closes, the net layer (net/desk/presence_watch.h)
 * waits presence.offline_grace_seconds and then calls
 * parley_presence_disconnected(); a status the agent set explicitly is
 * never changed by connecting.
 *
 * Threads: worker threads, inside the caller's unit of work (the service's
 * repository handle and event queue). Never the event loop.
 */
#ifndef PARLEY_PRESENCE_H
#define PARLEY_PRESENCE_H

#include "core/chat_service.h"

/* The caller (an agent or admin) sets its own presence; status is
 * "online", "busy" or "offline" (400 naming the field otherwise). out gets
 * the agent as stored; *changed is false when it already had that status. */
parley_status parley_presence_set(parley_chat_service *svc, const parley_participant *caller,
                                  const char *status, parley_agent *out, bool *changed,
                                  parley_error *err);

/* The agent's last connection closed and stayed closed for the grace
 * period: online or busy becomes offline (with presence.updated); an
 * offline or unknown agent is left alone. */
parley_status parley_presence_disconnected(parley_chat_service *svc, const char *agent_id,
                                           parley_error *err);

/* presence.offline_grace_seconds in milliseconds. */
int64_t parley_presence_grace_ms(parley_chat_service *svc);

#endif
