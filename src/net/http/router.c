#include "net/http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/api/api.h"
#include "net/api/send_pipeline.h"
#include "net/ws/websocket.h"

typedef void (*inline_handler)(parley_conn *c, parley_http_request *req);

typedef struct route {
    int method;
    const char *pattern; /* "{}" matches an id segment, "{w}" a word segment */
    parley_api_handler handler;
    parley_api_handler prepare; /* batched routes: a pool-thread step first */
    inline_handler inline_fn;
    parley_job_kind kind;
    bool needs_auth;
    parley_action action; /* checked before the handler; NONE: any caller */
    /* the prepare step runs a session's strategy chain: skipped for a
     * session (params[0]) known to have none (net/api/chain_cache.h) */
    bool prepare_runs_chain;
} route;

#define NONE PARLEY_ACTION_COUNT
#define JOB(m, p, h, k, auth, act)                                                                 \
    { m, p, h, NULL, NULL, k, auth, act, false }
#define PREPARED_JOB(m, p, prep, h, auth, act)                                                     \
    { m, p, h, prep, NULL, PARLEY_JOB_BATCHED, auth, act, false }
#define CHAIN_JOB(m, p, prep, h, auth, act)                                                        \
    { m, p, h, prep, NULL, PARLEY_JOB_BATCHED, auth, act, true }
#define INLINE(m, p, f)                                                                            \
    { m, p, NULL, NULL, f, PARLEY_JOB_CONCURRENT, false, NONE, false }
#define B PARLEY_JOB_BATCHED
#define C PARLEY_JOB_CONCURRENT

/* Password work (login, agent creation) is concurrent so it never stalls
 * the writer; everything that changes chat state is batched. Every
 * authenticated route names its action: the role check of the one
 * authorization policy (core/authorization.h) runs before any handler and
 * before the body is even decoded; the services check the session scope. */
