/*
 * profanity_words.h - the word lists the profanity strategy is built from,
 * defined by a C source generated at build time (data/wordlists/generate.js,
 * run by src/strategies/profanity.cmake) from naughty-words, filed by
 * category and severity in data/wordlists/<lang>.txt together with the
 * project's own entries, and the allowlist. Words are UTF-8 as written in
 * the lists; the strategy normalises them at start-up.
 *
 * Threads: constant data, any thread.
 */
#ifndef PARLEY_PROFANITY_WORDS_H
#define PARLEY_PROFANITY_WORDS_H

#include <stddef.h>
#include <stdint.h>

/* What an entry is; the operator picks which categories the strategy acts
 * on (docs/strategies-profanity.md). generate.js emits these names, so its
 * CATEGORIES must list them in this order. */
typedef enum parley_profanity_category {
    PARLEY_PROFANITY_INSULT,     /* aimed at a person: "bastard", "gilipollas" */
    PARLEY_PROFANITY_OBSCENITY,  /* swearing and vulgar slang: "fuck", "merde" */
    PARLEY_PROFANITY_SLUR,       /* ethnic, racial, homophobic, ableist slurs */
    PARLEY_PROFANITY_HATE,       /* hate symbols and slogans: "white power" */
    PARLEY_PROFANITY_VIOLENCE,   /* "rape", "how to kill" */
    PARLEY_PROFANITY_SEXUAL,     /* sexual vocabulary and practices: "sex", "orgasm" */
    PARLEY_PROFANITY_ANATOMICAL, /* medical/anatomical vocabulary: "penis", "anus" */
    PARLEY_PROFANITY_DRUGS,      /* "viagra", "cocaína" */
    PARLEY_PROFANITY_CATEGORY_COUNT
} parley_profanity_category;

/* flags of an entry */
#define PARLEY_PROFANITY_NAME 1u /* also a name: "Dick" written capitalised is left alone */

typedef struct parley_profanity_entry {
    const char *word;
    uint8_t category; /* parley_profanity_category */
    uint8_t severity; /* 1 mild, 2 strong, 3 severe */
    uint8_t flags;    /* PARLEY_PROFANITY_NAME */
} parley_profanity_entry;

typedef struct parley_profanity_wordlist {
    const char *lang; /* "en", "es", ... */
    const parley_profanity_entry *words;
    size_t count;
    /* Ordinary words of this language (the "[everyday]" section of
     * <lang>.txt): already left out of words, and English entries with the
     * same normalised spelling are left out of this language's automaton,
     * e.g. Spanish "negro" (black). NULL-terminated. */
    const char *const *everyday;
    size_t everyday_count;
} parley_profanity_wordlist;

extern const parley_profanity_wordlist parley_profanity_wordlists[];
extern const size_t parley_profanity_wordlist_count;
/* NULL-terminated; count excludes the NULL. */
extern const char *const parley_profanity_default_allowlist[];
extern const size_t parley_profanity_default_allowlist_count;
/* "naughty-words@<version>" */
extern const char parley_profanity_source[];

#endif
