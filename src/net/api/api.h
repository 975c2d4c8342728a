/*
 * api.h - the REST handlers: each turns one HTTP request into one facade
 * call and its JSON answer, on a worker thread.
 *
 * Ownership: a call owns its request, its caller and its response until the
 * router's completion sends the response and frees the call.
 * Threads: handlers run on worker threads inside their job; they must not
 * touch the connection, only the call.
 */
#ifndef PARLEY_API_H
#define PARLEY_API_H

#include <jansson.h>

#include "core/authorization.h"
#include "net/http/json_request.h"
#include "net/loop/conn.h"
#include "net/loop/executor.h"

typedef struct parley_api_call parley_api_call;
typedef void (*parley_api_handler)(parley_api_call *call, parley_facade *facade);

/* a decoded path segment: an id, or an allowlisted word (at most 100 bytes) */
#define PARLEY_ROUTE_PARAM_SIZE 256

struct parley_api_call {
    parley_job job; /* first: the executor hands it back */
    parley_conn *conn;
    parley_http_request *req;
    parley_api_handler handler;
    parley_api_handler prepare; /* NULL, or the pool-thread step before handler */
    bool needs_auth;
    parley_action action; /* the role check made before the handler runs */
    char params[2][PARLEY_ROUTE_PARAM_SIZE];
    parley_participant *caller;
    parley_http_response res;
    /* what a route's prepare step hands to its handler on the writer;
     * prepared_free runs on the loop thread once the answer is sent */
    void *prepared;
    void (*prepared_free)(void *prepared);
    /* set by a handler that did one unit's share of a long job (status
     * OK, no answer yet): once that unit commits the router submits the
     * call again, keeping prepared, for the next share */
    bool again;
};

/* Sets the response (stealing body) and job status OK. */
void parley_api_reply_json(parley_api_call *call, int status, json_t *body);
/* Sets an error response and the job status (a failed unit rolls back). */
void parley_api_reply_error(parley_api_call *call, const parley_error *err);
/* Answers 400 validation_failed with the formatted message; returns false,
 * for the checks of a request's query and body that fail. */
