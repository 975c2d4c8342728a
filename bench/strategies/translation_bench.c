/*
 * translation_bench.c - parley-translation-bench: what translating both
 * ways (issue 16) adds per message to the translation strategy, against a
 * real SQLite database in a temporary directory (no server, no network).
 *
 * Two ways means the strategy looks up who reads the message: for a
 * customer's message the assigned agent (accounts->agent_get), for the
 * desk's the customer (accounts->customer_get) and, when the customer has
 * no language, their latest messages of the session (messages->list, 20,
 * meta parsed). Those reads are what this measures, with texts already in
 * the reader's language so that apertium is not called and the reads are
 * not lost in its milliseconds; then a real en->es translation with and
 * without the reads, for scale.
 *
 * Scenarios (each timed around the strategy's process() alone, every
 * sample kept, exact percentiles):
 *   baseline      no repository: the one-way path (detection only)
 *   customer msg  session assigned to an agent with a profile language
 *   agent msg     customer with a profile language
 *   agent msg     customer without one: 20 messages read and parsed
 *   translated    agent en->es with apertium, without / with the reads
 *
 * Usage: parley-translation-bench [--iterations N]   (default 20000; the
 * apertium rows a tenth). Markdown table to stdout.
 *
 * Threads: one (the main thread); the strategy's shared state is made and
 * freed here.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/participant.h"
#include "core/repository.h"
#include "storage/backend.h"
#include "strategies/translation.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, const parley_error *err) {
    fprintf(stderr, "parley-translation-bench: %s: %s\n", what, err != NULL ? err->message : "");
    exit(2);
}

typedef struct scenario {
    const char *name;
    parley_strategy *strategy;
    const parley_session *session;
    const parley_participant *sender;
    parley_participant_kind kind;
    const char *text;
    parley_repository *repo;
    const char *expect_to; /* translation.to expected, NULL = none */
} scenario;

static uint64_t run_once(const scenario *sc, bool check) {
    parley_message m;
    memset(&m, 0, sizeof m);
    m.content = strdup(sc->text);
    m.sender_kind = sc->kind;
    snprintf(m.session_id, sizeof m.session_id, "%s", sc->session->id);
    json_t *meta = json_object();
    parley_strategy_context ctx = {.message = &m,
                                   .meta = meta,
                                   .session = sc->session,
                                   .sender = sc->sender,
                                   .repo = sc->repo};
    parley_error err;
    parley_error_clear(&err);
    uint64_t t0 = now_ns();
    sc->strategy->ops->process(sc->strategy, &ctx, &err);
    uint64_t ns = now_ns() - t0;
    if (check) {
        /* the rows without apertium must not translate, the others must */
        const char *to =
            json_string_value(json_object_get(meta, "translations") != NULL
                                  ? json_object_get(json_object_get(meta, "translation"), "to")
                                  : NULL);
        if ((sc->expect_to == NULL) != (to == NULL) ||
            (to != NULL && strcmp(to, sc->expect_to) != 0)) {
            char *dump = json_dumps(meta, 0);
            fprintf(stderr, "%s: unexpected meta %s\n", sc->name, dump);
            free(dump);
            exit(2);
        }
    }
    json_decref(meta);
    free(m.content);
    return ns;
}

static double run_scenario(const scenario *sc, size_t n) {
    uint64_t *ns = malloc(n * sizeof *ns);
    if (ns == NULL) {
        die("out of memory", NULL);
    }
    for (size_t i = 0; i < 50; i++) {
        run_once(sc, i == 0);
    }
    for (size_t i = 0; i < n; i++) {
        ns[i] = run_once(sc, false);
    }
    qsort(ns, n, sizeof *ns, cmp_u64);
    double p50 = (double)ns[n / 2] / 1000.0;
    printf("| %s | %zu | %.1f | %.1f | %.1f |\n", sc->name, n, p50,
           (double)ns[(n * 9) / 10] / 1000.0, (double)ns[(n * 99) / 100] / 1000.0);
    fflush(stdout);
    free(ns);
    return p50;
}

