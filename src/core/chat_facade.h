/*
 * chat_facade.h - the seed's ChatFacade: the one entry point the HTTP and
 * WebSocket layers (net/) are given. It holds the account service (who is
 * calling) and the ChatService (what they may do) of one worker thread,
 * hands them to net/ (parley_facade_chat, parley_facade_accounts), owns the
 * events and after-commit actions of the current unit of work, and itself
 * implements only what is more than one service call (audit entries,
 * revocation events). No one-line forwards: where a service does the whole
 * job, net/ calls the service.
 *
 * Threads: one facade per worker thread, created with that thread's own
 * repository handle; never used on the event-loop thread. A unit of work is
 * one request: the caller (net/loop/executor.c) wraps it in a savepoint, and on
 * success moves the emitted events out with parley_facade_take_events()
 * to deliver them to their after-commit subscribers once the batch
 * commits (their in-unit subscribers ran when they were emitted), and
 * its after-commit actions
 * (in-memory state that mirrors the database) to run then, or drops both
 * on rollback.
 *
 * Ownership: the facade borrows repo, registry and config, which must
 * outlive it. Output structs belong to the caller.
 */
#ifndef PARLEY_CHAT_FACADE_H
#define PARLEY_CHAT_FACADE_H

#include "core/account_service.h"
#include "core/chat_bot.h"
#include "core/agent_tools.h"
#include "core/chat_service.h"
#include "core/contacts.h"
#include "core/transcript.h"
#include "core/upload_service.h"
#include "core/presence.h"
#include "core/routing.h"
#include "core/teams.h"
#include "core/lifecycle.h"
#include "core/reports.h"
#include "core/retention.h"

typedef struct parley_facade {
    parley_account_service accounts;
    parley_chat_service chat;
} parley_facade;

/* limits may be NULL (no rate limits, e.g. in unit tests). */
void parley_facade_init(parley_facade *f, parley_repository *repo,
                        const parley_strategy_registry *strategies, const parley_config *config,
                        const parley_limits *limits);

/* The subscribers its units' events go through (core/event.h): sealed,
 * borrowed, outliving the facade; NULL (the default) = none in unit. */
void parley_facade_set_event_registry(parley_facade *f, const parley_event_registry *events);

/* Drops pending events and forgets the repository (the caller closes it). */
void parley_facade_destroy(parley_facade *f);

parley_repository *parley_facade_repository(parley_facade *f);
/* The client address of the request about to be served (audit log). */
void parley_facade_set_client_ip(parley_facade *f, const char *ip);
void parley_facade_take_events(parley_facade *f, parley_event_queue *dst);
/* The unit's after-commit actions (core/after_commit.h), for the executor
 * to run once the unit is committed. */
void parley_facade_take_after_commit(parley_facade *f, parley_after_commit *dst);
/* Queues an action for after the current unit commits; returns false when out of
 * memory (ctx is then freed and the unit should fail). */
bool parley_facade_after_commit(parley_facade *f, parley_after_commit_fn fn, void *ctx,
                                void (*free_ctx)(void *ctx));
/* Drops what a failed unit produced: its events and after-commit actions. */
void parley_facade_drop_events(parley_facade *f);

/* --- the services ------------------------------------------------------- */
/* net/ calls the services through these, directly: parley_chat_* (sessions,
 * messages, tickets, feedback; core/chat_service.h), parley_tools_*
 * (core/agent_tools.h), parley_routing_* / parley_presence_* / parley_team_get
 * / parley_teams_list, parley_upload_*, parley_chat_transcript,
 * parley_bot_turn_prepare, parley_lifecycle_close_idle, parley_report_run
 * (on parley_facade_repository) and parley_account_authenticate / _login /
 * _register_customer. Each service call asks the authorization policy for
 * its own action and reaches a session only through
 * parley_chat_load_session_for (docs/architecture.md, "Where checks
 * happen"). The functions below are those that do more than one service
 * call: an audit entry, a revocation event that closes WebSockets, an
 * after-commit action, or a role check for an operation that has no service
 * taking a caller (agents, bots, the audit log, settings, the knowledge
 * base). */
