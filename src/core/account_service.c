#include "core/account_service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/participant_factory.h"
#include "core/password.h"
#include "core/notifications.h"
#include "core/resume_link.h"
#include "util/log.h"
#include "util/validate.h"

parley_status parley_check_email(const char *email, bool required, parley_error *err) {
    parley_status st = parley_check_text("email", email, required, 3, 254, err);
    if (st != PARLEY_OK || email == NULL) {
        return st;
    }
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || at[1] == '\0' || strchr(email, ' ') != NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "email: not an e-mail address");
    }
    return PARLEY_OK;
}

/* Issues a token for an owner and stores only its hash. */
static parley_status issue_token(parley_account_service *svc, parley_participant_kind kind,
                                 const char *owner_id, char token_out[PARLEY_TOKEN_SIZE],
                                 parley_error *err) {
    parley_token token = {0};
    parley_token_new(token_out);
    parley_token_hash(token_out, token.token_hash);
    token.owner_kind = kind;
    snprintf(token.owner_id, sizeof token.owner_id, "%s", owner_id);
    token.created_at = parley_now_ms();
    token.last_used_at = token.created_at;
    token.expires_at = token.created_at + svc->config->token_lifetime_s * 1000;
    parley_status st = svc->repo->accounts->token_insert(svc->repo, &token, err);
    if (st != PARLEY_OK) {
        sodium_memzero(token_out, PARLEY_TOKEN_SIZE);
    }
    return st;
}

/* A new customer or bot gets its first token once its row is inserted
 * (inserted: the insert's status), in the same unit. */
static parley_status first_token(parley_account_service *svc, parley_status inserted,
                                 parley_participant_kind kind, const char *owner_id,
                                 char token_out[PARLEY_TOKEN_SIZE], parley_error *err) {
    return inserted == PARLEY_OK ? issue_token(svc, kind, owner_id, token_out, err) : inserted;
}

parley_status parley_account_create_agent(parley_account_service *svc, const parley_agent_input *in,
                                          parley_agent *out, parley_error *err) {
    parley_agent_role role = PARLEY_ROLE_AGENT;
    parley_status st;
    if ((st = parley_check_text("name", in->name, true, 1, 200, err)) != PARLEY_OK ||
        (st = parley_check_email(in->email, true, err)) != PARLEY_OK ||
        (st = parley_check_text("language", in->language, false, 2, 35, err)) != PARLEY_OK ||
        (st = parley_password_check_policy(in->password, err)) != PARLEY_OK) {
        return st;
    }
    if (in->role != NULL && !parley_agent_role_from_name(in->role, &role)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "role: must be \"agent\" or \"admin\"");
    }
    char hash[PARLEY_PASSWORD_HASH_SIZE];
    st = parley_password_hash(in->password, svc->config->password_memlimit_kib, hash, err);
    if (st != PARLEY_OK) {
        return st;
    }
    bool ok = true;
    parley_agent agent = {0};
    parley_id_new("agt", agent.id);
    agent.name = parley_model_strdup(in->name, &ok);
    agent.email = parley_model_strdup(in->email, &ok);
    agent.language = parley_model_strdup(in->language, &ok);
    agent.role = role;
    agent.status = PARLEY_AGENT_OFFLINE;
    agent.active = true;
    agent.created_at = parley_now_ms();
    if (!ok) {
        parley_agent_free(&agent);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    st = svc->repo->accounts->agent_insert(svc->repo, &agent, hash, err);
    sodium_memzero(hash, sizeof hash);
    if (st == PARLEY_E_CONFLICT) {
        parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                         "an agent with this e-mail already exists");
    }
    return PARLEY_HAND_OVER(st, agent, out, parley_agent_free);
}

/* One password guess against the login limiters, per client address and
 * per account (the e-mail lower-cased whole into account_key: the limiter
 * digests long keys, never cuts them). */
static parley_status take_password_attempt(parley_account_service *svc, const char *email,
                                           char account_key[PARLEY_PASSWORD_MAX_LENGTH + 1],
                                           parley_error *err) {
    size_t i = 0;
    for (; email[i] != '\0' && i < PARLEY_PASSWORD_MAX_LENGTH; i++) {
        account_key[i] = (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32 : email[i]);
    }
    account_key[i] = '\0';
    if (svc->limits == NULL) {
        return PARLEY_OK;
    }
    parley_status limited =
        parley_limits_take(svc->limits->logins_by_ip, svc->client_ip, "login attempts", err);
    if (limited == PARLEY_OK) {
        limited = parley_limits_take(svc->limits->logins_by_account, account_key,
                                     "login attempts for this account", err);
    }
    return limited;
}

