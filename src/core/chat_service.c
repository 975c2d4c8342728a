#include "core/chat_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/chat_service_internal.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/settings.h"
#include "core/strategy_policy.h"
#include "core/upload_service.h"
#include "util/validate.h"

#define TOPIC_MAX_CHARS 500
#define CLIENT_MSG_ID_MAX_CHARS 128

parley_status parley_chat_load_session_for(parley_chat_service *svc,
                                           const parley_participant *caller, parley_action action,
                                           const char *session_id, parley_session *out,
                                           parley_error *err) {
    parley_status st = parley_authorize(caller, action, err);
    if (st != PARLEY_OK) {
        return st;
    }
    st = svc->repo->sessions->get(svc->repo, session_id, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");
    }
    if (st == PARLEY_OK && (st = parley_authorize_session(caller, action, out, err)) != PARLEY_OK) {
        parley_session_free(out);
    }
    return st;
}

/* session.created / session.updated go to every agent and to the session's
 * customer: the two parties of the conversation. */
static parley_status emit_session_event(parley_chat_service *svc, parley_event_type type,
                                        const parley_session *s, parley_error *err) {
    return parley_chat_emit_session_event(svc, type, s,
                                          PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER, err);
}

parley_status parley_chat_emit(parley_chat_service *svc, parley_event *event, parley_error *err) {
    return parley_event_emit(svc->subscribers, svc, &svc->events, event, err);
}

/* The customer's copy leaves out the team's labels: the hub renders it
 * (net/ws/event_frames.c). */
static parley_status emit_session_event_by(parley_chat_service *svc, parley_event_type type,
                                           const parley_session *s, unsigned audience,
                                           const char *actor_id, parley_error *err) {
    parley_event *e = parley_event_new(type, audience, s->id, s->customer_id);
    if (e != NULL && !parley_session_copy(&e->session.session, s)) {
        parley_event_free(e);
        e = NULL;
    }
    if (e != NULL && actor_id != NULL) {
        snprintf(e->actor_id, sizeof e->actor_id, "%s", actor_id);
    }
    return parley_chat_emit(svc, e, err);
}

parley_status parley_chat_emit_session_event(parley_chat_service *svc, parley_event_type type,
                                             const parley_session *s, unsigned audience,
                                             parley_error *err) {
    return emit_session_event_by(svc, type, s, audience, NULL, err);
}

/* ticket.created / ticket.updated go to every agent and to the ticket's
 * customer; the ticket's JSON never holds internal notes. */
/* Stores a session's new state, tells its audience, and moves it to out
 * (freeing it on failure). */
static parley_status store_session_change(parley_chat_service *svc, parley_session *s,
                                          parley_session *out, parley_error *err) {
    s->updated_at = parley_now_ms();
    if (s->status == PARLEY_SESSION_CLOSED && s->closed_at == 0) {
        s->closed_at = s->updated_at; /* resolution time ends here */
    }
    parley_status st = svc->repo->sessions->update(svc->repo, s, err);
    if (st == PARLEY_OK) {
        st = emit_session_event(svc, PARLEY_EVENT_SESSION_UPDATED, s, err);
    }
    if (st != PARLEY_OK) {
        parley_session_free(s);
        return st;
    }
    *out = *s;
    return PARLEY_OK;
}

parley_status parley_chat_initiate(parley_chat_service *svc, const parley_participant *caller,
                                   const char *topic, const char *strategies_json,
                                   parley_session *out, parley_error *err) {
    return parley_chat_initiate_in_team(svc, caller, topic, strategies_json, NULL, out, err);
}

