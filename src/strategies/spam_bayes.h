/*
 * spam_bayes.h - the spam strategy's Bayesian classifier, in the spirit of
 * bogofilter: token -> (spam_count, ham_count) plus message totals, learned
 * from messages that agents mark as spam or not spam, combined with Gary
 * Robinson's f(w) and Fisher's inverse chi-square.
 *
 * The formula (each distinct token of a message is counted once):
 *   b = spam_count(w) / spam_messages, g = ham_count(w) / ham_messages
 *   p(w) = b / (b + g)                      (0.5 when b + g == 0)
 *   n    = spam_count(w) + ham_count(w)
 *   f(w) = (s * x + n * p(w)) / (s + n)     (Robinson's smoothed estimate)
 * Only tokens with |f(w) - 0.5| >= min_dev are used, at most max_tokens of
 * them (the most significant). With N such tokens:
 *   S = 1 - chi2Q(-2 * sum ln(1 - f(w)), 2N)    (spam evidence)
 *   H = 1 - chi2Q(-2 * sum ln f(w), 2N)         (ham evidence)
 *   spamicity = (1 + S - H) / 2                 (0.5 when N == 0)
 * chi2Q is the upper tail of the chi-square distribution (even degrees of
 * freedom, computed in log space so long messages do not underflow).
 * Defaults (PARLEY_SPAM_BAYES_DEFAULTS): s = 1.0, x = 0.5, min_dev = 0.1,
 * max_tokens = 150; see docs/strategies-spam.md for how they were chosen.
 *
 * Ownership: the creator frees the model with parley_spam_model_free().
 * Threads: every function except create/free may be called from any thread
 * at the same time: classify and export take a read lock (many at once),
 * train, untrain and import a write lock.
 */
#ifndef PARLEY_SPAM_BAYES_H
#define PARLEY_SPAM_BAYES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strategies/spam_tokenize.h"

typedef struct parley_spam_model parley_spam_model;

typedef struct parley_spam_bayes_params {
    double s;          /* Robinson's strength of the prior (robs) */
    double x;          /* Robinson's prior for an unknown token (robx) */
    double min_dev;    /* ignore tokens with |f - 0.5| below this */
    size_t max_tokens; /* use at most this many significant tokens */
    unsigned flags;    /* tokenizer flags (PARLEY_SPAM_TOKENIZE_BIGRAMS) */
} parley_spam_bayes_params;

#define PARLEY_SPAM_BAYES_DEFAULTS                                                                 \
    ((parley_spam_bayes_params){.s = 1.0, .x = 0.5, .min_dev = 0.1, .max_tokens = 150, .flags = 0})

#define PARLEY_SPAM_BAYES_TOP 8

/* A token that weighed in a verdict, for meta and admin review. */
typedef struct parley_spam_token_score {
    char token[PARLEY_SPAM_TOKEN_SIZE + 1];
    double f; /* Robinson's f(w): near 1 spammy, near 0 hammy */
} parley_spam_token_score;

typedef struct parley_spam_verdict {
    double probability; /* spamicity in [0, 1] */
    size_t tokens_used; /* N above */
    size_t top_count;
    parley_spam_token_score top[PARLEY_SPAM_BAYES_TOP]; /* most significant first */
} parley_spam_verdict;

/* NULL params gives the defaults. Returns NULL when out of memory. */
parley_spam_model *parley_spam_model_create(const parley_spam_bayes_params *params);
void parley_spam_model_free(parley_spam_model *model);

/* Learns text as spam (is_spam) or ham. PARLEY_E_NOMEM-style failure is
 * reported as false (the model is then unchanged). */
bool parley_spam_model_train(parley_spam_model *model, const char *text, bool is_spam);

/* Undoes one earlier train(text, is_spam) (counts never go below 0), e.g.
 * when an agent corrects a label: untrain(old label) then train(new). */
bool parley_spam_model_untrain(parley_spam_model *model, const char *text, bool is_spam);

/* Classifies text; verdict may be NULL when only the probability matters.
 * An untrained model (no spam or no ham messages) answers 0.5. */
double parley_spam_model_classify(parley_spam_model *model, const char *text,
                                  parley_spam_verdict *verdict);

/* Message totals. */
void parley_spam_model_totals(parley_spam_model *model, uint64_t *spam_messages,
                              uint64_t *ham_messages);
/* Number of distinct tokens stored. */
size_t parley_spam_model_size(parley_spam_model *model);
/* Counts of one token (0, 0 when unknown). */
void parley_spam_model_token_counts(parley_spam_model *model, const char *token, uint64_t *spam,
                                    uint64_t *ham);

/* Export for persistence: calls fn once per stored token (any order) under
 * the read lock; fn must not call back into the model. Return nonzero from
 * fn to stop. Returns the number of tokens visited. Totals: see above. */
typedef int (*parley_spam_export_fn)(const char *token, uint64_t spam, uint64_t ham, void *ud);
size_t parley_spam_model_export(parley_spam_model *model, parley_spam_export_fn fn, void *ud);

/* Import: sets the totals, and sets (replaces) one token's counts; a token
 * with both counts 0 is removed. Tokens longer than PARLEY_SPAM_TOKEN_SIZE
 * are refused (false). */
void parley_spam_model_set_totals(parley_spam_model *model, uint64_t spam_messages,
                                  uint64_t ham_messages);
bool parley_spam_model_set_token(parley_spam_model *model, const char *token, uint64_t spam,
                                 uint64_t ham);
/* The distinct tokens train(text) counts (each once, sorted), so a caller
 * that persists counts as deltas (Repository spam_token_add) can add +1 or
 * -1 to exactly these after train or untrain. fn returns nonzero to stop.
 * Returns the number of tokens visited (0 also when out of memory). */
typedef int (*parley_spam_text_token_fn)(const char *token, void *ud);
size_t parley_spam_model_text_tokens(parley_spam_model *model, const char *text,
                                     parley_spam_text_token_fn fn, void *ud);

/* Forgets everything. */
void parley_spam_model_clear(parley_spam_model *model);

#endif
