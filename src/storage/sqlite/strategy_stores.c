/*
 * sqlite/strategy_stores.c - the strategy_stores ops table (core/store/strategy_stores.h) on
 * SQLite: the strategies' state (flagged messages, message labels, spam counts, allowlist).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_strategy_stores_sql[ST_COUNT] = {
    [ST_FLAGGED_INSERT] = "INSERT INTO flagged_messages (id, session_id, sender_kind, sender_id, "
                          "type, content, client_msg_id, meta_json, reason, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_FLAGGED_GET] = "SELECT " FLAGGED_COLS " FROM flagged_messages WHERE id = ?1",
    [ST_FLAGGED_LIST] = "SELECT " FLAGGED_COLS " FROM flagged_messages WHERE position < ?1 "
                        "ORDER BY position DESC LIMIT ?2",
    [ST_FLAGGED_REVIEW] = "UPDATE flagged_messages SET reviewed_as = ?2 WHERE id = ?1",
    [ST_MESSAGE_LABEL_GET] = "SELECT label FROM message_labels WHERE message_id = ?1",
    [ST_MESSAGE_LABEL_SET] = "INSERT INTO message_labels (message_id, label, labelled_by, "
                             "labelled_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (message_id) DO "
                             "UPDATE SET label = ?2, labelled_by = ?3, labelled_at = ?4",
    [ST_SPAM_TOKEN_ADD] = "INSERT INTO spam_tokens (token, spam, ham) VALUES (?1, max(?2, 0), "
                          "max(?3, 0)) ON CONFLICT (token) DO UPDATE SET "
                          "spam = max(spam + ?2, 0), ham = max(ham + ?3, 0)",
    [ST_SPAM_TOKEN_PRUNE] = "DELETE FROM spam_tokens WHERE token = ?1 AND spam = 0 AND ham = 0",
    [ST_SPAM_TOTALS_ADD] = "UPDATE spam_totals SET spam_messages = max(spam_messages + ?1, 0), "
                           "ham_messages = max(ham_messages + ?2, 0) WHERE id = 1",
    [ST_SPAM_TOKENS_ALL] = "SELECT token, spam, ham FROM spam_tokens",
    [ST_SPAM_TOTALS_GET] = "SELECT spam_messages, ham_messages FROM spam_totals WHERE id = 1",
    [ST_ALLOWLIST_ADD] = "INSERT INTO profanity_allowlist (word, added_by, created_at) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (word) DO NOTHING",
    [ST_ALLOWLIST_REMOVE] = "DELETE FROM profanity_allowlist WHERE word = ?1",
    [ST_ALLOWLIST_ALL] = "SELECT word FROM profanity_allowlist ORDER BY word",
};

static parley_status sq_flagged_insert(parley_repository *repo, const parley_flagged_message *f,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const parley_message *m = &f->message;
    binder b = bind_start(r, ST_FLAGGED_INSERT);
    b_id(&b, 1, m->id);
    b_id(&b, 2, m->session_id);
    b_enum(&b, 3, participant_kind_store(m->sender_kind));
    b_text_n(&b, 4, m->sender_id, strnlen(m->sender_id, PARLEY_ID_SIZE));
    b_enum(&b, 5, message_type_store(m->type));
    b_text(&b, 6, m->content);
    b_text(&b, 7, m->client_msg_id);
    b_text(&b, 8, m->meta_json);
    b_text(&b, 9, f->reason);
    b_i64(&b, 10, m->created_at);
    return exec_write(r, &b, false, "flagged_insert", "flagged message", err);
}

static void read_flagged(row_reader *rd, parley_flagged_message *f) {
    read_message(rd, &f->message);
    f->position = r_i64(rd, 11);
    r_fixed(rd, 12, f->reason, sizeof f->reason);
    r_fixed(rd, 13, f->reviewed_as, sizeof f->reviewed_as);
}

static parley_status sq_flagged_get(parley_repository *repo, const char *id,
                                    parley_flagged_message *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_FLAGGED_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "flagged_get", "flagged message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_flagged(&rd, out);
        if ((status = reader_finish(&rd, "flagged_get", err)) != PARLEY_OK) {
            parley_flagged_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static void *push_flagged(void *list) {
    return parley_flagged_list_push(list);
}
static void read_flagged_item(row_reader *rd, void *item) {
    read_flagged(rd, item);
}
static void free_flagged_list(void *list) {
    parley_flagged_list_free(list);
}

static const page_kind flagged_page = {ST_FLAGGED_LIST, 11, push_flagged, read_flagged_item,
                                       free_flagged_list};

static parley_status sq_flagged_list(parley_repository *repo, int limit, const char *cursor,
                                     parley_flagged_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *text = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &flagged_page, "flagged_list", NULL, "", 1, text,
                     strlen(text) + 1, limit, out, next_cursor_out, next_cursor_size, err);
}

static parley_status sq_flagged_review(parley_repository *repo, const char *id,
                                       const char *reviewed_as, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_FLAGGED_REVIEW);
    b_text(&b, 1, id);
    b_text(&b, 2, reviewed_as);
    return exec_write(r, &b, true, "flagged_review", "flagged message", err);
}

static parley_status sq_message_label_get(parley_repository *repo, const char *message_id,
                                          char *label, size_t label_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_LABEL_GET);
    b_text(&b, 1, message_id);
    parley_status status = fetch_one(r, &b, "message_label_get", "label", err);
    if (status == PARLEY_OK) {
        const unsigned char *text = sqlite3_column_text(b.st, 0);
        snprintf(label, label_size, "%s", text != NULL ? (const char *)text : "");
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_message_label_set(parley_repository *repo, const char *message_id,
                                          const char *label, const char *labelled_by,
                                          parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_LABEL_SET);
    b_text(&b, 1, message_id);
    b_text(&b, 2, label);
    b_text(&b, 3, labelled_by);
    b_i64(&b, 4, at);
    return exec_write(r, &b, false, "message_label_set", "label", err);
}

/* ---- the spam classifier's counts ------------------------------------------------ */

