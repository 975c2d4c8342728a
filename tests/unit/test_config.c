/* Configuration: defaults, PARLEY_* variables, flags, precedence and every
 * kind of bad value answered with a message naming the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"

typedef struct fake_env {
    const char *names[4];
    const char *values[4];
} fake_env;

static const char *lookup(const char *name, void *ctx) {
    fake_env *env = ctx;
    for (int i = 0; i < 4 && env->names[i] != NULL; i++) {
        if (strcmp(env->names[i], name) == 0) {
            return env->values[i];
        }
    }
    return NULL;
}

static parley_status parse(int argc, const char **argv, fake_env *env, parley_config *cfg,
                           parley_error *err) {
    bool help = false;
    parley_config_defaults(cfg);
    return parley_config_parse(cfg, argc, argv, 1, lookup, env, &help, err);
}

static void test_defaults(void **state) {
    (void)state;
    parley_config cfg;
    parley_error err = {0};
    const char *argv[] = {"parleyd"};
    fake_env env = {{NULL}, {NULL}};
    assert_int_equal(parse(1, argv, &env, &cfg, &err), PARLEY_OK);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.data_dir, "./parley-data");
    assert_string_equal(cfg.durability, "full");
    assert_int_equal(cfg.max_body_bytes, 1048576);
    assert_int_equal(cfg.ws_max_pending_bytes, 1048576);      /* 1 MiB per socket */
    assert_int_equal(cfg.max_pending_bytes_total, 268435456); /* 256 MiB in all */
    assert_int_equal(cfg.close_grace_ms, 5000);
    assert_null(cfg.site_secret);
    parley_config_free(&cfg);
}

static void test_flags_override_environment(void **state) {
    (void)state;
    parley_config cfg;
    parley_error err = {0};
    const char *argv[] = {"parleyd", "--listen", "0.0.0.0:9000", "--max-body-bytes=2048"};
    fake_env env = {{"PARLEY_LISTEN", "PARLEY_DATA_DIR", "PARLEY_MAX_BODY_BYTES"},
                    {"127.0.0.1:1", "/var/lib/parley", "4096"}};
    assert_int_equal(parse(4, argv, &env, &cfg, &err), PARLEY_OK);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");      /* flag beats env */
    assert_string_equal(cfg.data_dir, "/var/lib/parley"); /* env beats default */
    assert_int_equal(cfg.max_body_bytes, 2048);
    char host[64];
    int port = 0;
    assert_true(parley_config_listen_address(&cfg, host, sizeof host, &port));
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 9000);
    parley_config_free(&cfg);
}

static void test_bad_values_name_the_option(void **state) {
    (void)state;
    struct {
        int argc;
        const char *argv[3];
        const char *mention;
    } cases[] = {
        {2, {"parleyd", "--bogus"}, "--bogus"},
        {2, {"parleyd", "--listen"}, "--listen"},
        {3, {"parleyd", "--max-body-bytes", "12x"}, "--max-body-bytes"},
        {3, {"parleyd", "--max-body-bytes", "1"}, "out of range"},
        {3, {"parleyd", "--listen", "localhost"}, "--listen"},
        {3, {"parleyd", "--listen", "127.0.0.1:70000"}, "--listen"},
        {3, {"parleyd", "--durability", "sometimes"}, "--durability"},
        {3, {"parleyd", "--worker-threads", "99999999999999999999"}, "--worker-threads"},
        /* one socket may not be allowed more than all of them together */
        {3, {"parleyd", "--max-pending-bytes-total", "524288"}, "--max-pending-bytes-total"},
        {3, {"parleyd", "--close-grace-ms", "0"}, "out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parley_config cfg;
        parley_error err = {0};
        fake_env env = {{NULL}, {NULL}};
        assert_int_equal(parse(cases[i].argc, cases[i].argv, &env, &cfg, &err), PARLEY_E_INVALID);
        assert_non_null(strstr(err.message, cases[i].mention));
        parley_config_free(&cfg);
    }
    parley_config cfg;
    parley_error err = {0};
    const char *argv[] = {"parleyd"};
    fake_env env = {{"PARLEY_IDLE_TIMEOUT_MS"}, {"-5"}};
    assert_int_equal(parse(1, argv, &env, &cfg, &err), PARLEY_E_INVALID);
    assert_non_null(strstr(err.message, "PARLEY_IDLE_TIMEOUT_MS"));
    parley_config_free(&cfg);
}

/* --database: unset means the SQLite file under the data dir; a flag or
 * PARLEY_DATABASE names another; an empty one is refused. */
static void test_database_url(void **state) {
    (void)state;
    parley_config cfg;
    parley_error err = {0};
    char url[256];
    const char *plain[] = {"parleyd", "--data-dir", "/srv/parley"};
    fake_env none = {{NULL}, {NULL}};
    assert_int_equal(parse(3, plain, &none, &cfg, &err), PARLEY_OK);
    assert_null(cfg.database);
    assert_true(parley_config_database_url(&cfg, url, sizeof url));
    assert_string_equal(url, "sqlite:/srv/parley/parley.db");
    char tiny[8];
    assert_false(parley_config_database_url(&cfg, tiny, sizeof tiny));
    parley_config_free(&cfg);

    fake_env env = {{"PARLEY_DATABASE"}, {"sqlite:/from/env.db"}};
    assert_int_equal(parse(1, plain, &env, &cfg, &err), PARLEY_OK);
    assert_true(parley_config_database_url(&cfg, url, sizeof url));
    assert_string_equal(url, "sqlite:/from/env.db");
    parley_config_free(&cfg);

    const char *flag[] = {"parleyd", "--database", "sqlite:/from/flag.db"};
    assert_int_equal(parse(3, flag, &env, &cfg, &err), PARLEY_OK);
    assert_true(parley_config_database_url(&cfg, url, sizeof url));
    assert_string_equal(url, "sqlite:/from/flag.db"); /* flag beats env */
    parley_config_free(&cfg);

    const char *empty[] = {"parleyd", "--database="};
    assert_int_equal(parse(2, empty, &none, &cfg, &err), PARLEY_E_INVALID);
    assert_non_null(strstr(err.message, "--database"));
    parley_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_database_url),
        cmocka_unit_test(test_flags_override_environment),
        cmocka_unit_test(test_bad_values_name_the_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
