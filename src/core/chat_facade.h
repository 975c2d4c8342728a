/*
 * chat_facade.h - the seed's ChatFacade: the one API the HTTP and WebSocket
 * layers call. It wraps the account service (who is calling), the
 * ChatService (what they may do) and the participant factory, and owns the
 * event queue of the current unit of work.
 *
 * Threads: one facade per worker thread, created with that thread's own
 * repository handle; never used on the event-loop thread. A unit of work is
 * one request: the caller (net/executor.c) wraps it in a savepoint, and on
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
#include "core/transcript.h"
#include "core/upload_service.h"
#include "core/presence.h"
#include "core/routing.h"
#include "core/teams.h"
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

/* --- who is calling ---------------------------------------------------- */
parley_status parley_facade_authenticate(parley_facade *f, const char *bearer_token,
                                         parley_participant **caller, parley_error *err);
parley_status parley_facade_login(parley_facade *f, const char *email, const char *password,
                                  char token_out[PARLEY_TOKEN_SIZE], parley_agent *agent_out,
                                  parley_error *err);
parley_status parley_facade_logout(parley_facade *f, const parley_participant *caller,
                                   parley_error *err);

/* --- accounts ------------------------------------------------------------ */
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
/* admin only; deactivation closes the agent's live connections */
parley_status parley_facade_update_agent(parley_facade *f, const parley_participant *caller,
                                         const char *agent_id, const parley_agent_changes *changes,
                                         parley_agent *out, parley_error *err);
/* admin only */
parley_status parley_facade_list_bots(parley_facade *f, const parley_participant *caller,
                                      parley_bot_list *out, parley_error *err);
parley_status parley_facade_revoke_bot(parley_facade *f, const parley_participant *caller,
                                       const char *bot_id, parley_error *err);
/* admin only: the security audit log, newest first */
parley_status parley_facade_list_audit(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, parley_audit_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
/* public */
parley_status parley_facade_register_customer(parley_facade *f, const parley_customer_input *in,
                                              parley_customer *out, bool *existing,
                                              char token_out[PARLEY_TOKEN_SIZE], parley_error *err);

/* --- the seed's chat flow ------------------------------------------------ */
/* initiate_chat: strategies_json NULL = the configured default chain */
parley_status parley_facade_initiate_chat(parley_facade *f, const parley_participant *caller,
                                          const char *topic, const char *strategies_json,
                                          parley_session *out, parley_error *err);
parley_status parley_facade_get_session(parley_facade *f, const parley_participant *caller,
                                        const char *session_id, parley_session *out,
                                        parley_error *err);
parley_status parley_facade_list_sessions(parley_facade *f, const parley_participant *caller,
                                          parley_session_filter *filter, parley_session_list *out,
                                          char *next_cursor, size_t next_cursor_size,
                                          parley_error *err);
parley_status parley_facade_assign_agent(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, const char *agent_id,
                                         parley_session *out, parley_error *err);
parley_status parley_facade_attach_bot(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, const char *bot_id,
                                       parley_session *out, parley_error *err);
parley_status parley_facade_close_session(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, parley_session *out,
                                          parley_error *err);
/* customer_send_message and agent_send_message: the sender is the caller,
 * whose participant kind decides the rules that apply. */
parley_status parley_facade_send_message(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, const parley_message_input *in,
                                         parley_message *out, bool *duplicate, parley_error *err);
/* The same in two steps (see parley_chat_prepare_send): the strategy chain
 * on any worker, then the store on the writer. */
parley_status parley_facade_prepare_message(parley_facade *f, const parley_participant *caller,
                                            const char *session_id, const parley_message_input *in,
                                            parley_message_draft *draft, parley_error *err);
parley_status parley_facade_store_message(parley_facade *f, const parley_participant *caller,
                                          parley_message_draft *draft, parley_message *out,
                                          bool *duplicate, parley_error *err);
parley_status parley_facade_get_message(parley_facade *f, const parley_participant *caller,
                                        const char *message_id, parley_message *out,
                                        parley_error *err);
/* --- desk settings (core/settings.h) ------------------------------------ */
/* staff: {"settings": {key: value}, "schema": {key: {type, default, ...}}} */
parley_status parley_facade_get_settings(parley_facade *f, const parley_participant *caller,
                                         json_t **out, parley_error *err);
/* admin: applies {key: value, ...} (all or nothing), audits it, emits
 * settings.updated to every agent, answers like get */
parley_status parley_facade_update_settings(parley_facade *f, const parley_participant *caller,
                                            json_t *patch, json_t **out, parley_error *err);

/* admin only: refused messages kept for review, newest first */
parley_status parley_facade_list_flagged(parley_facade *f, const parley_participant *caller,
                                         int limit, const char *cursor, parley_flagged_list *out,
                                         char *next_cursor, size_t next_cursor_size,
                                         parley_error *err);
parley_status parley_facade_label_message(parley_facade *f, const parley_participant *caller,
                                          const char *message_id, bool is_spam, bool *learnt,
                                          parley_error *err);
parley_status parley_facade_get_chat_history(parley_facade *f, const parley_participant *caller,
                                             const char *session_id,
                                             const parley_message_range *range,
                                             parley_message_list *out, parley_error *err);

/* --- tickets and feedback ---------------------------------------------- */
parley_status parley_facade_create_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, const char *issue_description,
                                          parley_ticket *out, parley_error *err);
