/*
 * main.c - parley-bench entry point and phase machine.
 *
 *   SETUP (setup.c, HTTP) -> CONNECT (load.c: sockets + subscriptions)
 *   -> LOAD (open-loop sender) -> DRAIN (wait for stragglers, bounded by
 *   --drain) -> CLOSING (closing handshakes, bounded by a 2 s grace)
 *   -> DONE, then the report.
 *
 * Every phase before LOAD is bounded by --setup-timeout; the whole run is
 * therefore bounded by setup + warmup + duration + drain + 2 s.
 *
 * Ownership: main() owns the pb_run, the loop and every handle; all
 * memory is freed after uv_run() returns and uv_loop_close() succeeds.
 * Threads: one; the libuv loop runs on the main thread.
 */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "load.h"
#include "report.h"
#include "run.h"
#include "setup.h"

#define PB_CLOSE_GRACE_MS 2000

/* ---- shared helpers (declared in run.h) --------------------------------- */

void pb_run_fail(pb_run *run, const char *fmt, ...) {
    if (run->failed) {
        return;
    }
    run->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->failure, sizeof run->failure, fmt, ap);
    va_end(ap);
}

double pb_run_cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0.0;
    }
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void pb_run_note_disconnect(pb_run *run, const char *who, long index, const char *reason) {
    run->disconnects++;
    if (run->nreasons < PB_MAX_REASONS) {
        snprintf(run->reasons[run->nreasons++], sizeof run->reasons[0], "%s %ld: %s", who, index,
                 reason);
    }
    pb_run_progress(run, "warning: %s %ld's WebSocket closed during the run: %s", who, index,
                    reason);
}

