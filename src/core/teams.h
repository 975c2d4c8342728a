/*
 * teams.h - teams (departments): a named group of agents and the session
 * topics it takes. A session whose topic a team lists, or whose customer
 * chose the team at creation, is routed to that team's members only
 * (core/routing.h); a session with no team goes to any agent.
 *
 * Rules: names are 1..100 characters and unique ignoring case (409);
 * topics are 0..50 strings of 1..100 characters, matched against a
 * session's topic ignoring case; when several teams list a topic the oldest
 * team gets it. Deleting a team removes its memberships and leaves its
 * sessions with no team. Only admins change teams; staff and customers list
 * them (customers see no member list).
 *
 * Threads: worker threads, inside the caller's unit of work.
 * Ownership: outputs belong to the caller.
 */
#ifndef PARLEY_TEAMS_H
#define PARLEY_TEAMS_H

#include <jansson.h>

#include "core/chat_service.h"

/* name and topics may be NULL on update (unchanged); topics is a JSON
 * array (borrowed). */
parley_status parley_team_create(parley_chat_service *svc, const parley_participant *caller,
                                 const char *name, const json_t *topics, parley_team *out,
                                 parley_error *err);
parley_status parley_team_update(parley_chat_service *svc, const parley_participant *caller,
                                 const char *team_id, const char *name, const json_t *topics,
                                 parley_team *out, parley_error *err);
parley_status parley_team_delete(parley_chat_service *svc, const parley_participant *caller,
                                 const char *team_id, parley_error *err);
parley_status parley_team_get(parley_chat_service *svc, const parley_participant *caller,
                              const char *team_id, parley_team *out, parley_error *err);
parley_status parley_teams_list(parley_chat_service *svc, const parley_participant *caller,
                                int limit, const char *cursor, parley_team_list *out,
                                char *next_cursor, size_t next_cursor_size, parley_error *err);
/* add: 201 when added, *added false when already a member (200);
 * remove: 404 when not a member. The agent must exist (404). */
parley_status parley_team_add_member(parley_chat_service *svc, const parley_participant *caller,
                                     const char *team_id, const char *agent_id, bool *added,
                                     parley_team *out, parley_error *err);
parley_status parley_team_remove_member(parley_chat_service *svc, const parley_participant *caller,
                                        const char *team_id, const char *agent_id, parley_team *out,
                                        parley_error *err);

#endif
