#include "util/time_parse.h"

#include <string.h>

int64_t parley_days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int64_t *out) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool is_leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool parse_epoch_ms(const char *text, int64_t *out) {
    size_t len = strlen(text);
    if (len == 0 || len > 15) {
        return false;
    }
    const char *p = text;
    int64_t v;
    if (!digits(&p, (int)len, &v)) {
        return false;
    }
    *out = v;
    return true;
}

bool parley_time_parse(const char *text, bool end_of_day, int64_t *out) {
    if (text == NULL) {
        return false;
    }
    if (strchr(text, '-') == NULL) {
        return parse_epoch_ms(text, out);
    }
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = text;
    int64_t y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 ||
        d > month_days[mo - 1] + (mo == 2 && is_leap(y))) {
        return false;
    }
    int64_t days = parley_days_from_civil(y, mo, d);
    if (*p == '\0') {
        *out = (days + (end_of_day ? 1 : 0)) * 86400000;
        return true;
    }
    if ((*p != 'T' && *p != 't' && *p != ' ') || (p++, !digits(&p, 2, &h)) || *p++ != ':' ||
        !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &s) || h > 23 || mi > 59 || s > 60) {
        return false;
    }
    if (*p == '.') {
        p++;
        int n = 0;
        int64_t frac = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 3) {
                frac = frac * 10 + (*p - '0');
            }
            n++;
            p++;
        }
        if (n == 0) {
            return false;
        }
        for (int i = n; i < 3; i++) {
            frac *= 10;
        }
        ms = frac;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int64_t oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59) {
            return false;
        }
        offset_min = sign * (oh * 60 + om);
    } else {
        return false;
    }
    if (*p != '\0') {
        return false;
    }
    *out = ((days * 86400 + h * 3600 + mi * 60 + s - offset_min * 60) * 1000) + ms;
    return true;
}
