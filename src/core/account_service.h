/*
 * account_service.h - who may act: agents and admins, customers, bots and
 * their bearer tokens (login, logout, authentication).
 *
 * Every call runs inside the caller's transaction on a worker thread, with
 * the repository handle of that thread; none touches the event loop.
 * Ownership: outputs are filled into caller-owned structs.
 */
#ifndef PARLEY_ACCOUNT_SERVICE_H
#define PARLEY_ACCOUNT_SERVICE_H

#include "core/config.h"
#include "core/ids.h"
#include "core/limits.h"
#include "core/participant.h"
#include "core/repository.h"
#include "core/token_touches.h"

typedef struct parley_account_service {
    parley_repository *repo;
    const parley_config *config;
    char client_ip[64];          /* of the request being served: audit log, limits */
    const parley_limits *limits; /* may be NULL: no limits */
    /* the server's touches noted for the writer (core/token_touches.h),
     * lent by the executor; NULL: a due touch is written at once */
    parley_token_touches *touches;
} parley_account_service;

/* Absent optional fields are NULL. */
typedef struct parley_agent_input {
    const char *name;
    const char *email;
    const char *password;
    const char *role; /* "agent" (default) or "admin" */
    const char *language;
} parley_agent_input;

typedef struct parley_customer_input {
    const char *name;
    const char *email;
    const char *identifier;
    const char *identifier_hash;
    const char *language;
} parley_customer_input;

/* An e-mail address as accounts take it (3..254 bytes, one '@' inside, no
 * space); NULL passes unless required. Any thread. */
parley_status parley_check_email(const char *email, bool required, parley_error *err);

/* Creates an agent or admin (no permission check: the facade does it, the
 * CLI's `admin create` calls this directly). */
parley_status parley_account_create_agent(parley_account_service *svc, const parley_agent_input *in,
                                          parley_agent *out, parley_error *err);

/* Verifies e-mail and password (the same error and the same cost for every
 * failure) and issues a token. */
parley_status parley_account_login(parley_account_service *svc, const char *email,
                                   const char *password, char token_out[PARLEY_TOKEN_SIZE],
                                   parley_agent *agent_out, parley_error *err);

/* Resolves a bearer token to its participant (NULL-safe: a NULL or empty
 * token is unauthenticated). Checks lifetime and idle timeout. */
parley_status parley_account_authenticate(parley_account_service *svc, const char *token,
                                          parley_participant **out, parley_error *err);

parley_status parley_account_revoke(parley_account_service *svc, const char *token_hash,
                                    parley_error *err);

/* With a site secret and an identifier, the identifier must be verified
 * (else PARLEY_E_UNAUTHENTICATED) and a known identifier returns its
 * existing customer (*existing = true) with a new token; so does an
 * unknown verified identifier whose e-mail a verified contact has
 * (store/contacts.h, find_verified_by_email). */
parley_status parley_account_register_customer(parley_account_service *svc,
                                               const parley_customer_input *in,
                                               parley_customer *out, bool *existing,
                                               char token_out[PARLEY_TOKEN_SIZE],
                                               parley_error *err);

/* Changes to an agent; absent (NULL / negative) fields stay as they are. */
typedef struct parley_agent_changes {
    const char *name;
    const char *language;
    const char *role; /* "agent" or "admin" */
    int active;       /* 1, 0, or -1 to leave it */
} parley_agent_changes;

/* Applies changes. Refuses (409) to demote or deactivate the last active
 * admin. A deactivated agent's tokens are deleted at once; *revoked tells
 * the caller to close the agent's live connections too. */
parley_status parley_account_update_agent(parley_account_service *svc, const char *agent_id,
                                          const parley_agent_changes *changes, parley_agent *out,
                                          bool *revoked, parley_error *err);

/* An admin's reset: sets the agent's password (the same rules as at
 * creation) and deletes every token of the agent; the caller closes the
 * agent's live connections. PARLEY_E_NOT_FOUND for no such agent. */
parley_status parley_account_reset_password(parley_account_service *svc, const char *agent_id,
                                            const char *new_password, parley_error *err);

/* The agent's own change: current_password must verify (guesses are
 * throttled per account like logins; a wrong one is PARLEY_E_INVALID
 * "current_password: incorrect", audited), the new one follows the creation rules;
 * every token of the agent but keep_token_hash's (the caller's) is deleted,
 * and the caller closes the connections that used them. */
parley_status parley_account_change_password(parley_account_service *svc, const char *agent_id,
                                             const char *current_password, const char *new_password,
                                             const char *keep_token_hash, parley_error *err);

/* A signed conversation link (core/resume_link.h) followed: checks the
 * signature (constant time) and the expiry against the config's
 * link_secret and gives the session's customer a new token (audited as
 * session.link_redeemed). 404 when links are off or the session is gone,
 * 403 link_invalid for a tampered one, 403 link_expired. */
parley_status parley_account_redeem_link(parley_account_service *svc, const char *session_id,
                                         int64_t expires_s, const char *signature,
                                         parley_customer *customer_out,
                                         char token_out[PARLEY_TOKEN_SIZE], parley_error *err);

/* Password reset by e-mail (issue 14, notifications.md "Password reset").
 * The request: throttled like logins (429 past the limits), audited, and
 * otherwise PARLEY_OK whatever the address (the caller answers 202): for
 * an active agent of that address a reset (random id, working for
 * --password-reset-ttl-s, 30 minutes by default; only the token's hash
 * stored) and its e-mail through nf's email channel, in
 * the caller's unit. */
typedef struct parley_notifier parley_notifier;
parley_status parley_account_request_password_reset(parley_account_service *svc,
                                                    const parley_notifier *nf, const char *email,
                                                    parley_error *err);
/* The e-mail's token used once: the new password follows the creation
 * rules (checked first: a refused password leaves the token usable); a
 * token unknown, used or expired is 400 invalid_token. Sets the password
 * and deletes every token of the agent (agent_id_out: whose connections
 * the caller closes); audited. */
parley_status parley_account_confirm_password_reset(parley_account_service *svc, const char *token,
                                                    const char *password,
                                                    char agent_id_out[PARLEY_ID_SIZE],
                                                    parley_error *err);

/* Deactivates a bot and deletes its tokens. */
parley_status parley_account_revoke_bot(parley_account_service *svc, const char *bot_id,
                                        parley_error *err);

parley_status parley_account_create_bot(parley_account_service *svc, const char *name,
                                        parley_bot *out, char token_out[PARLEY_TOKEN_SIZE],
                                        parley_error *err);

#endif
