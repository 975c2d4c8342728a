/*
 * spam_tokenize.h - the spam strategy's tokenizer: splits chat text into the
 * tokens the Bayesian model counts and the rules inspect.
 *
 * Rules (byte based, UTF-8 aware in that bytes >= 0x80 are word bytes, so a
 * multi-byte character is never split):
 *  - a word is a run of ASCII letters, digits and bytes >= 0x80; ASCII is
 *    lowercased; words of 1 byte or longer than PARLEY_SPAM_TOKEN_MAX_WORD
 *    bytes are dropped (as bogofilter does);
 *  - a word made only of digits becomes "#num" (numbers collapsed);
 *  - a URL ("http://", "https://" or "www." at a word start) becomes one
 *    token "url:<host>" with the host lowercased and without a leading
 *    "www."; the rest of the URL (path, query) is skipped;
 *  - with PARLEY_SPAM_TOKENIZE_BIGRAMS, every pair of consecutive words also
 *    gives "<w1> <w2>".
 * At most PARLEY_SPAM_TOKEN_MAX_COUNT tokens are produced per text.
 *
 * Threads: pure function, any thread.
 */
#ifndef PARLEY_SPAM_TOKENIZE_H
#define PARLEY_SPAM_TOKENIZE_H

#include <stddef.h>

#define PARLEY_SPAM_TOKEN_MAX_WORD 30
#define PARLEY_SPAM_TOKEN_MAX_HOST 253
/* Longest token produced, without the NUL (a bigram of two long words, or
 * "url:" and a host). */
#define PARLEY_SPAM_TOKEN_SIZE 272
#define PARLEY_SPAM_TOKEN_MAX_COUNT 4096

#define PARLEY_SPAM_TOKENIZE_BIGRAMS 1u

typedef enum parley_spam_token_kind {
    PARLEY_SPAM_TOKEN_WORD = 0,
    PARLEY_SPAM_TOKEN_NUMBER,
    PARLEY_SPAM_TOKEN_URL, /* token is "url:<host>" */
    PARLEY_SPAM_TOKEN_BIGRAM
} parley_spam_token_kind;

/* Called once per token; token is NUL-terminated and valid only during the
 * call. Return nonzero to stop early. */
typedef int (*parley_spam_token_fn)(parley_spam_token_kind kind, const char *token, size_t len,
                                    void *ud);

/* Tokenizes text[0..len) (need not be NUL-terminated; NUL bytes separate
 * words). Returns the number of tokens produced. */
size_t parley_spam_tokenize(const char *text, size_t len, unsigned flags, parley_spam_token_fn fn,
                            void *ud);

#endif
