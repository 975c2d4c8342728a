/*
 * fuzz_config.c - parleyd's flags and PARLEY_* variables (core/config.c).
 *
 * Input layout: the bytes before the first 0xFF are the arguments, split on
 * NUL bytes (argv[0] is "parleyd"); the bytes after it are the environment,
 * NUL-separated NAME=value entries (the first entry of a name wins, as with
 * getenv). Nothing is printed.
 *
 * Invariants checked after a successful parse (trap on violation):
 *  - every number lies within its option's range (core/config.c's own
 *    table), every string set unless its default is unset;
 *  - what validate() promises: --listen splits into host and port 0..65535,
 *    durability, log level, log format and access log are known words,
 *    frame <= message limit,
 *    a non-empty data directory;
 *  - round trip: giving every value back as --flag=value, with no
 *    environment, to a fresh default config succeeds and yields the same
 *    config.
 * After a failure: the status is PARLEY_E_INVALID with code invalid_config
 * (or PARLEY_E_NOMEM) and a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz_checks.h"

#define MAX_ARGS 64

#define MAX_OPTIONS 128

static const char *string_of(const parley_config *cfg, const parley_config_option *o) {
    return *(char *const *)(const void *)((const char *)cfg + o->offset);
}

static int64_t int_of(const parley_config *cfg, const parley_config_option *o) {
    return *(const int64_t *)(const void *)((const char *)cfg + o->offset);
}

typedef struct fake_env {
    const char *entries[MAX_ARGS];
    size_t count;
} fake_env;

static const char *env_lookup(const char *name, void *ctx) {
    const fake_env *env = ctx;
    size_t n = strlen(name);
    for (size_t i = 0; i < env->count; i++) {
        if (strncmp(env->entries[i], name, n) == 0 && env->entries[i][n] == '=') {
            return env->entries[i] + n + 1;
        }
    }
    return NULL;
}

/* Splits buf[0..len) (NUL-terminated at len) on NUL bytes into out. */
static size_t split(const char *buf, size_t len, const char **out, size_t max) {
    size_t count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len && count < max; i++) {
        if (buf[i] == '\0') {
            out[count++] = buf + start;
            start = i + 1;
        }
    }
    return count;
}

static void check_listen_address(const parley_config *cfg) {
    char host[256];
    int port = -1;
    memset(host, 0x5A, sizeof host);
    if (parley_config_listen_address(cfg, host, sizeof host, &port)) {
        CHECK(port >= 0 && port <= 65535);
        CHECK(memchr(host, '\0', sizeof host) != NULL);
        CHECK(strlen(host) < strlen(cfg->listen));
    }
    /* a small buffer is never overrun */
    char small[5];
    memset(small, 0x5A, sizeof small);
    if (parley_config_listen_address(cfg, small, 4, &port)) {
        CHECK(memchr(small, '\0', 4) != NULL);
    }
    CHECK(small[4] == 0x5A);
}

static void check_valid(const parley_config *cfg) {
    size_t count = 0;
    const parley_config_option *table = parley_config_options(&count);
    for (size_t i = 0; i < count; i++) {
        const parley_config_option *o = &table[i];
        if (o->type == PARLEY_OPTION_INT) {
            int64_t v = int_of(cfg, o);
            CHECK(v >= o->min && v <= o->max);
        } else if (o->default_text != NULL) {
            CHECK(string_of(cfg, o) != NULL);
        }
    }
    char host[256];
    int port = -1;
    CHECK(parley_config_listen_address(cfg, host, sizeof host, &port));
    CHECK(port >= 0 && port <= 65535);
    CHECK(strcmp(cfg->durability, "full") == 0 || strcmp(cfg->durability, "normal") == 0);
    CHECK(strcmp(cfg->log_level, "error") == 0 || strcmp(cfg->log_level, "warn") == 0 ||
          strcmp(cfg->log_level, "info") == 0 || strcmp(cfg->log_level, "debug") == 0);
    CHECK(strcmp(cfg->log_format, "logfmt") == 0 || strcmp(cfg->log_format, "json") == 0);
    CHECK(strcmp(cfg->access_log, "on") == 0 || strcmp(cfg->access_log, "off") == 0);
    CHECK(cfg->ws_max_frame_bytes <= cfg->ws_max_message_bytes);
    CHECK(cfg->data_dir[0] != '\0');
}

