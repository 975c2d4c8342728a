/*
 * storage/migrate.c - `parleyd migrate` (migrate.h): SQLite rows into a
 * fresh PostgreSQL database with COPY, verified before the commit.
 *
 * Ownership: every connection, statement and buffer is this file's and
 * freed before return. Threads: the caller's (a command-line tool).
 *
 * The one list to keep in step with the schemas is `tables` below: each
 * table of either schema, in dependency order (a table after every table
 * its foreign keys name), with how it moves. The columns are read from the
 * schemas at run time (PostgreSQL's catalog, SQLite's table_info), so a
 * column added to both schemas moves without a change here, and one added
 * to only one of them fails the migration by name.
 */
#include "storage/migrate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "storage/backend.h"
#include "storage/file_store.h"
#include "storage/sqlite/schema.h"
#include "util/strbuf.h"

typedef enum table_how {
    COPY,        /* rows copied, counts verified */
    SEEDED,      /* like COPY, but the PostgreSQL schema seeds it: the seed goes first */
    DERIVED,     /* on both sides, not copied: set from the copied rows after */
    SQLITE_ONLY, /* SQLite's own (its search index, AUTOINCREMENT's counters) */
    PG_ONLY,     /* PostgreSQL's own (the schema version) */
} table_how;

static const struct known_table {
    const char *name;
    table_how how;
    /* SEEDED: counts the target's rows that are not the seed; DERIVED:
     * the statement that sets it after the copy */
    const char *sql;
} tables[] = {
    {"customers", COPY, NULL},
    {"agents", COPY, NULL},
    {"bots", COPY, NULL},
    {"tokens", COPY, NULL},
    {"teams", COPY, NULL},
    {"team_members", COPY, NULL},
    {"sessions", COPY, NULL},
    {"messages", COPY, NULL},
    {"tickets", COPY, NULL},
    {"ticket_notes", COPY, NULL},
    {"feedback", COPY, NULL},
    {"audit_log", COPY, NULL},
    {"flagged_messages", COPY, NULL},
    {"spam_tokens", COPY, NULL},
    {"spam_totals", SEEDED,
     "SELECT count(*) FROM spam_totals WHERE spam_messages <> 0 OR ham_messages <> 0"},
    {"profanity_allowlist", COPY, NULL},
    {"message_labels", COPY, NULL},
    {"settings", COPY, NULL},
    {"kb_entries", COPY, NULL},
    {"bot_session_state", COPY, NULL},
    {"uploads", COPY, NULL},
    {"canned_responses", COPY, NULL},
    {"session_notes", COPY, NULL},
    {"read_receipts", COPY, NULL},
    {"labels", COPY, NULL},
    {"session_labels", COPY, NULL},
    {"notifications", COPY, NULL},
    {"notification_deliveries", COPY, NULL},
    {"notification_prefs", COPY, NULL},
    {"password_resets", COPY, NULL},
    {"webhooks", COPY, NULL},
    {"webhook_attempts", COPY, NULL},
    {"push_subscriptions", COPY, NULL},
    /* PostgreSQL's index is always current (the tsvector is written with
     * the row); its mark only feeds the catch-up count */
    {"search_progress", DERIVED,
     "UPDATE search_progress SET last_position = (SELECT coalesce(max(position), 0) FROM "
     "messages)"},
    {"message_fts", SQLITE_ONLY, NULL},
    {"message_fts_data", SQLITE_ONLY, NULL},
    {"message_fts_idx", SQLITE_ONLY, NULL},
    {"message_fts_docsize", SQLITE_ONLY, NULL},
    {"message_fts_config", SQLITE_ONLY, NULL},
    {"sqlite_sequence", SQLITE_ONLY, NULL},
    {"schema_version", PG_ONLY, NULL},
};
#define TABLE_COUNT (sizeof tables / sizeof tables[0])

static const struct known_table *known_table(const char *name) {
    for (size_t i = 0; i < TABLE_COUNT; i++) {
        if (strcmp(tables[i].name, name) == 0) {
            return &tables[i];
        }
    }
    return NULL;
}

/* ---- the two connections ------------------------------------------------------ */

