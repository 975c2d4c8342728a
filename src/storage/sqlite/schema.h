/*
 * sqlite/schema.h - the SQLite schema as an ordered list of migration steps.
 *
 * Ownership: the step texts are static strings owned by this module; callers
 * only read them. connection.c applies them (parley_sqlite_migrate),
 * one transaction per step, recording progress in PRAGMA user_version.
 * Thread-safety: immutable data, any thread.
 *
 * Rule for whoever adds a step: never edit a released step, append a new one;
 * a database that already ran step N will never run it again.
 */
#ifndef PARLEY_SQLITE_SCHEMA_H
#define PARLEY_SQLITE_SCHEMA_H

/* The number of steps, which is also the newest schema version. */
int parley_sqlite_schema_step_count(void);

/* The SQL that upgrades a database from version - 1 to version (1-based);
 * NULL when version is out of range. */
const char *parley_sqlite_schema_step(int version);

#endif
