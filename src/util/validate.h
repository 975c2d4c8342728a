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
#include "util/utf8.h" /* parley_check_text's UTF-8 rules; callers use them too */

/* A text field: NULL is allowed only when !required; length is counted in
 * UTF-8 code points and must lie in [min_chars, max_chars]; the text must
 * be valid UTF-8 without NUL or other C0 control characters other than
 * tab, newline and carriage return. */
parley_status parley_check_text(const char *field, const char *value, bool required,
                                size_t min_chars, size_t max_chars, parley_error *err);

#endif