/* an index definition per secondary index of the target (drop_indexes) */
typedef struct deferred_indexes {
    char **defs;
    int count;
} deferred_indexes;

typedef struct migration {
    const parley_migrate_options *o;
    sqlite3 *db;
    PGconn *pg;
    bool in_tx;
    /* per table of `tables`: the column lists, the rows copied */
    char *pg_cols[TABLE_COUNT];
    char *sqlite_cols[TABLE_COUNT];
    bool has_rowid[TABLE_COUNT];
    int64_t copied[TABLE_COUNT];
    deferred_indexes indexes; /* dropped for the copy, rebuilt after */
} migration;

static parley_status pg_fail(migration *m, const char *what, parley_error *err) {
    char text[200];
    snprintf(text, sizeof text, "%s", PQerrorMessage(m->pg));
    text[strcspn(text, "\n")] = '\0';
    return parley_error_set(err, PARLEY_E_STORAGE, NULL, "PostgreSQL, %s: %s", what, text);
}

static parley_status sqlite_fail(migration *m, const char *what, parley_error *err) {
    return parley_error_set(err, PARLEY_E_STORAGE, NULL, "SQLite, %s: %s", what,
                            sqlite3_errmsg(m->db));
}

static parley_status pg_exec(migration *m, const char *sql, parley_error *err) {
    PGresult *res = PQexec(m->pg, sql);
    ExecStatusType s = PQresultStatus(res);
    PQclear(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? PARLEY_OK : pg_fail(m, sql, err);
}

/* One bigint of a one-row query; params NULL-terminated texts. */
static parley_status pg_i64(migration *m, const char *sql, const char *param, int64_t *out,
                            parley_error *err) {
    PGresult *res = PQexecParams(m->pg, sql, param != NULL ? 1 : 0, NULL,
                                 param != NULL ? &param : NULL, NULL, NULL, 0);
    parley_status st = PARLEY_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        st = pg_fail(m, sql, err);
    } else {
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return st;
}

static parley_status sqlite_i64(migration *m, const char *sql, int64_t *out, parley_error *err) {
    sqlite3_stmt *stmt = NULL;
    parley_status st = PARLEY_OK;
    if (sqlite3_prepare_v2(m->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        st = sqlite_fail(m, sql, err);
    } else {
        *out = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return st;
}

static void say(migration *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(migration *m, const char *fmt, ...) {
    if (m->o->out == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(m->o->out, fmt, ap);
    va_end(ap);
    fflush(m->o->out);
}

/* Read-only, at this build's newest schema, inside one read transaction
 * (every table read from the same snapshot). */
static parley_status open_sqlite(migration *m, parley_error *err) {
    if (sqlite3_open_v2(m->o->sqlite_path, &m->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        return sqlite_fail(m, "open", err);
    }
    sqlite3_busy_timeout(m->db, 5000);
    int64_t version = 0;
    parley_status st = sqlite_i64(m, "PRAGMA user_version", &version, err);
    if (st == PARLEY_OK && version != parley_sqlite_schema_step_count()) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "the SQLite database is at schema version %" PRId64
                                ", this build's is %d: start this build's parleyd on it once "
                                "(it migrates), stop it, then migrate",
                                version, parley_sqlite_schema_step_count());
    }
    if (st == PARLEY_OK && sqlite3_exec(m->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        st = sqlite_fail(m, "BEGIN", err);
    }
    /* the read lock is taken by the first read, not by BEGIN */
    int64_t ignored = 0;
    return st == PARLEY_OK ? sqlite_i64(m, "SELECT count(*) FROM sqlite_schema", &ignored, err)
                           : st;
}

static parley_status open_pg(migration *m, parley_error *err) {
    const parley_storage_backend *backend = NULL;
    const char *rest = NULL;
    parley_status st = parley_storage_lookup(m->o->pg_url, &backend, &rest, err);
    if (st == PARLEY_OK && strcmp(backend->name, "postgres") != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "--to: a postgres:// or postgresql:// URL is needed");
    }
    if (st == PARLEY_OK) {
        st = parley_storage_migrate(m->o->pg_url, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    m->pg = PQconnectdb(m->o->pg_url);
    if (m->pg == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (PQstatus(m->pg) != CONNECTION_OK) {
        return pg_fail(m, "connect", err);
    }
    return pg_exec(m, "SET client_min_messages = warning", err);
}

/* ---- the tables and their columns -------------------------------------------- */

parley_status parley_migrate_check_sqlite_tables(sqlite3 *db, parley_error *err) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
                           -1, &stmt, NULL) != SQLITE_OK) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "SQLite, tables: %s",
                                sqlite3_errmsg(db));
    }
    parley_status st = PARLEY_OK;
    bool seen[TABLE_COUNT] = {0};
    while (st == PARLEY_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        const struct known_table *t = known_table(name);
        if (t == NULL || t->how == PG_ONLY) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the SQLite table %s is not one the migration knows: add it "
                                  "to storage/migrate.c's table list (copied, or why not)",
                                  name);
        } else {
            seen[t - tables] = true;
        }
    }
    sqlite3_finalize(stmt);
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (!seen[i] && tables[i].how != PG_ONLY && tables[i].how != SQLITE_ONLY) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the SQLite database has no table %s", tables[i].name);
        }
    }
    return st;
}

