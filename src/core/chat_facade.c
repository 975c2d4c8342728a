#include "core/chat_facade.h"

#include "core/audit.h"
#include "core/authorization.h"
#include "core/knowledge_base.h"
#include "core/settings.h"
#include "core/strategy_policy.h"
#include "core/team_policy.h"

#include <stdio.h>
#include <stdlib.h>
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

parley_chat_service *parley_facade_chat(parley_facade *f) {
    return &f->chat;
}

parley_account_service *parley_facade_accounts(parley_facade *f) {
    return &f->accounts;
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

parley_status parley_facade_reset_password(parley_facade *f, const parley_participant *caller,
                                           const char *agent_id, const char *password,
                                           parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AGENT_PASSWORD_RESET, err);
    if (st == PARLEY_OK) {
        st = parley_account_reset_password(&f->accounts, agent_id, password, err);
    }
    if (st == PARLEY_OK) {
        st = revoke_connections_of(f, agent_id, err);
    }
    return st == PARLEY_OK ? audit(f, caller, "agent.password_reset", agent_id, NULL, err) : st;
}

parley_status parley_facade_change_password(parley_facade *f, const parley_participant *caller,
                                            const char *current_password, const char *new_password,
                                            parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_PASSWORD_CHANGE, err);
    if (st == PARLEY_OK) {
        st = parley_account_change_password(&f->accounts, caller->id, current_password,
                                            new_password, caller->token_hash, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    /* every other device signs out; the caller's own sockets stay */
    parley_event *e =
        parley_event_new(PARLEY_EVENT_TOKEN_REVOKED, PARLEY_AUDIENCE_OWNER, NULL, NULL);
    if (e != NULL) {
        snprintf(e->revoked.owner_id, sizeof e->revoked.owner_id, "%s", caller->id);
        snprintf(e->revoked.keep_token_hash, sizeof e->revoked.keep_token_hash, "%s",
                 caller->token_hash);
    }
    st = parley_chat_emit(&f->chat, e, err);
    return st == PARLEY_OK ? audit(f, caller, "agent.password_change", caller->id, NULL, err) : st;
}

parley_status parley_facade_confirm_password_reset(parley_facade *f, const char *token,
                                                   const char *password, parley_error *err) {
    char agent_id[PARLEY_ID_SIZE];
    parley_status st =
        parley_account_confirm_password_reset(&f->accounts, token, password, agent_id, err);
    return st == PARLEY_OK ? revoke_connections_of(f, agent_id, err) : st;
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
                                       const char *action, const char *actor_id, int limit,
                                       const char *cursor, parley_audit_list *out,
                                       char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_AUDIT_READ, err);
    return st != PARLEY_OK
               ? st
               : f->accounts.repo->audit->list(f->accounts.repo, action, actor_id, limit, cursor,
                                               out, next_cursor, next_cursor_size, err);
}

parley_status parley_facade_update_contact(parley_facade *f, const parley_participant *caller,
                                           const char *contact_id,
                                           const parley_contact_changes *changes,
                                           parley_contact *out, parley_error *err) {
    parley_status st =
        parley_contacts_update(f->accounts.repo, caller, contact_id, changes, out, err);
    if (st != PARLEY_OK) {
        return st;
    }
    json_t *fields = json_array();
    const char *names[] = {changes->name != NULL ? "name" : NULL,
                           changes->email_set ? "email" : NULL,
                           changes->language_set ? "language" : NULL,
                           changes->attributes != NULL ? "attributes" : NULL};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i] != NULL) {
            json_array_append_new(fields, json_string(names[i]));
        }
    }
    st = audit(f, caller, "contact.update", contact_id, json_pack("{s:o}", "changed", fields), err);
    if (st != PARLEY_OK) {
        parley_contact_free(out);
    }
    return st;
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
    const json_t *policy = json_object_get(patch, "strategies.policy");
    if (st == PARLEY_OK && json_is_object(policy)) {
        /* the chain is built against the registry before it is stored */
        st = parley_strategy_policy_check(f->chat.strategies, policy,
                                          f->chat.config->default_strategies, err);
    }
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

