/*
 * spam_rules.h - the spam strategy's rules, the ones chat products use:
 * per-sender message rate and burst, duplicate and near-duplicate messages
 * within a window, link count and a domain blocklist, mass mentions, all
 * caps and repeated characters.
 *
 * Content rules (links, blocked domains, mentions, caps, repeats) are pure
 * functions of the text and the options. Rate and duplicates keep state per
 * sender in a parley_spam_rules object that lives as long as the server:
 *  - rate: one parley_rate_limiter per distinct (rate_per_minute, burst)
 *    pair (at most PARLEY_SPAM_MAX_LIMITERS pairs), keyed by sender id;
 *  - duplicates: for each sender, its last PARLEY_SPAM_HISTORY messages as a
 *    64-bit hash of the normalised text (lowercase letters and digits, runs
 *    of anything else as one space) plus a bottom-k MinHash sketch
 *    (PARLEY_SPAM_SKETCH smallest hashes of the character 4-gram shingles)
 *    from which Jaccard similarity is estimated (exact for short texts).
 *    At most max_senders senders are kept; the least recently active is
 *    forgotten first. Texts whose normalised form is shorter than
 *    PARLEY_SPAM_DUP_MIN_CHARS ("ok", "thanks", "hello?") are never
 *    counted as duplicates.
 * Memory: about (PARLEY_SPAM_HISTORY * (PARLEY_SPAM_SKETCH * 4 + 24) + 80)
 * bytes per sender, i.e. about 1.3 KB; 4096 senders take about 5 MB.
 *
 * Threads: every function may be called from any thread at the same time
 * (one mutex guards the history, the limiters have their own).
 */
#ifndef PARLEY_SPAM_RULES_H
#define PARLEY_SPAM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARLEY_SPAM_HISTORY 8
#define PARLEY_SPAM_SKETCH 32
#define PARLEY_SPAM_DUP_MIN_CHARS 12
#define PARLEY_SPAM_MAX_LIMITERS 16
#define PARLEY_SPAM_NEAR_JACCARD 0.7

typedef enum parley_spam_rule {
    PARLEY_SPAM_RULE_RATE = 0,
    PARLEY_SPAM_RULE_LINKS,
    PARLEY_SPAM_RULE_BLOCKED_DOMAIN,
    PARLEY_SPAM_RULE_MENTIONS,
    PARLEY_SPAM_RULE_CAPS,
    PARLEY_SPAM_RULE_REPEAT,
    PARLEY_SPAM_RULE_DUPLICATE,
    PARLEY_SPAM_RULE_NEAR_DUPLICATE,
    PARLEY_SPAM_RULE_BAYES,
    PARLEY_SPAM_RULE_COUNT
} parley_spam_rule;

/* "rate", "links", "blocked_domain", "mentions", "caps", "repeat",
 * "duplicate", "near_duplicate", "bayes". */
const char *parley_spam_rule_name(parley_spam_rule rule);
/* How much a rule adds to the score: 1.0 for the hard rules, 0.4 for caps and
 * repeat (alone or together they only mark the message). */
double parley_spam_rule_weight(parley_spam_rule rule);

typedef struct parley_spam_options {
    int max_links;                      /* more links than this flags; < 0 disables */
    const char *const *blocked_domains; /* a domain blocks itself and its subdomains */
    size_t blocked_count;
    int max_mentions;       /* more @mentions than this flags; < 0 disables */
    double caps_ratio;      /* upper/letters at or above this flags; <= 0 or > 1 disables */
    int caps_min_letters;   /* texts with fewer ASCII letters are not judged */
    int max_repeat;         /* a run of this many identical characters flags; <= 0 disables */
    double rate_per_minute; /* <= 0 disables */
    double burst;
    int max_duplicates; /* earlier copies within the window that flag; <= 0 disables */
    int duplicate_window_seconds;
} parley_spam_options;

/* What the content and duplicate rules found. */
typedef struct parley_spam_findings {
    unsigned hits; /* bit (1u << parley_spam_rule) per rule that fired */
    size_t links;
    size_t mentions;
    double caps;            /* upper / letters, 0 when not judged */
    size_t repeat_run;      /* longest run of one character (not white space) */
    size_t duplicates;      /* exact copies in the window */
    size_t near_duplicates; /* similar (Jaccard >= 0.7) but not exact */
    char blocked_domain[254];
} parley_spam_findings;

typedef struct parley_spam_rules parley_spam_rules;

/* Returns NULL when out of memory. Needs parley_crypto_init() (rate limiter). */
parley_spam_rules *parley_spam_rules_create(size_t max_senders);
void parley_spam_rules_free(parley_spam_rules *rules);

/* Takes one message from sender's budget; false when over the rate or
 * burst, with *retry_after_ms (>= 1) until the next is allowed. */
bool parley_spam_rules_rate(parley_spam_rules *rules, const parley_spam_options *opt,
                            const char *sender, int64_t now_ms, int64_t *retry_after_ms);

/* Links, blocked domains, mentions, caps, repeats; fills *out. */
void parley_spam_rules_check_content(const parley_spam_options *opt, const char *text,
                                     parley_spam_findings *out);

/* Compares text with sender's recent messages within the window (adding the
 * duplicate bits and counts to *out), then records it. */
void parley_spam_rules_check_duplicates(parley_spam_rules *rules, const parley_spam_options *opt,
                                        const char *sender, const char *text, int64_t now_ms,
                                        parley_spam_findings *out);

/* Estimated Jaccard similarity of two texts' shingle sets (for tests). */
double parley_spam_similarity(const char *a, const char *b);

#endif
