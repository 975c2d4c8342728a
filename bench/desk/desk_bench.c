/*
 * desk_bench.c - what the dispatcher's figures cost before and after issue
 * 11's change, in process, CPU time per call (make bench-desk).
 *
 * 1. Queue positions for Q waiting sessions in 5 pools: the quadratic
 *    count the dispatcher used (each session's position recounted from the
 *    front) against parley_queue_positions (one pass).
 * 2. The estimated wait's mean: the repository's queue_average_wait query
 *    (what every dispatch and queue read ran) on a real SQLite file filled
 *    with N sessions through the repository (customers and sessions via
 *    its insert ops; most closed, all once assigned), against
 *    parley_queue_wait_mean (the in-memory ring).
 *
 * 3. One whole dispatch pass on that database (routing.mode manual, the
 *    default: nothing to assign, nobody's position moved - what the
 *    once-a-second pass costs with a queue and no change), with the mean
 *    read by the query (no in-memory figure, as before) and with it.
 *
 * 4. The periodic jobs with nothing to do (auto-close with nothing idle
 *    long enough, a retention pass with the default policy), the queue
 *    lookup of one waiting session (GET /sessions/{id}), and the first and
 *    a 100th page of the session list, CPU per call.
 *
 * The database is filled through the repository: customers (ten sessions
 * each), sessions (one in ten waiting, the rest closed, every closed one
 * once assigned), routing fields, and M messages stored with
 * messages->store (the service's path: seq and last_seq kept), 1,000
 * sessions per transaction.
 *
 * Usage: parley-desk-bench [--sessions N] [--messages M] [--queue Q]
 * [--db PATH] (defaults 100000, 1000000, 13000, a temporary file removed
 * at the end).
 * Threads: one. Not a test: it prints figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/lifecycle.h"
#include "core/retention.h"
#include "core/queue_positions.h"
#include "core/queue_wait.h"
#include "core/repository.h"
#include "core/routing.h"
#include "storage/backend.h"

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int naive(const parley_queue_list *q, size_t i) {
    int pos = 1;
    for (size_t j = 0; j < i; j++) {
        if (strcmp(q->items[j].session.team_id, q->items[i].session.team_id) == 0) {
            pos++;
        }
    }
    return pos;
}

static void bench_positions(size_t n) {
    static const char *const pools[] = {"", "tea_a", "tea_b", "tea_c", "tea_d"};
    parley_queue_list q = {0};
    for (size_t i = 0; i < n; i++) {
        parley_queue_entry *e = parley_queue_list_push(&q);
        if (e == NULL) {
            exit(1);
        }
        parley_id_new("ses", e->session.id);
        snprintf(e->session.team_id, sizeof e->session.team_id, "%s", pools[i % 5]);
    }
    int *out = malloc(n * sizeof *out);
    long sum = 0;
    double t0 = cpu_s();
    for (size_t i = 0; i < n; i++) {
        sum += naive(&q, i);
    }
    double quad = cpu_s() - t0;
    int rounds = 50;
    t0 = cpu_s();
    for (int r = 0; r < rounds; r++) {
        if (!parley_queue_positions(&q, NULL, out)) {
            exit(1);
        }
    }
    double lin = (cpu_s() - t0) / rounds;
    printf("positions, %zu waiting: quadratic %.2f ms, one pass %.3f ms (x%.0f) [check %ld]\n", n,
           quad * 1e3, lin * 1e3, quad / lin, sum);
    free(out);
    parley_queue_list_free(&q);
}

static void must(parley_status st, const parley_error *err, const char *what) {
    if (st != PARLEY_OK) {
        fprintf(stderr, "%s: %s\n", what, err->message);
        exit(1);
    }
}

static double per_call(double t0, int calls) {
    return (cpu_s() - t0) / calls * 1e3;
}

/* 4: what else runs periodically or per request, with nothing changed */
static void bench_jobs(parley_repository *repo, parley_chat_service *svc, const char *waiting_id) {
    parley_error err = {0};
    int calls = 10;
    must(repo->settings->put(repo, PARLEY_SETTING_AUTO_CLOSE, "2592000", NULL, 1, &err), &err,
         "setting");
    double t0 = cpu_s();
    for (int i = 0; i < calls; i++) {
        size_t closed = 0;
        must(repo->ops->begin(repo, &err), &err, "begin");
        must(parley_lifecycle_close_idle(svc, parley_now_ms(), &closed, &err), &err, "close");
        must(repo->ops->commit(repo, &err), &err, "commit");
    }
    printf("auto-close pass (nothing idle 30 days): %.2f ms CPU\n", per_call(t0, calls));
    parley_config cfg;
    parley_config_defaults(&cfg);
    parley_retention_policy policy;
    parley_retention_policy_from_config(&cfg, &policy);
    t0 = cpu_s();
    for (int i = 0; i < calls; i++) {
        parley_retention_counts counts = {0};
        parley_after_commit after = {0};
        must(repo->ops->begin(repo, &err), &err, "begin");
        must(
            parley_retention_run(repo, &policy, parley_now_ms(), NULL, NULL, &after, &counts, &err),
            &err, "retention");
        must(repo->ops->commit(repo, &err), &err, "commit");
        parley_after_commit_discard(&after);
    }
    printf("retention pass (default policy): %.2f ms CPU\n", per_call(t0, calls));
    parley_session s = {0};
    must(repo->sessions->get(repo, waiting_id, &s, &err), &err, "get");
    t0 = cpu_s();
    for (int i = 0; i < calls; i++) {
        json_t *info = NULL;
        must(parley_routing_queue_info(svc, &s, &info, &err), &err, "queue info");
        json_decref(info);
    }
    printf("queue lookup of one waiting session: %.2f ms CPU\n", per_call(t0, calls));
    parley_session_free(&s);
    parley_session_filter filter = {.status = -1, .limit = 50};
    char next[PARLEY_ID_SIZE * 2] = "";
    for (int page = 1; page <= 100; page++) {
        parley_session_list list = {0};
        snprintf(filter.cursor, sizeof filter.cursor, "%s", next);
        t0 = cpu_s();
        int rounds = page == 1 || page == 100 ? calls : 1;
        for (int i = 0; i < rounds; i++) {
            parley_session_list_free(&list);
            must(repo->sessions->list(repo, &filter, &list, next, sizeof next, &err), &err, "list");
        }
        if (page == 1 || page == 100) {
            printf("session list, page %d (50 a page): %.2f ms CPU\n", page, per_call(t0, rounds));
        }
        parley_session_list_free(&list);
    }
}