parley_status parley_chat_initiate_in_team(parley_chat_service *svc,
                                           const parley_participant *caller, const char *topic,
                                           const char *strategies_json, const char *team_id,
                                           parley_session *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_SESSION_CREATE, err);
    if (st == PARLEY_OK && svc->config->require_verified_customers &&
        !((const parley_customer_participant *)caller)->customer.verified) {
        st = parley_error_set(err, PARLEY_E_FORBIDDEN, "verification_required",
                              "this site requires a verified identity to start a chat");
    }
    if (st == PARLEY_OK) {
        st = parley_check_text("topic", topic, true, 1, TOPIC_MAX_CHARS, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    /* The desk's policy decides the chain; the customer's list may only
     * choose what it allows (core/strategy_policy.h). Resolving builds the
     * chain once, proving every name and option before it is stored. */
    json_t *policy = NULL;
    st = parley_settings_get(svc->repo, "strategies.policy", &policy, err);
    char *chain_json = NULL;
    if (st == PARLEY_OK) {
        st =
            parley_strategy_policy_resolve(svc->strategies, policy, svc->config->default_strategies,
                                           strategies_json, &chain_json, err);
    }
    if (st != PARLEY_OK) {
        json_decref(policy);
        return st;
    }
    parley_session s = {0};
    parley_id_new("ses", s.id);
    snprintf(s.customer_id, sizeof s.customer_id, "%s", caller->id);
    s.topic = strdup(topic);
    s.strategies_json = chain_json;
    s.status = PARLEY_SESSION_WAITING;
    s.created_at = s.updated_at = parley_now_ms();
    if (s.topic == NULL || s.strategies_json == NULL) {
        parley_session_free(&s);
        return nomem(err);
    }
    st = svc->repo->sessions->insert(svc->repo, &s, err);
    parley_event *e = NULL;
    if (st == PARLEY_OK) {
        /* its in-unit subscribers complete the new session in this unit:
         * the desk's bot attaches and greets, routing gives it its team
         * and place in the queue (core/chat_bot.h, core/routing.h) */
        e = parley_event_new(PARLEY_EVENT_SESSION_CREATED,
                             PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER, s.id,
                             s.customer_id);
        if (e != NULL && !parley_session_copy(&e->session.session, &s)) {
            parley_event_free(e);
            e = NULL;
        }
        if (e != NULL) {
            e->session.asked_team_id = team_id;
            e->session.policy = policy; /* the team policy's subscriber reads it */
        }
        st = parley_chat_emit(svc, e, err);
    }
    json_decref(policy);
    parley_session_free(&s);
    if (st == PARLEY_OK && !parley_session_copy(out, &e->session.session)) {
        st = nomem(err); /* the session as its subscribers left it */
    }
    return st;
}

parley_status parley_chat_get_session(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, parley_session *out,
                                      parley_error *err) {
    return parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_READ, session_id, out,
                                        err);
}

parley_status parley_chat_list_sessions(parley_chat_service *svc, const parley_participant *caller,
                                        parley_session_filter *filter, parley_session_list *out,
                                        char *next_cursor, size_t next_cursor_size,
                                        parley_error *err) {
    parley_status st = scope_list_to_caller(caller, PARLEY_ACTION_SESSION_LIST, filter->customer_id,
                                            sizeof filter->customer_id, err);
    if (st != PARLEY_OK) {
        return st;
    }
    return svc->repo->sessions->list(svc->repo, filter, out, next_cursor, next_cursor_size, err);
}

parley_status parley_chat_assign(parley_chat_service *svc, const parley_participant *caller,
                                 const char *session_id, const char *agent_id, parley_session *out,
                                 parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_SESSION_ASSIGN, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (agent_id == NULL || agent_id[0] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "agent_id: required");
    }
    parley_session s = {0};
    if ((st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_ASSIGN, session_id,
                                           &s, err)) != PARLEY_OK) {
        return st;
    }
    if (s.status == PARLEY_SESSION_CLOSED) {
        parley_session_free(&s);
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
    }
    parley_agent agent = {0};
    st = svc->repo->accounts->agent_get(svc->repo, agent_id, &agent, err);
    bool usable = st == PARLEY_OK && agent.active;
    parley_agent_free(&agent);
    if (!usable) {
        parley_session_free(&s);
        return st != PARLEY_OK && st != PARLEY_E_NOT_FOUND
                   ? st
                   : parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
    }
    snprintf(s.agent_id, sizeof s.agent_id, "%s", agent_id);
    s.status = PARLEY_SESSION_ACTIVE;
    /* a person's choice: capacity is the dispatcher's limit, not staff's
     * (docs/subsystems/routing.md); assigned_at starts the re-queue clock */
    s.assigned_at = parley_now_ms();
    if ((st = parley_chat_store_routed_session(svc, &s, caller->id, err)) != PARLEY_OK) {
        parley_session_free(&s);
        return st;
    }
    *out = s;
    return PARLEY_OK;
}

