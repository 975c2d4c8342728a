/* spam.c - the "spam" strategy; see spam.h. */
#include "strategies/spam.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/participant.h"
#include "util/rate_limiter.h"

typedef struct spam_shared {
    parley_spam_model *model;
    parley_spam_rules *rules;
    int64_t (*now_ms)(void *ud);
    void *clock_ud;
} spam_shared;

typedef struct spam_strategy {
    parley_strategy base;
    spam_shared *shared;
    parley_spam_options opt;
    double bayes_threshold;
    int bayes_min_messages;
    char **domains; /* blocked_domains copies; opt.blocked_domains points here */
} spam_strategy;

#define DEFAULT_OPTIONS                                                                            \
    ((parley_spam_options){.max_links = 2,                                                         \
                           .max_mentions = 5,                                                      \
                           .caps_ratio = 0.7,                                                      \
                           .caps_min_letters = 12,                                                 \
                           .max_repeat = 10,                                                       \
                           .rate_per_minute = 30,                                                  \
                           .burst = 10,                                                            \
                           .max_duplicates = 2,                                                    \
                           .duplicate_window_seconds = 300})
#define DEFAULT_BAYES_THRESHOLD 0.9
#define DEFAULT_BAYES_MIN_MESSAGES 10

static int64_t default_clock(void *ud) {
    (void)ud;
    return parley_monotonic_ms();
}

parley_status parley_spam_shared_create(void **shared, parley_error *err) {
    *shared = NULL;
    spam_shared *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "spam: out of memory");
    }
    s->model = parley_spam_model_create(NULL);
    s->rules = parley_spam_rules_create(PARLEY_SPAM_MAX_SENDERS);
    s->now_ms = default_clock;
    if (s->model == NULL || s->rules == NULL) {
        parley_spam_shared_free(s);
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "spam: out of memory");
    }
    *shared = s;
    return PARLEY_OK;
}

void parley_spam_shared_free(void *shared) {
    spam_shared *s = shared;
    if (s == NULL) {
        return;
    }
    parley_spam_model_free(s->model);
    parley_spam_rules_free(s->rules);
    free(s);
}

parley_spam_model *parley_spam_shared_model(void *shared) {
    return shared != NULL ? ((spam_shared *)shared)->model : NULL;
}

void parley_spam_shared_set_clock(void *shared, int64_t (*now_ms)(void *ud), void *ud) {
    spam_shared *s = shared;
    s->now_ms = now_ms != NULL ? now_ms : default_clock;
    s->clock_ud = ud;
}

/* ---- options ---- */

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "spam: %s", what);
}

static parley_status get_int(const json_t *v, const char *key, int lo, int hi, int *out,
                             parley_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "spam: %s must be an integer in %d..%d", key, lo, hi);
    }
    *out = (int)json_integer_value(v);
    return PARLEY_OK;
}

static parley_status get_num(const json_t *v, const char *key, double lo, double hi, double *out,
                             parley_error *err) {
    double d = json_number_value(v);
    if (!json_is_number(v) || !(d >= lo && d <= hi)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "spam: %s must be a number in %g..%g", key, lo, hi);
    }
    *out = d;
    return PARLEY_OK;
}

static void spam_destroy(parley_strategy *self) {
    spam_strategy *s = (spam_strategy *)self;
    if (s == NULL) {
        return;
    }
    if (s->domains != NULL) {
        for (size_t i = 0; i < s->opt.blocked_count; i++) {
            free(s->domains[i]);
        }
        free(s->domains);
    }
    free(s);
}

static parley_status parse_domains(spam_strategy *s, const json_t *arr, parley_error *err) {
    if (!json_is_array(arr) || json_array_size(arr) > 1000) {
        return invalid(err, "blocked_domains must be an array of at most 1000 domains");
    }
    size_t n = json_array_size(arr);
    if (n == 0) {
        return PARLEY_OK;
    }
    s->domains = calloc(n, sizeof *s->domains);
    if (s->domains == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "spam: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(arr, i));
        if (d == NULL || d[0] == '\0' || strlen(d) > 253) {
            return invalid(err, "blocked_domains must hold non-empty domain names");
        }
        s->domains[i] = strdup(d);
        if (s->domains[i] == NULL) {
            return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "spam: out of memory");
        }
        s->opt.blocked_count = i + 1;
    }
    s->opt.blocked_domains = (const char *const *)s->domains;
    return PARLEY_OK;
}

