/*
 * postgres/connection.c - the PostgreSQL backend's handle: connecting from
 * a postgres:// URL (libpq; TLS as the URL's sslmode says), the session
 * settings, the schema version check, preparing every statement, running
 * one (the SQLSTATE mapping), reconnecting, transactions and units, and
 * the migrations.
 *
 * Ownership: a handle (struct pg_repo) owns one PGconn; ops->close()
 * closes it (the server rolls back an open transaction) and frees the
 * handle. Threads: one thread at a time per handle; migrate() opens its
 * own connection, from any thread.
 *
 * Reconnect: a connection the server dropped (a restart, a failover, an
 * admin's pg_terminate_backend) fails the statement in flight with
 * PARLEY_E_UNAVAILABLE (the caller's unit and batch roll back: nothing is
 * half-applied, the request answers 503); the next begin() of the handle
 * resets the connection and prepares its statements again.
 *
 * The performance design this layer is written for (issue 12):
 *  - units are savepoints inside the batch's one transaction (group commit
 *    as on SQLite), so a batch commits once;
 *  - every statement is prepared once per connection (no parse per call);
 *  - messages->store is one round trip (the function parley_message_store,
 *    schema.c) that takes the session's row lock for the seq;
 *  - lock_timeout is set from the busy timeout: a lock not granted in time
 *    is 55P03, PARLEY_E_UNAVAILABLE, never an unbounded wait;
 *  - 40001 / 40P01 are told apart (parley_pg_sqlstate_retryable); the
 *    handle remembers the last failed statement's SQLSTATE since its
 *    begin or savepoint, and ops->retryable() tells the executor
 *    (net/loop/executor.c run_unit) to run such a unit once more.
 *  - several writers (docs/subsystems/storage.md, "Several writers and
 *    leadership"): lock_sessions locks a batch's sessions in sorted order
 *    up front, xact_lock is pg_advisory_xact_lock on a named key, and
 *    leadership_try holds a session-level advisory lock on the handle's
 *    connection (lost with it: a reconnect clears r->leader).
 * Not yet here: libpq pipeline mode for a batch's statements (parley_pg_run
 * is the one place that sends; a pipelined batch would queue there and
 * read the results at commit).
 */
#include "storage/postgres/postgres_repository.h"

#include "storage/postgres/pg_internal.h"
#include "storage/postgres/pg_schema.h"
#include "storage/sqlite/sqlite_repository.h"

/* Every aggregate file's SQL; stmt_sql() finds the one that has an id. */
static const char *const *const sql_parts[] = {
    parley_pg_accounts_sql,
    parley_pg_sessions_sql,
    parley_pg_messages_sql,
    parley_pg_tickets_sql,
    parley_pg_search_sql,
    parley_pg_retention_sql,
    parley_pg_audit_sql,
    parley_pg_uploads_sql,
    parley_pg_settings_sql,
    parley_pg_tools_sql,
    parley_pg_strategy_stores_sql,
    parley_pg_desk_sql,
    parley_pg_kb_sql,
    parley_pg_reports_sql,
    parley_pg_notifications_sql,
    parley_pg_webhooks_sql,
    parley_pg_push_sql,
    parley_pg_contacts_sql,
};

/* Serializes migrations of one database (pg_advisory_xact_lock's key). */
#define MIGRATION_LOCK_KEY "7310486523001"
/* The advisory lock keys of leadership (session-level) and of the named
 * locks (parley_lock_name, transaction-level): key = base + name. Parley
 * takes no other advisory locks on its database. */
#define LEADERSHIP_LOCK_KEY INT64_C(7310486523002)
#define NAMED_LOCK_KEY_BASE INT64_C(7310486523010)

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

/* The same cursor text as SQLite's lists (one grammar, one parser). */
bool parley_pg_parse_cursor(const char *cursor, size_t size, int64_t *before) {
    return parley_sqlite_parse_cursor(cursor, size, before);
}

/* ---- errors ------------------------------------------------------------ */

bool parley_pg_sqlstate_retryable(const char *sqlstate) {
    return sqlstate != NULL && (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0);
}