static parley_status check_pg_tables(migration *m, parley_error *err) {
    PGresult *res = PQexec(m->pg, "SELECT tablename FROM pg_tables WHERE schemaname = "
                                  "current_schema() ORDER BY tablename");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return pg_fail(m, "tables", err);
    }
    parley_status st = PARLEY_OK;
    bool seen[TABLE_COUNT] = {0};
    for (int i = 0; st == PARLEY_OK && i < PQntuples(res); i++) {
        const struct known_table *t = known_table(PQgetvalue(res, i, 0));
        if (t == NULL || t->how == SQLITE_ONLY) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the PostgreSQL table %s is not one the migration knows: add "
                                  "it to storage/migrate.c's table list",
                                  PQgetvalue(res, i, 0));
        } else {
            seen[t - tables] = true;
        }
    }
    PQclear(res);
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (!seen[i] && tables[i].how != SQLITE_ONLY) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the PostgreSQL database has no table %s", tables[i].name);
        }
    }
    return st;
}

/* The SQLite columns of a table, as a NULL-terminated array of names. */
static parley_status sqlite_columns(migration *m, const char *table, char ***out,
                                    parley_error *err) {
    *out = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(m->db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &stmt,
                           NULL) != SQLITE_OK) {
        return sqlite_fail(m, "columns", err);
    }
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    size_t n = 0;
    char **names = calloc(1, sizeof *names);
    while (names != NULL && sqlite3_step(stmt) == SQLITE_ROW) {
        char **grown = realloc(names, (n + 2) * sizeof *names);
        if (grown == NULL) {
            break;
        }
        names = grown;
        names[n] = strdup((const char *)sqlite3_column_text(stmt, 0));
        names[++n] = NULL;
    }
    sqlite3_finalize(stmt);
    if (names == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    *out = names;
    return PARLEY_OK;
}

static void free_names(char **names) {
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* Matches table i's PostgreSQL columns (generated ones aside: PostgreSQL
 * computes them) with its SQLite columns, and keeps both lists. */
