/*
 * strategy_bench.c - parley-strategy-bench: the per-message cost of the
 * message-processing strategies (spam, profanity, translation) and of the
 * pipeline around them, measured in-process against parley_core (no
 * server, no database, no network).
 *
 * Long (~1170 lines) on purpose: it is one command whose cases (spam,
 * profanity with and without detection, translation, the pipeline) share
 * the sample buffers, the timing loop and the table printer; the case
 * inputs are data, not logic. The next split, when it grows: the message
 * corpora into a file of their own.
 *
 * Every call is timed with clock_gettime(CLOCK_MONOTONIC); the samples are
 * kept and sorted, so the percentiles are exact (nearest rank). Two modes:
 *   run        the chain is built once; only parley_strategy_chain_run() is
 *              timed (the strategies' own cost);
 *   build+run  what chat_service does for every message (apply_strategies):
 *              build the chain from the session's JSON, a fresh meta object,
 *              a copy of the original, run, free the chain, serialise meta.
 * Messages are chat lines of 20-200 bytes made deterministically from
 * sentence templates (a fixed-seed hash of the message index picks the
 * template and its fillers): English and Spanish, some with profanity, a
 * few spammy ones. Senders are 4000 customers (3 in 4 English, 1 in 4
 * Spanish), renamed for every scenario so the spam strategy's per-sender
 * rate state starts fresh; each sends about 5 messages per 20000.
 *
 * Usage: parley-strategy-bench [--iterations N] [--translation-iterations N]
 *                              [--only pipeline|spam|profanity|translation|chain]
 * The "profanity" scenarios run with the language detector attached (as
 * in the server); the "100 B" rows time 100-byte messages in en es fr de
 * it pt (clean ones, and ones starting with a swear word of their
 * language) from senders without a language, with the detector and
 * without it, and the detector alone (issue 16's budget: detection plus
 * filtering <= 20 µs p50).
 * --translation-iterations defaults to a tenth of --iterations. The table
 * (Markdown) goes to stdout, progress to stderr; PSB_DEBUG=1 also prints the
 * spam meta of every refused message to stderr.
 *
 * Length: past 1,000 lines on purpose: one benchmark program whose
 * scenarios share the text generator, samples and outcome counting; split
 * into files it would need a header of its own for a single binary.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/ids.h"
#include "core/participant.h"
#include "core/participant_factory.h"
#include "core/strategy.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"
#include "strategies/spam.h"
#include "strategies/translation.h"

#include "../../tests/common/spam_corpus.h"
#include "../../tests/common/strategy_stubs.h"

#define CORPUS_DIR SPAM_CORPUS_DIR
#define APERTIUM_MODES "/usr/share/apertium/modes"
#define TRANSLATION_POOL 2
#define TRANSLATION_TIMEOUT_MS 5000
#define EN_SENDERS 3000
#define ES_SENDERS 1000
#define TEXT_MAX 256
#define TEXT_MIN_BYTES 20
#define TEXT_MAX_BYTES 200
#define WARMUP_BASE 50000000u

#define CHAIN_SPAM "[{\"name\":\"spam\"}]"
#define CHAIN_PROFANITY "[{\"name\":\"profanity\"}]"
#define CHAIN_TRANSLATION "[{\"name\":\"translation\",\"target\":\"es\",\"source\":\"en\"}]"
#define CHAIN_SPAM_PROFANITY "[{\"name\":\"spam\"},{\"name\":\"profanity\"}]"
#define CHAIN_ALL                                                                                  \
    "[{\"name\":\"spam\"},{\"name\":\"profanity\"},"                                               \
    "{\"name\":\"translation\",\"target\":\"es\",\"source\":\"en\"}]"

/* ---- time ---- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- samples ---- */

typedef struct samples {
    uint64_t *ns;
    size_t n;
    size_t cap;
} samples;

static void samples_add(samples *s, uint64_t v) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *p = realloc(s->ns, cap * sizeof *p);
        if (p == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        s->ns = p;
        s->cap = cap;
    }
    s->ns[s->n++] = v;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank on a sorted array, in µs. */
static double pct_us(const samples *s, double p) {
    if (s->n == 0) {
        return 0.0;
    }
    size_t rank = (size_t)ceil(p / 100.0 * (double)s->n);
    rank = rank < 1 ? 1 : (rank > s->n ? s->n : rank);
    return (double)s->ns[rank - 1] / 1000.0;
}

static double mean_us(const samples *s) {
    long double sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        sum += s->ns[i];
    }
    return s->n ? (double)(sum / s->n) / 1000.0 : 0.0;
}

/* ---- messages ---- */

static uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define SEED 0x5041524C4559ull /* "PARLEY" */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* %1 product, %2 number, %3 day, %4 adjective (sometimes profane), %5 name */
static const char *const EN_TEMPLATES[] = {
    "Hi, my %1 stopped working yesterday.",
    "Hello, I ordered a %1 on %3 and it still has not arrived. Order number %2.",
    "Can you help me reset my password? I have tried three times already.",
    "The %4 %1 keeps disconnecting every few minutes, what should I do?",
    "Thanks %5, that fixed it!",
    "I was charged twice for order %2, can I get a refund for the second payment?",
    "Is there a way to change the delivery address after the order was placed on %3?",
    "This %4 app logs me out every time I switch tabs.",
    "My invoice %2 shows the wrong VAT number, could you send a corrected one?",
    "Ok, I will try that and get back to you.",
    "Where can I find the user manual for the %1? The link in the box is broken.",
    "I have been waiting for forty minutes, this %4 service is not acceptable.",
    "Could %5 call me back on %3 afternoon? I am busy until then.",
    "The %1 arrived damaged, the screen is cracked in the corner. What are my options?",
    "Do you ship to Canada, and how long does it usually take?",
    "Yes, the serial number is %2 and I bought it in March.",
    "I updated the firmware like you said but the %1 still shows error %2 on startup.",
    "Can I upgrade my plan now and pay the difference at the end of the month?",
    "Never mind, it started working again. Sorry for the trouble!",
    "What is the %4 point of a warranty if you refuse to repair a %1 that is %2 days old?",
    "Hello, I bought the %1 from your online shop on %3 and since the last update it will not "
    "connect to my home network anymore. I already restarted everything twice. Order %2.",
    "Hi %5, quick follow-up on ticket %2: the replacement %1 you sent has the same fault, the "
    "battery drains in about two hours even when it is switched off.",
    "I have explained this %4 problem three times now to three different agents and every time "
    "I am told to restart the %1, which I already did on %3. Please escalate.",
};

