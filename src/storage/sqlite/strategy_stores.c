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

/* The sender's id as the message has it, "" included (as messages.c stores it). */
static inline void b_sender_id(binder *b, int idx, const char *id) {
    b_text_n(b, idx, id, strnlen(id, PARLEY_ID_SIZE));
}

static parley_status sq_flagged_insert(parley_repository *repo, const parley_flagged_message *f,
                                       parley_error *err) {
    const parley_message *m = &f->message;
    return write_params(
        as_sqlite(repo), ST_FLAGGED_INSERT, false, "flagged_insert", "flagged message",
        PARAMS(p_id(m->id), p_id(m->session_id), p_enum(participant_kind_store(m->sender_kind)),
               p_bind(b_sender_id, m->sender_id), p_enum(message_type_store(m->type)),
               p_text(m->content), p_text(m->client_msg_id), p_text(m->meta_json),
               p_text(f->reason), p_i64(m->created_at)),
        err);
}

static void read_flagged(row_reader *rd, parley_flagged_message *f) {
    read_message(rd, &f->message);
    f->position = r_i64(rd, 11);
    r_fixed(rd, 12, f->reason, sizeof f->reason);
    r_fixed(rd, 13, f->reviewed_as, sizeof f->reviewed_as);
}

ROW_LIST_TYPE(flagged_rows, parley_flagged_message, "flagged message", read_flagged,
              parley_flagged_message_free, parley_flagged_list, 11);

GET_BY_KEY_OP(flagged_get, parley_flagged_message, ST_FLAGGED_GET, flagged_rows)

LIST_PAGE_OP(flagged_list, parley_flagged_list, ST_FLAGGED_LIST, flagged_rows)

static parley_status sq_flagged_review(parley_repository *repo, const char *id,
                                       const char *reviewed_as, parley_error *err) {
    return write_params(as_sqlite(repo), ST_FLAGGED_REVIEW, true, "flagged_review",
                        "flagged message", PARAMS(p_text(id), p_text(reviewed_as)), err);
}

/* The label into the caller's buffer (left as it was when there is none). */
typedef struct label_out {
    char *text;
    size_t size;
} label_out;

static void read_label(row_reader *rd, void *out) {
    const label_out *label = out;
    const unsigned char *text = sqlite3_column_text(rd->st, 0);
    snprintf(label->text, label->size, "%s", text != NULL ? (const char *)text : "");
}

static parley_status sq_message_label_get(parley_repository *repo, const char *message_id,
                                          char *label, size_t label_size, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_MESSAGE_LABEL_GET);
    b_text(&b, 1, message_id);
    return get_value(as_sqlite(repo), &b, "message_label_get", "label", read_label,
                     &(label_out){label, label_size}, err);
}

static parley_status sq_message_label_set(parley_repository *repo, const char *message_id,
                                          const char *label, const char *labelled_by,
                                          parley_time_ms at, parley_error *err) {
    return write_params(as_sqlite(repo), ST_MESSAGE_LABEL_SET, false, "message_label_set", "label",
                        PARAMS(p_text(message_id), p_text(label), p_text(labelled_by), p_i64(at)),
                        err);
}

/* ---- the spam classifier's counts ------------------------------------------------ */

static parley_status sq_spam_token_add(parley_repository *repo, const char *token, int64_t spam,
                                       int64_t ham, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    parley_status status = write_params(r, ST_SPAM_TOKEN_ADD, true, "spam_token_add", "spam token",
                                        PARAMS(p_text(token), p_i64(spam), p_i64(ham)), err);
    if (status == PARLEY_OK && (spam < 0 || ham < 0)) {
        /* unlearning may leave a token that no message mentions any more */
        status = write_params(r, ST_SPAM_TOKEN_PRUNE, false, "spam_token_prune", "spam token",
                              PARAMS(p_text(token)), err);
    }
    return status;
}

static parley_status sq_spam_totals_add(parley_repository *repo, int64_t spam_messages,
                                        int64_t ham_messages, parley_error *err) {
    return write_params(as_sqlite(repo), ST_SPAM_TOTALS_ADD, true, "spam_totals_add", "spam totals",
                        PARAMS(p_i64(spam_messages), p_i64(ham_messages)), err);
}

static bool spam_token_row(row_reader *rd, void *ctx) {
    const row_callback *load = ctx;
    const unsigned char *token = sqlite3_column_text(rd->st, 0);
    ((void (*)(void *, const char *, int64_t, int64_t))load->each)(
        load->ctx, token != NULL ? (const char *)token : "", r_i64(rd, 1), r_i64(rd, 2));
    return true;
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
    binder tokens = bind_start(r, ST_SPAM_TOKENS_ALL);
    return each_row(r, &tokens, "spam_load", spam_token_row, EACH_CALLBACK(each, ctx), err);
}

/* ---- the profanity allowlist ---------------------------------------------------- */

static parley_status sq_allowlist_add(parley_repository *repo, const char *word,
                                      const char *added_by, parley_time_ms at, parley_error *err) {
    return write_params(as_sqlite(repo), ST_ALLOWLIST_ADD, false, "allowlist_add", "allowlist word",
                        PARAMS(p_text(word), p_text(added_by), p_i64(at)), err);
}

static parley_status sq_allowlist_remove(parley_repository *repo, const char *word,
                                         parley_error *err) {
    return write_params(as_sqlite(repo), ST_ALLOWLIST_REMOVE, true, "allowlist_remove",
                        "allowlist word", PARAMS(p_text(word)), err);
}

static bool allowlist_row(row_reader *rd, void *ctx) {
    const row_callback *load = ctx;
    const unsigned char *word = sqlite3_column_text(rd->st, 0);
    ((void (*)(void *, const char *))load->each)(load->ctx, word != NULL ? (const char *)word : "");
    return true;
}

static parley_status sq_allowlist_load(parley_repository *repo,
                                       void (*each)(void *ctx, const char *word), void *ctx,
                                       parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_ALLOWLIST_ALL);
    return each_row(as_sqlite(repo), &b, "allowlist_load", allowlist_row, EACH_CALLBACK(each, ctx),
                    err);
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
