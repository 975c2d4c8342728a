/*
 * sqlite/connection.c - the SQLite backend's handle: opening a connection
 * (pragmas, WAL, the schema version check, preparing every statement),
 * transactions, closing, and running the migrations.
 *
 * Ownership: a handle (struct sqlite_repo) owns one sqlite3 connection and
 * every prepared statement; ops->close() finalizes them, closes the
 * connection (rolling back any open transaction) and frees the handle.
 *
 * Threads: the connection is opened with SQLITE_OPEN_NOMUTEX, so a handle
 * must be used by one thread at a time; the server opens one per worker.
 * parley_sqlite_migrate() opens and closes its own connection and may be
 * called from any thread, normally once at start before the workers open.
 *
 * The schema itself (tables, indexes, migration steps) lives in schema.c;
 * the statements of each aggregate depend on its column names.
 *
 * Concurrency between handles is SQLite's: WAL lets readers run beside the
 * single writer; begin() takes the write lock up front (BEGIN IMMEDIATE) so
 * a batch never fails half-way on a lock upgrade; a lock that is not
 * granted within busy_timeout becomes PARLEY_E_UNAVAILABLE.
 */
#include "storage/sqlite/sqlite_repository.h"

#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_internal.h"

static const char *const connection_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT " UNIT_SAVEPOINT,
    [ST_RELEASE] = "RELEASE " UNIT_SAVEPOINT,
    [ST_ROLLBACK_TO] = "ROLLBACK TO " UNIT_SAVEPOINT,
};

/* Every file's SQL; stmt_sql() finds the one that has an id. */
static const char *const *const sql_parts[] = {
    connection_sql,
    parley_sqlite_accounts_sql,
    parley_sqlite_sessions_sql,
    parley_sqlite_messages_sql,
    parley_sqlite_tickets_sql,
    parley_sqlite_desk_sql,
    parley_sqlite_tools_sql,
    parley_sqlite_kb_sql,
    parley_sqlite_strategy_stores_sql,
    parley_sqlite_reports_sql,
    parley_sqlite_search_sql,
    parley_sqlite_retention_sql,
    parley_sqlite_audit_sql,
    parley_sqlite_uploads_sql,
    parley_sqlite_settings_sql,
    parley_sqlite_notifications_sql,
    parley_sqlite_webhooks_sql,
    parley_sqlite_push_sql,
    parley_sqlite_contacts_sql,
};

/* The SQL of a statement id, or NULL when no file (or more than one) has
 * it: a mistake of whoever added a statement, reported at open. */
static const char *stmt_sql(size_t id) {
    const char *sql = NULL;
    for (size_t i = 0; i < sizeof sql_parts / sizeof sql_parts[0]; i++) {
        if (sql_parts[i][id] != NULL) {
            if (sql != NULL) {
                return NULL;
            }
            sql = sql_parts[i][id];
        }
    }
    return sql;
}

/* ---- list cursors ------------------------------------------------------ */

/* The cursor is the decimal position of the last row of the previous page;
 * the next page is everything strictly older. "" starts at the newest. */
