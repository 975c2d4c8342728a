/*
 * profanity.h - the "profanity" MessageProcessingStrategy: finds swear
 * words of the message's declared language, English and the language
 * detected in the text, and censors them ("fuck" -> "f***": first
 * character kept, every other character of the match one '*', so the
 * character count never changes) or, with {"mode": "reject"}, refuses the
 * message (PARLEY_E_REJECTED, code "profanity_detected").
 *
 * Session options: {"name": "profanity", "mode": "censor"|"reject",
 * "language": "fr", "categories": ["insult", ...], "min_severity": 1..3}.
 * Every list entry has a category and a severity (profanity_words.h); only
 * entries of the chosen categories at or above min_severity count (default:
 * insult, obscenity, slur, hate; 1). Declared language: the option, else
 * ctx->meta "language" (set by an earlier strategy), else the sender's
 * stored language; lists are en, es, fr, de, pt, it (a tag's primary
 * subtag counts: "pt-BR" is pt), each applied with English. With a
 * detector set (parley_profanity_set_detector), the language detected in a
 * message of PARLEY_PROFANITY_DETECT_MIN bytes or more is checked too; with
 * no declared language it replaces English (its automaton holds English,
 * less that language's everyday words). The detector is asked only when
 * its verdict can change the outcome: some entry of any list matched and,
 * with a declared language, one outside that language's automaton.
 * Evasions handled and boundary rules: see profanity_normalize.h and
 * profanity_matcher.h.
 *
 * On MODIFIED the meta gets {"profanity": {"censored": N, "words": [...],
 * "language": "en"[, "detected": "es"]}} and "original_content" (unless an
 * earlier strategy set it). A message without a match PASSES untouched,
 * without meta.
 *
 * Ownership/threads: the shared state (automata, allowlist) is created once
 * at start and outlives every chain; automata are read-only, the allowlist
 * is behind a rwlock, so any worker may run the strategy and an admin
 * request may edit the allowlist concurrently.
 */
#ifndef PARLEY_PROFANITY_H
#define PARLEY_PROFANITY_H

#include <jansson.h>

#include "util/error.h"
#include "core/strategy.h"

extern const parley_strategy_ops parley_profanity_strategy_ops;

/* Messages shorter than this (bytes) are not given to the detector. */
#define PARLEY_PROFANITY_DETECT_MIN 20

/* A language detector: the language code of text when the text itself
 * decides it (one of en es fr de pt it for a list to apply), else NULL;
 * known is the declared language or NULL. Called from any worker. */
typedef const char *(*parley_profanity_detect_fn)(void *ctx, const char *text, const char *known);

/* Builds every language's automaton and seeds the allowlist from
 * data/wordlists/allowlist.txt. */
parley_status parley_profanity_shared_create(void **shared, parley_error *err);
void parley_profanity_shared_free(void *shared);
/* Copies up to max language codes with lists (static strings: "en" first)
 * into codes; returns how many there are. */
size_t parley_profanity_languages(void *shared, const char **codes, size_t max);
/* Gives the strategy a detector (ctx stays the caller's; NULL fn: none).
 * The profanity strategy lives in parley_core, which links no detector:
 * builtin.c passes exttextcat's (translation_detect.h). Call before any
 * message is processed (start-up, main thread). */
void parley_profanity_set_detector(void *shared, parley_profanity_detect_fn fn, void *ctx);

/* The allowlist: words never censored, compared after normalisation with
 * the whole word a match lies in and with the matched list entry.
 * allow: PARLEY_E_INVALID when the word has no letters; adding one already
 * there is OK. disallow: PARLEY_E_NOT_FOUND when absent. */
parley_status parley_profanity_allow(void *shared, const char *word, parley_error *err);
parley_status parley_profanity_disallow(void *shared, const char *word, parley_error *err);
/* Finds the entry a word normalises to ("Sh1t" finds "shit"): PARLEY_OK
 * with the word as it was added (stored, truncated to stored_size) and
 * whether it is built in; PARLEY_E_NOT_FOUND; PARLEY_E_INVALID for an empty
 * word, one of KEY_MAX (256) bytes or more, or one without letters. */
parley_status parley_profanity_allowlist_find(void *shared, const char *word, char *stored,
                                              size_t stored_size, bool *built_in,
                                              parley_error *err);
/* The allowlist as a JSON array of the words as added (new reference, or
 * NULL when out of memory). */
json_t *parley_profanity_allowlist(void *shared);

#endif
