#include "net/http/http_request.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void parley_http_request_free(parley_http_request *req) {
    if (req == NULL) {
        return;
    }
    free(req->url);
    free(req->path);
    free(req->query);
    free(req->authorization);
    free(req->content_type);
    free(req->upgrade);
    free(req->connection);
    free(req->origin);
    free(req->host);
    free(req->sec_websocket_key);
    free(req->sec_websocket_version);
    free(req->x_filename);
    free(req->content_disposition);
    free(req->forwarded);
    free(req->x_forwarded_for);
    free(req->x_request_id);
    free(req->if_none_match);
    free(req->if_modified_since);
    free(req->accept_language);
    free(req->body);
    free(req);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *parley_percent_decode(const char *src, size_t len, bool plus_is_space) {
    char *out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            int hi = hex_value(src[i + 1]);
            int lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

bool parley_http_query_param(const parley_http_request *req, const char *name, char *out,
                             size_t out_size, bool *too_long) {
    if (too_long != NULL) {
        *too_long = false;
    }
    if (req->query == NULL) {
        return false;
    }
    size_t name_len = strlen(name);
    const char *p = req->query;
    while (*p != '\0') {
        const char *end = strchr(p, '&');
        size_t part_len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', part_len);
        size_t key_len = eq != NULL ? (size_t)(eq - p) : part_len;
        if (key_len == name_len && strncmp(p, name, name_len) == 0) {
            const char *value = eq != NULL ? eq + 1 : p + part_len;
            size_t value_len = eq != NULL ? part_len - key_len - 1 : 0;
            char *decoded = parley_percent_decode(value, value_len, true);
            if (decoded == NULL) {
                if (too_long != NULL) {
                    *too_long = true; /* malformed counts as invalid */
                }
                return false;
            }
            bool fits = strlen(decoded) < out_size;
            if (fits) {
                memcpy(out, decoded, strlen(decoded) + 1);
            } else if (too_long != NULL) {
                *too_long = true;
            }
            free(decoded);
            return fits;
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return false;
}

const char *parley_http_bearer_token(const parley_http_request *req) {
    const char *h = req->authorization;
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        return NULL;
    }
    h += 7;
    while (*h == ' ') {
        h++;
    }
    return *h != '\0' ? h : NULL;
}

void parley_http_response_free(parley_http_response *res) {
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}

int parley_http_status_for(parley_status status) {
    switch (status) {
    case PARLEY_OK:
        return 200;
    case PARLEY_E_INVALID:
        return 400;
    case PARLEY_E_UNAUTHENTICATED:
        return 401;
    case PARLEY_E_FORBIDDEN:
        return 403;
    case PARLEY_E_NOT_FOUND:
        return 404;
    case PARLEY_E_CONFLICT:
        return 409;
    case PARLEY_E_TOO_LARGE:
        return 413;
    case PARLEY_E_REJECTED:
        return 422;
    case PARLEY_E_RATE_LIMITED:
        return 429;
    case PARLEY_E_UNAVAILABLE:
    case PARLEY_E_NOMEM:
    case PARLEY_E_STORAGE:
        return 503;
    case PARLEY_E_INTERNAL:
        return 500;
    case PARLEY_E_UNSUPPORTED_TYPE:
        return 415;
    }
    return 500;
}

const char *parley_http_reason(int status) {
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* The body and status of an error answer, plus Retry-After when
 * retry_after > 0 (appended to any headers already there). */
static void fill_error(parley_http_response *res, int status, const char *code, const char *message,
                       int retry_after) {
    free(res->body);
    res->status = status;
    res->content_type = "application/json";
    json_t *obj = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
    res->body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (res->body == NULL) {
        res->body = strdup("{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}");
        res->status = 503;
        retry_after = parley_http_status_retry_after(503);
    }
    res->body_len = res->body != NULL ? strlen(res->body) : 0;
    if (retry_after > 0) {
        size_t used = strlen(res->extra_headers);
        snprintf(res->extra_headers + used, sizeof res->extra_headers - used, "Retry-After: %d\r\n",
                 retry_after);
    }
}

void parley_http_response_error_code(parley_http_response *res, int status, const char *code,
                                     const char *message) {
    fill_error(res, status, code, message, parley_http_status_retry_after(status));
}

void parley_http_response_error(parley_http_response *res, const parley_error *err) {
    parley_public_error pub;
    parley_error_public(err, &pub);
    fill_error(res, parley_http_status_for(err->status), pub.code, pub.message,
               pub.retry_after_seconds);
}

bool parley_http_response_serialize(const parley_http_response *res, bool keep_alive, char **out,
                                    size_t *out_len) {
    char head[3072];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s%s"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Cache-Control: %s\r\n"
                     "Connection: %s\r\n"
                     "%s\r\n",
                     res->status, parley_http_reason(res->status), res->body_len,
                     res->content_type != NULL ? "Content-Type: " : "",
                     res->content_type != NULL ? res->content_type : "",
                     res->content_type != NULL ? "\r\n" : "",
                     res->cache_control != NULL ? res->cache_control : "no-store",
                     keep_alive && !res->close ? "keep-alive" : "close", res->extra_headers);
    if (n < 0 || (size_t)n >= sizeof head) {
        return false;
    }
    size_t body_len = res->omit_body ? 0 : res->body_len;
    char *buf = malloc((size_t)n + body_len);
    if (buf == NULL) {
        return false;
    }
    memcpy(buf, head, (size_t)n);
    if (body_len > 0) {
        memcpy(buf + n, res->body, body_len);
    }
    *out = buf;
    *out_len = (size_t)n + body_len;
    return true;
}