static parley_status status_of(const char *sqlstate, bool *full) {
    *full = false;
    if (sqlstate == NULL) {
        return PARLEY_E_UNAVAILABLE; /* no answer from the server: the connection */
    }
    if (strcmp(sqlstate, "23505") == 0) {
        return PARLEY_E_CONFLICT;
    }
    if (parley_pg_sqlstate_retryable(sqlstate) || strcmp(sqlstate, "55P03") == 0 ||
        strcmp(sqlstate, "57014") == 0 || strncmp(sqlstate, "57P0", 4) == 0 ||
        strcmp(sqlstate, "53300") == 0 || strncmp(sqlstate, "08", 2) == 0) {
        return PARLEY_E_UNAVAILABLE;
    }
    if (strcmp(sqlstate, "53100") == 0) {
        *full = true;
        return PARLEY_E_STORAGE;
    }
    if (strcmp(sqlstate, "53200") == 0) {
        return PARLEY_E_NOMEM;
    }
    return PARLEY_E_STORAGE;
}

parley_status parley_pg_fail(PGconn *conn, const PGresult *res, const char *op, parley_error *err) {
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (text == NULL) {
        text = conn != NULL ? PQerrorMessage(conn) : "no connection";
    }
    if (sqlstate == NULL && conn != NULL && PQstatus(conn) == CONNECTION_OK && res != NULL) {
        sqlstate = "XX000"; /* an answer without a code: not the connection */
    }
    bool full = false;
    parley_status status = status_of(sqlstate, &full);
    /* integrity errors say which kind of constraint in SQLite's words, so
     * logs (and tests) read alike on both backends */
    const char *kind = "";
    if (sqlstate != NULL && strcmp(sqlstate, "23503") == 0) {
        kind = "FOREIGN KEY constraint failed: ";
    } else if (sqlstate != NULL && strcmp(sqlstate, "23505") == 0) {
        kind = "UNIQUE constraint failed: ";
    } else if (sqlstate != NULL && strcmp(sqlstate, "23502") == 0) {
        kind = "NOT NULL constraint failed: ";
    } else if (sqlstate != NULL && strcmp(sqlstate, "23514") == 0) {
        kind = "CHECK constraint failed: ";
    }
    /* libpq's own messages end in a newline */
    int len = (int)strcspn(text, "\n");
    parley_error_set(err, status, full ? PARLEY_ERROR_CODE_STORAGE_FULL : NULL, "%s: %s%.*s (%s)",
                     op, kind, len, text, sqlstate != NULL ? sqlstate : "connection");
    if (err != NULL) {
        err->internal = true;
    }
    return status;
}

/* ---- running statements -------------------------------------------------- */

static parley_status reset_connection(struct pg_repo *r, parley_error *err);

/* Did the statement fail for want of a connection (libpq's own error, no
 * SQLSTATE from a server), rather than on the server? libpq may still say
 * CONNECTION_OK after reading the server's close. */
static bool connection_lost(PGconn *conn, const PGresult *res) {
    if (PQstatus(conn) != CONNECTION_OK) {
        return true;
    }
    ExecStatusType rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return rs == PGRES_FATAL_ERROR &&
           (res == NULL || PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL);
}

static void stmt_name(char *out, size_t size, int id) {
    snprintf(out, size, "s%d", id);
}

PGresult *parley_pg_run(binder *b, const char *op, parley_status *status, parley_error *err) {
    PGresult *res = NULL;
    if (b->invalid != NULL) {
        *status = parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: %s", op, b->invalid);
        binder_free(b);
        return NULL;
    }
    char name[16];
    stmt_name(name, sizeof name, (int)b->id);
    const char *values[PG_MAX_PARAMS];
    for (int i = 0; i < b->count; i++) {
        values[i] = b->is_number[i] ? b->numbers[i] : b->values[i];
    }
    res = PQexecPrepared(b->r->conn, name, b->count, values, NULL, NULL, 0);
    if (!b->r->in_xact && connection_lost(b->r->conn, res)) {
        /* outside a transaction (the readers' statements: every write runs
         * in a unit's transaction) a connection the server dropped, e.g. at
         * its restart, is reset and the read sent once more; inside one the
         * failure stands (the unit answers 503, nothing half-applied) */
        PQclear(res);
        res = NULL;
        parley_error reconnect = {0};
        if (reset_connection(b->r, &reconnect) == PARLEY_OK) {
            res = PQexecPrepared(b->r->conn, name, b->count, values, NULL, NULL, 0);
        }
    }
    binder_free(b);
    ExecStatusType rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
        *status = PARLEY_OK;
        return res;
    }
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(b->r->sqlstate, sizeof b->r->sqlstate, "%s", sqlstate != NULL ? sqlstate : "");
    *status = parley_pg_fail(b->r->conn, res, op, err);
    PQclear(res);
    return NULL;
}

