/*
 * text_similarity.h - TF-IDF cosine similarity between short texts (its
 * user is the knowledge base, core/knowledge_base.h, the ChatBot's matcher).
 *
 * A text is normalised (utf8proc: NFKC, case folding, accents stripped),
 * cut into words (letters and digits), stopwords dropped (small English,
 * Spanish and French lists), and described by two sparse vectors:
 *   - words: unigrams and bigrams of the remaining words;
 *   - characters: 3- to 5-grams of each remaining word padded with spaces,
 *     so "pasword" still shares most n-grams with "password" (typos,
 *     plurals, conjugations).
 * Each feature weighs (1 + ln tf) * idf, idf = ln((1 + N) / (1 + df)) + 1
 * over the N indexed phrasings; each vector is L2-normalised and the score
 * of a phrasing is 0.4 * cos(words) + 0.6 * cos(characters), in 0..1. A
 * document (a knowledge-base entry) may have several phrasings; its score
 * is that of its best one. Features are 64-bit FNV-1a hashes of their text
 * (collisions are negligible at knowledge-base sizes).
 *
 * Ownership: an index owns everything it holds; parley_tsim_index_free.
 * Threads: an index is built by one thread; once built, queries only read
 * it, so any number of threads may query it at once (the knowledge base
 * guards replacement with a rwlock).
 */
#ifndef PARLEY_TEXT_SIMILARITY_H
#define PARLEY_TEXT_SIMILARITY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_tsim_index parley_tsim_index;

typedef struct parley_tsim_match {
    size_t doc;   /* the caller's document number given to _add */
    double score; /* 0..1 */
} parley_tsim_match;

/* The normalised form of text (malloc'd; NULL when out of memory or text
 * is not valid UTF-8). */
char *parley_tsim_normalize(const char *text);

/* True when the normalised text contains word (already normalised) as a
 * whole word: the bot's handoff keywords. */
bool parley_tsim_has_word(const char *normalized, const char *word);

parley_tsim_index *parley_tsim_index_new(void);
/* Adds one phrasing of document doc; false when out of memory. */
bool parley_tsim_index_add(parley_tsim_index *ix, size_t doc, const char *text);
/* Computes idf and the phrasings' vectors; call once after the last add.
 * false when out of memory (the index is then unusable: free it). */
bool parley_tsim_index_build(parley_tsim_index *ix);
/* Up to max documents by descending score (ties: lower doc first), each
 * scoring above zero; returns how many were written. */
size_t parley_tsim_query(const parley_tsim_index *ix, const char *text, parley_tsim_match *out,
                         size_t max);
size_t parley_tsim_index_phrasings(const parley_tsim_index *ix);
void parley_tsim_index_free(parley_tsim_index *ix);

#endif
