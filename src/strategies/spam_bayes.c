/* spam_bayes.c - see spam_bayes.h. */
#include "strategies/spam_bayes.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct bayes_entry {
    uint64_t spam;
    uint64_t ham;
    UT_hash_handle hh;
    char token[]; /* NUL-terminated key */
} bayes_entry;

struct parley_spam_model {
    pthread_rwlock_t lock;
    parley_spam_bayes_params params;
    bayes_entry *table;
    uint64_t spam_messages;
    uint64_t ham_messages;
};

/* The distinct tokens of one text: an arena of NUL-terminated tokens and
 * their offsets, sorted and deduplicated. */
typedef struct token_set {
    char *arena;
    size_t arena_len;
    size_t arena_cap;
    size_t *offsets;
    size_t count;
    size_t cap;
    bool failed;
} token_set;

static int collect(parley_spam_token_kind kind, const char *token, size_t len, void *ud) {
    (void)kind;
    token_set *ts = ud;
    if (ts->arena_len + len + 1 > ts->arena_cap) {
        size_t cap = ts->arena_cap ? ts->arena_cap * 2 : 1024;
        while (cap < ts->arena_len + len + 1) {
            cap *= 2;
        }
        char *a = realloc(ts->arena, cap);
        if (a == NULL) {
            ts->failed = true;
            return 1;
        }
        ts->arena = a;
        ts->arena_cap = cap;
    }
    if (ts->count == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 64;
        size_t *o = realloc(ts->offsets, cap * sizeof *o);
        if (o == NULL) {
            ts->failed = true;
            return 1;
        }
        ts->offsets = o;
        ts->cap = cap;
    }
    memcpy(ts->arena + ts->arena_len, token, len + 1);
    ts->offsets[ts->count++] = ts->arena_len;
    ts->arena_len += len + 1;
    return 0;
}

/* A small merge sort (qsort has no context argument in C17). */
static void sort_offsets(size_t *v, size_t *tmp, size_t n, const char *arena) {
    if (n < 2) {
        return;
    }
    size_t mid = n / 2;
    sort_offsets(v, tmp, mid, arena);
    sort_offsets(v + mid, tmp, n - mid, arena);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (strcmp(arena + v[j], arena + v[i]) < 0) {
            tmp[k++] = v[j++];
        } else {
            tmp[k++] = v[i++];
        }
    }
    while (i < mid) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof *v);
}

static void token_set_free(token_set *ts) {
    free(ts->arena);
    free(ts->offsets);
}

static bool token_set_build(token_set *ts, const char *text, unsigned flags) {
    memset(ts, 0, sizeof *ts);
    if (text == NULL) {
        return true;
    }
    parley_spam_tokenize(text, strlen(text), flags, collect, ts);
    if (ts->failed) {
        token_set_free(ts);
        return false;
    }
    if (ts->count < 2) {
        return true;
    }
    size_t *tmp = malloc(ts->count * sizeof *tmp);
    if (tmp == NULL) {
        token_set_free(ts);
        return false;
    }
    sort_offsets(ts->offsets, tmp, ts->count, ts->arena);
    free(tmp);
    size_t out = 1;
    for (size_t i = 1; i < ts->count; i++) {
        if (strcmp(ts->arena + ts->offsets[i], ts->arena + ts->offsets[out - 1]) != 0) {
            ts->offsets[out++] = ts->offsets[i];
        }
    }
    ts->count = out;
    return true;
}

