/*
 * sqlite/messages.c - the messages ops table (core/store/messages.h) on SQLite:
 * messages, and the session's seq counter that store advances.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_messages_sql[ST_COUNT] = {
    /* store: whether the session exists (a row) */
    [ST_MESSAGE_SESSION_EXISTS] = "SELECT 1 FROM sessions WHERE id = ?1",
    /* store: the next seq of an open session (no row: missing or closed) */
    [ST_MESSAGE_NEXT_SEQ] = "UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ?1 "
                            "AND status <> 'closed' RETURNING last_seq",
    [ST_MESSAGE_INSERT] = "INSERT INTO messages (" MESSAGE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                          "?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_MESSAGE_BY_CLIENT_ID] = "SELECT " MESSAGE_COLS " FROM messages WHERE sender_kind = ?1 "
                                "AND sender_id = ?2 AND client_msg_id = ?3",
    [ST_MESSAGE_LIST_ASC] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1 "
                            "AND seq > ?2 AND seq < ?3 ORDER BY seq ASC LIMIT ?4",
    [ST_MESSAGE_LIST_DESC] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1 "
                             "AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
    [ST_MESSAGE_GET] = "SELECT " MESSAGE_COLS " FROM messages WHERE id = ?1",
};

/* ---- messages ---------------------------------------------------------- */

/* One row as given, with seq. */
static parley_status insert_row(struct sqlite_repo *r, const parley_message *m, int64_t seq,
                                const char *op, parley_error *err) {
    binder b = bind_start(r, ST_MESSAGE_INSERT);
    b_id(&b, 1, m->id);
    b_id(&b, 2, m->session_id);
    b_i64(&b, 3, seq);
    b_enum(&b, 4, participant_kind_store(m->sender_kind));
    /* Stored as-is, "" included: system messages have no sender id, and
     * NULL would make the client_msg_id uniqueness never match. */
    b_text_n(&b, 5, m->sender_id, strnlen(m->sender_id, PARLEY_ID_SIZE));
    b_enum(&b, 6, message_type_store(m->type));
    b_text(&b, 7, m->content);
    b_text(&b, 8, m->client_msg_id);
    b_text(&b, 9, m->meta_json);
    b_i64(&b, 10, m->created_at);
    b_text(&b, 11, m->original_content);
    return exec_write(r, &b, false, op, "message", err);
}

static parley_status sq_message_insert(parley_repository *repo, const parley_message *m,
                                       parley_error *err) {
    return insert_row(as_sqlite(repo), m, m->seq, "message_insert", err);
}

static parley_status sq_message_find_by_client_id(parley_repository *repo,
                                                  parley_participant_kind sender_kind,
                                                  const char *sender_id, const char *client_msg_id,
                                                  parley_message *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "message_find_by_client_id";
    memset(out, 0, sizeof *out);
    if (client_msg_id == NULL) {
        /* No stored message is findable by an absent client id. */
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "message not found");
    }
    binder b = bind_start(r, ST_MESSAGE_BY_CLIENT_ID);
    b_enum(&b, 1, participant_kind_store(sender_kind));
    b_text(&b, 2, sender_id);
    b_text(&b, 3, client_msg_id);
    parley_status status = fetch_one(r, &b, op, "message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_message(&rd, out);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK) {
            parley_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- store: session check, client id, seq, insert ------------------------- */

/* Steps b's statement to its first row, if there is one: *row says so (no
 * row is no error here). The caller reads the row, then resets. */
static parley_status step_optional(struct sqlite_repo *r, const binder *b, bool *row,
                                   parley_error *err) {
    *row = false;
    parley_status status = bind_check(r, b, "message_store", err);
    if (status != PARLEY_OK) {
        return status;
    }
    int rc = sqlite3_step(b->st);
    *row = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? PARLEY_OK
                                                 : db_fail(r->db, rc, "message_store", err);
}

/* For an outcome other than STORED: whether the session exists. */
static parley_status session_exists(struct sqlite_repo *r, const char *session_id, bool *exists,
                                    parley_error *err) {
    binder b = bind_start(r, ST_MESSAGE_SESSION_EXISTS);
    b_id(&b, 1, session_id);
    parley_status status = step_optional(r, &b, exists, err);
    stmt_done(b.st);
    return status;
}

/* Increments an open session's last_seq; *seq stays 0 when the session is
 * missing or closed (no row updated). */
static parley_status take_seq(struct sqlite_repo *r, const char *session_id, int64_t *seq,
                              parley_error *err) {
    *seq = 0;
    binder b = bind_start(r, ST_MESSAGE_NEXT_SEQ);
    b_id(&b, 1, session_id);
    bool row = false;
    parley_status status = step_optional(r, &b, &row, err);
    if (row) {
        int64_t next = sqlite3_column_int64(b.st, 0);
        /* Step to DONE so the UPDATE has certainly finished before we
         * report its result. */
        int rc = sqlite3_step(b.st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, "message_store", err);
        } else {
            *seq = next;
        }
    }
    stmt_done(b.st);
    return status;
}

