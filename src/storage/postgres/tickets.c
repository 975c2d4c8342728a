/*
 * postgres/tickets.c - the tickets ops table (core/store/tickets.h) on
 * PostgreSQL: tickets, their internal notes, and feedback.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

/* Each filter is a "$N IS NULL OR" term (NULL: no filter); the walk goes
 * down the position, so a page stops after `limit` matches. */
#define PG_TICKET_FILTERS                                                                          \
    " AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR customer_id = $4)"            \
    " AND ($5::text IS NULL OR priority = $5) AND ($6::text IS NULL OR agent_id = $6)"             \
    " AND ($7::text IS NULL OR session_id = $7) AND created_at >= $8 AND created_at < $9"

const char *const parley_pg_tickets_sql[PG_STMT_COUNT] = {
    [PG_TICKET_INSERT] = "INSERT INTO tickets (id, session_id, agent_id, issue_description, "
                         "status, created_at, updated_at, customer_id, subject, priority) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, (SELECT s.customer_id "
                         "FROM sessions s WHERE s.id = $2)), $9, $10)",
    [PG_TICKET_GET] = "SELECT " PG_TICKET_COLS " FROM tickets WHERE id = $1",
    [PG_TICKET_UPDATE] = "UPDATE tickets SET status = $2, agent_id = $3, issue_description = $4, "
                         "updated_at = $5, subject = $6, priority = $7 WHERE id = $1",
    [PG_TICKET_LIST] =
        "SELECT " PG_TICKET_COLS " FROM tickets WHERE position < $1" PG_TICKET_FILTERS
        " ORDER BY position DESC LIMIT $2",
    [PG_FEEDBACK_INSERT] = "INSERT INTO feedback (" PG_FEEDBACK_COLS ") VALUES ($1, $2, $3, $4, "
                           "$5, $6)",
    [PG_FEEDBACK_BY_SESSION] = "SELECT " PG_FEEDBACK_COLS " FROM feedback WHERE session_id = $1",
    [PG_TICKET_NOTE_INSERT] = "INSERT INTO ticket_notes (id, ticket_id, author_id, body, "
                              "created_at) VALUES ($1, $2, $3, $4, $5)",
    [PG_TICKET_NOTE_LIST] = "SELECT " PG_NOTE_COLS " FROM ticket_notes WHERE position < $1 AND "
                            "ticket_id = $3 ORDER BY position DESC LIMIT $2",
    [PG_FEEDBACK_LIST] = "SELECT f.id, f.session_id, f.customer_id, f.rating, f.comment, "
                         "f.created_at, s.agent_id, f.position FROM feedback f JOIN sessions s "
                         "ON s.id = f.session_id WHERE f.position < $1 AND ($3::text IS NULL OR "
                         "s.agent_id = $3) AND f.created_at >= $4 AND f.created_at < $5 "
                         "ORDER BY f.position DESC LIMIT $2",
};

/* ---- tickets ----------------------------------------------------------- */

/* The insert's $8 falls back to the session's customer. */
#define TICKET_COLUMNS(F)                                                                          \
    F(id, ID), F(session_id, ID), F(agent_id, OPT_ID), F(issue_description, TEXT),                 \
        F(status, ticket_status), F(created_at, I64), F(updated_at, I64), F(customer_id, OPT_ID),  \
        F(subject, TEXT), F(priority, ticket_priority)
#define TICKET_POSITION_COL 10
ROW_COLUMNS(ticket, parley_ticket, TICKET_COLUMNS)
ROW_LIST_TYPE(ticket_rows, parley_ticket, "ticket", read_ticket, parley_ticket_free,
              parley_ticket_list, TICKET_POSITION_COL);

WRITE_ROW_OP(ticket_insert, parley_ticket, PG_TICKET_INSERT, false, "ticket", bind_ticket)
GET_BY_KEY_OP(ticket_get, parley_ticket, PG_TICKET_GET, ticket_rows)

static parley_status pq_ticket_update(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    return write_params(as_pg(repo), PG_TICKET_UPDATE, true, "ticket_update", "ticket",
                        PARAMS(p_id(t->id), p_enum(ticket_status_store(t->status)),
                               p_opt_id(t->agent_id), p_text(t->issue_description),
                               p_i64(t->updated_at), p_text(t->subject),
                               p_enum(ticket_priority_store(t->priority))),
                        err);
}

