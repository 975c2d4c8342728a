/*
 * sqlite/uploads.c - the uploads ops table (core/store/uploads.h) on SQLite:
 * attachment metadata.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_uploads_sql[ST_COUNT] = {
    [ST_UPLOAD_INSERT] = "INSERT INTO uploads (" UPLOAD_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                         "?7, ?8, ?9, ?10)",
    [ST_UPLOAD_GET] = "SELECT " UPLOAD_COLS " FROM uploads WHERE id = ?1",
    [ST_UPLOAD_ATTACH] = "UPDATE uploads SET message_id = ?3, session_id = ?4 WHERE id = ?1 "
                         "AND uploader_id = ?2 AND message_id IS NULL",
    /* uploads_sha256 (schema step 12) */
    [ST_UPLOAD_HASH_IN_USE] = "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?1)",
};

/* ---- uploads ------------------------------------------------------------ */

/* The name is stored "" when there is none. */
static inline void col_read_NAME(row_reader *rd, int col, char **out) {
    *out = r_text(rd, col);
}
static inline void col_bind_NAME(binder *b, int idx, char *const *in) {
    b_text(b, idx, *in != NULL ? *in : "");
}

/* UPLOAD_COLS in order: the reads and the insert's parameters. */
#define UPLOAD_COLUMNS(F)                                                                          \
    F(id, ID), F(sha256, FIXED), F(size, I64), F(mime, FIXED), F(name, NAME),                      \
        F(uploader_kind, participant_kind), F(uploader_id, ID), F(created_at, I64),                \
        F(message_id, OPT_ID), F(session_id, OPT_ID)
ROW_COLUMNS(upload, parley_upload, UPLOAD_COLUMNS)

ROW_TYPE(upload_rows, parley_upload, "upload", read_upload, parley_upload_free);

WRITE_ROW_OP(upload_insert, parley_upload, ST_UPLOAD_INSERT, false, "upload", bind_upload)

GET_BY_KEY_OP(upload_get, parley_upload, ST_UPLOAD_GET, upload_rows)

static parley_status sq_upload_attach(parley_repository *repo, const char *id,
                                      const char *uploader_id, const char *message_id,
                                      const char *session_id, parley_error *err) {
    parley_status status =
        write_params(as_sqlite(repo), ST_UPLOAD_ATTACH, true, "upload_attach", "upload",
                     PARAMS(p_id(id), p_id(uploader_id), p_id(message_id), p_id(session_id)), err);
    /* no row changed: not this uploader's, or referenced already */
    return status == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "attachment_id: this upload is already attached to a message")
               : status;
}

/* Also retention.c's check after an upload purge (through the ops table). */
static parley_status sq_upload_hash_in_use(parley_repository *repo, const char *sha256,
                                           bool *in_use, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_UPLOAD_HASH_IN_USE);
    b_text(&b, 1, sha256);
    return get_flag(as_sqlite(repo), &b, "upload_hash_in_use", "row", in_use, err);
}

const parley_uploads_ops parley_sqlite_uploads_ops = {
    .insert = sq_upload_insert,
    .get = sq_upload_get,
    .attach = sq_upload_attach,
    .hash_in_use = sq_upload_hash_in_use,
};
