/*
 * postgres/accounts.c - the accounts ops table (core/store/accounts.h) on
 * PostgreSQL: customers, agents, bots and tokens.
 *
 * Ownership and threads are the handle's (pg_internal.h): every op runs on
 * the caller's connection, one thread at a time, with statements prepared
 * at open from the SQL below. A new op: its statement id in pg_internal.h,
 * its SQL below, the function, its entry in the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_accounts_sql[PG_STMT_COUNT] = {
    [PG_CUSTOMER_INSERT] = "INSERT INTO customers (" PG_CUSTOMER_COLS ") VALUES ($1, $2, $3, $4, "
                           "$5, $6, $7)",
    [PG_CUSTOMER_GET] = "SELECT " PG_CUSTOMER_COLS " FROM customers WHERE id = $1",
    [PG_CUSTOMER_BY_IDENTIFIER] =
        "SELECT " PG_CUSTOMER_COLS " FROM customers WHERE identifier = $1",
    [PG_AGENT_INSERT] = "INSERT INTO agents (" PG_AGENT_COLS ", password_hash) VALUES ($1, $2, $3, "
                        "$4, $5, $6, $7, $8, $9)",
    [PG_AGENT_GET] = "SELECT " PG_AGENT_READ_COLS " FROM agents WHERE id = $1",
    /* the unique index on lower(email) serves this */
    [PG_AGENT_BY_EMAIL] = "SELECT " PG_AGENT_READ_COLS ", password_hash FROM agents "
                          "WHERE lower(email) = lower($1)",
    [PG_AGENT_LIST] = "SELECT " PG_AGENT_READ_COLS " FROM agents ORDER BY created_at, id",
    [PG_AGENT_COUNT] = "SELECT count(*) FROM agents",
    [PG_AGENT_UPDATE] = "UPDATE agents SET name = $2, language = $3, role = $4, status = $5, "
                        "active = $6 WHERE id = $1",
    [PG_AGENT_COUNT_ADMINS] = "SELECT count(*) FROM agents WHERE role = 'admin' AND active",
    /* one round trip: the hash and the agent's tokens but $4's (NULL:
     * all); the count says whether the agent exists */
    [PG_AGENT_SET_PASSWORD] =
        "WITH a AS (UPDATE agents SET password_hash = $2 WHERE id = $1 RETURNING id), "
        "d AS (DELETE FROM tokens WHERE owner_kind = $3 AND owner_id = $1 "
        "AND ($4::text IS NULL OR token_hash <> $4) AND EXISTS (SELECT 1 FROM a) RETURNING 1) "
        "SELECT count(*) FROM a", /* a WITH's DELETE runs to completion, read or not */
    [PG_BOT_INSERT] = "INSERT INTO bots (" PG_BOT_COLS ") VALUES ($1, $2, $3, $4)",
    [PG_BOT_GET] = "SELECT " PG_BOT_COLS " FROM bots WHERE id = $1",
    [PG_BOT_LIST] = "SELECT " PG_BOT_COLS " FROM bots ORDER BY created_at, id",
    [PG_BOT_UPDATE] = "UPDATE bots SET name = $2, active = $3 WHERE id = $1",
    [PG_TOKEN_INSERT] = "INSERT INTO tokens (" PG_TOKEN_COLS ") VALUES ($1, $2, $3, $4, $5, $6)",
    [PG_TOKEN_GET] = "SELECT " PG_TOKEN_COLS " FROM tokens WHERE token_hash = $1",
    /* workers commit out of order; greatest() never moves it backwards */
    [PG_TOKEN_TOUCH] = "UPDATE tokens SET last_used_at = greatest(last_used_at, $2) "
                       "WHERE token_hash = $1",
    [PG_TOKEN_DELETE] = "DELETE FROM tokens WHERE token_hash = $1",
    [PG_TOKEN_DELETE_OWNER] = "DELETE FROM tokens WHERE owner_kind = $1 AND owner_id = $2",
};

/* ---- customers --------------------------------------------------------- */

#define CUSTOMER_COLUMNS(F)                                                                        \
    F(id, ID), F(name, TEXT), F(email, TEXT), F(identifier, TEXT), F(language, TEXT),              \
        F(verified, BOOL), F(created_at, I64)
