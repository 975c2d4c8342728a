/*
 * translation_stopwords.h - the fast path of language detection: a text's
 * language decided by its function words ("the", "und", "que", "não"...)
 * when they leave no doubt, in about a microsecond for 100 bytes, before
 * exttextcat (~55 µs) is asked (translation_detect.c).
 *
 * Lists: en es fr de it pt (the profanity lists' languages). A word of
 * several lists ("de", "la", "que", "in") counts for each and decides
 * nothing alone. The verdict: the language with the most words of its own
 * list only ("distinct words") wins when it has at least 2 of them, at
 * least three times as many as any other language, and no fewer words in
 * all than any other; otherwise NULL (ambiguous: the caller falls back).
 * Single words and short lines therefore always fall back.
 *
 * Threads: any; the table is static and read-only.
 */
#ifndef PARLEY_TRANSLATION_STOPWORDS_H
#define PARLEY_TRANSLATION_STOPWORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether code ("es") has a list. */
bool parley_stopwords_covers(const char *code);

/* The decided language among langs[0..n) (the pointer from langs), or
 * NULL when the text's function words do not decide it; the first len
 * bytes of text are read (no NUL needed). Languages of langs without a
 * list are never decided (the caller should not use the fast path when
 * one is among its candidates). */
const char *parley_stopwords_decide(const char *text, size_t len, const char *const *langs,
                                    size_t n);

#endif