parley_status parley_chat_attach_bot(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, const char *bot_id,
                                     parley_session *out, parley_error *err) {
    parley_session s = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_ATTACH_BOT,
                                                    session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (bot_id != NULL && bot_id[0] != '\0') {
        parley_bot bot = {0};
        st = svc->repo->accounts->bot_get(svc->repo, bot_id, &bot, err);
        bool usable = st == PARLEY_OK && bot.active;
        parley_bot_free(&bot);
        if (!usable) {
            parley_session_free(&s);
            return st != PARLEY_OK && st != PARLEY_E_NOT_FOUND
                       ? st
                       : parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such bot");
        }
    }
    snprintf(s.bot_id, sizeof s.bot_id, "%s", bot_id != NULL ? bot_id : "");
    return store_session_change(svc, &s, out, err);
}

#define FEEDBACK_PROMPT                                                                            \
    "Thank you for chatting with us. How did we do? Please rate this conversation from 1 to 5."

/* Closes s (owned; moved to out or freed): the desk's notice (auto-close)
 * and, unless the customer has rated already, the feedback request go into
 * the conversation first, so the closed session's last_seq counts them;
 * then session.updated, then feedback.requested to the customer. */
static parley_status close_session(parley_chat_service *svc, parley_session *s, const char *notice,
                                   parley_session *out, parley_error *err) {
    parley_status st = PARLEY_OK;
    if (notice != NULL) {
        st = parley_chat_post_system_message(svc, s->id, notice, "{\"event\":\"auto_close\"}", NULL,
                                             err);
    }
    parley_feedback existing = {0};
    bool rated = false;
    if (st == PARLEY_OK) {
        st = svc->repo->tickets->feedback_get_by_session(svc->repo, s->id, &existing, err);
        rated = st == PARLEY_OK;
        parley_feedback_free(&existing);
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(err);
            st = PARLEY_OK;
        }
    }
    if (st == PARLEY_OK && !rated) {
        st = parley_chat_post_system_message(svc, s->id, FEEDBACK_PROMPT,
                                             "{\"feedback_requested\":true}", NULL, err);
    }
    if (st == PARLEY_OK && (notice != NULL || !rated)) {
        parley_session fresh = {0};
        st = svc->repo->sessions->get(svc->repo, s->id, &fresh, err);
        if (st == PARLEY_OK) {
            parley_session_free(s);
            *s = fresh;
        }
    }
    if (st != PARLEY_OK) {
        parley_session_free(s);
        return st;
    }
    s->status = PARLEY_SESSION_CLOSED;
    char customer_id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    snprintf(customer_id, sizeof customer_id, "%s", s->customer_id);
    snprintf(session_id, sizeof session_id, "%s", s->id);
    st = store_session_change(svc, s, out, err);
    if (st == PARLEY_OK && !rated) {
        st = parley_chat_emit(svc,
                              parley_event_new(PARLEY_EVENT_FEEDBACK_REQUESTED,
                                               PARLEY_AUDIENCE_CUSTOMER, session_id, customer_id),
                              err);
        if (st != PARLEY_OK) {
            parley_session_free(out);
        }
    }
    return st;
}

parley_status parley_chat_close(parley_chat_service *svc, const parley_participant *caller,
                                const char *session_id, parley_session *out, parley_error *err) {
    parley_session s = {0};
    parley_status st =
        parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_CLOSE, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (s.status == PARLEY_SESSION_CLOSED) {
        *out = s; /* closing again changes nothing and is safe to retry */
        return PARLEY_OK;
    }
    return close_session(svc, &s, NULL, out, err);
}