bool parley_sqlite_parse_cursor(const char *cursor, size_t size, int64_t *before) {
    size_t len = strnlen(cursor, size);
    if (len == 0) {
        *before = INT64_MAX;
        return true;
    }
    if (len == size || len > 19) {
        return false;
    }
    int64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (cursor[i] < '0' || cursor[i] > '9') {
            return false;
        }
        int digit = cursor[i] - '0';
        if (value > (INT64_MAX - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    if (value <= 0) {
        return false;
    }
    *before = value;
    return true;
}

/* ---- transactions ------------------------------------------------------ */

/* sq_<op>(repo, err): the statement <stmt>, which has no parameters. */
#define PLAIN_OP(op, stmt)                                                                         \
    static parley_status sq_##op(parley_repository *repo, parley_error *err) {                     \
        return exec_plain(as_sqlite(repo), stmt, #op, err);                                        \
    }

PLAIN_OP(begin, ST_BEGIN)
PLAIN_OP(commit, ST_COMMIT)
PLAIN_OP(savepoint, ST_SAVEPOINT)
PLAIN_OP(release, ST_RELEASE)

/* SQLite rolls a transaction back by itself after some errors (SQLITE_FULL,
 * IOERR, NOMEM); the caller's rollback then has nothing left to undo and
 * must not fail for it. */
static parley_status sq_rollback(parley_repository *repo, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    if (sqlite3_get_autocommit(r->db)) {
        return PARLEY_OK;
    }
    return exec_plain(r, ST_ROLLBACK, "rollback", err);
}

/* ROLLBACK TO undoes the unit but leaves its savepoint open; releasing it
 * right away keeps the savepoint stack flat however many units of a batch
 * fail, and makes the next savepoint() a fresh unit. */
static parley_status sq_rollback_to(parley_repository *repo, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    parley_status status = exec_plain(r, ST_ROLLBACK_TO, "rollback_to", err);
    if (status != PARLEY_OK) {
        return status;
    }
    return exec_plain(r, ST_RELEASE, "rollback_to", err);
}

/* One writer holds the whole file's write lock from BEGIN IMMEDIATE: no
 * other writer's unit can come between a check and its write. */
static parley_status sq_xact_lock(parley_repository *repo, parley_lock_name name, bool wait,
                                  bool *acquired, parley_error *err) {
    (void)repo;
    (void)name;
    (void)wait;
    (void)err;
    *acquired = true;
    return PARLEY_OK;
}

/* One file, one server: its node always leads. */
static parley_status sq_leadership_try(parley_repository *repo, bool *is_leader,
                                       parley_error *err) {
    (void)repo;
    (void)err;
    *is_leader = true;
    return PARLEY_OK;
}

static parley_status sq_lock_sessions(parley_repository *repo, const char *const *ids, size_t count,
                                      parley_error *err) {
    (void)repo;
    (void)ids;
    (void)count;
    (void)err;
    return PARLEY_OK;
}

/* ---- open / close ------------------------------------------------------ */

static void sq_close(parley_repository *repo) {
    if (repo == NULL) {
        return;
    }
    struct sqlite_repo *r = as_sqlite(repo);
    for (size_t i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(r->stmt[i]);
    }
    /* close_v2 never leaves the connection half-open; an open transaction
     * is rolled back. */
    sqlite3_close_v2(r->db);
    free(r);
}

static const parley_repository_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .xact_lock = sq_xact_lock,
    .leadership_try = sq_leadership_try,
    .lock_sessions = sq_lock_sessions,
};

/* Runs a statement that yields at most one integer (PRAGMA reads). */
static int query_int(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Opens a connection with the settings every handle shares and switches the
 * file to WAL (a persistent property of the file, so this is cheap after
 * the first time). */
static parley_status connect_db(const char *path, int busy_timeout_ms, sqlite3 **out,
                                parley_error *err) {
    *out = NULL;
    /* NOMUTEX relies on the library's own locking between connections; a
     * single-threaded build has none and would corrupt shared state. */
    if (sqlite3_threadsafe() == 0) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: libsqlite3 was built without thread support");
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        parley_status status = db_fail(db, rc, "open", err);
        sqlite3_close_v2(db);
        return status;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms);

    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_ROW) {
        parley_status status = db_fail(db, rc, "journal_mode", err);
        sqlite3_finalize(st);
        sqlite3_close_v2(db);
        return status;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    /* An in-memory database reports "memory" and cannot be shared across
     * handles anyway; a file that stays out of WAL would make readers and
     * the writer block each other, so refuse it. */
    const char *file = sqlite3_db_filename(db, "main");
    bool ok = mode != NULL && (strcmp(mode, "wal") == 0 || file == NULL || file[0] == '\0');
    sqlite3_finalize(st);
    if (!ok) {
        sqlite3_close_v2(db);
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: the database could not be switched to WAL mode");
    }
    *out = db;
    return PARLEY_OK;
}

parley_status parley_sqlite_repository_open(const char *path, const parley_sqlite_options *options,
                                            parley_repository **out, parley_error *err) {
    *out = NULL;
    /* No options means the safe choice: durable commits. */
    bool durable = options != NULL ? options->durable : true;
    int busy_timeout_ms = options != NULL && options->busy_timeout_ms > 0 ? options->busy_timeout_ms
                                                                          : DEFAULT_BUSY_TIMEOUT_MS;

    struct sqlite_repo *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "open: out of memory");
    }
    r->base.ops = &sqlite_ops;
    r->base.accounts = &parley_sqlite_accounts_ops;
    r->base.sessions = &parley_sqlite_sessions_ops;
    r->base.messages = &parley_sqlite_messages_ops;
    r->base.tickets = &parley_sqlite_tickets_ops;
    r->base.desk = &parley_sqlite_desk_ops;
    r->base.tools = &parley_sqlite_tools_ops;
    r->base.kb = &parley_sqlite_kb_ops;
    r->base.strategy_stores = &parley_sqlite_strategy_stores_ops;
    r->base.reports = &parley_sqlite_reports_ops;
    r->base.search = &parley_sqlite_search_ops;
    r->base.retention = &parley_sqlite_retention_ops;
    r->base.audit = &parley_sqlite_audit_ops;
    r->base.uploads = &parley_sqlite_uploads_ops;
    r->base.settings = &parley_sqlite_settings_ops;
    r->base.notifications = &parley_sqlite_notifications_ops;
    r->base.webhooks = &parley_sqlite_webhooks_ops;
    r->base.push = &parley_sqlite_push_ops;
    r->base.contacts = &parley_sqlite_contacts_ops;
    parley_status status = connect_db(path, busy_timeout_ms, &r->db, err);
    if (status != PARLEY_OK) {
        free(r);
        return status;
    }

    /* 32 MiB of page cache per connection keeps the hot indexes in memory */
    const char *pragmas = durable ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                                    "PRAGMA cache_size=-32768;"
                                  : "PRAGMA synchronous=NORMAL; PRAGMA "
                                    "foreign_keys=ON; PRAGMA cache_size=-32768;";
    int rc = sqlite3_exec(r->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(r->db, rc, "open", err);
        sq_close(&r->base);
        return status;
    }

    /* Statements would fail to prepare against an old schema with a
     * confusing "no such table"; say what is actually wrong. */
    int version = 0;
    rc = query_int(r->db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        status = db_fail(r->db, rc, "open", err);
        sq_close(&r->base);
        return status;
    }
    if (version != parley_sqlite_schema_version()) {
        sq_close(&r->base);
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: database schema is version %d but this build needs "
                                "version %d; run the migration first",
                                version, parley_sqlite_schema_version());
    }

    /* a search's un-indexed tail is matched here, with the tokenizer of
     * message_fts (schema step 13); temp: this connection only, no lock */
    rc = sqlite3_exec(r->db,
                      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_tail USING fts5("
                      "content, message_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(r->db, rc, "open: search_tail", err);
        sq_close(&r->base);
        return status;
    }
    for (size_t i = 0; i < ST_COUNT; i++) {
        const char *sql = stmt_sql(i);
        if (sql == NULL) {
            sq_close(&r->base);
            return parley_error_set(err, PARLEY_E_INTERNAL, NULL,
                                    "open: statement %zu has no SQL, or SQL in two files", i);
        }
        rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            status = db_fail(r->db, rc, "open: prepare", err);
            sq_close(&r->base);
            return status;
        }
    }
    *out = &r->base;
    return PARLEY_OK;
}

