/*
 * sqlite/rows.h - the SQLite backend's generic ops: one row by key into a
 * struct, every row into a list or a callback, a page of rows with its
 * next cursor, one integer, a write of listed parameters or of a struct's
 * columns; and macros that define the commonest ops whole (GET_BY_KEY_OP,
 * WRITE_ROW_OP, LIST_PAGE_OP). An op of an aggregate file binds its
 * statement and names its row type (ROW_TYPE, ROW_LIST_TYPE); these run
 * the statement and keep the contract (sqlite_internal.h): errors set with
 * the op's name, "<what> not found" for a missing row, outputs zeroed on
 * every error path, the statement reset and its bindings cleared before
 * the op returns.
 *
 * Included by sqlite_internal.h at its end (it uses the binder, the row
 * reader and the errors defined there); not for use outside
 * src/storage/sqlite/. Ownership and threads are the handle's: a caller's
 * thread, one at a time per handle.
 */
#ifndef PARLEY_SQLITE_ROWS_H
#define PARLEY_SQLITE_ROWS_H

#ifndef PARLEY_SQLITE_INTERNAL_H
#error "include storage/sqlite/sqlite_internal.h, which includes this header at its end"
#endif

/* ---- row types ----------------------------------------------------------- */

/* What the generic ops know of one model type: how a row becomes an item,
 * how an item and a list of them are freed. Defined with ROW_TYPE or
 * ROW_LIST_TYPE below; the read function follows the statement's columns
 * (the *_COLS macros). */
typedef struct row_type {
    const char *what; /* names the row in "<what> not found" */
    size_t size;      /* of one item */
    void (*read)(row_reader *rd, void *item);
    void (*free)(void *item);  /* frees and zeroes one item */
    void *(*push)(void *list); /* appends a zeroed item (NULL: out of memory) */
    void (*free_list)(void *list);
    size_t list_size; /* of the list struct: zeroed before it is filled */
    int position_col; /* the column a page's next cursor is taken from */
} row_type;

/* The void * adapters of item_t, read by read_fn(row_reader *, item_t *)
 * and freed by free_fn(item_t *). */
#define ROW_ITEM_ADAPTERS(name, item_t, read_fn, free_fn)                                          \
    static void name##_read(row_reader *rd, void *item) {                                          \
        read_fn(rd, (item_t *)item);                                                               \
    }                                                                                              \
    static void name##_free(void *item) {                                                          \
        free_fn((item_t *)item);                                                                   \
    }

/* A row type that is only ever read one row at a time. */
#define ROW_TYPE(name, item_t, what, read_fn, free_fn)                                             \
    ROW_ITEM_ADAPTERS(name, item_t, read_fn, free_fn)                                              \
    static const row_type name = {what, sizeof(item_t), name##_read, name##_free, NULL, NULL, 0, 0}

/* A row type that is also listed: list_t with list_t##_push and
 * list_t##_free (core/model.h), paged by its column position_col. */
#define ROW_LIST_TYPE(name, item_t, what, read_fn, free_fn, list_t, position_col)                  \
    ROW_ITEM_ADAPTERS(name, item_t, read_fn, free_fn)                                              \
    static void *name##_push(void *list) {                                                         \
        return list_t##_push((list_t *)list);                                                      \
    }                                                                                              \
    static void name##_free_list(void *list) {                                                     \
        list_t##_free((list_t *)list);                                                             \
    }                                                                                              \
    static const row_type name = {what,        sizeof(item_t),   name##_read,    name##_free,      \
                                  name##_push, name##_free_list, sizeof(list_t), position_col}

/* ---- writes -------------------------------------------------------------- */

/* A statement's parameters as data: an op lists them in order (?1, ?2,
 * ...) with PARAMS(p_id(...), p_text(...), ...) and b_params binds each
 * with the b_* function of its name (p_i64 for every integer; p_bind for
 * a text binder of the op's own). */
typedef struct param {
    void (*bind_text)(binder *b, int idx, const char *text); /* NULL: `number` */
    const char *text;
    int64_t number;
} param;

#define p_bind(binder_fn, v) ((param){(binder_fn), (v), 0})
#define p_id(v) p_bind(b_id, v)
#define p_opt_id(v) p_bind(b_opt_id, v)
#define p_text(v) p_bind(b_text, v) /* NULL binds NULL */
#define p_enum(v) p_bind(b_enum, v)
#define p_i64(v) ((param){NULL, NULL, (v)})

/* The array and its length, as write_params takes them. */
#define PARAMS(...)                                                                                \
    (const param[]){__VA_ARGS__}, sizeof((const param[]){__VA_ARGS__}) / sizeof(param)

static inline void b_params(binder *b, const param *params, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (params[i].bind_text != NULL) {
            params[i].bind_text(b, (int)i + 1, params[i].text);
        } else {
            b_i64(b, (int)i + 1, params[i].number);
        }
    }
}

