#include "util/log.h"

#include "util/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = PARLEY_LOG_INFO;
static atomic_int log_format = PARLEY_LOG_LOGFMT;
static atomic_int log_fd = 2;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool parley_log_parse_level(const char *text, parley_log_level *out) {
    for (int i = 0; text != NULL && i <= PARLEY_LOG_DEBUG; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (parley_log_level)i;
            return true;
        }
    }
    return false;
}

bool parley_log_parse_format(const char *text, parley_log_format *out) {
    if (text != NULL && strcmp(text, "logfmt") == 0) {
        *out = PARLEY_LOG_LOGFMT;
        return true;
    }
    if (text != NULL && strcmp(text, "json") == 0) {
        *out = PARLEY_LOG_JSON;
        return true;
    }
    return false;
}

const char *parley_log_level_name(parley_log_level level) {
    return level >= PARLEY_LOG_ERROR && level <= PARLEY_LOG_DEBUG ? level_names[level] : "info";
}

void parley_log_configure(parley_log_level level, parley_log_format format, int fd) {
    atomic_store(&log_level, (int)level);
    atomic_store(&log_format, (int)format);
    atomic_store(&log_fd, fd);
}

bool parley_log_enabled(parley_log_level level) {
    return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* --- one line in a growable buffer ------------------------------------------ */

/* the line (or document) being built: util/strbuf.h's growable buffer */
typedef parley_strbuf line_buf;

static void put(line_buf *b, const char *s, size_t n) {
    parley_strbuf_add(b, s, n);
}

static void puts_(line_buf *b, const char *s) {
    put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 when invalid. */
static size_t utf8_sequence(const unsigned char *p, size_t left) {
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (left < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

/* A JSON string literal: quotes, escapes, U+FFFD for invalid UTF-8. */
static void put_json_string(line_buf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    put(b, "\"", 1);
    while (left > 0) {
        unsigned char c = *p;
        size_t n = utf8_sequence(p, left);
        if (n == 0) {
            puts_(b, "\\ufffd");
            n = 1;
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(b, esc, 2);
        } else if (c == '\n') {
            puts_(b, "\\n");
        } else if (c == '\r') {
            puts_(b, "\\r");
        } else if (c == '\t') {
            puts_(b, "\\t");
        } else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(b, esc);
        } else {
            put(b, (const char *)p, n);
        }
        p += n;
        left -= n;
    }
    put(b, "\"", 1);
}

/* logfmt writes plain visible ASCII bare, anything else quoted. */
static bool logfmt_bare(const char *s) {
    if (*s == '\0') {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7F || *p == '=' || *p == '"' || *p == '\\') {
            return false;
        }
    }
    return true;
}

static void put_field(line_buf *b, parley_log_format format, const parley_log_field *f) {
    if (f->type == PARLEY_LOG_FIELD_STR && f->str == NULL) {
        return;
    }
    if (format == PARLEY_LOG_JSON) {
        put(b, ",\"", 2);
        puts_(b, f->key);
        put(b, "\":", 2);
    } else {
        put(b, " ", 1);
        puts_(b, f->key);
        put(b, "=", 1);
    }
    char num[48];
    switch (f->type) {
    case PARLEY_LOG_FIELD_STR:
        if (format == PARLEY_LOG_LOGFMT && logfmt_bare(f->str)) {
            puts_(b, f->str);
        } else {
            put_json_string(b, f->str);
        }
        break;
    case PARLEY_LOG_FIELD_INT:
        snprintf(num, sizeof num, "%" PRId64, f->num);
        puts_(b, num);
        break;
    case PARLEY_LOG_FIELD_MS:
        /* JSON has no NaN or infinity */
        snprintf(num, sizeof num, "%.3f",
                 f->real == f->real && f->real < 1e15 && f->real > -1e15 ? f->real : 0.0);
        puts_(b, num);
        break;
    }
}

char *parley_log_format_line(parley_log_format format, parley_log_level level, const char *ts,
                             const char *msg, const parley_log_field *fields, size_t count,
                             size_t *len) {
    line_buf b = {0};
    const parley_log_field head[] = {
        PARLEY_LOG_STR("ts", ts),
        PARLEY_LOG_STR("level", parley_log_level_name(level)),
        PARLEY_LOG_STR("msg", msg != NULL ? msg : ""),
    };
    if (format == PARLEY_LOG_JSON) {
        put(&b, "{\"ts\":", 6);
        put_json_string(&b, ts);
    } else {
        put(&b, "ts=", 3);
        puts_(&b, ts); /* our own RFC 3339 text: always bare */
    }
    for (size_t i = 1; i < sizeof head / sizeof head[0]; i++) {
        put_field(&b, format, &head[i]);
    }
    for (size_t i = 0; i < count; i++) {
        put_field(&b, format, &fields[i]);
    }
    if (format == PARLEY_LOG_JSON) {
        put(&b, "}", 1);
    }
    put(&b, "\n", 1);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    if (len != NULL) {
        *len = b.len;
    }
    return b.data;
}

void parley_log_timestamp(char out[32]) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(now.tv_nsec / 1000000));
}

static void write_line(const char *line, size_t len) {
    int fd = atomic_load(&log_fd);
    pthread_mutex_lock(&write_lock);
    while (len > 0) {
        ssize_t n = write(fd, line, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* nowhere to log to: nothing better to do */
        }
        line += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&write_lock);
}

void parley_log_fields(parley_log_level level, const char *msg, const parley_log_field *fields,
                       size_t count) {
    if (!parley_log_enabled(level)) {
        return;
    }
    char ts[32];
    parley_log_timestamp(ts);
    size_t len = 0;
    char *line = parley_log_format_line((parley_log_format)atomic_load(&log_format), level, ts, msg,
                                        fields, count, &len);
    if (line != NULL) {
        write_line(line, len);
        free(line);
    }
}

void parley_logf(parley_log_level level, const char *fmt, ...) {
    if (!parley_log_enabled(level)) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    parley_log_fields(level, msg, NULL, 0);
}
