/*
 * postgres/messages.c - the messages ops table (core/store/messages.h) on
 * PostgreSQL. store is one round trip: the function parley_message_store
 * (schema.c) locks the session row, answers a retry, takes the seq and
 * inserts, so several parleyd writing one database keep seq gapless and
 * client ids unique without a statement that fails on an expected outcome.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_messages_sql[PG_STMT_COUNT] = {
    [PG_MESSAGE_STORE] = "SELECT * FROM parley_message_store($1, $2, $3, $4, $5, $6, $7, $8, "
                         "$9, $10)",
    [PG_MESSAGE_INSERT] = "INSERT INTO messages (" PG_MESSAGE_COLS ") VALUES ($1, $2, $3, $4, "
                          "$5, $6, $7, $8, $9, $10, $11)",
    [PG_MESSAGE_BY_CLIENT_ID] = "SELECT " PG_MESSAGE_COLS " FROM messages WHERE sender_kind = $1 "
                                "AND sender_id = $2 AND client_msg_id = $3",
    [PG_MESSAGE_LIST_ASC] = "SELECT " PG_MESSAGE_COLS " FROM messages WHERE session_id = $1 "
                            "AND seq > $2 AND seq < $3 ORDER BY seq ASC LIMIT $4",
    [PG_MESSAGE_LIST_DESC] = "SELECT " PG_MESSAGE_COLS " FROM messages WHERE session_id = $1 "
                             "AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4",
    [PG_MESSAGE_GET] = "SELECT " PG_MESSAGE_COLS " FROM messages WHERE id = $1",
};

ROW_LIST_TYPE(message_rows, parley_message, "message", read_message, parley_message_free,
              parley_message_list, 0);

static parley_status pq_message_insert(parley_repository *repo, const parley_message *m,
                                       parley_error *err) {
    return write_params(
        as_pg(repo), PG_MESSAGE_INSERT, false, "message_insert", "message",
        PARAMS(p_id(m->id), p_id(m->session_id), p_i64(m->seq),
               p_enum(participant_kind_store(m->sender_kind)), p_bind(b_sender_id, m->sender_id),
               p_enum(message_type_store(m->type)), p_text(m->content), p_text(m->client_msg_id),
               p_text(m->meta_json), p_i64(m->created_at), p_text(m->original_content)),
        err);
}

static parley_status pq_message_find_by_client_id(parley_repository *repo,
                                                  parley_participant_kind sender_kind,
                                                  const char *sender_id, const char *client_msg_id,
                                                  parley_message *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    if (client_msg_id == NULL) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "message not found");
    }
    binder b = bind_start(as_pg(repo), PG_MESSAGE_BY_CLIENT_ID);
    b_params(&b, PARAMS(p_enum(participant_kind_store(sender_kind)), p_text(sender_id),
                        p_text(client_msg_id)));
    return get_row(&b, "message_find_by_client_id", &message_rows, out, err);
}

/* The function's outcome names (schema.c). */
static bool outcome_of(const char *name, parley_message_store_outcome *out) {
    static const struct {
        const char *name;
        parley_message_store_outcome outcome;
    } outcomes[] = {
        {"stored", PARLEY_MESSAGE_STORED},
        {"duplicate", PARLEY_MESSAGE_DUPLICATE},
        {"other_session", PARLEY_MESSAGE_OTHER_SESSION},
        {"session_closed", PARLEY_MESSAGE_SESSION_CLOSED},
        {"session_not_found", PARLEY_MESSAGE_SESSION_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        if (strcmp(name, outcomes[i].name) == 0) {
            *out = outcomes[i].outcome;
            return true;
        }
    }
    return false;
}

/* The function's row: outcome, new_seq, then the previous message's
 * columns (PG_MESSAGE_COLS' order) from column 2. */
static parley_status read_store_row(const PGresult *res, parley_message_store_result *out,
                                    parley_error *err) {
    if (PQntuples(res) != 1 || !outcome_of(PQgetvalue(res, 0, 0), &out->outcome)) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "message_store: the store function gave no known outcome");
    }
    row_reader rd = reader_start(res, 0);
    out->seq = r_i64(&rd, 1);
    if (out->outcome == PARLEY_MESSAGE_DUPLICATE) {
        /* the message's columns, shifted by the two leading ones */
        parley_message *m = &out->previous;
        r_fixed(&rd, 2, m->id, sizeof m->id);
        r_fixed(&rd, 3, m->session_id, sizeof m->session_id);
        m->seq = r_i64(&rd, 4);
        col_read_participant_kind(&rd, 5, &m->sender_kind);
        r_fixed(&rd, 6, m->sender_id, sizeof m->sender_id);
        col_read_message_type(&rd, 7, &m->type);
        m->content = r_text(&rd, 8);
        m->client_msg_id = r_text(&rd, 9);
        m->meta_json = r_text(&rd, 10);
        m->created_at = r_i64(&rd, 11);
        m->original_content = r_text(&rd, 12);
    }
    return reader_finish(&rd, "message_store", err);
}

