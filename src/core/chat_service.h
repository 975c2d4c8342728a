/*
 * chat_service.h - the seed's ChatService: the business rules of chat
 * sessions, messages, tickets and feedback.
 *
 * Rules live here and nowhere else: the session state machine
 * (waiting -> active -> closed), who may see and write what (asked of the
 * participant's ops), per-session gapless seq, idempotent client_msg_id,
 * the strategy chain, ticket transitions, one rating per session. Each call
 * is one unit of work inside the caller's transaction; the events it emits
 * (parley_chat_emit) go through their in-unit subscribers, are appended to
 * svc->events and must be delivered after commit only (core/event.h). The
 * service knows no subscriber: the ChatBot and routing attach through the
 * registry.
 *
 * Threads: a service value belongs to one worker thread (its repository
 * handle is that thread's connection). Never called on the event loop.
 */
#ifndef PARLEY_CHAT_SERVICE_H
#define PARLEY_CHAT_SERVICE_H

#include "core/after_commit.h"
#include "core/authorization.h"
#include "core/config.h"
#include "core/event.h"
#include "core/limits.h"
#include "core/participant.h"
#include "core/repository.h"
#include "core/strategy.h"

typedef struct parley_chat_service {
    parley_repository *repo;
    const parley_strategy_registry *strategies;
    const parley_config *config;
    parley_event_queue events; /* emitted by the current unit of work */
    /* who hears of them (core/event.h); borrowed, read-only; NULL = nobody
     * in unit (the facade's owner sets it) */
    const parley_event_registry *subscribers;
    parley_after_commit after_commit; /* in-memory changes once the unit commits */
    const parley_limits *limits;      /* may be NULL: no limits */
    /* the queue's mean wait kept in memory (core/queue_wait.h), shared by
     * every worker; borrowed; NULL = asked of the database each time */
    struct parley_queue_wait *queue_wait;
} parley_chat_service;

typedef struct parley_message_input {
    const char *content;
    const char *type; /* NULL = "text" */
    const char *client_msg_id;
    /* an upload of the sender's own (upl_...) the message carries; content
     * may then be omitted (it becomes the file's name) */
    const char *attachment_id;
} parley_message_input;

/* Loads a session for an action, asking the authorization policy twice:
 * may this role act at all (403), and is this session in its scope (404,
 * so other people's sessions are not revealed to exist). The one way every
 * service reaches a session on a caller's behalf. */
parley_status parley_chat_load_session_for(parley_chat_service *svc,
                                           const parley_participant *caller, parley_action action,
                                           const char *session_id, parley_session *out,
                                           parley_error *err);

parley_status parley_chat_initiate(parley_chat_service *svc, const parley_participant *caller,
                                   const char *topic, const char *strategies_json,
                                   parley_session *out, parley_error *err);
/* The same with a team the customer chose (NULL/"" = by topic; 400 when
 * no such team). */
parley_status parley_chat_initiate_in_team(parley_chat_service *svc,
                                           const parley_participant *caller, const char *topic,
                                           const char *strategies_json, const char *team_id,
                                           parley_session *out, parley_error *err);
parley_status parley_chat_get_session(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, parley_session *out,
                                      parley_error *err);
parley_status parley_chat_list_sessions(parley_chat_service *svc, const parley_participant *caller,
                                        parley_session_filter *filter, parley_session_list *out,
                                        char *next_cursor, size_t next_cursor_size,
                                        parley_error *err);
parley_status parley_chat_assign(parley_chat_service *svc, const parley_participant *caller,
                                 const char *session_id, const char *agent_id, parley_session *out,
                                 parley_error *err);
/* Attaches a bot to the session (bot_id NULL or "" detaches); the bot then
 * reads and writes that session only. */
parley_status parley_chat_attach_bot(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, const char *bot_id,
                                     parley_session *out, parley_error *err);
parley_status parley_chat_close(parley_chat_service *svc, const parley_participant *caller,
                                const char *session_id, parley_session *out, parley_error *err);

/* Stores a message from caller (customer_send_message / agent_send_message):
 * prepare and store below, one after the other on this thread.
 * *duplicate is set when client_msg_id named an already stored message,
 * which is then returned unchanged. */