ROW_COLUMNS(customer, parley_customer, CUSTOMER_COLUMNS)
ROW_TYPE(customer_rows, parley_customer, "customer", read_customer, parley_customer_free);

WRITE_ROW_OP(customer_insert, parley_customer, PG_CUSTOMER_INSERT, false, "customer", bind_customer)
GET_BY_KEY_OP(customer_get, parley_customer, PG_CUSTOMER_GET, customer_rows)
GET_BY_KEY_OP(customer_find_by_identifier, parley_customer, PG_CUSTOMER_BY_IDENTIFIER,
              customer_rows)

/* ---- agents ------------------------------------------------------------ */

#define AGENT_COLUMNS(F)                                                                           \
    F(id, ID), F(name, TEXT), F(email, TEXT), F(language, TEXT), F(role, agent_role),              \
        F(status, agent_status), F(active, BOOL), F(created_at, I64)
#define AGENT_READ_COLUMNS(F) AGENT_COLUMNS(F), F(status_since, I64)
ROW_READER(read_agent, parley_agent, AGENT_READ_COLUMNS)
ROW_BINDER(bind_agent, parley_agent, AGENT_COLUMNS)
ROW_LIST_TYPE(agent_rows, parley_agent, "agent", read_agent, parley_agent_free, parley_agent_list,
              0);

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

static parley_status pq_agent_insert(parley_repository *repo, const parley_agent *a,
                                     const char *password_hash, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_INSERT);
    bind_agent(&b, a);
    b_text(&b, 9, password_hash);
    return exec_write(&b, false, "agent_insert", "agent", NULL, err);
}

GET_BY_KEY_OP(agent_get, parley_agent, PG_AGENT_GET, agent_rows)

static parley_status pq_agent_get_by_email(parley_repository *repo, const char *email,
                                           parley_agent *out, char **password_hash_out,
                                           parley_error *err) {
    agent_login login;
    parley_status status = get_by_key(as_pg(repo), PG_AGENT_BY_EMAIL, email, "agent_get_by_email",
                                      &agent_login_rows, &login, err);
    *out = login.agent;
    if (password_hash_out != NULL) {
        *password_hash_out = login.password_hash;
    } else {
        free(login.password_hash);
    }
    return status;
}

static parley_status pq_agent_list(parley_repository *repo, parley_agent_list *out,
                                   parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_LIST);
    return list_rows(&b, "agent_list", &agent_rows, out, err);
}

static parley_status pq_agent_count(parley_repository *repo, int64_t *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_COUNT);
    return get_i64(&b, "agent_count", "count", out, err);
}

static parley_status pq_agent_update(parley_repository *repo, const parley_agent *a,
                                     parley_error *err) {
    return write_params(as_pg(repo), PG_AGENT_UPDATE, true, "agent_update", "agent",
                        PARAMS(p_id(a->id), p_text(a->name), p_text(a->language),
                               p_enum(agent_role_store(a->role)),
                               p_enum(agent_status_store(a->status)), p_bool(a->active)),
                        err);
}

static parley_status pq_agent_count_active_admins(parley_repository *repo, int64_t *out,
                                                  parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_COUNT_ADMINS);
    return get_i64(&b, "agent_count_active_admins", "count", out, err);
}

static parley_status pq_agent_set_password(parley_repository *repo, const char *agent_id,
                                           const char *password_hash, const char *keep_token_hash,
                                           parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_SET_PASSWORD);
    b_params(&b, PARAMS(p_id(agent_id), p_text(password_hash),
                        p_enum(participant_kind_store(PARLEY_PARTICIPANT_AGENT)),
                        p_text(keep_token_hash)));
    int64_t found = 0;
    parley_status st = get_i64(&b, "agent_set_password", "agent", &found, err);
    if (st == PARLEY_OK && found == 0) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "agent not found");
    }
    return st;
}

/* ---- bots -------------------------------------------------------------- */

#define BOT_COLUMNS(F) F(id, ID), F(name, TEXT), F(active, BOOL), F(created_at, I64)
ROW_COLUMNS(bot, parley_bot, BOT_COLUMNS)
ROW_LIST_TYPE(bot_rows, parley_bot, "bot", read_bot, parley_bot_free, parley_bot_list, 0);

