/* The translation strategy against the real apertium pairs and the real
 * libexttextcat models, and its LibreTranslate backend against a small
 * local server (fake_libretranslate.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strategy.h"
#include "strategies/translation.h"
#include "strategies/translation_apertium.h"
#include "strategies/translation_detect.h"

extern char **environ;

/* ---- helpers ---- */

typedef struct run {
    parley_strategy_result result;
    json_t *meta;
    char *content;
} run;

static parley_strategy *make(void *shared, const char *config_json) {
    json_t *config = json_loads(config_json, 0, NULL);
    assert_non_null(config);
    parley_strategy *s = NULL;
    parley_error err;
    parley_error_clear(&err);
    parley_status st = parley_translation_strategy_ops.create(config, shared, &s, &err);
    json_decref(config);
    if (st != PARLEY_OK) {
        fprintf(stderr, "create: %s %s\n", err.code, err.message);
    }
    assert_int_equal(st, PARLEY_OK);
    return s;
}

/* text from a sender of that kind through s; meta_language, when given,
 * is what an earlier step of the chain said the language is. */
static run process_from(parley_strategy *s, const char *text, const char *meta_language,
                        parley_participant_kind kind) {
    parley_message m;
    memset(&m, 0, sizeof m);
    m.content = strdup(text);
    m.sender_kind = kind;
    run r = {.meta = json_object()};
    if (meta_language != NULL) {
        json_object_set_new(r.meta, "language", json_string(meta_language));
    }
    parley_strategy_context ctx = {.message = &m, .meta = r.meta};
    parley_error err;
    parley_error_clear(&err);
    r.result = parley_translation_strategy_ops.process(s, &ctx, &err);
    r.content = m.content;
    return r;
}

static run process(parley_strategy *s, const char *text, const char *meta_language) {
    return process_from(s, text, meta_language, (parley_participant_kind)0);
}

static void run_free(run *r) {
    json_decref(r->meta);
    free(r->content);
}

static const char *translation_of(const run *r, const char *lang) {
    return json_string_value(json_object_get(json_object_get(r->meta, "translations"), lang));
}

static const char *error_of(const run *r) {
    return json_string_value(json_object_get(json_object_get(r->meta, "translation"), "error"));
}

/* text goes through s unchanged and untranslated, for that reason (the
 * meta's translation.error) */