parley_status parley_account_login(parley_account_service *svc, const char *email,
                                   const char *password, char token_out[PARLEY_TOKEN_SIZE],
                                   parley_agent *agent_out, parley_error *err) {
    static const char failure[] = "e-mail or password is incorrect";
    if (email == NULL || password == NULL || strlen(password) > PARLEY_PASSWORD_MAX_LENGTH) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "email and password are required");
    }
    /* Throttle guessing per account (whatever the e-mail, existing or not,
     * so the answer reveals nothing) and per client address. */
    char account_key[PARLEY_PASSWORD_MAX_LENGTH + 1];
    parley_status limited = take_password_attempt(svc, email, account_key, err);
    if (limited != PARLEY_OK) {
        return limited;
    }
    parley_agent agent = {0};
    char *stored_hash = NULL;
    parley_error lookup_err = {0};
    parley_status st = svc->repo->accounts->agent_get_by_email(svc->repo, email, &agent,
                                                               &stored_hash, &lookup_err);
    if (st != PARLEY_OK && st != PARLEY_E_NOT_FOUND) {
        *err = lookup_err;
        return st;
    }
    /* Unknown e-mails still pay for one verification so that timing does not
     * reveal which e-mails exist. */
    const char *hash = stored_hash != NULL
                           ? stored_hash
                           : parley_password_dummy_hash(svc->config->password_memlimit_kib);
    bool verified = parley_password_verify(password, hash);
    free(stored_hash);
    if (st != PARLEY_OK || !verified || !agent.active) {
        /* the audit names the account only when it exists, and never what
         * was typed: a password typed into the e-mail field must not land
         * in a log */
        const char *reason = st != PARLEY_OK ? "unknown_account"
                             : !verified     ? "wrong_password"
                                             : "deactivated";
        parley_error ignored = {0};
        (void)parley_audit_record(svc->repo, NULL, "login_failed", agent.id, svc->client_ip,
                                  json_pack("{s:s}", "reason", reason), &ignored);
        parley_agent_free(&agent);
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated", failure);
    }
    if (svc->limits != NULL) {
        parley_rate_limiter_reset(svc->limits->logins_by_account, account_key);
    }
    st = issue_token(svc, PARLEY_PARTICIPANT_AGENT, agent.id, token_out, err);
    if (st == PARLEY_OK) {
        parley_participant actor = {.ops = &parley_agent_participant_ops};
        snprintf(actor.id, sizeof actor.id, "%s", agent.id);
        st = parley_audit_record(svc->repo, &actor, "login", agent.id, svc->client_ip, NULL, err);
    }
    return PARLEY_HAND_OVER(st, agent, agent_out, parley_agent_free);
}

parley_status parley_account_authenticate(parley_account_service *svc, const char *token,
                                          parley_participant **out, parley_error *err) {
    static const char missing[] = "a valid bearer token is required";
    *out = NULL;
    if (token == NULL || token[0] == '\0' || strlen(token) >= PARLEY_TOKEN_SIZE) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated", missing);
    }
    parley_token stored = {0};
    char hash[PARLEY_TOKEN_HASH_SIZE];
    parley_token_hash(token, hash);
    parley_error lookup_err = {0};
    parley_status st = svc->repo->accounts->token_get(svc->repo, hash, &stored, &lookup_err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated", missing);
    }
    if (st != PARLEY_OK) {
        *err = lookup_err;
        return st;
    }
    parley_time_ms now = parley_now_ms();
    /* a use noted in memory and not yet written counts (token_touches.h) */
    if (svc->touches != NULL) {
        parley_time_ms noted = parley_token_touches_get(svc->touches, hash);
        if (noted > stored.last_used_at) {
            stored.last_used_at = noted;
        }
    }
    if (now >= stored.expires_at ||
        now - stored.last_used_at >= svc->config->token_idle_timeout_s * 1000) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated",
                                "the token has expired");
    }
    st = parley_participant_load(svc->repo, stored.owner_kind, stored.owner_id, true, out,
                                 &lookup_err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated", missing);
    }
    if (st != PARLEY_OK) {
        *err = lookup_err;
        return st;
    }
    snprintf((*out)->token_hash, sizeof(*out)->token_hash, "%s", hash);
    /* Idle time is tracked coarsely (a minute, or a quarter of the idle
     * timeout when that is shorter): writing on every request would turn
     * every read into a write. With the server's ledger the touch is only
     * noted, and the writer's next batch writes it: no connect or request
     * waits for that commit (issue 11). A failed touch is not fatal. */
    int64_t granularity_ms = svc->config->token_idle_timeout_s * 1000 / 4;
    if (granularity_ms > 60 * 1000) {
        granularity_ms = 60 * 1000;
    }
    if (now - stored.last_used_at > granularity_ms &&
        (svc->touches == NULL || !parley_token_touches_note(svc->touches, hash, now))) {
        parley_error ignored = {0};
        (void)svc->repo->accounts->token_touch(svc->repo, hash, now, &ignored);
    }
    return PARLEY_OK;
}

