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
};

static bool r_bool(row_reader *rd, int col) {
    return sqlite3_column_int(rd->st, col) != 0;
}

/* Column order follows the *_COLS macros. */
static void read_customer(row_reader *rd, parley_customer *c) {
    r_id(rd, 0, c->id);
    c->name = r_text(rd, 1);
    c->email = r_text(rd, 2);
    c->identifier = r_text(rd, 3);
    c->language = r_text(rd, 4);
    c->verified = r_bool(rd, 5);
    c->created_at = r_i64(rd, 6);
}

static void read_agent(row_reader *rd, parley_agent *a) {
    r_id(rd, 0, a->id);
    a->name = r_text(rd, 1);
    a->email = r_text(rd, 2);
    a->language = r_text(rd, 3);
    a->role = agent_role_load(rd, 4);
    a->status = agent_status_load(rd, 5);
    a->active = r_bool(rd, 6);
    a->created_at = r_i64(rd, 7);
    a->status_since = r_i64(rd, 8);
}

static void read_bot(row_reader *rd, parley_bot *b) {
    r_id(rd, 0, b->id);
    b->name = r_text(rd, 1);
    b->active = r_bool(rd, 2);
    b->created_at = r_i64(rd, 3);
}

static void read_token(row_reader *rd, parley_token *t) {
    r_fixed(rd, 0, t->token_hash, sizeof t->token_hash);
    t->owner_kind = participant_kind_load(rd, 1);
    r_id(rd, 2, t->owner_id);
    t->created_at = r_i64(rd, 3);
    t->last_used_at = r_i64(rd, 4);
    t->expires_at = r_i64(rd, 5);
}

/* ---- customers --------------------------------------------------------- */

static parley_status sq_customer_insert(parley_repository *repo, const parley_customer *c,
                                        parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CUSTOMER_INSERT);
    b_id(&b, 1, c->id);
    b_text(&b, 2, c->name);
    b_text(&b, 3, c->email);
    b_text(&b, 4, c->identifier);
    b_text(&b, 5, c->language);
    b_int(&b, 6, c->verified ? 1 : 0);
    b_i64(&b, 7, c->created_at);
    return exec_write(r, &b, false, "customer_insert", "customer", err);
}

static parley_status customer_fetch(struct sqlite_repo *r, const binder *b, parley_customer *out,
                                    const char *op, parley_error *err) {
    parley_status status = fetch_one(r, b, op, "customer", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b->st);
        read_customer(&rd, out);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK) {
            parley_customer_free(out);
        }
    }
    stmt_done(b->st);
    return status;
}

static parley_status sq_customer_get(parley_repository *repo, const char *id, parley_customer *out,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CUSTOMER_GET);
    b_text(&b, 1, id);
    return customer_fetch(r, &b, out, "customer_get", err);
}

static parley_status sq_customer_find_by_identifier(parley_repository *repo, const char *identifier,
                                                    parley_customer *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CUSTOMER_BY_IDENTIFIER);
    b_text(&b, 1, identifier);
    return customer_fetch(r, &b, out, "customer_find_by_identifier", err);
}

/* ---- agents ------------------------------------------------------------ */

static parley_status sq_agent_insert(parley_repository *repo, const parley_agent *a,
                                     const char *password_hash, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_INSERT);
    b_id(&b, 1, a->id);
    b_text(&b, 2, a->name);
    b_text(&b, 3, a->email);
    b_text(&b, 4, a->language);
    b_enum(&b, 5, agent_role_store(a->role));
    b_enum(&b, 6, agent_status_store(a->status));
    b_int(&b, 7, a->active ? 1 : 0);
    b_i64(&b, 8, a->created_at);
    b_text(&b, 9, password_hash);
    return exec_write(r, &b, false, "agent_insert", "agent", err);
}

