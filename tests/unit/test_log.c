/* core/log.c (line formats, escaping, levels, one write per line) and
 * net/http_cache.c (X-Request-Id, HTTP dates, If-None-Match). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"
#include "net/http_cache.h"

static char *line(parley_log_format format, const char *msg, const parley_log_field *fields,
                  size_t count) {
    size_t len = 0;
    char *text = parley_log_format_line(format, PARLEY_LOG_INFO, "2024-05-01T12:00:00.123Z", msg,
                                        fields, count, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_int_equal(text[len - 1], '\n');
    assert_null(memchr(text, '\n', len - 1)); /* one line, whatever the values */
    return text;
}

static void test_logfmt_bare_and_quoted_values(void **state) {
    (void)state;
    parley_log_field f[] = {
        PARLEY_LOG_STR("path", "/api/v1/me"), PARLEY_LOG_STR("spaced", "a b"),
        PARLEY_LOG_STR("eq", "k=v"),          PARLEY_LOG_STR("quote", "say \"hi\"\\"),
        PARLEY_LOG_STR("empty", ""),          PARLEY_LOG_STR("absent", NULL),
        PARLEY_LOG_INT("status", 201),        PARLEY_LOG_MS("duration_ms", 1.23456),
    };
    char *text = line(PARLEY_LOG_LOGFMT, "request", f, sizeof f / sizeof f[0]);
    assert_string_equal(text, "ts=2024-05-01T12:00:00.123Z level=info msg=request path=/api/v1/me "
                              "spaced=\"a b\" eq=\"k=v\" quote=\"say \\\"hi\\\"\\\\\" empty=\"\" "
                              "status=201 duration_ms=1.235\n");
    free(text);
}

static void test_control_bytes_and_bad_utf8_are_escaped(void **state) {
    (void)state;
    /* a line break, a tab, an ESC, a valid "é", a lone continuation byte
     * and a truncated sequence */
    parley_log_field f[] = {PARLEY_LOG_STR("v", "a\nb\tc\x1b[0m \xc3\xa9 \x80 \xe2\x82")};
    char *text = line(PARLEY_LOG_LOGFMT, "m", f, 1);
    assert_non_null(strstr(text, "v=\"a\\nb\\tc\\u001b[0m \xc3\xa9 \\ufffd \\ufffd\\ufffd\"\n"));
    free(text);
    text = line(PARLEY_LOG_JSON, "m", f, 1);
    json_error_t error;
    json_t *obj = json_loads(text, 0, &error);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "v")),
                        "a\nb\tc\x1b[0m \xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(obj);
    free(text);
}

static void test_json_line_is_an_object_with_typed_fields(void **state) {
    (void)state;
    parley_log_field f[] = {
        PARLEY_LOG_STR("method", "GET"),
        PARLEY_LOG_INT("status", 304),
        PARLEY_LOG_MS("duration_ms", 0.5),
        PARLEY_LOG_STR("role", NULL),
    };
    char *text = line(PARLEY_LOG_JSON, "say \"x\"", f, sizeof f / sizeof f[0]);
    json_error_t error;
    json_t *obj = json_loads(text, 0, &error);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "ts")), "2024-05-01T12:00:00.123Z");
    assert_string_equal(json_string_value(json_object_get(obj, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(obj, "msg")), "say \"x\"");
    assert_int_equal(json_integer_value(json_object_get(obj, "status")), 304);
    assert_true(json_real_value(json_object_get(obj, "duration_ms")) == 0.5);
    assert_null(json_object_get(obj, "role"));
    json_decref(obj);
    free(text);
}

static void test_levels_and_formats_parse(void **state) {
    (void)state;
    parley_log_level level;
    parley_log_format format;
    assert_true(parley_log_parse_level("warn", &level));
    assert_int_equal(level, PARLEY_LOG_WARN);
    assert_true(parley_log_parse_level("debug", &level));
    assert_int_equal(level, PARLEY_LOG_DEBUG);
    assert_false(parley_log_parse_level("WARN", &level));
    assert_false(parley_log_parse_level("verbose", &level));
    assert_true(parley_log_parse_format("json", &format));
    assert_int_equal(format, PARLEY_LOG_JSON);
    assert_false(parley_log_parse_format("text", &format));
}

/* Lines go to the configured descriptor, filtered by level. */
static void test_level_filters_what_is_written(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    parley_log_configure(PARLEY_LOG_WARN, PARLEY_LOG_LOGFMT, fds[1]);
    assert_false(parley_log_enabled(PARLEY_LOG_INFO));
    assert_true(parley_log_enabled(PARLEY_LOG_ERROR));
    parley_log_info("not written");
    parley_log_warn("written %d", 42);
    parley_log_debug("not written either");
    parley_log_configure(PARLEY_LOG_INFO, PARLEY_LOG_LOGFMT, 2);
    close(fds[1]);
    char buf[512] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    assert_true(n > 0);
    assert_non_null(strstr(buf, " level=warn msg=\"written 42\"\n"));
    assert_null(strstr(buf, "not written"));
    assert_int_equal(strchr(buf, '\n') - buf + 1, n); /* exactly one line */
}