WRITE_ROW_OP(bot_insert, parley_bot, PG_BOT_INSERT, false, "bot", bind_bot)
GET_BY_KEY_OP(bot_get, parley_bot, PG_BOT_GET, bot_rows)

static parley_status pq_bot_list(parley_repository *repo, parley_bot_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_BOT_LIST);
    return list_rows(&b, "bot_list", &bot_rows, out, err);
}

static parley_status pq_bot_update(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    return write_params(as_pg(repo), PG_BOT_UPDATE, true, "bot_update", "bot",
                        PARAMS(p_id(bot->id), p_text(bot->name), p_bool(bot->active)), err);
}

/* ---- tokens ------------------------------------------------------------ */

static inline void col_read_TOKEN_HASH(row_reader *rd, int col,
                                       char (*out)[PARLEY_TOKEN_HASH_SIZE]) {
    r_fixed(rd, col, *out, sizeof *out);
}
static inline void col_bind_TOKEN_HASH(binder *b, int idx,
                                       const char (*in)[PARLEY_TOKEN_HASH_SIZE]) {
    size_t len = strnlen(*in, PARLEY_TOKEN_HASH_SIZE);
    if (len == 0 || len == PARLEY_TOKEN_HASH_SIZE) {
        b_invalid(b, "token hash must be 1..64 characters");
        return;
    }
    b_text(b, idx, *in);
}

#define TOKEN_COLUMNS(F)                                                                           \
    F(token_hash, TOKEN_HASH), F(owner_kind, participant_kind), F(owner_id, ID),                   \
        F(created_at, I64), F(last_used_at, I64), F(expires_at, I64)
ROW_COLUMNS(token, parley_token, TOKEN_COLUMNS)
ROW_TYPE(token_rows, parley_token, "token", read_token, plain_item_free);

WRITE_ROW_OP(token_insert, parley_token, PG_TOKEN_INSERT, false, "token", bind_token)
GET_BY_KEY_OP(token_get, parley_token, PG_TOKEN_GET, token_rows)

static parley_status pq_token_touch(parley_repository *repo, const char *token_hash,
                                    parley_time_ms last_used_at, parley_error *err) {
    return write_params(as_pg(repo), PG_TOKEN_TOUCH, true, "token_touch", "token",
                        PARAMS(p_text(token_hash), p_i64(last_used_at)), err);
}

static parley_status pq_token_delete(parley_repository *repo, const char *token_hash,
                                     parley_error *err) {
    return write_params(as_pg(repo), PG_TOKEN_DELETE, true, "token_delete", "token",
                        PARAMS(p_text(token_hash)), err);
}

static parley_status pq_token_delete_by_owner(parley_repository *repo,
                                              parley_participant_kind owner_kind,
                                              const char *owner_id, parley_error *err) {
    return write_params(as_pg(repo), PG_TOKEN_DELETE_OWNER, false, "token_delete_by_owner", "token",
                        PARAMS(p_enum(participant_kind_store(owner_kind)), p_id(owner_id)), err);
}

const parley_accounts_ops parley_pg_accounts_ops = {
    .customer_insert = pq_customer_insert,
    .customer_get = pq_customer_get,
    .customer_find_by_identifier = pq_customer_find_by_identifier,
    .agent_insert = pq_agent_insert,
    .agent_get = pq_agent_get,
    .agent_get_by_email = pq_agent_get_by_email,
    .agent_list = pq_agent_list,
    .agent_count = pq_agent_count,
    .agent_update = pq_agent_update,
    .agent_set_password = pq_agent_set_password,
    .agent_count_active_admins = pq_agent_count_active_admins,
    .bot_insert = pq_bot_insert,
    .bot_get = pq_bot_get,
    .bot_list = pq_bot_list,
    .bot_update = pq_bot_update,
    .token_insert = pq_token_insert,
    .token_get = pq_token_get,
    .token_touch = pq_token_touch,
    .token_delete = pq_token_delete,
    .token_delete_by_owner = pq_token_delete_by_owner,
};
