/*
 * sqlite/tickets.c - the tickets ops table (core/store/tickets.h) on SQLite:
 * tickets, ticket notes and feedback.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_tickets_sql[ST_COUNT] = {
    [ST_TICKET_INSERT] = "INSERT INTO tickets (id, session_id, agent_id, issue_description, "
                         "status, created_at, updated_at, customer_id, subject, priority) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, (SELECT customer_id "
                         "FROM sessions WHERE id = ?2)), ?9, ?10)",
    [ST_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets WHERE id = ?1",
    [ST_TICKET_UPDATE] = "UPDATE tickets SET status = ?2, agent_id = ?3, issue_description = ?4, "
                         "updated_at = ?5, subject = ?6, priority = ?7 WHERE id = ?1",
    [ST_TICKET_LIST] = "SELECT " TICKET_COLS " FROM tickets WHERE position < ?1" TICKET_FILTERS
                       " ORDER BY position DESC LIMIT ?2",
    [ST_TICKET_LIST_CUSTOMER] = "SELECT " TICKET_COLS " FROM tickets WHERE customer_id = ?4 AND "
                                "position < ?1" TICKET_FILTERS " ORDER BY position DESC LIMIT ?2",
    [ST_FEEDBACK_INSERT] = "INSERT INTO feedback (" FEEDBACK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6)",
    [ST_FEEDBACK_BY_SESSION] = "SELECT " FEEDBACK_COLS " FROM feedback WHERE session_id = ?1",
    [ST_TICKET_NOTE_INSERT] = "INSERT INTO ticket_notes (id, ticket_id, author_id, body, "
                              "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_TICKET_NOTE_LIST] = "SELECT " NOTE_COLS " FROM ticket_notes WHERE position < ?1 AND "
                            "ticket_id = ?3 ORDER BY position DESC LIMIT ?2",
    [ST_FEEDBACK_LIST] = "SELECT " FEEDBACK_LIST_COLS " FROM feedback f JOIN sessions s ON "
                         "s.id = f.session_id WHERE f.rowid < ?1 AND (?3 IS NULL OR "
                         "s.agent_id = ?3) AND f.created_at >= ?4 AND f.created_at < ?5 "
                         "ORDER BY f.rowid DESC LIMIT ?2",
};

#define TICKET_POSITION_COL 7
static void read_ticket(row_reader *rd, parley_ticket *t) {
    r_id(rd, 0, t->id);
    r_id(rd, 1, t->session_id);
    r_id(rd, 2, t->agent_id);
    t->issue_description = r_text(rd, 3);
    t->status = ticket_status_load(rd, 4);
    t->created_at = r_i64(rd, 5);
    t->updated_at = r_i64(rd, 6);
    r_id(rd, 8, t->customer_id);
    t->subject = r_text(rd, 9);
    t->priority = ticket_priority_load(rd, 10);
}

static void read_feedback(row_reader *rd, parley_feedback *f) {
    r_id(rd, 0, f->id);
    r_id(rd, 1, f->session_id);
    r_id(rd, 2, f->customer_id);
    f->rating = sqlite3_column_int(rd->st, 3);
    f->comment = r_text(rd, 4);
    f->created_at = r_i64(rd, 5);
}

/* ---- tickets ----------------------------------------------------------- */

static parley_status sq_ticket_insert(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_INSERT);
    b_id(&b, 1, t->id);
    b_id(&b, 2, t->session_id);
    b_opt_id(&b, 3, t->agent_id);
    b_text(&b, 4, t->issue_description);
    b_enum(&b, 5, ticket_status_store(t->status));
    b_i64(&b, 6, t->created_at);
    b_i64(&b, 7, t->updated_at);
    b_opt_id(&b, 8, t->customer_id);
    b_text(&b, 9, t->subject);
    b_enum(&b, 10, ticket_priority_store(t->priority));
    return exec_write(r, &b, false, "ticket_insert", "ticket", err);
}

