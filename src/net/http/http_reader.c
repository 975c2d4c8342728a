#include "net/http/http_reader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static parley_http_reader *reader_of(http_parser *p) {
    return p->data;
}

static int reject(parley_http_reader *r, int status, const char *code, const char *message) {
    if (r->reject_status == 0) {
        r->reject_status = status;
        r->reject_code = code;
        r->reject_message = message;
    }
    return -1;
}

static int out_of_memory(parley_http_reader *r) {
    return reject(r, 503, "unavailable", "out of memory");
}

static int count_header_bytes(parley_http_reader *r, size_t len) {
    r->header_bytes += len;
    if ((int64_t)r->header_bytes > r->max_header_bytes) {
        return reject(r, 431, "headers_too_large", "the request headers are too large");
    }
    return 0;
}

static bool append(char **buf, size_t *len, const char *data, size_t n) {
    char *grown = realloc(*buf, *len + n + 1);
    if (grown == NULL) {
        return false;
    }
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
    return true;
}

static int on_message_begin(http_parser *p) {
    parley_http_reader *r = reader_of(p);
    parley_http_request_free(r->req);
    r->req = calloc(1, sizeof *r->req);
    r->header_bytes = 0;
    r->in_value = false;
    r->field_len = r->value_len = 0;
    r->started = true;
    return r->req != NULL ? 0 : out_of_memory(r);
}

static int on_url(http_parser *p, const char *at, size_t len) {
    parley_http_reader *r = reader_of(p);
    size_t url_len = r->req->url != NULL ? strlen(r->req->url) : 0;
    if (count_header_bytes(r, len) != 0) {
        return -1;
    }
    return append(&r->req->url, &url_len, at, len) ? 0 : out_of_memory(r);
}

/* Keeps the headers the server acts on; the first occurrence wins. */
static void store_header(parley_http_reader *r) {
    static const struct {
        const char *name;
        size_t offset;
    } wanted[] = {
        {"authorization", offsetof(parley_http_request, authorization)},
        {"content-type", offsetof(parley_http_request, content_type)},
        {"upgrade", offsetof(parley_http_request, upgrade)},
        {"connection", offsetof(parley_http_request, connection)},
        {"origin", offsetof(parley_http_request, origin)},
        {"host", offsetof(parley_http_request, host)},
        {"sec-websocket-key", offsetof(parley_http_request, sec_websocket_key)},
        {"sec-websocket-version", offsetof(parley_http_request, sec_websocket_version)},
        {"x-filename", offsetof(parley_http_request, x_filename)},
        {"content-disposition", offsetof(parley_http_request, content_disposition)},
        {"x-request-id", offsetof(parley_http_request, x_request_id)},
        {"if-none-match", offsetof(parley_http_request, if_none_match)},
        {"if-modified-since", offsetof(parley_http_request, if_modified_since)},
        {"accept-language", offsetof(parley_http_request, accept_language)},
    };
    /* list headers (RFC 9110 5.3): repeated lines join with "," in order,
     * so the last hop stays last (util/client_addr.h reads them) */
    static const struct {
        const char *name;
        size_t offset;
    } lists[] = {
        {"forwarded", offsetof(parley_http_request, forwarded)},
        {"x-forwarded-for", offsetof(parley_http_request, x_forwarded_for)},
    };
    for (size_t i = 0; r->field != NULL && r->field_len > 0 && i < sizeof lists / sizeof lists[0];
         i++) {
        if (strcasecmp(r->field, lists[i].name) == 0) {
            char **slot = (char **)(void *)((char *)r->req + lists[i].offset);
            const char *value = r->value != NULL ? r->value : "";
            size_t old_len = *slot != NULL ? strlen(*slot) : 0;
            char *joined = malloc(old_len + 1 + strlen(value) + 1);
            if (joined != NULL) {
                sprintf(joined, "%s%s%s", *slot != NULL ? *slot : "", *slot != NULL ? "," : "",
                        value);
                free(*slot);
                *slot = joined;
            }
            r->field_len = 0; /* handled: not one of `wanted` */
            break;
        }
    }
    if (r->field != NULL && r->field_len > 0) {
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
            if (strcasecmp(r->field, wanted[i].name) == 0) {
                char **slot = (char **)(void *)((char *)r->req + wanted[i].offset);
                if (*slot == NULL) {
                    *slot = strdup(r->value != NULL ? r->value : "");
                }
                break;
            }
        }
    }
    r->field_len = r->value_len = 0;
    if (r->field != NULL) {
        r->field[0] = '\0';
    }
    if (r->value != NULL) {
        r->value[0] = '\0';
    }
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
    parley_http_reader *r = reader_of(p);
    if (count_header_bytes(r, len) != 0) {
        return -1;
    }
    if (r->in_value) {
        store_header(r);
        r->in_value = false;
    }
    return append(&r->field, &r->field_len, at, len) ? 0 : out_of_memory(r);
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
    parley_http_reader *r = reader_of(p);
    if (count_header_bytes(r, len) != 0) {
        return -1;
    }
    r->in_value = true;
    return append(&r->value, &r->value_len, at, len) ? 0 : out_of_memory(r);
}

