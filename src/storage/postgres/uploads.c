/*
 * postgres/uploads.c - the uploads ops table (core/store/uploads.h) on
 * PostgreSQL: attachment metadata (the bytes are the file store's).
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_uploads_sql[PG_STMT_COUNT] = {
    [PG_UPLOAD_INSERT] = "INSERT INTO uploads (" PG_UPLOAD_COLS ") VALUES ($1, $2, $3, $4, $5, "
                         "$6, $7, $8, $9, $10)",
    [PG_UPLOAD_GET] = "SELECT " PG_UPLOAD_COLS " FROM uploads WHERE id = $1",
    [PG_UPLOAD_ATTACH] = "UPDATE uploads SET message_id = $3, session_id = $4 WHERE id = $1 "
                         "AND uploader_id = $2 AND message_id IS NULL",
    [PG_UPLOAD_HASH_IN_USE] = "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = $1)::int",
};

/* The name is stored "" when there is none. */
static inline void col_read_NAME(row_reader *rd, int col, char **out) {
    *out = r_text(rd, col);
}
static inline void col_bind_NAME(binder *b, int idx, char *const *in) {
    b_text(b, idx, *in != NULL ? *in : "");
}

#define UPLOAD_COLUMNS(F)                                                                          \
    F(id, ID), F(sha256, FIXED), F(size, I64), F(mime, FIXED), F(name, NAME),                      \
        F(uploader_kind, participant_kind), F(uploader_id, ID), F(created_at, I64),                \
        F(message_id, OPT_ID), F(session_id, OPT_ID)
ROW_COLUMNS(upload, parley_upload, UPLOAD_COLUMNS)

ROW_TYPE(upload_rows, parley_upload, "upload", read_upload, parley_upload_free);

WRITE_ROW_OP(upload_insert, parley_upload, PG_UPLOAD_INSERT, false, "upload", bind_upload)

GET_BY_KEY_OP(upload_get, parley_upload, PG_UPLOAD_GET, upload_rows)

static parley_status pq_upload_attach(parley_repository *repo, const char *id,
                                      const char *uploader_id, const char *message_id,
                                      const char *session_id, parley_error *err) {
    parley_status status =
        write_params(as_pg(repo), PG_UPLOAD_ATTACH, true, "upload_attach", "upload",
                     PARAMS(p_id(id), p_id(uploader_id), p_id(message_id), p_id(session_id)), err);
    /* no row changed: not this uploader's, or referenced already */
    return status == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "attachment_id: this upload is already attached to a message")
               : status;
}

static parley_status pq_upload_hash_in_use(parley_repository *repo, const char *sha256,
                                           bool *in_use, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_UPLOAD_HASH_IN_USE);
    b_text(&b, 1, sha256);
    return get_flag(&b, "upload_hash_in_use", "row", in_use, err);
}

const parley_uploads_ops parley_pg_uploads_ops = {
    .insert = pq_upload_insert,
    .get = pq_upload_get,
    .attach = pq_upload_attach,
    .hash_in_use = pq_upload_hash_in_use,
};