void pb_run_progress(const pb_run *run, const char *fmt, ...) {
    if (run->opts->quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("parley-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- phase machine ------------------------------------------------------ */

static void pb_run_close_handles(pb_run *run) {
    uv_handle_t *hs[] = {(uv_handle_t *)&run->send_timer, (uv_handle_t *)&run->phase_timer,
                         (uv_handle_t *)&run->sigint, (uv_handle_t *)&run->sigterm};
    for (size_t k = 0; k < sizeof hs / sizeof hs[0]; k++) {
        if (!uv_is_closing(hs[k])) {
            uv_close(hs[k], NULL);
        }
    }
    run->phase = PB_PHASE_DONE;
}

static void pb_run_on_phase_timer(uv_timer_t *t);

static void pb_run_arm(pb_run *run, double seconds) {
    uv_timer_stop(&run->phase_timer);
    uv_timer_start(&run->phase_timer, pb_run_on_phase_timer, (uint64_t)(seconds * 1000.0), 0);
}

static void pb_run_begin_closing(pb_run *run) {
    if (run->phase >= PB_PHASE_CLOSING) {
        return;
    }
    run->phase = PB_PHASE_CLOSING;
    run->ended_at = uv_hrtime();
    run->cpu_at_end = pb_run_cpu_seconds();
    pb_server_sample_read(run->opts->server_pid, &run->server_at_end);
    pb_load_stop_sending(run);
    pb_setup_close(run->setup);
    pb_load_close_sockets(run, false);
    pb_run_arm(run, PB_CLOSE_GRACE_MS / 1000.0);
    pb_run_socket_closed(run);
}

void pb_run_socket_closed(pb_run *run) {
    if (run->phase == PB_PHASE_CLOSING && run->ws_live == 0) {
        pb_run_close_handles(run);
    }
}

void pb_run_abort(pb_run *run) {
    pb_run_begin_closing(run);
}

void pb_run_setup_finished(pb_run *run) {
    if (run->phase != PB_PHASE_SETUP) {
        return;
    }
    run->setup_done = uv_hrtime();
    run->phase = PB_PHASE_CONNECT;
    pb_setup_close(run->setup); /* keep-alive connections are no longer needed */
    pb_run_arm(run, run->opts->setup_timeout_s);
    pb_load_connect_start(run);
}

void pb_run_connect_finished(pb_run *run) {
    if (run->phase != PB_PHASE_CONNECT) {
        return;
    }
    run->connect_done = uv_hrtime();
    pb_run_progress(run, "connect: %ld sockets open, %ld subscriptions confirmed in %.2f s",
                    run->ws_open, run->ncustomers,
                    (double)(run->connect_done - run->setup_done) / 1e9);
    uv_timer_stop(&run->phase_timer);
    run->phase = PB_PHASE_LOAD;
    run->cpu_at_load_start = pb_run_cpu_seconds();
    pb_server_sample_read(run->opts->server_pid, &run->server_at_load_start);
    pb_load_start_sending(run);
}

void pb_run_sending_finished(pb_run *run) {
    if (run->phase != PB_PHASE_LOAD) {
        return;
    }
    run->phase = PB_PHASE_DRAIN;
    if (pb_ledger_settled(&run->ledger)) {
        pb_run_begin_closing(run);
        return;
    }
    pb_run_progress(run, "drain: all %llu messages sent; waiting up to %.1f s for the rest",
                    (unsigned long long)run->ledger.sent, run->opts->drain_s);
    pb_run_arm(run, run->opts->drain_s);
}

void pb_run_settled(pb_run *run) {
    if (run->phase == PB_PHASE_DRAIN) {
        pb_run_begin_closing(run);
    }
}

static void pb_run_on_phase_timer(uv_timer_t *t) {
    pb_run *run = t->data;
    switch (run->phase) {
    case PB_PHASE_SETUP:
        pb_run_fail(run, "setup did not finish within --setup-timeout %.0f s",
                    run->opts->setup_timeout_s);
        pb_run_begin_closing(run);
        break;
    case PB_PHASE_CONNECT:
        pb_run_fail(run,
                    "connect: after %.0f s only %ld of %ld sockets open and %ld subscriptions "
                    "unconfirmed",
                    run->opts->setup_timeout_s, run->ws_open, run->nagents + run->ncustomers,
                    run->subs_pending);
        pb_run_begin_closing(run);
        break;
    case PB_PHASE_DRAIN:
        run->drain_expired = true;
        pb_run_progress(run, "drain: --drain %.1f s elapsed with messages still outstanding",
                        run->opts->drain_s);
        pb_run_begin_closing(run);
        break;
    case PB_PHASE_CLOSING:
        /* The server did not finish the closing handshakes in time. */
        pb_load_close_sockets(run, true);
        break;
    default:
        break;
    }
}

static void pb_run_on_signal(uv_signal_t *s, int signum) {
    pb_run *run = s->data;
    (void)signum;
    if (run->phase >= PB_PHASE_CLOSING) {
        pb_load_close_sockets(run, true);
        return;
    }
    run->interrupted = true;
    pb_run_progress(run, "interrupted; closing");
    pb_run_begin_closing(run);
}

/* ---- main --------------------------------------------------------------- */

static void pb_walk_close(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

int main(int argc, char **argv) {
    pb_options opts;
    bool help = false;
    if (!pb_options_parse(&opts, argc, argv, &help, stderr)) {
        return 2;
    }
    if (help) {
        pb_options_usage(stdout);
        return 0;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "parley-bench: libsodium failed to initialise\n");
        return 2;
    }

    pb_run run;
    memset(&run, 0, sizeof run);
    run.opts = &opts;
    uint8_t rnd[4];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(run.run_id, sizeof run.run_id, rnd, sizeof rnd);
    uint8_t pw[12];
    randombytes_buf(pw, sizeof pw);
    strcpy(run.agent_password, "pb-");
    sodium_bin2hex(run.agent_password + 3, sizeof run.agent_password - 3, pw, sizeof pw);

    run.nagents = opts.agents;
    run.ncustomers = opts.customers;
    run.agents = calloc((size_t)run.nagents, sizeof *run.agents);
    run.customers = calloc((size_t)run.ncustomers, sizeof *run.customers);
    double want = ceil(opts.rate * (opts.warmup_s + opts.duration_s) - 1e-9);
    size_t total = want < 1.0 ? 1u : (size_t)want;
    if (!run.agents || !run.customers ||
        !pb_ledger_init(&run.ledger, total, (size_t)run.ncustomers, opts.rate)) {
        fprintf(stderr, "parley-bench: out of memory for %zu messages\n", total);
        free(run.agents);
        free(run.customers);
        return 2;
    }
    for (long a = 0; a < run.nagents; a++) {
        run.agents[a].run = &run;
        run.agents[a].index = a;
        snprintf(run.agents[a].email, sizeof run.agents[a].email, "pb-%s-agent%ld@bench.local",
                 run.run_id, a);
    }
    for (long c = 0; c < run.ncustomers; c++) {
        run.customers[c].run = &run;
        run.customers[c].index = c;
    }

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "parley-bench: uv_loop_init failed\n");
        return 2;
    }
    run.loop = &loop;
    uv_timer_init(&loop, &run.send_timer);
    uv_timer_init(&loop, &run.phase_timer);
    run.send_timer.data = &run;
    run.phase_timer.data = &run;
    uv_signal_init(&loop, &run.sigint);
    uv_signal_init(&loop, &run.sigterm);
    run.sigint.data = &run;
    run.sigterm.data = &run;
    uv_signal_start(&run.sigint, pb_run_on_signal, SIGINT);
    uv_signal_start(&run.sigterm, pb_run_on_signal, SIGTERM);

    pb_run_progress(&run, "run %s: %s (%s), %ld customers, %ld agents, %.0f msgs/s", run.run_id,
                    opts.url, opts.addr_text, run.ncustomers, run.nagents, opts.rate);
    run.phase = PB_PHASE_SETUP;
    run.setup_started = uv_hrtime();
    pb_run_arm(&run, opts.setup_timeout_s);
    run.setup = pb_setup_start(&run);
    if (!run.setup) {
        pb_run_fail(&run, "out of memory");
        pb_run_begin_closing(&run);
    } else if (run.phase >= PB_PHASE_CLOSING) {
        pb_setup_close(run.setup);
    }

    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) == UV_EBUSY) {
        /* Should not happen; close whatever is left rather than leak. */
        fprintf(stderr, "parley-bench: warning: handles still open at exit; closing them\n");
        uv_walk(&loop, pb_walk_close, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }

    for (long a = 0; a < run.nagents; a++) {
        if (run.agents[a].ws.peak_pending > run.peak_pending) {
            run.peak_pending = run.agents[a].ws.peak_pending;
        }
    }
    for (long c = 0; c < run.ncustomers; c++) {
        if (run.customers[c].ws.peak_pending > run.peak_pending) {
            run.peak_pending = run.customers[c].ws.peak_pending;
        }
    }

    int rc;
    if (run.failed || (run.interrupted && run.t0 == 0)) {
        pb_report_failure(opts.json ? stdout : stderr, &run, opts.json);
        rc = 2;
    } else {
        pb_ledger_summary sum;
        pb_ledger_finish(&run.ledger, &sum);
        if (opts.json) {
            pb_report_json(stdout, &run, &sum);
        } else {
            pb_report_text(stdout, &run, &sum);
        }
        rc = run.interrupted ? 2 : (sum.ok && run.disconnects == 0) ? 0 : 1;
    }

    pb_setup_free(run.setup);
    for (long a = 0; a < run.nagents; a++) {
        free(run.agents[a].token);
    }
    for (long c = 0; c < run.ncustomers; c++) {
        free(run.customers[c].token);
    }
    free(run.agents);
    free(run.customers);
    free(run.admin_token);
    free(run.frame);
    free(run.padding);
    pb_ledger_free(&run.ledger);
    return rc;
}
