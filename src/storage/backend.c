/*
 * backend.c - the storage backend registry (backend.h): the table of
 * backends and the URL lookup. Immutable data; any thread.
 */
#include "storage/backend.h"

#include <stdio.h>
#include <string.h>

#include "storage/postgres/postgres_repository.h"
#include "storage/sqlite/sqlite_repository.h"

/* One row per backend, in preference order. */
const parley_storage_backend *const parley_storage_backends[] = {
    &parley_sqlite_backend,
    &parley_postgres_backend,
    NULL,
};

/* Other spellings of a row's scheme: libpq takes both postgres:// and
 * postgresql://, and so does --database. */
static const struct {
    const char *alias;
    const char *scheme;
} scheme_aliases[] = {
    {"postgresql", "postgres"},
};

static bool scheme_is(const char *scheme, const char *url, size_t len) {
    return strlen(scheme) == len && strncmp(scheme, url, len) == 0;
}

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool scheme_char(char c, bool first) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return first ? alpha : alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

parley_status parley_storage_lookup(const char *url, const parley_storage_backend **backend,
                                    const char **rest, parley_error *err) {
    *backend = NULL;
    *rest = NULL;
    size_t len = 0;
    while (url != NULL && url[len] != '\0' && url[len] != ':' && scheme_char(url[len], len == 0)) {
        len++;
    }
    if (url == NULL || len == 0 || url[len] != ':' || url[len + 1] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "database URL: malformed; expected SCHEME:WHERE, for example "
                                "sqlite:/var/lib/parley/parley.db");
    }
    const char *scheme = url;
    size_t scheme_len = len;
    for (size_t i = 0; i < sizeof scheme_aliases / sizeof scheme_aliases[0]; i++) {
        if (scheme_is(scheme_aliases[i].alias, url, len)) {
            scheme = scheme_aliases[i].scheme;
            scheme_len = strlen(scheme);
        }
    }
    for (size_t i = 0; parley_storage_backends[i] != NULL; i++) {
        const parley_storage_backend *b = parley_storage_backends[i];
        if (scheme_is(b->scheme, scheme, scheme_len)) {
            *backend = b;
            *rest = url + len + 1;
            return PARLEY_OK;
        }
    }
    char known[128] = "";
    size_t used = 0;
    for (size_t i = 0; parley_storage_backends[i] != NULL && used < sizeof known; i++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s:", i > 0 ? ", " : "",
                         parley_storage_backends[i]->scheme);
        used += n > 0 ? (size_t)n : 0;
    }
    return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                            "database URL: unknown scheme \"%.*s:\" (this build knows %s)",
                            (int)(len > 32 ? 32 : len), url, known);
}

parley_status parley_storage_open(const char *url, const parley_storage_options *options,
                                  parley_repository **out, parley_error *err) {
    *out = NULL;
    const parley_storage_backend *backend;
    const char *rest;
    parley_status st = parley_storage_lookup(url, &backend, &rest, err);
    return st != PARLEY_OK ? st : backend->open(rest, options, out, err);
}

parley_status parley_storage_migrate(const char *url, parley_error *err) {
    const parley_storage_backend *backend;
    const char *rest;
    parley_status st = parley_storage_lookup(url, &backend, &rest, err);
    return st != PARLEY_OK ? st : backend->migrate(rest, err);
}