/* A statement without parameters or rows, sent as a simple query. */
static parley_status exec_simple(PGconn *conn, const char *sql, const char *op, parley_error *err) {
    PGresult *res = PQexec(conn, sql);
    parley_status status = PARLEY_OK;
    ExecStatusType rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
        status = parley_pg_fail(conn, res, op, err);
    }
    PQclear(res);
    return status;
}

parley_status parley_pg_exec(struct pg_repo *r, const char *sql, const char *op,
                             parley_error *err) {
    return exec_simple(r->conn, sql, op, err);
}

/* One integer from a simple query of one row and column (*out 0 when the
 * value is NULL). */
static parley_status query_i64(PGconn *conn, const char *sql, const char *op, int64_t *out,
                               parley_error *err) {
    *out = 0;
    PGresult *res = PQexec(conn, sql);
    parley_status status = PARLEY_OK;
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        status = parley_pg_fail(conn, res, op, err);
    } else if (PQntuples(res) != 1 || PQnfields(res) != 1) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL, "%s: expected one value", op);
    } else if (!PQgetisnull(res, 0, 0)) {
        const char *v = PQgetvalue(res, 0, 0);
        *out = v[0] == 't' ? 1 : v[0] == 'f' ? 0 : strtoll(v, NULL, 10);
    }
    PQclear(res);
    return status;
}

/* ---- connecting ------------------------------------------------------------ */

/* The server's notices and warnings (a rollback with nothing to undo)
 * would go to stderr; the statuses carry what matters. */
static void ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* Connects to "postgres:" + rest, the URL as the registry split it. */
static parley_status connect_url(const char *rest, PGconn **out, parley_error *err) {
    *out = NULL;
    size_t len = strlen(rest);
    char *uri = malloc(len + sizeof "postgres:");
    if (uri == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "open: out of memory");
    }
    memcpy(uri, "postgres:", sizeof "postgres:" - 1);
    memcpy(uri + sizeof "postgres:" - 1, rest, len + 1);
    /* libpq checks the URI's syntax itself; a malformed one fails here with
     * its message (which never repeats the password) */
    PGconn *conn = PQconnectdb(uri);
    free(uri);
    if (conn == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "open: out of memory");
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        parley_status status = parley_pg_fail(conn, NULL, "open", err);
        PQfinish(conn);
        return status;
    }
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    *out = conn;
    return PARLEY_OK;
}

/* The settings every connection of a handle runs with, and its prepared
 * statements: at open and after every reconnect. */
static parley_status session_setup(struct pg_repo *r, parley_error *err) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SET lock_timeout = %d; SET synchronous_commit = %s; SET TimeZone = 'UTC'; "
             "SET client_encoding = 'UTF8'; SET application_name = 'parleyd'",
             r->lock_timeout_ms, r->durable ? "on" : "off");
    parley_status status = exec_simple(r->conn, sql, "open", err);
    for (size_t i = 0; status == PARLEY_OK && i < PG_STMT_COUNT; i++) {
        const char *text = stmt_sql(i);
        if (text == NULL) {
            return parley_error_set(err, PARLEY_E_INTERNAL, NULL,
                                    "open: statement %zu has no SQL, or SQL in two files", i);
        }
        char name[16];
        stmt_name(name, sizeof name, (int)i);
        PGresult *res = PQprepare(r->conn, name, text, 0, NULL);
        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
            status = parley_pg_fail(r->conn, res, "open: prepare", err);
        }
        PQclear(res);
    }
    return status;
}

/* Connects again (and sets the session up again). */
static parley_status reset_connection(struct pg_repo *r, parley_error *err) {
    PQreset(r->conn);
    r->leader = false; /* the old connection's session locks went with it */
    if (PQstatus(r->conn) != CONNECTION_OK) {
        return parley_pg_fail(r->conn, NULL, "reconnect", err);
    }
    return session_setup(r, err);
}

/* A dropped connection is reset (and set up again) before a new batch. */
static parley_status ensure_connected(struct pg_repo *r, parley_error *err) {
    return PQstatus(r->conn) == CONNECTION_OK ? PARLEY_OK : reset_connection(r, err);
}

/* ---- transactions ------------------------------------------------------ */

