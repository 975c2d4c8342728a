#include "core/business_hours.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time_parse.h"

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* ---- calendar (proleptic Gregorian, H. Hinnant's algorithms) ----------- */

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int weekday_of_days(int64_t days) { /* 0 = Sunday; 1970-01-01 was a Thursday */
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int days_in_month(int64_t y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* ---- POSIX TZ rules (the TZif footer) ------------------------------------- */

typedef struct tz_rule {
    int32_t std_off; /* seconds east */
    int32_t dst_off;
    bool has_dst;
    int month[2], week[2], wday[2];
    int32_t time[2]; /* seconds after local midnight */
} tz_rule;

static const char *skip_name(const char *p) {
    if (*p == '<') {
        const char *end = strchr(p, '>');
        return end != NULL ? end + 1 : NULL;
    }
    const char *start = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        p++;
    }
    return p - start >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds */
static const char *parse_hms(const char *p, int32_t *out) {
    int sign = 1;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (*p < '0' || *p > '9') {
        return NULL;
    }
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        int v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        parts[i] = v;
        if (*p != ':' || i == 2) {
            break;
        }
        p++;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *parse_date_rule(const char *p, tz_rule *r, int i) {
    if (*p != 'M') {
        return NULL; /* Jn and n rules: not used by current zones */
    }
    int m = 0, w = 0, d = 0;
    int used = 0;
    if (sscanf(p, "M%d.%d.%d%n", &m, &w, &d, &used) != 3 || m < 1 || m > 12 || w < 1 || w > 5 ||
        d < 0 || d > 6) {
        return NULL;
    }
    p += used;
    r->month[i] = m;
    r->week[i] = w;
    r->wday[i] = d;
    r->time[i] = 7200;
    if (*p == '/') {
        p = parse_hms(p + 1, &r->time[i]);
    }
    return p;
}

static bool parse_tz_rule(const char *s, tz_rule *r) {
    memset(r, 0, sizeof *r);
    const char *p = skip_name(s);
    int32_t off = 0;
    if (p == NULL || (p = parse_hms(p, &off)) == NULL) {
        return false;
    }
    r->std_off = -off; /* POSIX counts west as positive */
    if (*p == '\0') {
        return true;
    }
    if ((p = skip_name(p)) == NULL) {
        return false;
    }
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = parse_hms(p, &off)) == NULL) {
            return false;
        }
        r->dst_off = -off;
    }
    if (*p != ',' || (p = parse_date_rule(p + 1, r, 0)) == NULL || *p != ',' ||
        (p = parse_date_rule(p + 1, r, 1)) == NULL) {
        return false;
    }
    r->has_dst = true;
    return true;
}

/* Unix time at which rule date i of year y happens, given the offset in
 * force just before it. */
static int64_t rule_instant(const tz_rule *r, int i, int64_t y, int32_t before_off) {
    int64_t first = parley_days_from_civil(y, r->month[i], 1);
    int day = 1 + (r->wday[i] - weekday_of_days(first) + 7) % 7 + (r->week[i] - 1) * 7;
    while (day > days_in_month(y, r->month[i])) {
        day -= 7;
    }
    return (first + day - 1) * 86400 + r->time[i] - before_off;
}

static int32_t rule_offset(const tz_rule *r, int64_t t) {
    if (!r->has_dst) {
        return r->std_off;
    }
    int64_t y;
    int m, d;
    civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t start = rule_instant(r, 0, y, r->std_off);
    int64_t end = rule_instant(r, 1, y, r->dst_off);
    bool dst = start < end ? (t >= start && t < end) : (t >= start || t < end);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Two ASCII digits (a NUL stops it: never reads past one). */
static bool two_digits(const char *s, int *out) {
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
        return false;
    }
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

static bool zone_name_ok(const char *tz) {
    size_t len = strlen(tz);
    if (len == 0 || len > 64 || tz[0] == '/' || tz[0] == '.' || strstr(tz, "..") != NULL) {
        return false;
    }
    for (const char *p = tz; *p != '\0'; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+')) {
            return false;
        }
    }
    return true;
}

static bool fixed_offset(const char *tz, int32_t *offset) {
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0) {
        *offset = 0;
        return true;
    }
    /* exactly [+-]HH:MM: sscanf's %2d alone would also take " 1", "+1"
     * and "-1" for HH or MM */
    int h = 0, m = 0;
    if ((tz[0] == '+' || tz[0] == '-') && two_digits(tz + 1, &h) && tz[3] == ':' &&
        two_digits(tz + 4, &m) && tz[6] == '\0' && h <= 14 && m < 60) {
        *offset = (tz[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return true;
    }
    return false;
}

#define TZIF_MAX_BYTES (1 << 20)

bool parley_tzif_offset(const unsigned char *b, size_t n, int64_t t, int32_t *offset) {
    if (n < 44 || memcmp(b, "TZif", 4) != 0 || b[4] < '2') {
        return false; /* v1 files (32-bit times only) are long gone */
    }
    uint32_t c[6];
    for (int i = 0; i < 6; i++) {
        c[i] = be32(b + 20 + 4 * i);
    }
    /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
    const unsigned char *h = b + 44 + v1;
    if (v1 > n || (size_t)(h - b) + 44 > n || memcmp(h, "TZif", 4) != 0) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        c[i] = be32(h + 20 + 4 * i);
    }
    size_t timecnt = c[3], typecnt = c[4];
    const unsigned char *trans = h + 44;
    const unsigned char *idx = trans + timecnt * 8;
    const unsigned char *types = idx + timecnt;
    const unsigned char *after = types + typecnt * 6 + c[5] + (size_t)c[2] * 12 + c[1] + c[0];
    if (typecnt == 0 || timecnt > n || typecnt > 256 || after > b + n) {
        return false;
    }
    /* after the last transition the footer's rule holds */
    if ((timecnt == 0 || t >= be64(trans + (timecnt - 1) * 8)) && after < b + n && *after == '\n') {
        char footer[128];
        size_t len = 0;
        for (const unsigned char *p = after + 1; p < b + n && *p != '\n' && len + 1 < sizeof footer;
             p++) {
            footer[len++] = (char)*p;
        }
        footer[len] = '\0';
        tz_rule rule;
        if (len > 0 && parse_tz_rule(footer, &rule)) {
            *offset = rule_offset(&rule, t);
            return true;
        }
    }
    size_t type = 0; /* before the first transition: the first type */
    size_t lo = 0, hi = timecnt;
    while (lo < hi) { /* the last transition at or before t */
        size_t mid = lo + (hi - lo) / 2;
        if (be64(trans + mid * 8) <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo > 0) {
        type = idx[lo - 1];
    }
    if (type >= typecnt) {
        return false;
    }
    *offset = (int32_t)be32(types + type * 6);
    return true;
}

bool parley_tz_offset(const char *zoneinfo_dir, const char *tz, int64_t t, int32_t *offset) {
    if (tz == NULL) {
        return false;
    }
    if (fixed_offset(tz, offset)) {
        return true;
    }
    if (!zone_name_ok(tz)) {
        return false;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", zoneinfo_dir != NULL ? zoneinfo_dir : PARLEY_ZONEINFO_DIR,
             tz);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    unsigned char *buf = malloc(TZIF_MAX_BYTES);
    size_t n = buf != NULL ? fread(buf, 1, TZIF_MAX_BYTES, f) : 0;
    fclose(f);
    bool ok = n > 0 && parley_tzif_offset(buf, n, t, offset);
    free(buf);
    return ok;
}

/* ---- the setting -------------------------------------------------------------- */

static bool parse_clock(const char *s, int *minutes) {
    int h = 0, m = 0;
    if (s == NULL || strlen(s) != 5 || !two_digits(s, &h) || s[2] != ':' ||
        !two_digits(s + 3, &m) || m > 59 || h > 24 || (h == 24 && m != 0)) {
        return false;
    }
    *minutes = h * 60 + m;
    return true;
}

static parley_status bad(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "bot.business_hours: %s",
                            what);
}

parley_status parley_business_hours_check(const json_t *value, parley_error *err) {
    if (!json_is_object(value)) {
        return bad(err, "must be an object");
    }
    json_t *tz = json_object_get(value, "timezone");
    json_t *days = json_object_get(value, "days");
    if (json_object_size(value) != (size_t)(tz != NULL) + (size_t)(days != NULL)) {
        return bad(err, "only timezone and days are allowed");
    }
    int32_t off;
    if (tz != NULL &&
        (!json_is_string(tz) || !parley_tz_offset(NULL, json_string_value(tz), 0, &off))) {
        return bad(err, "timezone: not a known time zone (an IANA name such as Europe/Madrid, "
                        "UTC, or an offset such as +02:00)");
    }
    if (days == NULL) {
        return PARLEY_OK;
    }
    if (!json_is_object(days)) {
        return bad(err, "days: must be an object");
    }
    const char *key;
    json_t *v;
    json_object_foreach(days, key, v) {
        bool known = false;
        for (int i = 0; i < 7; i++) {
            known = known || strcmp(key, day_keys[i]) == 0;
        }
        if (!known) {
            return bad(err, "days: keys are mon, tue, wed, thu, fri, sat, sun");
        }
        if (!json_is_array(v) || json_array_size(v) > 8) {
            return bad(err, "days: each day is a list of at most 8 [from, to] pairs");
        }
        size_t i;
        json_t *range;
        json_array_foreach(v, i, range) {
            int from, to;
            if (!json_is_array(range) || json_array_size(range) != 2 ||
                !parse_clock(json_string_value(json_array_get(range, 0)), &from) ||
                !parse_clock(json_string_value(json_array_get(range, 1)), &to) || to <= from) {
                return bad(err, "days: each range is [\"HH:MM\", \"HH:MM\"] with to after from");
            }
        }
    }
    return PARLEY_OK;
}

bool parley_business_hours_open(const json_t *value, int64_t t, const char *zoneinfo_dir) {
    parley_error err = {0};
    json_t *days = json_object_get(value, "days");
    if (!json_is_object(value) || days == NULL ||
        parley_business_hours_check(value, &err) != PARLEY_OK) {
        return true;
    }
    json_t *tz = json_object_get(value, "timezone");
    int32_t off = 0;
    if (tz != NULL && !parley_tz_offset(zoneinfo_dir, json_string_value(tz), t, &off)) {
        return true;
    }
    int64_t local = t + off;
    int64_t day = floor_div(local, 86400);
    int minute = (int)((local - day * 86400) / 60);
    json_t *ranges = json_object_get(days, day_keys[weekday_of_days(day)]);
    size_t i;
    json_t *range;
    json_array_foreach(ranges, i, range) {
        int from = 0, to = 0;
        parse_clock(json_string_value(json_array_get(range, 0)), &from);
        parse_clock(json_string_value(json_array_get(range, 1)), &to);
        if (minute >= from && minute < to) {
            return true;
        }
    }
    return false;
}
