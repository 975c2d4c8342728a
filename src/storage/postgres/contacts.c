/*
 * postgres/contacts.c - the contacts ops table (core/store/contacts.h) on
 * PostgreSQL: the customers rows with the columns of schema step 7
 * (attributes_json, updated_at, position) and their sessions' count and
 * newest creation. The same statements as sqlite/contacts.c (the column
 * list is storage/columns.h's); ILIKE for the case-insensitive search.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#include "core/store/contacts.h"
#include "storage/columns.h"

#define CONTACT_SELECT "SELECT " CONTACT_COLS ", c.position FROM customers c"

const char *const parley_pg_contacts_sql[PG_STMT_COUNT] = {
    [PG_CONTACT_GET] = CONTACT_SELECT " WHERE c.id = $1",
    [PG_CONTACT_LIST] = CONTACT_SELECT " WHERE c.position < $1 AND ($3::text IS NULL OR c.name "
                                       "ILIKE $3 ESCAPE '\\' OR c.email ILIKE $3 ESCAPE '\\') "
                                       "ORDER BY c.position DESC LIMIT $2",
    [PG_CONTACT_UPDATE] = "UPDATE customers SET name = $2, email = $3, language = $4, "
                          "attributes_json = $5, updated_at = $6 WHERE id = $1",
    /* the customers_email index (step 7) */
    [PG_CONTACT_BY_EMAIL] = CONTACT_SELECT " WHERE lower(c.email) = lower($1) AND c.verified "
                                           "ORDER BY c.created_at, c.position LIMIT 1",
};

ROW_READER(read_contact, parley_contact, CONTACT_COLUMNS)
ROW_LIST_TYPE(contact_rows, parley_contact, "contact", read_contact, parley_contact_free,
              parley_contact_list, CONTACT_POSITION_COL);

GET_BY_KEY_OP(contact_get, parley_contact, PG_CONTACT_GET, contact_rows)
GET_BY_KEY_OP(contact_find_verified_by_email, parley_contact, PG_CONTACT_BY_EMAIL, contact_rows)

static parley_status pq_contact_list(parley_repository *repo, const parley_contact_filter *filter,
                                     parley_contact_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    pager p =
        page_open(as_pg(repo), PG_CONTACT_LIST, "contact_list", &contact_rows, filter->limit,
                  filter->cursor, sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, filter->pattern[0] != '\0' ? filter->pattern : NULL);
    return page_fetch(&p, err);
}

static parley_status pq_contact_update(parley_repository *repo, const parley_contact *c,
                                       parley_error *err) {
    return write_params(as_pg(repo), PG_CONTACT_UPDATE, true, "contact_update", "contact",
                        PARAMS(p_id(c->id), p_text(c->name), p_text(c->email), p_text(c->language),
                               p_text(c->attributes_json), p_i64(c->updated_at)),
                        err);
}

const parley_contacts_ops parley_pg_contacts_ops = {
    .get = pq_contact_get,
    .list = pq_contact_list,
    .update = pq_contact_update,
    .find_verified_by_email = pq_contact_find_verified_by_email,
};
