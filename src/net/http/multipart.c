#define _GNU_SOURCE /* memmem */

#include "net/http/multipart.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 2046 bchars without the space, which may not end a boundary and
 * which no client puts in one anyway */
static bool bchar(char c) {
    return isalnum((unsigned char)c) || strchr("'()+_,-./:=?", c) != NULL;
}

static bool tchar(char c) {
    return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    return p;
}

/* One parameter value (token or quoted-string) at *pp; the unquoted value
 * goes to a new heap string. */
static bool read_value(const char **pp, const char *end, char **out, size_t *out_len) {
    const char *p = *pp;
    char *buf = malloc((size_t)(end - p) + 1);
    if (buf == NULL) {
        return false;
    }
    size_t n = 0;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            if (p >= end) {
                free(buf); /* unterminated quoted string */
                return false;
            }
            char c = *p++;
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                if (p >= end) {
                    free(buf);
                    return false;
                }
                c = *p++;
            }
            if (c == '\r' || c == '\n' || c == '\0') {
                free(buf);
                return false;
            }
            buf[n++] = c;
        }
    } else {
        while (p < end && tchar(*p)) {
            buf[n++] = *p++;
        }
        if (n == 0) {
            free(buf);
            return false;
        }
    }
    buf[n] = '\0';
    *pp = p;
    *out = buf;
    *out_len = n;
    return true;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* RFC 5987 ext-value: UTF-8'lang'pct-encoded; other charsets refused. */
static bool decode_ext_value(char *v, size_t *len) {
    if (strncasecmp(v, "UTF-8'", 6) != 0) {
        return false;
    }
    char *lang_end = strchr(v + 6, '\'');
    if (lang_end == NULL) {
        return false;
    }
    const char *in = lang_end + 1;
    size_t n = 0;
    while (*in != '\0') {
        if (*in == '%') {
            int hi = hex_digit(in[1]);
            int lo = hi >= 0 ? hex_digit(in[2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0)) {
                return false;
            }
            v[n++] = (char)(hi * 16 + lo);
            in += 3;
        } else {
            v[n++] = *in++;
        }
    }
    v[n] = '\0';
    *len = n;
    return true;
}

bool parley_disposition_filename(const char *value, size_t len, size_t *disposition_type_len,
                                 char **filename, size_t *filename_len, bool *has_filename) {
    const char *p = value;
    const char *end = value + len;
    *filename = NULL;
    *filename_len = 0;
    *has_filename = false;
    p = skip_ws(p, end);
    const char *type = p;
    while (p < end && tchar(*p)) {
        p++;
    }
    *disposition_type_len = (size_t)(p - type);
    if (p == type) {
        return false;
    }
    char *plain = NULL, *ext = NULL;
    size_t plain_len = 0, ext_len = 0;
    bool ok = true;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end) {
            break;
        }
        if (*p != ';') {
            ok = false;
            break;
        }
        p = skip_ws(p + 1, end);
        if (p >= end) {
            break; /* a trailing ";" is common and harmless */
        }
        const char *name = p;
        while (p < end && tchar(*p) && *p != '=') {
            p++;
        }
        size_t name_len = (size_t)(p - name);
        p = skip_ws(p, end);
        if (name_len == 0 || p >= end || *p != '=') {
            ok = false;
            break;
        }
        p = skip_ws(p + 1, end);
        char *v = NULL;
        size_t v_len = 0;
        if (!read_value(&p, end, &v, &v_len)) {
            ok = false;
            break;
        }
        bool is_plain = name_len == 8 && strncasecmp(name, "filename", 8) == 0;
        bool is_ext = name_len == 9 && strncasecmp(name, "filename*", 9) == 0;
        if ((is_plain && plain != NULL) || (is_ext && ext != NULL)) {
            free(v); /* a repeated parameter is ambiguous */
            ok = false;
            break;
        }
        if (is_plain) {
            plain = v;
            plain_len = v_len;
        } else if (is_ext) {
            if (!decode_ext_value(v, &v_len)) {
                free(v);
                ok = false;
                break;
            }
            ext = v;
            ext_len = v_len;
        } else {
            free(v);
        }
    }
    if (!ok) {
        free(plain);
        free(ext);
        return false;
    }
    if (ext != NULL) {
        free(plain);
        *filename = ext;
        *filename_len = ext_len;
    } else {
        *filename = plain;
        *filename_len = plain_len;
    }
    *has_filename = *filename != NULL;
    return true;
}