/* One option of a session's entry into s. */
static parley_status spam_option(void *ctx, const char *key, const json_t *v, parley_error *err) {
    spam_strategy *s = ctx;
    if (strcmp(key, "max_links") == 0) {
        return get_int(v, key, -1, 1000, &s->opt.max_links, err);
    } else if (strcmp(key, "blocked_domains") == 0) {
        return parse_domains(s, v, err);
    } else if (strcmp(key, "max_mentions") == 0) {
        return get_int(v, key, -1, 1000, &s->opt.max_mentions, err);
    } else if (strcmp(key, "caps_ratio") == 0) {
        return get_num(v, key, 0.0, 1.0, &s->opt.caps_ratio, err);
    } else if (strcmp(key, "caps_min_letters") == 0) {
        return get_int(v, key, 1, 100000, &s->opt.caps_min_letters, err);
    } else if (strcmp(key, "max_repeat") == 0) {
        return get_int(v, key, 0, 100000, &s->opt.max_repeat, err);
    } else if (strcmp(key, "bayes_threshold") == 0) {
        return get_num(v, key, 0.5, 1.01, &s->bayes_threshold, err);
    } else if (strcmp(key, "bayes_min_messages") == 0) {
        return get_int(v, key, 1, 1000000000, &s->bayes_min_messages, err);
    } else if (strcmp(key, "rate_per_minute") == 0) {
        return get_num(v, key, 0.0, 1e6, &s->opt.rate_per_minute, err);
    } else if (strcmp(key, "burst") == 0) {
        return get_num(v, key, 1.0, 1e6, &s->opt.burst, err);
    } else if (strcmp(key, "max_duplicates") == 0) {
        return get_int(v, key, 0, PARLEY_SPAM_HISTORY, &s->opt.max_duplicates, err);
    } else if (strcmp(key, "duplicate_window_seconds") == 0) {
        return get_int(v, key, 1, 86400, &s->opt.duplicate_window_seconds, err);
    } else {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "spam: unknown option \"%.64s\"", key);
    }
}

static parley_status spam_create(const json_t *config, void *shared, parley_strategy **out,
                                 parley_error *err) {
    *out = NULL;
    spam_strategy *s = parley_strategy_new(&parley_spam_strategy_ops, sizeof *s, shared, err);
    if (s == NULL) {
        return err->status;
    }
    s->shared = shared;
    s->opt = DEFAULT_OPTIONS;
    s->bayes_threshold = DEFAULT_BAYES_THRESHOLD;
    s->bayes_min_messages = DEFAULT_BAYES_MIN_MESSAGES;
    parley_status st = parley_strategy_each_option(config, spam_option, s, err);
    if (st != PARLEY_OK) {
        spam_destroy(&s->base);
        return st;
    }
    *out = &s->base;
    return PARLEY_OK;
}

/* ---- process ---- */

static json_t *rules_array(unsigned hits) {
    json_t *a = json_array();
    for (int r = 0; r < PARLEY_SPAM_RULE_COUNT && a != NULL; r++) {
        if (hits & (1u << r)) {
            json_array_append_new(a, json_string(parley_spam_rule_name((parley_spam_rule)r)));
        }
    }
    return a;
}

static double score_of(unsigned hits) {
    double score = 0.0;
    for (int r = 0; r < PARLEY_SPAM_RULE_COUNT; r++) {
        if (hits & (1u << r)) {
            score += parley_spam_rule_weight((parley_spam_rule)r);
        }
    }
    return score;
}

/* Fills meta["spam"]; failures to allocate leave the meta out (the verdict
 * stands). */