/* Outside a transaction the function would commit on its own: the contract
 * (gapless seq only inside a unit) refuses it, as on SQLite. */
static parley_status pq_message_store(parley_repository *repo, const parley_message *m,
                                      parley_message_store_result *out, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    memset(out, 0, sizeof *out);
    if (PQtransactionStatus(r->conn) == PQTRANS_IDLE) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL,
                                "message_store: must run inside a transaction");
    }
    if (participant_kind_store(m->sender_kind) == NULL || message_type_store(m->type) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "message_store: an enum value is out of range");
    }
    binder b = bind_start(r, PG_MESSAGE_STORE);
    b_params(&b, PARAMS(p_id(m->id), p_id(m->session_id),
                        p_enum(participant_kind_store(m->sender_kind)),
                        p_bind(b_sender_id, m->sender_id), p_enum(message_type_store(m->type)),
                        p_text(m->content), p_text(m->client_msg_id), p_text(m->meta_json),
                        p_i64(m->created_at), p_text(m->original_content)));
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(&b, "message_store", &status, err);
    if (res != NULL) {
        status = read_store_row(res, out, err);
        PQclear(res);
    }
    if (status != PARLEY_OK) {
        parley_message_free(&out->previous);
        memset(out, 0, sizeof *out);
    }
    return status;
}

static parley_status pq_message_list(parley_repository *repo, const char *session_id,
                                     const parley_message_range *range, parley_message_list *out,
                                     parley_error *err) {
    memset(out, 0, sizeof *out);
    if (range->limit < 1 || range->limit > PG_MESSAGE_LIMIT_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "message_list: limit must be 1..%d",
                                PG_MESSAGE_LIMIT_MAX);
    }
    bool newest = range->after_seq <= 0 && range->before_seq > 0;
    binder b = bind_start(as_pg(repo), newest ? PG_MESSAGE_LIST_DESC : PG_MESSAGE_LIST_ASC);
    b_params(&b, PARAMS(p_text(session_id), p_i64(range->after_seq > 0 ? range->after_seq : 0),
                        p_i64(range->before_seq > 0 ? range->before_seq : INT64_MAX),
                        p_i64(range->limit)));
    parley_status status = list_rows(&b, "message_list", &message_rows, out, err);
    if (status == PARLEY_OK && newest && out->count > 1) {
        for (size_t i = 0, j = out->count - 1; i < j; i++, j--) {
            parley_message tmp = out->items[i];
            out->items[i] = out->items[j];
            out->items[j] = tmp;
        }
    }
    return status;
}

GET_BY_KEY_OP(message_get, parley_message, PG_MESSAGE_GET, message_rows)

const parley_messages_ops parley_pg_messages_ops = {
    .store = pq_message_store,
    .insert = pq_message_insert,
    .find_by_client_id = pq_message_find_by_client_id,
    .list = pq_message_list,
    .get = pq_message_get,
};
