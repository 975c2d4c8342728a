/*
 * response.c - one HTTP response read with http_parser (see response.h).
 * Loop thread only.
 */
#include "response.h"

#include <string.h>

static int pb_response_end_field(pb_response *r) {
    if (r->in_value) {
        r->in_value = false;
        if (r->field.len > 0 && r->on_header != NULL) {
            r->on_header(r->owner, r->field.data, r->value.data != NULL ? r->value.data : "");
        }
        pb_buf_reset(&r->field);
        pb_buf_reset(&r->value);
    }
    return 0;
}

static int pb_response_on_field(http_parser *p, const char *at, size_t len) {
    pb_response *r = p->data;
    pb_response_end_field(r);
    return pb_buf_append(&r->field, at, len) ? 0 : -1;
}

static int pb_response_on_value(http_parser *p, const char *at, size_t len) {
    pb_response *r = p->data;
    r->in_value = true;
    return pb_buf_append(&r->value, at, len) ? 0 : -1;
}

static int pb_response_on_headers_complete(http_parser *p) {
    return pb_response_end_field(p->data);
}

static int pb_response_on_message_complete(http_parser *p) {
    pb_response *r = p->data;
    r->complete = true;
    http_parser_pause(p, r->pause_at_end); /* 0 leaves it running */
    return 0;
}

static int pb_response_on_body(http_parser *p, const char *at, size_t len) {
    pb_response *r = p->data;
    if (r->body_max == 0) {
        return pb_buf_append(&r->body, at, len) ? 0 : -1;
    }
    if (r->body.len < r->body_max) {
        pb_buf_append(&r->body, at, len); /* a sample: best effort */
    }
    return 0;
}

static const http_parser_settings pb_response_settings = {
    .on_header_field = pb_response_on_field,
    .on_header_value = pb_response_on_value,
    .on_headers_complete = pb_response_on_headers_complete,
    .on_body = pb_response_on_body,
    .on_message_complete = pb_response_on_message_complete,
};

void pb_response_start(pb_response *r, pb_header_fn on_header, void *owner, size_t body_max,
                       bool pause_at_end) {
    http_parser_init(&r->parser, HTTP_RESPONSE);
    r->parser.data = r;
    pb_buf_reset(&r->field);
    pb_buf_reset(&r->value);
    pb_buf_reset(&r->body);
    r->in_value = false;
    r->body_max = body_max;
    r->pause_at_end = pause_at_end;
    r->complete = false;
    r->on_header = on_header;
    r->owner = owner;
}

size_t pb_response_feed(pb_response *r, const char *data, size_t len) {
    return http_parser_execute(&r->parser, &pb_response_settings, data, len);
}

enum http_errno pb_response_errno(const pb_response *r) {
    return HTTP_PARSER_ERRNO(&r->parser);
}

void pb_response_free(pb_response *r) {
    pb_buf_free(&r->field);
    pb_buf_free(&r->value);
    pb_buf_free(&r->body);
}
