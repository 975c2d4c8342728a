#include "net/http_cache.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool parley_request_id_valid(const char *value) {
    size_t n = 0;
    if (value == NULL) {
        return false;
    }
    for (const char *p = value; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("-_.:+/=@~", c) != NULL;
        if (!ok || n >= PARLEY_REQUEST_ID_MAX) {
            return false;
        }
    }
    return n > 0;
}

/* One request id per request without a usable one: like core/ids.c, the
 * CSPRNG's output is drawn in bulk (one call per 256 ids), not one system
 * call each. Each byte is used once. */
void parley_request_id_new(char out[PARLEY_REQUEST_ID_MAX + 1]) {
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t available;
    unsigned char random[16];
    if (available < sizeof random) {
        randombytes_buf(pool, sizeof pool);
        available = sizeof pool;
    }
    memcpy(random, pool + sizeof pool - available, sizeof random);
    sodium_memzero(pool + sizeof pool - available, sizeof random);
    available -= sizeof random;
    sodium_bin2hex(out, PARLEY_REQUEST_ID_MAX + 1, random, sizeof random);
}

void parley_http_etag_of(const struct stat *st, char out[64]) {
    snprintf(out, 64, "\"%llx-%llx.%lx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
}

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void parley_http_date_format(time_t t, char out[32]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday % 7],
             tm.tm_mday % 100, month_names[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000,
             tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
}

/* --- HTTP-date parsing: a tiny cursor over the text ---------------------------- */

typedef struct cursor {
    const char *p;
    bool ok;
} cursor;

static void expect(cursor *c, const char *literal) {
    size_t n = strlen(literal);
    if (c->ok && strncmp(c->p, literal, n) == 0) {
        c->p += n;
    } else {
        c->ok = false;
    }
}

/* Exactly `digits` digits (1..4); a space first when pad_space (asctime's
 * day of month " 6"). */
static int number(cursor *c, int digits, bool pad_space) {
    int value = 0;
    if (!c->ok) {
        return 0;
    }
    if (pad_space && *c->p == ' ') {
        c->p++;
        digits--;
    }
    for (int i = 0; i < digits; i++) {
        if (c->p[i] < '0' || c->p[i] > '9') {
            c->ok = false;
            return 0;
        }
        value = value * 10 + (c->p[i] - '0');
    }
    c->p += digits;
    return value;
}

static int name_index(cursor *c, const char *const *names, int count) {
    for (int i = 0; c->ok && i < count; i++) {
        if (strncmp(c->p, names[i], 3) == 0) {
            c->p += 3;
            return i;
        }
    }
    c->ok = false;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void time_of_day(cursor *c, int *h, int *mi, int *s) {
    *h = number(c, 2, false);
    expect(c, ":");
    *mi = number(c, 2, false);
    expect(c, ":");
    *s = number(c, 2, false);
}

bool parley_http_date_parse(const char *text, time_t *out) {
    if (text == NULL) {
        return false;
    }
    static const char *const long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
    cursor c = {text, true};
    int year = 0, month = 0, day = 0, h = 0, mi = 0, s = 0;
    const char *comma = strchr(text, ',');
    if (comma != NULL && comma - text == 3) {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        name_index(&c, day_names, 7);
        expect(&c, ", ");
        day = number(&c, 2, false);
        expect(&c, " ");
        month = name_index(&c, month_names, 12);
        expect(&c, " ");
        year = number(&c, 4, false);
        expect(&c, " ");
        time_of_day(&c, &h, &mi, &s);
        expect(&c, " GMT");
    } else if (comma != NULL) {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        bool named = false;
        for (int i = 0; i < 7 && !named; i++) {
            size_t n = strlen(long_days[i]);
            if ((size_t)(comma - text) == n && strncmp(text, long_days[i], n) == 0) {
                named = true;
            }
        }
        c.ok = named;
        c.p = comma;
        expect(&c, ", ");
        day = number(&c, 2, false);
        expect(&c, "-");
        month = name_index(&c, month_names, 12);
        expect(&c, "-");
        year = number(&c, 2, false);
        /* RFC 9110: a two-digit year more than 50 years ahead is in the past
         * century; parleyd's clock is past 2000, so 70..99 are 19xx */
        year += year >= 70 ? 1900 : 2000;
        expect(&c, " ");
        time_of_day(&c, &h, &mi, &s);
        expect(&c, " GMT");
    } else {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        name_index(&c, day_names, 7);
        expect(&c, " ");
        month = name_index(&c, month_names, 12);
        expect(&c, " ");
        day = number(&c, 2, true);
        expect(&c, " ");
        time_of_day(&c, &h, &mi, &s);
        expect(&c, " ");
        year = number(&c, 4, false);
    }
    if (!c.ok || *c.p != '\0' || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) {
        return false;
    }
    int64_t days = days_from_civil(year, month + 1, day);
    *out = (time_t)(days * 86400 + h * 3600 + mi * 60 + s);
    return true;
}

/* --- If-None-Match ------------------------------------------------------------ */

/* The opaque part of an entity tag ("..." without W/), length into *len. */
static const char *opaque_tag(const char *tag, size_t *len) {
    if (strncmp(tag, "W/", 2) == 0) {
        tag += 2;
    }
    size_t n = strlen(tag);
    if (n < 2 || tag[0] != '"' || tag[n - 1] != '"') {
        return NULL;
    }
    *len = n;
    return tag;
}

bool parley_http_etag_list_matches(const char *if_none_match, const char *etag) {
    size_t want_len = 0;
    const char *want = etag != NULL ? opaque_tag(etag, &want_len) : NULL;
    if (if_none_match == NULL || want == NULL) {
        return false;
    }
    const char *p = if_none_match;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (p[0] == '*') {
        p++;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        return *p == '\0';
    }
    bool matched = false;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '\0') {
            return matched;
        }
        if (strncmp(p, "W/", 2) == 0) {
            p += 2;
        }
        if (*p != '"') {
            return false; /* not an entity tag: the list is malformed */
        }
        const char *end = p + 1;
        /* etagc = %x21 / %x23-7E / obs-text */
        while (*end != '\0' && *end != '"' && (unsigned char)*end > 0x20 &&
               (unsigned char)*end != 0x7F) {
            end++;
        }
        if (*end != '"') {
            return false;
        }
        size_t n = (size_t)(end - p) + 1;
        if (n == want_len && memcmp(p, want, n) == 0) {
            matched = true;
        }
        p = end + 1;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p != ',' && *p != '\0') {
            return false;
        }
    }
}

bool parley_http_not_modified(const char *if_none_match, const char *if_modified_since,
                              const char *etag, time_t mtime) {
    if (if_none_match != NULL) {
        return parley_http_etag_list_matches(if_none_match, etag);
    }
    time_t since;
    return parley_http_date_parse(if_modified_since, &since) && mtime <= since;
}