static void expect_kept(parley_strategy *s, const char *text, const char *why) {
    run r = process(s, text, NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
    assert_string_equal(r.content, text);
    assert_string_equal(error_of(&r), why);
    run_free(&r);
}

static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        if (strncasecmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void *shared_default(void) {
    void *shared = NULL;
    parley_error err;
    assert_int_equal(parley_translation_shared_create(NULL, 2, 10000, &shared, &err), PARLEY_OK);
    return shared;
}

/* A strategy made from config_json over the default pipelines. */
typedef struct subject {
    void *shared;
    parley_strategy *s;
} subject;

static subject open_subject(const char *config_json) {
    subject t = {.shared = shared_default()};
    t.s = make(t.shared, config_json);
    return t;
}

static void close_subject(subject *t) {
    t->s->ops->destroy(t->s);
    parley_translation_shared_free(t->shared);
}

/* A string member of the message's meta. */
static const char *meta_text(const run *r, const char *key) {
    return json_string_value(json_object_get(r->meta, key));
}

/* ---- pure helpers ---- */

static void test_escape_roundtrip(void **state) {
    (void)state;
    const char *text = "a [b] ^c$ \\d/ <e> @f {g} *h ~i #j ordinary";
    char *e = parley_apertium_escape(text);
    assert_string_equal(e,
                        "a \\[b\\] \\^c\\$ \\\\d\\/ \\<e\\> \\@f \\{g\\} \\*h \\~i \\#j ordinary");
    char *u = parley_apertium_unescape(e, strlen(e), true, true);
    assert_string_equal(u, text);
    free(e);
    free(u);
    /* apertium's marks on unknown words are dropped */
    const char *marked = "Hola *tewqx #cosa @palabra \\@user";
    u = parley_apertium_unescape(marked, strlen(marked), true, true);
    assert_string_equal(u, "Hola tewqx cosa palabra @user");
    free(u);
    u = parley_apertium_unescape(marked, strlen(marked), false, false);
    assert_string_equal(u, "Hola *tewqx #cosa palabra @user");
    free(u);
}

static void test_mode_command(void **state) {
    (void)state;
    const char *mode = "lt-proc '/x/a b.bin' | apertium-tagger -g $2 '/x/p' | lt-proc $1 "
                       "'/x/gen.bin' | lt-proc -z -p '/x/pgen.bin'\n";
    char *c = parley_apertium_mode_command(mode, strlen(mode));
    assert_non_null(c);
    assert_string_equal(c, "lt-proc -z '/x/a b.bin' | apertium-tagger -z -g  '/x/p' | lt-proc -z "
                           "-n '/x/gen.bin' | lt-proc -z -p '/x/pgen.bin'");
    free(c);
    const char *bad[] = {"",       "a | | b", "a; rm -rf /", "a 'open", "a | b > /tmp/x",
                         "a `id`", "a $(id)", "a $HOME",     "a & b",   "|"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(parley_apertium_mode_command(bad[i], strlen(bad[i])));
    }
}

/* ---- apertium ---- */

static void test_apertium_eng_spa_and_back(void **state) {
    (void)state;
    subject t = open_subject("{\"name\":\"translation\",\"target\":\"es\"}");
    void *shared = t.shared;
    parley_strategy *s = t.s;
    run r = process(s, "Hello, my friend. How are you today? I need help with my order.", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(r.content,
                        "Hello, my friend. How are you today? I need help with my order.");
    assert_string_equal(meta_text(&r, "language"), "en");
    const char *es = translation_of(&r, "es");
    assert_non_null(es);
    assert_true(contains_ci(es, "hola"));
    assert_true(contains_ci(es, "amigo"));
    json_t *info = json_object_get(r.meta, "translation");
    assert_string_equal(json_string_value(json_object_get(info, "backend")), "apertium");
    assert_string_equal(json_string_value(json_object_get(info, "pair")), "eng-spa");
    assert_true(json_is_number(json_object_get(info, "ms")));
    run_free(&r);
    s->ops->destroy(s);

    s = make(shared, "{\"name\":\"translation\",\"target\":\"en\"}");
    r = process(s, "Hola, mi amigo. Necesito ayuda con mi pedido, por favor.", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(meta_text(&r, "language"), "es");
    const char *en = translation_of(&r, "en");
    assert_non_null(en);
    assert_true(contains_ci(en, "hello"));
    assert_true(contains_ci(en, "help"));
    run_free(&r);
    /* same language: nothing to do */
    r = process(s, "The weather is lovely today and I would like to order a pizza.", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
    assert_null(json_object_get(r.meta, "translations"));
    assert_string_equal(meta_text(&r, "language"), "en");
    run_free(&r);
    t.s = s; /* the second strategy, over the same pipelines */
    close_subject(&t);
}

static void test_apertium_pivot(void **state) {
    (void)state;
    subject t = open_subject("{\"name\":\"translation\",\"target\":\"en\"}");
    parley_strategy *s = t.s;
    run r = process(s, "Bonjour, j'ai besoin d'aide avec ma commande, mon ami.", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(meta_text(&r, "language"), "fr");
    json_t *info = json_object_get(r.meta, "translation");
    assert_string_equal(json_string_value(json_object_get(info, "pair")), "fr-es+spa-eng");
    assert_true(contains_ci(translation_of(&r, "en"), "help"));
    run_free(&r);
    close_subject(&t);
}

static void test_apertium_specials(void **state) {
    (void)state;
    subject t = open_subject("{\"name\":\"translation\",\"target\":\"es\",\"source\":\"en\"}");
    parley_strategy *s = t.s;
    const char *texts[] = {"Hello [my friend",      "my friend ] ^ $ @ \\ is here",
                           "^broken<n>$ my friend", "[unclosed superblank my friend",
                           "my friend \\",          "{a} <b> /c/ *d ~e #f my friend @bob"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        run r = process(s, texts[i], NULL);
        assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
        const char *es = translation_of(&r, "es");
        assert_non_null(es);
        assert_true(contains_ci(es, "amigo"));
        run_free(&r);
    }
    /* a special right at the end: an escaped "^" followed only by the
     * request's end once held a stage until the timeout */
    const char *endings[] = {"my friend^", "^", "my friend ^", "my friend $", "my friend ["};
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
        run r = process(s, endings[i], NULL);
        assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
        const char *es = translation_of(&r, "es");
        assert_non_null(es);
        const char *special = endings[i] + strlen(endings[i]) - 1;
        assert_non_null(strstr(es, special));
        run_free(&r);
    }
    /* the specials come back as text */
    run r = process(s, "Hello [world] my friend @bob", NULL);
    const char *es = translation_of(&r, "es");
    assert_non_null(strchr(es, '['));
    assert_non_null(strchr(es, ']'));
    assert_non_null(strstr(es, "@bob"));
    run_free(&r);
    close_subject(&t);
}

static char *make_mode_dir(const char *mode_name, const char *mode_text, const char *script) {
    char tmpl[] = "/tmp/parley-modes-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[512];
    if (script != NULL) {
        snprintf(path, sizeof path, "%s/stuck.sh", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(script, f);
        fclose(f);
        chmod(path, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", dir, mode_name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* with a script, mode_text follows the directory: "<dir>/stuck.sh ..." */
    if (script != NULL) {
        fprintf(f, "%s/", dir);
    }
    fputs(mode_text, f);
    fclose(f);
    return strdup(dir);
}

static void remove_dir(char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void test_apertium_stuck_pipeline_restarts(void **state) {
    (void)state;
    char *dir = make_mode_dir("eng-spa.mode", "stuck.sh | cat", "#!/bin/sh\nexec sleep 100\n");
    void *shared = NULL;
    parley_error err;
    assert_int_equal(parley_translation_shared_create(dir, 1, 300, &shared, &err), PARLEY_OK);
    parley_strategy *s =
        make(shared, "{\"name\":\"translation\",\"target\":\"es\",\"source\":\"en\"}");
    for (int i = 0; i < 2; i++) {
        run r = process(s, "Hello my friend", NULL);
        assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
        assert_string_equal(r.content, "Hello my friend");
        assert_string_equal(error_of(&r), "timeout");
        assert_null(translation_of(&r, "es"));
        run_free(&r);
    }
    /* each timeout killed its pipeline; the second request started a new one */
    s->ops->destroy(s);
    parley_translation_shared_free(shared);
    remove_dir(dir);

    /* directly: the restart counter, and a healthy pipeline after a dead one */
    dir = make_mode_dir("eng-spa.mode", "stuck.sh", "#!/bin/sh\nexec sleep 100\n");
    char path[512];
    snprintf(path, sizeof path, "%s/eng-spa.mode", dir);
    parley_apertium *pool = parley_apertium_create(dir, 1, 200);
    assert_int_equal(parley_apertium_pair_count(pool), 1);
    char *out = NULL;
    assert_int_equal(parley_apertium_translate(pool, "en", "es", "hello", &out, NULL, 0),
                     PARLEY_APERTIUM_TIMEOUT);
    assert_int_equal(parley_apertium_restarts(pool), 1);
    assert_int_equal(parley_apertium_translate(pool, "en", "es", "hello", &out, NULL, 0),
                     PARLEY_APERTIUM_TIMEOUT);
    assert_int_equal(parley_apertium_restarts(pool), 2);
    parley_apertium_free(pool);
    /* a pipeline that exits at once is a backend failure, not a hang */
    FILE *f = fopen(path, "w");
    fputs("true", f);
    fclose(f);
    pool = parley_apertium_create(dir, 1, 2000);
    assert_int_equal(parley_apertium_translate(pool, "en", "es", "hello", &out, NULL, 0),
                     PARLEY_APERTIUM_FAILED);
    assert_null(out);
    parley_apertium_free(pool);
    remove_dir(dir);
}

typedef struct worker_arg {
    parley_apertium *pool;
    int failures;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < 20; i++) {
        char text[128];
        snprintf(text, sizeof text, "Hello my friend, this is message number %d.", i);
        char *out = NULL;
        if (parley_apertium_translate(a->pool, "en", "es", text, &out, NULL, 0) !=
                PARLEY_APERTIUM_OK ||
            !contains_ci(out, "amigo")) {
            a->failures++;
        }
        free(out);
    }
    return NULL;
}

static void test_apertium_pool_concurrency(void **state) {
    (void)state;
    parley_apertium *pool = parley_apertium_create("/usr/share/apertium/modes", 2, 20000);
    assert_non_null(pool);
    pthread_t t[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){.pool = pool};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(parley_apertium_restarts(pool), 0);
    parley_apertium_free(pool);
}

static void test_unsupported_pair(void **state) {
    (void)state;
    char *dir = make_mode_dir("eng-spa.mode", "cat", NULL);
    void *shared = NULL;
    parley_error err;
    assert_int_equal(parley_translation_shared_create(dir, 1, 2000, &shared, &err), PARLEY_OK);
    parley_strategy *s = make(shared, "{\"name\":\"translation\",\"target\":\"en\"}");
    run r = process(s, "Hola, mi amigo. Necesito ayuda con mi pedido, por favor.", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
    assert_string_equal(r.content, "Hola, mi amigo. Necesito ayuda con mi pedido, por favor.");
    assert_string_equal(error_of(&r), "unsupported_pair");
    assert_string_equal(meta_text(&r, "language"), "es");
    /* issue 16: flagged with the languages, for the UI's notice */
    json_t *info = json_object_get(r.meta, "translation");
    assert_string_equal(json_string_value(json_object_get(info, "status")), "unavailable");
    assert_string_equal(json_string_value(json_object_get(info, "from")), "es");
    assert_string_equal(json_string_value(json_object_get(info, "to")), "en");
    run_free(&r);
    /* too short to tell and nothing known */
    expect_kept(s, "ok", "unknown_language");
    s->ops->destroy(s);
    parley_translation_shared_free(shared);
    remove_dir(dir);
}

/* ---- detection ---- */

static void test_detection(void **state) {
    (void)state;
    parley_langdetect *d = parley_langdetect_create(NULL);
    assert_non_null(d);
    const struct {
        const char *lang, *text;
    } cases[] = {
        {"en", "Hello, how are you today? I need help with my order."},
        {"es", "Buenos días, quisiera saber cuándo llegará mi paquete, porque hace dos semanas "
               "que lo espero."},
        {"fr", "Bonjour, comment allez-vous aujourd'hui? J'ai besoin d'aide avec ma commande."},
        {"pt", "Olá, como você está hoje? Preciso de ajuda com o meu pedido."},
        {"ca", "Bon dia, voldria saber quan arribarà el meu paquet, perquè fa dues setmanes que "
               "l'espero."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool detected = false;
        const char *got = parley_langdetect_detect(d, cases[i].text, 20, NULL, &detected);
        assert_non_null(got);
        assert_string_equal(got, cases[i].lang);
        assert_true(detected);
    }
    /* short texts keep the known language (or stay unknown) */
    bool detected = true;
    assert_string_equal(parley_langdetect_detect(d, "ok merci", 20, "fr", &detected), "fr");
    assert_false(detected);
    assert_null(parley_langdetect_detect(d, "ok", 20, NULL, NULL));
    /* an unsupported known language counts as unknown */
    assert_null(parley_langdetect_detect(d, "ok", 20, "de", NULL));
    parley_langdetect_free(d);

    /* through the strategy: meta language from an earlier step */
    subject t = open_subject("{\"name\":\"translation\",\"target\":\"es\"}");
    run r = process(t.s, "Hello my friend", "en");
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_true(contains_ci(translation_of(&r, "es"), "amigo"));
    run_free(&r);
    close_subject(&t);
}

/* ---- direction from the sender's role ---- */

static run process_as(parley_strategy *s, const char *text, parley_participant_kind kind) {
    return process_from(s, text, NULL, kind);
}

static void test_direction_by_role(void **state) {
    (void)state;
    subject t = open_subject("{\"name\":\"translation\",\"customer_language\":\"es\","
                             "\"agent_language\":\"en\"}");
    parley_strategy *s = t.s;
    /* short texts: the sender's side gives the language */
    run r = process_as(s, "Hola amigo", PARLEY_PARTICIPANT_CUSTOMER);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(meta_text(&r, "language"), "es");
    assert_true(contains_ci(translation_of(&r, "en"), "hello"));
    run_free(&r);
    r = process_as(s, "Hello my friend", PARLEY_PARTICIPANT_AGENT);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(meta_text(&r, "language"), "en");
    assert_true(contains_ci(translation_of(&r, "es"), "amigo"));
    run_free(&r);
    /* a customer who writes in the agent's language needs nothing */
    r = process_as(s, "Hello, how are you today? I need help with my order.",
                   PARLEY_PARTICIPANT_CUSTOMER);
    assert_int_equal(r.result, PARLEY_STRATEGY_PASS);
    assert_null(json_object_get(r.meta, "translations"));
    run_free(&r);
    close_subject(&t);
}

/* ---- options and describe ---- */

static void test_config_validation(void **state) {
    (void)state;
    void *shared = shared_default();
    const char *bad[] = {
        "{\"name\":\"translation\"}",
        "{\"name\":\"translation\",\"target\":\"de\"}",
        "{\"name\":\"translation\",\"target\":5}",
        "{\"name\":\"translation\",\"target\":\"es\",\"colour\":1}",
        "{\"name\":\"translation\",\"target\":\"es\",\"backend\":\"google\"}",
        "{\"name\":\"translation\",\"target\":\"es\",\"backend\":\"libretranslate\"}",
        "{\"name\":\"translation\",\"target\":\"es\",\"url\":\"ftp://x\"}",
        "{\"name\":\"translation\",\"target\":\"es\",\"timeout_ms\":0}",
        "{\"name\":\"translation\",\"target\":\"es\",\"source\":\"xx\"}",
        "{\"name\":\"translation\",\"customer_language\":\"es\"}",
        ("{\"name\":\"translation\",\"target\":\"es\",\"customer_language\":\"es\","
         "\"agent_language\":\"en\"}"),
        "{\"name\":\"translation\",\"customer_language\":\"es\",\"agent_language\":\"de\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *config = json_loads(bad[i], 0, NULL);
        parley_strategy *s = NULL;
        parley_error err;
        parley_error_clear(&err);
        assert_int_equal(parley_translation_strategy_ops.create(config, shared, &s, &err),
                         PARLEY_E_INVALID);
        assert_string_equal(err.code, "validation_failed");
        assert_null(s);
        json_decref(config);
    }
    json_t *d = parley_translation_strategy_ops.describe(shared);
    assert_non_null(d);
    json_t *pairs = json_object_get(d, "pairs");
    bool eng_spa = false, fr_es = false;
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        const char *p = json_string_value(json_array_get(pairs, i));
        eng_spa = eng_spa || strcmp(p, "eng-spa") == 0;
        fr_es = fr_es || strcmp(p, "fr-es") == 0;
        assert_null(strchr(p, '_'));
    }
    assert_true(eng_spa && fr_es);
    assert_int_equal(json_array_size(json_object_get(d, "languages")), 5);
    assert_int_equal(json_array_size(json_object_get(d, "backends")), 2);
    json_decref(d);
    parley_translation_shared_free(shared);
}

/* ---- LibreTranslate ---- */

static pid_t server_pid;
static int server_port;

static void start_server(void) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    /* never the test's own stderr: a server left behind would hold the
     * runner's pipe open and make the run hang */
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char py[] = "python3", script[] = PARLEY_SOURCE_DIR "/tests/unit/fake_libretranslate.py";
    char *argv[] = {py, script, NULL};
    assert_int_equal(posix_spawnp(&server_pid, "python3", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char line[32] = {0};
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t got = read(fds[0], line + n, 1);
        if (got <= 0 || line[n] == '\n') {
            break;
        }
        n++;
    }
    close(fds[0]);
    server_port = atoi(line);
    assert_true(server_port > 0);
}

static void stop_server(void) {
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
}

/* runs even when an assertion failed half-way */
static int stop_server_teardown(void **state) {
    (void)state;
    stop_server();
    return 0;
}

static void test_libretranslate(void **state) {
    (void)state;
    start_server();
    void *shared = shared_default();
    char allowed[64];
    snprintf(allowed, sizeof allowed, "http://127.0.0.1:%d", server_port);
    parley_error allow_err = {0};
    assert_int_equal(parley_translation_shared_allow_url(shared, allowed, &allow_err), PARLEY_OK);
    char config[256];
    snprintf(config, sizeof config,
             "{\"name\":\"translation\",\"target\":\"es\",\"source\":\"en\","
             "\"backend\":\"libretranslate\",\"url\":\"http://127.0.0.1:%d/\","
             "\"timeout_ms\":1000}",
             server_port);
    parley_strategy *s = make(shared, config);
    /* the server answers "<source>><target>:<q>" when every field is right */
    run r = process(s, "Hello \"my\" friend ü", NULL);
    assert_int_equal(r.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(r.content, "Hello \"my\" friend ü");
    assert_string_equal(translation_of(&r, "es"), "en>es:Hello \"my\" friend ü");
    json_t *info = json_object_get(r.meta, "translation");
    assert_string_equal(json_string_value(json_object_get(info, "backend")), "libretranslate");
    assert_string_equal(json_string_value(json_object_get(info, "pair")), "en-es");
    run_free(&r);

    expect_kept(s, "boom", "backend_failed");
    expect_kept(s, "junk", "backend_failed");
    expect_kept(s, "slow", "timeout");
    s->ops->destroy(s);

    /* with no URL configured the backend is refused: a session's chain is
     * the customer's choice, the server's outgoing requests are not */
    parley_error err;
    json_t *cfg = json_loads(config, 0, NULL);
    parley_strategy *refused = NULL;
    void *strict = shared_default();
    assert_int_equal(parley_translation_strategy_ops.create(cfg, strict, &refused, &err),
                     PARLEY_E_INVALID);
    assert_null(refused);
    /* and only the configured one when there is one */
    assert_int_equal(parley_translation_shared_allow_url(strict, "http://10.0.0.1:5000", &err),
                     PARLEY_OK);
    assert_int_equal(parley_translation_strategy_ops.create(cfg, strict, &refused, &err),
                     PARLEY_E_INVALID);
    assert_string_equal(err.code, "validation_failed");
    assert_null(refused);
    json_t *sneaky =
        json_pack("{s:s, s:s, s:s, s:s}", "name", "translation", "target", "es", "backend",
                  "libretranslate", "url", "http://10.0.0.1:5000@127.0.0.1:1/");
    assert_int_equal(parley_translation_strategy_ops.create(sneaky, strict, &refused, &err),
                     PARLEY_E_INVALID);
    json_object_set_new(sneaky, "url", json_string("http://10.0.0.1:50001"));
    assert_int_equal(parley_translation_strategy_ops.create(sneaky, strict, &refused, &err),
                     PARLEY_E_INVALID);
    json_object_set_new(sneaky, "url", json_string("http://10.0.0.1:5000/lt"));
    assert_int_equal(parley_translation_strategy_ops.create(sneaky, strict, &refused, &err),
                     PARLEY_OK);
    refused->ops->destroy(refused);
    json_decref(sneaky);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "http://127.0.0.1:%d", server_port);
    assert_int_equal(parley_translation_shared_allow_url(strict, prefix, &err), PARLEY_OK);
    assert_int_equal(parley_translation_strategy_ops.create(cfg, strict, &refused, &err),
                     PARLEY_OK);
    refused->ops->destroy(refused);
    json_decref(cfg);

    /* nobody listening */
    stop_server();
    s = make(shared, config);
    expect_kept(s, "Hello my friend", "backend_failed");
    s->ops->destroy(s);
    parley_translation_shared_free(shared);
    parley_translation_shared_free(strict);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_roundtrip),
        cmocka_unit_test(test_mode_command),
        cmocka_unit_test(test_apertium_eng_spa_and_back),
        cmocka_unit_test(test_apertium_pivot),
        cmocka_unit_test(test_apertium_specials),
        cmocka_unit_test(test_apertium_stuck_pipeline_restarts),
        cmocka_unit_test(test_apertium_pool_concurrency),
        cmocka_unit_test(test_unsupported_pair),
        cmocka_unit_test(test_detection),
        cmocka_unit_test(test_direction_by_role),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test_teardown(test_libretranslate, stop_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