static parley_status sq_agent_get(parley_repository *repo, const char *id, parley_agent *out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_AGENT_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "agent_get", "agent", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_agent(&rd, out);
        status = reader_finish(&rd, "agent_get", err);
        if (status != PARLEY_OK) {
            parley_agent_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_get_by_email(parley_repository *repo, const char *email,
                                           parley_agent *out, char **password_hash_out,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (password_hash_out != NULL) {
        *password_hash_out = NULL;
    }
    binder b = bind_start(r, ST_AGENT_BY_EMAIL);
    b_text(&b, 1, email);
    parley_status status = fetch_one(r, &b, "agent_get_by_email", "agent", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_agent(&rd, out);
        char *hash = password_hash_out != NULL ? r_text(&rd, 9) : NULL;
        status = reader_finish(&rd, "agent_get_by_email", err);
        if (status != PARLEY_OK) {
            parley_agent_free(out);
            free(hash);
        } else if (password_hash_out != NULL) {
            *password_hash_out = hash;
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_list(parley_repository *repo, parley_agent_list *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_AGENT_LIST];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_agent *a = parley_agent_list_push(out);
        if (a == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "agent_list: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        read_agent(&rd, a);
        status = reader_finish(&rd, "agent_list", err);
        if (status != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "agent_list", err);
    }
    if (status != PARLEY_OK) {
        parley_agent_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_agent_count(parley_repository *repo, int64_t *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_AGENT_COUNT);
    parley_status status = fetch_one(r, &b, "agent_count", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_update(parley_repository *repo, const parley_agent *a,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_UPDATE);
    b_id(&b, 1, a->id);
    b_text(&b, 2, a->name);
    b_text(&b, 3, a->language);
    b_enum(&b, 4, agent_role_store(a->role));
    b_enum(&b, 5, agent_status_store(a->status));
    b_int(&b, 6, a->active ? 1 : 0);
    return exec_write(r, &b, true, "agent_update", "agent", err);
}

static parley_status sq_agent_count_active_admins(parley_repository *repo, int64_t *out,
                                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_AGENT_COUNT_ADMINS);
    parley_status status = fetch_one(r, &b, "agent_count_active_admins", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

/* ---- bots -------------------------------------------------------------- */

static parley_status sq_bot_insert(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_BOT_INSERT);
    b_id(&b, 1, bot->id);
    b_text(&b, 2, bot->name);
    b_int(&b, 3, bot->active ? 1 : 0);
    b_i64(&b, 4, bot->created_at);
    return exec_write(r, &b, false, "bot_insert", "bot", err);
}

static parley_status sq_bot_get(parley_repository *repo, const char *id, parley_bot *out,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_BOT_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "bot_get", "bot", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_bot(&rd, out);
        status = reader_finish(&rd, "bot_get", err);
        if (status != PARLEY_OK) {
            parley_bot_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_bot_list(parley_repository *repo, parley_bot_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_BOT_LIST];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_bot *bot = parley_bot_list_push(out);
        if (bot == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "bot_list: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        read_bot(&rd, bot);
        if ((status = reader_finish(&rd, "bot_list", err)) != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "bot_list", err);
    }
    if (status != PARLEY_OK) {
        parley_bot_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_bot_update(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_BOT_UPDATE);
    b_id(&b, 1, bot->id);
    b_text(&b, 2, bot->name);
    b_int(&b, 3, bot->active ? 1 : 0);
    return exec_write(r, &b, true, "bot_update", "bot", err);
}

/* ---- tokens ------------------------------------------------------------ */

static void b_token_hash(binder *b, int idx, const char *hash) {
    size_t len = strnlen(hash, PARLEY_TOKEN_HASH_SIZE);
    if (len == 0 || len == PARLEY_TOKEN_HASH_SIZE) {
        b_invalid(b, "token hash must be 1..64 characters");
    }
    b_text_n(b, idx, hash, len);
}

static parley_status sq_token_insert(parley_repository *repo, const parley_token *t,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_INSERT);
    b_token_hash(&b, 1, t->token_hash);
    b_enum(&b, 2, participant_kind_store(t->owner_kind));
    b_id(&b, 3, t->owner_id);
    b_i64(&b, 4, t->created_at);
    b_i64(&b, 5, t->last_used_at);
    b_i64(&b, 6, t->expires_at);
    return exec_write(r, &b, false, "token_insert", "token", err);
}

static parley_status sq_token_get(parley_repository *repo, const char *token_hash,
                                  parley_token *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TOKEN_GET);
    b_text(&b, 1, token_hash);
    parley_status status = fetch_one(r, &b, "token_get", "token", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_token(&rd, out);
        status = reader_finish(&rd, "token_get", err);
        if (status != PARLEY_OK) {
            memset(out, 0, sizeof *out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_token_touch(parley_repository *repo, const char *token_hash,
                                    parley_time_ms last_used_at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_TOUCH);
    b_text(&b, 1, token_hash);
    b_i64(&b, 2, last_used_at);
    return exec_write(r, &b, true, "token_touch", "token", err);
}

/* A missing token is NOT_FOUND rather than success, so logout can tell a
 * stale token from a revoked one; callers that do not care ignore it. */
static parley_status sq_token_delete(parley_repository *repo, const char *token_hash,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_DELETE);
    b_text(&b, 1, token_hash);
    return exec_write(r, &b, true, "token_delete", "token", err);
}

static parley_status sq_token_delete_by_owner(parley_repository *repo,
                                              parley_participant_kind owner_kind,
                                              const char *owner_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_DELETE_OWNER);
    b_enum(&b, 1, participant_kind_store(owner_kind));
    b_id(&b, 2, owner_id);
    return exec_write(r, &b, false, "token_delete_by_owner", "token", err);
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