parley_status parley_facade_get_ticket(parley_facade *f, const parley_participant *caller,
                                       const char *ticket_id, parley_ticket *out,
                                       parley_error *err);
parley_status parley_facade_list_tickets(parley_facade *f, const parley_participant *caller,
                                         parley_ticket_filter *filter, parley_ticket_list *out,
                                         char *next_cursor, size_t next_cursor_size,
                                         parley_error *err);
/* resolve_ticket and every other transition */
parley_status parley_facade_update_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *ticket_id, const char *status,
                                          parley_ticket *out, parley_error *err);
parley_status parley_facade_submit_feedback(parley_facade *f, const parley_participant *caller,
                                            const char *session_id, int64_t rating,
                                            const char *comment, parley_feedback *out,
                                            parley_error *err);
parley_status parley_facade_get_feedback(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, parley_feedback *out,
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

/* --- the ChatBot's turns (core/chat_bot.h; run by net/bot_jobs.c) ----------- */
parley_status parley_facade_bot_prepare(parley_facade *f, parley_bot_turn *turn, parley_error *err);
/* a handoff also closes the bot's live connections, as detaching it by
 * POST /sessions/{id}/bot does */
parley_status parley_facade_bot_apply(parley_facade *f, parley_bot_turn *turn, parley_error *err);
/* --- uploads and transcripts (core/upload_service.h, core/transcript.h) -- */
/* may the caller upload now (role, allowance)? */
parley_status parley_facade_admit_upload(parley_facade *f, const parley_participant *caller,
                                         parley_error *err);
/* records a file the net layer has stored (upload.create) */
parley_status parley_facade_record_upload(parley_facade *f, const parley_participant *caller,
                                          const parley_upload_input *in, parley_upload *out,
                                          parley_error *err);
/* one upload, if the caller may read it (404 otherwise) */
parley_status parley_facade_get_upload(parley_facade *f, const parley_participant *caller,
                                       const char *upload_id, parley_upload *out,
                                       parley_error *err);
/* a session's conversation as a document (transcript.read) */
parley_status parley_facade_transcript(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, parley_transcript_format format,
                                       char **out, size_t *out_len, parley_session *session_out,
                                       parley_error *err);
/* --- presence, routing, teams (core/presence.h, routing.h, teams.h) ------ */
/* staff: sets the caller's own presence; *changed false when unchanged */
parley_status parley_facade_set_presence(parley_facade *f, const parley_participant *caller,
                                         const char *status, parley_agent *out, bool *changed,
                                         parley_error *err);
/* the net layer: the agent's connections stayed closed for the grace period */
parley_status parley_facade_presence_disconnected(parley_facade *f, const char *agent_id,
                                                  parley_error *err);
int64_t parley_facade_presence_grace_ms(parley_facade *f);
/* the dispatcher's unit of work (writer thread) */
parley_status parley_facade_dispatch(parley_facade *f, parley_dispatch_result *out,
                                     parley_error *err);
/* POST /sessions with an optional team_id */
parley_status parley_facade_initiate_chat_in_team(parley_facade *f,
                                                  const parley_participant *caller,
                                                  const char *topic, const char *strategies_json,
                                                  const char *team_id, parley_session *out,
                                                  parley_error *err);
/* {position, estimated_wait_seconds} or JSON null (core/routing.h) */
parley_status parley_facade_queue_info(parley_facade *f, const parley_session *s, json_t **out,
                                       parley_error *err);
parley_status parley_facade_list_queue(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, json_t **out,
                                       parley_error *err);
parley_status parley_facade_transfer_session(parley_facade *f, const parley_participant *caller,
                                             const char *session_id, const char *agent_id,
                                             const char *team_id, parley_session *out,
                                             parley_error *err);
parley_status parley_facade_unassign_session(parley_facade *f, const parley_participant *caller,
                                             const char *session_id, parley_session *out,
                                             parley_error *err);
/* teams; admin changes are audited */
parley_status parley_facade_create_team(parley_facade *f, const parley_participant *caller,
                                        const char *name, const json_t *topics, parley_team *out,
                                        parley_error *err);
parley_status parley_facade_update_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, const char *name, const json_t *topics,
                                        parley_team *out, parley_error *err);
parley_status parley_facade_delete_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, parley_error *err);
parley_status parley_facade_get_team(parley_facade *f, const parley_participant *caller,
                                     const char *team_id, parley_team *out, parley_error *err);
