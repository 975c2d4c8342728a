#include "core/chat_facade.h"

#include "core/lifecycle.h"

#include "core/audit.h"
#include "core/authorization.h"
#include "core/knowledge_base.h"
#include "core/settings.h"

#include <stdio.h>
#include <string.h>

void parley_facade_init(parley_facade *f, parley_repository *repo,
                        const parley_strategy_registry *strategies, const parley_config *config,
                        const parley_limits *limits) {
    memset(f, 0, sizeof *f);
    f->accounts.limits = limits;
    f->chat.limits = limits;
    f->accounts.repo = repo;
    f->accounts.config = config;
    f->chat.repo = repo;
    f->chat.strategies = strategies;
    f->chat.config = config;
}

void parley_facade_set_event_registry(parley_facade *f, const parley_event_registry *events) {
    f->chat.subscribers = events;
}

void parley_facade_destroy(parley_facade *f) {
    parley_event_queue_clear(&f->chat.events);
    parley_after_commit_discard(&f->chat.after_commit);
    f->accounts.repo = NULL;
    f->chat.repo = NULL;
}

parley_repository *parley_facade_repository(parley_facade *f) {
    return f->chat.repo;
}

void parley_facade_set_client_ip(parley_facade *f, const char *ip) {
    snprintf(f->accounts.client_ip, sizeof f->accounts.client_ip, "%s", ip != NULL ? ip : "");
}

/* Admin-side changes are audited by the same call. On batched routes that
 * is one unit of work (no entry, no change); the routes that run in the
 * pool for their password work (agent creation, login, logout) commit each
 * statement on its own, so there the entry follows the change. */
static parley_status audit(parley_facade *f, const parley_participant *actor, const char *action,
                           const char *target_id, json_t *detail, parley_error *err) {
    return parley_audit_record(f->accounts.repo, actor, action, target_id, f->accounts.client_ip,
                               detail, err);
}

void parley_facade_take_events(parley_facade *f, parley_event_queue *dst) {
    parley_event_queue_move(dst, &f->chat.events);
}

void parley_facade_take_after_commit(parley_facade *f, parley_after_commit *dst) {
    parley_after_commit_move(dst, &f->chat.after_commit);
}

bool parley_facade_after_commit(parley_facade *f, parley_after_commit_fn fn, void *ctx,
                                void (*free_ctx)(void *ctx)) {
    return parley_after_commit_add(&f->chat.after_commit, fn, ctx, free_ctx);
}

void parley_facade_drop_events(parley_facade *f) {
    parley_event_queue_clear(&f->chat.events);
    parley_after_commit_discard(&f->chat.after_commit);
}

parley_status parley_facade_authenticate(parley_facade *f, const char *bearer_token,
                                         parley_participant **caller, parley_error *err) {
    return parley_account_authenticate(&f->accounts, bearer_token, caller, err);
}

parley_status parley_facade_login(parley_facade *f, const char *email, const char *password,
                                  char token_out[PARLEY_TOKEN_SIZE], parley_agent *agent_out,
                                  parley_error *err) {
    return parley_account_login(&f->accounts, email, password, token_out, agent_out, err);
}

/* Closes every live connection of a participant whose access just ended. */
static parley_status revoke_connections_of(parley_facade *f, const char *owner_id,
                                           parley_error *err) {
    parley_event *e =
        parley_event_new(PARLEY_EVENT_TOKEN_REVOKED, PARLEY_AUDIENCE_OWNER, NULL, NULL);
    if (e != NULL) {
        snprintf(e->revoked.owner_id, sizeof e->revoked.owner_id, "%s", owner_id);
    }
    return parley_chat_emit(&f->chat, e, err);
}

