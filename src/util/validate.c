#include "util/validate.h"

#include <string.h>

parley_status parley_check_text(const char *field, const char *value, bool required,
                                size_t min_chars, size_t max_chars, parley_error *err) {
    if (value == NULL) {
        return required ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                           "%s: required", field)
                        : PARLEY_OK;
    }
    size_t bytes = strlen(value);
    if (!parley_utf8_valid(value, bytes)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s: not valid UTF-8",
                                field);
    }
    for (size_t i = 0; i < bytes; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%s: control characters are not allowed", field);
        }
    }
    size_t chars = parley_utf8_length(value, bytes);
    if (chars < min_chars) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                min_chars == 1 ? "%s: must not be empty" : "%s: too short", field);
    }
    if (chars > max_chars) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: at most %zu characters", field, max_chars);
    }
    return PARLEY_OK;
}