parley_status parley_chat_send(parley_chat_service *svc, const parley_participant *caller,
                               const char *session_id, const parley_message_input *in,
                               parley_message *out, bool *duplicate, parley_error *err);

/* A message after the strategy chain, before storage. The chain can take
 * milliseconds (translation waits for apertium), so the server runs
 * parley_chat_prepare_send on a pool thread, reading committed state, and
 * only parley_chat_store_prepared on the writer thread, where every
 * millisecond delays every other session's commit. The draft owns its
 * strings; free it with parley_message_draft_free. */
typedef struct parley_message_draft {
    parley_message message; /* id, sender, processed content, meta, original */
    bool duplicate;         /* client_msg_id was stored already: message is that one */
    bool has_chain;         /* the session has strategies (fixed at its creation) */
    /* prepared inside the unit that stores it (the writer's, or one thread
     * doing both): the session read and checks need not be repeated */
    bool same_unit;
    parley_session session; /* as read by the prepare step */
    bool refused;           /* a strategy refused the content: kept for review */
    parley_error refusal;   /* why (422 spam_detected, profanity...) */
    char *refused_content;  /* the text as sent, for the review queue */
    char *refused_meta_json;
    /* the upload the message carries, claimed when it is stored ("" none) */
    char attachment_id[PARLEY_ID_SIZE];
} parley_message_draft;

/* Validates, checks the caller may write to the session, finds an earlier
 * send of the same client_msg_id, spends the sender's message allowance and
 * runs the chain. Stores nothing. */
parley_status parley_chat_prepare_send(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, const parley_message_input *in,
                                       parley_message_draft *draft, parley_error *err);
/* Re-checks what may have changed since (session closed, access lost, a
 * concurrent retry stored the same client_msg_id), then stores the message
 * with the next seq and emits its events, or keeps a refused one for review
 * (the error then has keep_writes). Moves the stored message into *out. */
parley_status parley_chat_store_prepared(parley_chat_service *svc, const parley_participant *caller,
                                         parley_message_draft *draft, parley_message *out,
                                         bool *duplicate, parley_error *err);
void parley_message_draft_free(parley_message_draft *draft);
/* The desk itself speaks in a session (auto-close notice, transfer, queue
 * position...): a message from sender {type: "system"} with the next seq,
 * delivered like any other. No permission check: callers are services
 * acting on their own rules. A closed session takes none (409: its
 * last_seq is final once closed). out may be NULL. */
parley_status parley_chat_post_system_message(parley_chat_service *svc, const char *session_id,
                                              const char *text, const char *meta_json,
                                              parley_message *out, parley_error *err);
/* The same from another sender the desk speaks as (the ChatBot:
 * PARLEY_PARTICIPANT_BOT and its id); sender_id NULL for the system. */
parley_status parley_chat_post_as(parley_chat_service *svc, const char *session_id,
                                  parley_participant_kind sender_kind, const char *sender_id,
                                  const char *text, const char *meta_json, parley_message *out,
                                  parley_error *err);
/* One message by id, with the session's read rule. */
parley_status parley_chat_get_message(parley_chat_service *svc, const parley_participant *caller,
                                      const char *message_id, parley_message *out,
                                      parley_error *err);
parley_status parley_chat_list_flagged(parley_chat_service *svc, const parley_participant *caller,
                                       int limit, const char *cursor, parley_flagged_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
/* An agent labels a message (delivered, or refused and kept for review) as
 * spam or not; the spam filter learns from it. A refused message keeps its
 * label: the same label twice teaches once, a changed one is relearnt. */
parley_status parley_chat_label_message(parley_chat_service *svc, const parley_participant *caller,
                                        const char *message_id, bool is_spam, bool *learnt,
                                        parley_error *err);
parley_status parley_chat_history(parley_chat_service *svc, const parley_participant *caller,
                                  const char *session_id, const parley_message_range *range,
                                  parley_message_list *out, parley_error *err);

parley_status parley_chat_create_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *session_id, const char *issue_description,
                                        parley_ticket *out, parley_error *err);
parley_status parley_chat_get_ticket(parley_chat_service *svc, const parley_participant *caller,
                                     const char *ticket_id, parley_ticket *out, parley_error *err);
