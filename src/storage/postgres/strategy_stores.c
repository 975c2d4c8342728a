/*
 * postgres/strategy_stores.c - the strategy_stores ops table
 * (core/store/strategy_stores.h) on PostgreSQL: flagged messages, agents'
 * spam/ham labels, the spam classifier's counts, the profanity allowlist.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

/* A flagged message reads like a message (seq 0) followed by its own columns. */
#define PG_FLAGGED_COLS                                                                            \
    "id, session_id, 0, sender_kind, sender_id, type, content, client_msg_id, meta_json, "         \
    "created_at, NULL, position, reason, reviewed_as"

const char *const parley_pg_strategy_stores_sql[PG_STMT_COUNT] = {
    [PG_FLAGGED_INSERT] = "INSERT INTO flagged_messages (id, session_id, sender_kind, sender_id, "
                          "type, content, client_msg_id, meta_json, reason, created_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [PG_FLAGGED_GET] = "SELECT " PG_FLAGGED_COLS " FROM flagged_messages WHERE id = $1",
    [PG_FLAGGED_LIST] = "SELECT " PG_FLAGGED_COLS " FROM flagged_messages WHERE position < $1 "
                        "ORDER BY position DESC LIMIT $2",
    [PG_FLAGGED_REVIEW] = "UPDATE flagged_messages SET reviewed_as = $2 WHERE id = $1",
    [PG_MESSAGE_LABEL_GET] = "SELECT label FROM message_labels WHERE message_id = $1",
    [PG_MESSAGE_LABEL_SET] = "INSERT INTO message_labels (message_id, label, labelled_by, "
                             "labelled_at) VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO "
                             "UPDATE SET label = $2, labelled_by = $3, labelled_at = $4",
    [PG_SPAM_TOKEN_ADD] = "INSERT INTO spam_tokens AS t (token, spam, ham) VALUES ($1, "
                          "greatest($2::bigint, 0), greatest($3::bigint, 0)) ON CONFLICT (token) "
                          "DO UPDATE SET spam = greatest(t.spam + $2, 0), "
                          "ham = greatest(t.ham + $3, 0)",
    [PG_SPAM_TOKEN_PRUNE] = "DELETE FROM spam_tokens WHERE token = $1 AND spam = 0 AND ham = 0",
    [PG_SPAM_TOTALS_ADD] = "UPDATE spam_totals SET spam_messages = greatest(spam_messages + $1, "
                           "0), ham_messages = greatest(ham_messages + $2, 0) WHERE id = 1",
    [PG_SPAM_TOKENS_ALL] = "SELECT token, spam, ham FROM spam_tokens",
    [PG_SPAM_TOTALS_GET] = "SELECT spam_messages, ham_messages FROM spam_totals WHERE id = 1",
    [PG_ALLOWLIST_ADD] = "INSERT INTO profanity_allowlist (word, added_by, created_at) "
                         "VALUES ($1, $2, $3) ON CONFLICT (word) DO NOTHING",
    [PG_ALLOWLIST_REMOVE] = "DELETE FROM profanity_allowlist WHERE word = $1",
    [PG_ALLOWLIST_ALL] = "SELECT word FROM profanity_allowlist ORDER BY word COLLATE \"C\"",
};

/* ---- flagged messages ------------------------------------------------------ */

