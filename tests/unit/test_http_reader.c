/* The HTTP request reader: pipelining, chunked bodies, byte-at-a-time
 * input, and every limit answered with the right status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "net/http/http_reader.h"

typedef struct outcome {
    parley_http_request *requests[8];
    int count;
    int error_status;
    char error_body[256];
} outcome;

/* Feeds input in chunks of `chunk` bytes the way a connection does. */
static void feed(parley_http_reader *r, const char *input, size_t chunk, outcome *out) {
    memset(out, 0, sizeof *out);
    char buffer[65536];
    size_t have = 0;
    size_t offset = 0;
    size_t total = strlen(input);
    while (offset < total || have > 0) {
        size_t n = total - offset < chunk ? total - offset : chunk;
        memcpy(buffer + have, input + offset, n);
        have += n;
        offset += n;
        for (;;) {
            size_t consumed = 0;
            parley_http_request *req = NULL;
            parley_http_response err = {0};
            parley_http_read_result result =
                parley_http_reader_execute(r, buffer, have, &consumed, &req, &err);
            assert_true(consumed <= have);
            memmove(buffer, buffer + consumed, have - consumed);
            have -= consumed;
            if (result == PARLEY_HTTP_BAD_REQUEST) {
                out->error_status = err.status;
                strncpy(out->error_body, err.body, sizeof out->error_body - 1);
                assert_true(err.close);
                parley_http_response_free(&err);
                return;
            }
            if (result == PARLEY_HTTP_NEED_MORE) {
                break;
            }
            out->requests[out->count++] = req;
            if (have == 0) {
                break;
            }
        }
        if (offset == total && have > 0 && n == 0) {
            break;
        }
    }
}

static void release(outcome *out) {
    for (int i = 0; i < out->count; i++) {
        parley_http_request_free(out->requests[i]);
    }
}

/* input fed in chunks of `chunk` bytes to a fresh reader with these limits */
static outcome read_all(const char *input, size_t chunk, size_t max_header, size_t max_body) {
    parley_http_reader r;
    parley_http_reader_init(&r, max_header, max_body);
    outcome out;
    feed(&r, input, chunk, &out);
    parley_http_reader_free(&r);
    return out;
}

/* prefix, n copies of c, then suffix, into out */
static void padded(char *out, const char *prefix, char c, size_t n, const char *suffix) {
    size_t used = strlen(prefix);
    memcpy(out, prefix, used);
    memset(out + used, c, n);
    strcpy(out + used + n, suffix);
}

static void test_pipelined_requests_come_out_in_order(void **state) {
    (void)state;
    const char *input = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                        "POST /api/v1/customers?x=1 HTTP/1.1\r\nContent-Length: 13\r\n"
                        "Authorization: Bearer abc\r\nContent-Type: application/json\r\n\r\n"
                        "{\"name\":\"Al\"}"
                        "GET /api/v1/me HTTP/1.1\r\nConnection: close\r\n\r\n";
    size_t chunks[] = {1, 7, 64, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        outcome out = read_all(input, chunks[i], 4096, 1024);
        assert_int_equal(out.count, 3);
        assert_int_equal(out.error_status, 0);
        assert_string_equal(out.requests[0]->path, "/healthz");
        assert_true(out.requests[0]->keep_alive);
        assert_int_equal(out.requests[1]->method, HTTP_POST);
        assert_string_equal(out.requests[1]->path, "/api/v1/customers");
        assert_string_equal(out.requests[1]->query, "x=1");
        assert_int_equal(out.requests[1]->body_len, 13);
        assert_memory_equal(out.requests[1]->body, "{\"name\":\"Al\"}", 13);
        assert_string_equal(parley_http_bearer_token(out.requests[1]), "abc");
        assert_false(out.requests[2]->keep_alive);
        release(&out);
    }
}

static void test_chunked_body_is_reassembled(void **state) {
    (void)state;
    outcome out =
        read_all("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
                 "world\r\n0\r\n\r\n",
                 3, 4096, 1024);
    assert_int_equal(out.count, 1);
    assert_int_equal(out.requests[0]->body_len, 11);
    assert_memory_equal(out.requests[0]->body, "hello world", 11);
    release(&out);
}

static void test_limits_have_their_status(void **state) {
    (void)state;
    struct {
        const char *input;
        int status;
        const char *code;
    } cases[] = {
        {"POST /x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413, "payload_too_large"},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", 0, NULL},
        {"GARBAGE\r\n\r\n", 400, "bad_request"},
        {"GET http://evil/ HTTP/1.1\r\n\r\n", 400, "bad_request"},
        {"GET /a%zz HTTP/1.1\r\n\r\n", 400, "bad_request"},
        {"GET /a%00b HTTP/1.1\r\n\r\n", 400, "bad_request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        outcome out = read_all(cases[i].input, 5, 1024, 1024);
        assert_int_equal(out.error_status, cases[i].status);
        if (cases[i].code != NULL) {
            assert_non_null(strstr(out.error_body, cases[i].code));
        }
        release(&out);
    }
    /* a chunked body that grows past the limit */
    char big[4096];
    padded(big, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n", 'a', 1024,
           "\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
    outcome out = read_all(big, 100, 1024, 1024);
    assert_int_equal(out.error_status, 413);
    release(&out);
}

static void test_header_limit_is_431(void **state) {
    (void)state;
    char input[4096];
    padded(input, "GET / HTTP/1.1\r\nX-Padding: ", 'p', 2000, "\r\n\r\n");
    outcome out = read_all(input, 64, 1024, 1024);
    assert_int_equal(out.error_status, 431);
    assert_non_null(strstr(out.error_body, "headers_too_large"));
    release(&out);
}

static void test_upgrade_leaves_the_rest(void **state) {
    (void)state;
    const char *input = "GET /api/v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n\x81\x85";
    parley_http_reader r;
    parley_http_reader_init(&r, 4096, 1024);
    size_t consumed = 0;
    parley_http_request *req = NULL;
    parley_http_response err = {0};
    assert_int_equal(parley_http_reader_execute(&r, input, strlen(input), &consumed, &req, &err),
                     PARLEY_HTTP_REQUEST_READY);
    assert_true(req->is_upgrade);
    assert_string_equal(req->sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_int_equal(strlen(input) - consumed, 2); /* the frame bytes stay for the WebSocket */
    parley_http_request_free(req);
    parley_http_reader_free(&r);
}

static void test_query_params_are_decoded(void **state) {
    (void)state;
    parley_http_request req = {0};
    req.query = strdup("status=waiting&token=a%2Bb&limit=&x=1+2");
    char out[16];
    bool bad = false;
    assert_true(parley_http_query_param(&req, "token", out, sizeof out, &bad));
    assert_string_equal(out, "a+b");
    assert_true(parley_http_query_param(&req, "x", out, sizeof out, &bad));
    assert_string_equal(out, "1 2");
    assert_true(parley_http_query_param(&req, "limit", out, sizeof out, &bad));
    assert_string_equal(out, "");
    assert_false(parley_http_query_param(&req, "missing", out, sizeof out, &bad));
    assert_false(bad);
    assert_false(parley_http_query_param(&req, "status", out, 4, &bad));
    assert_true(bad); /* too long for the buffer is reported, not truncated */
    free(req.query);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_requests_come_out_in_order),
        cmocka_unit_test(test_chunked_body_is_reassembled),
        cmocka_unit_test(test_limits_have_their_status),
        cmocka_unit_test(test_header_limit_is_431),
        cmocka_unit_test(test_upgrade_leaves_the_rest),
        cmocka_unit_test(test_query_params_are_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
