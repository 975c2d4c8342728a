/*
 * setup.c - the HTTP setup phase (see setup.h). Loop thread only.
 */
#include "setup.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pb_task_kind { PB_TASK_NONE, PB_TASK_ADMIN, PB_TASK_AGENT, PB_TASK_CUSTOMER };

#define PB_SETUP_MAX_TRANSPORT_RETRIES 3

typedef struct pb_setup_worker {
    pb_setup *setup;
    pb_http_conn http;
    uv_timer_t timer;
    bool timer_inited;
    enum pb_task_kind kind;
    long index;
    int step; /* 0: create, 1: login / open session */
    int transport_failures;
    char what[96]; /* "POST /api/v1/agents", for messages */
} pb_setup_worker;

struct pb_setup {
    pb_run *run;
    pb_setup_worker *workers;
    long nworkers;
    long next_task;
    long tasks;
    long done_tasks;
    long agents_done;
    long customers_done;
    json_t *strategies; /* parsed --strategies, or NULL */
    bool finished;
};

static void pb_setup_issue(pb_setup_worker *w);
static void pb_setup_next(pb_setup_worker *w);

static void pb_setup_failed(pb_setup *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pb_setup_failed(pb_setup *s, const char *fmt, ...) {
    if (s->finished) {
        return;
    }
    s->finished = true;
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pb_run_fail(s->run, "setup: %s", msg);
    pb_run_abort(s->run);
}

static bool pb_setup_copy(char *dst, size_t size, json_t *v) {
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= size) {
        return false;
    }
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

static void pb_setup_on_timer(uv_timer_t *t) {
    pb_setup_worker *w = t->data;
    if (!w->setup->finished) {
        pb_setup_issue(w);
    }
}

static void pb_setup_retry_later(pb_setup_worker *w, uint64_t ms) {
    if (!w->timer_inited) {
        uv_timer_init(w->setup->run->loop, &w->timer);
        w->timer.data = w;
        w->timer_inited = true;
    }
    uv_timer_start(&w->timer, pb_setup_on_timer, ms, 0);
}

static void pb_setup_on_response(pb_http_conn *c, const pb_http_response *resp, const char *error,
                                 void *ud) {
    (void)c;
    pb_setup_worker *w = ud;
    pb_setup *s = w->setup;
    pb_run *run = s->run;
    if (s->finished) {
        return;
    }
    if (!resp) {
        if (++w->transport_failures > PB_SETUP_MAX_TRANSPORT_RETRIES) {
            pb_setup_failed(s, "%s failed: %s", w->what, error ? error : "?");
            return;
        }
        run->transport_retries++;
        pb_setup_retry_later(w, 200);
        return;
    }
    w->transport_failures = 0;
    if (resp->status == 429) {
        run->rate_limited_retries++;
        uint64_t ms = resp->retry_after_s > 0 ? (uint64_t)resp->retry_after_s * 1000u : 1000u;
        pb_setup_retry_later(w, ms);
        return;
    }
    int expected =
        (w->kind == PB_TASK_ADMIN || (w->kind == PB_TASK_AGENT && w->step == 1)) ? 200 : 201;
    if (resp->status != expected) {
        pb_setup_failed(s, "%s answered HTTP %d (expected %d): %.300s", w->what, resp->status,
                        expected, resp->body);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(resp->body, resp->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        pb_setup_failed(s, "%s answered HTTP %d with a body that is not a JSON object: %.200s",
                        w->what, resp->status, resp->body);
        return;
    }
    bool ok = true;
    if (w->kind == PB_TASK_ADMIN && w->step == 0) {
        const char *tok = json_string_value(json_object_get(body, "token"));
        ok = tok && (run->admin_token = strdup(tok)) != NULL;
        if (ok) {
            pb_run_progress(run, "setup: logged in as admin %s", run->opts->admin_email);
        }
    } else if (w->kind == PB_TASK_ADMIN) {
        pb_run_progress(run, "setup: --strategies set as the desk's strategy policy");
    } else if (w->kind == PB_TASK_AGENT) {
        pb_agent *a = &run->agents[w->index];
        if (w->step == 0) {
            ok = pb_setup_copy(a->id, sizeof a->id, json_object_get(body, "id"));
        } else {
            const char *tok = json_string_value(json_object_get(body, "token"));
            ok = tok && (a->token = strdup(tok)) != NULL;
        }
    } else {
        pb_customer *cu = &run->customers[w->index];
        if (w->step == 0) {
            const char *tok = json_string_value(json_object_get(body, "token"));
            ok = pb_setup_copy(cu->id, sizeof cu->id,
                               json_object_get(json_object_get(body, "customer"), "id")) &&
                 tok && (cu->token = strdup(tok)) != NULL;
        } else {
            ok = pb_setup_copy(cu->session_id, sizeof cu->session_id, json_object_get(body, "id"));
        }
    }
    json_decref(body);
    if (!ok) {
        pb_setup_failed(s, "%s: unexpected response body: %.300s", w->what, resp->body);
        return;
    }

    if (w->kind == PB_TASK_ADMIN && w->step == 0 && s->strategies) {
        /* the chain is the desk's policy, set by the admin (issue 16) */
        w->step = 1;
        pb_setup_issue(w);
        return;
    }
    if (w->kind == PB_TASK_ADMIN) {
        /* Start every worker on the task list. */
        w->kind = PB_TASK_NONE;
        for (long k = 0; k < s->nworkers; k++) {
            pb_setup_next(&s->workers[k]);
        }
        return;
    }
    if (w->step == 0) {
        w->step = 1;
        pb_setup_issue(w);
        return;
    }
    s->done_tasks++;
    if (w->kind == PB_TASK_AGENT) {
        s->agents_done++;
    } else {
        s->customers_done++;
    }
    w->kind = PB_TASK_NONE;
    pb_setup_next(w);
}

static void pb_setup_issue(pb_setup_worker *w) {
    pb_setup *s = w->setup;
    pb_run *run = s->run;
    const char *path = NULL;
    const char *token = NULL;
    json_t *body = NULL;
    char text[256];
    const char *method = "POST";
    if (w->kind == PB_TASK_ADMIN && w->step == 1) {
        method = "PATCH";
        path = "/api/v1/settings";
        token = run->admin_token;
        body = json_pack("{s:{s:O}}", "strategies.policy", "chain", s->strategies);
    } else if (w->kind == PB_TASK_ADMIN) {
        path = "/api/v1/auth/login";
        body = json_pack("{s:s, s:s}", "email", run->opts->admin_email, "password",
                         run->opts->admin_password);
    } else if (w->kind == PB_TASK_AGENT) {
        pb_agent *a = &run->agents[w->index];
        if (w->step == 0) {
            path = "/api/v1/agents";
            token = run->admin_token;
            snprintf(text, sizeof text, "Bench Agent %s-%ld", run->run_id, w->index);
            body = json_pack("{s:s, s:s, s:s, s:s}", "name", text, "email", a->email, "password",
                             run->agent_password, "role", "agent");
        } else {
            path = "/api/v1/auth/login";
            body = json_pack("{s:s, s:s}", "email", a->email, "password", run->agent_password);
        }
    } else {
        pb_customer *cu = &run->customers[w->index];
        if (w->step == 0) {
            path = "/api/v1/customers";
            snprintf(text, sizeof text, "Bench Customer %s-%ld", run->run_id, w->index);
            body = json_pack("{s:s}", "name", text);
        } else {
            path = "/api/v1/sessions";
            token = cu->token;
            snprintf(text, sizeof text, "parley-bench run %s session %ld", run->run_id, w->index);
            body = json_pack("{s:s}", "topic", text);
        }
    }
    snprintf(w->what, sizeof w->what, "%s %s", method, path);
    char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!json) {
        pb_setup_failed(s, "out of memory");
        return;
    }
    bool started = pb_http_request(&w->http, method, path, token, json, pb_setup_on_response, w);
    free(json);
    if (!started) {
        pb_setup_failed(s, "could not start %s", w->what);
    }
}

static void pb_setup_next(pb_setup_worker *w) {
    pb_setup *s = w->setup;
    if (s->finished) {
        return;
    }
    if (s->next_task < s->tasks) {
        long t = s->next_task++;
        w->step = 0;
        w->transport_failures = 0;
        if (t < s->run->nagents) {
            w->kind = PB_TASK_AGENT;
            w->index = t;
        } else {
            w->kind = PB_TASK_CUSTOMER;
            w->index = t - s->run->nagents;
        }
        pb_setup_issue(w);
        return;
    }
    if (s->done_tasks == s->tasks) {
        s->finished = true;
        pb_run_progress(s->run, "setup: %ld agents and %ld customers with one session each ready",
                        s->agents_done, s->customers_done);
        pb_run_setup_finished(s->run);
    }
}

pb_setup *pb_setup_start(pb_run *run) {
    pb_setup *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    s->run = run;
    s->tasks = run->nagents + run->ncustomers;
    s->nworkers = run->opts->setup_concurrency < s->tasks ? run->opts->setup_concurrency : s->tasks;
    if (s->nworkers < 1) {
        s->nworkers = 1;
    }
    s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
    if (!s->workers) {
        free(s);
        return NULL;
    }
    for (long k = 0; k < s->nworkers; k++) {
        s->workers[k].setup = s;
        pb_http_conn_init(&s->workers[k].http, run->loop, run->opts);
    }
    if (run->opts->strategies) {
        json_error_t jerr;
        s->strategies = json_loads(run->opts->strategies, 0, &jerr);
        if (!json_is_array(s->strategies)) {
            pb_setup_failed(s, "--strategies must be a JSON array (got \"%s\")",
                            run->opts->strategies);
            return s;
        }
    }
    pb_setup_worker *w = &s->workers[0];
    w->kind = PB_TASK_ADMIN;
    w->step = 0;
    pb_setup_issue(w);
    return s;
}

void pb_setup_close(pb_setup *s) {
    if (!s) {
        return;
    }
    s->finished = true;
    for (long k = 0; k < s->nworkers; k++) {
        pb_setup_worker *w = &s->workers[k];
        pb_http_conn_close(&w->http);
        if (w->timer_inited && !uv_is_closing((uv_handle_t *)&w->timer)) {
            uv_close((uv_handle_t *)&w->timer, NULL);
        }
    }
}

void pb_setup_free(pb_setup *s) {
    if (!s) {
        return;
    }
    json_decref(s->strategies);
    free(s->workers);
    free(s);
}
