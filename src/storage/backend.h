/*
 * backend.h - the storage backend registry: a database URL chooses the
 * backend that opens a Repository (core/repository.h).
 *
 * A URL is SCHEME:REST. The scheme picks a row of a NULL-terminated table of
 * backends (backend.c); REST is the backend's own (for sqlite, the path of
 * the database file: sqlite:/var/lib/parley/parley.db). The shape is
 * curl's vtls table or Redis's connection types: one const struct of entry
 * points per backend, nothing else shared.
 *
 * Adding a backend: its code in src/storage/<name>/ (one file per
 * aggregate of core/store/, as sqlite/ does), one const
 * parley_storage_backend it exports, and one row in backend.c. The
 * repository contract suite (tests/contract/) then runs against it too,
 * given a URL factory for it there.
 *
 * Ownership: backends are static const data. open() returns a handle the
 * caller closes with repo->ops->close(repo).
 *
 * Threads: the table is immutable; any thread may look up and open. A
 * handle is used by one thread at a time (core/repository.h). migrate()
 * runs once at start, before any worker opens a handle.
 */
#ifndef PARLEY_STORAGE_BACKEND_H
#define PARLEY_STORAGE_BACKEND_H

#include <stdbool.h>

#include "core/repository.h"

typedef struct parley_storage_options {
    /* true: an acknowledged commit survives power loss (sqlite:
     * synchronous=FULL); false: it survives a crash of parleyd only. */
    bool durable;
    int busy_timeout_ms; /* how long a statement waits on a lock; <= 0: the backend's default */
} parley_storage_options;

typedef struct parley_storage_backend {
    const char *name;   /* "sqlite"; also repo->ops->name of its handles */
    const char *scheme; /* the URL scheme that selects it, without the ':' */
    /* Opens a handle on an already migrated database; options NULL means
     * durable commits and the default busy timeout. */
    parley_status (*open)(const char *rest, const parley_storage_options *options,
                          parley_repository **out, parley_error *err);
    /* Creates or upgrades the schema to schema_version(); refuses a
     * database newer than this build knows. */
    parley_status (*migrate)(const char *rest, parley_error *err);
    /* The schema version this build migrates to. */
    int (*schema_version)(void);
} parley_storage_backend;

/* Every backend of this build, NULL-terminated, in preference order. */
extern const parley_storage_backend *const parley_storage_backends[];

/* Splits url into its backend and the backend's part. A URL without a
 * SCHEME: prefix, with an empty scheme or an empty rest is PARLEY_E_INVALID
 * ("malformed"); a well-formed URL whose scheme no backend has is
 * PARLEY_E_INVALID naming the known schemes. A scheme's alias
 * (postgresql: for postgres:) finds its row. err never repeats the rest
 * of the URL (a postgres:// URL may carry a password). */
parley_status parley_storage_lookup(const char *url, const parley_storage_backend **backend,
                                    const char **rest, parley_error *err);

/* Opens a handle on the database at url (lookup, then the backend's open). */
parley_status parley_storage_open(const char *url, const parley_storage_options *options,
                                  parley_repository **out, parley_error *err);

/* Migrates the database at url (lookup, then the backend's migrate). */
parley_status parley_storage_migrate(const char *url, parley_error *err);

#endif