bool parley_multipart_boundary(const char *content_type, bool *is_multipart,
                               char out[PARLEY_MULTIPART_BOUNDARY_MAX + 1]) {
    *is_multipart = false;
    out[0] = '\0';
    if (content_type == NULL) {
        return false;
    }
    const char *p = content_type;
    const char *end = p + strlen(p);
    p = skip_ws(p, end);
    static const char prefix[] = "multipart/form-data";
    if (strncasecmp(p, prefix, sizeof prefix - 1) != 0) {
        return false;
    }
    p += sizeof prefix - 1;
    if (p < end && *p != ';' && *p != ' ' && *p != '\t') {
        return false; /* multipart/form-dataX */
    }
    *is_multipart = true;
    bool found = false;
    while (p < end) {
        p = skip_ws(p, end);
        if (p >= end) {
            break;
        }
        if (*p != ';') {
            return false;
        }
        p = skip_ws(p + 1, end);
        const char *name = p;
        while (p < end && *p != '=' && *p != ';') {
            p++;
        }
        if (p >= end || *p != '=') {
            return false;
        }
        size_t name_len = (size_t)(p - name);
        while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t')) {
            name_len--;
        }
        p = skip_ws(p + 1, end);
        char *v = NULL;
        size_t v_len = 0;
        if (p < end && *p == '"') {
            if (!read_value(&p, end, &v, &v_len)) {
                return false;
            }
        } else {
            /* boundaries may hold bchars a token may not (":" "/" "=" "?") */
            const char *start = p;
            while (p < end && bchar(*p)) {
                p++;
            }
            v_len = (size_t)(p - start);
            v = malloc(v_len + 1);
            if (v == NULL) {
                return false;
            }
            memcpy(v, start, v_len);
            v[v_len] = '\0';
        }
        if (name_len == 8 && strncasecmp(name, "boundary", 8) == 0) {
            bool ok = !found && v_len >= 1 && v_len <= PARLEY_MULTIPART_BOUNDARY_MAX;
            for (size_t i = 0; ok && i < v_len; i++) {
                ok = bchar(v[i]) || (v[i] == ' ' && i + 1 < v_len);
            }
            if (!ok) {
                free(v);
                return false;
            }
            memcpy(out, v, v_len + 1);
            found = true;
        }
        free(v);
    }
    return found;
}

void parley_multipart_file_free(parley_multipart_file *f) {
    free(f->filename);
    memset(f, 0, sizeof *f);
}

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "multipart body: %s", what);
}

static const char *find(const char *hay, size_t hay_len, const char *needle, size_t needle_len) {
    if (needle_len == 0 || hay_len < needle_len) {
        return NULL;
    }
    return memmem(hay, hay_len, needle, needle_len);
}

/* Reads one part's header block [p, end); fills the part's filename when
 * it has one. */
