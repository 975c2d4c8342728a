/*
 * postgres/pg_schema.h - the PostgreSQL schema as an ordered list of
 * migration steps (schema.c).
 *
 * Ownership: the step texts are static strings owned by this module.
 * connection.c applies them, one transaction per step, recording progress
 * in the table schema_version. Thread-safety: immutable data, any thread.
 *
 * Rule for whoever adds a step: never edit a released step, append one.
 */
#ifndef PARLEY_PG_SCHEMA_H
#define PARLEY_PG_SCHEMA_H

/* The number of steps, which is also the newest schema version. */
int parley_pg_schema_step_count(void);

/* The SQL that upgrades a database from version - 1 to version (1-based),
 * as a NULL-terminated list of parts run in order in one transaction;
 * NULL when version is out of range. */
const char *const *parley_pg_schema_step(int version);

#endif