static parley_status pq_begin(parley_repository *repo, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    r->sqlstate[0] = '\0';
    parley_status status = ensure_connected(r, err);
    if (status == PARLEY_OK && PQtransactionStatus(r->conn) != PQTRANS_IDLE) {
        /* PostgreSQL only warns; a nested begin is a caller's mistake */
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "begin: a transaction is already open");
    }
    if (status == PARLEY_OK) {
        PGresult *res = PQexec(r->conn, "BEGIN");
        if (connection_lost(r->conn, res)) {
            /* dropped since the last batch (libpq learns it only now):
             * nothing was in this transaction yet, so connect again */
            PQclear(res);
            res = NULL;
            if ((status = reset_connection(r, err)) == PARLEY_OK) {
                res = PQexec(r->conn, "BEGIN");
            }
        }
        if (status == PARLEY_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
            status = parley_pg_fail(r->conn, res, "begin", err);
        }
        PQclear(res);
    }
    if (status == PARLEY_OK) {
        r->in_xact = true;
    }
    return status;
}

static parley_status pq_commit(parley_repository *repo, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    /* COMMIT of a transaction that failed answers ROLLBACK without an
     * error; the caller must hear that nothing was committed */
    PGTransactionStatusType ts = PQtransactionStatus(r->conn);
    r->in_xact = false; /* committed, rolled back or lost: over either way */
    if (ts == PQTRANS_IDLE) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "commit: no transaction is open");
    }
    bool failed = ts == PQTRANS_INERROR;
    parley_status status = exec_simple(r->conn, "COMMIT", "commit", err);
    if (status == PARLEY_OK && failed) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                  "commit: the transaction had failed and was rolled back");
    }
    return status;
}

/* With no open transaction (a dropped connection, a commit that failed)
 * there is nothing to undo, and that is no error. */
static parley_status pq_rollback(parley_repository *repo, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    r->in_xact = false;
    PGTransactionStatusType ts = PQtransactionStatus(r->conn);
    if (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN) {
        return PARLEY_OK;
    }
    return exec_simple(r->conn, "ROLLBACK", "rollback", err);
}

static parley_status pq_savepoint(parley_repository *repo, parley_error *err) {
    as_pg(repo)->sqlstate[0] = '\0';
    return exec_simple(as_pg(repo)->conn, "SAVEPOINT parley_unit", "savepoint", err);
}

static parley_status pq_release(parley_repository *repo, parley_error *err) {
    return exec_simple(as_pg(repo)->conn, "RELEASE SAVEPOINT parley_unit", "release", err);
}

/* Undoes the unit (also after a failed statement, which aborted it) and
 * ends it, so the savepoint stack stays flat (as sqlite's rollback_to). */
static parley_status pq_rollback_to(parley_repository *repo, parley_error *err) {
    return exec_simple(as_pg(repo)->conn,
                       "ROLLBACK TO SAVEPOINT parley_unit; RELEASE SAVEPOINT parley_unit",
                       "rollback_to", err);
}

/* A deadlock or serialization failure since the last begin or savepoint:
 * the executor runs the unit once more (core/repository.h). */
static bool pq_retryable(parley_repository *repo) {
    return parley_pg_sqlstate_retryable(as_pg(repo)->sqlstate);
}

/* ---- named locks and leadership ------------------------------------------- */

/* One boolean from a simple query; a failure's SQLSTATE is remembered
 * (a deadlock while waiting for a lock makes the unit retryable). */
static parley_status query_flag(struct pg_repo *r, const char *sql, const char *op, bool *out,
                                parley_error *err) {
    *out = false;
    PGresult *res = PQexec(r->conn, sql);
    parley_status status = PARLEY_OK;
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(r->sqlstate, sizeof r->sqlstate, "%s", sqlstate != NULL ? sqlstate : "");
        status = parley_pg_fail(r->conn, res, op, err);
    } else if (PQntuples(res) != 1 || PQnfields(res) != 1) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL, "%s: expected one value", op);
    } else {
        /* pg_advisory_xact_lock answers void (an empty text): taken */
        *out = PQgetvalue(res, 0, 0)[0] != 'f';
    }
    PQclear(res);
    return status;
}

/* pg_advisory_xact_lock / pg_try_advisory_xact_lock: held until the batch
 * ends (or its unit's savepoint is rolled back to); a wait is bounded by
 * lock_timeout (55P03) and broken by the deadlock detector (40P01). */
static parley_status pq_xact_lock(parley_repository *repo, parley_lock_name name, bool wait,
                                  bool *acquired, parley_error *err) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_%sadvisory_xact_lock(%" PRId64 ")", wait ? "" : "try_",
             NAMED_LOCK_KEY_BASE + (int64_t)name);
    return query_flag(as_pg(repo), sql, "lock", acquired, err);
}

