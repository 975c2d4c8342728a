#include "net/loop/executor.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/queue.h"
#include "storage/backend.h"
#include "core/queue_wait.h"
#include "core/token_touches.h"

typedef struct job_queue {
    parley_job *head;
    parley_job *tail;
    size_t count;
} job_queue;

typedef struct worker {
    parley_executor *ex;
    pthread_t thread;
    parley_repository *repo;
    parley_facade facade;
    bool batched; /* the writer */
    bool started;
} worker;

struct parley_executor {
    uv_loop_t *loop;
    uv_async_t wakeup; /* completions ready */
    parley_executor_options options;

    pthread_mutex_t lock;
    pthread_cond_t writer_cond;
    pthread_cond_t pool_cond;
    job_queue batched;
    job_queue concurrent;
    job_queue completed;
    job_queue to_prepare; /* batched jobs with a prepare step: before `concurrent` */
    size_t preparing;     /* batched jobs in the pool, not yet in `batched` */
    bool stopping;

    /* token uses noted by any worker, written by the writer's next batch
     * (core/token_touches.h) */
    parley_token_touches *touches;
    /* the queue's mean wait (core/queue_wait.h), lent to every worker */
    parley_queue_wait *queue_wait;

    worker *workers; /* [0] is the writer */
    int worker_count;
    atomic_size_t in_flight;

    atomic_ullong batches;
    atomic_ullong batched_jobs;
    atomic_ullong commit_failures;
    atomic_ullong max_batch;
};

static void queue_push(job_queue *q, parley_job *job) {
    PARLEY_QUEUE_PUSH(q, job);
    q->count++;
}

static parley_job *queue_pop(job_queue *q) {
    parley_job *job = q->head;
    if (job != NULL) {
        q->head = job->next;
        if (q->head == NULL) {
            q->tail = NULL;
        }
        q->count--;
        job->next = NULL;
    }
    return job;
}

static void complete_jobs(parley_executor *ex, job_queue *done) {
    if (done->head == NULL) {
        return;
    }
    pthread_mutex_lock(&ex->lock);
    if (ex->completed.tail != NULL) {
        ex->completed.tail->next = done->head;
    } else {
        ex->completed.head = done->head;
    }
    ex->completed.tail = done->tail;
    ex->completed.count += done->count;
    pthread_mutex_unlock(&ex->lock);
    memset(done, 0, sizeof *done);
    uv_async_send(&ex->wakeup);
}

/* Whether a unit that failed lost only to a concurrent transaction (a
 * deadlock, a serialization failure: core/repository.h's retryable). */
static bool unit_retryable(parley_repository *repo) {
    return repo->ops->retryable != NULL && repo->ops->retryable(repo);
}

/* Runs one job as one unit: inside a savepoint when batched, so a failing
 * job undoes only its own writes. A unit that lost to a concurrent
 * transaction (PostgreSQL with several writers: 40001, 40P01) runs once
 * more after its rollback; a second loss is its answer (unavailable). A
 * savepoint that cannot be opened or released means the job's outcome is
 * unknown to storage: it is answered as unavailable (commit_failed), never
 * as a success. */
static void run_unit(worker *w, parley_job *job, parley_job_run_fn fn) {
    parley_repository *repo = w->repo;
    parley_error err = {0};
    for (int attempt = 1;; attempt++) {
        if (w->batched && repo->ops->savepoint(repo, &err) != PARLEY_OK) {
            job->status = PARLEY_E_UNAVAILABLE;
            job->commit_failed = true;
            return;
        }
        job->status = PARLEY_OK;
        fn(job, &w->facade);
        if (job->status == PARLEY_OK) {
            break;
        }
        parley_facade_drop_events(&w->facade);
        if (!w->batched) {
            return;
        }
        bool again = attempt == 1 && unit_retryable(repo);
        (void)repo->ops->rollback_to(repo, &err); /* also ends the savepoint */
        if (!again) {
            return;
        }
        parley_log_info("unit lost to a concurrent transaction; running it once more");
    }
    parley_facade_take_events(&w->facade, &job->events);
    parley_facade_take_after_commit(&w->facade, &job->after_commit);
    if (w->batched && repo->ops->release(repo, &err) != PARLEY_OK) {
        (void)repo->ops->rollback_to(repo, &err);
        job->status = PARLEY_E_UNAVAILABLE;
        job->commit_failed = true;
        parley_event_queue_clear(&job->events);
        parley_after_commit_discard(&job->after_commit);
    }
    if (!w->batched) {
        /* autocommit: what the unit wrote is committed already */
        parley_after_commit_run(&job->after_commit);
    }
}

