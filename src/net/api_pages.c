/* Web pages (static files from --web-dir) and the operations endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strategy.h"
#include "net/api.h"

#define MAX_PAGE_BYTES (8 * 1024 * 1024)

/* Pages carry a strict policy: scripts and styles only from this origin,
 * no inline code; who may frame them is configured (--frame-ancestors). */
static void page_headers(const parley_config *cfg, char *out, size_t size) {
    bool self_only = strcmp(cfg->frame_ancestors, "'self'") == 0;
    snprintf(out, size,
             "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
             "img-src 'self' data:; connect-src 'self'; frame-ancestors %.120s; "
             "base-uri 'none'; form-action 'self'\r\n"
             "Referrer-Policy: no-referrer\r\n%s",
             cfg->frame_ancestors, self_only ? "X-Frame-Options: SAMEORIGIN\r\n" : "");
}

static const char *content_type_for(const char *name) {
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return NULL;
}

/* Only plain names in the web root or one folder below it; no dot-files,
 * no "..", nothing that could leave the directory. */
static bool safe_relative_path(const char *rel) {
    int slashes = 0;
    if (rel[0] == '\0' || rel[0] == '.' || strlen(rel) > 200) {
        return false;
    }
    for (const char *p = rel; *p != '\0'; p++) {
        char ch = *p;
        if (ch == '/') {
            if (++slashes > 1 || p[1] == '.' || p[1] == '\0') {
                return false;
            }
        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) {
            return false;
        }
    }
    return true;
}

static bool read_file(const char *path, char **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL) {
        return false;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_PAGE_BYTES) {
        fclose(f);
        return false;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (buf == NULL || n != (size_t)st.st_size) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = n;
    return true;
}

void parley_api_static_file(parley_api_call *call, parley_facade *f) {
    (void)f;
    const char *path = call->req->path;
    const char *rel = path + 1;
    char name[256];
    if (strcmp(path, "/") == 0) {
        rel = "index.html";
    } else if (strchr(rel, '.') == NULL && strchr(rel, '/') == NULL && strlen(rel) < 200) {
        snprintf(name, sizeof name, "%s.html", rel); /* /demo -> demo.html */
        rel = name;
    }
    const char *type = safe_relative_path(rel) ? content_type_for(rel) : NULL;
    char full[1024];
    char *body = NULL;
    size_t len = 0;
    if (type == NULL ||
        (size_t)snprintf(full, sizeof full, "%s/%s", call->conn->server->config->web_dir, rel) >=
            sizeof full ||
        !read_file(full, &body, &len)) {
        parley_error err;
        parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "no such page");
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.status = 200;
    call->res.content_type = type;
    call->res.body = body;
    call->res.body_len = len;
    page_headers(call->conn->server->config, call->res.extra_headers,
                 sizeof call->res.extra_headers);
    call->job.status = PARLEY_OK;
}

static void respond_text(parley_conn *c, const char *type, char *body) {
    parley_http_response res = {.status = 200, .content_type = type, .body = body};
    res.body_len = body != NULL ? strlen(body) : 0;
    if (body == NULL) {
        parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
    }
    parley_conn_respond(c, &res);
}

void parley_api_healthz(parley_conn *c, parley_http_request *req) {
    parley_http_request_free(req);
    respond_text(c, "application/json", strdup("{\"status\":\"ok\"}"));
}

