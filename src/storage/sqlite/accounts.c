/*
 * sqlite/accounts.c - the accounts ops table (core/store/accounts.h) on SQLite:
 * customers, agents, bots and tokens.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_accounts_sql[ST_COUNT] = {
    [ST_CUSTOMER_INSERT] = "INSERT INTO customers (" CUSTOMER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6, ?7)",
    [ST_CUSTOMER_GET] = "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?1",
    [ST_CUSTOMER_BY_IDENTIFIER] = "SELECT " CUSTOMER_COLS " FROM customers WHERE identifier = ?1",
    [ST_AGENT_INSERT] = "INSERT INTO agents (" AGENT_COLS ", password_hash) VALUES (?1, ?2, ?3, "
                        "?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_AGENT_GET] = "SELECT " AGENT_READ_COLS " FROM agents WHERE id = ?1",
    /* email is declared COLLATE NOCASE, so this compares (and uses the
     * unique index) case-insensitively. */
    [ST_AGENT_BY_EMAIL] = "SELECT " AGENT_READ_COLS ", password_hash FROM agents WHERE email = ?1",
    [ST_AGENT_LIST] = "SELECT " AGENT_READ_COLS " FROM agents ORDER BY created_at, id",
    [ST_AGENT_COUNT] = "SELECT count(*) FROM agents",
    [ST_AGENT_UPDATE] = "UPDATE agents SET name = ?2, language = ?3, role = ?4, status = ?5, "
                        "active = ?6 WHERE id = ?1",
    [ST_AGENT_COUNT_ADMINS] = "SELECT count(*) FROM agents WHERE role = 'admin' AND active = 1",
    [ST_AGENT_SET_PASSWORD] = "UPDATE agents SET password_hash = ?2 WHERE id = ?1",
    [ST_BOT_INSERT] = "INSERT INTO bots (" BOT_COLS ") VALUES (?1, ?2, ?3, ?4)",
    [ST_BOT_GET] = "SELECT " BOT_COLS " FROM bots WHERE id = ?1",
    [ST_BOT_LIST] = "SELECT " BOT_COLS " FROM bots ORDER BY created_at, id",
    [ST_BOT_UPDATE] = "UPDATE bots SET name = ?2, active = ?3 WHERE id = ?1",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens (" TOKEN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM tokens WHERE token_hash = ?1",
    /* Workers touch tokens concurrently and may commit out of order; max()
     * keeps last_used_at from moving backwards. */
    [ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used_at = max(last_used_at, ?2) "
                       "WHERE token_hash = ?1",
    [ST_TOKEN_DELETE] = "DELETE FROM tokens WHERE token_hash = ?1",
    [ST_TOKEN_DELETE_OWNER] = "DELETE FROM tokens WHERE owner_kind = ?1 AND owner_id = ?2",
    [ST_TOKEN_DELETE_OWNER_EXCEPT] = "DELETE FROM tokens WHERE owner_kind = ?1 AND owner_id = ?2 "
                                     "AND token_hash <> ?3",
};

/* ---- customers --------------------------------------------------------- */

/* Each *_COLUMNS is its *_COLS in order: what a row reads and what the
 * insert binds (sqlite_internal.h, columns). */
#define CUSTOMER_COLUMNS(F)                                                                        \
    F(id, ID), F(name, TEXT), F(email, TEXT), F(identifier, TEXT), F(language, TEXT),              \
        F(verified, BOOL), F(created_at, I64)
ROW_COLUMNS(customer, parley_customer, CUSTOMER_COLUMNS)
ROW_TYPE(customer_rows, parley_customer, "customer", read_customer, parley_customer_free);

WRITE_ROW_OP(customer_insert, parley_customer, ST_CUSTOMER_INSERT, false, "customer", bind_customer)
GET_BY_KEY_OP(customer_get, parley_customer, ST_CUSTOMER_GET, customer_rows)
GET_BY_KEY_OP(customer_find_by_identifier, parley_customer, ST_CUSTOMER_BY_IDENTIFIER,
              customer_rows)

/* ---- agents ------------------------------------------------------------ */

/* the insert's; a read adds status_since, the login read the hash */
#define AGENT_COLUMNS(F)                                                                           \
    F(id, ID), F(name, TEXT), F(email, TEXT), F(language, TEXT), F(role, agent_role),              \
        F(status, agent_status), F(active, BOOL), F(created_at, I64)
#define AGENT_READ_COLUMNS(F) AGENT_COLUMNS(F), F(status_since, I64)
ROW_READER(read_agent, parley_agent, AGENT_READ_COLUMNS)
ROW_BINDER(bind_agent, parley_agent, AGENT_COLUMNS)
ROW_LIST_TYPE(agent_rows, parley_agent, "agent", read_agent, parley_agent_free, parley_agent_list,
              0);

/* An agent as login reads it, with its password hash (ST_AGENT_BY_EMAIL's
 * column 9). */
typedef struct agent_login {
    parley_agent agent;
    char *password_hash;
} agent_login;

static void read_agent_login(row_reader *rd, agent_login *login) {
    read_agent(rd, &login->agent);
    login->password_hash = r_text(rd, 9);
}

static void agent_login_free(agent_login *login) {
    parley_agent_free(&login->agent);
    free(login->password_hash);
}

ROW_TYPE(agent_login_rows, agent_login, "agent", read_agent_login, agent_login_free);

static parley_status sq_agent_insert(parley_repository *repo, const parley_agent *a,
                                     const char *password_hash, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_INSERT);
    bind_agent(&b, a);
    b_text(&b, 9, password_hash);
    return exec_write(r, &b, false, "agent_insert", "agent", err);
}

