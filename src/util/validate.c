#include "util/validate.h"

#include <string.h>

size_t parley_utf8_sequence(const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    if (n == 0) {
        return 0;
    }
    unsigned char c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return len;
}

bool parley_utf8_valid(const char *text, size_t length) {
    size_t i = 0;
    while (i < length) {
        size_t seq = parley_utf8_sequence(text + i, length - i);
        if (seq == 0) {
            return false;
        }
        i += seq;
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