static void record(parley_strategy_context *ctx, unsigned hits, double score, double bayes,
                   bool bayes_used, const parley_spam_findings *f, const parley_spam_verdict *v,
                   int64_t retry_ms) {
    if (ctx->meta == NULL) {
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:f, s:o, s:o}", "strategy", parley_spam_strategy_ops.name,
                          "version", PARLEY_SPAM_VERSION, "score", score, "bayes",
                          bayes_used ? json_real(bayes) : json_null(), "rules", rules_array(hits));
    if (o == NULL) {
        return;
    }
    if (retry_ms > 0) {
        json_object_set_new(o, "retry_after_ms", json_integer(retry_ms));
    }
    if (f != NULL) {
        if (hits & (1u << PARLEY_SPAM_RULE_LINKS)) {
            json_object_set_new(o, "links", json_integer((json_int_t)f->links));
        }
        if (hits & (1u << PARLEY_SPAM_RULE_BLOCKED_DOMAIN)) {
            json_object_set_new(o, "blocked_domain", json_string(f->blocked_domain));
        }
        if (hits & (1u << PARLEY_SPAM_RULE_MENTIONS)) {
            json_object_set_new(o, "mentions", json_integer((json_int_t)f->mentions));
        }
        if (hits & (1u << PARLEY_SPAM_RULE_CAPS)) {
            json_object_set_new(o, "caps", json_real(f->caps));
        }
        if (hits & (1u << PARLEY_SPAM_RULE_REPEAT)) {
            json_object_set_new(o, "repeat_run", json_integer((json_int_t)f->repeat_run));
        }
        if (hits & ((1u << PARLEY_SPAM_RULE_DUPLICATE) | (1u << PARLEY_SPAM_RULE_NEAR_DUPLICATE))) {
            json_object_set_new(o, "duplicates", json_integer((json_int_t)f->duplicates));
            json_object_set_new(o, "near_duplicates", json_integer((json_int_t)f->near_duplicates));
        }
    }
    if (v != NULL && (hits & (1u << PARLEY_SPAM_RULE_BAYES)) && v->top_count > 0) {
        json_t *toks = json_array();
        for (size_t i = 0; i < v->top_count && i < 5 && toks != NULL; i++) {
            json_t *t = json_pack("{s:s, s:f}", "token", v->top[i].token, "f", v->top[i].f);
            if (t != NULL) {
                json_array_append_new(toks, t); /* a token that is not UTF-8 is left out */
            }
        }
        if (toks != NULL) {
            json_object_set_new(o, "tokens", toks);
        }
    }
    json_object_set_new(ctx->meta, "spam", o);
}