static int on_headers_complete(http_parser *p) {
    parley_http_reader *r = reader_of(p);
    parley_http_request *req = r->req;
    if (r->in_value) {
        store_header(r);
        r->in_value = false;
    }
    req->method = p->method;
    req->keep_alive = http_should_keep_alive(p) != 0;
    req->is_upgrade = p->upgrade != 0;
    if (req->url == NULL || req->url[0] != '/') {
        return reject(r, 400, "bad_request", "the request target must be an absolute path");
    }
    const char *q = strchr(req->url, '?');
    size_t path_len = q != NULL ? (size_t)(q - req->url) : strlen(req->url);
    req->path = parley_percent_decode(req->url, path_len, false);
    if (req->path == NULL) {
        return reject(r, 400, "bad_request", "the request path is malformed");
    }
    if (q != NULL && (req->query = strdup(q + 1)) == NULL) {
        return out_of_memory(r);
    }
    /* an upload may be larger than any JSON body: its own limit applies
     * (plus room for a multipart envelope); everything else keeps the
     * general one */
    r->body_limit = r->max_body_bytes;
    if (req->method == HTTP_POST && strcmp(req->path, PARLEY_HTTP_UPLOAD_PATH) == 0 &&
        r->max_upload_bytes + PARLEY_HTTP_UPLOAD_ENVELOPE > r->body_limit) {
        r->body_limit = r->max_upload_bytes + PARLEY_HTTP_UPLOAD_ENVELOPE;
    }
    if (p->content_length != ULLONG_MAX && p->content_length > (uint64_t)r->body_limit) {
        return reject(r, 413, "payload_too_large", "the request body is too large");
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
    parley_http_reader *r = reader_of(p);
    parley_http_request *req = r->req;
    if ((int64_t)(req->body_len + len) > r->body_limit) {
        return reject(r, 413, "payload_too_large", "the request body is too large");
    }
    return append(&req->body, &req->body_len, at, len) ? 0 : out_of_memory(r);
}

static int on_message_complete(http_parser *p) {
    /* stop here: the caller answers this request before the next one */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void parley_http_reader_init(parley_http_reader *r, int64_t max_header_bytes,
                             int64_t max_body_bytes) {
    memset(r, 0, sizeof *r);
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
    r->max_header_bytes = max_header_bytes;
    r->max_body_bytes = max_body_bytes;
}

void parley_http_reader_set_upload_limit(parley_http_reader *r, int64_t max_upload_bytes) {
    r->max_upload_bytes = max_upload_bytes;
}

void parley_http_reader_free(parley_http_reader *r) {
    parley_http_request_free(r->req);
    free(r->field);
    free(r->value);
    r->req = NULL;
    r->field = r->value = NULL;
}

parley_http_read_result parley_http_reader_execute(parley_http_reader *r, const char *data,
                                                   size_t len, size_t *consumed,
                                                   parley_http_request **request,
                                                   parley_http_response *error) {
    *request = NULL;
    *consumed = http_parser_execute(&r->parser, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (e == HPE_PAUSED) {
        http_parser_pause(&r->parser, 0);
        *request = r->req;
        r->req = NULL;
        r->started = false;
        /* the header scratch buffers are grown per request and released
         * when it is whole: an idle keep-alive connection, or a WebSocket
         * after its upgrade, holds none (issue 11) */
        free(r->field);
        free(r->value);
        r->field = r->value = NULL;
        r->field_len = r->value_len = 0;
        return PARLEY_HTTP_REQUEST_READY;
    }
    if (e == HPE_OK) {
        return PARLEY_HTTP_NEED_MORE;
    }
    if (r->reject_status != 0) {
        parley_http_response_error_code(error, r->reject_status, r->reject_code, r->reject_message);
    } else if (e == HPE_HEADER_OVERFLOW) {
        parley_http_response_error_code(error, 431, "headers_too_large",
                                        "the request headers are too large");
    } else {
        char message[160];
        snprintf(message, sizeof message, "malformed HTTP request: %s", http_errno_description(e));
        parley_http_response_error_code(error, 400, "bad_request", message);
    }
    error->close = true;
    return PARLEY_HTTP_BAD_REQUEST;
}
