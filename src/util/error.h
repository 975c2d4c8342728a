/*
 * error.h - status codes and the error record every layer hands upward.
 *
 * Ownership: a parley_error is a plain value the caller owns (usually on the
 * stack); functions that fail fill it and return the same status they store.
 * Thread-safety: pure data, any thread.
 */
#ifndef PARLEY_ERROR_H
#define PARLEY_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Outcome of every fallible core call. The HTTP layer maps each one to a
 * status code in exactly one place (parley_http_status_for in
 * net/http/http_request.c); what a client may read of an error is decided in
 * one place too (parley_error_public below). */
typedef enum parley_status {
    PARLEY_OK = 0,
    PARLEY_E_INVALID,         /* 400 validation_failed / invalid_json */
    PARLEY_E_UNAUTHENTICATED, /* 401 */
    PARLEY_E_FORBIDDEN,       /* 403 */
    PARLEY_E_NOT_FOUND,       /* 404 */
    PARLEY_E_CONFLICT,        /* 409 */
    PARLEY_E_TOO_LARGE,       /* 413 */
    PARLEY_E_REJECTED,        /* 422: a strategy refused the message */
    PARLEY_E_RATE_LIMITED,    /* 429 */
    PARLEY_E_UNAVAILABLE,     /* 503: storage busy, shutting down, ... */
    PARLEY_E_NOMEM,           /* 503 as well, but logged differently */
    PARLEY_E_STORAGE,         /* 503: the backend failed */
    PARLEY_E_INTERNAL,        /* 500: a bug */
    PARLEY_E_UNSUPPORTED_TYPE /* 415: an upload's content is not an allowed type */
} parley_status;

#define PARLEY_ERROR_CODE_SIZE 48
#define PARLEY_ERROR_MESSAGE_SIZE 256

/* code is the machine-readable snake_case name sent to clients
 * ("validation_failed", "spam_detected", ...); message is human text. */
typedef struct parley_error {
    parley_status status;
    char code[PARLEY_ERROR_CODE_SIZE];
    char message[PARLEY_ERROR_MESSAGE_SIZE];
    /* 429: when to try again; 503s: optional (0 = the status's default,
     * parley_error_public) */
    int retry_after_seconds;
    /* the message is for the log only (SQLite's text, a function name):
     * parley_error_public answers a fixed text instead. Always the case
     * for PARLEY_E_STORAGE and PARLEY_E_INTERNAL, whatever this says. */
    bool internal;
    /* The request failed for its sender, but what it wrote must stay (a
     * refused message kept for review): the unit is committed, not rolled
     * back. */
    bool keep_writes;
} parley_error;

/* Fills err (when not NULL) and returns status, so callers can write
 * `return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");` */
parley_status parley_error_set(parley_error *err, parley_status status, const char *code,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* parley_error_set with the message's arguments in a va_list. */
parley_status parley_error_vset(parley_error *err, parley_status status, const char *code,
                                const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Resets err to PARLEY_OK with empty code and message. */
void parley_error_clear(parley_error *err);

/* The default snake_case code for a status ("not_found", "conflict", ...). */
const char *parley_status_code(parley_status status);

/* The code a storage layer gives a "the disk is full" failure (SQLITE_FULL,
 * ENOSPC): clients are told "unavailable" with a message saying so. */
#define PARLEY_ERROR_CODE_STORAGE_FULL "storage_full"

/* Retry-After seconds of a 503 when the error names none. Storage may need
 * an operator (a full disk), so it is longer than an overload. */
#define PARLEY_RETRY_AFTER_STORAGE_S 30
#define PARLEY_RETRY_AFTER_UNAVAILABLE_S 5

/* What a client may be told about an error: the one place that decides it
 * for HTTP answers and WebSocket error frames alike. */
typedef struct parley_public_error {
    const char *code;        /* points into err or a static string */
    const char *message;     /* never SQLite's text or a function name */
    int retry_after_seconds; /* > 0 for 429 and every 503; 0: none */
} parley_public_error;

/* Fills out from err. When the message is internal (see parley_error's
 * `internal`), a fixed public text replaces it and the detail is written
 * to stderr ("parleyd: hidden from the client: ..."), so the operator
 * still sees it. out's strings live as long as err. Any thread. */
void parley_error_public(const parley_error *err, parley_public_error *out);

/* Retry-After seconds for an answer of this HTTP status built without a
 * parley_error (router, reader): the default for a 503, else 0. */
int parley_http_status_retry_after(int http_status);

#endif