parley_status parley_facade_logout(parley_facade *f, const parley_participant *caller,
                                   parley_error *err) {
    parley_status st = parley_account_revoke(&f->accounts, caller->token_hash, err);
    if (st == PARLEY_OK) {
        st = audit(f, caller, "logout", caller->id, NULL, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    /* open WebSockets authenticated by this token must stop working too */
    parley_event *e =
        parley_event_new(PARLEY_EVENT_TOKEN_REVOKED, PARLEY_AUDIENCE_TOKEN, NULL, NULL);
    if (e != NULL) {
        snprintf(e->revoked.token_hash, sizeof e->revoked.token_hash, "%s", caller->token_hash);
    }
    return parley_chat_emit(&f->chat, e, err);
}

parley_status parley_facade_create_agent(parley_facade *f, const parley_participant *caller,
                                         const parley_agent_input *in, parley_agent *out,
                                         parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AGENT_CREATE, err);
    if (st == PARLEY_OK) {
        st = parley_account_create_agent(&f->accounts, in, out, err);
    }
    if (st == PARLEY_OK &&
        (st = audit(f, caller, "agent.create", out->id,
                    json_pack("{s:s}", "role", parley_agent_role_name(out->role)), err)) !=
            PARLEY_OK) {
        parley_agent_free(out);
    }
    return st;
}

parley_status parley_facade_list_agents(parley_facade *f, const parley_participant *caller,
                                        parley_agent_list *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AGENT_LIST, err);
    if (st != PARLEY_OK) {
        return st;
    }
    return f->accounts.repo->accounts->agent_list(f->accounts.repo, out, err);
}

parley_status parley_facade_create_bot(parley_facade *f, const parley_participant *caller,
                                       const char *name, parley_bot *out,
                                       char token_out[PARLEY_TOKEN_SIZE], parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_BOT_CREATE, err);
    if (st == PARLEY_OK) {
        st = parley_account_create_bot(&f->accounts, name, out, token_out, err);
    }
    if (st == PARLEY_OK && (st = audit(f, caller, "bot.create", out->id, NULL, err)) != PARLEY_OK) {
        parley_bot_free(out);
    }
    return st;
}

parley_status parley_facade_register_customer(parley_facade *f, const parley_customer_input *in,
                                              parley_customer *out, bool *existing,
                                              char token_out[PARLEY_TOKEN_SIZE],
                                              parley_error *err) {
    return parley_account_register_customer(&f->accounts, in, out, existing, token_out, err);
}

parley_status parley_facade_initiate_chat(parley_facade *f, const parley_participant *caller,
                                          const char *topic, const char *strategies_json,
                                          parley_session *out, parley_error *err) {
    return parley_chat_initiate(&f->chat, caller, topic, strategies_json, out, err);
}

parley_status parley_facade_get_session(parley_facade *f, const parley_participant *caller,
                                        const char *session_id, parley_session *out,
                                        parley_error *err) {
    return parley_chat_get_session(&f->chat, caller, session_id, out, err);
}

parley_status parley_facade_list_sessions(parley_facade *f, const parley_participant *caller,
                                          parley_session_filter *filter, parley_session_list *out,
                                          char *next_cursor, size_t next_cursor_size,
                                          parley_error *err) {
    return parley_chat_list_sessions(&f->chat, caller, filter, out, next_cursor, next_cursor_size,
                                     err);
}

parley_status parley_facade_assign_agent(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, const char *agent_id,
                                         parley_session *out, parley_error *err) {
    return parley_chat_assign(&f->chat, caller, session_id, agent_id, out, err);
}

parley_status parley_facade_attach_bot(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, const char *bot_id,
                                       parley_session *out, parley_error *err) {
    parley_session before = {0};
    parley_status st = parley_chat_get_session(&f->chat, caller, session_id, &before, err);
    if (st == PARLEY_OK) {
        st = parley_chat_attach_bot(&f->chat, caller, session_id, bot_id, out, err);
    }
    /* A bot that lost the session loses it at once, live subscription
     * included: its sockets close and it may come back only to sessions it
     * is still attached to. */
    if (st == PARLEY_OK && before.bot_id[0] != '\0' && strcmp(before.bot_id, out->bot_id) != 0 &&
        (st = revoke_connections_of(f, before.bot_id, err)) != PARLEY_OK) {
        parley_session_free(out);
    }
    parley_session_free(&before);
    return st;
}