/* Not yet the leader: pg_try_advisory_lock (session-level: it outlives
 * transactions, rollbacks included, and goes with the connection). The
 * leader asks pg_locks whether its connection still holds the lock, which
 * also proves the connection alive; taking it again would only stack a
 * second hold. */
static parley_status pq_leadership_try(parley_repository *repo, bool *is_leader,
                                       parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    *is_leader = false;
    if (PQstatus(r->conn) != CONNECTION_OK) {
        r->leader = false;
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "leadership: no connection");
    }
    char sql[256];
    if (r->leader) {
        snprintf(sql, sizeof sql,
                 "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                 "pg_backend_pid() AND granted AND classid = %" PRId64 " AND objid = %" PRId64
                 " AND objsubid = 1)",
                 LEADERSHIP_LOCK_KEY >> 32, LEADERSHIP_LOCK_KEY & INT64_C(0xffffffff));
    } else {
        snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%" PRId64 ")", LEADERSHIP_LOCK_KEY);
    }
    parley_status status = query_flag(r, sql, "leadership", is_leader, err);
    r->leader = status == PARLEY_OK && *is_leader;
    *is_leader = r->leader;
    return status;
}

/* The ids as one text[] literal ({"a","b"}): ids are ASCII letters,
 * digits and '_' (core/ids.h); anything else names no session and is
 * left out, never quoted. */
static parley_status lock_sessions_literal(const char *const *ids, size_t count, char **out,
                                           parley_error *err) {
    size_t size = 3;
    for (size_t i = 0; i < count; i++) {
        size += strlen(ids[i]) + 3;
    }
    char *text = malloc(size);
    if (text == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "lock: out of memory");
    }
    size_t at = 0;
    text[at++] = '{';
    for (size_t i = 0; i < count; i++) {
        if (ids[i][0] == '\0' ||
            ids[i][strspn(ids[i], "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] != '\0') {
            continue; /* no session has it */
        }
        at += (size_t)sprintf(text + at, "%s\"%s\"", at > 1 ? "," : "", ids[i]);
    }
    text[at++] = '}';
    text[at] = '\0';
    *out = text;
    return PARLEY_OK;
}

static parley_status pq_lock_sessions(parley_repository *repo, const char *const *ids, size_t count,
                                      parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    if (count == 0) {
        return PARLEY_OK;
    }
    char *literal = NULL;
    parley_status status = lock_sessions_literal(ids, count, &literal, err);
    if (status != PARLEY_OK) {
        return status;
    }
    /* LockRows runs above the Sort: the rows are locked in id order */
    const char *values[1] = {literal};
    PGresult *res = PQexecParams(r->conn,
                                 "SELECT id FROM sessions WHERE id = ANY ($1::text[]) "
                                 "ORDER BY id COLLATE \"C\" FOR UPDATE",
                                 1, NULL, values, NULL, NULL, 0);
    free(literal);
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(r->sqlstate, sizeof r->sqlstate, "%s", sqlstate != NULL ? sqlstate : "");
        status = parley_pg_fail(r->conn, res, "lock", err);
    }
    PQclear(res);
    return status;
}

/* ---- open / close ------------------------------------------------------ */

static void pq_close(parley_repository *repo) {
    if (repo == NULL) {
        return;
    }
    struct pg_repo *r = as_pg(repo);
    PQfinish(r->conn);
    free(r);
}

static const parley_repository_ops postgres_ops = {
    .name = "postgres",
    .close = pq_close,
    .begin = pq_begin,
    .commit = pq_commit,
    .rollback = pq_rollback,
    .savepoint = pq_savepoint,
    .release = pq_release,
    .rollback_to = pq_rollback_to,
    .retryable = pq_retryable,
    .xact_lock = pq_xact_lock,
    .leadership_try = pq_leadership_try,
    .lock_sessions = pq_lock_sessions,
};

/* The database's schema version; 0 before the first migration. */
static parley_status schema_version_of(PGconn *conn, const char *op, int64_t *version,
                                       parley_error *err) {
    int64_t exists = 0;
    parley_status status =
        query_i64(conn, "SELECT to_regclass('schema_version') IS NOT NULL", op, &exists, err);
    *version = 0;
    if (status == PARLEY_OK && exists) {
        status = query_i64(conn, "SELECT max(version) FROM schema_version", op, version, err);
    }
    return status;
}

