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

/* ---- tickets ----------------------------------------------------------- */

/* Each *_COLUMNS is its *_COLS in order: what a row reads and what the
 * insert binds (sqlite_internal.h, columns). The ticket insert's ?8 falls
 * back to the session's customer. */
#define TICKET_COLUMNS(F)                                                                          \
    F(id, ID), F(session_id, ID), F(agent_id, OPT_ID), F(issue_description, TEXT),                 \
        F(status, ticket_status), F(created_at, I64), F(updated_at, I64), F(customer_id, OPT_ID),  \
        F(subject, TEXT), F(priority, ticket_priority)
#define TICKET_POSITION_COL 10
ROW_COLUMNS(ticket, parley_ticket, TICKET_COLUMNS)
ROW_LIST_TYPE(ticket_rows, parley_ticket, "ticket", read_ticket, parley_ticket_free,
              parley_ticket_list, TICKET_POSITION_COL);

WRITE_ROW_OP(ticket_insert, parley_ticket, ST_TICKET_INSERT, false, "ticket", bind_ticket)
GET_BY_KEY_OP(ticket_get, parley_ticket, ST_TICKET_GET, ticket_rows)

static parley_status sq_ticket_update(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    return write_params(as_sqlite(repo), ST_TICKET_UPDATE, true, "ticket_update", "ticket",
                        PARAMS(p_id(t->id), p_enum(ticket_status_store(t->status)),
                               p_opt_id(t->agent_id), p_text(t->issue_description),
                               p_i64(t->updated_at), p_text(t->subject),
                               p_enum(ticket_priority_store(t->priority))),
                        err);
}

/* An unknown status or priority fails as a malformed cursor does:
 * "ticket_list: unknown status" (PARLEY_E_INVALID). */
static parley_status sq_ticket_list(parley_repository *repo, const parley_ticket_filter *filter,
                                    parley_ticket_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    bool by_customer = strnlen(filter->customer_id, sizeof filter->customer_id) > 0;
    pager p = page_open(as_sqlite(repo), by_customer ? ST_TICKET_LIST_CUSTOMER : ST_TICKET_LIST,
                        "ticket_list", &ticket_rows, filter->limit, filter->cursor,
                        sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    const char *status_name = NULL;
    const char *priority_name = NULL;
    if (filter->status >= 0 &&
        (status_name = ticket_status_store((parley_ticket_status)filter->status)) == NULL) {
        b_invalid(&p.b, "unknown status");
    }
    if (filter->has_priority && (priority_name = ticket_priority_store(filter->priority)) == NULL) {
        b_invalid(&p.b, "unknown priority");
    }
    b_text(&p.b, 3, status_name);
    if (by_customer) {
        b_filter(&p.b, 4, filter->customer_id, sizeof filter->customer_id);
    }
    b_text(&p.b, 5, priority_name);
    b_filter(&p.b, 6, filter->agent_id, sizeof filter->agent_id);
    b_filter(&p.b, 7, filter->session_id, sizeof filter->session_id);
    b_i64(&p.b, 8, filter->created_after > 0 ? filter->created_after : INT64_MIN);
    b_i64(&p.b, 9, filter->created_before > 0 ? filter->created_before : INT64_MAX);
    return page_fetch(as_sqlite(repo), &p, err);
}

/* ---- ticket notes -------------------------------------------------------- */

#define NOTE_COLUMNS(F)                                                                            \
    F(id, ID), F(ticket_id, ID), F(author_id, ID), F(body, TEXT), F(created_at, I64)
#define NOTE_POSITION_COL 5
ROW_COLUMNS(note, parley_ticket_note, NOTE_COLUMNS)
ROW_LIST_TYPE(note_rows, parley_ticket_note, "ticket note", read_note, parley_ticket_note_free,
              parley_ticket_note_list, NOTE_POSITION_COL);

WRITE_ROW_OP(ticket_note_insert, parley_ticket_note, ST_TICKET_NOTE_INSERT, false, "ticket note",
             bind_note)

static parley_status sq_ticket_note_list(parley_repository *repo, const char *ticket_id, int limit,
                                         const char *cursor, parley_ticket_note_list *out,
                                         char *next_cursor_out, size_t next_cursor_size,
                                         parley_error *err) {
    pager p = page_open(as_sqlite(repo), ST_TICKET_NOTE_LIST, "ticket_note_list", &note_rows, limit,
                        cursor, 0, out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, ticket_id);
    return page_fetch(as_sqlite(repo), &p, err);
}

/* ---- feedback ---------------------------------------------------------- */

#define FEEDBACK_COLUMNS(F)                                                                        \
    F(id, ID), F(session_id, ID), F(customer_id, ID), F(rating, INT), F(comment, TEXT),            \
        F(created_at, I64)
/* FEEDBACK_LIST_COLS: the feedback, the session's agent, the position */
#define FEEDBACK_LIST_COLUMNS(F) FEEDBACK_COLUMNS(F), F(agent_id, OPT_ID)
#define FEEDBACK_POSITION_COL 7
ROW_COLUMNS(feedback, parley_feedback, FEEDBACK_COLUMNS)
ROW_READER(read_feedback_listed, parley_feedback, FEEDBACK_LIST_COLUMNS)
ROW_TYPE(feedback_rows, parley_feedback, "feedback", read_feedback, parley_feedback_free);
ROW_LIST_TYPE(feedback_list_rows, parley_feedback, "feedback", read_feedback_listed,
              parley_feedback_free, parley_feedback_list, FEEDBACK_POSITION_COL);

WRITE_ROW_OP(feedback_insert, parley_feedback, ST_FEEDBACK_INSERT, false, "feedback", bind_feedback)
GET_BY_KEY_OP(feedback_get_by_session, parley_feedback, ST_FEEDBACK_BY_SESSION, feedback_rows)

static parley_status sq_feedback_list(parley_repository *repo, const parley_feedback_filter *filter,
                                      parley_feedback_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    pager p = page_open(as_sqlite(repo), ST_FEEDBACK_LIST, "feedback_list", &feedback_list_rows,
                        filter->limit, filter->cursor, sizeof filter->cursor, out, next_cursor_out,
                        next_cursor_size);
    b_filter(&p.b, 3, filter->agent_id, sizeof filter->agent_id);
    b_i64(&p.b, 4, filter->from > 0 ? filter->from : INT64_MIN);
    b_i64(&p.b, 5, filter->to > 0 ? filter->to : INT64_MAX);
    return page_fetch(as_sqlite(repo), &p, err);
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
