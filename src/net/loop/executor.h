/*
 * executor.h - runs facade calls off the event loop.
 *
 * One writer thread takes every batched job waiting (up to --batch-max),
 * runs each inside its own savepoint of one transaction and commits once
 * (group commit): many messages arriving together cost one fsync, and each
 * job is still all-or-nothing. Only after the commit are jobs completed and
 * their events delivered (after commit), so an acknowledged message is durable and no
 * event describes rolled-back data. A pool of concurrent threads runs the
 * other jobs (reads, and slow password work that must not stall the
 * writer) one at a time, each statement in autocommit.
 *
 * Every thread owns one repository handle and one facade. The executor
 * owns the server's token touches (core/token_touches.h), lent to every
 * facade's account service: the writer writes them at the start of its
 * next batch, or alone within a second when no job comes.
 *
 * Several writers on one database (several parleyd on PostgreSQL): a
 * batch's units lock rows as they run and keep the locks until the batch
 * commits, so the writer first locks the sessions its jobs name
 * (lock_session_id) in sorted order, in a unit of its own: two writers'
 * batches over the same sessions then queue instead of deadlocking. A
 * deadlock that remains (rows outside that set) fails one unit, which
 * runs once more (run_unit).
 *
 * A batched job may bring a `prepare` step that a pool thread runs before
 * the writer sees the job, so slow preparation (translation) never holds
 * up the group commit of everybody else.
 *
 * Threads: parley_executor_submit(), the callback `done` and the events'
 * after-commit subscribers run on the event-loop thread; `prepare` and
 * `run` (with the in-unit subscribers) run on worker threads.
 * Ownership: the submitter owns the job memory until `done` has run.
 */
#ifndef PARLEY_EXECUTOR_H
#define PARLEY_EXECUTOR_H

#include <stdbool.h>
#include <uv.h>

#include "core/chat_facade.h"
#include "core/event.h"

typedef struct parley_job parley_job;
typedef struct parley_executor parley_executor;

typedef enum parley_job_kind {
    PARLEY_JOB_BATCHED = 0, /* state changes: writer thread, group commit */
    PARLEY_JOB_CONCURRENT   /* reads and slow work: any pool thread */
} parley_job_kind;

/* Runs on a worker thread; must set job->status (PARLEY_OK keeps the unit's
 * writes, anything else rolls them back). */
typedef void (*parley_job_run_fn)(parley_job *job, parley_facade *facade);
/* Runs on the loop thread after commit (or failure). */
typedef void (*parley_job_done_fn)(parley_job *job);

struct parley_job {
    parley_job *next; /* executor's queue link */
    parley_job_kind kind;
    parley_job_run_fn run;
    parley_job_done_fn done;
    /* Batched jobs only, optional: runs first on a pool thread, outside any
     * transaction, for the slow part that needs no write (the strategy
     * chain). The job goes on to the writer's run() when it leaves status
     * PARLEY_OK and answered false; otherwise it completes right there. */
    parley_job_run_fn prepare;
    /* Batched jobs only, optional ("" none): the session whose row the job
     * will lock (a message send). The writer locks its batch's sessions in
     * sorted order before the first unit (repository.h's lock_sessions),
     * so two writers on one database cannot deadlock on them. */
    char lock_session_id[PARLEY_ID_SIZE];
    bool answered;
    parley_status status;
    /* set when the batch's commit failed after run() reported success:
     * done() must then answer "unavailable" instead of the prepared result */
    bool commit_failed;
    parley_event_queue events;
    parley_after_commit after_commit; /* run on the worker once committed */
};

typedef struct parley_executor_options {
    const char *database_url; /* storage/backend.h chooses the backend by it */
    bool durable;
    int concurrent_threads;
    int batch_max;
    const parley_strategy_registry *strategies;
    const parley_config *config;
    const parley_limits *limits;
    /* the event subscribers (core/event.h), sealed; borrowed, must outlive
     * the executor: each worker's units run their in-unit subscribers, and
     * the loop thread delivers each committed job's events to the
     * after-commit ones, before the job's done() */
    const parley_event_registry *events;
} parley_executor_options;

parley_status parley_executor_start(uv_loop_t *loop, const parley_executor_options *options,
                                    parley_executor **out, parley_error *err);

/* A new zeroed job of size bytes (a struct whose first member is its
 * parley_job) with its kind and steps set; NULL when out of memory. The
 * submitter frees it, usually in done. Any thread. */
void *parley_job_new(size_t size, parley_job_kind kind, parley_job_run_fn run,
                     parley_job_done_fn done);

/* Queues a job. Returns PARLEY_E_UNAVAILABLE (and never calls done) once
 * the executor is stopping. */
parley_status parley_executor_submit(parley_executor *ex, parley_job *job);

/* The writer's queue bound (issue 11): batched jobs waiting for the writer
 * or for their prepare step. Past it, parley_executor_full() is true and
 * message sends are refused (503 / an `unavailable` error frame with a
 * retry hint) instead of queued: at ~10k messages/s this is under half a
 * second of work, and a few MB of jobs. */
#define PARLEY_EXECUTOR_QUEUE_MAX 4096

/* Whether the writer's queue has reached PARLEY_EXECUTOR_QUEUE_MAX: the
 * caller refuses a job it may refuse (a message send) instead of
 * submitting it. Jobs the server starts itself are never refused. Any
 * thread; the answer may be stale by the time the caller acts on it. */
bool parley_executor_full(parley_executor *ex);

/* Jobs queued or running, not yet completed. */
size_t parley_executor_in_flight(const parley_executor *ex);

/* Lets running and queued jobs finish, joins the threads and closes the
 * repositories; completions still pending are delivered by the loop before
 * the async handle closes. Call from the loop thread. */
void parley_executor_stop(parley_executor *ex);

/* Frees the executor once the loop has closed its handle. */
void parley_executor_free(parley_executor *ex);

/* Counters for /metrics (read racily, fine for monitoring). */
typedef struct parley_executor_stats {
    unsigned long long batches;
    unsigned long long batched_jobs;
    unsigned long long commit_failures;
    unsigned long long max_batch;
} parley_executor_stats;
void parley_executor_get_stats(const parley_executor *ex, parley_executor_stats *out);

#endif