GET_BY_KEY_OP(agent_get, parley_agent, ST_AGENT_GET, agent_rows)

/* The hash goes to a caller that asks for it (login) and is freed otherwise. */
static parley_status sq_agent_get_by_email(parley_repository *repo, const char *email,
                                           parley_agent *out, char **password_hash_out,
                                           parley_error *err) {
    agent_login login;
    parley_status status = get_by_key(as_sqlite(repo), ST_AGENT_BY_EMAIL, email,
                                      "agent_get_by_email", &agent_login_rows, &login, err);
    *out = login.agent;
    if (password_hash_out != NULL) {
        *password_hash_out = login.password_hash;
    } else {
        free(login.password_hash);
    }
    return status;
}

static parley_status sq_agent_list(parley_repository *repo, parley_agent_list *out,
                                   parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_AGENT_LIST);
    return list_rows(as_sqlite(repo), &b, "agent_list", &agent_rows, out, err);
}

static parley_status sq_agent_count(parley_repository *repo, int64_t *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_AGENT_COUNT);
    return get_i64(as_sqlite(repo), &b, "agent_count", "count", out, err);
}

static parley_status sq_agent_update(parley_repository *repo, const parley_agent *a,
                                     parley_error *err) {
    return write_params(as_sqlite(repo), ST_AGENT_UPDATE, true, "agent_update", "agent",
                        PARAMS(p_id(a->id), p_text(a->name), p_text(a->language),
                               p_enum(agent_role_store(a->role)),
                               p_enum(agent_status_store(a->status)), p_i64(a->active ? 1 : 0)),
                        err);
}

static parley_status sq_agent_count_active_admins(parley_repository *repo, int64_t *out,
                                                  parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_AGENT_COUNT_ADMINS);
    return get_i64(as_sqlite(repo), &b, "agent_count_active_admins", "count", out, err);
}

/* The agent's tokens go in the same call (every one but keep_token_hash's):
 * a new password signs out every other device. */
static parley_status sq_agent_set_password(parley_repository *repo, const char *agent_id,
                                           const char *password_hash, const char *keep_token_hash,
                                           parley_error *err) {
    struct sqlite_repo *db = as_sqlite(repo);
    parley_status st = write_params(db, ST_AGENT_SET_PASSWORD, true, "agent_set_password", "agent",
                                    PARAMS(p_id(agent_id), p_text(password_hash)), err);
    if (st != PARLEY_OK) {
        return st;
    }
    const char *owner = participant_kind_store(PARLEY_PARTICIPANT_AGENT);
    if (keep_token_hash == NULL) {
        return write_params(db, ST_TOKEN_DELETE_OWNER, false, "agent_set_password", "token",
                            PARAMS(p_enum(owner), p_id(agent_id)), err);
    }
    return write_params(db, ST_TOKEN_DELETE_OWNER_EXCEPT, false, "agent_set_password", "token",
                        PARAMS(p_enum(owner), p_id(agent_id), p_text(keep_token_hash)), err);
}

/* ---- bots -------------------------------------------------------------- */

#define BOT_COLUMNS(F) F(id, ID), F(name, TEXT), F(active, BOOL), F(created_at, I64)
ROW_COLUMNS(bot, parley_bot, BOT_COLUMNS)
ROW_LIST_TYPE(bot_rows, parley_bot, "bot", read_bot, parley_bot_free, parley_bot_list, 0);