void parley_api_metrics(parley_conn *c, parley_http_request *req) {
    parley_http_request_free(req);
    parley_server *srv = c->server;
    const parley_metrics *m = &srv->metrics;
    parley_executor_stats ex;
    parley_executor_get_stats(srv->executor, &ex);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL) {
        respond_text(c, NULL, NULL);
        return;
    }
    fprintf(out,
            "# HELP parley_http_requests_total HTTP requests received.\n"
            "# TYPE parley_http_requests_total counter\n"
            "parley_http_requests_total %llu\n",
            (unsigned long long)m->http_requests);
    fprintf(out, "# HELP parley_http_responses_total HTTP responses by status class.\n"
                 "# TYPE parley_http_responses_total counter\n");
    for (int cls = 1; cls <= 5; cls++) {
        fprintf(out, "parley_http_responses_total{class=\"%dxx\"} %llu\n", cls,
                (unsigned long long)m->http_responses_by_class[cls]);
    }
    fprintf(out,
            "# TYPE parley_connections_open gauge\nparley_connections_open %zu\n"
            "# TYPE parley_connections_accepted_total counter\n"
            "parley_connections_accepted_total %llu\n"
            "# TYPE parley_connections_rejected_total counter\n"
            "parley_connections_rejected_total %llu\n"
            "# TYPE parley_ws_connections_opened_total counter\n"
            "parley_ws_connections_opened_total %llu\n"
            "# TYPE parley_ws_frames_received_total counter\n"
            "parley_ws_frames_received_total %llu\n"
            "# TYPE parley_ws_frames_sent_total counter\nparley_ws_frames_sent_total %llu\n"
            "# TYPE parley_ws_slow_consumer_closes_total counter\n"
            "parley_ws_slow_consumer_closes_total %llu\n"
            "# TYPE parley_events_published_total counter\n"
            "parley_events_published_total %llu\n"
            "# TYPE parley_messages_created_total counter\n"
            "parley_messages_created_total %llu\n"
            "# HELP parley_db_batches_total Write transactions committed (group commit).\n"
            "# TYPE parley_db_batches_total counter\nparley_db_batches_total %llu\n"
            "# TYPE parley_db_batched_jobs_total counter\nparley_db_batched_jobs_total %llu\n"
            "# TYPE parley_db_commit_failures_total counter\n"
            "parley_db_commit_failures_total %llu\n"
            "# TYPE parley_db_max_batch gauge\nparley_db_max_batch %llu\n"
            "# TYPE parley_jobs_in_flight gauge\nparley_jobs_in_flight %zu\n",
            srv->conn_count, (unsigned long long)m->connections_accepted,
            (unsigned long long)m->connections_rejected,
            (unsigned long long)m->ws_connections_opened, (unsigned long long)m->ws_frames_received,
            (unsigned long long)m->ws_frames_sent, (unsigned long long)m->ws_slow_consumer_closes,
            (unsigned long long)srv->hub.published, (unsigned long long)m->messages_created,
            ex.batches, ex.batched_jobs, ex.commit_failures, ex.max_batch,
            parley_executor_in_flight(srv->executor));
    fprintf(out,
            "# HELP parley_retention_passes_total Retention passes committed.\n"
            "# TYPE parley_retention_passes_total counter\nparley_retention_passes_total %llu\n"
            "# HELP parley_retention_deleted_total Rows (and files) retention deleted.\n"
            "# TYPE parley_retention_deleted_total counter\n"
            "parley_retention_deleted_total{kind=\"tokens\"} %llu\n"
            "parley_retention_deleted_total{kind=\"customers\"} %llu\n"
            "parley_retention_deleted_total{kind=\"audit_entries\"} %llu\n"
            "parley_retention_deleted_total{kind=\"uploads\"} %llu\n"
            "parley_retention_deleted_total{kind=\"files\"} %llu\n",
            (unsigned long long)m->retention_passes, (unsigned long long)m->retention_tokens,
            (unsigned long long)m->retention_customers,
            (unsigned long long)m->retention_audit_entries,
            (unsigned long long)m->retention_uploads, (unsigned long long)m->retention_files);
    fclose(out);
    respond_text(c, "text/plain; version=0.0.4", text);
}

/* GET /api/v1/strategies: what a session may name in its chain. Public: it
 * describes the server's capabilities, nothing about anyone. */
void parley_api_strategies(parley_conn *c, parley_http_request *req) {
    /* the router let only allowed origins through; they may read this */
    char cors[300] = "";
    if (req->origin != NULL) {
        snprintf(cors, sizeof cors, "Access-Control-Allow-Origin: %.200s\r\nVary: Origin\r\n",
                 req->origin);
    }
    parley_http_request_free(req);
    json_t *body =
        json_pack("{s:o}", "strategies", parley_strategy_registry_describe(c->server->strategies));
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    parley_http_response res = {.status = 200, .content_type = "application/json", .body = text};
    res.body_len = text != NULL ? strlen(text) : 0;
    if (text == NULL) {
        parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
    }
    snprintf(res.extra_headers, sizeof res.extra_headers, "%s", cors);
    parley_conn_respond(c, &res);
}
