/*
 * accept_language.c - see accept_language.h.
 */
#include "util/accept_language.h"

#include <string.h>

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

/* q in thousandths from "q=0.8" (after the ';' and spaces); -1 when
 * malformed. */
static int parse_q(const char *p, const char *end) {
    while (p < end && is_ows(*p)) {
        p++;
    }
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') {
        return -1;
    }
    p += 2;
    int q = 0;
    if (*p == '1') {
        q = 1000;
        p++;
        if (p < end && *p == '.') {
            p++;
            for (int i = 0; i < 3 && p < end && *p == '0'; i++) {
                p++;
            }
        }
    } else if (*p == '0') {
        p++;
        if (p < end && *p == '.') {
            p++;
            int scale = 100;
            for (int i = 0; i < 3 && p < end && *p >= '0' && *p <= '9'; i++) {
                q += (*p - '0') * scale;
                scale /= 10;
                p++;
            }
        }
    } else {
        return -1;
    }
    while (p < end && is_ows(*p)) {
        p++;
    }
    return p == end ? q : -1;
}

bool parley_accept_language_primary(const char *header, char *out, size_t size) {
    if (size > 0) {
        out[0] = '\0';
    }
    if (header == NULL || size < 4) {
        return false;
    }
    int best_q = 0;
    const char *p = header;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }
        const char *r = p;
        while (r < end && is_ows(*r)) {
            r++;
        }
        size_t n = 0;
        while (r + n < end && is_alpha(r[n])) {
            n++;
        }
        const char *after = r + n;
        /* the rest of the range: "-subtag" parts, then spaces */
        while (after < end &&
               (is_alpha(*after) || *after == '-' || (*after >= '0' && *after <= '9'))) {
            after++;
        }
        while (after < end && is_ows(*after)) {
            after++;
        }
        int q = 1000;
        if (after < end && *after == ';') {
            q = parse_q(after + 1, end);
        } else if (after != end) {
            q = -1;
        }
        bool primary_ok =
            (n == 2 || n == 3) && (r[n] == '-' || r + n == end || is_ows(r[n]) || r[n] == ';');
        if (primary_ok && q > best_q) {
            best_q = q;
            for (size_t i = 0; i < n; i++) {
                out[i] = (char)(r[i] | 0x20);
            }
            out[n] = '\0';
        }
        p = *end == ',' ? end + 1 : end;
    }
    return out[0] != '\0';
}

bool parley_language_tag_primary(const char *tag, char *out, size_t size) {
    if (size > 0) {
        out[0] = '\0';
    }
    if (tag == NULL || size < 4) {
        return false;
    }
    size_t i = 0;
    while (tag[i] != '\0' && tag[i] != '-' && tag[i] != '_') {
        char c = tag[i];
        if (i >= 3 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            out[0] = '\0';
            return false;
        }
        out[i] = (char)(c | 0x20);
        i++;
    }
    if (i < 2) {
        out[0] = '\0';
        return false;
    }
    out[i] = '\0';
    return true;
}