parley_status parley_facade_list_teams(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, parley_team_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
parley_status parley_facade_add_team_member(parley_facade *f, const parley_participant *caller,
                                            const char *team_id, const char *agent_id, bool *added,
                                            parley_team *out, parley_error *err);
parley_status parley_facade_remove_team_member(parley_facade *f, const parley_participant *caller,
                                               const char *team_id, const char *agent_id,
                                               parley_team *out, parley_error *err);
/* --- the agent tools (core/agent_tools.h) -------------------------------- */
parley_status parley_facade_canned_create(parley_facade *f, const parley_participant *caller,
                                          const parley_canned_input *in, json_t **out,
                                          parley_error *err);
parley_status parley_facade_canned_get(parley_facade *f, const parley_participant *caller,
                                       const char *id, json_t **out, parley_error *err);
parley_status parley_facade_canned_update(parley_facade *f, const parley_participant *caller,
                                          const char *id, const parley_canned_input *patch,
                                          json_t **out, parley_error *err);
parley_status parley_facade_canned_delete(parley_facade *f, const parley_participant *caller,
                                          const char *id, parley_error *err);
parley_status parley_facade_canned_list(parley_facade *f, const parley_participant *caller,
                                        const char *prefix, int limit, const char *cursor,
                                        json_t **items, char *next_cursor, size_t next_cursor_size,
                                        parley_error *err);
parley_status parley_facade_note_create(parley_facade *f, const parley_participant *caller,
                                        const char *session_id, const char *content, json_t **out,
                                        parley_error *err);
parley_status parley_facade_note_list(parley_facade *f, const parley_participant *caller,
                                      const char *session_id, int limit, const char *cursor,
                                      json_t **items, char *next_cursor, size_t next_cursor_size,
                                      parley_error *err);
parley_status parley_facade_mark_read(parley_facade *f, const parley_participant *caller,
                                      const char *session_id, int64_t seq, json_t **out,
                                      parley_error *err);
parley_status parley_facade_read_state(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, json_t **out, parley_error *err);
parley_status parley_facade_unread_counts(parley_facade *f, const parley_participant *caller,
                                          const parley_session *sessions, size_t n, int64_t *out,
                                          parley_error *err);
parley_status parley_facade_label_create(parley_facade *f, const parley_participant *caller,
                                         const char *name, const char *color, json_t **out,
                                         parley_error *err);
parley_status parley_facade_label_list(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, json_t **items,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
parley_status parley_facade_label_delete(parley_facade *f, const parley_participant *caller,
                                         const char *name, parley_error *err);
parley_status parley_facade_session_label(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, const char *label, bool add,
                                          parley_session *out, parley_error *err);
parley_status parley_facade_search(parley_facade *f, const parley_participant *caller,
                                   const char *q, const char *session_id, int limit,
                                   const char *cursor, json_t **items, char *next_cursor,
                                   size_t next_cursor_size, parley_error *err);
/* --- the support desk: tickets, feedback, reports, lifecycle (issue 5) --- */
parley_status parley_facade_open_ticket(parley_facade *f, const parley_participant *caller,
                                        const parley_ticket_input *in, parley_ticket *out,
                                        parley_error *err);
parley_status parley_facade_change_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *ticket_id, const parley_ticket_changes *in,
                                          parley_ticket *out, parley_error *err);
parley_status parley_facade_add_ticket_note(parley_facade *f, const parley_participant *caller,
                                            const char *ticket_id, const char *body,
                                            parley_ticket_note *out, parley_error *err);
parley_status parley_facade_list_ticket_notes(parley_facade *f, const parley_participant *caller,
                                              const char *ticket_id, int limit, const char *cursor,
                                              parley_ticket_note_list *out, char *next_cursor,
                                              size_t next_cursor_size, parley_error *err);
parley_status parley_facade_list_feedback(parley_facade *f, const parley_participant *caller,
                                          const parley_feedback_filter *filter,
                                          parley_feedback_list *out, char *next_cursor,
                                          size_t next_cursor_size, parley_error *err);
/* admin only; *out is the report's JSON (core/reports.h) */
parley_status parley_facade_report(parley_facade *f, const parley_participant *caller,
                                   parley_report_kind kind, const parley_report_range *range,
                                   json_t **out, parley_error *err);
/* the server's timer: closes idle sessions (core/lifecycle.h) */
parley_status parley_facade_close_idle_sessions(parley_facade *f, parley_time_ms now,
                                                size_t *closed, parley_error *err);

/* the periodic search-index job (writer thread): indexes what was stored
 * since its last run (core/agent_tools.h) */
parley_status parley_facade_index_messages(parley_facade *f, int64_t *indexed, parley_error *err);

/* the periodic retention job (writer thread): one purge pass in the
 * current unit; files go after its commit (core/retention.h) */
parley_status parley_facade_run_retention(parley_facade *f, const parley_retention_policy *policy,
                                          parley_time_ms now, parley_retention_remove_fn remove,
                                          void *remove_ctx, parley_retention_counts *counts,
                                          parley_error *err);

#endif