parley_status parley_chat_close_by_desk(parley_chat_service *svc, const char *session_id,
                                        const char *notice, parley_session *out,
                                        parley_error *err) {
    parley_session s = {0};
    parley_status st = svc->repo->sessions->get(svc->repo, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (s.status == PARLEY_SESSION_CLOSED) {
        *out = s;
        return PARLEY_OK;
    }
    return close_session(svc, &s, notice, out, err);
}

static parley_status check_message_input(const parley_chat_service *svc,
                                         const parley_message_input *in, parley_message_type *type,
                                         parley_error *err) {
    if (in->content != NULL && (int64_t)strlen(in->content) > svc->config->max_message_bytes) {
        return parley_error_set(err, PARLEY_E_TOO_LARGE, "payload_too_large",
                                "content: at most %lld bytes",
                                (long long)svc->config->max_message_bytes);
    }
    /* a message carrying a file may leave its text out: the name is shown */
    parley_status st =
        parley_check_text("content", in->content, in->attachment_id == NULL, 1, SIZE_MAX, err);
    if (st == PARLEY_OK && in->attachment_id != NULL) {
        st =
            parley_check_text("attachment_id", in->attachment_id, true, 1, PARLEY_ID_SIZE - 1, err);
    }
    if (st == PARLEY_OK) {
        st = parley_check_text("client_msg_id", in->client_msg_id, false, 1,
                               CLIENT_MSG_ID_MAX_CHARS, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    *type = PARLEY_MESSAGE_TEXT;
    if (in->type != NULL && !parley_message_type_from_name(in->type, type)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "type: must be text, image or file");
    }
    return PARLEY_OK;
}

/* A retry of an already stored send returns the stored message itself. */
static parley_status find_previous_send(parley_chat_service *svc, const parley_participant *caller,
                                        const char *session_id, const char *client_msg_id,
                                        parley_message *out, bool *found, parley_error *err) {
    *found = false;
    if (client_msg_id == NULL) {
        return PARLEY_OK;
    }
    parley_status st = svc->repo->messages->find_by_client_id(
        svc->repo, parley_participant_kind_of(caller), caller->id, client_msg_id, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        return PARLEY_OK;
    }
    if (st != PARLEY_OK) {
        return st;
    }
    if (strcmp(out->session_id, session_id) != 0) {
        parley_message_free(out);
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                "client_msg_id was already used in another session");
    }
    *found = true;
    return PARLEY_OK;
}

void parley_message_draft_free(parley_message_draft *draft) {
    parley_message_free(&draft->message);
    parley_session_free(&draft->session);
    free(draft->refused_content);
    free(draft->refused_meta_json);
    memset(draft, 0, sizeof *draft);
}

/* A message refused for its content (spam, profanity in reject mode) is kept
 * for admin review and never delivered: it is stored as it was sent, with
 * what the strategies found, and the unit keeps this write although the
 * send fails for its sender. Rate-limited messages are not kept. */
static parley_status keep_for_review(parley_chat_service *svc, const parley_message_draft *draft,
                                     parley_error *err) {
    *err = draft->refusal;
    parley_flagged_message f = {0};
    parley_id_new("flg", f.message.id);
    snprintf(f.message.session_id, sizeof f.message.session_id, "%s", draft->message.session_id);
    f.message.sender_kind = draft->message.sender_kind;
    snprintf(f.message.sender_id, sizeof f.message.sender_id, "%s", draft->message.sender_id);
    f.message.type = draft->message.type;
    /* borrowed, not freed here */
    f.message.content = draft->refused_content;
    f.message.client_msg_id = draft->message.client_msg_id;
    f.message.meta_json = draft->refused_meta_json;
    f.message.created_at = parley_now_ms();
    snprintf(f.reason, sizeof f.reason, "%s", err->code);
    parley_error store_err = {0};
    if (svc->repo->strategy_stores->flagged_insert(svc->repo, &f, &store_err) == PARLEY_OK) {
        err->keep_writes = true;
    }
    return err->status;
}

/* Runs the session's strategy chain over the draft message. A refusal for
 * the message's content is recorded in the draft (its storing is the
 * writer's business); other failures (rate limits) are returned. */
static parley_status apply_strategies(parley_chat_service *svc, const parley_participant *caller,
                                      const parley_session *session, parley_message_draft *draft,
                                      parley_error *err) {
    parley_message *m = &draft->message;
    parley_strategy *chain = NULL;
    parley_status st =
        parley_strategy_chain_build(svc->strategies, session->strategies_json, &chain, err);
    if (st != PARLEY_OK || chain == NULL) {
        return st;
    }
    draft->has_chain = true;
    json_t *meta = json_object();
    char *original = meta != NULL ? strdup(m->content) : NULL;
    if (original == NULL) {
        json_decref(meta);
        parley_strategy_chain_free(chain);
        return nomem(err);
    }
    parley_strategy_context ctx = {
        .message = m, .meta = meta, .session = session, .sender = caller, .repo = svc->repo};
    parley_strategy_result result = parley_strategy_chain_run(chain, &ctx, err);
    parley_strategy_chain_free(chain);
    /* a strategy's own copy of the original is the store's business: the
     * original text goes to its own column, shown to admins only */
    json_object_del(meta, "original_content");
    char *meta_json = json_object_size(meta) > 0 ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    if (result == PARLEY_STRATEGY_REJECT) {
        if (err->status == PARLEY_OK) {
            parley_error_set(err, PARLEY_E_REJECTED, "rejected", "a strategy refused the message");
        }
        if (err->status != PARLEY_E_REJECTED) {
            free(original);
            free(meta_json);
            return err->status;
        }
        draft->refused = true;
        draft->refusal = *err;
        draft->refused_content = original;
        draft->refused_meta_json = meta_json;
        parley_error_clear(err);
        return PARLEY_OK;
    }
    if (strcmp(original, m->content != NULL ? m->content : "") != 0) {
        m->original_content = original;
        original = NULL;
    }
    free(original);
    m->meta_json = meta_json;
    return m->content != NULL && m->content[0] != '\0'
               ? PARLEY_OK
               : parley_error_set(err, PARLEY_E_REJECTED, "rejected",
                                  "the message was empty after processing");
}

/* The message carries its upload's description ({id, name, mime, size,
 * url}) in its meta, after the strategies ran so none can change it; the
 * upload itself is claimed when the message is stored. */
static parley_status add_attachment(parley_message_draft *draft, const parley_upload *upload,
                                    parley_error *err) {
    parley_message *m = &draft->message;
    json_error_t error;
    json_t *meta = m->meta_json != NULL ? json_loads(m->meta_json, 0, &error) : json_object();
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    char *dumped = NULL;
    if (meta != NULL &&
        json_object_set_new(meta, "attachment", parley_attachment_to_json(upload)) == 0) {
        dumped = json_dumps(meta, JSON_COMPACT);
    }
    json_decref(meta);
    if (dumped == NULL) {
        return nomem(err);
    }
    free(m->meta_json);
    m->meta_json = dumped;
    snprintf(draft->attachment_id, sizeof draft->attachment_id, "%s", upload->id);
    return PARLEY_OK;
}

parley_status parley_chat_prepare_send(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, const parley_message_input *in,
                                       parley_message_draft *draft, parley_error *err) {
    memset(draft, 0, sizeof *draft);
    parley_message_type type;
    parley_status st = check_message_input(svc, in, &type, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_session *session = &draft->session;
    st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_MESSAGE_SEND, session_id, session,
                                      err);
    if (st == PARLEY_OK) {
        st = find_previous_send(svc, caller, session->id, in->client_msg_id, &draft->message,
                                &draft->duplicate, err);
    }
    if (st == PARLEY_OK && draft->duplicate) {
        return PARLEY_OK;
    }
    /* a retry of a stored message is free; a new one spends the sender's allowance */
    if (st == PARLEY_OK && svc->limits != NULL) {
        st = parley_limits_take(svc->limits->messages_by_participant, caller->id, "messages", err);
    }
    if (st == PARLEY_OK && session->status == PARLEY_SESSION_CLOSED) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
    }
    parley_upload upload = {0};
    if (st == PARLEY_OK && in->attachment_id != NULL) {
        st = parley_upload_for_message(svc, caller, in->attachment_id, in->type != NULL, &type,
                                       &upload, err);
    }
    parley_message *m = &draft->message;
    if (st == PARLEY_OK) {
        parley_id_new_timed("msg", m->id);
        snprintf(m->session_id, sizeof m->session_id, "%s", session->id);
        m->sender_kind = parley_participant_kind_of(caller);
        snprintf(m->sender_id, sizeof m->sender_id, "%s", caller->id);
        m->type = type;
        m->content = strdup(in->content != NULL ? in->content : upload.name);
        m->client_msg_id = in->client_msg_id != NULL ? strdup(in->client_msg_id) : NULL;
        if (m->content == NULL || (in->client_msg_id != NULL && m->client_msg_id == NULL)) {
            st = nomem(err);
        }
    }
    if (st == PARLEY_OK) {
        st = apply_strategies(svc, caller, session, draft, err);
    }
    if (st == PARLEY_OK && upload.id[0] != '\0' && !draft->refused) {
        st = add_attachment(draft, &upload, err);
    }
    parley_upload_free(&upload);
    if (st != PARLEY_OK) {
        parley_message_draft_free(draft);
    }
    return st;
}