parley_status parley_account_revoke(parley_account_service *svc, const char *token_hash,
                                    parley_error *err) {
    parley_status st = svc->repo->accounts->token_delete(svc->repo, token_hash, err);
    return st == PARLEY_E_NOT_FOUND ? PARLEY_OK : st;
}

/* API.md's verified identity: identifier_hash must be the lowercase hex
 * HMAC-SHA256 of the identifier keyed with the site secret. Compared in
 * constant time on the decoded bytes. */
static bool identifier_verified(const char *secret, const char *identifier, const char *hash_hex) {
    unsigned char expected[crypto_auth_hmacsha256_BYTES];
    unsigned char given[crypto_auth_hmacsha256_BYTES];
    size_t given_len = 0;
    const char *end = NULL;
    if (hash_hex == NULL || strlen(hash_hex) != 2 * sizeof given ||
        sodium_hex2bin(given, sizeof given, hash_hex, strlen(hash_hex), NULL, &given_len, &end) !=
            0 ||
        given_len != sizeof given) {
        return false;
    }
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)identifier, strlen(identifier));
    crypto_auth_hmacsha256_final(&state, expected);
    bool ok = sodium_memcmp(expected, given, sizeof given) == 0;
    sodium_memzero(&state, sizeof state);
    return ok;
}

/* The oldest verified contact with this e-mail, as a customer with a new
 * token; PARLEY_E_NOT_FOUND when there is none. */
static parley_status returning_by_email(parley_account_service *svc, const char *email,
                                        parley_customer *out, char token_out[PARLEY_TOKEN_SIZE],
                                        parley_error *err) {
    parley_contact contact = {0};
    parley_status st = svc->repo->contacts->find_verified_by_email(svc->repo, email, &contact, err);
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->customer_get(svc->repo, contact.id, out, err);
    }
    if (st == PARLEY_OK && (st = issue_token(svc, PARLEY_PARTICIPANT_CUSTOMER, contact.id,
                                             token_out, err)) != PARLEY_OK) {
        parley_customer_free(out);
    }
    parley_contact_free(&contact);
    return st;
}