static parley_status pg_open(const char *rest, const parley_storage_options *options,
                             parley_repository **out, parley_error *err) {
    *out = NULL;
    struct pg_repo *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "open: out of memory");
    }
    r->durable = options != NULL ? options->durable : true;
    r->lock_timeout_ms = options != NULL && options->busy_timeout_ms > 0
                             ? options->busy_timeout_ms
                             : PG_DEFAULT_LOCK_TIMEOUT_MS;
    r->base.ops = &postgres_ops;
    r->base.accounts = &parley_pg_accounts_ops;
    r->base.sessions = &parley_pg_sessions_ops;
    r->base.messages = &parley_pg_messages_ops;
    r->base.tickets = &parley_pg_tickets_ops;
    r->base.search = &parley_pg_search_ops;
    r->base.retention = &parley_pg_retention_ops;
    r->base.audit = &parley_pg_audit_ops;
    r->base.uploads = &parley_pg_uploads_ops;
    r->base.settings = &parley_pg_settings_ops;
    r->base.tools = &parley_pg_tools_ops;
    r->base.strategy_stores = &parley_pg_strategy_stores_ops;
    r->base.desk = &parley_pg_desk_ops;
    r->base.kb = &parley_pg_kb_ops;
    r->base.reports = &parley_pg_reports_ops;
    r->base.notifications = &parley_pg_notifications_ops;
    r->base.webhooks = &parley_pg_webhooks_ops;
    r->base.push = &parley_pg_push_ops;
    r->base.contacts = &parley_pg_contacts_ops;
    parley_status status = connect_url(rest, &r->conn, err);
    if (status != PARLEY_OK) {
        free(r);
        return status;
    }
    int64_t version = 0;
    status = schema_version_of(r->conn, "open", &version, err);
    if (status == PARLEY_OK && version != parley_pg_schema_step_count()) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                  "open: database schema is version %" PRId64
                                  " but this build needs version %d; run the migration first",
                                  version, parley_pg_schema_step_count());
    }
    if (status == PARLEY_OK) {
        status = session_setup(r, err);
    }
    if (status != PARLEY_OK) {
        pq_close(&r->base);
        return status;
    }
    *out = &r->base;
    return PARLEY_OK;
}

/* ---- migrations -------------------------------------------------------- */

/* Applies one step in its own transaction, under an advisory lock so two
 * processes migrating at once cannot both apply it. Sets *done when the
 * database is already at the newest version. */
static parley_status migrate_step(PGconn *conn, bool *done, parley_error *err) {
    int newest = parley_pg_schema_step_count();
    parley_status status =
        exec_simple(conn,
                    "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY "); "
                    "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL); "
                    "INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM "
                    "schema_version)",
                    "migrate", err);
    int64_t version = 0;
    if (status == PARLEY_OK) {
        status =
            query_i64(conn, "SELECT max(version) FROM schema_version", "migrate", &version, err);
    }
    if (status == PARLEY_OK && (version < 0 || version > newest)) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                  "migrate: database schema version %" PRId64
                                  " is newer than this build knows (%d); refusing to use it",
                                  version, newest);
    } else if (status == PARLEY_OK && version == newest) {
        *done = true;
    } else if (status == PARLEY_OK) {
        const char *const *parts = parley_pg_schema_step((int)version + 1);
        for (size_t i = 0; status == PARLEY_OK && parts[i] != NULL; i++) {
            status = exec_simple(conn, parts[i], "migrate: step", err);
        }
        char sql[64];
        snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", (int)version + 1);
        if (status == PARLEY_OK) {
            status = exec_simple(conn, sql, "migrate", err);
        }
    }
    if (status != PARLEY_OK) {
        parley_error ignored = {0};
        exec_simple(conn, "ROLLBACK", "migrate", &ignored);
        return status;
    }
    return exec_simple(conn, "COMMIT", "migrate: commit", err);
}

static parley_status pg_migrate(const char *rest, parley_error *err) {
    PGconn *conn = NULL;
    parley_status status = connect_url(rest, &conn, err);
    if (status == PARLEY_OK) {
        /* the function bodies and notices need no client chatter */
        status = exec_simple(conn, "SET client_min_messages = warning", "migrate", err);
    }
    bool done = false;
    while (status == PARLEY_OK && !done) {
        status = migrate_step(conn, &done, err);
    }
    PQfinish(conn);
    return status;
}

int parley_postgres_schema_version(void) {
    return parley_pg_schema_step_count();
}

const parley_storage_backend parley_postgres_backend = {
    .name = "postgres",
    .scheme = "postgres",
    .open = pg_open,
    .migrate = pg_migrate,
    .schema_version = parley_postgres_schema_version,
};