static parley_status plan_columns(migration *m, size_t i, parley_error *err) {
    const char *table = tables[i].name;
    char probe[128];
    snprintf(probe, sizeof probe, "SELECT rowid FROM \"%s\" LIMIT 0", table);
    sqlite3_stmt *stmt = NULL;
    m->has_rowid[i] = sqlite3_prepare_v2(m->db, probe, -1, &stmt, NULL) == SQLITE_OK;
    sqlite3_finalize(stmt);
    char **src = NULL;
    parley_status st = sqlite_columns(m, table, &src, err);
    if (st != PARLEY_OK) {
        return st;
    }
    const char *param = table;
    PGresult *res = PQexecParams(
        m->pg,
        "SELECT attname, attgenerated <> '' FROM pg_attribute WHERE attrelid = to_regclass($1) "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        1, NULL, &param, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        st = pg_fail(m, "columns", err);
    }
    parley_strbuf pg_cols = {0}, sqlite_cols = {0};
    size_t used = 0, src_count = 0;
    while (src != NULL && src[src_count] != NULL) {
        src_count++;
    }
    bool *matched = calloc(src_count + 1, sizeof *matched);
    if (matched == NULL) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    for (int r = 0; st == PARLEY_OK && r < PQntuples(res); r++) {
        const char *col = PQgetvalue(res, r, 0);
        if (strcmp(PQgetvalue(res, r, 1), "t") == 0) {
            continue; /* generated (messages.search): PostgreSQL fills it */
        }
        const char *from = NULL;
        for (size_t k = 0; k < src_count; k++) {
            if (strcmp(src[k], col) == 0) {
                from = src[k];
                matched[k] = true;
            }
        }
        if (from == NULL && strcmp(col, "position") == 0 && m->has_rowid[i]) {
            from = "rowid"; /* SQLite's rowid is the order PostgreSQL keeps in position */
        }
        if (from == NULL) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the PostgreSQL column %s.%s has no SQLite column to come from",
                                  table, col);
            break;
        }
        parley_strbuf_puts(&pg_cols, used > 0 ? ", \"" : "\"");
        parley_strbuf_puts(&pg_cols, col);
        parley_strbuf_puts(&pg_cols, "\"");
        parley_strbuf_puts(&sqlite_cols, used > 0 ? ", \"" : "\"");
        parley_strbuf_puts(&sqlite_cols, from);
        parley_strbuf_puts(&sqlite_cols, "\"");
        used++;
    }
    for (size_t k = 0; st == PARLEY_OK && k < src_count; k++) {
        if (!matched[k]) {
            st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                                  "the SQLite column %s.%s has no PostgreSQL column to go to",
                                  table, src[k]);
        }
    }
    if (st == PARLEY_OK && (pg_cols.failed || sqlite_cols.failed || used == 0)) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "columns of %s: out of memory", table);
    }
    PQclear(res);
    free(matched);
    free_names(src);
    if (st == PARLEY_OK) {
        m->pg_cols[i] = parley_strbuf_take(&pg_cols, NULL);
        m->sqlite_cols[i] = parley_strbuf_take(&sqlite_cols, NULL);
    }
    parley_strbuf_free(&pg_cols);
    parley_strbuf_free(&sqlite_cols);
    return st;
}

/* ---- the copy -------------------------------------------------------------------- */

/* A value in COPY's text format: \N for NULL, backslash, tab, newline and
 * carriage return escaped; a NUL byte cannot be PostgreSQL text. */
static parley_status copy_value(migration *m, sqlite3_stmt *stmt, int col, parley_strbuf *out,
                                size_t table, parley_error *err) {
    char num[32];
    switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_NULL:
        parley_strbuf_add(out, "\\N", 2);
        return PARLEY_OK;
    case SQLITE_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(stmt, col));
        parley_strbuf_puts(out, num);
        return PARLEY_OK;
    case SQLITE_FLOAT:
        snprintf(num, sizeof num, "%.17g", sqlite3_column_double(stmt, col));
        parley_strbuf_puts(out, num);
        return PARLEY_OK;
    case SQLITE_TEXT:
        break;
    default:
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "%s, column %d: a blob, which no Parley table holds",
                                tables[table].name, col + 1);
    }
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);
    if (memchr(text, '\0', len) != NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "%s, column %d: a text with a NUL byte, which PostgreSQL text "
                                "cannot hold",
                                tables[table].name, col + 1);
    }
    (void)m;
    size_t start = 0;
    for (size_t k = 0; k < len; k++) {
        const char *esc = NULL;
        switch (text[k]) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            continue;
        }
        parley_strbuf_add(out, text + start, k - start);
        parley_strbuf_add(out, esc, 2);
        start = k + 1;
    }
    parley_strbuf_add(out, text + start, len - start);
    return PARLEY_OK;
}

static parley_status copy_flush(migration *m, parley_strbuf *b, parley_error *err) {
    if (b->failed) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "copy: out of memory");
    }
    if (b->len > 0 && PQputCopyData(m->pg, b->data, (int)b->len) != 1) {
        return pg_fail(m, "COPY data", err);
    }
    b->len = 0;
    return PARLEY_OK;
}