parley_status parley_facade_close_session(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, parley_session *out,
                                          parley_error *err) {
    return parley_chat_close(&f->chat, caller, session_id, out, err);
}

parley_status parley_facade_send_message(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, const parley_message_input *in,
                                         parley_message *out, bool *duplicate, parley_error *err) {
    return parley_chat_send(&f->chat, caller, session_id, in, out, duplicate, err);
}

parley_status parley_facade_prepare_message(parley_facade *f, const parley_participant *caller,
                                            const char *session_id, const parley_message_input *in,
                                            parley_message_draft *draft, parley_error *err) {
    return parley_chat_prepare_send(&f->chat, caller, session_id, in, draft, err);
}

parley_status parley_facade_store_message(parley_facade *f, const parley_participant *caller,
                                          parley_message_draft *draft, parley_message *out,
                                          bool *duplicate, parley_error *err) {
    return parley_chat_store_prepared(&f->chat, caller, draft, out, duplicate, err);
}

parley_status parley_facade_get_message(parley_facade *f, const parley_participant *caller,
                                        const char *message_id, parley_message *out,
                                        parley_error *err) {
    return parley_chat_get_message(&f->chat, caller, message_id, out, err);
}

parley_status parley_facade_list_flagged(parley_facade *f, const parley_participant *caller,
                                         int limit, const char *cursor, parley_flagged_list *out,
                                         char *next_cursor, size_t next_cursor_size,
                                         parley_error *err) {
    return parley_chat_list_flagged(&f->chat, caller, limit, cursor, out, next_cursor,
                                    next_cursor_size, err);
}

parley_status parley_facade_label_message(parley_facade *f, const parley_participant *caller,
                                          const char *message_id, bool is_spam, bool *learnt,
                                          parley_error *err) {
    return parley_chat_label_message(&f->chat, caller, message_id, is_spam, learnt, err);
}

parley_status parley_facade_get_chat_history(parley_facade *f, const parley_participant *caller,
                                             const char *session_id,
                                             const parley_message_range *range,
                                             parley_message_list *out, parley_error *err) {
    return parley_chat_history(&f->chat, caller, session_id, range, out, err);
}

parley_status parley_facade_create_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, const char *issue_description,
                                          parley_ticket *out, parley_error *err) {
    return parley_chat_create_ticket(&f->chat, caller, session_id, issue_description, out, err);
}

parley_status parley_facade_get_ticket(parley_facade *f, const parley_participant *caller,
                                       const char *ticket_id, parley_ticket *out,
                                       parley_error *err) {
    return parley_chat_get_ticket(&f->chat, caller, ticket_id, out, err);
}

parley_status parley_facade_list_tickets(parley_facade *f, const parley_participant *caller,
                                         parley_ticket_filter *filter, parley_ticket_list *out,
                                         char *next_cursor, size_t next_cursor_size,
                                         parley_error *err) {
    return parley_chat_list_tickets(&f->chat, caller, filter, out, next_cursor, next_cursor_size,
                                    err);
}

parley_status parley_facade_update_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *ticket_id, const char *status,
                                          parley_ticket *out, parley_error *err) {
    return parley_chat_update_ticket(&f->chat, caller, ticket_id, status, out, err);
}

parley_status parley_facade_submit_feedback(parley_facade *f, const parley_participant *caller,
                                            const char *session_id, int64_t rating,
                                            const char *comment, parley_feedback *out,
                                            parley_error *err) {
    return parley_chat_submit_feedback(&f->chat, caller, session_id, rating, comment, out, err);
}

parley_status parley_facade_get_feedback(parley_facade *f, const parley_participant *caller,
                                         const char *session_id, parley_feedback *out,
                                         parley_error *err) {
    return parley_chat_get_feedback(&f->chat, caller, session_id, out, err);
}