static const char *const ES_TEMPLATES[] = {
    "Hola, mi %1 dejó de funcionar ayer.",
    "Buenas tardes, hice un pedido el %3 y todavía no ha llegado. Número de pedido %2.",
    "¿Me pueden ayudar a cambiar la contraseña? Ya lo intenté tres veces.",
    "Este %4 %1 se desconecta cada pocos minutos, ¿qué hago?",
    "Gracias %5, ¡ya funciona!",
    "Me cobraron dos veces el pedido %2, ¿me pueden devolver el segundo pago?",
    "Llevo cuarenta minutos esperando, este servicio %4 no es aceptable.",
    "¿Hacen envíos a México? ¿Cuánto tarda normalmente?",
    "La factura %2 tiene el NIF equivocado, ¿me pueden mandar una corregida?",
    "Vale, lo pruebo y les digo algo.",
    ("Buenos días, compré el %1 en su tienda el %3 y desde la última actualización no se conecta "
     "a mi red. Ya lo reinicié dos veces y sigue igual. Pedido %2."),
};

static const char *const SPAM_TEMPLATES[] = {
    "FREE GIFT CARD!!! Visit http://cheap-deals.example/win http://promo.example/claim "
    "http://bonus.example/now",
    "Earn $5000 a week from home, click www.easy-money.example and www.get-rich.example "
    "and www.free-cash.example today",
    "PLEASE ANSWER ME NOW THIS IS URGENT I NEED MY %1 TODAY",
    "@anna @bob @carl @dave @erin @fred @gina have you seen this deal on %1?",
    "helloooooooooooooooo is anyone there???",
};

static const char *const PRODUCTS[] = {"router",     "laptop",       "headphones", "printer",
                                       "smartwatch", "coffee maker", "phone",      "tablet",
                                       "camera",     "vacuum"};
static const char *const PRODUCTOS[] = {"router", "portátil", "auriculares", "impresora",
                                        "reloj",  "teléfono", "tableta",     "cámara"};