static parley_status copy_table(migration *m, size_t i, parley_error *err) {
    const char *table = tables[i].name;
    parley_strbuf sql = {0};
    parley_strbuf_puts(&sql, "SELECT ");
    parley_strbuf_puts(&sql, m->sqlite_cols[i]);
    parley_strbuf_puts(&sql, " FROM \"");
    parley_strbuf_puts(&sql, table);
    parley_strbuf_puts(&sql, m->has_rowid[i] ? "\" ORDER BY rowid" : "\"");
    parley_strbuf copy = {0};
    parley_strbuf_puts(&copy, "COPY \"");
    parley_strbuf_puts(&copy, table);
    parley_strbuf_puts(&copy, "\" (");
    parley_strbuf_puts(&copy, m->pg_cols[i]);
    parley_strbuf_puts(&copy, ") FROM STDIN");
    parley_status st = sql.failed || copy.failed
                           ? parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory")
                           : PARLEY_OK;
    if (st == PARLEY_OK && tables[i].how == SEEDED) {
        char del[96];
        snprintf(del, sizeof del, "DELETE FROM \"%s\"", table);
        st = pg_exec(m, del, err);
    }
    sqlite3_stmt *stmt = NULL;
    if (st == PARLEY_OK && sqlite3_prepare_v2(m->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
        st = sqlite_fail(m, table, err);
    }
    PGresult *res = NULL;
    if (st == PARLEY_OK) {
        res = PQexec(m->pg, copy.data);
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            st = pg_fail(m, copy.data, err);
        }
        PQclear(res);
    }
    bool copying = st == PARLEY_OK;
    parley_strbuf data = {0};
    int rc = SQLITE_DONE;
    int ncols = stmt != NULL ? sqlite3_column_count(stmt) : 0;
    while (st == PARLEY_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int c = 0; st == PARLEY_OK && c < ncols; c++) {
            if (c > 0) {
                parley_strbuf_add(&data, "\t", 1);
            }
            st = copy_value(m, stmt, c, &data, i, err);
        }
        parley_strbuf_add(&data, "\n", 1);
        m->copied[i]++;
        if (st == PARLEY_OK && data.len >= 256 * 1024) {
            st = copy_flush(m, &data, err);
        }
    }
    if (st == PARLEY_OK && rc != SQLITE_DONE) {
        st = sqlite_fail(m, table, err);
    }
    if (st == PARLEY_OK) {
        st = copy_flush(m, &data, err);
    }
    if (copying) {
        /* ends the COPY either way: an error message aborts it */
        if (PQputCopyEnd(m->pg, st == PARLEY_OK ? NULL : "migration failed") != 1 &&
            st == PARLEY_OK) {
            st = pg_fail(m, "COPY end", err);
        }
        while ((res = PQgetResult(m->pg)) != NULL) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK && st == PARLEY_OK) {
                st = pg_fail(m, table, err);
            }
            PQclear(res);
        }
    }
    sqlite3_finalize(stmt);
    parley_strbuf_free(&data);
    parley_strbuf_free(&sql);
    parley_strbuf_free(&copy);
    return st;
}

/* Every identity column past the largest value copied into it. */
static parley_status reset_identities(migration *m, parley_error *err) {
    PGresult *res =
        PQexec(m->pg, "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = "
                      "a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                      "current_schema() AND a.attidentity <> '' AND c.relkind = 'r' ORDER BY 1, 2");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return pg_fail(m, "identity columns", err);
    }
    parley_status st = PARLEY_OK;
    for (int r = 0; st == PARLEY_OK && r < PQntuples(res); r++) {
        char sql[512];
        const char *t = PQgetvalue(res, r, 0), *c = PQgetvalue(res, r, 1);
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), coalesce(max(\"%s\"), "
                 "0) + 1, false) FROM \"%s\"",
                 t, c, c, t);
        st = pg_exec(m, sql, err);
    }
    PQclear(res);
    return st;
}

/* The copy's secondary indexes: dropped before it and built again after
 * (one sort per index instead of one insertion per row; the GIN index of
 * messages.search most of all). Only indexes no constraint owns, each
 * rebuilt from its own definition (pg_get_indexdef), in this transaction:
 * a unique one that the copied rows break fails the migration. */