static parley_status sq_spam_token_add(parley_repository *repo, const char *token, int64_t spam,
                                       int64_t ham, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SPAM_TOKEN_ADD);
    b_text(&b, 1, token);
    b_i64(&b, 2, spam);
    b_i64(&b, 3, ham);
    parley_status status = exec_write(r, &b, true, "spam_token_add", "spam token", err);
    if (status == PARLEY_OK && (spam < 0 || ham < 0)) {
        /* unlearning may leave a token that no message mentions any more */
        binder prune = bind_start(r, ST_SPAM_TOKEN_PRUNE);
        b_text(&prune, 1, token);
        status = exec_write(r, &prune, false, "spam_token_prune", "spam token", err);
    }
    return status;
}

static parley_status sq_spam_totals_add(parley_repository *repo, int64_t spam_messages,
                                        int64_t ham_messages, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SPAM_TOTALS_ADD);
    b_i64(&b, 1, spam_messages);
    b_i64(&b, 2, ham_messages);
    return exec_write(r, &b, true, "spam_totals_add", "spam totals", err);
}

static parley_status
sq_spam_load(parley_repository *repo,
             void (*each)(void *ctx, const char *token, int64_t spam, int64_t ham), void *ctx,
             int64_t *spam_messages, int64_t *ham_messages, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *spam_messages = *ham_messages = 0;
    binder totals = bind_start(r, ST_SPAM_TOTALS_GET);
    parley_status status = fetch_one(r, &totals, "spam_load", "spam totals", err);
    if (status == PARLEY_OK) {
        *spam_messages = sqlite3_column_int64(totals.st, 0);
        *ham_messages = sqlite3_column_int64(totals.st, 1);
    }
    stmt_done(totals.st);
    if (status != PARLEY_OK) {
        return status;
    }
    sqlite3_stmt *st = r->stmt[ST_SPAM_TOKENS_ALL];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *token = sqlite3_column_text(st, 0);
        each(ctx, token != NULL ? (const char *)token : "", sqlite3_column_int64(st, 1),
             sqlite3_column_int64(st, 2));
    }
    if (rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "spam_load", err);
    }
    stmt_done(st);
    return status;
}

/* ---- the profanity allowlist ---------------------------------------------------- */

static parley_status sq_allowlist_add(parley_repository *repo, const char *word,
                                      const char *added_by, parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_ALLOWLIST_ADD);
    b_text(&b, 1, word);
    b_text(&b, 2, added_by);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "allowlist_add", "allowlist word", err);
}

static parley_status sq_allowlist_remove(parley_repository *repo, const char *word,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_ALLOWLIST_REMOVE);
    b_text(&b, 1, word);
    return exec_write(r, &b, true, "allowlist_remove", "allowlist word", err);
}

static parley_status sq_allowlist_load(parley_repository *repo,
                                       void (*each)(void *ctx, const char *word), void *ctx,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    sqlite3_stmt *st = r->stmt[ST_ALLOWLIST_ALL];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *word = sqlite3_column_text(st, 0);
        each(ctx, word != NULL ? (const char *)word : "");
    }
    parley_status status =
        rc == SQLITE_DONE ? PARLEY_OK : db_fail(r->db, rc, "allowlist_load", err);
    stmt_done(st);
    return status;
}

const parley_strategy_stores_ops parley_sqlite_strategy_stores_ops = {
    .flagged_insert = sq_flagged_insert,
    .flagged_get = sq_flagged_get,
    .flagged_list = sq_flagged_list,
    .flagged_review = sq_flagged_review,
    .message_label_get = sq_message_label_get,
    .message_label_set = sq_message_label_set,
    .spam_token_add = sq_spam_token_add,
    .spam_totals_add = sq_spam_totals_add,
    .spam_load = sq_spam_load,
    .allowlist_add = sq_allowlist_add,
    .allowlist_remove = sq_allowlist_remove,
    .allowlist_load = sq_allowlist_load,
};