parley_status parley_account_register_customer(parley_account_service *svc,
                                               const parley_customer_input *in,
                                               parley_customer *out, bool *existing,
                                               char token_out[PARLEY_TOKEN_SIZE],
                                               parley_error *err) {
    parley_status st;
    *existing = false;
    if ((st = parley_check_text("name", in->name, true, 1, 200, err)) != PARLEY_OK ||
        (st = parley_check_email(in->email, false, err)) != PARLEY_OK ||
        (st = parley_check_text("identifier", in->identifier, false, 1, 200, err)) != PARLEY_OK ||
        (st = parley_check_text("language", in->language, false, 2, 35, err)) != PARLEY_OK) {
        return st;
    }
    if (svc->limits != NULL &&
        (st = parley_limits_take(svc->limits->customers_by_ip, svc->client_ip, "new customers",
                                 err)) != PARLEY_OK) {
        return st;
    }
    const char *secret = svc->config->site_secret;
    /* Without a site secret an identifier proves nothing, so it is neither
     * trusted nor kept: storing it would let anyone claim another's. */
    bool verified = secret != NULL && secret[0] != '\0' && in->identifier != NULL;
    if (verified && !identifier_verified(secret, in->identifier, in->identifier_hash)) {
        return parley_error_set(err, PARLEY_E_UNAUTHENTICATED, "unauthenticated",
                                "identifier_hash does not verify the identifier");
    }
    parley_customer customer = {0};
    if (verified) {
        st = svc->repo->accounts->customer_find_by_identifier(svc->repo, in->identifier, &customer,
                                                              err);
        if (st == PARLEY_OK) {
            /* the same person again: same customer, a new token */
            st = issue_token(svc, PARLEY_PARTICIPANT_CUSTOMER, customer.id, token_out, err);
            if (st != PARLEY_OK) {
                parley_customer_free(&customer);
                return st;
            }
            *existing = true;
            *out = customer;
            return PARLEY_OK;
        }
        if (st != PARLEY_E_NOT_FOUND) {
            return st;
        }
        parley_error_clear(err);
        /* a verified customer signing in with another identifier but the
         * same e-mail is the same contact (docs/subsystems/contacts.md) */
        if (in->email != NULL &&
            (st = returning_by_email(svc, in->email, out, token_out, err)) != PARLEY_E_NOT_FOUND) {
            *existing = st == PARLEY_OK;
            return st;
        }
        parley_error_clear(err);
    }
    bool ok = true;
    parley_id_new("cus", customer.id);
    customer.name = parley_model_strdup(in->name, &ok);
    customer.email = parley_model_strdup(in->email, &ok);
    customer.identifier = verified ? parley_model_strdup(in->identifier, &ok) : NULL;
    customer.language = parley_model_strdup(in->language, &ok);
    customer.verified = verified;
    customer.created_at = parley_now_ms();
    if (!ok) {
        parley_customer_free(&customer);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    st = first_token(svc, svc->repo->accounts->customer_insert(svc->repo, &customer, err),
                     PARLEY_PARTICIPANT_CUSTOMER, customer.id, token_out, err);
    return PARLEY_HAND_OVER(st, customer, out, parley_customer_free);
}

parley_status parley_account_create_bot(parley_account_service *svc, const char *name,
                                        parley_bot *out, char token_out[PARLEY_TOKEN_SIZE],
                                        parley_error *err) {
    parley_status st = parley_check_text("name", name, true, 1, 200, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_bot bot = {0};
    parley_id_new("bot", bot.id);
    bot.name = strdup(name);
    bot.active = true;
    bot.created_at = parley_now_ms();
    if (bot.name == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    st = first_token(svc, svc->repo->accounts->bot_insert(svc->repo, &bot, err),
                     PARLEY_PARTICIPANT_BOT, bot.id, token_out, err);
    return PARLEY_HAND_OVER(st, bot, out, parley_bot_free);
}

parley_status parley_account_update_agent(parley_account_service *svc, const char *agent_id,
                                          const parley_agent_changes *changes, parley_agent *out,
                                          bool *revoked, parley_error *err) {
    *revoked = false;
    parley_status st;
    if ((st = parley_check_text("name", changes->name, false, 1, 200, err)) != PARLEY_OK ||
        (st = parley_check_text("language", changes->language, false, 2, 35, err)) != PARLEY_OK) {
        return st;
    }
    parley_agent_role role = PARLEY_ROLE_AGENT;
    if (changes->role != NULL && !parley_agent_role_from_name(changes->role, &role)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "role: must be \"agent\" or \"admin\"");
    }
    parley_agent agent = {0};
    st = svc->repo->accounts->agent_get(svc->repo, agent_id, &agent, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    bool was_active_admin = agent.active && agent.role == PARLEY_ROLE_ADMIN;
    bool ok = true;
    if (changes->name != NULL) {
        free(agent.name);
        agent.name = parley_model_strdup(changes->name, &ok);
    }
    if (changes->language != NULL) {
        free(agent.language);
        agent.language = parley_model_strdup(changes->language, &ok);
    }
    if (changes->role != NULL) {
        agent.role = role;
    }
    bool deactivating = changes->active == 0 && agent.active;
    if (changes->active >= 0) {
        agent.active = changes->active != 0;
    }
    if (!ok) {
        parley_agent_free(&agent);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    /* never lock everyone out: the last active admin stays an active admin */
    if (was_active_admin && !(agent.active && agent.role == PARLEY_ROLE_ADMIN)) {
        /* counted under the admins lock: two writers demoting the last two
         * admins at once take turns, and the second counts one */
        int64_t admins = 0;
        bool locked = false;
        st = svc->repo->ops->xact_lock(svc->repo, PARLEY_LOCK_ADMINS, true, &locked, err);
        if (st == PARLEY_OK) {
            st = svc->repo->accounts->agent_count_active_admins(svc->repo, &admins, err);
        }
        if (st == PARLEY_OK && admins <= 1) {
            st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "the last active admin cannot be demoted or deactivated");
        }
    }
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->agent_update(svc->repo, &agent, err);
    }
    if (st == PARLEY_OK && deactivating) {
        st = svc->repo->accounts->token_delete_by_owner(svc->repo, PARLEY_PARTICIPANT_AGENT,
                                                        agent.id, err);
        *revoked = st == PARLEY_OK;
    }
    return PARLEY_HAND_OVER(st, agent, out, parley_agent_free);
}

/* Hashes new_password (argon2id: this worker's time, never the loop's) and
 * stores it, deleting the agent's tokens but keep_token_hash's. */
static parley_status set_password(parley_account_service *svc, const char *agent_id,
                                  const char *new_password, const char *keep_token_hash,
                                  parley_error *err) {
    parley_status st = parley_password_check_policy(new_password, err);
    if (st != PARLEY_OK) {
        return st;
    }
    char hash[PARLEY_PASSWORD_HASH_SIZE];
    st = parley_password_hash(new_password, svc->config->password_memlimit_kib, hash, err);
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->agent_set_password(svc->repo, agent_id, hash, keep_token_hash,
                                                     err);
    }
    sodium_memzero(hash, sizeof hash);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
    }
    return st;
}