static parley_strategy *make_strategy(void *shared, const char *json) {
    json_t *config = json_loads(json, 0, NULL);
    parley_strategy *s = NULL;
    parley_error err;
    parley_error_clear(&err);
    if (config == NULL ||
        parley_translation_strategy_ops.create(config, shared, &s, &err) != PARLEY_OK) {
        die("create", &err);
    }
    json_decref(config);
    return s;
}

int main(int argc, char **argv) {
    size_t n = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            n = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: parley-translation-bench [--iterations N]\n");
            return 2;
        }
    }
    if (n < 10) {
        n = 10;
    }
    char dir[] = "/tmp/parley-trbench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        die("mkdtemp", NULL);
    }
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
    parley_error err;
    parley_error_clear(&err);
    parley_repository *repo = NULL;
    if (parley_storage_migrate(url, &err) != PARLEY_OK ||
        parley_storage_open(url, NULL, &repo, &err) != PARLEY_OK) {
        die("database", &err);
    }

    /* the cast: an English agent, a Spanish customer, one without a
     * language, a session of each assigned to the agent */
    char en[] = "en", es[] = "es", name[] = "Bench";
    char email[] = "bench-agent@example.com";
    parley_agent agent = {.name = name, .email = email, .language = en, .active = true};
    parley_id_new("agt", agent.id);
    parley_customer declared = {.name = name, .language = es};
    parley_customer plain = {.name = name};
    parley_id_new("cus", declared.id);
    parley_id_new("cus", plain.id);
    char chain[] = "[{\"name\":\"translation\",\"target\":\"en\"}]";
    char topic[] = "bench";
    parley_session s1 = {.topic = topic, .strategies_json = chain};
    parley_session s2 = {.topic = topic, .strategies_json = chain};
    parley_id_new("ses", s1.id);
    parley_id_new("ses", s2.id);
    snprintf(s1.customer_id, sizeof s1.customer_id, "%s", declared.id);
    snprintf(s2.customer_id, sizeof s2.customer_id, "%s", plain.id);
    snprintf(s1.agent_id, sizeof s1.agent_id, "%s", agent.id);
    snprintf(s2.agent_id, sizeof s2.agent_id, "%s", agent.id);
    s1.status = s2.status = PARLEY_SESSION_ACTIVE;
    if (repo->accounts->agent_insert(repo, &agent, "x", &err) != PARLEY_OK ||
        repo->accounts->customer_insert(repo, &declared, &err) != PARLEY_OK ||
        repo->accounts->customer_insert(repo, &plain, &err) != PARLEY_OK ||
        repo->sessions->insert(repo, &s1, &err) != PARLEY_OK ||
        repo->sessions->insert(repo, &s2, &err) != PARLEY_OK) {
        die("fixtures", &err);
    }
    /* 20 messages in s2: the customer's Spanish ones (meta language es) and
     * the agent's */
    char hola[] = "Hola, necesito ayuda con mi pedido, por favor.";
    char meta_es[] = "{\"language\":\"es\"}";
    for (int i = 1; i <= 20; i++) {
        parley_message m = {.seq = i, .content = hola, .created_at = i};
        parley_id_new("msg", m.id);
        snprintf(m.session_id, sizeof m.session_id, "%s", s2.id);
        bool from_customer = i % 2 == 1;
        m.sender_kind = from_customer ? PARLEY_PARTICIPANT_CUSTOMER : PARLEY_PARTICIPANT_AGENT;
        snprintf(m.sender_id, sizeof m.sender_id, "%s", from_customer ? plain.id : agent.id);
        m.meta_json = from_customer ? meta_es : NULL;
        if (repo->messages->insert(repo, &m, &err) != PARLEY_OK) {
            die("messages", &err);
        }
    }
    s1.last_seq = 0;
    s2.last_seq = 20;

    parley_agent_participant ap = {.base = {.ops = &parley_agent_participant_ops}, .agent = agent};
    snprintf(ap.base.id, sizeof ap.base.id, "%s", agent.id);
    parley_customer_participant cp = {.base = {.ops = &parley_customer_participant_ops},
                                      .customer = declared};
    snprintf(cp.base.id, sizeof cp.base.id, "%s", declared.id);

    void *shared = NULL;
    if (parley_translation_shared_create(NULL, 1, 10000, &shared, &err) != PARLEY_OK) {
        die("translation", &err);
    }
    parley_strategy *desk = make_strategy(shared, "{\"name\":\"translation\",\"target\":\"en\"}");
    /* the one-way path: languages fixed in the chain, no reads */
    parley_strategy *fixed =
        make_strategy(shared, "{\"name\":\"translation\",\"customer_language\":\"es\","
                              "\"agent_language\":\"en\"}");
    const char *english = "Thank you for waiting, I have checked your order and it ships today.";
    const char *spanish = "Gracias por esperar, he revisado su pedido y sale hoy mismo.";

    printf("| scenario | msgs | p50 µs | p90 µs | p99 µs |\n|---|---:|---:|---:|---:|\n");
    scenario base_c = {"customer msg en, no reads (one way: languages fixed in the chain)",
                       fixed,
                       &s1,
                       &cp.base,
                       PARLEY_PARTICIPANT_CUSTOMER,
                       english,
                       NULL,
                       NULL};
    scenario two_c = {"customer msg en to an assigned en agent (agent_get)",
                      desk,
                      &s1,
                      &cp.base,
                      PARLEY_PARTICIPANT_CUSTOMER,
                      english,
                      repo,
                      NULL};
    scenario base_a = {"agent msg es, no reads (one way)", fixed,   &s1,  &ap.base,
                       PARLEY_PARTICIPANT_AGENT,           spanish, NULL, NULL};
    scenario two_a = {"agent msg es to a customer with a profile language (customer_get)",
                      desk,
                      &s1,
                      &ap.base,
                      PARLEY_PARTICIPANT_AGENT,
                      spanish,
                      repo,
                      NULL};
    scenario two_d = {"agent msg es, customer without one (customer_get + 20 messages)",
                      desk,
                      &s2,
                      &ap.base,
                      PARLEY_PARTICIPANT_AGENT,
                      spanish,
                      repo,
                      NULL};
    double b_c = run_scenario(&base_c, n);
    double t_c = run_scenario(&two_c, n);
    double b_a = run_scenario(&base_a, n);
    double t_a = run_scenario(&two_a, n);
    double t_d = run_scenario(&two_d, n);
    size_t nt = n / 10 < 50 ? 50 : n / 10;
    scenario tr_fixed = {"agent msg en->es translated (apertium), no reads",
                         fixed,
                         &s1,
                         &ap.base,
                         PARLEY_PARTICIPANT_AGENT,
                         english,
                         NULL,
                         "es"};
    scenario tr_two = {"agent msg en->es translated (apertium), customer_get + 20 messages",
                       desk,
                       &s2,
                       &ap.base,
                       PARLEY_PARTICIPANT_AGENT,
                       english,
                       repo,
                       "es"};
    double tf = run_scenario(&tr_fixed, nt);
    double tt = run_scenario(&tr_two, nt);
    printf("\nadded by the reads at p50: customer msg %+.1f µs, agent msg %+.1f µs (profile), "
           "%+.1f µs (detected from history); translated message %+.1f µs (%.0f vs %.0f)\n",
           t_c - b_c, t_a - b_a, t_d - b_a, tt - tf, tt, tf);

    desk->ops->destroy(desk);
    fixed->ops->destroy(fixed);
    parley_translation_shared_free(shared);
    repo->ops->close(repo);
    char path[160];
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    return system(path) == 0 ? 0 : 1;
}