static parley_strategy_result spam_process(parley_strategy *self, parley_strategy_context *ctx,
                                           parley_error *err) {
    spam_strategy *s = (spam_strategy *)self;
    const parley_participant *sender = ctx->sender;
    if (sender != NULL && sender->ops != NULL && sender->ops->is_staff != NULL &&
        sender->ops->is_staff(sender)) {
        return PARLEY_STRATEGY_PASS;
    }
    const char *key = sender != NULL ? sender->id : ctx->message->sender_id;
    const char *text = ctx->message->content != NULL ? ctx->message->content : "";
    int64_t now = s->shared->now_ms(s->shared->clock_ud);

    int64_t retry_ms = 0;
    if (!parley_spam_rules_rate(s->shared->rules, &s->opt, key, now, &retry_ms)) {
        unsigned hits = 1u << PARLEY_SPAM_RULE_RATE;
        record(ctx, hits, score_of(hits), 0.0, false, NULL, NULL, retry_ms);
        int secs = (int)((retry_ms + 999) / 1000);
        parley_error_set(err, PARLEY_E_RATE_LIMITED, "rate_limited",
                         "too many messages; retry in %d s", secs > 0 ? secs : 1);
        if (err != NULL) {
            err->retry_after_seconds = secs > 0 ? secs : 1;
        }
        return PARLEY_STRATEGY_REJECT;
    }

    parley_spam_findings f;
    memset(&f, 0, sizeof f);
    parley_spam_rules_check_content(&s->opt, text, &f);
    parley_spam_rules_check_duplicates(s->shared->rules, &s->opt, key, text, now, &f);

    uint64_t nspam = 0, nham = 0;
    parley_spam_model_totals(s->shared->model, &nspam, &nham);
    bool bayes_used =
        nspam >= (uint64_t)s->bayes_min_messages && nham >= (uint64_t)s->bayes_min_messages;
    parley_spam_verdict v;
    memset(&v, 0, sizeof v);
    double bayes = 0.5;
    if (bayes_used) {
        bayes = parley_spam_model_classify(s->shared->model, text, &v);
        if (bayes >= s->bayes_threshold) {
            f.hits |= 1u << PARLEY_SPAM_RULE_BAYES;
        }
    }
    if (f.hits == 0) {
        return PARLEY_STRATEGY_PASS;
    }
    double score = score_of(f.hits);
    record(ctx, f.hits, score, bayes, bayes_used, &f, &v, 0);
    if (score < 1.0) {
        return PARLEY_STRATEGY_PASS;
    }
    char names[160] = "";
    size_t used = 0;
    for (int r = 0; r < PARLEY_SPAM_RULE_COUNT; r++) {
        if ((f.hits & (1u << r)) && used < sizeof names) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                             parley_spam_rule_name((parley_spam_rule)r));
            used += w > 0 ? (size_t)w : 0;
        }
    }
    parley_error_set(err, PARLEY_E_REJECTED, "spam_detected", "message looks like spam (%s)",
                     names);
    return PARLEY_STRATEGY_REJECT;
}

/* Every strategy describes its options the same way: name -> {type,
 * default} (and enum where the values are few). */
static json_t *spam_describe(void *shared) {
    (void)shared;
    parley_spam_options d = DEFAULT_OPTIONS;
    json_t *options = json_pack(
        "{s:{s:s, s:i}, s:{s:s, s:[]}, s:{s:s, s:i}, s:{s:s, s:f}, s:{s:s, s:i}, s:{s:s, s:i},"
        " s:{s:s, s:f}, s:{s:s, s:i}, s:{s:s, s:f}, s:{s:s, s:f}, s:{s:s, s:i}, s:{s:s, s:i}}",
        "max_links", "type", "integer", "default", d.max_links, "blocked_domains", "type", "array",
        "default", "max_mentions", "type", "integer", "default", d.max_mentions, "caps_ratio",
        "type", "number", "default", d.caps_ratio, "caps_min_letters", "type", "integer", "default",
        d.caps_min_letters, "max_repeat", "type", "integer", "default", d.max_repeat,
        "bayes_threshold", "type", "number", "default", DEFAULT_BAYES_THRESHOLD,
        "bayes_min_messages", "type", "integer", "default", DEFAULT_BAYES_MIN_MESSAGES,
        "rate_per_minute", "type", "number", "default", d.rate_per_minute, "burst", "type",
        "number", "default", d.burst, "max_duplicates", "type", "integer", "default",
        d.max_duplicates, "duplicate_window_seconds", "type", "integer", "default",
        d.duplicate_window_seconds);
    return json_pack("{s:o, s:[s,s,s,s,s,s,s,s,s]}", "options", options, "rules", "rate", "links",
                     "blocked_domain", "mentions", "caps", "repeat", "duplicate", "near_duplicate",
                     "bayes");
}

const parley_strategy_ops parley_spam_strategy_ops = {
    .name = "spam",
    .version = PARLEY_SPAM_VERSION,
    .description = "Refuses spam: per-sender rate and burst, duplicates and near-duplicates, "
                   "links and blocked domains, mass mentions, all caps, repeated characters, "
                   "and a Bayesian classifier trained by agents",
    .create = spam_create,
    .process = spam_process,
    .destroy = spam_destroy,
    .describe = spam_describe};
