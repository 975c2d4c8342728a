/*
 * fuzz_tzif.c - the time-zone reader of core/business_hours.h: TZif v2+
 * files (parley_tzif_offset on a buffer, as parley_tz_offset does once it
 * has read /usr/share/zoneinfo/<zone>), the POSIX TZ rule of their
 * footer, and the fixed "+HH:MM" zones.
 *
 * Input: byte 0 picks a system zone; bytes 1-8 are a time t (big-endian,
 * folded into years ~1900..2200, the range a desk's clock is in); the rest
 * is a TZif buffer. Checks:
 *  - the picked zone's offset at t equals glibc's (localtime_r with TZ
 *    set to the zone, tm_gmtoff), both reading the same system file - a
 *    differential test of the transition table and the footer rule;
 *  - the buffer, in an exact-size heap copy, is never read outside its
 *    bounds (ASan), gives the same answer twice, and an accepted offset
 *    is one of the file's local time types or the footer rule's
 *    standard/daylight offset (within +-1000 hours, what a rule can say);
 *  - the bytes of t read as a zone name: "+HH:MM"/"-HH:MM" forms are
 *    accepted exactly when two digits, ':' and two digits with HH <= 14
 *    and MM < 60, and name that offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/business_hours.h"
#include "fuzz_checks.h"

static const char *const zones[] = {
    "UTC",           "Europe/Madrid",    "America/New_York", "Australia/Lord_Howe",
    "Asia/Kolkata",  "America/Santiago", "Pacific/Chatham",  "Africa/Casablanca",
    "Europe/London", "Asia/Tehran",      "America/St_Johns", "Pacific/Apia",
};
#define NZONES (sizeof zones / sizeof zones[0])

/* 1900-01-01 .. 2200-01-01 */
#define T_MIN (-2208988800LL)
#define T_SPAN (9467020800LL)

static void check_system_zone(const char *zone, int64_t t) {
    int32_t mine = 0;
    CHECK(parley_tz_offset(NULL, zone, t, &mine));
    char tz[64];
    snprintf(tz, sizeof tz, ":%s", zone);
    setenv("TZ", tz, 1);
    tzset();
    time_t tt = (time_t)t;
    struct tm tm;
    CHECK(localtime_r(&tt, &tm) != NULL);
    CHECK(mine == (int32_t)tm.tm_gmtoff);
}

static void check_fixed(const uint8_t *b) {
    char name[8];
    memcpy(name, b, 7);
    name[7] = '\0';
    name[0] = (b[0] & 1) ? '+' : '-';
    int32_t off = 12345;
    bool ok = parley_tz_offset("/nonexistent", name, 0, &off);
    bool digits = strlen(name) == 6 && name[1] >= '0' && name[1] <= '9' && name[2] >= '0' &&
                  name[2] <= '9' && name[3] == ':' && name[4] >= '0' && name[4] <= '9' &&
                  name[5] >= '0' && name[5] <= '9';
    int h = digits ? (name[1] - '0') * 10 + name[2] - '0' : 99;
    int m = digits ? (name[4] - '0') * 10 + name[5] - '0' : 99;
    bool want = digits && h <= 14 && m < 60;
    CHECK(ok == want);
    if (ok) {
        CHECK(off == (name[0] == '-' ? -1 : 1) * (h * 3600 + m * 60));
    }
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Is off the utoff of one of the v2 block's local time types? */
static bool is_type_offset(const uint8_t *b, size_t n, int32_t off) {
    if (n < 44) {
        return false;
    }
    uint64_t v1 = (uint64_t)be32(b + 32) * 5 + (uint64_t)be32(b + 36) * 6 + be32(b + 40) +
                  (uint64_t)be32(b + 28) * 8 + be32(b + 24) + be32(b + 20);
    if (v1 + 88 > n) {
        return false;
    }
    const uint8_t *h = b + 44 + v1;
    uint64_t timecnt = be32(h + 32), typecnt = be32(h + 36);
    const uint8_t *types = h + 44 + timecnt * 9;
    for (uint64_t i = 0; i < typecnt && types + i * 6 + 4 <= b + n; i++) {
        if ((int32_t)be32(types + i * 6) == off) {
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 9) {
        return 0;
    }
    uint64_t raw = 0;
    for (int i = 1; i <= 8; i++) {
        raw = raw << 8 | data[i];
    }
    int64_t t = T_MIN + (int64_t)(raw % (uint64_t)T_SPAN);
    check_system_zone(zones[data[0] % NZONES], t);
    check_fixed(data + 1);

    size_t n = size - 9;
    uint8_t *buf = malloc(n > 0 ? n : 1);
    CHECK(buf != NULL);
    memcpy(buf, data + 9, n);
    int32_t a = 0, b = 0;
    bool ok = parley_tzif_offset(buf, n, t, &a);
    CHECK(parley_tzif_offset(buf, n, t, &b) == ok);
    if (ok) {
        CHECK(a == b);
        CHECK(is_type_offset(buf, n, a) || (a > -3600000 && a < 3600000));
    }
    free(buf);
    return 0;
}
