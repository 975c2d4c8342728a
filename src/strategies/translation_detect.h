/*
 * translation_detect.h - language detection with libexttextcat, restricted
 * to the languages that have apertium pairs (en es fr pt ca).
 *
 * Verdict: texts shorter than min_chars bytes keep the known language (may
 * be NULL = unknown). Otherwise exttextcat ranks the candidates within its
 * own margin: when the known language is among them it is kept (a chat's
 * language does not flip on one ambiguous line); otherwise the first wins
 * when there are at most three, and more (or "UNKNOWN"/"SHORT") keep the
 * known language.
 *
 * Threads: one detector is shared; classification is serialised by a mutex
 * (a few microseconds a message).
 */
#ifndef PARLEY_TRANSLATION_DETECT_H
#define PARLEY_TRANSLATION_DETECT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_langdetect parley_langdetect;

/* lm_dir: NULL = /usr/share/libexttextcat. NULL on failure. */
parley_langdetect *parley_langdetect_create(const char *lm_dir);
void parley_langdetect_free(parley_langdetect *d);

/* A static ISO 639-1 code, or known (which may be NULL) when unsure.
 * *detected (when not NULL) tells whether the text itself decided. */
const char *parley_langdetect_detect(parley_langdetect *d, const char *text, size_t min_chars,
                                     const char *known, bool *detected);

/* The static code for a supported language ("en", "es", ...), or NULL. */
const char *parley_langdetect_supported(const char *code);

#endif