static void fail_batch(parley_executor *ex, job_queue *batch) {
    atomic_fetch_add(&ex->commit_failures, 1);
    for (parley_job *job = batch->head; job != NULL; job = job->next) {
        if (job->status == PARLEY_OK) {
            job->commit_failed = true;
            job->status = PARLEY_E_UNAVAILABLE;
        }
        parley_event_queue_clear(&job->events);
        parley_after_commit_discard(&job->after_commit);
    }
}

/* The most jobs the next batch takes (issue 11): --batch-max while the
 * writer keeps up; doubled after a full batch, so that under load each
 * commit (one fsync) carries what accumulated during the previous one,
 * and halved again, never below --batch-max, once batches come out less
 * than half full. The queue bound (PARLEY_EXECUTOR_QUEUE_MAX) caps it, and
 * with it the memory and the time one transaction holds. */
static size_t next_batch_limit(size_t limit, size_t taken, size_t floor) {
    if (taken >= limit && limit < PARLEY_EXECUTOR_QUEUE_MAX) {
        limit *= 2;
    } else if (taken < limit / 2 && limit / 2 >= floor) {
        limit /= 2;
    }
    if (limit > PARLEY_EXECUTOR_QUEUE_MAX) {
        limit = PARLEY_EXECUTOR_QUEUE_MAX;
    }
    return limit < floor ? floor : limit;
}

/* Touches wait at most this long for a batch to ride with before the
 * writer commits them alone. */
#define TOUCH_FLUSH_MS 1000

/* Waits for batched jobs; with token touches noted, at most TOUCH_FLUSH_MS
 * (then true: commit them without jobs). Called and returns with ex->lock. */
static bool wait_for_work(parley_executor *ex) {
    bool deadline_set = false;
    struct timespec deadline;
    /* when stopping, jobs still being prepared will come: wait for them */
    while (ex->batched.head == NULL && !(ex->stopping && ex->preparing == 0)) {
        if (parley_token_touches_pending(ex->touches) == 0) {
            deadline_set = false;
            /* a touch noted meanwhile is checked at least once a second */
            struct timespec tick;
            clock_gettime(CLOCK_REALTIME, &tick);
            tick.tv_sec += 1;
            (void)pthread_cond_timedwait(&ex->writer_cond, &ex->lock, &tick);
            continue;
        }
        if (!deadline_set) {
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_nsec += (long)(TOUCH_FLUSH_MS % 1000) * 1000000L;
            deadline.tv_sec += TOUCH_FLUSH_MS / 1000 + deadline.tv_nsec / 1000000000L;
            deadline.tv_nsec %= 1000000000L;
            deadline_set = true;
        }
        if (pthread_cond_timedwait(&ex->writer_cond, &ex->lock, &deadline) == ETIMEDOUT &&
            ex->batched.head == NULL) {
            return true;
        }
    }
    return false;
}

/* The writer stops with touches noted: one last transaction for them. */
static void write_last_touches(worker *w) {
    parley_executor *ex = w->ex;
    parley_error err = {0};
    if (parley_token_touches_pending(ex->touches) == 0 ||
        w->repo->ops->begin(w->repo, &err) != PARLEY_OK) {
        return;
    }
    (void)parley_token_touches_write(ex->touches, w->repo);
    if (w->repo->ops->commit(w->repo, &err) == PARLEY_OK) {
        parley_token_touches_committed(ex->touches);
    } else {
        (void)w->repo->ops->rollback(w->repo, &err);
        parley_token_touches_rolled_back(ex->touches);
    }
}