parley_status parley_facade_update_agent(parley_facade *f, const parley_participant *caller,
                                         const char *agent_id, const parley_agent_changes *changes,
                                         parley_agent *out, parley_error *err) {
    bool revoked = false;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AGENT_UPDATE, err);
    if (st == PARLEY_OK) {
        st = parley_account_update_agent(&f->accounts, agent_id, changes, out, &revoked, err);
    }
    if (st == PARLEY_OK && revoked) {
        st = revoke_connections_of(f, agent_id, err);
    }
    if (st == PARLEY_OK) {
        json_t *detail = json_object();
        if (changes->role != NULL) {
            json_object_set_new(detail, "role", json_string(changes->role));
        }
        if (changes->active >= 0) {
            json_object_set_new(detail, "active", json_boolean(changes->active));
        }
        if (changes->name != NULL) {
            json_object_set_new(detail, "name_changed", json_true());
        }
        st = audit(f, caller, "agent.update", agent_id, detail, err);
        if (st != PARLEY_OK) {
            parley_agent_free(out);
        }
    }
    return st;
}

parley_status parley_facade_list_bots(parley_facade *f, const parley_participant *caller,
                                      parley_bot_list *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_BOT_LIST, err);
    return st != PARLEY_OK ? st : f->accounts.repo->accounts->bot_list(f->accounts.repo, out, err);
}

parley_status parley_facade_revoke_bot(parley_facade *f, const parley_participant *caller,
                                       const char *bot_id, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_BOT_REVOKE, err);
    if (st == PARLEY_OK) {
        st = parley_account_revoke_bot(&f->accounts, bot_id, err);
    }
    if (st == PARLEY_OK) {
        st = audit(f, caller, "bot.revoke", bot_id, NULL, err);
    }
    return st != PARLEY_OK ? st : revoke_connections_of(f, bot_id, err);
}

parley_status parley_facade_list_audit(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, parley_audit_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AUDIT_READ, err);
    return st != PARLEY_OK ? st
                           : f->accounts.repo->audit->list(f->accounts.repo, limit, cursor, out,
                                                           next_cursor, next_cursor_size, err);
}

static parley_status settings_answer(parley_facade *f, json_t **out, parley_error *err) {
    json_t *all = NULL;
    parley_status st = parley_settings_all(f->chat.repo, &all, err);
    if (st == PARLEY_OK) {
        *out = json_pack("{s:o, s:o}", "settings", all, "schema", parley_settings_describe());
        st =
            *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return st;
}

parley_status parley_facade_get_settings(parley_facade *f, const parley_participant *caller,
                                         json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_SETTINGS_READ, err);
    return st != PARLEY_OK ? st : settings_answer(f, out, err);
}

parley_status parley_facade_update_settings(parley_facade *f, const parley_participant *caller,
                                            json_t *patch, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_SETTINGS_UPDATE, err);
    if (st == PARLEY_OK) {
        st = parley_settings_update(f->chat.repo, caller, f->accounts.client_ip, patch, err);
    }
    if (st == PARLEY_OK) {
        st = settings_answer(f, out, err);
    }
    if (st == PARLEY_OK) {
        /* the event's own copy: the answer's object stays this thread's */
        parley_event *e =
            parley_event_new(PARLEY_EVENT_SETTINGS_UPDATED, PARLEY_AUDIENCE_AGENTS, NULL, NULL);
        if (e != NULL &&
            (e->settings = json_deep_copy(json_object_get(*out, "settings"))) == NULL) {
            parley_event_free(e);
            e = NULL;
        }
        st = parley_chat_emit(&f->chat, e, err);
    }
    if (st != PARLEY_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return st;
}

/* ---- the ChatBot's knowledge base ------------------------------------------ */