static const route routes[] = {
    JOB(HTTP_POST, "/api/v1/auth/login", parley_api_login, C, false, NONE),
    JOB(HTTP_POST, "/api/v1/auth/logout", parley_api_logout, C, true, NONE),
    JOB(HTTP_GET, "/api/v1/me", parley_api_me, C, true, NONE),
    JOB(HTTP_POST, "/api/v1/agents", parley_api_create_agent, C, true, PARLEY_ACTION_AGENT_CREATE),
    JOB(HTTP_GET, "/api/v1/agents", parley_api_list_agents, C, true, PARLEY_ACTION_AGENT_LIST),
    JOB(HTTP_PATCH, "/api/v1/agents/{}", parley_api_update_agent, B, true,
        PARLEY_ACTION_AGENT_UPDATE),
    /* argon2id hashing: concurrent workers, never the writer's batch */
    JOB(HTTP_POST, "/api/v1/agents/{}/password", parley_api_reset_password, C, true,
        PARLEY_ACTION_AGENT_PASSWORD_RESET),
    JOB(HTTP_POST, "/api/v1/me/password", parley_api_change_password, C, true,
        PARLEY_ACTION_PASSWORD_CHANGE),
    JOB(HTTP_POST, "/api/v1/bots", parley_api_create_bot, B, true, PARLEY_ACTION_BOT_CREATE),
    JOB(HTTP_GET, "/api/v1/bots", parley_api_list_bots, C, true, PARLEY_ACTION_BOT_LIST),
    JOB(HTTP_DELETE, "/api/v1/bots/{}", parley_api_revoke_bot, B, true, PARLEY_ACTION_BOT_REVOKE),
    JOB(HTTP_POST, "/api/v1/customers", parley_api_create_customer, B, false, NONE),
    JOB(HTTP_POST, "/api/v1/sessions", parley_api_create_session, B, true,
        PARLEY_ACTION_SESSION_CREATE),
    JOB(HTTP_GET, "/api/v1/sessions", parley_api_list_sessions, C, true,
        PARLEY_ACTION_SESSION_LIST),
    JOB(HTTP_GET, "/api/v1/sessions/{}", parley_api_get_session, C, true,
        PARLEY_ACTION_SESSION_READ),
    JOB(HTTP_POST, "/api/v1/sessions/{}/assign", parley_api_assign_session, B, true,
        PARLEY_ACTION_SESSION_ASSIGN),
    JOB(HTTP_POST, "/api/v1/sessions/{}/bot", parley_api_attach_bot, B, true,
        PARLEY_ACTION_SESSION_ATTACH_BOT),
    JOB(HTTP_POST, "/api/v1/sessions/{}/close", parley_api_close_session, B, true,
        PARLEY_ACTION_SESSION_CLOSE),
    CHAIN_JOB(HTTP_POST, "/api/v1/sessions/{}/messages", parley_api_prepare_message,
              parley_api_send_message, true, PARLEY_ACTION_MESSAGE_SEND),
    JOB(HTTP_GET, "/api/v1/sessions/{}/messages", parley_api_list_messages, C, true,
        PARLEY_ACTION_MESSAGE_READ),
    JOB(HTTP_POST, "/api/v1/sessions/{}/feedback", parley_api_submit_feedback, B, true,
        PARLEY_ACTION_FEEDBACK_SUBMIT),
    JOB(HTTP_GET, "/api/v1/sessions/{}/feedback", parley_api_get_feedback, C, true,
        PARLEY_ACTION_FEEDBACK_READ),
    JOB(HTTP_POST, "/api/v1/tickets", parley_api_create_ticket, B, true,
        PARLEY_ACTION_TICKET_CREATE),
    JOB(HTTP_GET, "/api/v1/tickets", parley_api_list_tickets, C, true, PARLEY_ACTION_TICKET_LIST),
    JOB(HTTP_GET, "/api/v1/tickets/{}", parley_api_get_ticket, C, true, PARLEY_ACTION_TICKET_READ),
    JOB(HTTP_PATCH, "/api/v1/tickets/{}", parley_api_update_ticket, B, true,
        PARLEY_ACTION_TICKET_UPDATE),
    JOB(HTTP_GET, "/api/v1/messages/{}", parley_api_get_message, C, true,
        PARLEY_ACTION_MESSAGE_READ),
    JOB(HTTP_POST, "/api/v1/messages/{}/spam", parley_api_label_message, B, true,
        PARLEY_ACTION_MESSAGE_LABEL),
    JOB(HTTP_GET, "/api/v1/flagged", parley_api_list_flagged, C, true, PARLEY_ACTION_FLAGGED_READ),
    JOB(HTTP_GET, "/api/v1/audit", parley_api_list_audit, C, true, PARLEY_ACTION_AUDIT_READ),
    INLINE(HTTP_GET, "/api/v1/strategies", parley_api_strategies),
    JOB(HTTP_GET, "/api/v1/strategies/profanity/allowlist", parley_api_list_allowlist, C, true,
        PARLEY_ACTION_STRATEGY_ADMIN),
    JOB(HTTP_POST, "/api/v1/strategies/profanity/allowlist", parley_api_add_allowlist, B, true,
        PARLEY_ACTION_STRATEGY_ADMIN),
    JOB(HTTP_DELETE, "/api/v1/strategies/profanity/allowlist/{w}", parley_api_remove_allowlist, B,
        true, PARLEY_ACTION_STRATEGY_ADMIN),
    JOB(HTTP_GET, "/api/v1/settings", parley_api_get_settings, C, true,
        PARLEY_ACTION_SETTINGS_READ),
    JOB(HTTP_PATCH, "/api/v1/settings", parley_api_update_settings, B, true,
        PARLEY_ACTION_SETTINGS_UPDATE),
    /* open sessions take the policy as it is now (core/strategy_policy.h) */
    JOB(HTTP_POST, "/api/v1/strategies/policy/reapply", parley_api_reapply_strategy_policy, B, true,
        PARLEY_ACTION_SETTINGS_UPDATE),
    PREPARED_JOB(HTTP_POST, "/api/v1/uploads", parley_api_prepare_upload, parley_api_create_upload,
                 true, PARLEY_ACTION_UPLOAD_CREATE),
    JOB(HTTP_GET, "/api/v1/uploads/{}", parley_api_get_upload, C, true, PARLEY_ACTION_UPLOAD_READ),
    JOB(HTTP_GET, "/api/v1/sessions/{}/transcript", parley_api_get_transcript, C, true,
        PARLEY_ACTION_TRANSCRIPT_READ),
    JOB(HTTP_PUT, "/api/v1/agents/me/presence", parley_api_set_presence, B, true,
        PARLEY_ACTION_PRESENCE_SET),
    JOB(HTTP_POST, "/api/v1/agents/me/presence", parley_api_set_presence, B, true,
        PARLEY_ACTION_PRESENCE_SET),
    JOB(HTTP_GET, "/api/v1/queue", parley_api_list_queue, C, true, PARLEY_ACTION_QUEUE_READ),
    JOB(HTTP_POST, "/api/v1/sessions/{}/transfer", parley_api_transfer_session, B, true,
        PARLEY_ACTION_SESSION_TRANSFER),
    JOB(HTTP_POST, "/api/v1/sessions/{}/unassign", parley_api_unassign_session, B, true,
        PARLEY_ACTION_SESSION_UNASSIGN),
    JOB(HTTP_POST, "/api/v1/teams", parley_api_write_team, B, true, PARLEY_ACTION_TEAM_ADMIN),
    JOB(HTTP_GET, "/api/v1/teams", parley_api_list_teams, C, true, PARLEY_ACTION_TEAM_LIST),
    JOB(HTTP_GET, "/api/v1/teams/{}", parley_api_get_team, C, true, PARLEY_ACTION_TEAM_LIST),
    JOB(HTTP_PATCH, "/api/v1/teams/{}", parley_api_write_team, B, true, PARLEY_ACTION_TEAM_ADMIN),
    JOB(HTTP_DELETE, "/api/v1/teams/{}", parley_api_delete_team, B, true, PARLEY_ACTION_TEAM_ADMIN),
    JOB(HTTP_POST, "/api/v1/teams/{}/members", parley_api_team_member, B, true,
        PARLEY_ACTION_TEAM_ADMIN),
    JOB(HTTP_DELETE, "/api/v1/teams/{}/members", parley_api_team_member, B, true,
        PARLEY_ACTION_TEAM_ADMIN),
    /* the agent tools (api_tools.c) */
    JOB(HTTP_GET, "/api/v1/canned-responses", parley_api_canned_list, C, true,
        PARLEY_ACTION_CANNED_USE),
    JOB(HTTP_POST, "/api/v1/canned-responses", parley_api_canned_write, B, true,
        PARLEY_ACTION_CANNED_USE),
    JOB(HTTP_GET, "/api/v1/canned-responses/{}", parley_api_canned_get, C, true,
        PARLEY_ACTION_CANNED_USE),
    JOB(HTTP_PATCH, "/api/v1/canned-responses/{}", parley_api_canned_write, B, true,
        PARLEY_ACTION_CANNED_USE),
    JOB(HTTP_DELETE, "/api/v1/canned-responses/{}", parley_api_canned_delete, B, true,
        PARLEY_ACTION_CANNED_USE),
    JOB(HTTP_POST, "/api/v1/sessions/{}/notes", parley_api_note_create, B, true,
        PARLEY_ACTION_NOTE_WRITE),
    JOB(HTTP_GET, "/api/v1/sessions/{}/notes", parley_api_note_list, C, true,
        PARLEY_ACTION_NOTE_READ),
    JOB(HTTP_POST, "/api/v1/sessions/{}/read", parley_api_mark_read, B, true,
        PARLEY_ACTION_READ_MARK),
    JOB(HTTP_GET, "/api/v1/sessions/{}/read", parley_api_read_state, C, true,
        PARLEY_ACTION_SESSION_READ),
    JOB(HTTP_GET, "/api/v1/labels", parley_api_label_list, C, true, PARLEY_ACTION_LABEL_LIST),
    JOB(HTTP_POST, "/api/v1/labels", parley_api_label_create, B, true, PARLEY_ACTION_LABEL_ADMIN),
    JOB(HTTP_DELETE, "/api/v1/labels/{w}", parley_api_label_delete, B, true,
        PARLEY_ACTION_LABEL_ADMIN),
    JOB(HTTP_PATCH, "/api/v1/labels/{w}", parley_api_label_update, B, true,
        PARLEY_ACTION_LABEL_ADMIN),
    JOB(HTTP_POST, "/api/v1/sessions/{}/labels", parley_api_session_label, B, true,
        PARLEY_ACTION_SESSION_LABEL),
    JOB(HTTP_DELETE, "/api/v1/sessions/{}/labels/{w}", parley_api_session_label, B, true,
        PARLEY_ACTION_SESSION_LABEL),
    /* a read on the pool like every GET: it never writes, never waits for
     * or holds up the writer (core/agent_tools.h) */
    JOB(HTTP_GET, "/api/v1/search/messages", parley_api_search_messages, C, true,
        PARLEY_ACTION_MESSAGE_SEARCH),
    /* the support desk: tickets, notes, feedback, reports (issue 5) */
    JOB(HTTP_POST, "/api/v1/sessions/{}/ticket", parley_api_ticket_from_session, B, true,
        PARLEY_ACTION_TICKET_CREATE),
    JOB(HTTP_POST, "/api/v1/tickets/{}/notes", parley_api_add_ticket_note, B, true,
        PARLEY_ACTION_TICKET_NOTE_CREATE),
    JOB(HTTP_GET, "/api/v1/tickets/{}/notes", parley_api_list_ticket_notes, C, true,
        PARLEY_ACTION_TICKET_NOTE_READ),
    JOB(HTTP_GET, "/api/v1/feedback", parley_api_list_feedback, C, true,
        PARLEY_ACTION_FEEDBACK_LIST),
    JOB(HTTP_GET, "/api/v1/reports/first-response", parley_api_report, C, true,
        PARLEY_ACTION_REPORT_READ),
    JOB(HTTP_GET, "/api/v1/reports/resolution", parley_api_report, C, true,
        PARLEY_ACTION_REPORT_READ),
    JOB(HTTP_GET, "/api/v1/reports/agents", parley_api_report, C, true, PARLEY_ACTION_REPORT_READ),
    JOB(HTTP_GET, "/api/v1/reports/csat", parley_api_report, C, true, PARLEY_ACTION_REPORT_READ),
    JOB(HTTP_GET, "/api/v1/reports/volume", parley_api_report, C, true, PARLEY_ACTION_REPORT_READ),
    JOB(HTTP_GET, "/api/v1/reports/hours", parley_api_report, C, true, PARLEY_ACTION_REPORT_READ),
    INLINE(HTTP_GET, "/api/v1/ws", parley_ws_handle_upgrade),
    INLINE(HTTP_GET, "/healthz", parley_api_healthz),
    INLINE(HTTP_GET, "/metrics", parley_api_metrics),
    /* the ChatBot's knowledge base; search reads committed state on the pool */
    JOB(HTTP_POST, "/api/v1/kb/entries", parley_api_write_kb_entry, B, true, PARLEY_ACTION_KB_EDIT),
    JOB(HTTP_GET, "/api/v1/kb/entries", parley_api_list_kb_entries, C, true, PARLEY_ACTION_KB_READ),
    JOB(HTTP_GET, "/api/v1/kb/entries/{}", parley_api_get_kb_entry, C, true, PARLEY_ACTION_KB_READ),
    JOB(HTTP_PATCH, "/api/v1/kb/entries/{}", parley_api_write_kb_entry, B, true,
        PARLEY_ACTION_KB_EDIT),
    JOB(HTTP_DELETE, "/api/v1/kb/entries/{}", parley_api_delete_kb_entry, B, true,
        PARLEY_ACTION_KB_EDIT),
    JOB(HTTP_GET, "/api/v1/kb/search", parley_api_search_kb, C, true, PARLEY_ACTION_KB_READ),
    /* the notification service: one's inbox; the admins' delivery log */
    JOB(HTTP_GET, "/api/v1/notifications", parley_api_list_notifications, C, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    JOB(HTTP_POST, "/api/v1/notifications/read-all", parley_api_read_all_notifications, B, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    JOB(HTTP_POST, "/api/v1/notifications/{}/read", parley_api_read_notification, B, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    JOB(HTTP_GET, "/api/v1/notifications/deliveries", parley_api_list_deliveries, C, true,
        PARLEY_ACTION_NOTIFICATION_ADMIN),
    JOB(HTTP_GET, "/api/v1/notifications/preferences", parley_api_get_notification_prefs, C, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    JOB(HTTP_PUT, "/api/v1/notifications/preferences", parley_api_put_notification_prefs, B, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    /* the e-mail channel (api_email.c): the link's signature is the credential */
    JOB(HTTP_POST, "/api/v1/conversation-links/redeem", parley_api_redeem_conversation_link, C,
        false, NONE),
    /* the reset and its e-mail in one unit; the confirmation hashes (argon2id) */
    JOB(HTTP_POST, "/api/v1/password-reset", parley_api_request_password_reset, B, false, NONE),
    JOB(HTTP_POST, "/api/v1/password-reset/confirm", parley_api_confirm_password_reset, C, false,
        NONE),
    /* web push: the public key; one's own subscriptions (subscribing resolves
     * the endpoint's host, so on the pool) */
    JOB(HTTP_GET, "/api/v1/push/vapid-public-key", parley_api_push_vapid_key, C, false, NONE),
    JOB(HTTP_POST, "/api/v1/push/subscriptions", parley_api_push_subscribe, C, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    JOB(HTTP_DELETE, "/api/v1/push/subscriptions", parley_api_push_unsubscribe, B, true,
        PARLEY_ACTION_NOTIFICATION_READ),
    /* outgoing webhooks (admins): writing one resolves its URL, so on the pool */
    JOB(HTTP_GET, "/api/v1/webhooks", parley_api_list_webhooks, C, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_POST, "/api/v1/webhooks", parley_api_write_webhook, C, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_GET, "/api/v1/webhooks/{}", parley_api_get_webhook, C, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_PATCH, "/api/v1/webhooks/{}", parley_api_write_webhook, C, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_DELETE, "/api/v1/webhooks/{}", parley_api_delete_webhook, B, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_GET, "/api/v1/webhooks/{}/deliveries", parley_api_webhook_deliveries, C, true,
        PARLEY_ACTION_WEBHOOK_ADMIN),
    JOB(HTTP_POST, "/api/v1/webhooks/{}/deliveries/{}/replay", parley_api_replay_webhook_delivery,
        B, true, PARLEY_ACTION_WEBHOOK_ADMIN),
    /* contacts (staff; issue 15, docs/subsystems/contacts.md) */
    JOB(HTTP_GET, "/api/v1/contacts", parley_api_list_contacts, C, true,
        PARLEY_ACTION_CONTACT_READ),
    JOB(HTTP_GET, "/api/v1/contacts/{}", parley_api_get_contact, C, true,
        PARLEY_ACTION_CONTACT_READ),
    JOB(HTTP_PATCH, "/api/v1/contacts/{}", parley_api_update_contact, B, true,
        PARLEY_ACTION_CONTACT_UPDATE),
    JOB(HTTP_GET, "/api/v1/contacts/{}/sessions", parley_api_contact_sessions, C, true,
        PARLEY_ACTION_CONTACT_READ),
    JOB(HTTP_GET, "/api/v1/contacts/{}/tickets", parley_api_contact_tickets, C, true,
        PARLEY_ACTION_CONTACT_READ),
};

#define ROUTE_COUNT (sizeof routes / sizeof routes[0])

/* Copies one path segment into out. The reader (net/http/http_reader.c) has
 * already percent-decoded the whole path once (a word such as "tied up"
 * arrived as "tied%20up"); decoding again here would turn "%2541" into "A"
 * and make "100%25" unreachable. False for an empty segment or one longer
 * than max. */
static bool copy_segment(const char *in, size_t len, size_t max,
                         char out[PARLEY_ROUTE_PARAM_SIZE]) {
    if (len == 0 || len > max) {
        return false;
    }
    memcpy(out, in, len);
    out[len] = '\0';
    return true;
}

bool parley_router_match(const char *pattern, const char *path,
                         char params[2][PARLEY_ROUTE_PARAM_SIZE]) {
    int captured = 0;
    while (*pattern != '\0' && *path != '\0') {
        /* "{}" is an id, "{w}" a word of up to 255 bytes: an id that is
         * too long can name nothing, and is never cut to one that does */
        bool id = pattern[0] == '{' && pattern[1] == '}';
        bool word = pattern[0] == '{' && pattern[1] == 'w' && pattern[2] == '}';
        if (id || word) {
            const char *end = strchr(path, '/');
            size_t len = end != NULL ? (size_t)(end - path) : strlen(path);
            size_t max = id ? PARLEY_ID_SIZE - 1 : PARLEY_ROUTE_PARAM_SIZE - 1;
            if (captured == 2 || !copy_segment(path, len, max, params[captured])) {
                return false;
            }
            captured++;
            path += len;
            pattern += id ? 2 : 3;
            continue;
        }
        if (*pattern != *path) {
            return false;
        }
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

/* Authenticates the caller (once: a prepared job was admitted in its
 * prepare step) and makes the route's role check. */
static bool api_admit(parley_api_call *call, parley_facade *facade) {
    parley_facade_set_client_ip(facade, call->conn->client_ip);
    if (!call->needs_auth || call->caller != NULL) {
        return true;
    }
    parley_error err = {0};
    const char *token = parley_http_bearer_token(call->req);
    if (parley_account_authenticate(parley_facade_accounts(facade), token, &call->caller, &err) !=
            PARLEY_OK ||
        (call->action != NONE && parley_authorize(call->caller, call->action, &err) != PARLEY_OK)) {
        parley_api_reply_error(call, &err);
        return false;
    }
    return true;
}

static void api_prepare(parley_job *job, parley_facade *facade) {
    parley_api_call *call = (parley_api_call *)job;
    if (api_admit(call, facade)) {
        call->prepare(call, facade);
    }
}

static void api_run(parley_job *job, parley_facade *facade) {
    parley_api_call *call = (parley_api_call *)job;
    if (api_admit(call, facade)) {
        call->handler(call, facade);
    }
}

/* CORS: an allowed browser origin may read the answer. Bearer tokens, not
 * cookies, carry identity, so credentials are never allowed. */
static void add_cors_headers(parley_http_response *res, const parley_http_request *req) {
    if (req->origin == NULL) {
        return;
    }
    size_t used = strlen(res->extra_headers);
    snprintf(res->extra_headers + used, sizeof res->extra_headers - used,
             "Access-Control-Allow-Origin: %.200s\r\nVary: Origin\r\n"
             "Access-Control-Expose-Headers: Retry-After\r\n",
             req->origin);
}

static void api_done(parley_job *job) {
    parley_api_call *call = (parley_api_call *)job;
    parley_conn *c = call->conn;
    if (call->again && !job->commit_failed && job->status == PARLEY_OK) {
        /* a long job's share committed: its next share in a new unit */
        call->again = false;
        if (parley_executor_submit(c->server->executor, job) == PARLEY_OK) {
            return;
        }
        parley_error err = {0};
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
        parley_http_response_error(&call->res, &err);
    }
    call->again = false;
    if (job->commit_failed) {
        parley_http_response_free(&call->res);
        memset(&call->res, 0, sizeof call->res);
        parley_error err = {0};
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the change could not be stored; retry");
        err.retry_after_seconds = PARLEY_RETRY_AFTER_STORAGE_S;
        parley_http_response_error(&call->res, &err);
    }
    if (call->res.status == 0) {
        parley_http_response_error_code(&call->res, 500, "internal_error", "no response");
    }
    add_cors_headers(&call->res, call->req);
    parley_access_note_caller(&c->access, call->caller);
    parley_conn_respond(c, &call->res);
    if (call->prepared_free != NULL) {
        call->prepared_free(call->prepared);
    }
    parley_participant_free(call->caller);
    parley_http_request_free(call->req);
    free(call);
    parley_conn_unref(c);
}

/* Answers an error the router itself finds and frees the request; allowed
 * browser origins can read it like any other answer. */
static void respond_error(parley_conn *c, parley_http_request *req, int status, const char *code,
                          const char *message, const char *extra) {
    parley_http_response res = {0};
    if (extra != NULL) {
        snprintf(res.extra_headers, sizeof res.extra_headers, "%s", extra);
    }
    parley_http_response_error_code(&res, status, code, message);
    if (parley_origin_allowed(&c->server->origins, req->origin, req->host)) {
        add_cors_headers(&res, req);
    }
    parley_http_request_free(req);
    parley_conn_respond(c, &res);
}

static void submit(parley_conn *c, parley_http_request *req, const route *r,
                   char params[2][PARLEY_ROUTE_PARAM_SIZE]) {
    /* a message send while the writer's queue is full is refused with a
     * retry hint, never queued without bound (issue 11) */
    if (r->prepare_runs_chain && parley_executor_full(c->server->executor)) {
        respond_error(c, req, 503, "unavailable", "the server is busy; retry shortly", NULL);
        return;
    }
    parley_api_call *call = parley_job_new(sizeof *call, r->kind, api_run, api_done);
    if (call == NULL) {
        respond_error(c, req, 503, "unavailable", "out of memory", NULL);
        return;
    }
    /* a send to a session known to have no strategy chain is stored in
     * one step (net/api/send_pipeline.h) */
    bool wants_prepare =
        r->prepare != NULL &&
        (!r->prepare_runs_chain || parley_send_wants_prepare(&c->server->chains, params[0]));
    call->job.prepare = wants_prepare ? api_prepare : NULL;
    if (r->prepare_runs_chain && strlen(params[0]) < sizeof call->job.lock_session_id) {
        /* a message send: the writer locks its batch's sessions up front */
        memcpy(call->job.lock_session_id, params[0], strlen(params[0]) + 1);
    }
    call->conn = c;
    call->req = req;
    call->handler = r->handler;
    call->prepare = r->prepare;
    call->needs_auth = r->needs_auth;
    call->action = r->action;
    memcpy(call->params, params, sizeof call->params);
    parley_conn_ref(c);
    if (parley_executor_submit(c->server->executor, &call->job) != PARLEY_OK) {
        free(call);
        parley_conn_unref(c);
        respond_error(c, req, 503, "unavailable", "the server is shutting down", NULL);
    }
}

static const char *method_name(int method) {
    return http_method_str((enum http_method)method);
}

void parley_router_dispatch(parley_conn *c, parley_http_request *req) {
    parley_conn_note_request(c, req);
    /* requests on a connection are answered one at a time, so the
     * connection holds the address of the one being answered */
    parley_client_addr(&c->server->trusted_proxies, c->peer_ip, req->forwarded,
                       req->x_forwarded_for, c->client_ip);
    if (c->metrics_only && strcmp(req->path, "/metrics") != 0) {
        respond_error(c, req, 404, "not_found", "this listener serves /metrics only", NULL);
        return;
    }
    if (c->server->shutting_down) {
        respond_error(c, req, 503, "unavailable", "the server is shutting down", NULL);
        return;
    }
    bool is_api = strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0;
    if (is_api && !parley_origin_allowed(&c->server->origins, req->origin, req->host)) {
        respond_error(c, req, 403, "forbidden", "this origin may not call the API", NULL);
        return;
    }
    if (is_api && req->method == HTTP_OPTIONS && req->origin != NULL) {
        /* CORS preflight of an allowed origin */
        char headers[400];
        snprintf(headers, sizeof headers,
                 "Access-Control-Allow-Origin: %.200s\r\nVary: Origin\r\n"
                 "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE\r\n"
                 "Access-Control-Allow-Headers: Authorization, Content-Type\r\n"
                 "Access-Control-Max-Age: 600\r\n",
                 req->origin);
        parley_http_response res = {.status = 204};
        snprintf(res.extra_headers, sizeof res.extra_headers, "%s", headers);
        parley_http_request_free(req);
        parley_conn_respond(c, &res);
        return;
    }
    char params[2][PARLEY_ROUTE_PARAM_SIZE] = {{0}};
    char allow[128] = "";
    /* HEAD is GET without the body (conn.c leaves it out), wherever GET
     * is served except the WebSocket handshake */
    bool head = req->method == HTTP_HEAD;
    int method = head ? HTTP_GET : req->method;
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        const route *r = &routes[i];
        memset(params, 0, sizeof params);
        if (!parley_router_match(r->pattern, req->path, params)) {
            continue;
        }
        bool is_ws = r->inline_fn == parley_ws_handle_upgrade;
        if (r->method != method || (head && is_ws)) {
            size_t used = strlen(allow);
            snprintf(allow + used, sizeof allow - used, "%s%s%s", used ? ", " : "",
                     method_name(r->method), r->method == HTTP_GET && !is_ws ? ", HEAD" : "");
            continue;
        }
        c->access.route = r->pattern;
        if (r->inline_fn != NULL) {
            r->inline_fn(c, req);
        } else {
            submit(c, req, r, params);
        }
        return;
    }
    if (allow[0] != '\0') {
        char header[160];
        snprintf(header, sizeof header, "Allow: %s\r\n", allow);
        respond_error(c, req, 405, "method_not_allowed", "this method is not allowed here", header);
        return;
    }
    if (!is_api && method == HTTP_GET) {
        memset(params, 0, sizeof params);
        c->access.route = "/*";
        static const route page = {HTTP_GET, "/*", parley_api_static_file,
                                   NULL,     NULL, PARLEY_JOB_CONCURRENT,
                                   false,    NONE, false};
        submit(c, req, &page, params);
        return;
    }
    respond_error(c, req, 404, "not_found", "no such resource", NULL);
}
