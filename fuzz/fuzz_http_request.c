/*
 * fuzz_http_request.c - the HTTP/1.1 request reader (net/http/http_reader.c) fed
 * the way a connection feeds it (net/loop/conn.c, process_input): bytes arrive in
 * chunks and are appended to an input buffer; the reader is run on the whole
 * buffer, the consumed bytes are dropped and the rest kept, and this repeats
 * while requests come out; a bad request ends the connection.
 *
 * Input layout: byte 0 seeds the chunk sizes (0 = everything in one chunk),
 * the rest is the byte stream of one connection.
 *
 * Invariants checked (trap on violation):
 *  - consumed never exceeds the bytes handed to the reader;
 *  - NEED_MORE consumes everything (http_reader.h: "all input consumed");
 *  - a ready request made progress, has a URL, a path starting with '/',
 *    a body of at most max_body_bytes that is NUL-terminated, and a query
 *    exactly when the URL has a '?';
 *  - a bad request answers 400, 413, 431 or 503 with a JSON body of the
 *    shape {"error":{"code":"...","message":"..."}} and closes.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/http/http_reader.h"
#include "net/http/http_request.h"

#define MAX_HEADER_BYTES 4096
#define MAX_BODY_BYTES 8192

static bool contains(const char *hay, size_t hay_len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void check_error_response(const parley_http_response *error) {
    CHECK(error->status == 400 || error->status == 413 || error->status == 431 ||
          error->status == 503);
    CHECK(error->close);
    CHECK(error->body != NULL && error->body_len == strlen(error->body));
    json_error_t json_err;
    json_t *body = json_loadb(error->body, error->body_len, 0, &json_err);
    CHECK(json_is_object(body));
    json_t *inner = json_object_get(body, "error");
    CHECK(json_is_object(inner));
    CHECK(json_is_string(json_object_get(inner, "code")));
    CHECK(json_is_string(json_object_get(inner, "message")));
    json_decref(body);

    char *wire = NULL;
    size_t wire_len = 0;
    CHECK(parley_http_response_serialize(error, true, &wire, &wire_len));
    CHECK(wire_len > 12 && memcmp(wire, "HTTP/1.1 ", 9) == 0);
    /* close wins over keep-alive */
    CHECK(contains(wire, wire_len, "\r\nConnection: close\r\n"));
    free(wire);
}

/* What the router does with a request before handling it: look at the
 * bearer token and a few query parameters. */
static void check_request(const parley_http_request *req) {
    CHECK(req->url != NULL);
    CHECK(req->path != NULL && req->path[0] == '/');
    CHECK(strlen(req->path) <= strlen(req->url));
    CHECK((strchr(req->url, '?') != NULL) == (req->query != NULL));
    CHECK(req->body_len <= MAX_BODY_BYTES);
    CHECK(req->body_len == 0 || (req->body != NULL && req->body[req->body_len] == '\0'));

    const char *token = parley_http_bearer_token(req);
    CHECK(token == NULL || (token[0] != '\0' && token[0] != ' '));

    static const char *const names[] = {"token", "after_seq", "limit", "status", "before_seq"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char out[64];
        bool too_long = false;
        memset(out, 0x5A, sizeof out);
        if (parley_http_query_param(req, names[i], out, sizeof out, &too_long)) {
            CHECK(memchr(out, '\0', sizeof out) != NULL);
            CHECK(!too_long);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[0] * 0x01000193u);
    bool one_chunk = data[0] == 0;
    const char *stream = (const char *)data + 1;
    size_t stream_len = size - 1;

    parley_http_reader reader;
    parley_http_reader_init(&reader, MAX_HEADER_BYTES, MAX_BODY_BYTES);

    /* the connection's input buffer */
    char *in = malloc(stream_len + 1);
    if (in == NULL) {
        parley_http_reader_free(&reader);
        return 0;
    }
    size_t in_len = 0;
    size_t offset = 0;
    bool closed = false;

    while (!closed && offset < stream_len) {
        size_t chunk = stream_len - offset;
        if (!one_chunk) {
            chunk = fuzz_chunk(&rng, chunk, 24, 4096);
        }
        memcpy(in + in_len, stream + offset, chunk);
        in_len += chunk;
        offset += chunk;

        /* process_input: loop while requests come out */
        while (in_len > 0) {
            size_t consumed = (size_t)-1;
            parley_http_request *req = NULL;
            parley_http_response error = {0};
            parley_http_read_result result =
                parley_http_reader_execute(&reader, in, in_len, &consumed, &req, &error);
            CHECK(consumed <= in_len);
            if (result == PARLEY_HTTP_BAD_REQUEST) {
                CHECK(req == NULL);
                check_error_response(&error);
                parley_http_response_free(&error);
                closed = true;
                break;
            }
            CHECK(error.body == NULL && error.status == 0);
            memmove(in, in + consumed, in_len - consumed);
            in_len -= consumed;
            if (result == PARLEY_HTTP_NEED_MORE) {
                CHECK(req == NULL);
                CHECK(in_len == 0);
                break;
            }
            CHECK(result == PARLEY_HTTP_REQUEST_READY);
            CHECK(req != NULL);
            CHECK(consumed > 0);
            check_request(req);
            parley_http_request_free(req);
        }
    }

    free(in);
    parley_http_reader_free(&reader);
    return 0;
}