/* The upload was not claimed: taken by another message (409, err says so
 * already), or gone since the prepare step - retention deletes unattached
 * uploads on this thread between units - which is the prepare step's 404. */
static parley_status attach_refused(parley_chat_service *svc, const char *upload_id,
                                    parley_error *err) {
    parley_upload u = {0};
    parley_error probe = {0};
    parley_status st = svc->repo->uploads->get(svc->repo, upload_id, &u, &probe);
    parley_upload_free(&u);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "attachment_id: no such upload of yours");
    }
    return PARLEY_E_CONFLICT;
}

/* message.created to the session's subscribers, with the session as this
 * unit leaves it (the ChatBot decides from it whether to answer). */
static parley_status emit_message_created(parley_chat_service *svc, const parley_session *s,
                                          const parley_message *m, parley_error *err) {
    parley_event *e = parley_event_new(PARLEY_EVENT_MESSAGE_CREATED, PARLEY_AUDIENCE_SUBSCRIBERS,
                                       s->id, s->customer_id);
    if (e != NULL && !parley_message_copy(&e->message.message, m)) {
        parley_event_free(e);
        e = NULL;
    }
    if (e != NULL) {
        e->seq = m->seq;
        snprintf(e->message.agent_id, sizeof e->message.agent_id, "%s", s->agent_id);
        snprintf(e->message.bot_id, sizeof e->message.bot_id, "%s", s->bot_id);
        e->message.session_status = s->status;
    }
    return parley_chat_emit(svc, e, err);
}

