/*
 * store/accounts.h - the accounts aggregate: customers, agents (with their
 * password hashes), bots, and the API tokens of all three.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->accounts at its parley_accounts_ops; callers write
 * repo->accounts->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/accounts.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_ACCOUNTS_H
#define PARLEY_STORE_ACCOUNTS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_accounts_ops {
    /* customers */
    parley_status (*customer_insert)(parley_repository *repo, const parley_customer *c,
                                     parley_error *err);
    parley_status (*customer_get)(parley_repository *repo, const char *id, parley_customer *out,
                                  parley_error *err);
    parley_status (*customer_find_by_identifier)(parley_repository *repo, const char *identifier,
                                                 parley_customer *out, parley_error *err);
    /* agents; password_hash is libsodium's crypto_pwhash_str() output */
    parley_status (*agent_insert)(parley_repository *repo, const parley_agent *a,
                                  const char *password_hash, parley_error *err);
    parley_status (*agent_get)(parley_repository *repo, const char *id, parley_agent *out,
                               parley_error *err);
    /* email match is case-insensitive; *password_hash_out (malloc'd) may be NULL */
    parley_status (*agent_get_by_email)(parley_repository *repo, const char *email,
                                        parley_agent *out, char **password_hash_out,
                                        parley_error *err);
    parley_status (*agent_list)(parley_repository *repo, parley_agent_list *out, parley_error *err);
    parley_status (*agent_count)(parley_repository *repo, int64_t *out, parley_error *err);
    /* writes name, language, role, status, active */
    parley_status (*agent_update)(parley_repository *repo, const parley_agent *a,
                                  parley_error *err);
    /* active admins, for "never remove the last admin" */
    parley_status (*agent_count_active_admins)(parley_repository *repo, int64_t *out,
                                               parley_error *err);
    /* replaces the password hash and deletes every token of the agent but
     * keep_token_hash's (NULL: all of them), in the caller's unit;
     * PARLEY_E_NOT_FOUND when there is no such agent */
    parley_status (*agent_set_password)(parley_repository *repo, const char *agent_id,
                                        const char *password_hash, const char *keep_token_hash,
                                        parley_error *err);
    /* bots */
    parley_status (*bot_insert)(parley_repository *repo, const parley_bot *b, parley_error *err);
    parley_status (*bot_get)(parley_repository *repo, const char *id, parley_bot *out,
                             parley_error *err);
    parley_status (*bot_list)(parley_repository *repo, parley_bot_list *out, parley_error *err);
    /* writes name, active */
    parley_status (*bot_update)(parley_repository *repo, const parley_bot *b, parley_error *err);
    /* tokens, keyed by the SHA-256 hex of the secret */
    parley_status (*token_insert)(parley_repository *repo, const parley_token *t,
                                  parley_error *err);
    parley_status (*token_get)(parley_repository *repo, const char *token_hash, parley_token *out,
                               parley_error *err);
    parley_status (*token_touch)(parley_repository *repo, const char *token_hash,
                                 parley_time_ms last_used_at, parley_error *err);
    parley_status (*token_delete)(parley_repository *repo, const char *token_hash,
                                  parley_error *err);
    /* every token of one owner (deactivation, revocation); none is fine */
    parley_status (*token_delete_by_owner)(parley_repository *repo,
                                           parley_participant_kind owner_kind, const char *owner_id,
                                           parley_error *err);
} parley_accounts_ops;

#endif