static parley_status pq_flagged_insert(parley_repository *repo, const parley_flagged_message *f,
                                       parley_error *err) {
    const parley_message *m = &f->message;
    return write_params(
        as_pg(repo), PG_FLAGGED_INSERT, false, "flagged_insert", "flagged message",
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

GET_BY_KEY_OP(flagged_get, parley_flagged_message, PG_FLAGGED_GET, flagged_rows)

LIST_PAGE_OP(flagged_list, parley_flagged_list, PG_FLAGGED_LIST, flagged_rows)

static parley_status pq_flagged_review(parley_repository *repo, const char *id,
                                       const char *reviewed_as, parley_error *err) {
    return write_params(as_pg(repo), PG_FLAGGED_REVIEW, true, "flagged_review", "flagged message",
                        PARAMS(p_text(id), p_text(reviewed_as)), err);
}

/* ---- labels of delivered messages ------------------------------------------ */

/* The label into the caller's buffer (left as it was when there is none). */
static parley_status pq_message_label_get(parley_repository *repo, const char *message_id,
                                          char *label, size_t label_size, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_MESSAGE_LABEL_GET);
    b_text(&b, 1, message_id);
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(&b, "message_label_get", &status, err);
    if (res == NULL) {
        return status;
    }
    if (PQntuples(res) == 0) {
        status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "label not found");
    } else {
        snprintf(label, label_size, "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return status;
}

static parley_status pq_message_label_set(parley_repository *repo, const char *message_id,
                                          const char *label, const char *labelled_by,
                                          parley_time_ms at, parley_error *err) {
    return write_params(as_pg(repo), PG_MESSAGE_LABEL_SET, false, "message_label_set", "label",
                        PARAMS(p_text(message_id), p_text(label), p_text(labelled_by), p_i64(at)),
                        err);
}

/* ---- the spam classifier's counts ------------------------------------------------ */

static parley_status pq_spam_token_add(parley_repository *repo, const char *token, int64_t spam,
                                       int64_t ham, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    parley_status status = write_params(r, PG_SPAM_TOKEN_ADD, true, "spam_token_add", "spam token",
                                        PARAMS(p_text(token), p_i64(spam), p_i64(ham)), err);
    if (status == PARLEY_OK && (spam < 0 || ham < 0)) {
        /* unlearning may leave a token that no message mentions any more */
        status = write_params(r, PG_SPAM_TOKEN_PRUNE, false, "spam_token_prune", "spam token",
                              PARAMS(p_text(token)), err);
    }
    return status;
}

static parley_status pq_spam_totals_add(parley_repository *repo, int64_t spam_messages,
                                        int64_t ham_messages, parley_error *err) {
    return write_params(as_pg(repo), PG_SPAM_TOTALS_ADD, true, "spam_totals_add", "spam totals",
                        PARAMS(p_i64(spam_messages), p_i64(ham_messages)), err);
}

static parley_status
pq_spam_load(parley_repository *repo,
             void (*each)(void *ctx, const char *token, int64_t spam, int64_t ham), void *ctx,
             int64_t *spam_messages, int64_t *ham_messages, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    *spam_messages = *ham_messages = 0;
    binder b = bind_start(r, PG_SPAM_TOTALS_GET);
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(&b, "spam_load", &status, err);
    if (res == NULL) {
        return status;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "spam totals not found");
    }
    row_reader rd = reader_start(res, 0);
    int64_t spam = r_i64(&rd, 0), ham = r_i64(&rd, 1);
    status = reader_finish(&rd, "spam_load", err);
    PQclear(res);
    if (status != PARLEY_OK) {
        return status;
    }
    *spam_messages = spam;
    *ham_messages = ham;
    b = bind_start(r, PG_SPAM_TOKENS_ALL);
    res = parley_pg_run(&b, "spam_load", &status, err);
    if (res == NULL) {
        return status;
    }
    for (int i = 0; i < PQntuples(res) && status == PARLEY_OK; i++) {
        rd = reader_start(res, i);
        spam = r_i64(&rd, 1);
        ham = r_i64(&rd, 2);
        status = reader_finish(&rd, "spam_load", err);
        if (status == PARLEY_OK) {
            each(ctx, PQgetvalue(res, i, 0), spam, ham);
        }
    }
    PQclear(res);
    return status;
}

/* ---- the profanity allowlist ---------------------------------------------------- */

static parley_status pq_allowlist_add(parley_repository *repo, const char *word,
                                      const char *added_by, parley_time_ms at, parley_error *err) {
    return write_params(as_pg(repo), PG_ALLOWLIST_ADD, false, "allowlist_add", "allowlist word",
                        PARAMS(p_text(word), p_text(added_by), p_i64(at)), err);
}

static parley_status pq_allowlist_remove(parley_repository *repo, const char *word,
                                         parley_error *err) {
    return write_params(as_pg(repo), PG_ALLOWLIST_REMOVE, true, "allowlist_remove",
                        "allowlist word", PARAMS(p_text(word)), err);
}

static parley_status pq_allowlist_load(parley_repository *repo,
                                       void (*each)(void *ctx, const char *word), void *ctx,
                                       parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_ALLOWLIST_ALL);
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(&b, "allowlist_load", &status, err);
    if (res == NULL) {
        return status;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        each(ctx, PQgetvalue(res, i, 0));
    }
    PQclear(res);
    return PARLEY_OK;
}

const parley_strategy_stores_ops parley_pg_strategy_stores_ops = {
    .flagged_insert = pq_flagged_insert,
    .flagged_get = pq_flagged_get,
    .flagged_list = pq_flagged_list,
    .flagged_review = pq_flagged_review,
    .message_label_get = pq_message_label_get,
    .message_label_set = pq_message_label_set,
    .spam_token_add = pq_spam_token_add,
    .spam_totals_add = pq_spam_totals_add,
    .spam_load = pq_spam_load,
    .allowlist_add = pq_allowlist_add,
    .allowlist_remove = pq_allowlist_remove,
    .allowlist_load = pq_allowlist_load,
};