static int compare_ids(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Locks the batch's sessions in sorted order (executor.h), in a unit of
 * its own: when that fails (a lock timeout, a deadlock with a writer that
 * locks outside this order), the unit is rolled back and the jobs run
 * unsorted, each still locking its own row. */
static void lock_batch_sessions(worker *w, const job_queue *batch) {
    const char *stack_ids[64];
    const char **ids = stack_ids;
    if (batch->count > sizeof stack_ids / sizeof stack_ids[0] &&
        (ids = malloc(batch->count * sizeof *ids)) == NULL) {
        return;
    }
    size_t count = 0;
    for (parley_job *job = batch->head; job != NULL; job = job->next) {
        if (job->lock_session_id[0] != '\0') {
            ids[count++] = job->lock_session_id;
        }
    }
    if (count > 1) {
        qsort(ids, count, sizeof *ids, compare_ids);
        size_t kept = 1;
        for (size_t i = 1; i < count; i++) {
            if (strcmp(ids[i], ids[kept - 1]) != 0) {
                ids[kept++] = ids[i];
            }
        }
        count = kept;
    }
    parley_repository *repo = w->repo;
    parley_error err = {0};
    if (count > 1 && repo->ops->savepoint(repo, &err) == PARLEY_OK) {
        if (repo->ops->lock_sessions(repo, ids, count, &err) == PARLEY_OK) {
            (void)repo->ops->release(repo, &err);
        } else {
            (void)repo->ops->rollback_to(repo, &err);
        }
    }
    if (ids != stack_ids) {
        free(ids);
    }
}

static void *writer_main(void *arg) {
    worker *w = arg;
    parley_executor *ex = w->ex;
    size_t floor = ex->options.batch_max > 0 ? (size_t)ex->options.batch_max : 1;
    size_t limit = floor;
    for (;;) {
        job_queue batch = {0};
        pthread_mutex_lock(&ex->lock);
        bool touches_due = wait_for_work(ex);
        if (ex->batched.head == NULL && !touches_due) {
            pthread_mutex_unlock(&ex->lock);
            write_last_touches(w);
            break;
        }
        while (batch.count < limit && ex->batched.head != NULL) {
            queue_push(&batch, queue_pop(&ex->batched));
        }
        pthread_mutex_unlock(&ex->lock);
        limit = next_batch_limit(limit, batch.count, floor);

        parley_error err = {0};
        if (w->repo->ops->begin(w->repo, &err) != PARLEY_OK) {
            for (parley_job *job = batch.head; job != NULL; job = job->next) {
                job->status = PARLEY_E_UNAVAILABLE;
                job->commit_failed = true;
            }
        } else {
            lock_batch_sessions(w, &batch);
            /* touches ride along, in their own savepoint, with no reply */
            size_t touched = parley_token_touches_write(ex->touches, w->repo);
            for (parley_job *job = batch.head; job != NULL; job = job->next) {
                run_unit(w, job, job->run);
            }
            if (w->repo->ops->commit(w->repo, &err) != PARLEY_OK) {
                parley_log_error("commit failed: %s", err.message);
                (void)w->repo->ops->rollback(w->repo, &err);
                parley_token_touches_rolled_back(ex->touches);
                fail_batch(ex, &batch);
            } else {
                if (touched > 0) {
                    parley_token_touches_committed(ex->touches);
                }
                for (parley_job *job = batch.head; job != NULL; job = job->next) {
                    parley_after_commit_run(&job->after_commit);
                }
            }
        }
        atomic_fetch_add(&ex->batches, 1);
        atomic_fetch_add(&ex->batched_jobs, batch.count);
        unsigned long long seen = atomic_load(&ex->max_batch);
        while (batch.count > seen &&
               !atomic_compare_exchange_weak(&ex->max_batch, &seen, batch.count)) {
        }
        complete_jobs(ex, &batch);
    }
    return NULL;
}

static void *pool_main(void *arg) {
    worker *w = arg;
    parley_executor *ex = w->ex;
    for (;;) {
        pthread_mutex_lock(&ex->lock);
        while (ex->to_prepare.head == NULL && ex->concurrent.head == NULL && !ex->stopping) {
            pthread_cond_wait(&ex->pool_cond, &ex->lock);
        }
        /* messages first: a burst of logins (argon2id, tens of ms each)
         * must not hold chat messages back longer than necessary */
        parley_job *job =
            ex->to_prepare.head != NULL ? queue_pop(&ex->to_prepare) : queue_pop(&ex->concurrent);
        pthread_mutex_unlock(&ex->lock);
        if (job == NULL) {
            break; /* stopping and drained */
        }
        if (job->kind == PARLEY_JOB_BATCHED) {
            run_unit(w, job, job->prepare);
            pthread_mutex_lock(&ex->lock);
            ex->preparing--;
            bool to_writer = job->status == PARLEY_OK && !job->answered;
            if (to_writer) {
                queue_push(&ex->batched, job);
            }
            pthread_cond_signal(&ex->writer_cond);
            pthread_mutex_unlock(&ex->lock);
            if (to_writer) {
                continue;
            }
        } else {
            run_unit(w, job, job->run);
        }
        job_queue done = {0};
        queue_push(&done, job);
        complete_jobs(ex, &done);
    }
    return NULL;
}

/* Loop thread: deliver the events of committed jobs to their after-commit
 * subscribers, then complete the jobs. */
static void on_wakeup(uv_async_t *handle) {
    parley_executor *ex = handle->data;
    pthread_mutex_lock(&ex->lock);
    job_queue ready = ex->completed;
    memset(&ex->completed, 0, sizeof ex->completed);
    pthread_mutex_unlock(&ex->lock);
    parley_job *job;
    while ((job = queue_pop(&ready)) != NULL) {
        for (const parley_event *e = job->events.head; e != NULL; e = e->next) {
            parley_event_deliver_after_commit(ex->options.events, e);
        }
        parley_event_queue_clear(&job->events);
        atomic_fetch_sub(&ex->in_flight, 1);
        job->done(job);
    }
}

static void close_workers(parley_executor *ex) {
    for (int i = 0; i < ex->worker_count; i++) {
        worker *w = &ex->workers[i];
        parley_facade_destroy(&w->facade);
        if (w->repo != NULL) {
            w->repo->ops->close(w->repo);
            w->repo = NULL;
        }
    }
}

parley_status parley_executor_start(uv_loop_t *loop, const parley_executor_options *options,
                                    parley_executor **out, parley_error *err) {
    parley_executor *ex = calloc(1, sizeof *ex);
    if (ex == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    ex->loop = loop;
    ex->options = *options;
    ex->touches = parley_token_touches_new();
    ex->queue_wait = parley_queue_wait_new();
    if (ex->touches == NULL || ex->queue_wait == NULL) {
        parley_token_touches_free(ex->touches);
        parley_queue_wait_free(ex->queue_wait);
        free(ex);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    ex->worker_count = 1 + (options->concurrent_threads > 0 ? options->concurrent_threads : 1);
    ex->workers = calloc((size_t)ex->worker_count, sizeof *ex->workers);
    pthread_mutex_init(&ex->lock, NULL);
    pthread_cond_init(&ex->writer_cond, NULL);
    pthread_cond_init(&ex->pool_cond, NULL);
    if (ex->workers == NULL) {
        parley_token_touches_free(ex->touches);
        parley_queue_wait_free(ex->queue_wait);
        free(ex);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    parley_storage_options storage_options = {.durable = options->durable, .busy_timeout_ms = 5000};
    for (int i = 0; i < ex->worker_count; i++) {
        worker *w = &ex->workers[i];
        w->ex = ex;
        w->batched = i == 0;
        parley_status st =
            parley_storage_open(options->database_url, &storage_options, &w->repo, err);
        if (st != PARLEY_OK) {
            close_workers(ex);
            free(ex->workers);
            parley_token_touches_free(ex->touches);
            parley_queue_wait_free(ex->queue_wait);
            free(ex);
            return st;
        }
        parley_facade_init(&w->facade, w->repo, options->strategies, options->config,
                           options->limits);
        parley_facade_accounts(&w->facade)->touches = ex->touches;
        parley_facade_chat(&w->facade)->queue_wait = ex->queue_wait;
        parley_facade_set_event_registry(&w->facade, options->events);
    }
    uv_async_init(loop, &ex->wakeup, on_wakeup);
    ex->wakeup.data = ex;
    for (int i = 0; i < ex->worker_count; i++) {
        worker *w = &ex->workers[i];
        if (pthread_create(&w->thread, NULL, w->batched ? writer_main : pool_main, w) == 0) {
            w->started = true;
        }
    }
    *out = ex;
    return PARLEY_OK;
}

void *parley_job_new(size_t size, parley_job_kind kind, parley_job_run_fn run,
                     parley_job_done_fn done) {
    parley_job *job = calloc(1, size);
    if (job != NULL) {
        job->kind = kind;
        job->run = run;
        job->done = done;
    }
    return job;
}

parley_status parley_executor_submit(parley_executor *ex, parley_job *job) {
    job->status = PARLEY_OK;
    job->commit_failed = false;
    job->answered = false;
    memset(&job->events, 0, sizeof job->events);
    memset(&job->after_commit, 0, sizeof job->after_commit);
    pthread_mutex_lock(&ex->lock);
    if (ex->stopping) {
        pthread_mutex_unlock(&ex->lock);
        return PARLEY_E_UNAVAILABLE;
    }
    atomic_fetch_add(&ex->in_flight, 1);
    if (job->kind == PARLEY_JOB_BATCHED && job->prepare != NULL) {
        ex->preparing++;
        queue_push(&ex->to_prepare, job);
        pthread_cond_signal(&ex->pool_cond);
    } else if (job->kind == PARLEY_JOB_BATCHED) {
        queue_push(&ex->batched, job);
        pthread_cond_signal(&ex->writer_cond);
    } else {
        queue_push(&ex->concurrent, job);
        pthread_cond_signal(&ex->pool_cond);
    }
    pthread_mutex_unlock(&ex->lock);
    return PARLEY_OK;
}

bool parley_executor_full(parley_executor *ex) {
    pthread_mutex_lock(&ex->lock);
    size_t waiting = ex->batched.count + ex->preparing;
    pthread_mutex_unlock(&ex->lock);
    return waiting >= PARLEY_EXECUTOR_QUEUE_MAX;
}

size_t parley_executor_in_flight(const parley_executor *ex) {
    return atomic_load(&ex->in_flight);
}

static void on_wakeup_closed(uv_handle_t *handle) {
    (void)handle;
}

void parley_executor_stop(parley_executor *ex) {
    pthread_mutex_lock(&ex->lock);
    ex->stopping = true;
    pthread_cond_broadcast(&ex->writer_cond);
    pthread_cond_broadcast(&ex->pool_cond);
    pthread_mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->worker_count; i++) {
        if (ex->workers[i].started) {
            pthread_join(ex->workers[i].thread, NULL);
            ex->workers[i].started = false;
        }
    }
    /* deliver what finished while joining, then no more wakeups */
    on_wakeup(&ex->wakeup);
    close_workers(ex);
    uv_close((uv_handle_t *)&ex->wakeup, on_wakeup_closed);
}

void parley_executor_free(parley_executor *ex) {
    if (ex == NULL) {
        return;
    }
    pthread_mutex_destroy(&ex->lock);
    pthread_cond_destroy(&ex->writer_cond);
    pthread_cond_destroy(&ex->pool_cond);
    parley_token_touches_free(ex->touches);
    parley_queue_wait_free(ex->queue_wait);
    free(ex->workers);
    free(ex);
}

void parley_executor_get_stats(const parley_executor *ex, parley_executor_stats *out) {
    out->batches = atomic_load(&ex->batches);
    out->batched_jobs = atomic_load(&ex->batched_jobs);
    out->commit_failures = atomic_load(&ex->commit_failures);
    out->max_batch = atomic_load(&ex->max_batch);
}