parley_status parley_facade_reapply_strategy_policy(parley_facade *f,
                                                    const parley_participant *caller,
                                                    parley_reapply_progress *progress, json_t **out,
                                                    parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_SETTINGS_UPDATE, err);
    json_t *policy = NULL;
    if (st == PARLEY_OK) {
        st = parley_settings_get(f->chat.repo, "strategies.policy", &policy, err);
    }
    static const parley_session_status open_states[] = {PARLEY_SESSION_WAITING,
                                                        PARLEY_SESSION_ACTIVE};
    size_t left = PARLEY_REAPPLY_PAGE;
    while (st == PARLEY_OK && left > 0 &&
           progress->pass < (int)(sizeof open_states / sizeof open_states[0])) {
        /* sessions->list gives at most 200 a call */
        parley_session_filter filter = {.status = (int)open_states[progress->pass],
                                        .limit = left < 200 ? (int)left : 200};
        snprintf(filter.cursor, sizeof filter.cursor, "%s", progress->cursor);
        parley_session_list page = {0};
        char next[sizeof filter.cursor] = "";
        st = f->chat.repo->sessions->list(f->chat.repo, &filter, &page, next, sizeof next, err);
        for (size_t i = 0; st == PARLEY_OK && i < page.count; i++) {
            bool changed = false;
            st = parley_team_policy_apply(&f->chat, policy, &page.items[i], &changed, err);
            progress->checked++;
            progress->updated += changed ? 1 : 0;
        }
        left -= page.count < left ? page.count : left;
        parley_session_list_free(&page);
        snprintf(progress->cursor, sizeof progress->cursor, "%s", next);
        if (next[0] == '\0') {
            progress->pass++; /* this state listed to its end */
        }
    }
    json_decref(policy);
    if (st != PARLEY_OK || progress->pass < (int)(sizeof open_states / sizeof open_states[0])) {
        return st; /* failed, or more pages for the next unit */
    }
    json_int_t checked = (json_int_t)progress->checked;
    json_int_t updated = (json_int_t)progress->updated;
    st = parley_audit_record(
        f->chat.repo, caller, "strategies.reapply", NULL, f->accounts.client_ip,
        json_pack("{s:I, s:I}", "sessions_checked", checked, "sessions_updated", updated), err);
    if (st == PARLEY_OK) {
        *out = json_pack("{s:I, s:I}", "sessions_checked", checked, "sessions_updated", updated);
        st =
            *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
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

parley_status parley_facade_bot_apply(parley_facade *f, parley_bot_turn *turn, parley_error *err) {
    bool handed_off = false;
    parley_status st = parley_bot_turn_apply(&f->chat, turn, &handed_off, err);
    return st == PARLEY_OK && handed_off ? revoke_connections_of(f, turn->bot_id, err) : st;
}

parley_status parley_facade_create_team(parley_facade *f, const parley_participant *caller,
                                        const char *name, const json_t *topics, parley_team *out,
                                        parley_error *err) {
    parley_status st = parley_team_create(&f->chat, caller, name, topics, out, err);
    if (st == PARLEY_OK &&
        (st = audit(f, caller, "team.create", out->id, NULL, err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_update_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, const char *name, const json_t *topics,
                                        parley_team *out, parley_error *err) {
    parley_status st = parley_team_update(&f->chat, caller, team_id, name, topics, out, err);
    if (st == PARLEY_OK &&
        (st = audit(f, caller, "team.update", out->id, NULL, err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_delete_team(parley_facade *f, const parley_participant *caller,
                                        const char *team_id, parley_error *err) {
    parley_status st = parley_team_delete(&f->chat, caller, team_id, err);
    return st == PARLEY_OK ? audit(f, caller, "team.delete", team_id, NULL, err) : st;
}

parley_status parley_facade_add_team_member(parley_facade *f, const parley_participant *caller,
                                            const char *team_id, const char *agent_id, bool *added,
                                            parley_team *out, parley_error *err) {
    parley_status st = parley_team_add_member(&f->chat, caller, team_id, agent_id, added, out, err);
    if (st == PARLEY_OK && *added &&
        (st = audit(f, caller, "team.member_add", team_id, json_pack("{s:s}", "agent_id", agent_id),
                    err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_remove_team_member(parley_facade *f, const parley_participant *caller,
                                               const char *team_id, const char *agent_id,
                                               parley_team *out, parley_error *err) {
    parley_status st = parley_team_remove_member(&f->chat, caller, team_id, agent_id, out, err);
    if (st == PARLEY_OK &&
        (st = audit(f, caller, "team.member_remove", team_id,
                    json_pack("{s:s}", "agent_id", agent_id), err)) != PARLEY_OK) {
        parley_team_free(out);
    }
    return st;
}

parley_status parley_facade_run_retention(parley_facade *f, const parley_retention_policy *policy,
                                          parley_time_ms now, parley_retention_remove_fn remove,
                                          void *remove_ctx, parley_retention_counts *counts,
                                          parley_error *err) {
    return parley_retention_run(f->chat.repo, policy, now, remove, remove_ctx,
                                &f->chat.after_commit, counts, err);
}
