/*
 * store/desk.h - the desk aggregate: agents' presence, routing state of
 * sessions, the waiting queue and teams.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->desk at its parley_desk_ops; callers write
 * repo->desk->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/desk.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_DESK_H
#define PARLEY_STORE_DESK_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_desk_ops {
    /* --- presence and routing (core/presence.h, core/routing.h) --------- */
    /* writes status and status_since */
    parley_status (*agent_set_presence)(parley_repository *repo, const char *agent_id,
                                        parley_agent_status status, parley_time_ms since,
                                        parley_error *err);
    /* the round-robin rotation: seq = 1 + the highest given so far */
    parley_status (*agent_note_assigned)(parley_repository *repo, const char *agent_id,
                                         parley_error *err);
    /* active agents (creation order) with presence and active chat count */
    parley_status (*agent_loads)(parley_repository *repo, parley_agent_load_list *out,
                                 parley_error *err);
    /* writes team_id, queued_at, assigned_at */
    parley_status (*session_set_routing)(parley_repository *repo, const parley_session *s,
                                         parley_error *err);
    /* waiting sessions with no bot attached, in queue order (ascending
     * position), position_key > after; at most limit (1..10000) */
    parley_status (*queue_list)(parley_repository *repo, int64_t after, int limit,
                                parley_queue_list *out, parley_error *err);
    /* active sessions whose agent is offline, assigned at or before
     * assigned_before, with no message from that agent since assignment */
    parley_status (*requeue_candidates)(parley_repository *repo, parley_time_ms assigned_before,
                                        parley_session_list *out, parley_error *err);
    /* a queued session's position: 1 + the queued sessions (waiting, no
     * bot) of its pool (same team, or none) ahead of it in queue order;
     * *position 0 when it is not queued (not waiting, with a bot, or no
     * such session). Counts index entries up to the session, reads no
     * session row but its own and those ahead. */
    parley_status (*queue_rank)(parley_repository *repo, const char *session_id, int64_t *position,
                                parley_error *err);
    /* mean of assigned_at - queued_at over the last `sample` assignments;
     * *known false when there are none */
    parley_status (*queue_average_wait)(parley_repository *repo, int sample, int64_t *avg_ms,
                                        bool *known, parley_error *err);
    /* --- teams (core/teams.h); a name taken (case-insensitive) ->
     * PARLEY_E_CONFLICT ---------------------------------------------------- */
    parley_status (*team_insert)(parley_repository *repo, const parley_team *t, parley_error *err);
    parley_status (*team_get)(parley_repository *repo, const char *id, parley_team *out,
                              parley_error *err);
    /* writes name, topics_json */
    parley_status (*team_update)(parley_repository *repo, const parley_team *t, parley_error *err);
    /* removes the members and the team; its sessions are left with no team */
    parley_status (*team_delete)(parley_repository *repo, const char *id, parley_error *err);
    /* newest first, cursor-paged; *next_cursor_out "" on the last page */
    parley_status (*team_list)(parley_repository *repo, int limit, const char *cursor,
                               parley_team_list *out, char *next_cursor_out,
                               size_t next_cursor_size, parley_error *err);
    /* the oldest team listing topic (case-insensitive); NOT_FOUND if none */
    parley_status (*team_find_by_topic)(parley_repository *repo, const char *topic,
                                        char team_id_out[PARLEY_ID_SIZE], parley_error *err);
    /* add: *added false when already a member; remove: NOT_FOUND when not */
    parley_status (*team_member_add)(parley_repository *repo, const char *team_id,
                                     const char *agent_id, bool *added, parley_error *err);
    parley_status (*team_member_remove)(parley_repository *repo, const char *team_id,
                                        const char *agent_id, parley_error *err);
    parley_status (*team_has_member)(parley_repository *repo, const char *team_id,
                                     const char *agent_id, bool *out, parley_error *err);
    /* the queue position last announced to the session's customer */
    parley_status (*session_set_queue_position)(parley_repository *repo, const char *session_id,
                                                int64_t position, parley_error *err);
} parley_desk_ops;

#endif