static parley_status read_part_headers(const char *p, const char *end, bool *is_file,
                                       parley_multipart_file *file, parley_error *err) {
    *is_file = false;
    bool seen_disposition = false;
    while (p < end) {
        const char *eol = find(p, (size_t)(end - p), "\r\n", 2);
        if (eol == NULL) {
            eol = end; /* the last line's CRLF is part of the blank-line marker */
        }
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL || colon == p) {
            return invalid(err, "a part header is not \"Name: value\"");
        }
        for (const char *q = p; q < colon; q++) {
            if (!tchar(*q)) {
                return invalid(err, "a part header name is malformed");
            }
        }
        for (const char *q = colon + 1; q < eol; q++) {
            if (*q == '\r' || *q == '\n' || *q == '\0') {
                return invalid(err, "a part header value holds a control character");
            }
        }
        size_t name_len = (size_t)(colon - p);
        if (name_len == 19 && strncasecmp(p, "content-disposition", 19) == 0) {
            if (seen_disposition) {
                return invalid(err, "a part has two Content-Disposition headers");
            }
            seen_disposition = true;
            size_t type_len = 0;
            char *name = NULL;
            size_t name_out_len = 0;
            bool has = false;
            const char *v = colon + 1;
            if (!parley_disposition_filename(v, (size_t)(eol - v), &type_len, &name, &name_out_len,
                                             &has)) {
                return invalid(err, "a part's Content-Disposition is malformed");
            }
            const char *t = v;
            while (*t == ' ' || *t == '\t') {
                t++;
            }
            if (type_len != 9 || strncasecmp(t, "form-data", 9) != 0) {
                free(name);
                return invalid(err, "a part's Content-Disposition is not form-data");
            }
            if (has) {
                *is_file = true;
                file->filename = name;
                file->filename_len = name_out_len;
            }
        }
        p = eol + 2;
    }
    if (!seen_disposition) {
        return invalid(err, "a part has no Content-Disposition");
    }
    return PARLEY_OK;
}

parley_status parley_multipart_parse(const char *body, size_t len, const char *boundary,
                                     parley_multipart_file *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > PARLEY_MULTIPART_BOUNDARY_MAX) {
        return invalid(err, "bad boundary");
    }
    /* "\r\n--" boundary: the delimiter between parts */
    char delim[PARLEY_MULTIPART_BOUNDARY_MAX + 5];
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    size_t dlen = blen + 4;
    const char *end = body + len;
    /* the first delimiter has no CRLF before it */
    if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0) {
        return invalid(err, "it does not start with the boundary");
    }
    const char *p = body + dlen - 2;
    int parts = 0;
    bool found_file = false;
    parley_status st = PARLEY_OK;
    for (;;) {
        /* after a delimiter: "--" ends the body, CRLF starts a part */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            break;
        }
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            st = invalid(err, "a boundary line is not followed by CRLF");
            break;
        }
        p += 2;
        if (++parts > PARLEY_MULTIPART_MAX_PARTS) {
            st = invalid(err, "too many parts");
            break;
        }
        size_t window = (size_t)(end - p);
        if (window > PARLEY_MULTIPART_MAX_HEADERS + 4) {
            window = PARLEY_MULTIPART_MAX_HEADERS + 4;
        }
        const char *headers_end;
        if (window >= 2 && p[0] == '\r' && p[1] == '\n') {
            headers_end = p; /* no headers at all: refused below */
        } else {
            headers_end = find(p, window, "\r\n\r\n", 4);
            if (headers_end == NULL) {
                st = invalid(err, "a part's headers do not end (or are too long)");
                break;
            }
        }
        parley_multipart_file part = {0};
        bool is_file = false;
        st = read_part_headers(p, headers_end, &is_file, &part, err);
        if (st != PARLEY_OK) {
            /* a header after Content-Disposition may be the bad one: the
             * filename read from it is the part's to free */
            parley_multipart_file_free(&part);
            break;
        }
        const char *data = headers_end == p ? p + 2 : headers_end + 4;
        const char *next = find(data, (size_t)(end - data), delim, dlen);
        if (next == NULL) {
            parley_multipart_file_free(&part);
            st = invalid(err, "the closing boundary is missing");
            break;
        }
        if (is_file) {
            if (found_file) {
                parley_multipart_file_free(&part);
                st = invalid(err, "more than one file part (send one file per upload)");
                break;
            }
            found_file = true;
            part.data = data;
            part.len = (size_t)(next - data);
            *out = part;
        }
        p = next + dlen;
    }
    if (st == PARLEY_OK && !found_file) {
        st = invalid(err, "no file part (a part with a filename)");
    }
    if (st != PARLEY_OK) {
        parley_multipart_file_free(out);
    }
    return st;
}