bool parley_api_invalid(parley_api_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Answers the outcome of a service call: err when st failed (body, which
 * may be NULL, is released), else status with body (stolen). */
void parley_api_reply(parley_api_call *call, parley_status st, int status, json_t *body,
                      const parley_error *err);
/* 204 No Content when st is OK, else err. */
void parley_api_reply_empty(parley_api_call *call, parley_status st, const parley_error *err);
/* 200 with a body that is not JSON (a file, a CSV): takes body, a heap
 * buffer of len bytes; content_type NULL when extra headers carry it. */
void parley_api_reply_bytes(parley_api_call *call, char *body, size_t len,
                            const char *content_type);

/* The request body as a JSON object read by a field table
 * (net/http/json_request.h: parley_json_decode; change: every field
 * optional); *root owns the strings and the caller releases it. */
parley_status parley_api_body(parley_api_call *call, json_t **root, const parley_json_field *fields,
                              size_t count, bool change, void *out, parley_error *err);
/* The body's one required string field name into *out. */
parley_status parley_api_body_text(parley_api_call *call, json_t **root, const char *name,
                                   const char **out, parley_error *err);

/* Handlers (api_accounts.c, api_sessions.c, api_tickets.c, api_pages.c). */
void parley_api_login(parley_api_call *call, parley_facade *f);
void parley_api_logout(parley_api_call *call, parley_facade *f);
void parley_api_me(parley_api_call *call, parley_facade *f);
void parley_api_create_agent(parley_api_call *call, parley_facade *f);
void parley_api_list_agents(parley_api_call *call, parley_facade *f);
void parley_api_update_agent(parley_api_call *call, parley_facade *f);
void parley_api_reset_password(parley_api_call *call, parley_facade *f);
void parley_api_change_password(parley_api_call *call, parley_facade *f);
void parley_api_create_bot(parley_api_call *call, parley_facade *f);
void parley_api_list_bots(parley_api_call *call, parley_facade *f);
void parley_api_list_audit(parley_api_call *call, parley_facade *f);
void parley_api_revoke_bot(parley_api_call *call, parley_facade *f);
void parley_api_create_customer(parley_api_call *call, parley_facade *f);

void parley_api_create_session(parley_api_call *call, parley_facade *f);
void parley_api_list_sessions(parley_api_call *call, parley_facade *f);
void parley_api_get_session(parley_api_call *call, parley_facade *f);
void parley_api_assign_session(parley_api_call *call, parley_facade *f);
void parley_api_close_session(parley_api_call *call, parley_facade *f);
void parley_api_attach_bot(parley_api_call *call, parley_facade *f);
/* Sending runs the send pipeline (net/api/send_pipeline.h): the strategy
 * chain on a pool thread (prepare), then the store on the writer. */
void parley_api_prepare_message(parley_api_call *call, parley_facade *f);
void parley_api_send_message(parley_api_call *call, parley_facade *f);
void parley_api_list_messages(parley_api_call *call, parley_facade *f);
void parley_api_get_message(parley_api_call *call, parley_facade *f);
void parley_api_list_flagged(parley_api_call *call, parley_facade *f);
void parley_api_label_message(parley_api_call *call, parley_facade *f);
void parley_api_list_allowlist(parley_api_call *call, parley_facade *f);
void parley_api_add_allowlist(parley_api_call *call, parley_facade *f);
void parley_api_remove_allowlist(parley_api_call *call, parley_facade *f);
void parley_api_submit_feedback(parley_api_call *call, parley_facade *f);
void parley_api_get_feedback(parley_api_call *call, parley_facade *f);

void parley_api_create_ticket(parley_api_call *call, parley_facade *f);
void parley_api_list_tickets(parley_api_call *call, parley_facade *f);
void parley_api_get_ticket(parley_api_call *call, parley_facade *f);
void parley_api_update_ticket(parley_api_call *call, parley_facade *f);

void parley_api_get_settings(parley_api_call *call, parley_facade *f);
void parley_api_update_settings(parley_api_call *call, parley_facade *f);
void parley_api_reapply_strategy_policy(parley_api_call *call, parley_facade *f);

/* api_kb.c: the ChatBot's knowledge base */
/* POST /kb/entries creates, PATCH /kb/entries/{id} changes one */
void parley_api_write_kb_entry(parley_api_call *call, parley_facade *f);
void parley_api_list_kb_entries(parley_api_call *call, parley_facade *f);
void parley_api_get_kb_entry(parley_api_call *call, parley_facade *f);
void parley_api_delete_kb_entry(parley_api_call *call, parley_facade *f);
void parley_api_search_kb(parley_api_call *call, parley_facade *f);

void parley_api_static_file(parley_api_call *call, parley_facade *f);

/* api_uploads.c: an upload is two steps, the file on a pool thread
 * (prepare), its record on the writer */
void parley_api_prepare_upload(parley_api_call *call, parley_facade *f);
void parley_api_create_upload(parley_api_call *call, parley_facade *f);
void parley_api_get_upload(parley_api_call *call, parley_facade *f);
void parley_api_get_transcript(parley_api_call *call, parley_facade *f);
/* Presence, the queue, transfers and teams (api_routing.c). */
void parley_api_set_presence(parley_api_call *call, parley_facade *f);
void parley_api_list_queue(parley_api_call *call, parley_facade *f);
void parley_api_transfer_session(parley_api_call *call, parley_facade *f);
void parley_api_unassign_session(parley_api_call *call, parley_facade *f);
/* POST /teams creates, PATCH /teams/{id} changes one */
void parley_api_write_team(parley_api_call *call, parley_facade *f);
void parley_api_list_teams(parley_api_call *call, parley_facade *f);
void parley_api_get_team(parley_api_call *call, parley_facade *f);
void parley_api_delete_team(parley_api_call *call, parley_facade *f);
/* POST /teams/{id}/members adds the agent, DELETE takes it out */
void parley_api_team_member(parley_api_call *call, parley_facade *f);
/* The agent tools (api_tools.c). */
/* POST /canned-responses creates, PATCH /canned-responses/{id} changes one */
void parley_api_canned_write(parley_api_call *call, parley_facade *f);
void parley_api_canned_list(parley_api_call *call, parley_facade *f);
void parley_api_canned_get(parley_api_call *call, parley_facade *f);
void parley_api_canned_delete(parley_api_call *call, parley_facade *f);
void parley_api_note_create(parley_api_call *call, parley_facade *f);
void parley_api_note_list(parley_api_call *call, parley_facade *f);
void parley_api_mark_read(parley_api_call *call, parley_facade *f);
void parley_api_read_state(parley_api_call *call, parley_facade *f);
void parley_api_label_create(parley_api_call *call, parley_facade *f);
void parley_api_label_list(parley_api_call *call, parley_facade *f);
void parley_api_label_delete(parley_api_call *call, parley_facade *f);
void parley_api_label_update(parley_api_call *call, parley_facade *f);
/* POST /sessions/{id}/labels {label} puts it on, DELETE .../labels/{label} takes it off */
void parley_api_session_label(parley_api_call *call, parley_facade *f);
void parley_api_search_messages(parley_api_call *call, parley_facade *f);

/* Inline (loop thread) handlers. */
void parley_api_healthz(parley_conn *c, parley_http_request *req);
void parley_api_metrics(parley_conn *c, parley_http_request *req);
void parley_api_strategies(parley_conn *c, parley_http_request *req);

/* Query helpers shared by list handlers: false (and an error reply) when a
 * value is malformed. */
bool parley_api_query_int(parley_api_call *call, const char *name, int64_t min, int64_t max,
                          int64_t *out, bool *present);

#define PARLEY_API_DEFAULT_LIMIT 50
#define PARLEY_API_MAX_LIMIT 200

/* Reads ?limit= (default 50, clamped to 200) and ?cursor=. */
bool parley_api_read_paging(parley_api_call *call, int *limit, char *cursor, size_t cursor_size);

/* One page of a list: what the client asked for (?limit=, ?cursor=) and
 * the cursor of the page after it ("" on the last page). */
typedef struct parley_api_page {
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
    char next[PARLEY_ID_SIZE * 2];
} parley_api_page;

/* parley_api_read_paging into page (next emptied); false: answered 400. */
bool parley_api_read_page(parley_api_call *call, parley_api_page *page);
/* {key: items, next_cursor: next or null} when st is OK, else err (items,
 * which may be NULL, released). */
void parley_api_reply_page(parley_api_call *call, parley_status st, const char *key, json_t *items,
                           const char *next, const parley_error *err);

/* ?name= as a time (util/time_parse.h); *present false when absent. */
bool parley_api_query_time(parley_api_call *call, const char *name, bool end_of_day,
                           parley_time_ms *out, bool *present);
/* ?name= as an id ("" when absent); a value too long for one -> 400. */
bool parley_api_query_id(parley_api_call *call, const char *name, char out[PARLEY_ID_SIZE]);

/* The notification service (api_notifications.c). */
void parley_api_list_notifications(parley_api_call *call, parley_facade *f);
void parley_api_read_notification(parley_api_call *call, parley_facade *f);
void parley_api_read_all_notifications(parley_api_call *call, parley_facade *f);
void parley_api_list_deliveries(parley_api_call *call, parley_facade *f);
void parley_api_get_notification_prefs(parley_api_call *call, parley_facade *f);
void parley_api_put_notification_prefs(parley_api_call *call, parley_facade *f);

/* The e-mail channel's endpoints (api_email.c). */
void parley_api_redeem_conversation_link(parley_api_call *call, parley_facade *f);
void parley_api_request_password_reset(parley_api_call *call, parley_facade *f);
void parley_api_confirm_password_reset(parley_api_call *call, parley_facade *f);
/* Outgoing webhooks (api_webhooks.c). */
void parley_api_write_webhook(parley_api_call *call, parley_facade *f);
void parley_api_list_webhooks(parley_api_call *call, parley_facade *f);
void parley_api_get_webhook(parley_api_call *call, parley_facade *f);
void parley_api_delete_webhook(parley_api_call *call, parley_facade *f);
void parley_api_webhook_deliveries(parley_api_call *call, parley_facade *f);

/* Contacts (api_contacts.c). */
void parley_api_list_contacts(parley_api_call *call, parley_facade *f);
void parley_api_get_contact(parley_api_call *call, parley_facade *f);
void parley_api_update_contact(parley_api_call *call, parley_facade *f);
void parley_api_contact_sessions(parley_api_call *call, parley_facade *f);
void parley_api_contact_tickets(parley_api_call *call, parley_facade *f);
void parley_api_replay_webhook_delivery(parley_api_call *call, parley_facade *f);

/* Web push (api_push.c). */
void parley_api_push_vapid_key(parley_api_call *call, parley_facade *f);
void parley_api_push_subscribe(parley_api_call *call, parley_facade *f);
void parley_api_push_unsubscribe(parley_api_call *call, parley_facade *f);

/* The support desk (api_tickets.c, api_reports.c). */
void parley_api_ticket_from_session(parley_api_call *call, parley_facade *f);
void parley_api_add_ticket_note(parley_api_call *call, parley_facade *f);
void parley_api_list_ticket_notes(parley_api_call *call, parley_facade *f);
void parley_api_list_feedback(parley_api_call *call, parley_facade *f);
void parley_api_report(parley_api_call *call, parley_facade *f);

#endif