parley_status parley_account_reset_password(parley_account_service *svc, const char *agent_id,
                                            const char *new_password, parley_error *err) {
    return set_password(svc, agent_id, new_password, NULL, err);
}

parley_status parley_account_change_password(parley_account_service *svc, const char *agent_id,
                                             const char *current_password, const char *new_password,
                                             const char *keep_token_hash, parley_error *err) {
    if (current_password == NULL || strlen(current_password) > PARLEY_PASSWORD_MAX_LENGTH) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "current_password: required");
    }
    parley_status st = parley_password_check_policy(new_password, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_agent agent = {0};
    char *stored_hash = NULL;
    st = svc->repo->accounts->agent_get(svc->repo, agent_id, &agent, err);
    if (st == PARLEY_OK) {
        char account_key[PARLEY_PASSWORD_MAX_LENGTH + 1];
        st = take_password_attempt(svc, agent.email, account_key, err);
    }
    if (st == PARLEY_OK) {
        parley_agent by_email = {0};
        st = svc->repo->accounts->agent_get_by_email(svc->repo, agent.email, &by_email,
                                                     &stored_hash, err);
        parley_agent_free(&by_email);
    }
    if (st == PARLEY_OK &&
        (stored_hash == NULL || !parley_password_verify(current_password, stored_hash))) {
        parley_error ignored = {0};
        parley_participant actor = {.ops = &parley_agent_participant_ops};
        snprintf(actor.id, sizeof actor.id, "%s", agent_id);
        (void)parley_audit_record(svc->repo, &actor, "password_change_failed", agent_id,
                                  svc->client_ip, NULL, &ignored);
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "current_password: incorrect");
        err->keep_writes = true; /* the audit entry stays */
    }
    free(stored_hash);
    parley_agent_free(&agent);
    return st == PARLEY_OK ? set_password(svc, agent_id, new_password, keep_token_hash, err) : st;
}

parley_status parley_account_revoke_bot(parley_account_service *svc, const char *bot_id,
                                        parley_error *err) {
    parley_bot bot = {0};
    parley_status st = svc->repo->accounts->bot_get(svc->repo, bot_id, &bot, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such bot");
    }
    if (st == PARLEY_OK) {
        bot.active = false;
        st = svc->repo->accounts->bot_update(svc->repo, &bot, err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->token_delete_by_owner(svc->repo, PARLEY_PARTICIPANT_BOT, bot_id,
                                                        err);
    }
    parley_bot_free(&bot);
    return st;
}

parley_status parley_account_redeem_link(parley_account_service *svc, const char *session_id,
                                         int64_t expires_s, const char *signature,
                                         parley_customer *customer_out,
                                         char token_out[PARLEY_TOKEN_SIZE], parley_error *err) {
    const char *secret = svc->config->link_secret;
    if (secret == NULL || secret[0] == '\0') {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "conversation links are off on this server");
    }
    int64_t now_s = parley_now_ms() / 1000;
    if (!parley_resume_link_verify(secret, session_id, expires_s, signature, now_s)) {
        /* a good signature past its time is expired, anything else invalid */
        bool expired =
            parley_resume_link_verify(secret, session_id, expires_s, signature, expires_s);
        return expired ? parley_error_set(err, PARLEY_E_FORBIDDEN, "link_expired",
                                          "this link has expired")
                       : parley_error_set(err, PARLEY_E_FORBIDDEN, "link_invalid",
                                          "this link is not valid");
    }
    parley_session session = {0};
    parley_status st = svc->repo->sessions->get(svc->repo, session_id, &session, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");
    }
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->customer_get(svc->repo, session.customer_id, customer_out, err);
    }
    parley_session_free(&session);
    if (st == PARLEY_OK) {
        st = issue_token(svc, PARLEY_PARTICIPANT_CUSTOMER, customer_out->id, token_out, err);
    }
    if (st == PARLEY_OK) {
        parley_participant actor = {.ops = &parley_customer_participant_ops};
        snprintf(actor.id, sizeof actor.id, "%s", customer_out->id);
        st = parley_audit_record(svc->repo, &actor, "session.link_redeemed", session_id,
                                 svc->client_ip, NULL, err);
    }
    if (st != PARLEY_OK) {
        sodium_memzero(token_out, PARLEY_TOKEN_SIZE);
        parley_customer_free(customer_out);
    }
    return st;
}

