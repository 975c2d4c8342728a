/*
 * postgres/postgres_repository.h - the PostgreSQL backend of the Repository
 * (libpq; its code is in src/storage/postgres/: one file per aggregate).
 *
 * A URL postgres://user:password@host:port/dbname?sslmode=require (any
 * libpq connection URI; the scheme postgres: selects the backend, libpq
 * reads the rest, so TLS is used when the URL asks for it with sslmode).
 *
 * Every aggregate of core/store/ has its PostgreSQL code; the registry
 * (storage/backend.c) offers the backend for postgres: and postgresql:
 * URLs, and the contract suite (tests/contract/) runs whole on it.
 *
 * Ownership: open() returns a handle the caller closes with
 * repo->ops->close(repo). Each handle owns one libpq connection and the
 * statements prepared on it.
 *
 * Threads: a handle is used by one thread at a time (a PGconn is not
 * shared). Open one per worker.
 *
 * The schema is versioned (table schema_version) and migrated by the
 * backend's migrate(), which the server calls once at start before opening
 * worker handles; several processes migrating at once serialize on an
 * advisory lock.
 */
#ifndef PARLEY_POSTGRES_REPOSITORY_H
#define PARLEY_POSTGRES_REPOSITORY_H

#include "core/repository.h"
#include "storage/backend.h"

/* The registry's row for the scheme "postgres" (storage/backend.h); the
 * rest of the URL is libpq's. */
extern const parley_storage_backend parley_postgres_backend;

/* The schema version this build migrates to. */
int parley_postgres_schema_version(void);

#endif
