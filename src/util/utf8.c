#include "util/utf8.h"

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
