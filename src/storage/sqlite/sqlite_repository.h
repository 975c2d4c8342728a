/*
 * sqlite/sqlite_repository.h - the embedded SQLite backend of the Repository
 * (its code is in src/storage/sqlite/: one file per aggregate).
 *
 * Ownership: parley_sqlite_repository_open() returns a handle the caller
 * closes with repo->ops->close(repo). Each handle owns one sqlite3
 * connection and its prepared statements.
 *
 * Threads: a handle is used by one thread at a time (SQLite is opened in
 * multi-thread mode, connections are not shared). Open one per worker.
 *
 * The database runs in WAL mode with foreign keys on. The schema is
 * versioned (PRAGMA user_version) and migrated by parley_sqlite_migrate(),
 * which the server calls once at start before opening worker handles.
 */
#ifndef PARLEY_SQLITE_REPOSITORY_H
#define PARLEY_SQLITE_REPOSITORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/repository.h"
#include "storage/backend.h"

typedef struct parley_sqlite_options {
    /* true: synchronous=FULL (an acknowledged commit survives power loss);
     * false: synchronous=NORMAL (survives a crash of parleyd, not of the OS). */
    bool durable;
    int busy_timeout_ms; /* how long a statement waits on a lock; default 5000 */
} parley_sqlite_options;

/* Opens (creating if needed) the database file at path. The schema must
 * already be migrated. */
parley_status parley_sqlite_repository_open(const char *path, const parley_sqlite_options *options,
                                            parley_repository **out, parley_error *err);

/* Creates or upgrades the schema to the newest version, each step in its
 * own transaction; refuses a database newer than this binary knows. */
parley_status parley_sqlite_migrate(const char *path, parley_error *err);

/* A list page's cursor (sessions, tickets, knowledge base, audit, ...):
 * the decimal position (1..INT64_MAX, digits only, at most 19) of the last
 * row of the previous page, read from cursor[0..size) up to its NUL; ""
 * starts at the newest (*before = INT64_MAX). False for anything else
 * (also when no NUL is within size), *before then unspecified. Exposed for
 * fuzz/fuzz_paging_cursor.c. */
bool parley_sqlite_parse_cursor(const char *cursor, size_t size, int64_t *before);

/* The schema version this binary migrates to. */
int parley_sqlite_schema_version(void);

/* The registry's row (storage/backend.h): scheme "sqlite", the rest of the
 * URL is the file's path. Code outside src/storage/ opens SQLite only
 * through the registry. */
extern const parley_storage_backend parley_sqlite_backend;

#endif