static parley_status kb_changed_after_commit(parley_facade *f, parley_error *err) {
    return parley_facade_after_commit(f, parley_kb_changed, NULL, NULL)
               ? PARLEY_OK
               : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

parley_status parley_facade_kb_create(parley_facade *f, const parley_participant *caller,
                                      const json_t *body, parley_kb_entry *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_EDIT, err);
    if (st == PARLEY_OK) {
        st = parley_kb_create(f->chat.repo, caller, body, out, err);
    }
    if (st == PARLEY_OK && ((st = audit(f, caller, "kb.create", out->id, NULL, err)) != PARLEY_OK ||
                            (st = kb_changed_after_commit(f, err)) != PARLEY_OK)) {
        parley_kb_entry_free(out);
    }
    return st;
}

parley_status parley_facade_kb_update(parley_facade *f, const parley_participant *caller,
                                      const char *id, const json_t *patch, parley_kb_entry *out,
                                      parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_EDIT, err);
    if (st == PARLEY_OK) {
        st = parley_kb_update(f->chat.repo, id, patch, out, err);
    }
    if (st == PARLEY_OK && ((st = audit(f, caller, "kb.update", id, NULL, err)) != PARLEY_OK ||
                            (st = kb_changed_after_commit(f, err)) != PARLEY_OK)) {
        parley_kb_entry_free(out);
    }
    return st;
}

parley_status parley_facade_kb_delete(parley_facade *f, const parley_participant *caller,
                                      const char *id, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_EDIT, err);
    if (st == PARLEY_OK) {
        st = parley_kb_delete(f->chat.repo, id, err);
    }
    if (st == PARLEY_OK) {
        st = audit(f, caller, "kb.delete", id, NULL, err);
    }
    return st != PARLEY_OK ? st : kb_changed_after_commit(f, err);
}

parley_status parley_facade_kb_get(parley_facade *f, const parley_participant *caller,
                                   const char *id, parley_kb_entry *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_READ, err);
    return st != PARLEY_OK ? st : parley_kb_get(f->chat.repo, id, out, err);
}

parley_status parley_facade_kb_list(parley_facade *f, const parley_participant *caller, int limit,
                                    const char *cursor, parley_kb_list *out, char *next_cursor,
                                    size_t next_cursor_size, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_READ, err);
    return st != PARLEY_OK ? st
                           : f->chat.repo->kb->list(f->chat.repo, limit, cursor, out, next_cursor,
                                                    next_cursor_size, err);
}

parley_status parley_facade_kb_search(parley_facade *f, const parley_participant *caller,
                                      const char *q, int limit, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_KB_READ, err);
    return st != PARLEY_OK ? st : parley_kb_search(f->chat.repo, q, limit, 0.0, out, err);
}

/* ---- the ChatBot's turns ------------------------------------------------------ */

parley_status parley_facade_bot_prepare(parley_facade *f, parley_bot_turn *turn,
                                        parley_error *err) {
    return parley_bot_turn_prepare(&f->chat, turn, err);
}

parley_status parley_facade_bot_apply(parley_facade *f, parley_bot_turn *turn, parley_error *err) {
    bool handed_off = false;
    parley_status st = parley_bot_turn_apply(&f->chat, turn, &handed_off, err);
    return st == PARLEY_OK && handed_off ? revoke_connections_of(f, turn->bot_id, err) : st;
}

parley_status parley_facade_admit_upload(parley_facade *f, const parley_participant *caller,
                                         parley_error *err) {
    return parley_upload_admit(&f->chat, caller, err);
}

parley_status parley_facade_record_upload(parley_facade *f, const parley_participant *caller,
                                          const parley_upload_input *in, parley_upload *out,
                                          parley_error *err) {
    return parley_upload_record(&f->chat, caller, in, out, err);
}

parley_status parley_facade_get_upload(parley_facade *f, const parley_participant *caller,
                                       const char *upload_id, parley_upload *out,
                                       parley_error *err) {
    return parley_upload_get(&f->chat, caller, upload_id, out, err);
}