static const char *const DAYS[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"};
static const char *const DIAS[] = {"lunes", "martes", "miércoles", "jueves", "viernes"};
static const char *const NAMES[] = {"Alex", "Maria", "Sam", "Lucia", "John", "Carmen"};
static const char *const EN_ADJ[] = {"new", "stupid", "expensive", "old"};
static const char *const EN_PROFANE[] = {"fucking", "shitty", "damn", "crappy"};
static const char *const ES_ADJ[] = {"nuevo", "caro", "viejo", "malo"};
static const char *const ES_PROFANE[] = {"de mierda", "puto", "jodido", "cabrón"};

typedef enum lang_mix { MIX_EN_ES = 0, MIX_EN_ONLY } lang_mix;

typedef struct text_stats {
    size_t min;
    size_t max;
    size_t sum;
    size_t n;
    size_t spanish;
    size_t profane;
    size_t spammy;
} text_stats;

/* Message i of a stream: English or Spanish (every fourth, with MIX_EN_ES),
 * about 15 % with a profane adjective, 4 % spammy. */
static bool make_text(size_t i, lang_mix mix, char *out, size_t size, bool *spanish,
                      text_stats *ts) {
    uint64_t h = mix64(SEED ^ (uint64_t)i);
    *spanish = mix == MIX_EN_ES && i % 4 == 3;
    bool profane = (h >> 8) % 100 < 15;
    bool spammy = !*spanish && (h >> 16) % 100 < 4;
    const char *tpl;
    if (spammy) {
        tpl = SPAM_TEMPLATES[(h >> 24) % COUNT(SPAM_TEMPLATES)];
    } else if (*spanish) {
        tpl = ES_TEMPLATES[(h >> 24) % COUNT(ES_TEMPLATES)];
    } else {
        tpl = EN_TEMPLATES[(h >> 24) % COUNT(EN_TEMPLATES)];
    }
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)(10000 + (h >> 32) % 90000));
    size_t k = 0;
    for (const char *p = tpl; *p != '\0' && k + 1 < size; p++) {
        const char *fill = NULL;
        if (p[0] == '%' && p[1] >= '1' && p[1] <= '5') {
            uint64_t r = mix64(h + (uint64_t)p[1]);
            switch (p[1]) {
            case '1':
                fill = *spanish ? PRODUCTOS[r % COUNT(PRODUCTOS)] : PRODUCTS[r % COUNT(PRODUCTS)];
                break;
            case '2':
                fill = num;
                break;
            case '3':
                fill = *spanish ? DIAS[r % COUNT(DIAS)] : DAYS[r % COUNT(DAYS)];
                break;
            case '4':
                if (*spanish) {
                    fill = profane ? ES_PROFANE[r % COUNT(ES_PROFANE)] : ES_ADJ[r % COUNT(ES_ADJ)];
                } else {
                    fill = profane ? EN_PROFANE[r % COUNT(EN_PROFANE)] : EN_ADJ[r % COUNT(EN_ADJ)];
                }
                break;
            default:
                fill = NAMES[r % COUNT(NAMES)];
                break;
            }
            p++;
        }
        if (fill != NULL) {
            size_t fl = strlen(fill);
            if (k + fl + 1 > size) {
                fl = size - k - 1;
            }
            memcpy(out + k, fill, fl);
            k += fl;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    /* a profane line in a template without an adjective slot: append one */
    if (profane && strstr(tpl, "%4") == NULL && !spammy) {
        const char *tail = *spanish ? " ¡Qué mierda!" : " What a shit show.";
        size_t tl = strlen(tail);
        if (k + tl < size && k + tl <= TEXT_MAX_BYTES) {
            memcpy(out + k, tail, tl + 1);
            k += tl;
        }
    }
    if (ts != NULL) {
        ts->min = ts->n == 0 || k < ts->min ? k : ts->min;
        ts->max = k > ts->max ? k : ts->max;
        ts->sum += k;
        ts->n++;
        ts->spanish += *spanish;
        ts->profane += profane && !spammy;
        ts->spammy += spammy;
    }
    return spammy;
}

/* ---- senders ---- */

static parley_participant *en_senders[EN_SENDERS];
static parley_participant *es_senders[ES_SENDERS];

static parley_participant *make_customer(const char *language) {
    parley_customer rec;
    memset(&rec, 0, sizeof rec);
    rec.name = strdup("Bench customer");
    rec.language = strdup(language);
    if (rec.name == NULL || rec.language == NULL) {
        free(rec.name);
        free(rec.language);
        return NULL;
    }
    return parley_participant_from_customer(&rec);
}

/* Fresh ids for a scenario: the spam strategy keys its rate and history on
 * them. */
static void rename_senders(int scenario) {
    for (size_t j = 0; j < EN_SENDERS; j++) {
        snprintf(en_senders[j]->id, sizeof en_senders[j]->id, "bench%d-en-%04zu", scenario, j);
    }
    for (size_t j = 0; j < ES_SENDERS; j++) {
        snprintf(es_senders[j]->id, sizeof es_senders[j]->id, "bench%d-es-%04zu", scenario, j);
    }
}

static parley_participant *sender_of(size_t i, bool spanish) {
    return spanish ? es_senders[(i / 4) % ES_SENDERS] : en_senders[(i - i / 4) % EN_SENDERS];
}

/* ---- a no-op strategy: the chain's own cost per step ---- */

static parley_strategy_result noop_process(parley_strategy *self, parley_strategy_context *ctx,
                                           parley_error *err) {
    (void)self;
    (void)ctx;
    (void)err;
    return PARLEY_STRATEGY_PASS;
}

static const parley_strategy_ops noop_ops =
    TEST_STRATEGY_OPS("noop", "0", "passes everything (benchmark only)", stub_create, noop_process);

/* ---- scenarios ---- */

typedef struct outcome {
    size_t passed;
    size_t modified;
    size_t rate_limited;
    size_t spam_detected;
    size_t other_refused;
    size_t translated;
    size_t translation_errors;
    size_t refused_ordinary; /* refused although not made from a spammy template */
    size_t rule_hits[6];     /* among refusals: see RULE_GROUPS */
} outcome;

/* How refusals are summarised: a refusal counts under each group one of
 * whose spam rules fired. */
static const char *const RULE_GROUPS[6] = {"bayes",     "links", "mentions",
                                           "duplicate", "rate",  "other"};

typedef enum mode { MODE_RUN = 0, MODE_BUILD_RUN } mode;

static parley_strategy_registry registry;
static bool have_translation;

static void count_rules(outcome *o, json_t *meta) {
    bool hit[6] = {false};
    size_t idx;
    json_t *rule;
    json_array_foreach(json_object_get(json_object_get(meta, "spam"), "rules"), idx, rule) {
        const char *name = json_string_value(rule);
        size_t g = 5;
        if (name == NULL) {
            g = 5;
        } else if (strcmp(name, "bayes") == 0) {
            g = 0;
        } else if (strcmp(name, "links") == 0 || strcmp(name, "blocked_domain") == 0) {
            g = 1;
        } else if (strcmp(name, "mentions") == 0) {
            g = 2;
        } else if (strcmp(name, "duplicate") == 0 || strcmp(name, "near_duplicate") == 0) {
            g = 3;
        } else if (strcmp(name, "rate") == 0) {
            g = 4;
        }
        hit[g] = true;
    }
    for (size_t g = 0; g < 6; g++) {
        o->rule_hits[g] += hit[g];
    }
}

static void count_outcome(outcome *o, parley_strategy_result r, const parley_error *err,
                          json_t *meta, bool spammy) {
    if (r == PARLEY_STRATEGY_REJECT) {
        if (getenv("PSB_DEBUG") != NULL) {
            char *d = json_dumps(json_object_get(meta, "spam"), JSON_COMPACT);
            fprintf(stderr, "REFUSED %s%s\n", spammy ? "" : "(ordinary) ", d);
            free(d);
        }
        count_rules(o, meta);
        o->refused_ordinary += !spammy;
        if (strcmp(err->code, "rate_limited") == 0) {
            o->rate_limited++;
        } else if (strcmp(err->code, "spam_detected") == 0) {
            o->spam_detected++;
        } else {
            o->other_refused++;
        }
    } else if (r == PARLEY_STRATEGY_MODIFIED) {
        o->modified++;
    } else {
        o->passed++;
    }
    if (meta != NULL && json_object_get(meta, "translations") != NULL) {
        o->translated++;
    }
    json_t *tr = json_object_get(meta, "translation");
    if (tr != NULL && json_object_get(tr, "error") != NULL) {
        o->translation_errors++;
    }
}

/* Message i of the run in session, from its sender (*sender); returns
 * whether its text was made to look like spam. msg.content is the
 * caller's to free. */
static bool make_message(const parley_session *session, size_t i, lang_mix mix, text_stats *ts,
                         parley_message *msg, const parley_participant **sender) {
    char text[TEXT_MAX];
    bool spanish;
    bool spammy = make_text(i, mix, text, sizeof text, &spanish, ts);
    *sender = sender_of(i, spanish);
    memset(msg, 0, sizeof *msg);
    memcpy(msg->session_id, session->id, sizeof msg->session_id);
    memcpy(msg->sender_id, (*sender)->id, sizeof msg->sender_id);
    msg->sender_kind = PARLEY_PARTICIPANT_CUSTOMER;
    msg->type = PARLEY_MESSAGE_TEXT;
    msg->content = strdup(text);
    if (msg->content == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return spammy;
}

/* One message through a prebuilt chain; only chain_run is timed. */
static uint64_t one_run(parley_strategy *chain, const parley_session *session, size_t i,
                        lang_mix mix, text_stats *ts, outcome *o) {
    parley_message msg;
    const parley_participant *sender = NULL;
    bool spammy = make_message(session, i, mix, ts, &msg, &sender);
    json_t *meta = json_object();
    if (meta == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    parley_error err;
    memset(&err, 0, sizeof err);
    parley_strategy_context ctx = {
        .message = &msg, .meta = meta, .session = session, .sender = sender, .repo = NULL};
    uint64_t t0 = now_ns();
    parley_strategy_result r = parley_strategy_chain_run(chain, &ctx, &err);
    uint64_t t1 = now_ns();
    count_outcome(o, r, &err, meta, spammy);
    json_decref(meta);
    free(msg.content);
    return t1 - t0;
}

/* One message the way chat_service's apply_strategies handles it: build the
 * chain from the session's JSON, run it, free it, serialise meta. */
static uint64_t one_build_run(const parley_session *session, size_t i, lang_mix mix, text_stats *ts,
                              outcome *o) {
    parley_message msg;
    const parley_participant *sender = NULL;
    bool spammy = make_message(session, i, mix, ts, &msg, &sender);
    parley_error err;
    memset(&err, 0, sizeof err);

    uint64_t t0 = now_ns();
    parley_strategy *chain = NULL;
    parley_status st =
        parley_strategy_chain_build(&registry, session->strategies_json, &chain, &err);
    if (st != PARLEY_OK) {
        fprintf(stderr, "chain build failed: %s\n", err.message);
        exit(2);
    }
    if (chain == NULL) {
        uint64_t t1 = now_ns();
        o->passed++;
        free(msg.content);
        return t1 - t0;
    }
    json_t *meta = json_object();
    char *original = strdup(msg.content);
    if (meta == NULL || original == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    parley_strategy_context ctx = {
        .message = &msg, .meta = meta, .session = session, .sender = sender, .repo = NULL};
    parley_strategy_result r = parley_strategy_chain_run(chain, &ctx, &err);
    parley_strategy_chain_free(chain);
    json_object_del(meta, "original_content");
    char *meta_json = NULL;
    if (r != PARLEY_STRATEGY_REJECT && json_object_size(meta) > 0) {
        meta_json = json_dumps(meta, JSON_COMPACT);
    }
    uint64_t t1 = now_ns();
    count_outcome(o, r, &err, meta, spammy);
    free(meta_json);
    free(original);
    json_decref(meta);
    free(msg.content);
    return t1 - t0;
}

typedef struct result_row {
    char scenario[64];
    char chain[32];
    const char *mode;
    int threads;
    size_t n;
    double p50, p90, p99, max, mean;
    double msgs_per_s;
    char outcome[256];
} result_row;

static result_row rows[32];
static size_t row_count;

static void describe_outcome(const outcome *o, char *buf, size_t size) {
    int k = snprintf(buf, size, "%zu pass, %zu modified", o->passed, o->modified);
    size_t used = k > 0 ? (size_t)k : 0;
    size_t refused = o->rate_limited + o->spam_detected + o->other_refused;
    if (refused > 0 && used < size) {
        k = snprintf(buf + used, size - used, ", refused %zu (%zu ordinary lines; rules:", refused,
                     o->refused_ordinary);
        used += k > 0 ? (size_t)k : 0;
        for (size_t g = 0; g < 6 && used < size; g++) {
            if (o->rule_hits[g] > 0) {
                k = snprintf(buf + used, size - used, " %s %zu", RULE_GROUPS[g], o->rule_hits[g]);
                used += k > 0 ? (size_t)k : 0;
            }
        }
        if (used < size) {
            k = snprintf(buf + used, size - used, ")");
            used += k > 0 ? (size_t)k : 0;
        }
    }
    if (o->translated + o->translation_errors > 0 && used < size) {
        snprintf(buf + used, size - used, "; translated %zu, translation errors %zu", o->translated,
                 o->translation_errors);
    }
}

static void add_row(const char *scenario, const char *chain, mode m, int threads, samples *s,
                    const outcome *o, double wall_s) {
    qsort(s->ns, s->n, sizeof s->ns[0], cmp_u64);
    result_row *r = &rows[row_count++];
    memset(r, 0, sizeof *r);
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario);
    snprintf(r->chain, sizeof r->chain, "%s", chain);
    r->mode = m == MODE_RUN ? "run" : "build+run";
    r->threads = threads;
    r->n = s->n;
    r->p50 = pct_us(s, 50);
    r->p90 = pct_us(s, 90);
    r->p99 = pct_us(s, 99);
    r->max = pct_us(s, 100);
    r->mean = mean_us(s);
    /* one thread: 1 / mean of the timed calls; several: messages / wall time */
    r->msgs_per_s = threads > 1 ? (double)s->n / wall_s : (r->mean > 0 ? 1e6 / r->mean : 0);
    describe_outcome(o, r->outcome, sizeof r->outcome);
    fprintf(stderr, "  %-28s %-10s %6zu msgs  p50 %9.2f  p99 %9.2f  max %10.2f µs  %s\n",
            r->scenario, r->mode, r->n, r->p50, r->p99, r->max, r->outcome);
}

static int scenario_id;
static text_stats all_texts;

static void run_scenario(const char *name, const char *chain_label, const char *chain_json, mode m,
                         size_t iterations, lang_mix mix) {
    rename_senders(++scenario_id);
    parley_session session;
    memset(&session, 0, sizeof session);
    snprintf(session.id, sizeof session.id, "bench-session-%d", scenario_id);
    snprintf(session.customer_id, sizeof session.customer_id, "bench-customer");
    session.strategies_json = (char *)(uintptr_t)chain_json;
    parley_strategy *chain = NULL;
    parley_error err;
    memset(&err, 0, sizeof err);
    if (parley_strategy_chain_build(&registry, chain_json, &chain, &err) != PARLEY_OK) {
        fprintf(stderr, "%s: cannot build %s: %s\n", name, chain_json, err.message);
        exit(2);
    }
    /* warm-up (caches, the spam rules' tables), with other texts */
    outcome o;
    memset(&o, 0, sizeof o);
    size_t warmup = iterations / 10 < 200 ? iterations / 10 : 200;
    for (size_t i = 0; i < warmup; i++) {
        (void)(m == MODE_RUN ? one_run(chain, &session, WARMUP_BASE + i, mix, NULL, &o)
                             : one_build_run(&session, WARMUP_BASE + i, mix, NULL, &o));
    }
    memset(&o, 0, sizeof o);
    samples s = {0};
    uint64_t w0 = now_ns();
    for (size_t i = 0; i < iterations; i++) {
        uint64_t ns = m == MODE_RUN ? one_run(chain, &session, i, mix, &all_texts, &o)
                                    : one_build_run(&session, i, mix, &all_texts, &o);
        samples_add(&s, ns);
    }
    double wall = (double)(now_ns() - w0) / 1e9;
    parley_strategy_chain_free(chain);
    add_row(name, chain_label, m, 1, &s, &o, wall);
    free(s.ns);
}

/* ---- profanity on 100-byte messages with no declared language ---- */

/* 100-byte messages (cut at a character boundary), one clean and one
 * with a swear word of that language in each of en es fr de it pt. */
static const char *const DETECT_CLEAN[] = {
    "Hello, my order has not arrived yet and the tracking page shows nothing at all since Monday, "
    "can you check?",
    "Hola, mi pedido todavía no ha llegado y la página de seguimiento no muestra nada desde el "
    "lunes, ¿pueden mirarlo?",
    "Bonjour, ma commande n'est toujours pas arrivée et la page de suivi n'affiche rien depuis "
    "lundi, pouvez-vous vérifier ?",
    "Hallo, meine Bestellung ist immer noch nicht angekommen und die Sendungsverfolgung zeigt seit "
    "Montag nichts an.",
    "Ciao, il mio ordine non è ancora arrivato e la pagina di tracciamento non mostra niente da "
    "lunedì, potete controllare?",
    "Olá, a minha encomenda ainda não chegou e a página de rastreio não mostra nada desde segunda, "
    "podem verificar?",
};
static const char *const DETECT_PROFANE[] = {
    "What the fuck, my order has not arrived yet and the tracking page shows nothing at all since "
    "Monday, check it.",
    "Joder, mi pedido todavía no ha llegado y la página de seguimiento no muestra nada desde el "
    "lunes, ¿qué pasa?",
    "Putain, ma commande n'est toujours pas arrivée et la page de suivi n'affiche rien depuis "
    "lundi, "
    "c'est quoi ?",
    "Scheiße, meine Bestellung ist immer noch nicht angekommen und die Sendungsverfolgung zeigt "
    "seit Montag nichts.",
    "Cazzo, il mio ordine non è ancora arrivato e la pagina di tracciamento non mostra niente da "
    "lunedì, che succede?",
    "Porra, a minha encomenda ainda não chegou e a página de rastreio não mostra nada desde "
    "segunda, que se passa?",
};
#define DETECT_BYTES 100

/* text cut to at most DETECT_BYTES bytes at a character boundary */
static char *cut_100(const char *text) {
    size_t n = strlen(text) < DETECT_BYTES ? strlen(text) : DETECT_BYTES;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) {
        n--;
    }
    char *out = strndup(text, n);
    if (out == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return out;
}

static void run_profanity_100(const char *name, const char *const *texts, size_t ntexts,
                              size_t iterations) {
    parley_strategy *chain = NULL;
    parley_error err;
    memset(&err, 0, sizeof err);
    if (parley_strategy_chain_build(&registry, CHAIN_PROFANITY, &chain, &err) != PARLEY_OK) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        exit(2);
    }
    parley_session session;
    memset(&session, 0, sizeof session);
    outcome o;
    memset(&o, 0, sizeof o);
    samples s = {0};
    uint64_t w0 = now_ns();
    for (size_t i = 0; i < iterations + 200; i++) {
        parley_message msg;
        memset(&msg, 0, sizeof msg);
        msg.type = PARLEY_MESSAGE_TEXT;
        msg.content = cut_100(texts[i % ntexts]);
        json_t *meta = json_object();
        parley_strategy_context ctx = {.message = &msg, .meta = meta, .session = &session};
        uint64_t t0 = now_ns();
        parley_strategy_result r = parley_strategy_chain_run(chain, &ctx, &err);
        uint64_t t1 = now_ns();
        if (i >= 200) { /* the first 200: warm-up */
            samples_add(&s, t1 - t0);
            count_outcome(&o, r, &err, meta, false);
        }
        json_decref(meta);
        free(msg.content);
    }
    parley_strategy_chain_free(chain);
    add_row(name, "profanity", MODE_RUN, 1, &s, &o, (double)(now_ns() - w0) / 1e9);
    free(s.ns);
}

static void run_detector_100(parley_langdetect *detector, size_t iterations) {
    samples s = {0};
    outcome o;
    memset(&o, 0, sizeof o);
    char *texts[COUNT(DETECT_CLEAN)];
    for (size_t i = 0; i < COUNT(DETECT_CLEAN); i++) {
        texts[i] = cut_100(DETECT_CLEAN[i]);
    }
    uint64_t w0 = now_ns();
    for (size_t i = 0; i < iterations + 200; i++) {
        uint64_t t0 = now_ns();
        const char *code = parley_langdetect_decided(detector, texts[i % COUNT(texts)], NULL);
        uint64_t t1 = now_ns();
        if (i >= 200) {
            samples_add(&s, t1 - t0);
            o.passed += code == NULL;
            o.modified += code != NULL; /* "modified": decided */
        }
    }
    for (size_t i = 0; i < COUNT(texts); i++) {
        free(texts[i]);
    }
    add_row("detector alone, 100 B (modified = decided)", "-", MODE_RUN, 1, &s, &o,
            (double)(now_ns() - w0) / 1e9);
    free(s.ns);
}

/* ---- translation with several threads ---- */

typedef struct worker {
    pthread_t thread;
    pthread_barrier_t *barrier;
    const parley_session *session;
    size_t first;
    size_t count;
    size_t warmup;
    samples s;
    outcome o;
    text_stats texts; /* merged into all_texts after the join */
    uint64_t first_call_ns;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    parley_strategy *chain = NULL;
    parley_error err;
    memset(&err, 0, sizeof err);
    if (parley_strategy_chain_build(&registry, w->session->strategies_json, &chain, &err) !=
        PARLEY_OK) {
        fprintf(stderr, "worker: cannot build the chain: %s\n", err.message);
        exit(2);
    }
    outcome ignored;
    memset(&ignored, 0, sizeof ignored);
    /* warm-up together, so each thread holds a pipeline of its own */
    pthread_barrier_wait(w->barrier);
    for (size_t i = 0; i < w->warmup; i++) {
        uint64_t ns =
            one_run(chain, w->session, w->first + 1000000 + i, MIX_EN_ONLY, NULL, &ignored);
        if (i == 0) {
            w->first_call_ns = ns;
        }
    }
    pthread_barrier_wait(w->barrier);
    for (size_t i = 0; i < w->count; i++) {
        samples_add(&w->s, one_run(chain, w->session, w->first + i, MIX_EN_ONLY, &w->texts, &w->o));
    }
    pthread_barrier_wait(w->barrier);
    parley_strategy_chain_free(chain);
    return NULL;
}

static void run_translation_threads(size_t iterations, int threads) {
    rename_senders(++scenario_id);
    parley_session session;
    memset(&session, 0, sizeof session);
    snprintf(session.id, sizeof session.id, "bench-session-%d", scenario_id);
    session.strategies_json = (char *)(uintptr_t)CHAIN_TRANSLATION;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    worker w[8];
    memset(w, 0, sizeof w);
    size_t per = iterations / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        w[t].barrier = &barrier;
        w[t].session = &session;
        w[t].first = (size_t)t * per;
        w[t].count = per;
        w[t].warmup = 20;
        pthread_create(&w[t].thread, NULL, worker_main, &w[t]);
    }
    pthread_barrier_wait(&barrier); /* start warm-up */
    pthread_barrier_wait(&barrier); /* warm-up done */
    uint64_t w0 = now_ns();
    pthread_barrier_wait(&barrier); /* measured run done */
    double wall = (double)(now_ns() - w0) / 1e9;
    samples all = {0};
    outcome o;
    memset(&o, 0, sizeof o);
    for (int t = 0; t < threads; t++) {
        pthread_join(w[t].thread, NULL);
        fprintf(stderr, "  thread %d: first warm-up call %.1f ms\n", t,
                (double)w[t].first_call_ns / 1e6);
        for (size_t i = 0; i < w[t].s.n; i++) {
            samples_add(&all, w[t].s.ns[i]);
        }
        text_stats *ts = &w[t].texts;
        if (ts->n > 0) {
            all_texts.min = all_texts.n == 0 || ts->min < all_texts.min ? ts->min : all_texts.min;
            all_texts.max = ts->max > all_texts.max ? ts->max : all_texts.max;
            all_texts.sum += ts->sum;
            all_texts.n += ts->n;
            all_texts.spanish += ts->spanish;
            all_texts.profane += ts->profane;
            all_texts.spammy += ts->spammy;
        }
        o.passed += w[t].o.passed;
        o.modified += w[t].o.modified;
        o.translated += w[t].o.translated;
        o.translation_errors += w[t].o.translation_errors;
        o.other_refused += w[t].o.other_refused;
        o.spam_detected += w[t].o.spam_detected;
        o.rate_limited += w[t].o.rate_limited;
        o.refused_ordinary += w[t].o.refused_ordinary;
        for (size_t g = 0; g < 6; g++) {
            o.rule_hits[g] += w[t].o.rule_hits[g];
        }
        free(w[t].s.ns);
    }
    pthread_barrier_destroy(&barrier);
    char name[64];
    snprintf(name, sizeof name, "translation, %d threads", threads);
    add_row(name, "translation", MODE_RUN, threads, &all, &o, wall);
    free(all.ns);
}

/* ---- spam model training ---- */

/* Trains on the whole SpamAssassin corpus; false when it is not installed. */
static bool train_corpus(parley_spam_model *model, size_t *nspam, size_t *nham) {
    struct stat st;
    if (stat(CORPUS_DIR "/file_list.json", &st) != 0) {
        return false;
    }
    json_error_t jerr;
    json_t *list = json_load_file(CORPUS_DIR "/file_list.json", 0, &jerr);
    if (list == NULL) {
        return false;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *rel = json_string_value(json_array_get(list, i));
        size_t rl = rel != NULL ? strlen(rel) : 0;
        if (rl <= 4 || strcmp(rel + rl - 4, ".txt") != 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%.*s.json", CORPUS_DIR, (int)(rl - 4), rel);
        json_t *msg = json_load_file(path, 0, &jerr);
        const char *group = json_string_value(json_object_get(msg, "group"));
        const char *text = json_string_value(json_object_get(msg, "text"));
        if (group != NULL && text != NULL) {
            char *chat = spam_corpus_chat_text(text);
            bool spam = strncmp(group, "spam", 4) == 0;
            if (chat != NULL && parley_spam_model_train(model, chat, spam)) {
                *(spam ? nspam : nham) += 1;
            }
            free(chat);
        }
        json_decref(msg);
    }
    json_decref(list);
    return *nspam > 0 && *nham > 0;
}

static const char *const BUILTIN_SPAM[] = {
    "WIN a FREE iPhone now, click http://prize.example/claim",
    "Cheap meds without prescription, visit www.pills.example",
    "Earn money fast working from home, no experience needed, sign up today",
    "Congratulations you have been selected for a cash prize, reply with your bank details",
    "Hot singles in your area want to meet you tonight",
    "Buy followers and likes cheap, best prices guaranteed",
    "Limited offer: casino bonus 500% on your first deposit",
    "Your account will be suspended, verify your password at http://secure-login.example",
    "Make $$$ with crypto trading bot, guaranteed profit every day",
    "Lose 10 kg in a week with this miracle pill, order now",
    "Unsecured loans approved instantly, bad credit ok, apply now",
    "Get a free gift card, just complete this short survey",
};
static const char *const BUILTIN_HAM[] = {
    "Hi, my router stopped working yesterday",
    "I was charged twice for my order, can you help?",
    "Thanks, that fixed it!",
    "When will my package arrive? The tracking has not updated since Monday",
    "Can I change the delivery address of my order?",
    "The app logs me out every time I switch tabs",
    "Could you send me a corrected invoice please?",
    "Ok, I will try that and get back to you",
    "My laptop screen flickers after the last update",
    "Do you ship to Canada?",
    "I would like to cancel my subscription at the end of the month",
    "The printer shows error 42 when I turn it on",
};

/* ---- main ---- */

static void usage(void) {
    fprintf(stderr,
            "usage: parley-strategy-bench [--iterations N] [--translation-iterations N]\n"
            "                             [--only pipeline|spam|profanity|translation|chain]\n");
}

static bool want(const char *only, const char *name) {
    return only == NULL || strcmp(only, name) == 0;
}

static void print_table(void) {
    printf("| scenario | mode | threads | msgs | p50 µs | p90 µs | p99 µs | max µs | mean µs | "
           "msgs/s | outcome |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < row_count; i++) {
        const result_row *r = &rows[i];
        printf("| %s | %s | %d | %zu | %.2f | %.2f | %.2f | %.1f | %.2f | %.0f | %s |\n",
               r->scenario, r->mode, r->threads, r->n, r->p50, r->p90, r->p99, r->max, r->mean,
               r->msgs_per_s, r->outcome);
    }
}

int main(int argc, char **argv) {
    size_t iterations = 20000;
    size_t tr_iterations = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--translation-iterations") == 0 && i + 1 < argc) {
            tr_iterations = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (only != NULL && !want(only, "pipeline") && strcmp(only, "spam") != 0 &&
        strcmp(only, "profanity") != 0 && strcmp(only, "translation") != 0 &&
        strcmp(only, "chain") != 0) {
        usage();
        return 2;
    }
    if (iterations == 0) {
        usage();
        return 2;
    }
    if (tr_iterations == 0) {
        tr_iterations = iterations / 10 > 0 ? iterations / 10 : 1;
    }
    if (!parley_crypto_init()) {
        fprintf(stderr, "parley_crypto_init failed\n");
        return 2;
    }
    for (size_t j = 0; j < EN_SENDERS; j++) {
        en_senders[j] = make_customer("en");
    }
    for (size_t j = 0; j < ES_SENDERS; j++) {
        es_senders[j] = make_customer("es");
    }
    for (size_t j = 0; j < EN_SENDERS; j++) {
        if (en_senders[j] == NULL || (j < ES_SENDERS && es_senders[j] == NULL)) {
            fprintf(stderr, "out of memory\n");
            return 2;
        }
    }

    /* timer overhead: two back-to-back reads */
    samples timer = {0};
    for (int i = 0; i < 100000; i++) {
        uint64_t a = now_ns();
        uint64_t b = now_ns();
        samples_add(&timer, b - a);
    }
    qsort(timer.ns, timer.n, sizeof timer.ns[0], cmp_u64);
    fprintf(stderr, "parley-strategy-bench: %zu iterations (translation %zu)%s%s\n", iterations,
            tr_iterations, only ? ", only " : "", only ? only : "");
#if defined(__OPTIMIZE__)
    fprintf(stderr, "build: optimised (__OPTIMIZE__)%s\n",
#ifdef NDEBUG
            ", NDEBUG"
#else
            ", asserts on"
#endif
    );
#else
    fprintf(stderr, "build: NOT optimised (-O0): figures are meaningless\n");
#endif
    fprintf(stderr, "timer: clock_gettime(CLOCK_MONOTONIC) pair p50 %.0f ns, p99 %.0f ns\n",
            pct_us(&timer, 50) * 1000, pct_us(&timer, 99) * 1000);
    free(timer.ns);

    parley_error err;
    memset(&err, 0, sizeof err);
    void *spam = NULL, *profanity = NULL, *translation = NULL;
    uint64_t t0 = now_ns();
    if (parley_spam_shared_create(&spam, &err) != PARLEY_OK) {
        fprintf(stderr, "spam: %s\n", err.message);
        return 2;
    }
    size_t nspam = 0, nham = 0;
    parley_spam_model *model = parley_spam_shared_model(spam);
    bool corpus =
        want(only, "spam") || want(only, "chain") ? train_corpus(model, &nspam, &nham) : false;
    if (corpus) {
        fprintf(stderr,
                "spam model: trained on the SpamAssassin corpus (data/spam-corpus): %zu spam, "
                "%zu ham, %zu tokens, %.1f s\n",
                nspam, nham, parley_spam_model_size(model), (double)(now_ns() - t0) / 1e9);
    } else {
        parley_spam_model_clear(model);
        for (size_t i = 0; i < COUNT(BUILTIN_SPAM); i++) {
            parley_spam_model_train(model, BUILTIN_SPAM[i], true);
        }
        for (size_t i = 0; i < COUNT(BUILTIN_HAM); i++) {
            parley_spam_model_train(model, BUILTIN_HAM[i], false);
        }
        fprintf(stderr,
                "spam model: data/spam-corpus not installed (or not needed): trained on "
                "%zu built-in spam and %zu ham examples\n",
                COUNT(BUILTIN_SPAM), COUNT(BUILTIN_HAM));
    }
    t0 = now_ns();
    if (parley_profanity_shared_create(&profanity, &err) != PARLEY_OK) {
        fprintf(stderr, "profanity: %s\n", err.message);
        return 2;
    }
    fprintf(stderr, "profanity: automata built in %.1f ms\n", (double)(now_ns() - t0) / 1e6);
    parley_langdetect *detector = parley_builtin_profanity_detector(profanity);
    fprintf(stderr, "profanity: language detector %s\n",
            detector != NULL ? "attached (exttextcat)" : "MISSING (declared language only)");
    struct stat st;
    have_translation =
        stat(APERTIUM_MODES "/eng-spa.mode", &st) == 0 &&
        parley_translation_shared_create(APERTIUM_MODES, TRANSLATION_POOL, TRANSLATION_TIMEOUT_MS,
                                         &translation, &err) == PARLEY_OK;
    if (!have_translation) {
        fprintf(stderr, "translation: apertium eng-spa not available (%s): skipped\n",
                APERTIUM_MODES "/eng-spa.mode");
    }
    if (!parley_strategy_register(&registry, &parley_spam_strategy_ops, spam) ||
        !parley_strategy_register(&registry, &parley_profanity_strategy_ops, profanity) ||
        !parley_strategy_register(&registry, &noop_ops, NULL) ||
        (have_translation &&
         !parley_strategy_register(&registry, &parley_translation_strategy_ops, translation))) {
        fprintf(stderr, "cannot register the strategies\n");
        return 2;
    }

    if (want(only, "pipeline")) {
        run_scenario("empty chain `[]`", "[]", "[]", MODE_BUILD_RUN, iterations, MIX_EN_ES);
        run_scenario("no-op strategy", "noop", "[{\"name\":\"noop\"}]", MODE_RUN, iterations,
                     MIX_EN_ES);
        run_scenario("no-op strategy", "noop", "[{\"name\":\"noop\"}]", MODE_BUILD_RUN, iterations,
                     MIX_EN_ES);
    }
    if (want(only, "spam")) {
        run_scenario("spam", "spam", CHAIN_SPAM, MODE_RUN, iterations, MIX_EN_ES);
        run_scenario("spam", "spam", CHAIN_SPAM, MODE_BUILD_RUN, iterations, MIX_EN_ES);
    }
    if (want(only, "profanity")) {
        run_scenario("profanity", "profanity", CHAIN_PROFANITY, MODE_RUN, iterations, MIX_EN_ES);
        run_scenario("profanity", "profanity", CHAIN_PROFANITY, MODE_BUILD_RUN, iterations,
                     MIX_EN_ES);
        if (detector != NULL) {
            run_profanity_100("100 B clean, undeclared, detection", DETECT_CLEAN,
                              COUNT(DETECT_CLEAN), iterations);
            run_profanity_100("100 B swearing, undeclared, detection", DETECT_PROFANE,
                              COUNT(DETECT_PROFANE), iterations);
            parley_profanity_set_detector(profanity, NULL, NULL);
            run_profanity_100("100 B clean, undeclared, no detection", DETECT_CLEAN,
                              COUNT(DETECT_CLEAN), iterations);
            run_profanity_100("100 B swearing, undeclared, no detection", DETECT_PROFANE,
                              COUNT(DETECT_PROFANE), iterations);
            parley_profanity_set_detector(profanity, parley_langdetect_decided, detector);
            run_detector_100(detector, iterations);
        }
    }
    if (want(only, "translation") && have_translation) {
        /* the cold first call: starts the apertium pipeline */
        rename_senders(++scenario_id);
        parley_session session;
        memset(&session, 0, sizeof session);
        snprintf(session.id, sizeof session.id, "bench-session-%d", scenario_id);
        parley_strategy *chain = NULL;
        if (parley_strategy_chain_build(&registry, CHAIN_TRANSLATION, &chain, &err) != PARLEY_OK) {
            fprintf(stderr, "translation: %s\n", err.message);
            return 2;
        }
        outcome o;
        memset(&o, 0, sizeof o);
        uint64_t cold = one_run(chain, &session, 0, MIX_EN_ONLY, NULL, &o);
        samples warm = {0};
        for (size_t i = 1; i <= 50; i++) {
            samples_add(&warm, one_run(chain, &session, i, MIX_EN_ONLY, NULL, &o));
        }
        qsort(warm.ns, warm.n, sizeof warm.ns[0], cmp_u64);
        fprintf(stderr,
                "translation: cold first call %.1f ms (%s); then 50 warm-up calls p50 %.2f ms\n",
                (double)cold / 1e6, o.translated > 0 ? "translated" : "NOT translated",
                pct_us(&warm, 50) / 1000.0);
        printf("translation cold first call (starts the apertium eng-spa pipeline): %.1f ms\n",
               (double)cold / 1e6);
        free(warm.ns);
        parley_strategy_chain_free(chain);
        run_scenario("translation en→es (apertium)", "translation", CHAIN_TRANSLATION, MODE_RUN,
                     tr_iterations, MIX_EN_ONLY);
        run_scenario("translation en→es (apertium)", "translation", CHAIN_TRANSLATION,
                     MODE_BUILD_RUN, tr_iterations, MIX_EN_ONLY);
        run_translation_threads(tr_iterations, TRANSLATION_POOL);
    }
    if (want(only, "chain")) {
        run_scenario("spam → profanity", "spam,profanity", CHAIN_SPAM_PROFANITY, MODE_RUN,
                     iterations, MIX_EN_ES);
        run_scenario("spam → profanity", "spam,profanity", CHAIN_SPAM_PROFANITY, MODE_BUILD_RUN,
                     iterations, MIX_EN_ES);
        if (have_translation) {
            run_scenario("spam → profanity → translation", "all three", CHAIN_ALL, MODE_RUN,
                         tr_iterations, MIX_EN_ES);
            run_scenario("spam → profanity → translation", "all three", CHAIN_ALL, MODE_BUILD_RUN,
                         tr_iterations, MIX_EN_ES);
        }
    }

    if (all_texts.n > 0) {
        printf("messages: %zu measured, %zu-%zu bytes (mean %.0f); %.0f %% Spanish, %.0f %% with "
               "profanity, %.0f %% spammy\n",
               all_texts.n, all_texts.min, all_texts.max,
               (double)all_texts.sum / (double)all_texts.n,
               100.0 * (double)all_texts.spanish / (double)all_texts.n,
               100.0 * (double)all_texts.profane / (double)all_texts.n,
               100.0 * (double)all_texts.spammy / (double)all_texts.n);
    }
    if (all_texts.n > 0 && (all_texts.min < TEXT_MIN_BYTES || all_texts.max > TEXT_MAX_BYTES)) {
        fprintf(stderr, "warning: message lengths outside %d-%d bytes\n", TEXT_MIN_BYTES,
                TEXT_MAX_BYTES);
    }
    printf("spam model: %s\n\n", corpus ? "SpamAssassin corpus" : "built-in examples");
    print_table();

    parley_translation_shared_free(translation);
    parley_profanity_shared_free(profanity);
    parley_langdetect_free(detector);
    parley_spam_shared_free(spam);
    for (size_t j = 0; j < EN_SENDERS; j++) {
        parley_participant_free(en_senders[j]);
    }
    for (size_t j = 0; j < ES_SENDERS; j++) {
        parley_participant_free(es_senders[j]);
    }
    return 0;
}
