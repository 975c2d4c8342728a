/* Shared pieces of the REST handlers: replies and query parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time_parse.h"
#include "net/api/api.h"

void parley_api_reply_json(parley_api_call *call, int status, json_t *body) {
    parley_http_response_free(&call->res);
    call->res.status = status;
    call->res.content_type = "application/json";
    call->res.body = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (call->res.body == NULL) {
        parley_error err;
        parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
        parley_api_reply_error(call, &err);
        return;
    }
    call->res.body_len = strlen(call->res.body);
    call->job.status = PARLEY_OK;
}

void parley_api_reply_error(parley_api_call *call, const parley_error *err) {
    parley_http_response_error(&call->res, err);
    /* a failure whose writes must stay (a refused message kept for review)
     * commits its unit; every other failure rolls it back */
    call->job.status = err->keep_writes           ? PARLEY_OK
                       : err->status != PARLEY_OK ? err->status
                                                  : PARLEY_E_INTERNAL;
}

bool parley_api_invalid(parley_api_call *call, const char *fmt, ...) {
    parley_error err;
    va_list ap;
    va_start(ap, fmt);
    parley_error_vset(&err, PARLEY_E_INVALID, "validation_failed", fmt, ap);
    va_end(ap);
    parley_api_reply_error(call, &err);
    return false;
}

void parley_api_reply(parley_api_call *call, parley_status st, int status, json_t *body,
                      const parley_error *err) {
    if (st != PARLEY_OK) {
        json_decref(body);
        parley_api_reply_error(call, err);
    } else {
        parley_api_reply_json(call, status, body);
    }
}

void parley_api_reply_empty(parley_api_call *call, parley_status st, const parley_error *err) {
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, err);
        return;
    }
    call->res.status = 204;
    call->job.status = PARLEY_OK;
}

void parley_api_reply_bytes(parley_api_call *call, char *body, size_t len,
                            const char *content_type) {
    parley_http_response_free(&call->res);
    call->res.status = 200;
    call->res.body = body;
    call->res.body_len = len;
    call->res.content_type = content_type;
    call->job.status = PARLEY_OK;
}

void parley_api_reply_page(parley_api_call *call, parley_status st, const char *key, json_t *items,
                           const char *next, const parley_error *err) {
    json_t *page = NULL;
    if (st == PARLEY_OK) {
        page = json_pack("{s:o, s:o}", key, items, "next_cursor",
                         next[0] != '\0' ? json_string(next) : json_null());
    } else {
        json_decref(items);
    }
    parley_api_reply(call, st, 200, page, err);
}

parley_status parley_api_body(parley_api_call *call, json_t **root, const parley_json_field *fields,
                              size_t count, bool change, void *out, parley_error *err) {
    return parley_json_decode(call->req->body, call->req->body_len, root, fields, count, change,
                              out, err);
}

parley_status parley_api_body_text(parley_api_call *call, json_t **root, const char *name,
                                   const char **out, parley_error *err) {
    const parley_json_field field = {name, true, 0, PARLEY_JSON_STRING};
    return parley_api_body(call, root, &field, 1, false, out, err);
}

/* The raw ?name= value into text: 1 when present, 0 when absent, -1 when
 * malformed or too long for text. */
static int query_value(parley_api_call *call, const char *name, char *text, size_t size) {
    bool malformed = false;
    if (parley_http_query_param(call->req, name, text, size, &malformed)) {
        return 1;
    }
    return malformed ? -1 : 0;
}

/* A whole decimal integer, no sign but '-'. */
static bool whole_number(const char *text, long long *v) {
    errno = 0;
    char *end = NULL;
    *v = strtoll(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '+' && text[0] != ' ';
}

bool parley_api_query_int(parley_api_call *call, const char *name, int64_t min, int64_t max,
                          int64_t *out, bool *present) {
    char text[32];
    long long v = 0;
    *present = false;
    int got = query_value(call, name, text, sizeof text);
    if (got == 0) {
        return true;
    }
    if (got > 0 && whole_number(text, &v) && v >= min) {
        *out = v > max ? max : v; /* over the maximum: clamp */
        *present = true;
        return true;
    }
    return parley_api_invalid(call, "%s: must be an integer of at least %lld", name,
                              (long long)min);
}

/* Reads ?limit= (default 50, clamped to 200) and ?cursor=. */
bool parley_api_read_paging(parley_api_call *call, int *limit, char *cursor, size_t cursor_size) {
    int64_t value = PARLEY_API_DEFAULT_LIMIT;
    bool present = false;
    if (!parley_api_query_int(call, "limit", 1, PARLEY_API_MAX_LIMIT, &value, &present)) {
        return false;
    }
    *limit = (int)value;
    bool too_long = false;
    if (!parley_http_query_param(call->req, "cursor", cursor, cursor_size, &too_long)) {
        cursor[0] = '\0';
        if (too_long) {
            return parley_api_invalid(call, "cursor: malformed");
        }
    }
    return true;
}

bool parley_api_read_page(parley_api_call *call, parley_api_page *page) {
    page->next[0] = '\0';
    return parley_api_read_paging(call, &page->limit, page->cursor, sizeof page->cursor);
}

bool parley_api_query_time(parley_api_call *call, const char *name, bool end_of_day,
                           parley_time_ms *out, bool *present) {
    char text[64];
    int got = query_value(call, name, text, sizeof text);
    *present = got > 0 && parley_time_parse(text, end_of_day, out);
    return got == 0 || *present ||
           parley_api_invalid(
               call, "%s: must be an RFC 3339 time, a date (YYYY-MM-DD) or epoch milliseconds",
               name);
}

bool parley_api_query_id(parley_api_call *call, const char *name, char out[PARLEY_ID_SIZE]) {
    bool too_long = false;
    if (parley_http_query_param(call->req, name, out, PARLEY_ID_SIZE, &too_long)) {
        return true;
    }
    out[0] = '\0';
    if (!too_long) {
        return true;
    }
    return parley_api_invalid(call, "%s: not an id", name);
}