parley_status parley_facade_transcript(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, parley_transcript_format format,
                                       char **out, size_t *out_len, parley_session *session_out,
                                       parley_error *err) {
    return parley_chat_transcript(&f->chat, caller, session_id, format, out, out_len, session_out,
                                  err);
}

/* --- presence, routing, teams -------------------------------------------- */

parley_status parley_facade_set_presence(parley_facade *f, const parley_participant *caller,
                                         const char *status, parley_agent *out, bool *changed,
                                         parley_error *err) {
    return parley_presence_set(&f->chat, caller, status, out, changed, err);
}

parley_status parley_facade_presence_disconnected(parley_facade *f, const char *agent_id,
                                                  parley_error *err) {
    return parley_presence_disconnected(&f->chat, agent_id, err);
}

int64_t parley_facade_presence_grace_ms(parley_facade *f) {
    return parley_presence_grace_ms(&f->chat);
}

parley_status parley_facade_dispatch(parley_facade *f, parley_dispatch_result *out,
                                     parley_error *err) {
    return parley_routing_dispatch(&f->chat, out, err);
}

parley_status parley_facade_initiate_chat_in_team(parley_facade *f,
                                                  const parley_participant *caller,
                                                  const char *topic, const char *strategies_json,
                                                  const char *team_id, parley_session *out,
                                                  parley_error *err) {
    return parley_chat_initiate_in_team(&f->chat, caller, topic, strategies_json, team_id, out,
                                        err);
}

parley_status parley_facade_queue_info(parley_facade *f, const parley_session *s, json_t **out,
                                       parley_error *err) {
    return parley_routing_queue_info(&f->chat, s, out, err);
}

parley_status parley_facade_list_queue(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, json_t **out,
                                       parley_error *err) {
    return parley_routing_list_queue(&f->chat, caller, limit, cursor, out, err);
}

parley_status parley_facade_transfer_session(parley_facade *f, const parley_participant *caller,
                                             const char *session_id, const char *agent_id,
                                             const char *team_id, parley_session *out,
                                             parley_error *err) {
    return parley_routing_transfer(&f->chat, caller, session_id, agent_id, team_id, out, err);
}

parley_status parley_facade_unassign_session(parley_facade *f, const parley_participant *caller,
                                             const char *session_id, parley_session *out,
                                             parley_error *err) {
    return parley_routing_unassign(&f->chat, caller, session_id, out, err);
}

static parley_status audit_team(parley_facade *f, const parley_participant *caller,
                                const char *action, const char *team_id, json_t *detail,
                                parley_error *err) {
    return audit(f, caller, action, team_id, detail, err);
}

