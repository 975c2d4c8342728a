/*
 * log.h - parleyd's log: one line per event on stderr, logfmt or JSON.
 *
 * Every line starts with ts (RFC 3339, UTC, milliseconds), level and msg,
 * then the caller's fields in order. Values are escaped for the chosen
 * format: a logfmt value with a space, '=', '"', '\', a control byte or a
 * non-ASCII byte is written as a JSON string literal; in JSON every string
 * is one. Bytes that are not valid UTF-8 become U+FFFD, so each line is
 * valid UTF-8 and (in JSON) parses. A line never holds a raw line break.
 *
 * What may be logged is the caller's business: never a token, a password
 * or message text (docs/subsystems/operations.md#logs).
 *
 * Threads: any thread may log. A line is formatted in the caller's own
 * buffer and handed to the kernel with write() under a mutex, so lines of
 * the loop and of worker threads never interleave. parley_log_configure()
 * is called once at start, before other threads exist.
 */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum parley_log_level {
    PARLEY_LOG_ERROR = 0,
    PARLEY_LOG_WARN,
    PARLEY_LOG_INFO,
    PARLEY_LOG_DEBUG,
} parley_log_level;

typedef enum parley_log_format {
    PARLEY_LOG_LOGFMT = 0,
    PARLEY_LOG_JSON,
} parley_log_format;

typedef enum parley_log_field_type {
    PARLEY_LOG_FIELD_STR = 0, /* str; NULL leaves the field out */
    PARLEY_LOG_FIELD_INT,     /* num */
    PARLEY_LOG_FIELD_MS,      /* real, written with three decimals */
} parley_log_field_type;

/* One key=value. Keys are literals of the caller ([a-z_]) and are not
 * escaped; values are. */
typedef struct parley_log_field {
    const char *key;
    parley_log_field_type type;
    const char *str;
    int64_t num;
    double real;
} parley_log_field;

#define PARLEY_LOG_STR(k, v)                                                                       \
    ((parley_log_field){.key = (k), .type = PARLEY_LOG_FIELD_STR, .str = (v)})
#define PARLEY_LOG_INT(k, v)                                                                       \
    ((parley_log_field){.key = (k), .type = PARLEY_LOG_FIELD_INT, .num = (int64_t)(v)})
#define PARLEY_LOG_MS(k, v)                                                                        \
    ((parley_log_field){.key = (k), .type = PARLEY_LOG_FIELD_MS, .real = (double)(v)})

/* "error", "warn", "info", "debug" / "logfmt", "json"; false otherwise. */
bool parley_log_parse_level(const char *text, parley_log_level *out);
bool parley_log_parse_format(const char *text, parley_log_format *out);
const char *parley_log_level_name(parley_log_level level);

/* Lines of level <= level go to fd (2 = stderr) in format. Defaults before
 * any call: info, logfmt, stderr. */
void parley_log_configure(parley_log_level level, parley_log_format format, int fd);

/* Whether a line of this level would be written (to skip building one). */
bool parley_log_enabled(parley_log_level level);

/* Writes one line: ts, level, msg, then the fields. */
void parley_log_fields(parley_log_level level, const char *msg, const parley_log_field *fields,
                       size_t count);

/* Writes one line whose msg is the formatted text (at most 1 KiB). */
void parley_logf(parley_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define parley_log_error(...) parley_logf(PARLEY_LOG_ERROR, __VA_ARGS__)
#define parley_log_warn(...) parley_logf(PARLEY_LOG_WARN, __VA_ARGS__)
#define parley_log_info(...) parley_logf(PARLEY_LOG_INFO, __VA_ARGS__)
#define parley_log_debug(...) parley_logf(PARLEY_LOG_DEBUG, __VA_ARGS__)

/*
 * Formats one line (with its final '\n') into a new heap string without
 * writing it; ts is the timestamp text. For the unit tests and the fuzz
 * target; NULL when out of memory. Free with free().
 */
char *parley_log_format_line(parley_log_format format, parley_log_level level, const char *ts,
                             const char *msg, const parley_log_field *fields, size_t count,
                             size_t *len);

/* The current time as RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z */
void parley_log_timestamp(char out[32]);

#endif
