#include "net/http/http_cache.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/time_parse.h"

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

/* The three layouts of an HTTP-date (RFC 9110 5.6.7), as templates: 'a' a
 * day name (3 letters), 'W' a whole day name ending at the comma, 'b' a
 * month name, 'd' two digits of day, 'e' the same or a space and one digit,
 * 'y' a two-digit year, 'Y' a four-digit one, 't' hh:mm:ss; anything else
 * (", -GMT") stands for itself. */
static const char imf_fixdate[] = "a, d b Y t GMT"; /* Sun, 06 Nov 1994 08:49:37 GMT */
static const char rfc850[] = "W, d-b-y t GMT";      /* Sunday, 06-Nov-94 08:49:37 GMT */
static const char asctime_date[] = "a b e t Y";     /* Sun Nov  6 08:49:37 1994 */

static int whole_day_name(cursor *c) {
    static const char *const long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
    for (int i = 0; c->ok && i < 7; i++) {
        size_t n = strlen(long_days[i]);
        if (strncmp(c->p, long_days[i], n) == 0 && c->p[n] == ',') {
            c->p += n;
            return i;
        }
    }
    c->ok = false;
    return 0;
}

bool parley_http_date_parse(const char *text, time_t *out) {
    if (text == NULL) {
        return false;
    }
    const char *comma = strchr(text, ',');
    const char *layout = comma == NULL ? asctime_date : comma - text == 3 ? imf_fixdate : rfc850;
    cursor c = {text, true};
    int year = 0, month = 0, day = 0, h = 0, mi = 0, s = 0;
    for (const char *l = layout; *l != '\0' && c.ok; l++) {
        switch (*l) {
        case 'a':
            name_index(&c, day_names, 7);
            break;
        case 'W':
            whole_day_name(&c);
            break;
        case 'b':
            month = name_index(&c, month_names, 12);
            break;
        case 'd':
        case 'e':
            day = number(&c, 2, *l == 'e');
            break;
        case 'y':
            /* RFC 9110: a two-digit year more than 50 years ahead is in the
             * past century; parleyd's clock is past 2000, so 70..99 are 19xx */
            year = number(&c, 2, false);
            year += year >= 70 ? 1900 : 2000;
            break;
        case 'Y':
            year = number(&c, 4, false);
            break;
        case 't':
            h = number(&c, 2, false);
            expect(&c, ":");
            mi = number(&c, 2, false);
            expect(&c, ":");
            s = number(&c, 2, false);
            break;
        default:
            expect(&c, (char[]){*l, '\0'});
            break;
        }
    }
    if (!c.ok || *c.p != '\0' || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) {
        return false;
    }
    int64_t days = parley_days_from_civil(year, month + 1, day);
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
