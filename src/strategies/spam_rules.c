/* spam_rules.c - see spam_rules.h. */
#include "strategies/spam_rules.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "util/rate_limiter.h"
#include "strategies/spam_tokenize.h"

static const char *const RULE_NAMES[PARLEY_SPAM_RULE_COUNT] = {
    "rate",   "links",     "blocked_domain", "mentions", "caps",
    "repeat", "duplicate", "near_duplicate", "bayes"};

const char *parley_spam_rule_name(parley_spam_rule rule) {
    return (unsigned)rule < PARLEY_SPAM_RULE_COUNT ? RULE_NAMES[rule] : "unknown";
}

double parley_spam_rule_weight(parley_spam_rule rule) {
    return (rule == PARLEY_SPAM_RULE_CAPS || rule == PARLEY_SPAM_RULE_REPEAT) ? 0.4 : 1.0;
}

/* ---- text fingerprints ---- */

typedef struct fingerprint {
    uint64_t hash; /* of the normalised text */
    size_t chars;  /* normalised length */
    size_t sketch_len;
    uint32_t sketch[PARLEY_SPAM_SKETCH]; /* ascending */
} fingerprint;

static uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bool norm_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static void sketch_add(fingerprint *fp, uint32_t h) {
    size_t n = fp->sketch_len;
    size_t pos = 0;
    while (pos < n && fp->sketch[pos] < h) {
        pos++;
    }
    if (pos < n && fp->sketch[pos] == h) {
        return;
    }
    if (pos >= PARLEY_SPAM_SKETCH) {
        return;
    }
    size_t move = (n < PARLEY_SPAM_SKETCH ? n : PARLEY_SPAM_SKETCH - 1) - pos;
    memmove(&fp->sketch[pos + 1], &fp->sketch[pos], move * sizeof fp->sketch[0]);
    fp->sketch[pos] = h;
    if (n < PARLEY_SPAM_SKETCH) {
        fp->sketch_len++;
    }
}

/* Normalises on the fly: lowercase letters/digits/non-ASCII bytes, any other
 * run as one space, trimmed; hashes it and its 4-byte shingles. */
static void fingerprint_text(const char *text, fingerprint *fp) {
    memset(fp, 0, sizeof *fp);
    uint64_t h = 0xCBF29CE484222325ull;
    unsigned char win[4] = {0};
    size_t n = 0;
    bool pending_space = false;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        }
        if (!norm_byte(c)) {
            pending_space = n > 0;
            continue;
        }
        for (int pass = pending_space ? 0 : 1; pass < 2; pass++) {
            unsigned char out = pass == 0 ? ' ' : c;
            h = (h ^ out) * 0x100000001B3ull;
            win[0] = win[1];
            win[1] = win[2];
            win[2] = win[3];
            win[3] = out;
            n++;
            if (n >= 4) {
                uint64_t s = (uint64_t)win[0] | (uint64_t)win[1] << 8 | (uint64_t)win[2] << 16 |
                             (uint64_t)win[3] << 24;
                sketch_add(fp, (uint32_t)(mix64(s) >> 32));
            }
        }
        pending_space = false;
    }
    if (n > 0 && n < 4) {
        uint64_t s = (uint64_t)win[0] | (uint64_t)win[1] << 8 | (uint64_t)win[2] << 16 |
                     (uint64_t)win[3] << 24;
        sketch_add(fp, (uint32_t)(mix64(s) >> 32));
    }
    fp->hash = mix64(h);
    fp->chars = n;
}

/* Bottom-k estimate of Jaccard: among the k smallest hashes of the union,
 * the share present in both sketches. */
static double sketch_jaccard(const fingerprint *a, const fingerprint *b) {
    size_t i = 0, j = 0, taken = 0, both = 0;
    while (taken < PARLEY_SPAM_SKETCH && (i < a->sketch_len || j < b->sketch_len)) {
        if (j >= b->sketch_len || (i < a->sketch_len && a->sketch[i] < b->sketch[j])) {
            i++;
        } else if (i >= a->sketch_len || b->sketch[j] < a->sketch[i]) {
            j++;
        } else {
            both++;
            i++;
            j++;
        }
        taken++;
    }
    return taken > 0 ? (double)both / (double)taken : 1.0;
}

double parley_spam_similarity(const char *a, const char *b) {
    fingerprint fa, fb;
    fingerprint_text(a, &fa);
    fingerprint_text(b, &fb);
    return sketch_jaccard(&fa, &fb);
}

/* ---- shared state ---- */

typedef struct history_entry {
    int64_t at_ms;
    fingerprint fp;
} history_entry;

typedef struct sender_history {
    history_entry recent[PARLEY_SPAM_HISTORY];
    size_t count; /* entries used */
    size_t next;  /* ring position of the next write */
    UT_hash_handle hh;
    char key[]; /* sender id */
} sender_history;

