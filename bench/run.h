/*
 * run.h - the state of one parley-bench run, shared by its phases:
 * setup (setup.c, HTTP), connect/subscribe and load (load.c, WebSocket),
 * the phase machine and timers (main.c) and the report (report.c).
 *
 * Ownership: main() owns the single pb_run; it owns the agent and customer
 * arrays (and every token string in them), the HTTP connections, the
 * ledger and all libuv handles, and frees them only after uv_run() has
 * returned, i.e. after every handle's close callback has run.
 * Threads: everything happens on the one libuv loop thread.
 */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http_client.h"
#include "ledger.h"
#include "options.h"
#include "server_stats.h"
#include "ws_client.h"

typedef struct pb_run pb_run;

typedef struct pb_agent {
    pb_run *run;
    long index;
    char email[160];
    char id[96];
    char *token; /* owned */
    pb_ws_conn ws;
    bool ws_started;
    bool ws_open;
    long subs_expected;
    long subs_confirmed;
} pb_agent;

typedef struct pb_customer {
    pb_run *run;
    long index;
    char id[96];
    char session_id[96];
    char *token; /* owned */
    long agent;  /* the agent subscribed to this customer's session */
    pb_ws_conn ws;
    bool ws_started;
    bool ws_open;
} pb_customer;

typedef enum pb_phase {
    PB_PHASE_SETUP,
    PB_PHASE_CONNECT,
    PB_PHASE_LOAD,
    PB_PHASE_DRAIN,
    PB_PHASE_CLOSING,
    PB_PHASE_DONE
} pb_phase;

#define PB_MAX_REASONS 8

struct pb_run {
    const pb_options *opts;
    uv_loop_t *loop;
    pb_phase phase;
    char run_id[12]; /* 8 hex chars, makes emails and message ids unique */
    char agent_password[40];

    pb_agent *agents;
    pb_customer *customers;
    long nagents;
    long ncustomers;

    /* setup */
    char *admin_token; /* owned */
    uint64_t setup_started;
    uint64_t setup_done;
    uint64_t rate_limited_retries;
    uint64_t transport_retries;

    /* connect */
    uint64_t connect_done;
    long ws_next;      /* next socket to open (agents first, then customers) */
    long ws_inflight;  /* handshakes in progress */
    long ws_open;      /* sockets open */
    long ws_live;      /* sockets whose on_closed has not run yet */
    long subs_pending; /* subscriptions not yet confirmed */

    /* load */
    pb_ledger ledger;
    uint64_t t0;
    uint64_t load_end;     /* t0 + warmup + duration */
    size_t next_msg;       /* next message index to send */
    uint64_t max_tick_gap; /* longest gap between send-timer ticks (ns) */
    uint64_t last_tick;
    char *frame; /* scratch for one outgoing frame */
    size_t frame_cap;
    char *padding; /* message_bytes of filler */
    uint64_t last_progress;

    /* events that are not messages */
    uint64_t disconnects; /* sockets lost before the run ended */
    char reasons[PB_MAX_REASONS][192];
    long nreasons;
    uint64_t protocol_errors;         /* frames we could not understand */
    uint64_t agent_errors;            /* error frames on agent sockets */
    uint64_t stray_frames;            /* unexpected frame types */
    uint64_t unsubscribed_deliveries; /* message.created for a session not subscribed */

    /* the outcome */
    bool failed; /* setup/connect failed: no figures */
    char failure[512];
    bool interrupted;
    bool drain_expired;       /* --drain ran out with messages outstanding */
    size_t peak_pending;      /* largest unsent output of any socket (bytes) */
    uint64_t ended_at;        /* when the closing phase began */
    double cpu_at_load_start; /* this process's user+sys CPU seconds */
    double cpu_at_end;
    pb_server_sample server_at_load_start; /* --server-pid, else invalid */
    pb_server_sample server_at_end;

    /* handles, all closed by main.c before the loop ends */
    uv_timer_t send_timer;  /* the open-loop sender, 1 ms ticks */
    uv_timer_t phase_timer; /* setup/connect timeout, drain, close grace */
    uv_signal_t sigint;
    uv_signal_t sigterm;
    struct pb_setup *setup;
};

/* This process's user + system CPU time so far, in seconds. */
double pb_run_cpu_seconds(void);

/* This process's user + system CPU time so far, in seconds. */
double pb_run_cpu_seconds(void);

/* Records why the run cannot go on; the first message wins. */
void pb_run_fail(pb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records an unexpected socket loss (first few reasons are kept). */
void pb_run_note_disconnect(pb_run *run, const char *who, long index, const char *reason);

/* Progress line on stderr unless --quiet. */
void pb_run_progress(const pb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Phase transitions, implemented in main.c and called by setup.c/load.c. */
void pb_run_setup_finished(pb_run *run);
void pb_run_connect_finished(pb_run *run);
void pb_run_sending_finished(pb_run *run);
void pb_run_settled(pb_run *run);
void pb_run_abort(pb_run *run);
/* A WebSocket's on_closed has run (ws_live already decremented). */
void pb_run_socket_closed(pb_run *run);

#endif