parley_chat_service *parley_facade_chat(parley_facade *f);
parley_account_service *parley_facade_accounts(parley_facade *f);

/* --- accounts (audited; role checked here) ------------------------------ */
/* revokes the caller's token, audits, closes its WebSockets */
parley_status parley_facade_logout(parley_facade *f, const parley_participant *caller,
                                   parley_error *err);
/* admin only */
parley_status parley_facade_create_agent(parley_facade *f, const parley_participant *caller,
                                         const parley_agent_input *in, parley_agent *out,
                                         parley_error *err);
/* staff only */
parley_status parley_facade_list_agents(parley_facade *f, const parley_participant *caller,
                                        parley_agent_list *out, parley_error *err);
/* admin only */
parley_status parley_facade_create_bot(parley_facade *f, const parley_participant *caller,
                                       const char *name, parley_bot *out,
                                       char token_out[PARLEY_TOKEN_SIZE], parley_error *err);
/* An admin sets an agent's password: the agent's tokens are deleted and its
 * sockets closed. */
parley_status parley_facade_reset_password(parley_facade *f, const parley_participant *caller,
                                           const char *agent_id, const char *password,
                                           parley_error *err);
/* A staff member changes their own password (the current one required):
 * their other tokens are deleted and those sockets closed; the caller's
 * token stays valid. */
parley_status parley_facade_change_password(parley_facade *f, const parley_participant *caller,
                                            const char *current_password, const char *new_password,
                                            parley_error *err);
/* Password reset by e-mail, confirmed with the e-mail's token
 * (parley_account_confirm_password_reset): every token of the agent is
 * deleted and their live connections closed. */
parley_status parley_facade_confirm_password_reset(parley_facade *f, const char *token,
                                                   const char *password, parley_error *err);
/* admin only; deactivation closes the agent's live connections */
parley_status parley_facade_update_agent(parley_facade *f, const parley_participant *caller,
                                         const char *agent_id, const parley_agent_changes *changes,
                                         parley_agent *out, parley_error *err);
/* admin only */
parley_status parley_facade_list_bots(parley_facade *f, const parley_participant *caller,
                                      parley_bot_list *out, parley_error *err);
parley_status parley_facade_revoke_bot(parley_facade *f, const parley_participant *caller,
                                       const char *bot_id, parley_error *err);
/* admin only: the security audit log, newest first; action and actor_id
 * (NULL = any) filter it */