/* ---- migrations -------------------------------------------------------- */

/* Applies one step: under the write lock, re-reads the version so two
 * processes migrating at once cannot both apply the same step. Sets *done
 * when the database is already at the newest version. */
static parley_status migrate_step(sqlite3 *db, bool *done, parley_error *err) {
    int newest = parley_sqlite_schema_version();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "migrate", err);
    }
    parley_status status = PARLEY_OK;
    int version = 0;
    rc = query_int(db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate", err);
    } else if (version < 0 || version > newest) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                  "migrate: database schema version %d is newer than this build "
                                  "knows (%d); refusing to use it",
                                  version, newest);
    } else if (version == newest) {
        *done = true;
    } else {
        char set_version[64];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", version + 1);
        rc = sqlite3_exec(db, parley_sqlite_schema_step(version + 1), NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db, set_version, NULL, NULL, NULL);
        }
        int violations = 0;
        if (rc == SQLITE_OK) {
            /* Foreign keys are off while migrating (a table rebuild needs
             * that); check them before the step becomes permanent. */
            rc = query_int(db, "SELECT count(*) FROM pragma_foreign_key_check", &violations);
        }
        if (rc != SQLITE_OK) {
            status = parley_error_set(err, PARLEY_E_STORAGE, NULL, "migrate: step %d failed: %s",
                                      version + 1, sqlite3_errmsg(db));
        } else if (violations > 0) {
            status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                      "migrate: step %d left %d foreign key violations",
                                      version + 1, violations);
        }
    }
    if (status != PARLEY_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return status;
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate: commit", err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return status;
}

parley_status parley_sqlite_migrate(const char *path, parley_error *err) {
    sqlite3 *db = NULL;
    parley_status status = connect_db(path, DEFAULT_BUSY_TIMEOUT_MS, &db, err);
    if (status != PARLEY_OK) {
        return status;
    }
    /* Off, whatever the build's default: a step that rebuilds a table must
     * be able to drop and recreate it; migrate_step checks keys instead. */
    int rc = sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate", err);
    }
    bool done = false;
    while (status == PARLEY_OK && !done) {
        status = migrate_step(db, &done, err);
    }
    sqlite3_close_v2(db);
    return status;
}

int parley_sqlite_schema_version(void) {
    return parley_sqlite_schema_step_count();
}

/* ---- the registry's row ----------------------------------------------- */

static parley_status backend_open(const char *path, const parley_storage_options *options,
                                  parley_repository **out, parley_error *err) {
    if (options == NULL) {
        return parley_sqlite_repository_open(path, NULL, out, err);
    }
    parley_sqlite_options sqlite_options = {.durable = options->durable,
                                            .busy_timeout_ms = options->busy_timeout_ms};
    return parley_sqlite_repository_open(path, &sqlite_options, out, err);
}

const parley_storage_backend parley_sqlite_backend = {
    .name = "sqlite",
    .scheme = "sqlite",
    .open = backend_open,
    .migrate = parley_sqlite_migrate,
    .schema_version = parley_sqlite_schema_version,
};
