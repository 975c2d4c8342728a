#include "net/access_log.h"

#include <http_parser.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "core/log.h"
#include "net/conn.h"

void parley_access_note_input(parley_access *a, bool was_started, size_t consumed) {
    if (!was_started) {
        a->read_start_ns = uv_hrtime();
        a->read_bytes = 0;
    }
    a->read_bytes += consumed;
}

static void begin(parley_access *a) {
    a->start_ns = a->read_start_ns != 0 ? a->read_start_ns : uv_hrtime();
    a->bytes_in = a->read_bytes;
    a->read_start_ns = 0;
    a->read_bytes = 0;
    a->route = NULL;
    a->role = NULL;
    a->participant_id[0] = '\0';
    a->path[0] = '\0';
}

void parley_access_begin(parley_access *a, const parley_http_request *req) {
    begin(a);
    a->method = req->method;
    if (req->path != NULL) {
        snprintf(a->path, sizeof a->path, "%s", req->path);
    }
    if (parley_request_id_valid(req->x_request_id)) {
        snprintf(a->request_id, sizeof a->request_id, "%s", req->x_request_id);
    } else {
        parley_request_id_new(a->request_id);
    }
}

void parley_access_begin_invalid(parley_access *a) {
    begin(a);
    a->method = -1;
    parley_request_id_new(a->request_id);
}

static const char *role_of(const parley_participant *p) {
    if (p == NULL) {
        return NULL;
    }
    if (p->ops->is_admin(p)) {
        return "admin";
    }
    if (p->ops->is_staff(p)) {
        return "agent";
    }
    return parley_participant_kind_of(p) == PARLEY_PARTICIPANT_BOT ? "bot" : "customer";
}

void parley_access_note_caller(parley_access *a, const parley_participant *caller) {
    if (caller != NULL) {
        a->role = role_of(caller);
        snprintf(a->participant_id, sizeof a->participant_id, "%s", caller->id);
    }
}

bool parley_access_is_head(const parley_access *a) {
    return a->method == HTTP_HEAD;
}

void parley_access_add_header(parley_access *a, parley_http_response *res) {
    if (a->request_id[0] == '\0') {
        parley_access_begin_invalid(a); /* answered before any request was read */
    }
    size_t used = strlen(res->extra_headers);
    /* extra_headers has room: the largest headers anyone adds are far below */
    snprintf(res->extra_headers + used, sizeof res->extra_headers - used, "X-Request-Id: %s\r\n",
             a->request_id);
}

static bool access_log_on(const parley_conn *c) {
    return parley_log_enabled(PARLEY_LOG_INFO) && strcmp(c->server->config->access_log, "on") == 0;
}

static double ms_since(uint64_t start_ns) {
    return start_ns != 0 ? (double)(uv_hrtime() - start_ns) / 1e6 : 0.0;
}

void parley_access_log_response(parley_conn *c, int status, size_t bytes_out) {
    parley_access *a = &c->access;
    if (access_log_on(c)) {
        const char *method = a->method >= 0 ? http_method_str((enum http_method)a->method) : NULL;
        parley_log_field fields[] = {
            PARLEY_LOG_STR("request_id", a->request_id),
            PARLEY_LOG_STR("method", method != NULL ? method : "-"),
            PARLEY_LOG_STR("path", a->path[0] != '\0' ? a->path : "-"),
            PARLEY_LOG_STR("route", a->route),
            PARLEY_LOG_INT("status", status),
            PARLEY_LOG_MS("duration_ms", ms_since(a->start_ns)),
            PARLEY_LOG_INT("bytes_in", a->bytes_in),
            PARLEY_LOG_INT("bytes_out", bytes_out),
            PARLEY_LOG_STR("client_ip", c->client_ip[0] != '\0' ? c->client_ip : NULL),
            PARLEY_LOG_STR("peer_ip", strcmp(c->client_ip, c->peer_ip) != 0 ? c->peer_ip : NULL),
            PARLEY_LOG_STR("role", a->role),
            PARLEY_LOG_STR("participant_id",
                           a->participant_id[0] != '\0' ? a->participant_id : NULL),
        };
        parley_log_fields(PARLEY_LOG_INFO, "request", fields, sizeof fields / sizeof fields[0]);
    }
    /* the next request starts afresh; a read already under way keeps its start */
    a->method = -1;
    a->route = NULL;
    a->role = NULL;
    a->participant_id[0] = '\0';
    a->path[0] = '\0';
    a->request_id[0] = '\0';
    a->start_ns = 0;
    a->bytes_in = 0;
}

void parley_access_log_ws(parley_conn *c, const parley_ws_access *ws,
                          const parley_participant *caller) {
    if (!access_log_on(c)) {
        return;
    }
    const parley_access *a = &c->access;
    parley_log_field fields[] = {
        PARLEY_LOG_STR("request_id", a->request_id),
        PARLEY_LOG_STR("method", "GET"),
        PARLEY_LOG_STR("path", a->path[0] != '\0' ? a->path : "-"),
        PARLEY_LOG_STR("route", a->route),
        PARLEY_LOG_INT("status", 101),
        PARLEY_LOG_MS("duration_ms", ms_since(ws->opened_ns)),
        PARLEY_LOG_INT("frames_in", ws->frames_in),
        PARLEY_LOG_INT("frames_out", ws->frames_out),
        PARLEY_LOG_INT("bytes_in", ws->bytes_in),
        PARLEY_LOG_INT("bytes_out", ws->bytes_out),
        ws->close_sent != 0 ? PARLEY_LOG_INT("close_sent", ws->close_sent)
                            : PARLEY_LOG_STR("close_sent", NULL),
        ws->close_received != 0 ? PARLEY_LOG_INT("close_received", ws->close_received)
                                : PARLEY_LOG_STR("close_received", NULL),
        PARLEY_LOG_STR("close_reason", ws->close_reason),
        PARLEY_LOG_STR("client_ip", c->client_ip[0] != '\0' ? c->client_ip : NULL),
        PARLEY_LOG_STR("peer_ip", strcmp(c->client_ip, c->peer_ip) != 0 ? c->peer_ip : NULL),
        PARLEY_LOG_STR("role", role_of(caller)),
        PARLEY_LOG_STR("participant_id", caller != NULL ? caller->id : NULL),
    };
    parley_log_fields(PARLEY_LOG_INFO, "websocket", fields, sizeof fields / sizeof fields[0]);
}