parley_status parley_chat_list_tickets(parley_chat_service *svc, const parley_participant *caller,
                                       parley_ticket_filter *filter, parley_ticket_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);
parley_status parley_chat_update_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *ticket_id, const char *status,
                                        parley_ticket *out, parley_error *err);

parley_status parley_chat_submit_feedback(parley_chat_service *svc,
                                          const parley_participant *caller, const char *session_id,
                                          int64_t rating, const char *comment, parley_feedback *out,
                                          parley_error *err);
parley_status parley_chat_get_feedback(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, parley_feedback *out,
                                       parley_error *err);

/* Emits an event of this unit (core/event.h): its in-unit subscribers run
 * now, inside this unit; it is queued on svc->events for after commit.
 * Takes ownership of event (NULL = out of memory). */
parley_status parley_chat_emit(parley_chat_service *svc, parley_event *event, parley_error *err);
/* Routing changed a session's status, agent or team:
 * stores all of it (routing fields included), stamps updated_at and emits
 * session.updated, its actor_id the person who made the change (NULL: the
 * dispatcher or a timer). s stays the caller's. */
parley_status parley_chat_store_routed_session(parley_chat_service *svc, parley_session *s,
                                               const char *actor_id, parley_error *err);
/* session.updated (or .created) with a copy of s to audience. The hub
 * renders the staff part of the audience the full session, the customer a
 * copy without labels (the team's own triage); a session without labels
 * is one frame for everyone, without `labels`. */
parley_status parley_chat_emit_session_event(parley_chat_service *svc, parley_event_type type,
                                             const parley_session *s, unsigned audience,
                                             parley_error *err);
/* --- the support desk (issue 5) ------------------------------------------ */

/* A ticket to open on a session. issue_description NULL is allowed only
 * with describe_from_session: the session's topic and last messages then
 * describe it. agent_id NULL = the creating agent. */
typedef struct parley_ticket_input {
    const char *session_id;
    const char *issue_description;
    bool describe_from_session;
    const char *subject;  /* NULL = none */
    const char *priority; /* NULL = "normal" */
    const char *agent_id;
} parley_ticket_input;

parley_status parley_chat_open_ticket(parley_chat_service *svc, const parley_participant *caller,
                                      const parley_ticket_input *in, parley_ticket *out,
                                      parley_error *err);

/* PATCH: NULL fields stay; set_agent with agent_id NULL unassigns. Nothing
 * changed -> 200 with the ticket and no event. */
typedef struct parley_ticket_changes {
    const char *status;
    const char *priority;
    bool set_agent;
    const char *agent_id;
    const char *subject;
    const char *issue_description;
} parley_ticket_changes;

parley_status parley_chat_change_ticket(parley_chat_service *svc, const parley_participant *caller,
                                        const char *ticket_id, const parley_ticket_changes *in,
                                        parley_ticket *out, parley_error *err);
/* Internal notes: staff only; ticket.note_created goes to agents only. */
parley_status parley_chat_add_ticket_note(parley_chat_service *svc,
                                          const parley_participant *caller, const char *ticket_id,
                                          const char *body, parley_ticket_note *out,
                                          parley_error *err);
parley_status parley_chat_list_ticket_notes(parley_chat_service *svc,
                                            const parley_participant *caller, const char *ticket_id,
                                            int limit, const char *cursor,
                                            parley_ticket_note_list *out, char *next_cursor,
                                            size_t next_cursor_size, parley_error *err);
parley_status parley_chat_list_feedback(parley_chat_service *svc, const parley_participant *caller,
                                        const parley_feedback_filter *filter,
                                        parley_feedback_list *out, char *next_cursor,
                                        size_t next_cursor_size, parley_error *err);
/* The desk closes a session on its own rules (auto-close): no permission
 * check; notice (may be NULL) is posted as a system message first. Like
 * every close it asks the customer for feedback. */
parley_status parley_chat_close_by_desk(parley_chat_service *svc, const char *session_id,
                                        const char *notice, parley_session *out, parley_error *err);

/* Is the ticket status change allowed? (open->in_progress, open->resolved,
 * in_progress->resolved, in_progress->open, resolved->open) */
bool parley_ticket_transition_allowed(parley_ticket_status from, parley_ticket_status to);

#endif