/* Runs a write of the listed parameters (exec_write: with must_change, no
 * row changed is "<what> not found"). */
static inline parley_status write_params(struct sqlite_repo *r, enum stmt_id id, bool must_change,
                                         const char *op, const char *what, const param *params,
                                         size_t count, parley_error *err) {
    binder b = bind_start(r, id);
    b_params(&b, params, count);
    return exec_write(r, &b, must_change, op, what, err);
}

/* Runs a write whose parameters bind() binds from item (a ROW_BINDER). */
static inline parley_status write_row(struct sqlite_repo *r, enum stmt_id id, bool must_change,
                                      const char *op, const char *what,
                                      void (*bind)(binder *b, const void *item), const void *item,
                                      parley_error *err) {
    binder b = bind_start(r, id);
    bind(&b, item);
    return exec_write(r, &b, must_change, op, what, err);
}

/* ---- every row ------------------------------------------------------------ */

/* Steps a bound statement and hands each row to `row`, which reads it
 * through the reader (a problem it flags there ends the run with that
 * error) and returns false to stop before the next row. Checks the binds
 * first; always resets. */
static inline parley_status each_row(struct sqlite_repo *r, binder *b, const char *op,
                                     bool (*row)(row_reader *rd, void *ctx), void *ctx,
                                     parley_error *err) {
    parley_status status = bind_check(r, b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b->st)) == SQLITE_ROW) {
        row_reader rd = reader_start(b->st);
        bool more = row(&rd, ctx);
        status = reader_finish(&rd, op, err);
        if (!more) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    stmt_done(b->st);
    return status;
}

/* A caller's per-row callback and its context, as each_row's ctx for the
 * load ops: the row function casts `each` back to the callback's type
 * (EACH_CALLBACK makes one). */
typedef struct row_callback {
    void (*each)(void);
    void *ctx;
} row_callback;

#define EACH_CALLBACK(each, ctx) (&(row_callback){(void (*)(void))(each), (ctx)})

/* each_row's context for filling a list. */
typedef struct list_fill {
    const row_type *type;
    void *list;
} list_fill;

static inline bool list_fill_row(row_reader *rd, void *ctx) {
    list_fill *fill = ctx;
    void *item = fill->type->push(fill->list);
    if (item == NULL) {
        r_nomem(rd);
        return false;
    }
    fill->type->read(rd, item);
    return true;
}

/* Every row of a bound statement into out, a list of `type` (zeroed first,
 * and freed again on error). */
static inline parley_status list_rows(struct sqlite_repo *r, binder *b, const char *op,
                                      const row_type *type, void *out, parley_error *err) {
    memset(out, 0, type->list_size);
    list_fill fill = {type, out};
    parley_status status = each_row(r, b, op, list_fill_row, &fill, err);
    if (status != PARLEY_OK) {
        type->free_list(out);
    }
    return status;
}

/* ---- one row -------------------------------------------------------------- */

/* The first row of a bound statement, read by read(rd, out); no row is
 * "<what> not found". Always resets. */
static inline parley_status get_value(struct sqlite_repo *r, binder *b, const char *op,
                                      const char *what, void (*read)(row_reader *rd, void *out),
                                      void *out, parley_error *err) {
    parley_status status = fetch_one(r, b, op, what, err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b->st);
        read(&rd, out);
        status = reader_finish(&rd, op, err);
    }
    stmt_done(b->st);
    return status;
}

/* The first row into out, an item of `type`. The caller zeroed out before
 * binding (a key may point into it); on error out is freed and zeroed
 * again. */
static inline parley_status get_row(struct sqlite_repo *r, binder *b, const char *op,
                                    const row_type *type, void *out, parley_error *err) {
    parley_status status = get_value(r, b, op, type->what, type->read, out, err);
    if (status != PARLEY_OK) {
        type->free(out);
        memset(out, 0, type->size);
    }
    return status;
}

/* The row whose key (?1, bound as text) is `key`; out is zeroed first. */
static inline parley_status get_by_key(struct sqlite_repo *r, enum stmt_id id, const char *key,
                                       const char *op, const row_type *type, void *out,
                                       parley_error *err) {
    memset(out, 0, type->size);
    binder b = bind_start(r, id);
    b_text(&b, 1, key);
    return get_row(r, &b, op, type, out, err);
}

