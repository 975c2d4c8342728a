/*
 * sqlite/contacts.c - the contacts ops table (core/store/contacts.h) on
 * SQLite: the customers rows with the columns of schema step 20
 * (attributes_json, updated_at) and their sessions' count and newest
 * creation; a list pages down the customers' rowid. The column list is
 * storage/columns.h's (shared with postgres/contacts.c).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

#include "core/store/contacts.h"
#include "storage/columns.h"

#define CONTACT_SELECT "SELECT " CONTACT_COLS ", c.rowid FROM customers c"

const char *const parley_sqlite_contacts_sql[ST_COUNT] = {
    [ST_CONTACT_GET] = CONTACT_SELECT " WHERE c.id = ?1",
    /* LIKE is case-insensitive for ASCII in SQLite */
    [ST_CONTACT_LIST] = CONTACT_SELECT " WHERE c.rowid < ?1 AND (?3 IS NULL OR c.name LIKE ?3 "
                                       "ESCAPE '\\' OR c.email LIKE ?3 ESCAPE '\\') "
                                       "ORDER BY c.rowid DESC LIMIT ?2",
    [ST_CONTACT_UPDATE] = "UPDATE customers SET name = ?2, email = ?3, language = ?4, "
                          "attributes_json = ?5, updated_at = ?6 WHERE id = ?1",
    /* the customers_email index (step 20) */
    [ST_CONTACT_BY_EMAIL] = CONTACT_SELECT " WHERE c.email = ?1 COLLATE NOCASE AND c.verified = 1 "
                                           "ORDER BY c.created_at, c.rowid LIMIT 1",
};

ROW_READER(read_contact, parley_contact, CONTACT_COLUMNS)
ROW_LIST_TYPE(contact_rows, parley_contact, "contact", read_contact, parley_contact_free,
              parley_contact_list, CONTACT_POSITION_COL);

GET_BY_KEY_OP(contact_get, parley_contact, ST_CONTACT_GET, contact_rows)
GET_BY_KEY_OP(contact_find_verified_by_email, parley_contact, ST_CONTACT_BY_EMAIL, contact_rows)

static parley_status sq_contact_list(parley_repository *repo, const parley_contact_filter *filter,
                                     parley_contact_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    pager p =
        page_open(r, ST_CONTACT_LIST, "contact_list", &contact_rows, filter->limit, filter->cursor,
                  sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, filter->pattern[0] != '\0' ? filter->pattern : NULL);
    return page_fetch(r, &p, err);
}

static parley_status sq_contact_update(parley_repository *repo, const parley_contact *c,
                                       parley_error *err) {
    return write_params(as_sqlite(repo), ST_CONTACT_UPDATE, true, "contact_update", "contact",
                        PARAMS(p_id(c->id), p_text(c->name), p_text(c->email), p_text(c->language),
                               p_text(c->attributes_json), p_i64(c->updated_at)),
                        err);
}

const parley_contacts_ops parley_sqlite_contacts_ops = {
    .get = sq_contact_get,
    .list = sq_contact_list,
    .update = sq_contact_update,
    .find_verified_by_email = sq_contact_find_verified_by_email,
};
