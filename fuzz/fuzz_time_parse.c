/*
 * fuzz_time_parse.c - the time filters of query strings
 * (util/time_parse.h: RFC 3339 timestamps, plain dates, epoch
 * milliseconds).
 *
 * The input, cut at the first NUL, is parsed with end_of_day false and
 * true. Checks:
 *  - both calls accept or refuse alike; a refusal leaves *out untouched;
 *  - epoch milliseconds (no '-'): accepted exactly when the text is 1..15
 *    ASCII digits, and the value is that number;
 *  - a plain date "YYYY-MM-DD": a whole number of days, and end_of_day
 *    adds exactly one day; the date printed back from the value (a civil
 *    calendar written here from the Gregorian rules, not the library's)
 *    is the text, so invalid days (Feb 30, Feb 29 of a non-leap year)
 *    cannot have been accepted;
 *  - a timestamp: end_of_day changes nothing; printing the value back as
 *    "YYYY-MM-DDTHH:MM:SS.mmmZ" and parsing that gives the same value
 *    (except for a leap second, :60, which folds into the next minute);
 *  - parley_days_from_civil agrees with counting days year by year.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time_parse.h"
#include "fuzz_checks.h"

static bool leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_len(int64_t y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/* Reference civil date of a day count, by walking years and months (the
 * parser only accepts years 0000-9999, so at most ~10000 steps). */
static void ref_civil(int64_t days, int64_t *y, int *m, int *d) {
    int64_t yy = 1970;
    while (days < 0) {
        yy--;
        days += leap(yy) ? 366 : 365;
    }
    while (days >= (leap(yy) ? 366 : 365)) {
        days -= leap(yy) ? 366 : 365;
        yy++;
    }
    int mm = 1;
    while (days >= month_len(yy, mm)) {
        days -= month_len(yy, mm);
        mm++;
    }
    *y = yy;
    *m = mm;
    *d = (int)days + 1;
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t n = 0;
    char *text = fuzz_text(data, size, &n);

    const parley_time_ms untouched = 0x1234567;
    parley_time_ms a = untouched, b = untouched;
    bool ok_a = parley_time_parse(text, false, &a);
    bool ok_b = parley_time_parse(text, true, &b);
    CHECK(ok_a == ok_b);
    if (!ok_a) {
        CHECK(a == untouched && b == untouched);
    }

    if (strchr(text, '-') == NULL) {
        bool digits = n >= 1 && n <= 15;
        for (size_t i = 0; digits && i < n; i++) {
            digits = text[i] >= '0' && text[i] <= '9';
        }
        CHECK(ok_a == digits);
        if (digits) {
            CHECK(a == strtoll(text, NULL, 10) && b == a);
        }
    } else if (ok_a && n == 10) {
        CHECK(a % 86400000 == 0);
        CHECK(b == a + 86400000);
        int64_t y;
        int m, d;
        ref_civil(a / 86400000, &y, &m, &d);
        char back[32];
        snprintf(back, sizeof back, "%04" PRId64 "-%02d-%02d", y, m, d);
        CHECK(strcmp(back, text) == 0);
        CHECK(parley_days_from_civil(y, m, d) == a / 86400000);
    } else if (ok_a) {
        CHECK(a == b);
        int64_t days = floor_div(a, 86400000);
        int64_t rest = a - days * 86400000;
        int64_t y;
        int m, d;
        ref_civil(days, &y, &m, &d);
        CHECK(parley_days_from_civil(y, m, d) == days);
        char back[64];
        snprintf(back, sizeof back, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                 (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60),
                 (int)(rest % 1000));
        parley_time_ms again = untouched;
        /* offsets can move the instant outside 0000-9999; only years the
         * parser can read are printed back */
        if (y >= 0 && y <= 9999) {
            CHECK(parley_time_parse(back, false, &again));
            CHECK(again == a);
        }
    }
    free(text);
    return 0;
}