WRITE_ROW_OP(bot_insert, parley_bot, ST_BOT_INSERT, false, "bot", bind_bot)
GET_BY_KEY_OP(bot_get, parley_bot, ST_BOT_GET, bot_rows)

static parley_status sq_bot_list(parley_repository *repo, parley_bot_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_BOT_LIST);
    return list_rows(as_sqlite(repo), &b, "bot_list", &bot_rows, out, err);
}

static parley_status sq_bot_update(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    return write_params(as_sqlite(repo), ST_BOT_UPDATE, true, "bot_update", "bot",
                        PARAMS(p_id(bot->id), p_text(bot->name), p_i64(bot->active ? 1 : 0)), err);
}

/* ---- tokens ------------------------------------------------------------ */

/* A token hash is 1..64 characters (read back as stored). */
static inline void col_read_TOKEN_HASH(row_reader *rd, int col,
                                       char (*out)[PARLEY_TOKEN_HASH_SIZE]) {
    r_fixed(rd, col, *out, sizeof *out);
}
static inline void col_bind_TOKEN_HASH(binder *b, int idx,
                                       const char (*in)[PARLEY_TOKEN_HASH_SIZE]) {
    size_t len = strnlen(*in, PARLEY_TOKEN_HASH_SIZE);
    if (len == 0 || len == PARLEY_TOKEN_HASH_SIZE) {
        b_invalid(b, "token hash must be 1..64 characters");
    }
    b_text_n(b, idx, *in, len);
}

#define TOKEN_COLUMNS(F)                                                                           \
    F(token_hash, TOKEN_HASH), F(owner_kind, participant_kind), F(owner_id, ID),                   \
        F(created_at, I64), F(last_used_at, I64), F(expires_at, I64)
ROW_COLUMNS(token, parley_token, TOKEN_COLUMNS)

ROW_TYPE(token_rows, parley_token, "token", read_token, plain_item_free); /* no heap data */

WRITE_ROW_OP(token_insert, parley_token, ST_TOKEN_INSERT, false, "token", bind_token)
GET_BY_KEY_OP(token_get, parley_token, ST_TOKEN_GET, token_rows)

static parley_status sq_token_touch(parley_repository *repo, const char *token_hash,
                                    parley_time_ms last_used_at, parley_error *err) {
    return write_params(as_sqlite(repo), ST_TOKEN_TOUCH, true, "token_touch", "token",
                        PARAMS(p_text(token_hash), p_i64(last_used_at)), err);
}

/* A missing token is NOT_FOUND rather than success, so logout can tell a
 * stale token from a revoked one; callers that do not care ignore it. */
static parley_status sq_token_delete(parley_repository *repo, const char *token_hash,
                                     parley_error *err) {
    return write_params(as_sqlite(repo), ST_TOKEN_DELETE, true, "token_delete", "token",
                        PARAMS(p_text(token_hash)), err);
}

static parley_status sq_token_delete_by_owner(parley_repository *repo,
                                              parley_participant_kind owner_kind,
                                              const char *owner_id, parley_error *err) {
    return write_params(as_sqlite(repo), ST_TOKEN_DELETE_OWNER, false, "token_delete_by_owner",
                        "token", PARAMS(p_enum(participant_kind_store(owner_kind)), p_id(owner_id)),
                        err);
}

const parley_accounts_ops parley_sqlite_accounts_ops = {
    .customer_insert = sq_customer_insert,
    .customer_get = sq_customer_get,
    .customer_find_by_identifier = sq_customer_find_by_identifier,
    .agent_insert = sq_agent_insert,
    .agent_get = sq_agent_get,
    .agent_get_by_email = sq_agent_get_by_email,
    .agent_list = sq_agent_list,
    .agent_count = sq_agent_count,
    .agent_update = sq_agent_update,
    .agent_count_active_admins = sq_agent_count_active_admins,
    .agent_set_password = sq_agent_set_password,
    .bot_insert = sq_bot_insert,
    .bot_get = sq_bot_get,
    .bot_list = sq_bot_list,
    .bot_update = sq_bot_update,
    .token_insert = sq_token_insert,
    .token_get = sq_token_get,
    .token_touch = sq_token_touch,
    .token_delete = sq_token_delete,
    .token_delete_by_owner = sq_token_delete_by_owner,
};
