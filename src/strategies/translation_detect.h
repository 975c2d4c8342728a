/*
 * translation_detect.h - language detection with libexttextcat, restricted
 * to a set of languages: the ones that have apertium pairs (en es fr pt
 * ca) for the translation strategy, those with profanity lists (en es fr
 * de pt it) for the profanity strategy (builtin.c creates one of each).
 *
 * Verdict: texts shorter than min_chars bytes keep the known language (may
 * be NULL = unknown). When every language of the detector's set has a
 * stopword list (translation_stopwords.h: en es fr de it pt, so the
 * profanity detector but not translation's, which has ca), the text's
 * function words decide first when they leave no doubt and agree with
 * the known language (~1 µs instead of ~55). Otherwise exttextcat ranks the candidates within its
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

/* lm_dir: NULL = /usr/share/libexttextcat. NULL on failure. The
 * translation strategy's languages (en es fr pt ca). */
parley_langdetect *parley_langdetect_create(const char *lm_dir);
/* The same for the n (1 to 16) given codes, each with a <code>.lm in
 * lm_dir; the strings must outlive the detector (string literals).
 * NULL on failure. */
parley_langdetect *parley_langdetect_create_for(const char *lm_dir, const char *const *langs,
                                                size_t n);
void parley_langdetect_free(parley_langdetect *d);

/* A static ISO 639-1 code of the detector's set, or known (which may be
 * NULL; one outside the set counts as NULL) when unsure. *detected (when
 * not NULL) tells whether the text itself decided. */
const char *parley_langdetect_detect(parley_langdetect *d, const char *text, size_t min_chars,
                                     const char *known, bool *detected);

/* A parley_profanity_detect_fn: detector is a parley_langdetect; the code
 * when the text itself decided, else NULL (no minimum length: the caller
 * decides what it gives). */
const char *parley_langdetect_decided(void *detector, const char *text, const char *known);

/* The static code for a language of the translation set ("en", "es",
 * ...), or NULL. */
const char *parley_langdetect_supported(const char *code);

#endif
