#include "core/error.h"

#include "core/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

parley_status parley_error_set(parley_error *err, parley_status status, const char *code,
                               const char *fmt, ...) {
    if (err == NULL) {
        return status;
    }
    err->status = status;
    err->retry_after_seconds = 0;
    err->keep_writes = false;
    snprintf(err->code, sizeof err->code, "%s", code != NULL ? code : parley_status_code(status));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* Messages quote user input cut with %.Ns or by the buffer's size; a
     * character split in half would make the JSON error unsendable. */
    size_t n = strlen(err->message);
    while (n > 0 && !parley_utf8_valid(err->message, n)) {
        n--;
    }
    err->message[n] = '\0';
    return status;
}

void parley_error_clear(parley_error *err) {
    if (err != NULL) {
        memset(err, 0, sizeof *err);
    }
}

const char *parley_status_code(parley_status status) {
    switch (status) {
    case PARLEY_OK:
        return "ok";
    case PARLEY_E_INVALID:
        return "validation_failed";
    case PARLEY_E_UNAUTHENTICATED:
        return "unauthenticated";
    case PARLEY_E_FORBIDDEN:
        return "forbidden";
    case PARLEY_E_NOT_FOUND:
        return "not_found";
    case PARLEY_E_CONFLICT:
        return "conflict";
    case PARLEY_E_TOO_LARGE:
        return "payload_too_large";
    case PARLEY_E_REJECTED:
        return "rejected";
    case PARLEY_E_RATE_LIMITED:
        return "rate_limited";
    case PARLEY_E_UNAVAILABLE:
    case PARLEY_E_NOMEM:
    case PARLEY_E_STORAGE:
        return "unavailable";
    case PARLEY_E_INTERNAL:
        return "internal_error";
    case PARLEY_E_UNSUPPORTED_TYPE:
        return "unsupported_media_type";
    }
    return "internal_error";
}
