/*
 * settings.h - the desk's settings that admins change at run time through
 * the API (GET/PATCH /api/v1/settings): routing mode, agent capacity, ...
 * Server start-up options (listen address, limits) stay in core/config.h;
 * what a support team tunes during the day lives here, in the database, so
 * every node sees one value and a change needs no restart.
 *
 * The registry below is the one list of settings: each key with its type,
 * bounds and default. A key never set reads as its default. Values are
 * read from the repository when needed (one indexed lookup): no cache to
 * go stale between threads or nodes.
 *
 * Threads: any worker thread, with its own repository handle.
 * Ownership: returned json_t references and strings belong to the caller.
 */
#ifndef PARLEY_SETTINGS_H
#define PARLEY_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/participant.h"
#include "core/repository.h"

typedef enum parley_setting_type {
    PARLEY_SETTING_BOOL,
    PARLEY_SETTING_INT,    /* min..max */
    PARLEY_SETTING_STRING, /* UTF-8, min..max characters ("" when min is 0) */
    PARLEY_SETTING_ENUM,   /* one of choices */
    PARLEY_SETTING_OBJECT  /* JSON object checked by check() */
} parley_setting_type;

/* Validates an OBJECT setting's value; PARLEY_E_INVALID with a message
 * naming the problem. */
typedef parley_status (*parley_setting_check_fn)(const json_t *value, parley_error *err);

typedef struct parley_setting_spec {
    const char *key; /* "area.name" */
    parley_setting_type type;
    const char *default_json; /* the default as JSON text */
    int64_t min;
    int64_t max;                /* INT: bounds; STRING: characters */
    const char *const *choices; /* ENUM: NULL-terminated */
    parley_setting_check_fn check;
    const char *help;
} parley_setting_spec;

/* The registry (static) and one entry by key (NULL when unknown). */
const parley_setting_spec *parley_settings_registry(size_t *count);
const parley_setting_spec *parley_settings_find(const char *key);

/* Checks one value against its spec. */
parley_status parley_settings_check(const parley_setting_spec *spec, const json_t *value,
                                    parley_error *err);

/* The current value (stored, else the default): a new reference. A stored
 * value that no longer fits its spec (a bound changed) reads as the
 * default. */
parley_status parley_settings_get(parley_repository *repo, const char *key, json_t **value,
                                  parley_error *err);
/* Convenience readers for services: the default when anything fails. */
int64_t parley_settings_int(parley_repository *repo, const char *key);
bool parley_settings_bool(parley_repository *repo, const char *key);
/* A copy to free; NULL only when out of memory. */
char *parley_settings_string(parley_repository *repo, const char *key);

/* {"key": value, ...} for every registered key (a new reference). */
parley_status parley_settings_all(parley_repository *repo, json_t **out, parley_error *err);
/* {"key": {type, default, min, max, choices, description}} (a new reference). */
json_t *parley_settings_describe(void);

/* Applies a patch {"key": value, ...}: every key is checked first (an
 * unknown key or a bad value refuses the whole patch, 400 naming the key),
 * then stored and audited ("settings.update") within the caller's unit. */
parley_status parley_settings_update(parley_repository *repo, const parley_participant *actor,
                                     const char *ip, json_t *patch, parley_error *err);

#endif
