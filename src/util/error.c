#include "util/error.h"

#include "util/log.h"

#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

parley_status parley_error_set(parley_error *err, parley_status status, const char *code,
                               const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    parley_error_vset(err, status, code, fmt, ap);
    va_end(ap);
    return status;
}

parley_status parley_error_vset(parley_error *err, parley_status status, const char *code,
                                const char *fmt, va_list ap) {
    if (err == NULL) {
        return status;
    }
    err->status = status;
    err->retry_after_seconds = 0;
    err->keep_writes = false;
    err->internal = false;
    snprintf(err->code, sizeof err->code, "%s", code != NULL ? code : parley_status_code(status));
    vsnprintf(err->message, sizeof err->message, fmt, ap);
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

void parley_error_public(const parley_error *err, parley_public_error *out) {
    const char *code = err->code[0] != '\0' ? err->code : parley_status_code(err->status);
    out->code = code;
    out->message = err->message[0] != '\0' ? err->message : code;
    out->retry_after_seconds = 0;
    bool storage_full = strcmp(code, PARLEY_ERROR_CODE_STORAGE_FULL) == 0;
    bool hide = err->internal || storage_full || err->status == PARLEY_E_STORAGE ||
                err->status == PARLEY_E_INTERNAL;
    switch (err->status) {
    case PARLEY_E_RATE_LIMITED:
        out->retry_after_seconds = err->retry_after_seconds > 0 ? err->retry_after_seconds : 1;
        break;
    case PARLEY_E_STORAGE:
        out->retry_after_seconds = PARLEY_RETRY_AFTER_STORAGE_S;
        out->code = "unavailable";
        out->message = storage_full ? "storage is full; try again later"
                                    : "storage is unavailable; try again later";
        break;
    case PARLEY_E_UNAVAILABLE:
    case PARLEY_E_NOMEM:
        out->retry_after_seconds =
            storage_full ? PARLEY_RETRY_AFTER_STORAGE_S : PARLEY_RETRY_AFTER_UNAVAILABLE_S;
        if (hide) {
            out->code = "unavailable";
            out->message = storage_full ? "storage is full; try again later"
                           : err->status == PARLEY_E_NOMEM
                               ? "the server is out of memory; try again later"
                               : "the server is busy; try again later";
        }
        break;
    case PARLEY_E_INTERNAL:
        out->code = "internal_error";
        out->message = "internal error";
        break;
    default:
        if (hide) {
            out->message = err->status == PARLEY_E_CONFLICT
                               ? "the request conflicts with stored data"
                               : "the request could not be completed";
        }
        break;
    }
    if (err->retry_after_seconds > 0 && out->retry_after_seconds > 0) {
        out->retry_after_seconds = err->retry_after_seconds;
    }
    if (hide) {
        parley_log_fields(PARLEY_LOG_WARN, "error hidden from the client",
                          (parley_log_field[]){PARLEY_LOG_STR("code", out->code),
                                               PARLEY_LOG_STR("public", out->message),
                                               PARLEY_LOG_STR("detail", err->message)},
                          3);
    }
}

int parley_http_status_retry_after(int http_status) {
    return http_status == 503 ? PARLEY_RETRY_AFTER_UNAVAILABLE_S : 0;
}