/* Stores m through messages->store, which checks the session, the
 * client_msg_id and takes the seq in one call (store/messages.h); m gets
 * its created_at and seq. The outcomes other than STORED become the API's
 * answers: a retry of a stored send moves that message into *previous and
 * sets *duplicate (previous NULL: a retry cannot happen, and is a
 * conflict); the rest are errors that end the unit. */
static parley_status store_message(parley_chat_service *svc, parley_message *m,
                                   parley_message *previous, bool *duplicate, parley_error *err) {
    m->created_at = parley_now_ms();
    parley_message_store_result result;
    parley_status st = svc->repo->messages->store(svc->repo, m, &result, err);
    if (st != PARLEY_OK) {
        return st;
    }
    switch (result.outcome) {
    case PARLEY_MESSAGE_STORED:
        m->seq = result.seq;
        return PARLEY_OK;
    case PARLEY_MESSAGE_DUPLICATE:
        if (previous != NULL) {
            *previous = result.previous;
            *duplicate = true;
            return PARLEY_OK;
        }
        parley_message_free(&result.previous);
        break;
    case PARLEY_MESSAGE_OTHER_SESSION:
        break;
    case PARLEY_MESSAGE_SESSION_CLOSED:
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
    case PARLEY_MESSAGE_SESSION_NOT_FOUND:
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");
    }
    return parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                            "client_msg_id was already used in another session");
}

