/*
 * store/settings.h - the settings aggregate: desk settings as JSON text by key.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->settings at its parley_settings_ops; callers write
 * repo->settings->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/settings.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_SETTINGS_H
#define PARLEY_STORE_SETTINGS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_settings_ops {
    /* desk settings (core/settings.h): get answers PARLEY_E_NOT_FOUND for a
     * key never set (*value_json is then NULL; the caller frees it) */
    parley_status (*get)(parley_repository *repo, const char *key, char **value_json,
                         parley_error *err);
    parley_status (*put)(parley_repository *repo, const char *key, const char *value_json,
                         const char *updated_by, parley_time_ms at, parley_error *err);
} parley_settings_ops;

#endif