parley_status parley_facade_create_team(parley_facade *f, const parley_participant *caller,
                                        const char *name, const json_t *topics, parley_team *out,
                                        parley_error *err) {
    parley_status st = parley_team_create(&f->chat, caller, name, topics, out, err);
    if (st == PARLEY_OK &&
        (st = audit_team(f, caller, "team.create", out->id, NULL, err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_update_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, const char *name, const json_t *topics,
                                        parley_team *out, parley_error *err) {
    parley_status st = parley_team_update(&f->chat, caller, team_id, name, topics, out, err);
    if (st == PARLEY_OK &&
        (st = audit_team(f, caller, "team.update", out->id, NULL, err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_delete_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, parley_error *err) {
    parley_status st = parley_team_delete(&f->chat, caller, team_id, err);
    return st == PARLEY_OK ? audit_team(f, caller, "team.delete", team_id, NULL, err) : st;
}

parley_status parley_facade_get_team(parley_facade *f, const parley_participant *caller,
                                     const char *team_id, parley_team *out, parley_error *err) {
    return parley_team_get(&f->chat, caller, team_id, out, err);
}

parley_status parley_facade_list_teams(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, parley_team_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    return parley_teams_list(&f->chat, caller, limit, cursor, out, next_cursor, next_cursor_size,
                             err);
}

parley_status parley_facade_add_team_member(parley_facade *f, const parley_participant *caller,
                                            const char *team_id, const char *agent_id, bool *added,
                                            parley_team *out, parley_error *err) {
    parley_status st = parley_team_add_member(&f->chat, caller, team_id, agent_id, added, out, err);
    if (st == PARLEY_OK && *added &&
        (st = audit_team(f, caller, "team.member_add", team_id,
                         json_pack("{s:s}", "agent_id", agent_id), err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_remove_team_member(parley_facade *f, const parley_participant *caller,
                                               const char *team_id, const char *agent_id,
                                               parley_team *out, parley_error *err) {
    parley_status st = parley_team_remove_member(&f->chat, caller, team_id, agent_id, out, err);
    if (st == PARLEY_OK &&
        (st = audit_team(f, caller, "team.member_remove", team_id,
                         json_pack("{s:s}", "agent_id", agent_id), err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

/* ---- the agent tools: straight to core/agent_tools.c ---------------------- */

parley_status parley_facade_canned_create(parley_facade *f, const parley_participant *caller,
                                          const parley_canned_input *in, json_t **out,
                                          parley_error *err) {
    return parley_tools_canned_create(&f->chat, caller, in, out, err);
}

parley_status parley_facade_canned_get(parley_facade *f, const parley_participant *caller,
                                       const char *id, json_t **out, parley_error *err) {
    return parley_tools_canned_get(&f->chat, caller, id, out, err);
}

parley_status parley_facade_canned_update(parley_facade *f, const parley_participant *caller,
                                          const char *id, const parley_canned_input *patch,
                                          json_t **out, parley_error *err) {
    return parley_tools_canned_update(&f->chat, caller, id, patch, out, err);
}

parley_status parley_facade_canned_delete(parley_facade *f, const parley_participant *caller,
                                          const char *id, parley_error *err) {
    return parley_tools_canned_delete(&f->chat, caller, id, err);
}

parley_status parley_facade_canned_list(parley_facade *f, const parley_participant *caller,
                                        const char *prefix, int limit, const char *cursor,
                                        json_t **items, char *next_cursor, size_t next_cursor_size,
                                        parley_error *err) {
    return parley_tools_canned_list(&f->chat, caller, prefix, limit, cursor, items, next_cursor,
                                    next_cursor_size, err);
}

parley_status parley_facade_note_create(parley_facade *f, const parley_participant *caller,
                                        const char *session_id, const char *content, json_t **out,
                                        parley_error *err) {
    return parley_tools_note_create(&f->chat, caller, session_id, content, out, err);
}

parley_status parley_facade_note_list(parley_facade *f, const parley_participant *caller,
                                      const char *session_id, int limit, const char *cursor,
                                      json_t **items, char *next_cursor, size_t next_cursor_size,
                                      parley_error *err) {
    return parley_tools_note_list(&f->chat, caller, session_id, limit, cursor, items, next_cursor,
                                  next_cursor_size, err);
}

parley_status parley_facade_mark_read(parley_facade *f, const parley_participant *caller,
                                      const char *session_id, int64_t seq, json_t **out,
                                      parley_error *err) {
    return parley_tools_mark_read(&f->chat, caller, session_id, seq, out, err);
}

parley_status parley_facade_read_state(parley_facade *f, const parley_participant *caller,
                                       const char *session_id, json_t **out, parley_error *err) {
    return parley_tools_read_state(&f->chat, caller, session_id, out, err);
}

parley_status parley_facade_label_create(parley_facade *f, const parley_participant *caller,
                                         const char *name, const char *color, json_t **out,
                                         parley_error *err) {
    return parley_tools_label_create(&f->chat, caller, name, color, out, err);
}

parley_status parley_facade_label_list(parley_facade *f, const parley_participant *caller,
                                       int limit, const char *cursor, json_t **items,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    return parley_tools_label_list(&f->chat, caller, limit, cursor, items, next_cursor,
                                   next_cursor_size, err);
}

parley_status parley_facade_label_delete(parley_facade *f, const parley_participant *caller,
                                         const char *name, parley_error *err) {
    return parley_tools_label_delete(&f->chat, caller, name, err);
}

parley_status parley_facade_session_label(parley_facade *f, const parley_participant *caller,
                                          const char *session_id, const char *label, bool add,
                                          parley_session *out, parley_error *err) {
    return parley_tools_session_label(&f->chat, caller, session_id, label, add, out, err);
}

parley_status parley_facade_search(parley_facade *f, const parley_participant *caller,
                                   const char *q, const char *session_id, int limit,
                                   const char *cursor, json_t **items, char *next_cursor,
                                   size_t next_cursor_size, parley_error *err) {
    return parley_tools_search(&f->chat, caller, q, session_id, limit, cursor, items, next_cursor,
                               next_cursor_size, err);
}

parley_status parley_facade_unread_counts(parley_facade *f, const parley_participant *caller,
                                          const parley_session *sessions, size_t n, int64_t *out,
                                          parley_error *err) {
    return parley_tools_unread_counts(&f->chat, caller, sessions, n, out, err);
}

parley_status parley_facade_open_ticket(parley_facade *f, const parley_participant *caller,
                                        const parley_ticket_input *in, parley_ticket *out,
                                        parley_error *err) {
    return parley_chat_open_ticket(&f->chat, caller, in, out, err);
}

parley_status parley_facade_change_ticket(parley_facade *f, const parley_participant *caller,
                                          const char *ticket_id, const parley_ticket_changes *in,
                                          parley_ticket *out, parley_error *err) {
    return parley_chat_change_ticket(&f->chat, caller, ticket_id, in, out, err);
}

parley_status parley_facade_add_ticket_note(parley_facade *f, const parley_participant *caller,
                                            const char *ticket_id, const char *body,
                                            parley_ticket_note *out, parley_error *err) {
    return parley_chat_add_ticket_note(&f->chat, caller, ticket_id, body, out, err);
}

parley_status parley_facade_list_ticket_notes(parley_facade *f, const parley_participant *caller,
                                              const char *ticket_id, int limit, const char *cursor,
                                              parley_ticket_note_list *out, char *next_cursor,
                                              size_t next_cursor_size, parley_error *err) {
    return parley_chat_list_ticket_notes(&f->chat, caller, ticket_id, limit, cursor, out,
                                         next_cursor, next_cursor_size, err);
}

parley_status parley_facade_list_feedback(parley_facade *f, const parley_participant *caller,
                                          const parley_feedback_filter *filter,
                                          parley_feedback_list *out, char *next_cursor,
                                          size_t next_cursor_size, parley_error *err) {
    return parley_chat_list_feedback(&f->chat, caller, filter, out, next_cursor, next_cursor_size,
                                     err);
}

parley_status parley_facade_report(parley_facade *f, const parley_participant *caller,
                                   parley_report_kind kind, const parley_report_range *range,
                                   json_t **out, parley_error *err) {
    return parley_report_run(f->chat.repo, caller, kind, range, out, err);
}

parley_status parley_facade_close_idle_sessions(parley_facade *f, parley_time_ms now,
                                                size_t *closed, parley_error *err) {
    return parley_lifecycle_close_idle(&f->chat, now, closed, err);
}

parley_status parley_facade_index_messages(parley_facade *f, int64_t *indexed, parley_error *err) {
    return parley_tools_index_messages(&f->chat, indexed, err);
}

parley_status parley_facade_run_retention(parley_facade *f, const parley_retention_policy *policy,
                                          parley_time_ms now, parley_retention_remove_fn remove,
                                          void *remove_ctx, parley_retention_counts *counts,
                                          parley_error *err) {
    return parley_retention_run(f->chat.repo, policy, now, remove, remove_ctx,
                                &f->chat.after_commit, counts, err);
}
