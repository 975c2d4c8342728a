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

static parley_status sq_upload_insert(parley_repository *repo, const parley_upload *u,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_UPLOAD_INSERT);
    b_id(&b, 1, u->id);
    b_text_n(&b, 2, u->sha256, strnlen(u->sha256, sizeof u->sha256));
    b_i64(&b, 3, u->size);
    b_text_n(&b, 4, u->mime, strnlen(u->mime, sizeof u->mime));
    b_text(&b, 5, u->name != NULL ? u->name : "");
    b_enum(&b, 6, participant_kind_store(u->uploader_kind));
    b_id(&b, 7, u->uploader_id);
    b_i64(&b, 8, u->created_at);
    b_opt_id(&b, 9, u->message_id);
    b_opt_id(&b, 10, u->session_id);
    return exec_write(r, &b, false, "upload_insert", "upload", err);
}

static parley_status sq_upload_get(parley_repository *repo, const char *id, parley_upload *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_UPLOAD_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "upload_get", "upload", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        r_id(&rd, 0, out->id);
        r_fixed(&rd, 1, out->sha256, sizeof out->sha256);
        out->size = r_i64(&rd, 2);
        r_fixed(&rd, 3, out->mime, sizeof out->mime);
        out->name = r_text(&rd, 4);
        out->uploader_kind = participant_kind_load(&rd, 5);
        r_id(&rd, 6, out->uploader_id);
        out->created_at = r_i64(&rd, 7);
        r_id(&rd, 8, out->message_id);
        r_id(&rd, 9, out->session_id);
        status = reader_finish(&rd, "upload_get", err);
        if (status != PARLEY_OK) {
            parley_upload_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_upload_attach(parley_repository *repo, const char *id,
                                      const char *uploader_id, const char *message_id,
                                      const char *session_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_UPLOAD_ATTACH);
    b_id(&b, 1, id);
    b_id(&b, 2, uploader_id);
    b_id(&b, 3, message_id);
    b_id(&b, 4, session_id);
    parley_status status = exec_write(r, &b, true, "upload_attach", "upload", err);
    /* no row changed: not this uploader's, or referenced already */
    return status == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "attachment_id: this upload is already attached to a message")
               : status;
}

/* Also retention.c's check after an upload purge (through the ops table). */
static parley_status sq_upload_hash_in_use(parley_repository *repo, const char *sha256,
                                           bool *in_use, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_UPLOAD_HASH_IN_USE);
    b_text(&b, 1, sha256);
    parley_status status = fetch_one(r, &b, "upload_hash_in_use", "row", err);
    *in_use = status == PARLEY_OK && sqlite3_column_int(b.st, 0) != 0;
    stmt_done(b.st);
    return status;
}

const parley_uploads_ops parley_sqlite_uploads_ops = {
    .insert = sq_upload_insert,
    .get = sq_upload_get,
    .attach = sq_upload_attach,
    .hash_in_use = sq_upload_hash_in_use,
};