parley_spam_model *parley_spam_model_create(const parley_spam_bayes_params *params) {
    parley_spam_model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    if (pthread_rwlock_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    m->params = params != NULL ? *params : PARLEY_SPAM_BAYES_DEFAULTS;
    return m;
}

static void clear_table(parley_spam_model *m) {
    bayes_entry *e, *tmp;
    HASH_ITER(hh, m->table, e, tmp) {
        HASH_DEL(m->table, e);
        free(e);
    }
}

void parley_spam_model_free(parley_spam_model *model) {
    if (model == NULL) {
        return;
    }
    clear_table(model);
    pthread_rwlock_destroy(&model->lock);
    free(model);
}

/* Adds delta (+1 or -1) to every token of the set; on -1 counts stop at 0
 * and entries that reach (0, 0) are removed. Caller holds the write lock.
 * New entries are allocated up front so a failure changes nothing. */
static bool apply_locked(parley_spam_model *m, const token_set *ts, bool is_spam, int delta) {
    bayes_entry **fresh = NULL;
    size_t nfresh = 0;
    if (delta > 0 && ts->count > 0) {
        fresh = calloc(ts->count, sizeof *fresh);
        if (fresh == NULL) {
            return false;
        }
        for (size_t i = 0; i < ts->count; i++) {
            const char *tok = ts->arena + ts->offsets[i];
            bayes_entry *e = NULL;
            HASH_FIND_STR(m->table, tok, e);
            if (e == NULL) {
                size_t n = strlen(tok);
                bayes_entry *ne = calloc(1, sizeof *ne + n + 1);
                if (ne == NULL) {
                    for (size_t k = 0; k < nfresh; k++) {
                        free(fresh[k]);
                    }
                    free(fresh);
                    return false;
                }
                memcpy(ne->token, tok, n + 1);
                fresh[nfresh++] = ne;
            }
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < ts->count; i++) {
        const char *tok = ts->arena + ts->offsets[i];
        bayes_entry *e = NULL;
        HASH_FIND_STR(m->table, tok, e);
        if (e == NULL) {
            if (delta < 0) {
                continue;
            }
            e = fresh[used++];
            HASH_ADD_STR(m->table, token, e);
        }
        uint64_t *c = is_spam ? &e->spam : &e->ham;
        if (delta > 0) {
            (*c)++;
        } else if (*c > 0) {
            (*c)--;
        }
        if (e->spam == 0 && e->ham == 0) {
            HASH_DEL(m->table, e);
            free(e);
        }
    }
    free(fresh);
    uint64_t *total = is_spam ? &m->spam_messages : &m->ham_messages;
    if (delta > 0) {
        (*total)++;
    } else if (*total > 0) {
        (*total)--;
    }
    return true;
}

static bool train(parley_spam_model *m, const char *text, bool is_spam, int delta) {
    if (m == NULL) {
        return false;
    }
    token_set ts;
    if (!token_set_build(&ts, text, m->params.flags)) {
        return false;
    }
    pthread_rwlock_wrlock(&m->lock);
    bool ok = apply_locked(m, &ts, is_spam, delta);
    pthread_rwlock_unlock(&m->lock);
    token_set_free(&ts);
    return ok;
}

bool parley_spam_model_train(parley_spam_model *model, const char *text, bool is_spam) {
    return train(model, text, is_spam, 1);
}

bool parley_spam_model_untrain(parley_spam_model *model, const char *text, bool is_spam) {
    return train(model, text, is_spam, -1);
}

/* Upper tail of chi-square with 2k degrees of freedom at x2:
 * Q = exp(-m) * sum_{i<k} m^i / i!, m = x2 / 2, summed in log space. */
static double chi2q(double x2, size_t k) {
    if (!(x2 > 0.0)) {
        return 1.0;
    }
    double m = x2 / 2.0;
    double log_term = -m;
    double log_sum = log_term;
    for (size_t i = 1; i < k; i++) {
        log_term += log(m / (double)i);
        double hi = log_sum > log_term ? log_sum : log_term;
        double lo = log_sum > log_term ? log_term : log_sum;
        log_sum = hi + log1p(exp(lo - hi));
    }
    double q = exp(log_sum);
    return q > 1.0 ? 1.0 : (q < 0.0 ? 0.0 : q);
}

typedef struct scored {
    double f;
    double dev;
    size_t offset;
} scored;

static int cmp_dev_desc(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->dev != y->dev) {
        return x->dev < y->dev ? 1 : -1;
    }
    return x->offset < y->offset ? -1 : (x->offset > y->offset);
}

double parley_spam_model_classify(parley_spam_model *model, const char *text,
                                  parley_spam_verdict *verdict) {
    if (verdict != NULL) {
        memset(verdict, 0, sizeof *verdict);
        verdict->probability = 0.5;
    }
    if (model == NULL) {
        return 0.5;
    }
    token_set ts;
    if (!token_set_build(&ts, text, model->params.flags)) {
        return 0.5;
    }
    scored *sc = ts.count > 0 ? malloc(ts.count * sizeof *sc) : NULL;
    if (ts.count > 0 && sc == NULL) {
        token_set_free(&ts);
        return 0.5;
    }
    const parley_spam_bayes_params *p = &model->params;
    size_t n = 0;
    pthread_rwlock_rdlock(&model->lock);
    double nbad = (double)model->spam_messages;
    double ngood = (double)model->ham_messages;
    if (nbad > 0 && ngood > 0) {
        for (size_t i = 0; i < ts.count; i++) {
            bayes_entry *e = NULL;
            const char *tok = ts.arena + ts.offsets[i];
            HASH_FIND_STR(model->table, tok, e);
            if (e == NULL) {
                continue;
            }
            double b = (double)e->spam / nbad;
            double g = (double)e->ham / ngood;
            if (b > 1.0) {
                b = 1.0;
            }
            if (g > 1.0) {
                g = 1.0;
            }
            double pw = (b + g) > 0 ? b / (b + g) : 0.5;
            double cnt = (double)e->spam + (double)e->ham;
            double f = (p->s * p->x + cnt * pw) / (p->s + cnt);
            /* keeps ln f and ln(1 - f) finite when s == 0 */
            if (!(f >= 1e-6)) {
                f = 1e-6;
            } else if (f > 1.0 - 1e-6) {
                f = 1.0 - 1e-6;
            }
            double dev = fabs(f - 0.5);
            if (dev < p->min_dev) {
                continue;
            }
            sc[n++] = (scored){.f = f, .dev = dev, .offset = ts.offsets[i]};
        }
    }
    pthread_rwlock_unlock(&model->lock);

    double prob = 0.5;
    if (n > 0) {
        qsort(sc, n, sizeof *sc, cmp_dev_desc);
        if (p->max_tokens > 0 && n > p->max_tokens) {
            n = p->max_tokens;
        }
        double sum_ln_f = 0.0, sum_ln_1f = 0.0;
        for (size_t i = 0; i < n; i++) {
            sum_ln_f += log(sc[i].f);
            sum_ln_1f += log1p(-sc[i].f);
        }
        double S = 1.0 - chi2q(-2.0 * sum_ln_1f, n);
        double H = 1.0 - chi2q(-2.0 * sum_ln_f, n);
        prob = (1.0 + S - H) / 2.0;
        if (!(prob >= 0.0)) {
            prob = 0.5;
        } else if (prob > 1.0) {
            prob = 1.0;
        }
    }
    if (verdict != NULL) {
        verdict->probability = prob;
        verdict->tokens_used = n;
        size_t top = n < PARLEY_SPAM_BAYES_TOP ? n : PARLEY_SPAM_BAYES_TOP;
        for (size_t i = 0; i < top; i++) {
            const char *tok = ts.arena + sc[i].offset;
            size_t len = strlen(tok);
            if (len > PARLEY_SPAM_TOKEN_SIZE) {
                len = PARLEY_SPAM_TOKEN_SIZE;
            }
            memcpy(verdict->top[i].token, tok, len);
            verdict->top[i].token[len] = '\0';
            verdict->top[i].f = sc[i].f;
        }
        verdict->top_count = top;
    }
    free(sc);
    token_set_free(&ts);
    return prob;
}

void parley_spam_model_totals(parley_spam_model *model, uint64_t *spam_messages,
                              uint64_t *ham_messages) {
    pthread_rwlock_rdlock(&model->lock);
    if (spam_messages != NULL) {
        *spam_messages = model->spam_messages;
    }
    if (ham_messages != NULL) {
        *ham_messages = model->ham_messages;
    }
    pthread_rwlock_unlock(&model->lock);
}

size_t parley_spam_model_size(parley_spam_model *model) {
    pthread_rwlock_rdlock(&model->lock);
    size_t n = HASH_COUNT(model->table);
    pthread_rwlock_unlock(&model->lock);
    return n;
}

void parley_spam_model_token_counts(parley_spam_model *model, const char *token, uint64_t *spam,
                                    uint64_t *ham) {
    uint64_t s = 0, h = 0;
    pthread_rwlock_rdlock(&model->lock);
    bayes_entry *e = NULL;
    HASH_FIND_STR(model->table, token, e);
    if (e != NULL) {
        s = e->spam;
        h = e->ham;
    }
    pthread_rwlock_unlock(&model->lock);
    if (spam != NULL) {
        *spam = s;
    }
    if (ham != NULL) {
        *ham = h;
    }
}

size_t parley_spam_model_export(parley_spam_model *model, parley_spam_export_fn fn, void *ud) {
    size_t visited = 0;
    pthread_rwlock_rdlock(&model->lock);
    bayes_entry *e, *tmp;
    HASH_ITER(hh, model->table, e, tmp) {
        visited++;
        if (fn(e->token, e->spam, e->ham, ud) != 0) {
            break;
        }
    }
    pthread_rwlock_unlock(&model->lock);
    return visited;
}

void parley_spam_model_set_totals(parley_spam_model *model, uint64_t spam_messages,
                                  uint64_t ham_messages) {
    pthread_rwlock_wrlock(&model->lock);
    model->spam_messages = spam_messages;
    model->ham_messages = ham_messages;
    pthread_rwlock_unlock(&model->lock);
}

bool parley_spam_model_set_token(parley_spam_model *model, const char *token, uint64_t spam,
                                 uint64_t ham) {
    if (token == NULL) {
        return false;
    }
    size_t n = strlen(token);
    if (n == 0 || n > PARLEY_SPAM_TOKEN_SIZE) {
        return false;
    }
    bool ok = true;
    pthread_rwlock_wrlock(&model->lock);
    bayes_entry *e = NULL;
    HASH_FIND_STR(model->table, token, e);
    if (spam == 0 && ham == 0) {
        if (e != NULL) {
            HASH_DEL(model->table, e);
            free(e);
        }
    } else {
        if (e == NULL) {
            e = calloc(1, sizeof *e + n + 1);
            if (e == NULL) {
                ok = false;
            } else {
                memcpy(e->token, token, n + 1);
                HASH_ADD_STR(model->table, token, e);
            }
        }
        if (e != NULL) {
            e->spam = spam;
            e->ham = ham;
        }
    }
    pthread_rwlock_unlock(&model->lock);
    return ok;
}

size_t parley_spam_model_text_tokens(parley_spam_model *model, const char *text,
                                     parley_spam_text_token_fn fn, void *ud) {
    token_set ts;
    if (model == NULL || !token_set_build(&ts, text, model->params.flags)) {
        return 0;
    }
    size_t visited = 0;
    for (size_t i = 0; i < ts.count; i++) {
        visited++;
        if (fn(ts.arena + ts.offsets[i], ud) != 0) {
            break;
        }
    }
    token_set_free(&ts);
    return visited;
}

void parley_spam_model_clear(parley_spam_model *model) {
    pthread_rwlock_wrlock(&model->lock);
    clear_table(model);
    model->spam_messages = 0;
    model->ham_messages = 0;
    pthread_rwlock_unlock(&model->lock);
}