static parley_status drop_indexes(migration *m, deferred_indexes *out, parley_error *err) {
    PGresult *res = PQexec(
        m->pg, "SELECT quote_ident(i.relname), pg_get_indexdef(i.oid) FROM pg_index x JOIN "
               "pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = "
               "i.relnamespace WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM "
               "pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return pg_fail(m, "indexes", err);
    }
    parley_status st = PARLEY_OK;
    out->defs = calloc((size_t)PQntuples(res) + 1, sizeof *out->defs);
    if (out->defs == NULL) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    for (int r = 0; st == PARLEY_OK && r < PQntuples(res); r++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP INDEX %s", PQgetvalue(res, r, 0));
        out->defs[out->count] = strdup(PQgetvalue(res, r, 1));
        if (out->defs[out->count] == NULL) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        } else {
            out->count++;
            st = pg_exec(m, sql, err);
        }
    }
    PQclear(res);
    return st;
}

static parley_status rebuild_indexes(migration *m, const deferred_indexes *d, parley_error *err) {
    parley_status st = pg_exec(m, "SET LOCAL maintenance_work_mem = '256MB'", err);
    for (int i = 0; st == PARLEY_OK && i < d->count; i++) {
        st = pg_exec(m, d->defs[i], err);
    }
    return st;
}

static void free_indexes(deferred_indexes *d) {
    for (int i = 0; i < d->count; i++) {
        free(d->defs[i]);
    }
    free(d->defs);
}

/* ---- checks ------------------------------------------------------------------------ */

static parley_status check_target_empty(migration *m, parley_error *err) {
    parley_status st = PARLEY_OK;
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (tables[i].how != COPY && tables[i].how != SEEDED) {
            continue;
        }
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM \"%s\" LIMIT 1) x",
                 tables[i].name);
        int64_t n = 0;
        st = pg_i64(m, tables[i].how == SEEDED ? tables[i].sql : sql, NULL, &n, err);
        if (st == PARLEY_OK && n > 0) {
            st = parley_error_set(err, PARLEY_E_CONFLICT, "target_not_empty",
                                  "the PostgreSQL database already holds data (table %s): "
                                  "migrate into a new, empty database",
                                  tables[i].name);
        }
    }
    return st;
}

/* No other writer while the copy runs: every copied table locked against
 * writes (reads go on), waiting at most 10 s for one that holds a lock. */
static parley_status lock_target(migration *m, parley_error *err) {
    parley_strbuf sql = {0};
    parley_strbuf_puts(&sql, "LOCK TABLE ");
    const char *sep = "";
    for (size_t i = 0; i < TABLE_COUNT; i++) {
        if (tables[i].how == COPY || tables[i].how == SEEDED || tables[i].how == DERIVED) {
            parley_strbuf_printf(&sql, "%s\"%s\"", sep, tables[i].name);
            sep = ", ";
        }
    }
    parley_strbuf_puts(&sql, " IN EXCLUSIVE MODE");
    parley_status st = sql.failed ? parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory")
                                  : pg_exec(m, "SET LOCAL lock_timeout = '10s'", err);
    if (st == PARLEY_OK) {
        st = pg_exec(m, sql.data, err);
    }
    parley_strbuf_free(&sql);
    return st;
}

static parley_status verify_counts(migration *m, parley_error *err) {
    parley_status st = PARLEY_OK;
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (tables[i].how != COPY && tables[i].how != SEEDED) {
            continue;
        }
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", tables[i].name);
        int64_t in_sqlite = 0, in_pg = 0;
        st = sqlite_i64(m, sql, &in_sqlite, err);
        if (st == PARLEY_OK) {
            st = pg_i64(m, sql, NULL, &in_pg, err);
        }
        if (st == PARLEY_OK && (in_sqlite != in_pg || in_pg != m->copied[i])) {
            st = parley_error_set(err, PARLEY_E_STORAGE, "verify_failed",
                                  "table %s: %" PRId64 " rows in SQLite, %" PRId64
                                  " copied, %" PRId64 " in PostgreSQL",
                                  tables[i].name, in_sqlite, m->copied[i], in_pg);
        }
    }
    return st;
}