typedef struct limiter_slot {
    double rate_per_minute;
    double burst;
    parley_rate_limiter *rl;
} limiter_slot;

struct parley_spam_rules {
    pthread_mutex_t lock;
    sender_history *senders; /* insertion order = least recently active first */
    size_t max_senders;
    limiter_slot limiters[PARLEY_SPAM_MAX_LIMITERS];
    size_t limiter_count;
};

parley_spam_rules *parley_spam_rules_create(size_t max_senders) {
    parley_spam_rules *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    r->max_senders = max_senders > 0 ? max_senders : 1;
    return r;
}

void parley_spam_rules_free(parley_spam_rules *rules) {
    if (rules == NULL) {
        return;
    }
    sender_history *h, *tmp;
    HASH_ITER(hh, rules->senders, h, tmp) {
        HASH_DEL(rules->senders, h);
        free(h);
    }
    for (size_t i = 0; i < rules->limiter_count; i++) {
        parley_rate_limiter_free(rules->limiters[i].rl);
    }
    pthread_mutex_destroy(&rules->lock);
    free(rules);
}

/* The limiter for this pair, made on first use; NULL when the table is full
 * or memory is short (the last slot is then shared by the rest). */
static parley_rate_limiter *limiter_for(parley_spam_rules *r, double per_minute, double burst) {
    parley_rate_limiter *rl = NULL;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->limiter_count; i++) {
        if (r->limiters[i].rate_per_minute == per_minute && r->limiters[i].burst == burst) {
            rl = r->limiters[i].rl;
            break;
        }
    }
    if (rl == NULL && r->limiter_count < PARLEY_SPAM_MAX_LIMITERS) {
        parley_rate_limit lim = {.per_second = per_minute / 60.0, .burst = burst};
        rl = parley_rate_limiter_create(lim, r->max_senders);
        if (rl != NULL) {
            r->limiters[r->limiter_count++] =
                (limiter_slot){.rate_per_minute = per_minute, .burst = burst, .rl = rl};
        }
    } else if (rl == NULL && r->limiter_count > 0) {
        rl = r->limiters[r->limiter_count - 1].rl;
    }
    pthread_mutex_unlock(&r->lock);
    return rl;
}

bool parley_spam_rules_rate(parley_spam_rules *rules, const parley_spam_options *opt,
                            const char *sender, int64_t now_ms, int64_t *retry_after_ms) {
    if (retry_after_ms != NULL) {
        *retry_after_ms = 0;
    }
    if (rules == NULL || !(opt->rate_per_minute > 0.0)) {
        return true;
    }
    parley_rate_limiter *rl = limiter_for(rules, opt->rate_per_minute, opt->burst);
    if (rl == NULL) {
        return true; /* out of memory: the other rules still apply */
    }
    return parley_rate_limiter_take(rl, sender != NULL ? sender : "", now_ms, retry_after_ms);
}

/* ---- content rules ---- */

typedef struct link_scan {
    const parley_spam_options *opt;
    parley_spam_findings *out;
} link_scan;

static bool domain_blocked(const char *host, size_t hn, const char *d) {
    size_t dn = strlen(d);
    while (dn > 0 && d[0] == '.') {
        d++;
        dn--;
    }
    if (dn == 0 || dn > hn) {
        return false;
    }
    for (size_t k = 0; k < dn; k++) {
        unsigned char a = (unsigned char)host[hn - dn + k];
        unsigned char b = (unsigned char)d[k];
        if (b >= 'A' && b <= 'Z') {
            b = (unsigned char)(b - 'A' + 'a');
        }
        if (a != b) {
            return false;
        }
    }
    return hn == dn || host[hn - dn - 1] == '.';
}

static int on_link(parley_spam_token_kind kind, const char *token, size_t len, void *ud) {
    link_scan *ls = ud;
    if (kind != PARLEY_SPAM_TOKEN_URL) {
        return 0;
    }
    ls->out->links++;
    const char *host = token + 4;
    size_t hn = len - 4;
    for (size_t i = 0; i < ls->opt->blocked_count; i++) {
        const char *d = ls->opt->blocked_domains[i];
        if (d != NULL && domain_blocked(host, hn, d)) {
            if (ls->out->blocked_domain[0] == '\0') {
                size_t n = hn < sizeof ls->out->blocked_domain - 1
                               ? hn
                               : sizeof ls->out->blocked_domain - 1;
                memcpy(ls->out->blocked_domain, host, n);
                ls->out->blocked_domain[n] = '\0';
            }
            ls->out->hits |= 1u << PARLEY_SPAM_RULE_BLOCKED_DOMAIN;
            break;
        }
    }
    return 0;
}

static bool is_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/* Length of the UTF-8 sequence starting with b (1 for stray bytes). */
static size_t seq_len(unsigned char b) {
    if (b >= 0xF0 && b <= 0xF4) {
        return 4;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        return 3;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        return 2;
    }
    return 1;
}