/* Gives every value back as --flag=value and compares. */
static void check_round_trip(const parley_config *cfg) {
    size_t count = 0;
    const parley_config_option *table = parley_config_options(&count);
    CHECK(count < MAX_OPTIONS);
    const char *argv[1 + MAX_OPTIONS];
    char *owned[1 + MAX_OPTIONS];
    int argc = 0;
    argv[argc] = "parleyd";
    owned[argc++] = NULL;
    for (size_t i = 0; i < count; i++) {
        const parley_config_option *o = &table[i];
        char *arg = NULL;
        size_t n;
        if (o->type == PARLEY_OPTION_INT) {
            n = strlen(o->flag) + 32;
            arg = malloc(n);
            if (arg != NULL) {
                snprintf(arg, n, "%s=%lld", o->flag, (long long)int_of(cfg, o));
            }
        } else if (string_of(cfg, o) != NULL) {
            n = strlen(o->flag) + strlen(string_of(cfg, o)) + 2;
            arg = malloc(n);
            if (arg != NULL) {
                snprintf(arg, n, "%s=%s", o->flag, string_of(cfg, o));
            }
        } else {
            continue; /* unset (site_secret): stays unset */
        }
        if (arg == NULL) {
            goto out;
        }
        argv[argc] = arg;
        owned[argc++] = arg;
    }
    parley_config again;
    parley_config_defaults(&again);
    bool help = false;
    parley_error err = {0};
    parley_status st = parley_config_parse(&again, argc, argv, 1, NULL, NULL, &help, &err);
    if (st != PARLEY_E_NOMEM) {
        CHECK(st == PARLEY_OK);
        CHECK(!help);
        for (size_t i = 0; i < count; i++) {
            const parley_config_option *o = &table[i];
            if (o->type == PARLEY_OPTION_INT) {
                CHECK(int_of(&again, o) == int_of(cfg, o));
            } else if (string_of(cfg, o) == NULL) {
                CHECK(string_of(&again, o) == NULL);
            } else {
                CHECK(string_of(&again, o) != NULL);
                CHECK(strcmp(string_of(&again, o), string_of(cfg, o)) == 0);
            }
        }
    }
    parley_config_free(&again);
out:
    for (int i = 1; i < argc; i++) {
        free(owned[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t args_len = sep != NULL ? (size_t)(sep - data) : size;
    size_t env_len = sep != NULL ? size - args_len - 1 : 0;

    char *args_buf = malloc(args_len + 1);
    char *env_buf = malloc(env_len + 1);
    if (args_buf == NULL || env_buf == NULL) {
        free(args_buf);
        free(env_buf);
        return 0;
    }
    memcpy(args_buf, data, args_len);
    args_buf[args_len] = '\0';
    if (env_len > 0) {
        memcpy(env_buf, sep + 1, env_len);
    }
    env_buf[env_len] = '\0';

    const char *argv[MAX_ARGS + 1];
    argv[0] = "parleyd";
    int argc = 1;
    if (args_len > 0) {
        argc += (int)split(args_buf, args_len, argv + 1, MAX_ARGS);
    }
    fake_env env = {0};
    if (env_len > 0) {
        env.count = split(env_buf, env_len, env.entries, MAX_ARGS);
    }

    parley_config cfg;
    parley_config_defaults(&cfg);
    check_valid(&cfg); /* the defaults themselves are valid */
    bool help = false;
    parley_error err = {0};
    parley_status st = parley_config_parse(&cfg, argc, argv, 1, env_lookup, &env, &help, &err);
    if (st == PARLEY_OK) {
        check_valid(&cfg);
        check_round_trip(&cfg);
    } else {
        CHECK(err.status == st);
        CHECK(st == PARLEY_E_NOMEM ||
              (st == PARLEY_E_INVALID && strcmp(err.code, "invalid_config") == 0));
        CHECK(err.message[0] != '\0');
    }
    check_listen_address(&cfg);
    parley_config_free(&cfg);
    CHECK(cfg.listen == NULL && cfg.data_dir == NULL);

    free(args_buf);
    free(env_buf);
    return 0;
}