/* A statement whose one row holds an integer in column 0 (a count, a
 * flag, an upsert's RETURNING), run to its end so a write has certainly
 * finished; *out is 0 on error. Always resets. */
static inline parley_status get_i64(struct sqlite_repo *r, binder *b, const char *op,
                                    const char *what, int64_t *out, parley_error *err) {
    *out = 0;
    parley_status status = fetch_one(r, b, op, what, err);
    if (status == PARLEY_OK) {
        int64_t value = sqlite3_column_int64(b->st, 0);
        int rc = sqlite3_step(b->st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, op, err);
        } else {
            *out = value;
        }
    }
    stmt_done(b->st);
    return status;
}

/* An EXISTS statement's answer; *out is false on error. */
static inline parley_status get_flag(struct sqlite_repo *r, binder *b, const char *op,
                                     const char *what, bool *out, parley_error *err) {
    int64_t value = 0;
    parley_status status = get_i64(r, b, op, what, &value, err);
    *out = value != 0;
    return status;
}

/* ---- pages ---------------------------------------------------------------- */

/* A page of a list statement: newest first by position, ?1 the position
 * bound (exclusive) from the cursor, ?2 the limit + 1 (one row more than
 * asked tells whether another page follows). page_open binds those two and
 * the op binds its filters (?3 on) on .b before page_fetch runs it. */
typedef struct pager {
    binder b;
    const row_type *type;
    const char *op;
    int limit;
    void *out;
    char *next_cursor;
    size_t next_cursor_size;
} pager;

/* Zeroes out (a list of `type`) and the next cursor; limit is clamped to
 * 1..LIST_LIMIT_MAX. cursor NULL reads as ""; cursor_size 0 means it is
 * NUL-terminated. A malformed cursor fails page_fetch with
 * "<op>: malformed cursor" (PARLEY_E_INVALID). */
static inline pager page_open(struct sqlite_repo *r, enum stmt_id id, const char *op,
                              const row_type *type, int limit, const char *cursor,
                              size_t cursor_size, void *out, char *next_cursor_out,
                              size_t next_cursor_size) {
    memset(out, 0, type->list_size);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    pager p = {bind_start(r, id), type, op, clamp_limit(limit), out, next_cursor_out,
               next_cursor_size};
    const char *text = cursor != NULL ? cursor : "";
    int64_t before = INT64_MAX;
    if (!parley_sqlite_parse_cursor(text, cursor_size > 0 ? cursor_size : strlen(text) + 1,
                                    &before)) {
        b_invalid(&p.b, "malformed cursor");
    }
    b_i64(&p.b, 1, before);
    b_int(&p.b, 2, p.limit + 1);
    return p;
}

/* each_row's context for a page. */
typedef struct page_fill {
    list_fill list;
    size_t limit;
    size_t count;
    bool more;
    int64_t last_position;
} page_fill;

static inline bool page_fill_row(row_reader *rd, void *ctx) {
    page_fill *page = ctx;
    if (page->count == page->limit) {
        page->more = true;
        return false;
    }
    page->count++;
    if (!list_fill_row(rd, &page->list)) {
        return false;
    }
    page->last_position = r_i64(rd, page->list.type->position_col);
    return true;
}

/* Runs an opened page into its list and sets the next cursor; on error
 * the list is freed (left zeroed). Always resets. */
static inline parley_status page_fetch(struct sqlite_repo *r, pager *p, parley_error *err) {
    page_fill page = {{p->type, p->out}, (size_t)p->limit, 0, false, 0};
    parley_status status = each_row(r, &p->b, p->op, page_fill_row, &page, err);
    if (status == PARLEY_OK) {
        status = page_cursor(page.more, page.last_position, p->next_cursor, p->next_cursor_size,
                             p->op, err);
    }
    if (status != PARLEY_OK) {
        p->type->free_list(p->out);
    }
    return status;
}

/* A page of a statement with no filter of its own (audit, teams, ...). */
static inline parley_status list_page(struct sqlite_repo *r, enum stmt_id id, const char *op,
                                      const row_type *type, int limit, const char *cursor,
                                      void *out, char *next_cursor_out, size_t next_cursor_size,
                                      parley_error *err) {
    pager p = page_open(r, id, op, type, limit, cursor, 0, out, next_cursor_out, next_cursor_size);
    return page_fetch(r, &p, err);
}

