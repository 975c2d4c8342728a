/*
 * profanity_normalize.h - turns chat text (or a list word) into the symbol
 * stream the profanity matcher runs on, remembering where every symbol came
 * from so censoring can replace the original characters.
 *
 * Steps, per original character (invalid UTF-8 bytes are one character each
 * and act as separators):
 *  1. utf8proc: compatibility decomposition, case folding, marks stripped,
 *     default-ignorable code points (zero-width space/joiner, soft hyphen)
 *     dropped (NFKC casefold without recomposition: "Ｆ" "𝐟" "ﬀ" "É" fold);
 *  2. look-alikes: Cyrillic and Greek letters that look Latin (а е о р с х
 *     у к м н т і ѕ ј, α ε ι κ ο ρ τ υ ν ...) and ł ø đ ı become a-z;
 *  3. a word is a run of letters and leetspeak characters; inside a word
 *     that has at least one real letter, 4 @ → a, 8 → b, 3 → e, 9 6 → g,
 *     1 ! → i, | → l, 0 → o, 5 $ → s, 7 + → t; '!' '|' '@' at the ends of a
 *     word are punctuation ("fuck!" stays "fuck");
 *  4. three or more one-letter words separated by 1 to 3 non-newline
 *     characters ("f u c k", "f.u.c.k", "f-u-c-k") are joined into one
 *     "spelled" word, in which a match may start and end anywhere;
 *  5. repeated letters collapse into one symbol with a run count
 *     ("fuuuck" is f u(3) c k), the matcher compares run counts;
 *  6. words are separated by one SEP symbol.
 * Symbols: 1..26 = a..z, PARLEY_PROF_SYM_SEP, PARLEY_PROF_SYM_OTHER for any
 * other letter (Han, Arabic, unmapped Cyrillic...), which no word contains.
 *
 * Threads: pure functions, any thread.
 */
#ifndef PARLEY_PROFANITY_NORMALIZE_H
#define PARLEY_PROFANITY_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARLEY_PROF_SYM_OTHER 0
#define PARLEY_PROF_SYM_SEP 27
#define PARLEY_PROF_ALPHABET 28

typedef struct parley_prof_unit {
    uint8_t sym;
    uint8_t spelled;     /* 1 inside a joined "f u c k" word */
    uint32_t run;        /* how many times the letter repeats (>= 1) */
    uint32_t first_char; /* original characters it came from */
    uint32_t last_char;
} parley_prof_unit;

typedef struct parley_prof_text {
    parley_prof_unit *units;
    size_t count;
    uint32_t *char_offset; /* byte offset of each character; [char_count] = length */
    size_t char_count;
} parley_prof_text;

/* Normalises len bytes of s (any bytes). false when out of memory (out is
 * then empty). Free with parley_prof_text_free. */
bool parley_prof_normalize(const char *s, size_t len, parley_prof_text *out);
void parley_prof_text_free(parley_prof_text *t);

/* Writes the letters of units[from..to] (inclusive) as a-z, SEP as ' ',
 * OTHER as '?', each letter once (collapsed) when collapse, else run times.
 * Writes at most size-1 bytes and a NUL; returns the length needed. */
size_t parley_prof_spell(const parley_prof_unit *units, size_t from, size_t to, bool collapse,
                         char *buf, size_t size);

#endif
