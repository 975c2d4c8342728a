/*
 * error.h - status codes and the error record every layer hands upward.
 *
 * Ownership: a parley_error is a plain value the caller owns (usually on the
 * stack); functions that fail fill it and return the same status they store.
 * Thread-safety: pure data, any thread.
 */
#ifndef PARLEY_ERROR_H
#define PARLEY_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* Outcome of every fallible core call. The HTTP layer maps each one to a
 * status code in exactly one place (net/http_status.c). */
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
    int retry_after_seconds; /* PARLEY_E_RATE_LIMITED; PARLEY_E_UNAVAILABLE when > 0 */
    /* The request failed for its sender, but what it wrote must stay (a
     * refused message kept for review): the unit is committed, not rolled
     * back. */
    bool keep_writes;
} parley_error;

/* Fills err (when not NULL) and returns status, so callers can write
 * `return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such session");` */
parley_status parley_error_set(parley_error *err, parley_status status, const char *code,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Resets err to PARLEY_OK with empty code and message. */
void parley_error_clear(parley_error *err);

/* The default snake_case code for a status ("not_found", "conflict", ...). */
const char *parley_status_code(parley_status status);

#endif