/* An unknown status or priority fails as a malformed cursor does:
 * "ticket_list: unknown status" (PARLEY_E_INVALID). */
static parley_status pq_ticket_list(parley_repository *repo, const parley_ticket_filter *filter,
                                    parley_ticket_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    pager p =
        page_open(as_pg(repo), PG_TICKET_LIST, "ticket_list", &ticket_rows, filter->limit,
                  filter->cursor, sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
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
    b_filter(&p.b, 4, filter->customer_id, sizeof filter->customer_id);
    b_text(&p.b, 5, priority_name);
    b_filter(&p.b, 6, filter->agent_id, sizeof filter->agent_id);
    b_filter(&p.b, 7, filter->session_id, sizeof filter->session_id);
    b_i64(&p.b, 8, filter->created_after > 0 ? filter->created_after : INT64_MIN);
    b_i64(&p.b, 9, filter->created_before > 0 ? filter->created_before : INT64_MAX);
    return page_fetch(&p, err);
}

/* ---- ticket notes -------------------------------------------------------- */

#define NOTE_COLUMNS(F)                                                                            \
    F(id, ID), F(ticket_id, ID), F(author_id, ID), F(body, TEXT), F(created_at, I64)
#define NOTE_POSITION_COL 5
ROW_COLUMNS(note, parley_ticket_note, NOTE_COLUMNS)
ROW_LIST_TYPE(note_rows, parley_ticket_note, "ticket note", read_note, parley_ticket_note_free,
              parley_ticket_note_list, NOTE_POSITION_COL);

WRITE_ROW_OP(ticket_note_insert, parley_ticket_note, PG_TICKET_NOTE_INSERT, false, "ticket note",
             bind_note)

LIST_PAGE_BY_KEY_OP(ticket_note_list, parley_ticket_note_list, PG_TICKET_NOTE_LIST, note_rows)

/* ---- feedback ---------------------------------------------------------- */

#define FEEDBACK_COLUMNS(F)                                                                        \
    F(id, ID), F(session_id, ID), F(customer_id, ID), F(rating, INT), F(comment, TEXT),            \
        F(created_at, I64)
/* the list adds the session's agent and the position */
#define FEEDBACK_LIST_COLUMNS(F) FEEDBACK_COLUMNS(F), F(agent_id, OPT_ID)
#define FEEDBACK_POSITION_COL 7
ROW_COLUMNS(feedback, parley_feedback, FEEDBACK_COLUMNS)
ROW_READER(read_feedback_listed, parley_feedback, FEEDBACK_LIST_COLUMNS)
ROW_TYPE(feedback_rows, parley_feedback, "feedback", read_feedback, parley_feedback_free);
ROW_LIST_TYPE(feedback_list_rows, parley_feedback, "feedback", read_feedback_listed,
              parley_feedback_free, parley_feedback_list, FEEDBACK_POSITION_COL);

WRITE_ROW_OP(feedback_insert, parley_feedback, PG_FEEDBACK_INSERT, false, "feedback", bind_feedback)
GET_BY_KEY_OP(feedback_get_by_session, parley_feedback, PG_FEEDBACK_BY_SESSION, feedback_rows)

static parley_status pq_feedback_list(parley_repository *repo, const parley_feedback_filter *filter,
                                      parley_feedback_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    pager p = page_open(as_pg(repo), PG_FEEDBACK_LIST, "feedback_list", &feedback_list_rows,
                        filter->limit, filter->cursor, sizeof filter->cursor, out, next_cursor_out,
                        next_cursor_size);
    b_filter(&p.b, 3, filter->agent_id, sizeof filter->agent_id);
    b_i64(&p.b, 4, filter->from > 0 ? filter->from : INT64_MIN);
    b_i64(&p.b, 5, filter->to > 0 ? filter->to : INT64_MAX);
    return page_fetch(&p, err);
}

const parley_tickets_ops parley_pg_tickets_ops = {
    .insert = pq_ticket_insert,
    .get = pq_ticket_get,
    .update = pq_ticket_update,
    .list = pq_ticket_list,
    .note_insert = pq_ticket_note_insert,
    .note_list = pq_ticket_note_list,
    .feedback_insert = pq_feedback_insert,
    .feedback_get_by_session = pq_feedback_get_by_session,
    .feedback_list = pq_feedback_list,
};
