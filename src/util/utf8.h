/*
 * utf8.h - UTF-8 validity and length, the rules parley_check_text
 * (util/validate.h) and parley_error_set (util/error.h) apply.
 * Thread-safety: pure functions, any thread.
 */
#ifndef PARLEY_UTF8_H
#define PARLEY_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at text (at most n bytes), 0 when
 * invalid: overlong forms, surrogates and code points past U+10FFFF. */
size_t parley_utf8_sequence(const char *text, size_t n);

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
bool parley_utf8_valid(const char *text, size_t length);

/* Number of code points in valid UTF-8. */
size_t parley_utf8_length(const char *text, size_t length);

#endif