static parley_status sq_ticket_get(parley_repository *repo, const char *id, parley_ticket *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TICKET_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "ticket_get", "ticket", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_ticket(&rd, out);
        status = reader_finish(&rd, "ticket_get", err);
        if (status != PARLEY_OK) {
            parley_ticket_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_ticket_update(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_UPDATE);
    b_id(&b, 1, t->id);
    b_enum(&b, 2, ticket_status_store(t->status));
    b_opt_id(&b, 3, t->agent_id);
    b_text(&b, 4, t->issue_description);
    b_i64(&b, 5, t->updated_at);
    b_text(&b, 6, t->subject);
    b_enum(&b, 7, ticket_priority_store(t->priority));
    return exec_write(r, &b, true, "ticket_update", "ticket", err);
}

static void *push_ticket(void *list) {
    return parley_ticket_list_push(list);
}
static void read_ticket_item(row_reader *rd, void *item) {
    read_ticket(rd, item);
}
static void free_ticket_list(void *list) {
    parley_ticket_list_free(list);
}

static const page_kind ticket_page = {ST_TICKET_LIST, TICKET_POSITION_COL, push_ticket,
                                      read_ticket_item, free_ticket_list};

/* Binds ?1 (cursor) and ?2 (limit + 1) of a page statement. */
static parley_status page_bind_cursor(struct sqlite_repo *r, binder *b, const char *cursor,
                                      size_t cursor_size, int limit, const char *op,
                                      parley_error *err) {
    int64_t before;
    if (!parley_sqlite_parse_cursor(cursor, cursor_size, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: malformed cursor", op);
    }
    b_i64(b, 1, before);
    b_int(b, 2, limit + 1);
    (void)r;
    return PARLEY_OK;
}

static parley_status sq_ticket_list(parley_repository *repo, const parley_ticket_filter *filter,
                                    parley_ticket_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "ticket_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *status_name = NULL;
    const char *priority_name = NULL;
    if (filter->status >= 0 &&
        (status_name = ticket_status_store((parley_ticket_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown status", op);
    }
    if (filter->has_priority && (priority_name = ticket_priority_store(filter->priority)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown priority", op);
    }
    bool by_customer = strnlen(filter->customer_id, sizeof filter->customer_id) > 0;
    int limit = clamp_limit(filter->limit);
    binder b = bind_start(r, by_customer ? ST_TICKET_LIST_CUSTOMER : ST_TICKET_LIST);
    parley_status status =
        page_bind_cursor(r, &b, filter->cursor, sizeof filter->cursor, limit, op, err);
    if (status == PARLEY_OK) {
        b_text(&b, 3, status_name);
        if (by_customer) {
            b_filter(&b, 4, filter->customer_id, sizeof filter->customer_id);
        }
        b_text(&b, 5, priority_name);
        b_filter(&b, 6, filter->agent_id, sizeof filter->agent_id);
        b_filter(&b, 7, filter->session_id, sizeof filter->session_id);
        b_i64(&b, 8, filter->created_after > 0 ? filter->created_after : INT64_MIN);
        b_i64(&b, 9, filter->created_before > 0 ? filter->created_before : INT64_MAX);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &ticket_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* ---- ticket notes -------------------------------------------------------- */

static void read_note(row_reader *rd, parley_ticket_note *n) {
    r_id(rd, 0, n->id);
    r_id(rd, 1, n->ticket_id);
    r_id(rd, 2, n->author_id);
    n->body = r_text(rd, 3);
    n->created_at = r_i64(rd, 4);
}
static void *push_note(void *list) {
    return parley_ticket_note_list_push(list);
}
static void read_note_item(row_reader *rd, void *item) {
    read_note(rd, item);
}
static void free_note_list(void *list) {
    parley_ticket_note_list_free(list);
}
static const page_kind note_page = {ST_TICKET_NOTE_LIST, 5, push_note, read_note_item,
                                    free_note_list};

static parley_status sq_ticket_note_insert(parley_repository *repo, const parley_ticket_note *n,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_NOTE_INSERT);
    b_id(&b, 1, n->id);
    b_id(&b, 2, n->ticket_id);
    b_id(&b, 3, n->author_id);
    b_text(&b, 4, n->body);
    b_i64(&b, 5, n->created_at);
    return exec_write(r, &b, false, "ticket_note_insert", "ticket note", err);
}

static parley_status sq_ticket_note_list(parley_repository *repo, const char *ticket_id, int limit,
                                         const char *cursor, parley_ticket_note_list *out,
                                         char *next_cursor_out, size_t next_cursor_size,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "ticket_note_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *c = cursor != NULL ? cursor : "";
    limit = clamp_limit(limit);
    binder b = bind_start(r, ST_TICKET_NOTE_LIST);
    parley_status status = page_bind_cursor(r, &b, c, strlen(c) + 1, limit, op, err);
    if (status == PARLEY_OK) {
        b_text(&b, 3, ticket_id);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &note_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* ---- feedback ---------------------------------------------------------- */

static parley_status sq_feedback_insert(parley_repository *repo, const parley_feedback *f,
                                        parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_FEEDBACK_INSERT);
    b_id(&b, 1, f->id);
    b_id(&b, 2, f->session_id);
    b_id(&b, 3, f->customer_id);
    b_int(&b, 4, f->rating);
    b_text(&b, 5, f->comment);
    b_i64(&b, 6, f->created_at);
    return exec_write(r, &b, false, "feedback_insert", "feedback", err);
}

static parley_status sq_feedback_get_by_session(parley_repository *repo, const char *session_id,
                                                parley_feedback *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_FEEDBACK_BY_SESSION);
    b_text(&b, 1, session_id);
    parley_status status = fetch_one(r, &b, "feedback_get_by_session", "feedback", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_feedback(&rd, out);
        status = reader_finish(&rd, "feedback_get_by_session", err);
        if (status != PARLEY_OK) {
            parley_feedback_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static void read_feedback_list_item(row_reader *rd, void *item) {
    parley_feedback *f = item;
    read_feedback(rd, f);
    r_id(rd, 6, f->agent_id);
}
static void *push_feedback(void *list) {
    return parley_feedback_list_push(list);
}
static void free_feedback_list(void *list) {
    parley_feedback_list_free(list);
}
static const page_kind feedback_page = {ST_FEEDBACK_LIST, 7, push_feedback, read_feedback_list_item,
                                        free_feedback_list};

static parley_status sq_feedback_list(parley_repository *repo, const parley_feedback_filter *filter,
                                      parley_feedback_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "feedback_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    int limit = clamp_limit(filter->limit);
    binder b = bind_start(r, ST_FEEDBACK_LIST);
    parley_status status =
        page_bind_cursor(r, &b, filter->cursor, sizeof filter->cursor, limit, op, err);
    if (status == PARLEY_OK) {
        b_filter(&b, 3, filter->agent_id, sizeof filter->agent_id);
        b_i64(&b, 4, filter->from > 0 ? filter->from : INT64_MIN);
        b_i64(&b, 5, filter->to > 0 ? filter->to : INT64_MAX);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &feedback_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

const parley_tickets_ops parley_sqlite_tickets_ops = {
    .insert = sq_ticket_insert,
    .get = sq_ticket_get,
    .update = sq_ticket_update,
    .list = sq_ticket_list,
    .note_insert = sq_ticket_note_insert,
    .note_list = sq_ticket_note_list,
    .feedback_insert = sq_feedback_insert,
    .feedback_get_by_session = sq_feedback_get_by_session,
    .feedback_list = sq_feedback_list,
};