/* ---- page kinds ----------------------------------------------------------- */

/* The older interface of sessions.c and tools.c: a row type as push /
 * read / free_list and its list statement. New code names a row_type and
 * uses page_open / page_fetch (or list_rows) directly; these two are kept
 * for those files until they do. The caller zeroes the list. */
typedef struct page_kind {
    int stmt;
    int position_col;
    void *(*push)(void *list);
    void (*read)(row_reader *rd, void *item);
    void (*free_list)(void *list);
} page_kind;

/* list_size 0: the caller zeroed the list */
static inline row_type page_kind_type(const page_kind *kind) {
    row_type type = {.read = kind->read,
                     .push = kind->push,
                     .free_list = kind->free_list,
                     .position_col = kind->position_col};
    return type;
}

/* Steps a statement the caller bound (and checked) into out, at most
 * limit rows, and sets the next cursor when more follow. Always resets. */
static inline parley_status page_run(struct sqlite_repo *r, const page_kind *kind, const char *op,
                                     binder *bound, int limit, void *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    row_type type = page_kind_type(kind);
    pager p = {*bound, &type, op, limit, out, next_cursor_out, next_cursor_size};
    return page_fetch(r, &p, err);
}

/* Picks the filter variant of kind->stmt, opens its page and binds the
 * shared filters: ?3 the status (status_name NULL: any), ?4 the customer. */
static inline pager page_bind(struct sqlite_repo *r, const page_kind *kind, const row_type *type,
                              const char *op, const char *status_name, const char *customer_id,
                              size_t customer_id_size, const char *cursor, size_t cursor_size,
                              int limit, void *out, char *next_cursor_out,
                              size_t next_cursor_size) {
    size_t customer_len = strnlen(customer_id, customer_id_size);
    int variant = (status_name != NULL ? 1 : 0) + (customer_len > 0 ? 2 : 0);
    pager p = page_open(r, (enum stmt_id)(kind->stmt + variant), op, type, limit, cursor,
                        cursor_size, out, next_cursor_out, next_cursor_size);
    if (status_name != NULL) {
        b_text(&p.b, 3, status_name);
    }
    if (customer_len > 0) {
        b_text_n(&p.b, 4, customer_id, customer_len);
    }
    return p;
}

static inline parley_status page_list(struct sqlite_repo *r, const page_kind *kind, const char *op,
                                      const char *status_name, const char *customer_id,
                                      size_t customer_id_size, const char *cursor,
                                      size_t cursor_size, int requested_limit, void *out,
                                      char *next_cursor_out, size_t next_cursor_size,
                                      parley_error *err) {
    row_type type = page_kind_type(kind);
    pager p = page_bind(r, kind, &type, op, status_name, customer_id, customer_id_size, cursor,
                        cursor_size, requested_limit, out, next_cursor_out, next_cursor_size);
    return page_fetch(r, &p, err);
}

/* ---- whole ops -------------------------------------------------------------- */

/* The commonest ops whole, named sq_<op> (the op's name in its errors):
 * the caller says only its statement and its row type or binder. */

/* sq_<op>(repo, key, out, err): the row of `rows` whose ?1 is key. */
#define GET_BY_KEY_OP(op, item_t, stmt, rows)                                                      \
    static parley_status sq_##op(parley_repository *repo, const char *key, item_t *out,            \
                                 parley_error *err) {                                              \
        return get_by_key(as_sqlite(repo), stmt, key, #op, &rows, out, err);                       \
    }

/* sq_<op>(repo, item, err): a write of item's columns (bind, a ROW_BINDER);
 * with must_change, no row changed is "<what> not found". */
#define WRITE_ROW_OP(op, item_t, stmt, must_change, what, bind)                                    \
    static parley_status sq_##op(parley_repository *repo, const item_t *item, parley_error *err) { \
        return write_row(as_sqlite(repo), stmt, must_change, #op, what, bind, item, err);          \
    }

/* sq_<op>(repo, limit, cursor, out, next_cursor_out, next_cursor_size,
 * err): a page of `rows` with no filter (list_page). */
#define LIST_PAGE_OP(op, list_t, stmt, rows)                                                       \
    static parley_status sq_##op(parley_repository *repo, int limit, const char *cursor,           \
                                 list_t *out, char *next_cursor_out, size_t next_cursor_size,      \
                                 parley_error *err) {                                              \
        return list_page(as_sqlite(repo), stmt, #op, &rows, limit, cursor, out, next_cursor_out,   \
                         next_cursor_size, err);                                                   \
    }

#endif
