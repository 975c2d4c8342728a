/*
 * fuzz_business_hours.c - the setting bot.business_hours
 * (core/business_hours.h): its check and the open/closed decision.
 *
 * The input is a JSON value (as a PATCH /api/v1/settings member). Checks:
 *  - an accepted value is an object with only "timezone" (a zone
 *    parley_tz_offset knows) and "days" (an object of mon..sun, each at
 *    most 8 [from, to] pairs); every time is exactly "HH:MM" with HH 00-23
 *    and MM 00-59, or "24:00", and to > from - so " 9:00", "+9:00" and
 *    "-1:00" are refused; a refusal is 400 validation_failed reaching the
 *    client;
 *  - at 16 instants over a fortnight (starting from a time taken from the
 *    input, years 2000-2100), parley_business_hours_open agrees with a
 *    reference: always open without "days" or when the value is refused;
 *    else open exactly when the local minute (t + the zone's offset at t)
 *    of the local weekday lies in one of that day's [from, to) ranges,
 *    computed here with plain arithmetic.
 */
#include <stdlib.h>
#include <string.h>

#include "core/business_hours.h"
#include "fuzz_checks.h"

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static bool strict_clock(const char *s, int *minutes) {
    if (s == NULL || strlen(s) != 5 || s[2] != ':') {
        return false;
    }
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9')) {
            return false;
        }
    }
    int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
    if (m > 59 || h > 24 || (h == 24 && m != 0)) {
        return false;
    }
    *minutes = h * 60 + m;
    return true;
}

static bool ref_open(const json_t *v, int64_t t) {
    const json_t *days = json_object_get(v, "days");
    if (days == NULL) {
        return true;
    }
    int32_t off = 0;
    const json_t *tz = json_object_get(v, "timezone");
    if (tz != NULL && !parley_tz_offset(NULL, json_string_value(tz), t, &off)) {
        return true;
    }
    int64_t local = t + off;
    int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int minute = (int)((local - day * 86400) / 60);
    int wday = (int)(((day + 4) % 7 + 7) % 7);
    const json_t *ranges = json_object_get(days, day_keys[wday]);
    for (size_t i = 0; i < json_array_size(ranges); i++) {
        int from = 0, to = 0;
        const json_t *r = json_array_get(ranges, i);
        CHECK(strict_clock(json_string_value(json_array_get(r, 0)), &from));
        CHECK(strict_clock(json_string_value(json_array_get(r, 1)), &to));
        if (minute >= from && minute < to) {
            return true;
        }
    }
    return false;
}

static void check_accepted(json_t *v) {
    CHECK(json_is_object(v));
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
        CHECK(strcmp(k, "timezone") == 0 || strcmp(k, "days") == 0);
    }
    const json_t *tz = json_object_get(v, "timezone");
    int32_t off;
    CHECK(tz == NULL || parley_tz_offset(NULL, json_string_value(tz), 0, &off));
    json_t *days = json_object_get(v, "days");
    if (days == NULL) {
        return;
    }
    json_object_foreach(days, k, m) {
        bool known = false;
        for (int i = 0; i < 7; i++) {
            known = known || strcmp(k, day_keys[i]) == 0;
        }
        CHECK(known);
        CHECK(json_is_array(m) && json_array_size(m) <= 8);
        for (size_t i = 0; i < json_array_size(m); i++) {
            const json_t *r = json_array_get(m, i);
            int from = -1, to = -1;
            CHECK(json_array_size(r) == 2);
            CHECK(strict_clock(json_string_value(json_array_get(r, 0)), &from));
            CHECK(strict_clock(json_string_value(json_array_get(r, 1)), &to));
            CHECK(to > from);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return 0;
    }
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of the input: the start time */
    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * 1099511628211ULL;
    }
    int64_t start = 946684800 + (int64_t)(h % 3155760000ULL); /* 2000..2100 */

    parley_error err = {0};
    parley_status st = parley_business_hours_check(v, &err);
    if (st == PARLEY_OK) {
        check_accepted(v);
    } else {
        CHECK(st == PARLEY_E_INVALID);
        CHECK(strcmp(err.code, "validation_failed") == 0);
        CHECK(strncmp(err.message, "bot.business_hours: ", 20) == 0);
        check_error_reaches_client(&err);
    }
    for (int i = 0; i < 16; i++) {
        int64_t t = start + (int64_t)i * 75671; /* ~21 h apart: every weekday, many hours */
        bool open = parley_business_hours_open(v, t, NULL);
        if (st != PARLEY_OK || !json_is_object(v)) {
            CHECK(open);
        } else {
            CHECK(open == ref_open(v, t));
        }
    }
    json_decref(v);
    return 0;
}