static void bench_mean(const char *path, long sessions, long messages) {
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    parley_repository *repo = NULL;
    parley_error err = {0};
    must(parley_storage_migrate(url, &err), &err, "migrate");
    must(parley_storage_open(url, NULL, &repo, &err), &err, "open");
    double t0 = cpu_s();
    parley_time_ms now = parley_now_ms();
    char name[] = "Bench";
    char content[] = "Hello, I have a question about my order and the delivery date.";
    long per_session = messages / sessions;
    char waiting_id[PARLEY_ID_SIZE] = "";
    char topic[] = "bench";
    parley_customer c = {.name = name, .created_at = now};
    for (long i = 0; i < sessions; i++) {
        if (i % 1000 == 0) {
            must(repo->ops->begin(repo, &err), &err, "begin");
        }
        if (i % 10 == 0) { /* ten sessions per customer */
            parley_id_new("cus", c.id);
            must(repo->accounts->customer_insert(repo, &c, &err), &err, "customer");
        }
        parley_session s = {0};
        parley_id_new("ses", s.id);
        snprintf(s.customer_id, sizeof s.customer_id, "%s", c.id);
        s.topic = topic;
        s.status = i % 10 == 0 ? PARLEY_SESSION_WAITING : PARLEY_SESSION_CLOSED;
        s.created_at = s.updated_at = now - (sessions - i) * 1000;
        s.queued_at = s.created_at;
        s.assigned_at = s.status == PARLEY_SESSION_CLOSED ? s.queued_at + 1000 + i % 7000 : 0;
        s.closed_at = s.status == PARLEY_SESSION_CLOSED ? s.assigned_at + 60000 : 0;
        must(repo->sessions->insert(repo, &s, &err), &err, "session");
        must(repo->desk->session_set_routing(repo, &s, &err), &err, "routing");
        for (long k = 0; k < per_session; k++) {
            parley_message m = {.sender_kind = PARLEY_PARTICIPANT_CUSTOMER,
                                .type = PARLEY_MESSAGE_TEXT,
                                .content = content,
                                .created_at = s.created_at + k};
            parley_id_new("msg", m.id);
            snprintf(m.session_id, sizeof m.session_id, "%s", s.id);
            snprintf(m.sender_id, sizeof m.sender_id, "%s", c.id);
            parley_message_store_result res = {0};
            must(repo->messages->store(repo, &m, &res, &err), &err, "message");
            parley_message_free(&res.previous);
        }
        if (s.status == PARLEY_SESSION_WAITING) {
            snprintf(waiting_id, sizeof waiting_id, "%s", s.id); /* the last: far back */
        }
        if (i % 1000 == 999 || i == sessions - 1) {
            must(repo->ops->commit(repo, &err), &err, "commit");
        }
    }
    printf("filled %ld sessions (10 %% waiting), %ld messages, in %.1f s CPU\n", sessions,
           per_session * sessions, cpu_s() - t0);
    int rounds = 20;
    int64_t avg = 0;
    bool known = false;
    t0 = cpu_s();
    for (int r = 0; r < rounds; r++) {
        must(repo->desk->queue_average_wait(repo, PARLEY_QUEUE_WAIT_SAMPLE, &avg, &known, &err),
             &err, "average");
    }
    double query = (cpu_s() - t0) / rounds;
    parley_queue_wait *w = parley_queue_wait_new();
    parley_queue_wait_seed(w, known ? PARLEY_QUEUE_WAIT_SAMPLE : 0, avg);
    int64_t mean = 0;
    int mem_rounds = 1000000;
    t0 = cpu_s();
    for (int r = 0; r < mem_rounds; r++) {
        parley_queue_wait_add(w, 1000 + r % 7000);
        (void)parley_queue_wait_mean(w, &mean);
    }
    double mem = (cpu_s() - t0) / mem_rounds;
    printf("mean wait, %ld sessions: query %.2f ms, in memory (add + read) %.3f us (mean %lld "
           "ms)\n",
           sessions, query * 1e3, mem * 1e6, (long long)avg);
    /* 3: whole passes; the first announces every position, then idle */
    for (int with_memory = 0; with_memory < 2; with_memory++) {
        parley_chat_service svc = {.repo = repo, .queue_wait = with_memory ? w : NULL};
        double pass = 0;
        int passes = 10;
        for (int r = 0; r <= passes; r++) {
            parley_dispatch_result res;
            must(repo->ops->begin(repo, &err), &err, "begin");
            t0 = cpu_s();
            must(parley_routing_dispatch(&svc, &res, &err), &err, "dispatch");
            if (r > 0) {
                pass += cpu_s() - t0;
            }
            must(repo->ops->commit(repo, &err), &err, "commit");
            parley_event_queue_clear(&svc.events);
            parley_after_commit_discard(&svc.after_commit);
        }
        printf("idle dispatch pass, %ld waiting of %ld: %.2f ms CPU (mean %s)\n", sessions / 10,
               sessions, pass / passes * 1e3, with_memory ? "in memory" : "by query");
    }
    parley_chat_service svc = {.repo = repo, .queue_wait = w};
    bench_jobs(repo, &svc, waiting_id);
    parley_event_queue_clear(&svc.events);
    parley_after_commit_discard(&svc.after_commit);
    parley_queue_wait_free(w);
    repo->ops->close(repo);
}

int main(int argc, char **argv) {
    long sessions = 100000;
    long messages = 1000000;
    size_t queue = 13000;
    const char *db = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sessions") == 0) {
            sessions = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--messages") == 0) {
            messages = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--queue") == 0) {
            queue = (size_t)atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--db") == 0) {
            db = argv[i + 1];
        }
    }
    char tmp[] = "/tmp/parley-desk-bench-XXXXXX";
    char path[64];
    bool own = db == NULL;
    if (own) {
        if (mkdtemp(tmp) == NULL) {
            return 1;
        }
        snprintf(path, sizeof path, "%s/desk.db", tmp);
        db = path;
    }
    bench_positions(queue);
    bench_mean(db, sessions, messages);
    if (own) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
        if (system(cmd) != 0) {
            return 1;
        }
    }
    return 0;
}