static void test_timestamp_is_rfc3339_utc_millis(void **state) {
    (void)state;
    char ts[32];
    parley_log_timestamp(ts);
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[4], '-');
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
}

static void test_request_id_validation(void **state) {
    (void)state;
    assert_true(parley_request_id_valid("abc-123"));
    assert_true(parley_request_id_valid("3f2a9c1e-7b4d-4c1a-9e55-0f6b7a2d8c10"));
    assert_true(parley_request_id_valid("a.b_c:d/e+f=g@h~i"));
    char longest[PARLEY_REQUEST_ID_MAX + 2];
    memset(longest, 'x', sizeof longest);
    longest[PARLEY_REQUEST_ID_MAX] = '\0';
    assert_true(parley_request_id_valid(longest));
    longest[PARLEY_REQUEST_ID_MAX] = 'x';
    longest[PARLEY_REQUEST_ID_MAX + 1] = '\0';
    assert_false(parley_request_id_valid(longest)); /* 129 bytes */
    assert_false(parley_request_id_valid(""));
    assert_false(parley_request_id_valid(NULL));
    assert_false(parley_request_id_valid("has space"));
    assert_false(parley_request_id_valid("quote\""));
    assert_false(parley_request_id_valid("line\r\nX-Injected: 1"));
    assert_false(parley_request_id_valid("caf\xc3\xa9"));
    char fresh[PARLEY_REQUEST_ID_MAX + 1];
    char other[PARLEY_REQUEST_ID_MAX + 1];
    parley_request_id_new(fresh);
    parley_request_id_new(other);
    assert_int_equal(strlen(fresh), 32);
    assert_true(parley_request_id_valid(fresh));
    assert_string_not_equal(fresh, other);
}

static void test_http_dates_round_trip_in_three_forms(void **state) {
    (void)state;
    time_t t = 0;
    assert_true(parley_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    assert_true(parley_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    assert_true(parley_http_date_parse("Sun Nov  6 08:49:37 1994", &t));
    assert_int_equal(t, 784111777);
    char text[32];
    parley_http_date_format(784111777, text);
    assert_string_equal(text, "Sun, 06 Nov 1994 08:49:37 GMT");
    parley_http_date_format(1709251199, text); /* a leap year's Feb 29 */
    assert_string_equal(text, "Thu, 29 Feb 2024 23:59:59 GMT");
    assert_true(parley_http_date_parse(text, &t));
    assert_int_equal(t, 1709251199);
    assert_false(parley_http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t));
    assert_false(parley_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT ", &t));
    assert_false(parley_http_date_parse("Sun, 6 Nov 1994 08:49:37 GMT", &t));
    assert_false(parley_http_date_parse("Sun, 06 Nov 1994 25:49:37 GMT", &t));
    assert_false(parley_http_date_parse("yesterday", &t));
    assert_false(parley_http_date_parse("", &t));
}

static void test_if_none_match_lists(void **state) {
    (void)state;
    const char *etag = "\"1f40-65f0c1d2.0\"";
    assert_true(parley_http_etag_list_matches("\"1f40-65f0c1d2.0\"", etag));
    assert_true(parley_http_etag_list_matches("W/\"1f40-65f0c1d2.0\"", etag)); /* weak compare */
    assert_true(parley_http_etag_list_matches("\"a\", \"1f40-65f0c1d2.0\"", etag));
    assert_true(parley_http_etag_list_matches(" * ", etag));
    assert_false(parley_http_etag_list_matches("\"a\", \"b\"", etag));
    assert_false(parley_http_etag_list_matches("\"1f40-65f0c1d2.0", etag)); /* unterminated */
    assert_false(parley_http_etag_list_matches("1f40-65f0c1d2.0", etag));   /* unquoted */
    assert_false(parley_http_etag_list_matches("\"1f40-65f0c1d2.0\" junk", etag));
    assert_false(parley_http_etag_list_matches("", etag));
    assert_false(parley_http_etag_list_matches("*, \"a\"", etag));
    /* If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2) */
    assert_false(parley_http_not_modified("\"other\"", "Sun, 06 Nov 2094 08:49:37 GMT", etag, 10));
    assert_true(parley_http_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", etag, 784111777));
    assert_false(parley_http_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", etag, 784111778));
    assert_false(parley_http_not_modified(NULL, "garbage", etag, 0));
    assert_false(parley_http_not_modified(NULL, NULL, etag, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfmt_bare_and_quoted_values),
        cmocka_unit_test(test_control_bytes_and_bad_utf8_are_escaped),
        cmocka_unit_test(test_json_line_is_an_object_with_typed_fields),
        cmocka_unit_test(test_levels_and_formats_parse),
        cmocka_unit_test(test_level_filters_what_is_written),
        cmocka_unit_test(test_timestamp_is_rfc3339_utc_millis),
        cmocka_unit_test(test_request_id_validation),
        cmocka_unit_test(test_http_dates_round_trip_in_three_forms),
        cmocka_unit_test(test_if_none_match_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
