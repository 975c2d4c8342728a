/*
 * validate.h - the check_* helpers that guard every service entry point:
 * they validate input and never change state (Zulip's check_/do_ split).
 * Thread-safety: pure functions, any thread.
 */
#ifndef PARLEY_VALIDATE_H
#define PARLEY_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* A text field: NULL is allowed only when !required; length is counted in
 * UTF-8 code points and must lie in [min_chars, max_chars]; the text must
 * be valid UTF-8 without NUL or other C0 control characters other than
 * tab, newline and carriage return. */
parley_status parley_check_text(const char *field, const char *value, bool required,
                                size_t min_chars, size_t max_chars, parley_error *err);

/* Length of the valid UTF-8 sequence at text (at most n bytes), 0 when
 * invalid: overlong forms, surrogates and code points past U+10FFFF. */
size_t parley_utf8_sequence(const char *text, size_t n);

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
bool parley_utf8_valid(const char *text, size_t length);

/* Number of code points in valid UTF-8. */
size_t parley_utf8_length(const char *text, size_t length);

#endif
