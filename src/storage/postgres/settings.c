/*
 * postgres/settings.c - the settings ops table (core/store/settings.h) on
 * PostgreSQL: desk settings by key.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_settings_sql[PG_STMT_COUNT] = {
    [PG_SETTING_GET] = "SELECT value_json FROM settings WHERE key = $1",
    [PG_SETTING_PUT] = "INSERT INTO settings (key, value_json, updated_by, updated_at) "
                       "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET "
                       "value_json = $2, updated_by = $3, updated_at = $4",
};

static void read_value(row_reader *rd, char **out) {
    *out = r_null(rd, 0) ? strdup("null") : r_text(rd, 0);
    if (*out == NULL) {
        r_nomem(rd);
    }
}

static void value_free(char **value) {
    free(*value);
}

ROW_TYPE(value_rows, char *, "setting", read_value, value_free);

static parley_status pq_setting_get(parley_repository *repo, const char *key, char **value_json,
                                    parley_error *err) {
    return get_by_key(as_pg(repo), PG_SETTING_GET, key, "setting_get", &value_rows, value_json,
                      err);
}

static parley_status pq_setting_put(parley_repository *repo, const char *key,
                                    const char *value_json, const char *updated_by,
                                    parley_time_ms at, parley_error *err) {
    return write_params(as_pg(repo), PG_SETTING_PUT, false, "setting_put", "setting",
                        PARAMS(p_text(key), p_text(value_json), p_text(updated_by), p_i64(at)),
                        err);
}

const parley_settings_ops parley_pg_settings_ops = {
    .get = pq_setting_get,
    .put = pq_setting_put,
};
