/*
 * profanity_matcher.h - an Aho-Corasick automaton over the normalised symbol
 * stream (profanity_normalize.h): one pass over a message whatever the
 * number of words, a dense goto table (28 symbols) per state.
 *
 * Words are normalised with the very code messages go through; repeated
 * letters collapse on both sides and a match counts only when every letter
 * of the text repeats as often as in the word or, to catch stretched
 * words, three times or more ("as" is not "ass", "asss" is; "fuuuck" is
 * "fuck"). A doubled letter makes a different word in many languages, so
 * a letter written exactly twice where the word has it once does not
 * match ("toppa" is not "topa", "Bonner" is not "boner", German "bitte" is
 * not French "bite", "Moose" is not "möse"). Boundary rules (the Scunthorpe problem): a match must
 * start at the start of a word and end at the end of one (so "classic", "Scunthorpe", "assistance",
 * "cocktail" never match "ass", "cunt", "cock"), except inside a spelled word ("f u c k") and where
 * the list entry asks for it with a leading/trailing '*' ("*fuck*" also matches in "fuckface",
 * "motherfucker").
 *
 * Ownership: the automaton owns copies of its words. Threads: built once,
 * then read-only; scans from any number of threads.
 */
#ifndef PARLEY_PROFANITY_MATCHER_H
#define PARLEY_PROFANITY_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "strategies/profanity_normalize.h"

typedef struct parley_prof_automaton parley_prof_automaton;

typedef struct parley_prof_word {
    const char *display; /* normalised, uncollapsed, words split by ' ' */
    const char *key;     /* normalised, collapsed */
    size_t len;          /* symbols */
    unsigned tag;        /* the caller's, given to add() */
} parley_prof_word;

parley_prof_automaton *parley_prof_automaton_new(void);
/* Adds a list entry with the caller's tag (returned in every match of it);
 * 1 added, 0 skipped (nothing matchable in it, or a letter outside a-z
 * after normalisation), -1 out of memory. */
int parley_prof_automaton_add(parley_prof_automaton *a, const char *entry, unsigned tag);
/* Computes failure links; call once after the last add. false: no memory. */
bool parley_prof_automaton_build(parley_prof_automaton *a);
size_t parley_prof_automaton_size(const parley_prof_automaton *a);
void parley_prof_automaton_free(parley_prof_automaton *a);

/* Called for every match of units[start..end]; several words ending at the
 * same symbol come one after the other. Return false to stop. */
typedef bool (*parley_prof_match_fn)(void *user, const parley_prof_word *word, size_t start,
                                     size_t end);
void parley_prof_automaton_scan(const parley_prof_automaton *a, const parley_prof_text *text,
                                parley_prof_match_fn fn, void *user);

#endif