void parley_spam_rules_check_content(const parley_spam_options *opt, const char *text,
                                     parley_spam_findings *out) {
    if (text == NULL) {
        text = "";
    }
    size_t len = strlen(text);
    link_scan ls = {.opt = opt, .out = out};
    parley_spam_tokenize(text, len, 0, on_link, &ls);
    if (opt->max_links >= 0 && out->links > (size_t)opt->max_links) {
        out->hits |= 1u << PARLEY_SPAM_RULE_LINKS;
    }

    size_t letters = 0, upper = 0, run = 0, best = 0;
    const unsigned char *s = (const unsigned char *)text;
    const unsigned char *prev = NULL;
    size_t prev_n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n = seq_len(c);
        if (n > len - i) {
            n = len - i;
        }
        if (c == '@' && i + 1 < len && is_word(s[i + 1]) && (i == 0 || !is_word(s[i - 1]))) {
            out->mentions++;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            letters++;
            upper += c <= 'Z';
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            run = 0;
            prev = NULL;
        } else if (prev != NULL && prev_n == n && memcmp(prev, s + i, n) == 0) {
            run++;
        } else {
            run = 1;
            prev = s + i;
            prev_n = n;
        }
        if (run > best) {
            best = run;
        }
        i += n;
    }
    out->repeat_run = best;
    if (opt->max_mentions >= 0 && out->mentions > (size_t)opt->max_mentions) {
        out->hits |= 1u << PARLEY_SPAM_RULE_MENTIONS;
    }
    if (letters > 0 && letters >= (size_t)(opt->caps_min_letters > 0 ? opt->caps_min_letters : 1)) {
        out->caps = (double)upper / (double)letters;
        if (opt->caps_ratio > 0.0 && opt->caps_ratio <= 1.0 && out->caps >= opt->caps_ratio) {
            out->hits |= 1u << PARLEY_SPAM_RULE_CAPS;
        }
    }
    if (opt->max_repeat > 0 && best >= (size_t)opt->max_repeat) {
        out->hits |= 1u << PARLEY_SPAM_RULE_REPEAT;
    }
}

/* ---- duplicates ---- */

void parley_spam_rules_check_duplicates(parley_spam_rules *rules, const parley_spam_options *opt,
                                        const char *sender, const char *text, int64_t now_ms,
                                        parley_spam_findings *out) {
    if (rules == NULL || opt->max_duplicates <= 0) {
        return;
    }
    fingerprint fp;
    fingerprint_text(text, &fp);
    if (fp.chars < PARLEY_SPAM_DUP_MIN_CHARS) {
        return;
    }
    const char *key = sender != NULL ? sender : "";
    int64_t window_ms =
        (int64_t)(opt->duplicate_window_seconds > 0 ? opt->duplicate_window_seconds : 0) * 1000;
    pthread_mutex_lock(&rules->lock);
    sender_history *h = NULL;
    HASH_FIND_STR(rules->senders, key, h);
    if (h != NULL) {
        HASH_DEL(rules->senders, h); /* re-added at the end: most recently active */
    } else {
        if (HASH_COUNT(rules->senders) >= rules->max_senders) {
            sender_history *oldest = rules->senders;
            HASH_DEL(rules->senders, oldest);
            free(oldest);
        }
        size_t kn = strlen(key);
        h = calloc(1, sizeof *h + kn + 1);
        if (h == NULL) {
            pthread_mutex_unlock(&rules->lock);
            return;
        }
        memcpy(h->key, key, kn + 1);
    }
    for (size_t i = 0; i < h->count; i++) {
        const history_entry *e = &h->recent[i];
        if (now_ms - e->at_ms > window_ms || now_ms < e->at_ms - window_ms) {
            continue;
        }
        if (e->fp.hash == fp.hash && e->fp.chars == fp.chars) {
            out->duplicates++;
        } else if (sketch_jaccard(&e->fp, &fp) >= PARLEY_SPAM_NEAR_JACCARD) {
            out->near_duplicates++;
        }
    }
    h->recent[h->next] = (history_entry){.at_ms = now_ms, .fp = fp};
    h->next = (h->next + 1) % PARLEY_SPAM_HISTORY;
    if (h->count < PARLEY_SPAM_HISTORY) {
        h->count++;
    }
    HASH_ADD_STR(rules->senders, key, h);
    pthread_mutex_unlock(&rules->lock);

    size_t limit = (size_t)opt->max_duplicates;
    if (out->duplicates >= limit) {
        out->hits |= 1u << PARLEY_SPAM_RULE_DUPLICATE;
    } else if (out->near_duplicates > 0 && out->duplicates + out->near_duplicates >= limit) {
        out->hits |= 1u << PARLEY_SPAM_RULE_NEAR_DUPLICATE;
    }
}
