/* Web pages (static files from --web-dir) and the operations endpoints. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strategy.h"
#include "net/api/api.h"
#include "net/cluster/bus.h"
#include "net/http/http_cache.h"

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

/* Opens a regular file of at most MAX_PAGE_BYTES; its stat into *st. */
static FILE *open_page(const char *path, struct stat *st) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    if (fstat(fileno(f), st) != 0 || !S_ISREG(st->st_mode) || st->st_size > MAX_PAGE_BYTES) {
        fclose(f);
        return NULL;
    }
    return f;
}

static bool read_page(FILE *f, const struct stat *st, char **out, size_t *out_len) {
    char *buf = malloc((size_t)st->st_size + 1);
    size_t n = buf != NULL ? fread(buf, 1, (size_t)st->st_size, f) : 0;
    if (buf == NULL || n != (size_t)st->st_size) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = n;
    return true;
}

/* Caching: every file carries a strong ETag (size and mtime) and
 * Last-Modified, and a conditional GET gets 304. HTML pages say no-cache:
 * a browser keeps them but asks every time, so a new version shows at
 * once (they embed no per-response nonce: the CSP is the same for every
 * answer). Scripts, styles and images may be used for five minutes
 * without asking: a shop's pages do not fetch widget.js on every view,
 * and an upgrade reaches them within five minutes. Files in a folder
 * (web/console/: the console's ES modules) are no-cache like pages: the
 * modules import each other by name, so they must all come from one
 * version, and a revalidation is a 304 without a body. */
#define PAGE_CACHE_CONTROL "no-cache"
#define ASSET_CACHE_CONTROL "public, max-age=300"

void parley_api_static_file(parley_api_call *call, parley_facade *f) {
    (void)f;
    const parley_http_request *req = call->req;
    const char *path = req->path;
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
    struct stat st;
    FILE *file = NULL;
    if (type == NULL ||
        (size_t)snprintf(full, sizeof full, "%s/%s", call->conn->server->config->web_dir, rel) >=
            sizeof full ||
        (file = open_page(full, &st)) == NULL) {
        parley_error err;
        parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "no such page");
        parley_api_reply_error(call, &err);
        return;
    }
    char etag[64];
    char last_modified[32];
    parley_http_etag_of(&st, etag);
    parley_http_date_format(st.st_mtim.tv_sec, last_modified);
    parley_http_response *res = &call->res;
    bool html = strncmp(type, "text/html", 9) == 0;
    bool module = strchr(rel, '/') != NULL; /* see PAGE_CACHE_CONTROL */
    bool not_modified = parley_http_not_modified(req->if_none_match, req->if_modified_since, etag,
                                                 st.st_mtim.tv_sec);
    res->status = not_modified ? 304 : 200;
    res->content_type = type;
    res->cache_control = html || module ? PAGE_CACHE_CONTROL : ASSET_CACHE_CONTROL;
    res->body_len = (size_t)st.st_size;
    if (not_modified || req->method == HTTP_HEAD) {
        res->omit_body = true; /* Content-Length still says the file's size */
    } else if (!read_page(file, &st, &res->body, &res->body_len)) {
        fclose(file);
        memset(res, 0, sizeof *res);
        parley_error err;
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable", "the page could not be read");
        parley_api_reply_error(call, &err);
        return;
    }
    fclose(file);
    page_headers(call->conn->server->config, res->extra_headers, sizeof res->extra_headers);
    size_t used = strlen(res->extra_headers);
    snprintf(res->extra_headers + used, sizeof res->extra_headers - used,
             "ETag: %s\r\nLast-Modified: %s\r\n", etag, last_modified);
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

/* Readiness: the leadership job's last unit reached the database and the
 * one in flight (if any) has waited less than three of its ticks (a hung
 * connection, or a writer too far behind), and, with --redis, the cluster
 * bus is subscribed. A load balancer sends nothing to a node that says
 * 503. */
#define HEALTHZ_DATABASE_STALE_MS (3 * PARLEY_LEADERSHIP_TICK_MS)

void parley_api_healthz(parley_conn *c, parley_http_request *req) {
    parley_http_request_free(req);
    parley_server *srv = c->server;
    const parley_periodic_job *check = &srv->leadership;
    bool database =
        !srv->database_failed &&
        !(check->in_flight && uv_now(srv->loop) - check->submitted_at > HEALTHZ_DATABASE_STALE_MS);
    bool clustered = strcmp(srv->bus->ops->name, "local") != 0;
    bool redis = !clustered || srv->bus->ops->connected(srv->bus);
    if (database && redis) {
        respond_text(c, "application/json", strdup("{\"status\":\"ok\"}"));
        return;
    }
    json_t *body = json_pack("{s:s, s:s}", "status", "unavailable", "database",
                             database ? "ok" : "unreachable");
    if (body != NULL && clustered) {
        json_object_set_new(body, "redis", json_string(redis ? "ok" : "unreachable"));
    }
    parley_http_response res = {.status = 503, .content_type = "application/json"};
    res.body = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (res.body == NULL) {
        parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
    } else {
        res.body_len = strlen(res.body);
        snprintf(res.extra_headers, sizeof res.extra_headers, "Retry-After: %d\r\n",
                 parley_http_status_retry_after(503));
    }
    parley_conn_respond(c, &res);
}

/* Who may read /metrics (docs/security.md): with --metrics-token, a
 * request carrying it as a bearer token, on either listener (others 401);
 * without it, any request on the --metrics-listen listener, and nobody on
 * the main listener (404: the secure default). */