parley_status parley_chat_store_prepared(parley_chat_service *svc, const parley_participant *caller,
                                         parley_message_draft *draft, parley_message *out,
                                         bool *duplicate, parley_error *err) {
    *duplicate = false;
    parley_message *m = &draft->message;
    if (draft->duplicate) {
        *duplicate = true;
        *out = *m;
        memset(m, 0, sizeof *m);
        return PARLEY_OK;
    }
    parley_session *session = &draft->session;
    parley_status st = PARLEY_OK;
    if (!draft->same_unit) {
        /* the world may have moved since the draft was made on another
         * thread: the caller may have lost the session (authorization is
         * the service's); the writer sees the latest committed state.
         * Whether it closed or a concurrent retry stored the same
         * client_msg_id, messages->store answers below. */
        parley_session_free(session);
        st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_MESSAGE_SEND, m->session_id,
                                          session, err);
        if (st == PARLEY_OK && draft->refused) {
            /* a refusal is kept only where a send could be stored */
            st =
                find_previous_send(svc, caller, session->id, m->client_msg_id, out, duplicate, err);
            if (st == PARLEY_OK && !*duplicate && session->status == PARLEY_SESSION_CLOSED) {
                st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
            }
        }
        if (st != PARLEY_OK || *duplicate) {
            return st;
        }
    }
    if (draft->refused) {
        return keep_for_review(svc, draft, err);
    }
    /* seq is taken in the same transaction that stores the message, so it
     * is gapless: a rollback gives the number back. */
    st = store_message(svc, m, out, duplicate, err);
    if (st != PARLEY_OK || *duplicate) {
        return st;
    }
    if (draft->attachment_id[0] != '\0') {
        /* claimed in the unit that stores the message: two sends racing
         * for one upload cannot both have it (the second is 409) */
        st = svc->repo->uploads->attach(svc->repo, draft->attachment_id, caller->id, m->id,
                                        session->id, err);
        if (st == PARLEY_E_CONFLICT) {
            st = attach_refused(svc, draft->attachment_id, err);
        }
    }
    if (st == PARLEY_OK && is_staff(caller) && session->first_response_at == 0) {
        /* reports' first response time: set once, by the first staff answer */
        st = svc->repo->sessions->set_first_response(svc->repo, session->id, m->created_at, err);
        session->first_response_at = m->created_at;
    }
    if (st == PARLEY_OK && is_staff(caller) && session->status == PARLEY_SESSION_WAITING) {
        /* the first agent to answer a waiting customer takes the chat */
        snprintf(session->agent_id, sizeof session->agent_id, "%s", caller->id);
        session->status = PARLEY_SESSION_ACTIVE;
        session->updated_at = m->created_at;
        st = svc->repo->sessions->update(svc->repo, session, err);
        if (st == PARLEY_OK) {
            session->last_seq = m->seq;
            st = emit_session_event(svc, PARLEY_EVENT_SESSION_UPDATED, session, err);
        }
    }
    if (st == PARLEY_OK) {
        /* the ChatBot hears of a customer's message from this event */
        st = emit_message_created(svc, session, m, err);
    }
    if (st == PARLEY_OK) {
        *out = *m;
        memset(m, 0, sizeof *m);
    }
    return st;
}

parley_status parley_chat_post_as(parley_chat_service *svc, const char *session_id,
                                  parley_participant_kind sender_kind, const char *sender_id,
                                  const char *text, const char *meta_json, parley_message *out,
                                  parley_error *err) {
    parley_session session = {0};
    parley_status st = svc->repo->sessions->get(svc->repo, session_id, &session, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_message m = {0};
    parley_id_new_timed("msg", m.id);
    snprintf(m.session_id, sizeof m.session_id, "%s", session.id);
    m.sender_kind = sender_kind;
    snprintf(m.sender_id, sizeof m.sender_id, "%s", sender_id != NULL ? sender_id : "");
    m.type = PARLEY_MESSAGE_TEXT;
    m.content = strdup(text);
    m.meta_json = meta_json != NULL ? strdup(meta_json) : NULL;
    if (m.content == NULL || (meta_json != NULL && m.meta_json == NULL)) {
        st = nomem(err);
    }
    if (st == PARLEY_OK) {
        st = store_message(svc, &m, NULL, NULL, err); /* no client_msg_id: never a retry */
    }
    if (st == PARLEY_OK) {
        st = emit_message_created(svc, &session, &m, err);
    }
    parley_session_free(&session);
    if (st == PARLEY_OK && out != NULL) {
        *out = m;
    } else {
        parley_message_free(&m);
    }
    return st;
}

parley_status parley_chat_post_system_message(parley_chat_service *svc, const char *session_id,
                                              const char *text, const char *meta_json,
                                              parley_message *out, parley_error *err) {
    return parley_chat_post_as(svc, session_id, PARLEY_PARTICIPANT_SYSTEM, NULL, text, meta_json,
                               out, err);
}

parley_status parley_chat_send(parley_chat_service *svc, const parley_participant *caller,
                               const char *session_id, const parley_message_input *in,
                               parley_message *out, bool *duplicate, parley_error *err) {
    parley_message_draft draft;
    *duplicate = false;
    parley_status st = parley_chat_prepare_send(svc, caller, session_id, in, &draft, err);
    draft.same_unit = true;
    if (st == PARLEY_OK) {
        st = parley_chat_store_prepared(svc, caller, &draft, out, duplicate, err);
        parley_message_draft_free(&draft);
    }
    return st;
}

parley_status parley_chat_get_message(parley_chat_service *svc, const parley_participant *caller,
                                      const char *message_id, parley_message *out,
                                      parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_MESSAGE_READ, err);
    if (st == PARLEY_OK) {
        st = svc->repo->messages->get(svc->repo, message_id, out, err);
    }
    if (st == PARLEY_OK) {
        parley_session session = {0};
        st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_MESSAGE_READ, out->session_id,
                                          &session, err);
        parley_session_free(&session);
        if (st != PARLEY_OK) {
            parley_message_free(out);
        }
    }
    return st == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such message")
               : st;
}

