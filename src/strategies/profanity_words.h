/*
 * profanity_words.h - the word lists the profanity strategy is built from,
 * defined by a C source generated at build time (data/wordlists/generate.js,
 * run by src/strategies/profanity.cmake) from naughty-words plus the
 * project's additions and allowlist. Words are UTF-8 as written in the
 * lists; the strategy normalises them at start-up.
 *
 * Threads: constant data, any thread.
 */
#ifndef PARLEY_PROFANITY_WORDS_H
#define PARLEY_PROFANITY_WORDS_H

#include <stddef.h>

typedef struct parley_profanity_wordlist {
    const char *lang; /* "en", "es", ... */
    const char *const *words;
    size_t count;
    /* English entries that are innocent words in this language (from
     * "!word" lines of additions-<lang>.txt): left out of this language's
     * automaton, e.g. Spanish "negro" (black). NULL-terminated. */
    const char *const *innocent;
    size_t innocent_count;
} parley_profanity_wordlist;

extern const parley_profanity_wordlist parley_profanity_wordlists[];
extern const size_t parley_profanity_wordlist_count;
/* NULL-terminated; count excludes the NULL. */
extern const char *const parley_profanity_default_allowlist[];
extern const size_t parley_profanity_default_allowlist_count;
/* "naughty-words@<version>" */
extern const char parley_profanity_source[];

#endif
