/* The support desk's pure logic: report figures (core/reports.c), CSV
 * rendering with formula escaping (util/csv.c), time parsing
 * (util/time_parse.c) and the auto-close notice (core/lifecycle.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/csv.h"
#include "core/lifecycle.h"
#include "core/reports.h"
#include "util/time_parse.h"

static void test_stats_nearest_rank(void **state) {
    (void)state;
    parley_duration_stats st;
    parley_duration_stats_compute(NULL, 0, &st);
    assert_int_equal(st.count, 0);
    const int64_t one[] = {7};
    parley_duration_stats_compute(one, 1, &st);
    assert_int_equal(st.avg_ms, 7);
    assert_int_equal(st.median_ms, 7);
    assert_int_equal(st.p90_ms, 7);
    /* n = 4: median = rank 2, p90 = rank ceil(3.6) = 4; avg 2.5 rounds up */
    const int64_t four[] = {1, 2, 3, 4};
    parley_duration_stats_compute(four, 4, &st);
    assert_int_equal(st.avg_ms, 3);
    assert_int_equal(st.median_ms, 2);
    assert_int_equal(st.p90_ms, 4);
    /* n = 10: p90 = rank 9 */
    const int64_t ten[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 1000};
    parley_duration_stats_compute(ten, 10, &st);
    assert_int_equal(st.median_ms, 50);
    assert_int_equal(st.p90_ms, 90);
    assert_int_equal(st.avg_ms, 145);
}

static void test_round_div(void **state) {
    (void)state;
    assert_int_equal(parley_round_div(5, 2), 3);
    assert_int_equal(parley_round_div(4, 3), 1);
    assert_int_equal(parley_round_div(5, 3), 2);
    assert_int_equal(parley_round_div(0, 0), 0);
}

static void test_csv_quoting_and_injection(void **state) {
    (void)state;
    const char *const cols[] = {"name", "n", "avg", "none"};
    json_t *rows = json_pack("[{s:s, s:i, s:f, s:n}, {s:s, s:i}, {s:s}, {s:s}, {s:s}]", "name",
                             "plain", "n", 3, "avg", 4.5, "none", "name", "a,\"b\"\nc", "n", -2,
                             "name", "=1+2", "name", "-3,x", "name", "@SUM(A1)");
    char *csv = parley_csv_render(cols, 4, rows);
    assert_non_null(csv);
    assert_string_equal(csv, "name,n,avg,none\r\n"
                             "plain,3,4.50,\r\n"
                             "\"a,\"\"b\"\"\nc\",-2,,\r\n"
                             "'=1+2,,,\r\n"
                             "\"'-3,x\",,,\r\n"
                             "'@SUM(A1),,,\r\n");
    free(csv);
    json_decref(rows);
}

static void test_time_parse(void **state) {
    (void)state;
    parley_time_ms t = -1;
    assert_true(parley_time_parse("1970-01-01T00:00:00Z", false, &t));
    assert_int_equal(t, 0);
    assert_true(parley_time_parse("2026-11-24T05:49:19.123Z", false, &t));
    assert_int_equal(t, 1795499359123LL);
    assert_true(parley_time_parse("2026-11-24T07:49:19.1+02:00", false, &t));
    assert_int_equal(t, 1795499359100LL);
    assert_true(parley_time_parse("2026-11-24", false, &t));
    assert_int_equal(t, 1795478400000LL);
    assert_true(parley_time_parse("2026-11-24", true, &t));
    assert_int_equal(t, 1795478400000LL + 86400000);
    assert_true(parley_time_parse("2024-02-29", false, &t));
    assert_true(parley_time_parse("1795499359123", false, &t));
    assert_int_equal(t, 1795499359123LL);
    const char *bad[] = {"",
                         "yesterday",
                         "2026-13-01",
                         "2025-02-29",
                         "2026-1-01",
                         "2026-01-01T",
                         "2026-01-01T10:00:00",
                         "2026-01-01T25:00:00Z",
                         "12a",
                         "-5",
                         "2026-01-01T10:00:00.Z",
                         "2026-01-01Z",
                         "1234567890123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 42;
        assert_false(parley_time_parse(bad[i], false, &t));
        assert_int_equal(t, 42);
    }
}

static void test_lifecycle_notice(void **state) {
    (void)state;
    char out[128];
    parley_lifecycle_notice(1, out, sizeof out);
    assert_string_equal(out, "This conversation was closed after 1 second without activity.");
    parley_lifecycle_notice(120, out, sizeof out);
    assert_string_equal(out, "This conversation was closed after 2 minutes without activity.");
    parley_lifecycle_notice(60, out, sizeof out);
    assert_string_equal(out, "This conversation was closed after 1 minute without activity.");
    parley_lifecycle_notice(90, out, sizeof out);
    assert_string_equal(out, "This conversation was closed after 90 seconds without activity.");
}

static void test_report_kinds(void **state) {
    (void)state;
    parley_report_kind k;
    assert_true(parley_report_kind_from_name("first-response", &k));
    assert_int_equal(k, PARLEY_REPORT_KIND_FIRST_RESPONSE);
    assert_true(parley_report_kind_from_name("csat", &k));
    assert_string_equal(parley_report_kind_name(k), "csat");
    assert_false(parley_report_kind_from_name("nope", &k));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_nearest_rank),        cmocka_unit_test(test_round_div),
        cmocka_unit_test(test_csv_quoting_and_injection), cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_lifecycle_notice),          cmocka_unit_test(test_report_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
