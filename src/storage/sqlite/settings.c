/*
 * sqlite/settings.c - the settings ops table (core/store/settings.h) on SQLite:
 * desk settings.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_settings_sql[ST_COUNT] = {
    [ST_SETTING_GET] = "SELECT value_json FROM settings WHERE key = ?1",
    [ST_SETTING_PUT] = "INSERT INTO settings (key, value_json, updated_by, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET "
                       "value_json = ?2, updated_by = ?3, updated_at = ?4",
};

/* ---- desk settings ------------------------------------------------------- */

static parley_status sq_setting_get(parley_repository *repo, const char *key, char **value_json,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *value_json = NULL;
    binder b = bind_start(r, ST_SETTING_GET);
    b_text(&b, 1, key);
    parley_status status = fetch_one(r, &b, "setting_get", "setting", err);
    if (status == PARLEY_OK) {
        const unsigned char *text = sqlite3_column_text(b.st, 0);
        *value_json = strdup(text != NULL ? (const char *)text : "null");
        if (*value_json == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_setting_put(parley_repository *repo, const char *key,
                                    const char *value_json, const char *updated_by,
                                    parley_time_ms at, parley_error *err) {
    return write_params(as_sqlite(repo), ST_SETTING_PUT, false, "setting_put", "setting",
                        PARAMS(p_text(key), p_text(value_json), p_text(updated_by), p_i64(at)),
                        err);
}

const parley_settings_ops parley_sqlite_settings_ops = {
    .get = sq_setting_get,
    .put = sq_setting_put,
};