/* The contract's order (store/messages.h) with the common path first: the
 * client id lookup (when there is one), then the seq update, which refuses
 * a missing or closed session by changing no row; only then is the
 * session read to tell which. */
static parley_status store_steps(struct sqlite_repo *r, const parley_message *m,
                                 parley_message_store_result *out, parley_error *err) {
    bool exists = false;
    parley_status status = PARLEY_OK;
    if (m->client_msg_id != NULL) {
        parley_message *previous = &out->previous;
        status = sq_message_find_by_client_id(&r->base, m->sender_kind, m->sender_id,
                                              m->client_msg_id, previous, err);
        if (status == PARLEY_OK &&
            strncmp(previous->session_id, m->session_id, PARLEY_ID_SIZE) == 0) {
            out->outcome = PARLEY_MESSAGE_DUPLICATE; /* its session exists: a foreign key */
            return PARLEY_OK;
        }
        if (status == PARLEY_OK) {
            parley_message_free(previous);
            status = session_exists(r, m->session_id, &exists, err);
            out->outcome = exists ? PARLEY_MESSAGE_OTHER_SESSION : PARLEY_MESSAGE_SESSION_NOT_FOUND;
            return status;
        }
        if (status != PARLEY_E_NOT_FOUND) {
            return status;
        }
        parley_error_clear(err);
    }
    int64_t seq = 0;
    status = take_seq(r, m->session_id, &seq, err);
    if (status == PARLEY_OK && seq == 0) {
        /* the update spares only a closed session */
        status = session_exists(r, m->session_id, &exists, err);
        out->outcome = exists ? PARLEY_MESSAGE_SESSION_CLOSED : PARLEY_MESSAGE_SESSION_NOT_FOUND;
        return status;
    }
    if (status == PARLEY_OK) {
        status = insert_row(r, m, seq, "message_store", err);
    }
    if (status == PARLEY_OK) {
        out->outcome = PARLEY_MESSAGE_STORED;
        out->seq = seq;
    }
    return status;
}

/* Outside a transaction the increment would commit on its own and a
 * failed insert would leave a gap in seq; the contract forbids that, so the
 * mistake is reported instead. A value the insert would refuse is refused
 * before anything is written. */
static parley_status sq_message_store(parley_repository *repo, const parley_message *m,
                                      parley_message_store_result *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (sqlite3_get_autocommit(r->db)) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL,
                                "message_store: must run inside a transaction");
    }
    if (participant_kind_store(m->sender_kind) == NULL || message_type_store(m->type) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "message_store: an enum value is out of range");
    }
    parley_status status = store_steps(r, m, out, err);
    if (status != PARLEY_OK) {
        parley_message_free(&out->previous);
        memset(out, 0, sizeof *out);
    }
    return status;
}

static parley_status sq_message_list(parley_repository *repo, const char *session_id,
                                     const parley_message_range *range, parley_message_list *out,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "message_list";
    memset(out, 0, sizeof *out);
    if (range->limit < 1 || range->limit > MESSAGE_LIMIT_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: limit must be 1..%d", op,
                                MESSAGE_LIMIT_MAX);
    }
    int64_t after = range->after_seq > 0 ? range->after_seq : 0;
    int64_t before = range->before_seq > 0 ? range->before_seq : INT64_MAX;
    /* Only before_seq: the newest `limit` before it, so walk down from it
     * and reverse afterwards. */
    bool newest = range->after_seq <= 0 && range->before_seq > 0;
    binder b = bind_start(r, newest ? ST_MESSAGE_LIST_DESC : ST_MESSAGE_LIST_ASC);
    b_text(&b, 1, session_id);
    b_i64(&b, 2, after);
    b_i64(&b, 3, before);
    b_int(&b, 4, range->limit);
    parley_status status = bind_check(r, &b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_message *m = parley_message_list_push(out);
        if (m == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        row_reader rd = reader_start(b.st);
        read_message(&rd, m);
        status = reader_finish(&rd, op, err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    if (status != PARLEY_OK) {
        parley_message_list_free(out);
    } else if (newest && out->count > 1) {
        for (size_t i = 0, j = out->count - 1; i < j; i++, j--) {
            parley_message tmp = out->items[i];
            out->items[i] = out->items[j];
            out->items[j] = tmp;
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- messages by id, flagged messages ------------------------------------------ */

static parley_status sq_message_get(parley_repository *repo, const char *id, parley_message *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_MESSAGE_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "message_get", "message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_message(&rd, out);
        if ((status = reader_finish(&rd, "message_get", err)) != PARLEY_OK) {
            parley_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

const parley_messages_ops parley_sqlite_messages_ops = {
    .store = sq_message_store,
    .insert = sq_message_insert,
    .find_by_client_id = sq_message_find_by_client_id,
    .list = sq_message_list,
    .get = sq_message_get,
};