parley_status parley_account_request_password_reset(parley_account_service *svc,
                                                    const parley_notifier *nf, const char *email,
                                                    parley_error *err) {
    char account_key[PARLEY_PASSWORD_MAX_LENGTH + 1];
    parley_status st = parley_check_text("email", email, true, 1, 254, err);
    if (st == PARLEY_OK) {
        st = take_password_attempt(svc, email, account_key, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    parley_agent agent = {0};
    char *stored_hash = NULL;
    st = svc->repo->accounts->agent_get_by_email(svc->repo, email, &agent, &stored_hash, err);
    free(stored_hash);
    const char *secret = svc->config->link_secret;
    bool known = st == PARLEY_OK && agent.active;
    if (st == PARLEY_E_NOT_FOUND) {
        st = PARLEY_OK;
    }
    if (st == PARLEY_OK && known && (secret == NULL || secret[0] == '\0')) {
        parley_log_warn("password reset asked for %s, but the e-mail channel is off (--smtp-url)",
                        agent.id);
        known = false;
    }
    if (st == PARLEY_OK && known) {
        parley_password_reset reset = {0};
        char token[PARLEY_RESUME_SIG_SIZE];
        parley_id_new("prs", reset.id);
        parley_password_reset_token(secret, reset.id, token);
        parley_token_hash(token, reset.token_hash);
        sodium_memzero(token, sizeof token);
        snprintf(reset.agent_id, sizeof reset.agent_id, "%s", agent.id);
        reset.created_at = parley_now_ms();
        reset.expires_at = reset.created_at + svc->config->password_reset_ttl_s * 1000;
        st = svc->repo->notifications->reset_insert(svc->repo, &reset, err);
        if (st == PARLEY_OK) {
            st = parley_notifications_password_reset(svc->repo, nf, agent.id, reset.id, err);
        }
    }
    if (st == PARLEY_OK) {
        /* the address itself is never logged: only whether it is an agent's */
        json_t *detail = json_pack("{s:b}", "known", known);
        st = parley_audit_record(svc->repo, NULL, "password_reset.request", known ? agent.id : NULL,
                                 svc->client_ip, detail, err);
    }
    parley_agent_free(&agent);
    return st;
}

parley_status parley_account_confirm_password_reset(parley_account_service *svc, const char *token,
                                                    const char *password,
                                                    char agent_id_out[PARLEY_ID_SIZE],
                                                    parley_error *err) {
    agent_id_out[0] = '\0';
    parley_status st = parley_check_text("token", token, true, 1, 128, err);
    if (st == PARLEY_OK) {
        st = parley_password_check_policy(password, err);
    }
    if (st == PARLEY_OK && svc->limits != NULL) {
        st = parley_limits_take(svc->limits->logins_by_ip, svc->client_ip,
                                "password reset attempts", err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
    parley_token_hash(token, token_hash);
    st = svc->repo->notifications->reset_take(svc->repo, token_hash, parley_now_ms(), agent_id_out,
                                              err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_token",
                                "token: unknown, used already or expired");
    }
    if (st == PARLEY_OK) {
        st = set_password(svc, agent_id_out, password, NULL, err);
    }
    if (st == PARLEY_OK) {
        parley_participant actor = {.ops = &parley_agent_participant_ops};
        snprintf(actor.id, sizeof actor.id, "%s", agent_id_out);
        st = parley_audit_record(svc->repo, &actor, "agent.password_reset_by_email", agent_id_out,
                                 svc->client_ip, NULL, err);
    }
    return st;
}