static bool metrics_allowed(parley_conn *c, const parley_http_request *req, int *status,
                            const char **message) {
    const char *want = c->server->config->metrics_token;
    if (want == NULL || want[0] == '\0') {
        *status = 404;
        *message = "no such resource";
        return c->metrics_only;
    }
    /* constant time: hash both sides, compare the digests */
    const char *got = parley_http_bearer_token(req);
    unsigned char want_hash[crypto_generichash_BYTES];
    unsigned char got_hash[crypto_generichash_BYTES];
    crypto_generichash(want_hash, sizeof want_hash, (const unsigned char *)want, strlen(want), NULL,
                       0);
    crypto_generichash(got_hash, sizeof got_hash, (const unsigned char *)(got ? got : ""),
                       got ? strlen(got) : 0, NULL, 0);
    if (got != NULL && sodium_memcmp(want_hash, got_hash, sizeof want_hash) == 0) {
        return true;
    }
    *status = 401;
    *message = "a bearer token (--metrics-token) is required";
    return false;
}

void parley_api_metrics(parley_conn *c, parley_http_request *req) {
    int status = 0;
    const char *message = NULL;
    bool allowed = metrics_allowed(c, req, &status, &message);
    parley_http_request_free(req);
    if (!allowed) {
        parley_http_response res = {0};
        parley_http_response_error_code(&res, status,
                                        status == 401 ? "unauthenticated" : "not_found", message);
        parley_conn_respond(c, &res);
        return;
    }
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
            "# HELP parley_leader 1 while this node runs the periodic jobs (one node at a time "
            "on a shared database).\n"
            "# TYPE parley_leader gauge\nparley_leader %d\n",
            srv->leader ? 1 : 0);
    fprintf(out,
            "# HELP parley_retention_passes_total Retention passes committed.\n"
            "# TYPE parley_retention_passes_total counter\nparley_retention_passes_total %llu\n"
            "# HELP parley_retention_deleted_total Rows (and files) retention deleted.\n"
            "# TYPE parley_retention_deleted_total counter\n"
            "parley_retention_deleted_total{kind=\"tokens\"} %llu\n"
            "parley_retention_deleted_total{kind=\"customers\"} %llu\n"
            "parley_retention_deleted_total{kind=\"audit_entries\"} %llu\n"
            "parley_retention_deleted_total{kind=\"uploads\"} %llu\n"
            "parley_retention_deleted_total{kind=\"files\"} %llu\n"
            "parley_retention_deleted_total{kind=\"notifications\"} %llu\n"
            "parley_retention_deleted_total{kind=\"password_resets\"} %llu\n",
            (unsigned long long)m->retention_passes, (unsigned long long)m->retention_tokens,
            (unsigned long long)m->retention_customers,
            (unsigned long long)m->retention_audit_entries,
            (unsigned long long)m->retention_uploads, (unsigned long long)m->retention_files,
            (unsigned long long)m->retention_notifications,
            (unsigned long long)m->retention_password_resets);
    /* output not yet read by clients (net/loop/conn.h counts it) and what bounds it */
    fprintf(out,
            "# HELP parley_unsent_bytes Output queued for clients and not yet handed to the "
            "kernel, all connections.\n"
            "# TYPE parley_unsent_bytes gauge\nparley_unsent_bytes %zu\n"
            "# TYPE parley_unsent_bytes_peak gauge\nparley_unsent_bytes_peak %zu\n"
            "# TYPE parley_unsent_bytes_limit gauge\nparley_unsent_bytes_limit %lld\n"
            "# HELP parley_output_evictions_total Connections dropped because the unsent output "
            "of all connections passed --max-pending-bytes-total.\n"
            "# TYPE parley_output_evictions_total counter\nparley_output_evictions_total %llu\n"
            "# TYPE parley_close_grace_expired_total counter\n"
            "parley_close_grace_expired_total %llu\n"
            "# TYPE parley_http_responses_refused_total counter\n"
            "parley_http_responses_refused_total %llu\n"
            "# HELP parley_ws_frames_refused_total Frames closed with 1009 from their header.\n"
            "# TYPE parley_ws_frames_refused_total counter\nparley_ws_frames_refused_total %llu\n",
            srv->unsent_bytes_total, m->unsent_bytes_peak,
            (long long)srv->config->max_pending_bytes_total,
            (unsigned long long)m->output_evictions, (unsigned long long)m->grace_expired,
            (unsigned long long)m->responses_refused, (unsigned long long)m->ws_frames_refused);
    if (srv->hub.cluster) { /* --redis only: one node's output stays as it was */
        const parley_cluster_stats *b = &srv->bus->stats;
        fprintf(out,
                "# HELP parley_cluster_connected Whether the cluster bus hears the other nodes.\n"
                "# TYPE parley_cluster_connected gauge\nparley_cluster_connected %d\n"
                "# TYPE parley_cluster_published_total counter\n"
                "parley_cluster_published_total %llu\n"
                "# TYPE parley_cluster_received_total counter\n"
                "parley_cluster_received_total %llu\n"
                "# HELP parley_cluster_dropped_total Events not published (backlog full, out of "
                "memory): other nodes read them from the database.\n"
                "# TYPE parley_cluster_dropped_total counter\n"
                "parley_cluster_dropped_total %llu\n"
                "# TYPE parley_cluster_reconnects_total counter\n"
                "parley_cluster_reconnects_total %llu\n"
                "# TYPE parley_cluster_bad_envelopes_total counter\n"
                "parley_cluster_bad_envelopes_total %llu\n",
                srv->bus->ops->connected(srv->bus) ? 1 : 0, (unsigned long long)b->published,
                (unsigned long long)b->received, (unsigned long long)b->dropped,
                (unsigned long long)b->reconnects, (unsigned long long)b->bad_envelope);
    }
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
    snprintf(res.extra_headers, sizeof res.extra_headers, "%s", cors);
    if (text == NULL) {
        parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
    }
    parley_conn_respond(c, &res);
}