parley_status parley_chat_list_flagged(parley_chat_service *svc, const parley_participant *caller,
                                       int limit, const char *cursor, parley_flagged_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_FLAGGED_READ, err);
    return st != PARLEY_OK ? st
                           : svc->repo->strategy_stores->flagged_list(
                                 svc->repo, limit, cursor, out, next_cursor, next_cursor_size, err);
}

parley_status parley_chat_label_message(parley_chat_service *svc, const parley_participant *caller,
                                        const char *message_id, bool is_spam, bool *learnt,
                                        parley_error *err) {
    *learnt = false;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_MESSAGE_LABEL, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (svc->strategies->learn_spam == NULL) {
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "no spam filter learns here");
    }
    parley_flagged_message f = {0};
    parley_error lookup = {0};
    bool flagged =
        svc->repo->strategy_stores->flagged_get(svc->repo, message_id, &f, &lookup) == PARLEY_OK;
    if (!flagged) {
        st = svc->repo->messages->get(svc->repo, message_id, &f.message, err);
        if (st == PARLEY_E_NOT_FOUND) {
            return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such message");
        }
        if (st != PARLEY_OK) {
            return st;
        }
    }
    parley_session session = {0};
    st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_MESSAGE_LABEL,
                                      f.message.session_id, &session, err);
    parley_session_free(&session);
    /* learn from what the sender wrote, not from what a strategy made of it */
    const char *text =
        f.message.original_content != NULL ? f.message.original_content : f.message.content;
    const char *label = is_spam ? "spam" : "ham";
    /* the earlier label: a kept message carries it, a delivered one has
     * its own row; the same label again teaches nothing */
    char previous[8] = "";
    if (st == PARLEY_OK && flagged) {
        snprintf(previous, sizeof previous, "%s", f.reviewed_as);
    } else if (st == PARLEY_OK) {
        st = svc->repo->strategy_stores->message_label_get(svc->repo, message_id, previous,
                                                           sizeof previous, err);
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(err);
            st = PARLEY_OK;
        }
    }
    bool same = strcmp(previous, label) == 0;
    if (st == PARLEY_OK && previous[0] != '\0' && !same && svc->strategies->unlearn_spam != NULL) {
        st = svc->strategies->unlearn_spam(svc->strategies->learn_spam_ctx, text,
                                           strcmp(previous, "spam") == 0, svc->repo,
                                           &svc->after_commit, err);
    }
    if (st == PARLEY_OK && !same) {
        st = svc->strategies->learn_spam(svc->strategies->learn_spam_ctx, text, is_spam, svc->repo,
                                         &svc->after_commit, err);
        *learnt = st == PARLEY_OK;
    }
    if (st == PARLEY_OK && flagged) {
        st = svc->repo->strategy_stores->flagged_review(svc->repo, message_id, label, err);
    } else if (st == PARLEY_OK && !same) {
        st = svc->repo->strategy_stores->message_label_set(svc->repo, message_id, label, caller->id,
                                                           parley_now_ms(), err);
    }
    parley_flagged_message_free(&f);
    return st;
}

parley_status parley_chat_history(parley_chat_service *svc, const parley_participant *caller,
                                  const char *session_id, const parley_message_range *range,
                                  parley_message_list *out, parley_error *err) {
    parley_session session = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_MESSAGE_READ,
                                                    session_id, &session, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_session_free(&session);
    return svc->repo->messages->list(svc->repo, session_id, range, out, err);
}

parley_status parley_chat_store_routed_session(parley_chat_service *svc, parley_session *s,
                                               const char *actor_id, parley_error *err) {
    s->updated_at = parley_now_ms();
    parley_status st = svc->repo->sessions->update(svc->repo, s, err);
    if (st == PARLEY_OK) {
        st = svc->repo->desk->session_set_routing(svc->repo, s, err);
    }
    if (st == PARLEY_OK) {
        st =
            emit_session_event_by(svc, PARLEY_EVENT_SESSION_UPDATED, s,
                                  PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER, actor_id, err);
    }
    return st;
}