parley_status parley_facade_list_audit(parley_facade *f, const parley_participant *caller,
                                       const char *action, const char *actor_id, int limit,
                                       const char *cursor, parley_audit_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
/* staff: parley_contacts_update, audited as contact.update (which fields
 * changed, never their values) */
parley_status parley_facade_update_contact(parley_facade *f, const parley_participant *caller,
                                           const char *contact_id,
                                           const parley_contact_changes *changes,
                                           parley_contact *out, parley_error *err);

/* --- sessions ------------------------------------------------------------ */
/* parley_chat_attach_bot, and a bot that lost the session loses its live
 * connections at once */
parley_status parley_facade_attach_bot(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, const char *bot_id,
                                       parley_session *out, parley_error *err);

/* --- desk settings (core/settings.h) ------------------------------------ */
/* staff: {"settings": {key: value}, "schema": {key: {type, default, ...}}} */
parley_status parley_facade_get_settings(parley_facade *f, const parley_participant *caller,
                                         json_t **out, parley_error *err);
/* admin: applies {key: value, ...} (all or nothing), audits it, emits
 * settings.updated to every agent, answers like get */
parley_status parley_facade_update_settings(parley_facade *f, const parley_participant *caller,
                                            json_t *patch, json_t **out, parley_error *err);
/* admin: gives every open (waiting or active) session the strategy policy
 * as it is now, keeping the choices its customer may still make
 * (parley_strategy_policy_reapply); audited with the count; answers
 * {"sessions_checked": N, "sessions_updated": M}. Sessions created later
 * get the policy anyway; closed ones keep the chain they ran with.
 *
 * Paged so that no unit holds the writer long: each call (one unit) takes
 * the next PARLEY_REAPPLY_PAGE open sessions after *progress (zeroed for
 * the first call) and leaves *out NULL while more remain; the caller runs
 * it again in a new unit with the same progress (net/api/api_settings.c
 * resubmits its job), and the last call audits and answers with the sums.
 * Each page reads the policy as it is then. A session that leaves the
 * waiting state for active between pages may be counted (never changed)
 * twice; each page commits on its own, so a failed page leaves the
 * earlier ones applied (re-applying again is harmless). */
#define PARLEY_REAPPLY_PAGE 200
typedef struct parley_reapply_progress {
    int pass;                        /* the open state being listed: 0 waiting, 1 active, 2 done */
    char cursor[PARLEY_ID_SIZE * 2]; /* its list cursor ("" first page) */
    long long checked, updated;
} parley_reapply_progress;
parley_status parley_facade_reapply_strategy_policy(parley_facade *f,
                                                    const parley_participant *caller,
                                                    parley_reapply_progress *progress, json_t **out,
                                                    parley_error *err);

/* --- the ChatBot's knowledge base (core/knowledge_base.h) ---------------- */
/* admin: create/update/delete, audited; the matcher's index is rebuilt
 * after the unit commits */
parley_status parley_facade_kb_create(parley_facade *f, const parley_participant *caller,
                                      const json_t *body, parley_kb_entry *out, parley_error *err);
parley_status parley_facade_kb_update(parley_facade *f, const parley_participant *caller,
                                      const char *id, const json_t *patch, parley_kb_entry *out,
                                      parley_error *err);
parley_status parley_facade_kb_delete(parley_facade *f, const parley_participant *caller,
                                      const char *id, parley_error *err);
/* staff */
parley_status parley_facade_kb_get(parley_facade *f, const parley_participant *caller,
                                   const char *id, parley_kb_entry *out, parley_error *err);
parley_status parley_facade_kb_list(parley_facade *f, const parley_participant *caller, int limit,
                                    const char *cursor, parley_kb_list *out, char *next_cursor,
                                    size_t next_cursor_size, parley_error *err);
/* staff; pool threads only (committed state): a JSON array of {entry, score} */
parley_status parley_facade_kb_search(parley_facade *f, const parley_participant *caller,
                                      const char *q, int limit, json_t **out, parley_error *err);

/* --- the ChatBot's turns (core/chat_bot.h; run by net/desk/bot_jobs.c) ----------- */
/* parley_bot_turn_apply; a handoff also closes the bot's live connections,
 * as detaching it by POST /sessions/{id}/bot does */
parley_status parley_facade_bot_apply(parley_facade *f, parley_bot_turn *turn, parley_error *err);

/* --- teams (core/teams.h): the admin changes, audited --------------------- */
parley_status parley_facade_create_team(parley_facade *f, const parley_participant *caller,
                                        const char *name, const json_t *topics, parley_team *out,
                                        parley_error *err);
parley_status parley_facade_update_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, const char *name, const json_t *topics,
                                        parley_team *out, parley_error *err);
parley_status parley_facade_delete_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, parley_error *err);
parley_status parley_facade_add_team_member(parley_facade *f, const parley_participant *caller,
                                            const char *team_id, const char *agent_id, bool *added,
                                            parley_team *out, parley_error *err);
parley_status parley_facade_remove_team_member(parley_facade *f, const parley_participant *caller,
                                               const char *team_id, const char *agent_id,
                                               parley_team *out, parley_error *err);

/* the periodic retention job (writer thread): one purge pass in the
 * current unit; files go after its commit (core/retention.h) */
parley_status parley_facade_run_retention(parley_facade *f, const parley_retention_policy *policy,
                                          parley_time_ms now, parley_retention_remove_fn remove,
                                          void *remove_ctx, parley_retention_counts *counts,
                                          parley_error *err);

#endif
