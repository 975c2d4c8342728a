#include "core/validate.h"

#include <string.h>

bool parley_utf8_valid(const char *text, size_t length) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < length) {
        unsigned char c = s[i];
        size_t extra;
        unsigned int cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + extra >= length) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

size_t parley_utf8_length(const char *text, size_t length) {
    size_t count = 0;
    for (size_t i = 0; i < length; i++) {
        if (((unsigned char)text[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}

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
