/*
 * routing.h - the waiting queue and who gets which session.
 *
 * The queue: waiting sessions with no bot attached, oldest first (by when
 * the session was created, so a session that comes back - unassigned,
 * re-queued, transferred to a team - keeps its original place). A
 * session's position counts the waiting sessions ahead of it in the same
 * pool: its team's, or the no-team pool. The estimated wait is the
 * position times the mean time-to-assignment of the last 20 assignments
 * (unknown, null, until there is one), kept in memory (core/queue_wait.h,
 * svc->queue_wait) when the service has one. Positions are counted in one
 * pass over the queue (core/queue_positions.h).
 *
 * Dispatch (parley_routing_dispatch) is one unit of work on the writer:
 * it re-queues sessions whose agent is offline and never answered within
 * routing.requeue_after_seconds, then, unless routing.mode is manual, gives
 * queued sessions in queue order to online agents with room (fewer active
 * chats than routing.agent_capacity; team members only for a team's
 * session): round_robin takes the agent given a session least recently,
 * least_busy the agent with the fewest active chats (ties: the one given a
 * session least recently). Because every dispatch runs on the single
 * writer, capacity is never exceeded by auto-assignment. Customers whose
 * position changed hear queue.updated.
 *
 * Threads: worker threads (dispatch, transfer and unassign on the writer),
 * inside the caller's unit of work.
 */
#ifndef PARLEY_ROUTING_H
#define PARLEY_ROUTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/chat_service.h"

typedef struct parley_dispatch_result {
    int assigned;
    int requeued;
    /* another writer on the database is dispatching (it holds the routing
     * lock until its batch commits): this run did nothing; ask again soon */
    bool busy;
} parley_dispatch_result;

/* A new session enters routing: its team (explicit team_id, checked: 400
 * when no such team; else the oldest team listing its topic) and queue
 * time are stored. */
parley_status parley_routing_place_new(parley_chat_service *svc, parley_session *s,
                                       const char *team_id, parley_error *err);
/* Subscribes routing in unit to session.created (core/event.h): every new
 * session is placed (parley_routing_place_new, with the team the customer
 * asked for) inside the unit that creates it, and the event carries its
 * team. False when the registry is sealed or full. Called once at start by
 * whoever builds the registry (net/server.c), after the ChatBot. */
bool parley_routing_subscribe(parley_event_registry *reg);

/* One dispatch pass: re-queues the sessions whose agent stayed silent,
 * assigns waiting sessions to agents under their capacity, announces the
 * queue positions that changed. Several writers on one database
 * (PostgreSQL) take turns: the pass runs under the routing lock
 * (repository.h's xact_lock, not waited for: out->busy when another
 * writer's pass holds it), so capacity is read after the other's
 * assignments committed and never exceeded. */
parley_status parley_routing_dispatch(parley_chat_service *svc, parley_dispatch_result *out,
                                      parley_error *err);

/* Staff: {agent_id} -> assigned directly (409 when the agent already has
 * routing.agent_capacity active chats or already has it); {team_id} ->
 * back to the queue for that team. Exactly one of them (400). A system
 * message tells the conversation. */
parley_status parley_routing_transfer(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, const char *agent_id,
                                      const char *team_id, parley_session *out, parley_error *err);
/* Staff: an active session goes back to waiting at its original place
 * (409 when it is not active). */
parley_status parley_routing_unassign(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, parley_session *out,
                                      parley_error *err);

/* Staff: {"queue": [{session, position, waiting_since, team_id,
 * estimated_wait_seconds}], "next_cursor"} in queue order. */
parley_status parley_routing_list_queue(parley_chat_service *svc, const parley_participant *caller,
                                        int limit, const char *cursor, json_t **out,
                                        parley_error *err);

/* The queue's paging cursor: NULL or "" starts at the front (*after = 0);
 * otherwise the decimal queue key (1..INT64_MAX, digits only, at most 19)
 * the previous page ended with. False for anything else. Exposed for
 * fuzz/fuzz_paging_cursor.c. */
bool parley_routing_parse_queue_cursor(const char *cursor, int64_t *after);

/* {position, estimated_wait_seconds} for a queued session, or JSON null
 * when it is not in the queue (assigned, closed, with a bot). */
parley_status parley_routing_queue_info(parley_chat_service *svc, const parley_session *s,
                                        json_t **out, parley_error *err);

#endif
