/*
 * backend.c - the storage backend registry (backend.h): the table of
 * backends and the URL lookup. Immutable data; any thread.
 */
#include "storage/backend.h"

#include <stdio.h>
#include <string.h>

#include "storage/postgres/postgres_repository.h"
#include "storage/sqlite/sqlite_repository.h"

/* One row per backend. PostgreSQL joins when it is complete: when
 * parley_postgres_missing_aggregates() is NULL and the contract suite
 * passes whole on it (its row then moves here from the table below). */
const parley_storage_backend *const parley_storage_backends[] = {
    &parley_sqlite_backend,
    NULL,
};

/* Built and contract-tested, but refused by the registry; each row's
 * missing() names what it lacks. */
typedef struct incomplete_backend {
    const parley_storage_backend *backend;
    const char *(*missing)(void);
} incomplete_backend;

static const incomplete_backend incomplete_backends[] = {
    {&parley_postgres_backend, parley_postgres_missing_aggregates},
};

const parley_storage_backend *const parley_storage_incomplete_backends[] = {
    &parley_postgres_backend,
    NULL,
};

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
    for (size_t i = 0; parley_storage_backends[i] != NULL; i++) {
        const parley_storage_backend *b = parley_storage_backends[i];
        if (strlen(b->scheme) == len && strncmp(b->scheme, url, len) == 0) {
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
    for (size_t i = 0; i < sizeof incomplete_backends / sizeof incomplete_backends[0]; i++) {
        const parley_storage_backend *b = incomplete_backends[i].backend;
        const char *missing = incomplete_backends[i].missing();
        if (missing != NULL && strlen(b->scheme) == len && strncmp(b->scheme, url, len) == 0) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "database URL: the %s backend is not complete in this build: "
                                    "%s missing (this build runs %s)",
                                    b->name, missing, known);
        }
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
