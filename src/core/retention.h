/*
 * retention.h - what has outlived its use is purged on the operator's
 * schedule (issue 9): tokens and password resets that no longer work,
 * anonymous customers who never started a session, old audit entries,
 * uploads never attached to a message together with their files, and old
 * notifications whose deliveries are done, with their delivery log.
 *
 * One pass is one unit of work on the writer (net/server.c submits it
 * every --retention-interval-s as a periodic job). Each rule deletes at
 * most policy.batch rows, oldest first, through an index of what qualifies
 * (schema step 12), so a pass costs what it deletes and never holds the
 * writer long; what is left waits for the next pass (the server runs it
 * soon when a rule filled its batch). A pass that deleted something
 * writes a `retention.purge` audit entry with the counts.
 *
 * The rules are the operator's (command-line options, core/config.h),
 * not desk settings (core/settings.h): an admin must not be able to
 * shorten the audit log's life through the API, and the schedule is fixed
 * when the server starts.
 *
 * Files: an upload's file is shared by every upload of the same bytes
 * (storage/file_store.h). The pass collects the content hashes that no
 * upload row names any more and queues an after-commit action
 * (core/after_commit.h): once the unit committed, on the writer, it asks
 * the database again for each hash (a later unit of the same batch may
 * have stored the same content) and only then calls remove(). A file is
 * therefore never removed while a committed row names it, nor before the
 * row's deletion is durable; a crash in between leaves a harmless file.
 *
 * Threads: the writer thread, with its repository; the after-commit
 * action runs there too, after COMMIT and before the batch completes.
 * Ownership: counts belongs to the caller and must outlive the unit's
 * after-commit actions (the action writes counts->files).
 */
#ifndef PARLEY_RETENTION_H
#define PARLEY_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/after_commit.h"
#include "core/config.h"
#include "core/repository.h"

typedef struct parley_retention_policy {
    int64_t token_idle_timeout_s;   /* the same as authentication's */
    int64_t customer_max_age_s;     /* 0 = keep forever */
    int64_t audit_max_age_s;        /* 0 = keep forever */
    int64_t upload_max_age_s;       /* 0 = keep forever */
    int64_t notification_max_age_s; /* 0 = keep forever */
    int batch;                      /* rows per rule per pass, 1..100000 */
} parley_retention_policy;

typedef struct parley_retention_counts {
    int64_t tokens;
    int64_t customers;
    int64_t audit_entries;
    int64_t uploads;
    int64_t notifications;
    int64_t password_resets;
    int64_t files; /* removed after the commit, by the after-commit action */
    bool more;     /* a rule filled its batch: more may be waiting */
} parley_retention_counts;

/* Removes the file of a content hash no upload row names any more;
 * true when a file was removed. Called on the writer after the commit. */
typedef bool (*parley_retention_remove_fn)(void *ctx, const char *sha256);

/* The policy the command line set. */
void parley_retention_policy_from_config(const parley_config *cfg, parley_retention_policy *out);

/* One pass at time now, in the caller's unit: expired tokens, then
 * customers (so their last expired token no longer keeps them), audit
 * entries, uploads. remove may be NULL (rows only, no file is touched).
 * On success *counts has the rows deleted; counts->files is filled by the
 * action queued on after_commit, which runs only if the unit commits. */
parley_status parley_retention_run(parley_repository *repo, const parley_retention_policy *policy,
                                   parley_time_ms now, parley_retention_remove_fn remove,
                                   void *remove_ctx, parley_after_commit *after_commit,
                                   parley_retention_counts *counts, parley_error *err);

/* Rows deleted by a pass (files not counted). */
int64_t parley_retention_rows(const parley_retention_counts *counts);

#endif