/* Per session: id, last_seq, its messages' count, lowest and highest seq
 * and their characters, in id order (bytewise on both sides). */
#define SESSION_CHECK_SQL(ORDER, CAST)                                                             \
    "SELECT s.id, s.last_seq, count(m.seq), coalesce(min(m.seq), 0), coalesce(max(m.seq), 0), "    \
    "coalesce(sum(length(m.content)), 0)" CAST " FROM sessions s LEFT JOIN messages m ON "         \
    "m.session_id = s.id GROUP BY s.id, s.last_seq ORDER BY s.id" ORDER

static parley_status verify_sessions(migration *m, int64_t *sessions, int64_t *messages,
                                     parley_error *err) {
    *sessions = 0;
    *messages = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(m->db, SESSION_CHECK_SQL("", ""), -1, &stmt, NULL) != SQLITE_OK) {
        return sqlite_fail(m, "session check", err);
    }
    if (PQsendQuery(m->pg, SESSION_CHECK_SQL(" COLLATE \"C\"", "::bigint")) != 1 ||
        PQsetSingleRowMode(m->pg) != 1) {
        sqlite3_finalize(stmt);
        return pg_fail(m, "session check", err);
    }
    parley_status st = PARLEY_OK;
    int64_t bad = 0;
    PGresult *res;
    while ((res = PQgetResult(m->pg)) != NULL) {
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_SINGLE_TUPLE && st == PARLEY_OK) {
            if (sqlite3_step(stmt) != SQLITE_ROW) {
                st = parley_error_set(err, PARLEY_E_STORAGE, "verify_failed",
                                      "session %s is in PostgreSQL, not in SQLite",
                                      PQgetvalue(res, 0, 0));
            } else {
                const char *id = (const char *)sqlite3_column_text(stmt, 0);
                int64_t v[5];
                bool same = strcmp(id, PQgetvalue(res, 0, 0)) == 0;
                for (int c = 0; c < 5; c++) {
                    v[c] = sqlite3_column_int64(stmt, c + 1);
                    same = same && v[c] == strtoll(PQgetvalue(res, 0, c + 1), NULL, 10);
                }
                /* last_seq, count, min, max: 1..last_seq without a gap
                 * (seq is unique per session on both sides) */
                bool gapless = v[1] == v[0] && v[3] == v[0] && (v[1] == 0 || v[2] == 1);
                if (!same || !gapless) {
                    if (bad++ < 5) {
                        say(m,
                            "  session %s: SQLite last_seq %" PRId64 ", %" PRId64
                            " messages, seq %" PRId64 "..%" PRId64 "; PostgreSQL %s %s, "
                            "seq %s..%s%s\n",
                            id, v[0], v[1], v[2], v[3], PQgetvalue(res, 0, 1),
                            PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
                            same ? " (the same, with a gap)" : "");
                    }
                }
                (*sessions)++;
                *messages += v[1];
            }
        } else if (s != PGRES_TUPLES_OK && s != PGRES_SINGLE_TUPLE && st == PARLEY_OK) {
            st = pg_fail(m, "session check", err);
        }
        PQclear(res);
    }
    if (st == PARLEY_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        st = parley_error_set(err, PARLEY_E_STORAGE, "verify_failed",
                              "session %s is in SQLite, not in PostgreSQL",
                              (const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (st == PARLEY_OK && bad > 0) {
        st = parley_error_set(err, PARLEY_E_STORAGE, "verify_failed",
                              "%" PRId64 " sessions whose messages differ or whose seq is not "
                              "1..last_seq",
                              bad);
    }
    return st;
}

/* The upload rows whose file is (not) in the directory. */
static parley_status check_upload_files(migration *m, int64_t *present, int64_t *missing,
                                        parley_error *err) {
    *present = 0;
    *missing = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(m->db, "SELECT DISTINCT sha256, size FROM uploads", -1, &stmt, NULL) !=
        SQLITE_OK) {
        return sqlite_fail(m, "uploads", err);
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(stmt, 0);
        if (hex != NULL &&
            parley_file_store_has(m->o->uploads_dir, hex, sqlite3_column_int64(stmt, 1))) {
            (*present)++;
        } else {
            (*missing)++;
        }
    }
    sqlite3_finalize(stmt);
    return PARLEY_OK;
}

/* ---- the whole ------------------------------------------------------------------------ */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static parley_status run(migration *m, parley_error *err) {
    double start = now_s();
    parley_status st = open_sqlite(m, err);
    if (st == PARLEY_OK) {
        st = parley_migrate_check_sqlite_tables(m->db, err);
    }
    if (st == PARLEY_OK) {
        st = open_pg(m, err);
    }
    if (st == PARLEY_OK) {
        st = check_pg_tables(m, err);
    }
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (tables[i].how == COPY || tables[i].how == SEEDED) {
            st = plan_columns(m, i, err);
        }
    }
    if (st == PARLEY_OK) {
        st = pg_exec(m, "BEGIN", err);
        m->in_tx = st == PARLEY_OK;
    }
    if (st == PARLEY_OK) {
        st = lock_target(m, err);
    }
    if (st == PARLEY_OK) {
        st = check_target_empty(m, err);
    }
    if (st == PARLEY_OK) {
        st = drop_indexes(m, &m->indexes, err);
    }
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (tables[i].how == COPY || tables[i].how == SEEDED) {
            double t0 = now_s();
            st = copy_table(m, i, err);
            if (st == PARLEY_OK) {
                say(m, "copied %-24s %10" PRId64 " rows  %6.1f s\n", tables[i].name, m->copied[i],
                    now_s() - t0);
            }
        }
    }
    double phase = now_s();
    if (st == PARLEY_OK) {
        st = rebuild_indexes(m, &m->indexes, err);
        say(m, "rebuilt %d indexes in %.1f s\n", m->indexes.count, now_s() - phase);
        phase = now_s();
    }
    for (size_t i = 0; st == PARLEY_OK && i < TABLE_COUNT; i++) {
        if (tables[i].how == DERIVED) {
            st = pg_exec(m, tables[i].sql, err);
        }
    }
    if (st == PARLEY_OK) {
        st = reset_identities(m, err);
    }
    if (st == PARLEY_OK) {
        st = verify_counts(m, err);
    }
    int64_t sessions = 0, messages = 0;
    if (st == PARLEY_OK) {
        st = verify_sessions(m, &sessions, &messages, err);
    }
    double verified = now_s() - phase;
    phase = now_s();
    if (st == PARLEY_OK) {
        st = pg_exec(m, "COMMIT", err);
        m->in_tx = false;
    }
    if (st != PARLEY_OK) {
        return st;
    }
    say(m,
        "verified in %.1f s: every table's row count; %" PRId64 " sessions, %" PRId64
        " messages, seq 1..last_seq without a gap and the same on both sides (commit %.1f s)\n",
        verified, sessions, messages, now_s() - phase);
    if (m->o->uploads_dir != NULL) {
        int64_t present = 0, missing = 0;
        st = check_upload_files(m, &present, &missing, err);
        if (st == PARLEY_OK) {
            say(m,
                "uploads: the files stay in %s (%" PRId64 " present, %" PRId64
                " missing): give the PostgreSQL node(s) that directory as <data-dir>/uploads\n",
                m->o->uploads_dir, present, missing);
        }
    }
    say(m, "committed in %.1f s\n", now_s() - start);
    return st;
}

parley_status parley_migrate_sqlite_to_postgres(const parley_migrate_options *options,
                                                parley_error *err) {
    migration m = {.o = options};
    parley_status st = run(&m, err);
    if (m.in_tx) {
        PGresult *res = PQexec(m.pg, "ROLLBACK");
        PQclear(res);
        say(&m, "rolled back: the PostgreSQL database holds no row of this run\n");
    }
    free_indexes(&m.indexes);
    for (size_t i = 0; i < TABLE_COUNT; i++) {
        free(m.pg_cols[i]);
        free(m.sqlite_cols[i]);
    }
    if (m.pg != NULL) {
        PQfinish(m.pg);
    }
    if (m.db != NULL) {
        sqlite3_close_v2(m.db);
    }
    return st;
}
