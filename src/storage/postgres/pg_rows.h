/*
 * postgres/pg_rows.h - the PostgreSQL backend's generic ops (the shape of
 * sqlite/rows.h): one row by key into a struct, every row into a list, a
 * page of rows with its next cursor, one integer (or none), a write of
 * listed parameters or of a struct's columns; and the macros that define
 * the commonest ops whole (GET_BY_KEY_OP, WRITE_ROW_OP). Each runs its
 * statement in one round trip and keeps the contract: errors set with the
 * op's name, "<what> not found" for a missing row, outputs zeroed on every
 * error path, the result cleared before the op returns.
 *
 * Included by pg_internal.h at its end; not for use outside
 * src/storage/postgres/. Ownership and threads are the handle's.
 */
#ifndef PARLEY_PG_ROWS_H
#define PARLEY_PG_ROWS_H

#ifndef PARLEY_PG_INTERNAL_H
#error "include storage/postgres/pg_internal.h, which includes this header at its end"
#endif

/* ---- row types ----------------------------------------------------------- */

typedef struct row_type {
    const char *what; /* names the row in "<what> not found" */
    size_t size;      /* of one item */
    void (*read)(row_reader *rd, void *item);
    void (*free)(void *item);
    void *(*push)(void *list); /* appends a zeroed item (NULL: out of memory) */
    void (*free_list)(void *list);
    size_t list_size;
    int position_col; /* the column a page's next cursor is taken from */
} row_type;

#define ROW_ITEM_ADAPTERS(name, item_t, read_fn, free_fn)                                          \
    static void name##_read(row_reader *rd, void *item) {                                          \
        read_fn(rd, (item_t *)item);                                                               \
    }                                                                                              \
    static void name##_free(void *item) {                                                          \
        free_fn((item_t *)item);                                                                   \
    }

static inline void plain_item_free(const void *item) {
    (void)item;
}

#define ROW_TYPE(name, item_t, what, read_fn, free_fn)                                             \
    ROW_ITEM_ADAPTERS(name, item_t, read_fn, free_fn)                                              \
    static const row_type name = {what, sizeof(item_t), name##_read, name##_free, NULL, NULL, 0, 0}

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
#define p_bool(v) p_text((v) ? "t" : "f")
#define p_i64(v) ((param){NULL, NULL, (v)})
#define p_opt_i64(v) ((v) != 0 ? p_i64(v) : p_text(NULL)) /* 0 (none) binds NULL */

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

/* Runs a statement that returns no rows; with must_change, no affected row
 * means the keyed row does not exist. *changed (may be NULL) tells whether
 * it touched a row. */
static inline parley_status exec_write(binder *b, bool must_change, const char *op,
                                       const char *what, bool *changed, parley_error *err) {
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    bool touched = false;
    if (res != NULL) {
        const char *tuples = PQcmdTuples(res);
        touched = tuples[0] != '\0' && strcmp(tuples, "0") != 0;
        PQclear(res);
        if (must_change && !touched) {
            status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
        }
    }
    if (changed != NULL) {
        *changed = status == PARLEY_OK && touched;
    }
    return status;
}

/* Runs a write and adds how many rows it changed to *count. */
static inline parley_status exec_count(binder *b, const char *op, int64_t *count,
                                       parley_error *err) {
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    if (res != NULL) {
        *count += strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return status;
}

static inline parley_status write_params(struct pg_repo *r, enum pg_stmt_id id, bool must_change,
                                         const char *op, const char *what, const param *params,
                                         size_t count, parley_error *err) {
    binder b = bind_start(r, id);
    b_params(&b, params, count);
    return exec_write(&b, must_change, op, what, NULL, err);
}

/* A write whose outcome is a result (core/repository.h: expected
 * conflicts are results): *changed tells whether it touched a row. */
static inline parley_status write_changed(struct pg_repo *r, enum pg_stmt_id id, const char *op,
                                          const char *what, const param *params, size_t count,
                                          bool *changed, parley_error *err) {
    binder b = bind_start(r, id);
    b_params(&b, params, count);
    return exec_write(&b, false, op, what, changed, err);
}

static inline parley_status write_row(struct pg_repo *r, enum pg_stmt_id id, bool must_change,
                                      const char *op, const char *what,
                                      void (*bind)(binder *b, const void *item), const void *item,
                                      parley_error *err) {
    binder b = bind_start(r, id);
    bind(&b, item);
    return exec_write(&b, must_change, op, what, NULL, err);
}

/* ---- rows ------------------------------------------------------------------ */

/* The rows of a bound statement into out, a list of `type` (zeroed first,
 * freed again on error): at most max_rows of them; *more (may be NULL)
 * says whether the result had more, *last_position (may be NULL) is the
 * position column (type->position_col) of the last row taken. */
static inline parley_status list_rows_max(binder *b, const char *op, const row_type *type,
                                          void *out, int max_rows, bool *more,
                                          int64_t *last_position, parley_error *err) {
    memset(out, 0, type->list_size);
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    if (res == NULL) {
        return status;
    }
    int rows = PQntuples(res);
    if (more != NULL) {
        *more = rows > max_rows;
    }
    for (int i = 0; i < rows && i < max_rows && status == PARLEY_OK; i++) {
        void *item = type->push(out);
        if (item == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        row_reader rd = reader_start(res, i);
        type->read(&rd, item);
        if (last_position != NULL) {
            *last_position = r_i64(&rd, type->position_col);
        }
        status = reader_finish(&rd, op, err);
    }
    PQclear(res);
    if (status != PARLEY_OK) {
        type->free_list(out);
        memset(out, 0, type->list_size);
    }
    return status;
}

/* Every row of a bound statement to row(rd, ctx), in order, until it
 * returns false or a row fails to read (the load ops, the reports). */
static inline parley_status each_row(binder *b, const char *op,
                                     bool (*row)(row_reader *rd, void *ctx), void *ctx,
                                     parley_error *err) {
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    if (res == NULL) {
        return status;
    }
    for (int i = 0; i < PQntuples(res) && status == PARLEY_OK; i++) {
        row_reader rd = reader_start(res, i);
        bool more = row(&rd, ctx);
        status = reader_finish(&rd, op, err);
        if (!more) {
            break;
        }
    }
    PQclear(res);
    return status;
}

/* A caller's per-row callback and its context, as each_row's ctx for the
 * load ops: the row function casts `each` back to the callback's type
 * (EACH_CALLBACK makes one), as sqlite/rows.h's. */
typedef struct row_callback {
    void (*each)(void);
    void *ctx;
} row_callback;

#define EACH_CALLBACK(each, ctx) (&(row_callback){(void (*)(void))(each), (ctx)})

/* Every row of a bound statement into out. */
static inline parley_status list_rows(binder *b, const char *op, const row_type *type, void *out,
                                      parley_error *err) {
    return list_rows_max(b, op, type, out, INT32_MAX, NULL, NULL, err);
}

/* The first row into out, an item of `type` the caller zeroed; no row is
 * "<what> not found"; on error out is freed and zeroed again. */
static inline parley_status get_row(binder *b, const char *op, const row_type *type, void *out,
                                    parley_error *err) {
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    if (res != NULL) {
        if (PQntuples(res) == 0) {
            status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", type->what);
        } else {
            row_reader rd = reader_start(res, 0);
            type->read(&rd, out);
            status = reader_finish(&rd, op, err);
        }
        PQclear(res);
    }
    if (status != PARLEY_OK) {
        type->free(out);
        memset(out, 0, type->size);
    }
    return status;
}

static inline parley_status get_by_key(struct pg_repo *r, enum pg_stmt_id id, const char *key,
                                       const char *op, const row_type *type, void *out,
                                       parley_error *err) {
    memset(out, 0, type->size);
    binder b = bind_start(r, id);
    b_text(&b, 1, key);
    return get_row(&b, op, type, out, err);
}

/* A statement whose one row, if any, holds an integer in column 0 (an
 * UPDATE's RETURNING, a count): *found says whether the row came. */
static inline parley_status find_i64(binder *b, const char *op, int64_t *out, bool *found,
                                     parley_error *err) {
    *out = 0;
    *found = false;
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(b, op, &status, err);
    if (res == NULL) {
        return status;
    }
    if (PQntuples(res) > 0) {
        row_reader rd = reader_start(res, 0);
        int64_t value = r_i64(&rd, 0);
        status = reader_finish(&rd, op, err);
        if (status == PARLEY_OK) {
            *out = value;
            *found = true;
        }
    }
    PQclear(res);
    return status;
}

static inline parley_status get_i64(binder *b, const char *op, const char *what, int64_t *out,
                                    parley_error *err) {
    bool found = false;
    parley_status status = find_i64(b, op, out, &found, err);
    if (status == PARLEY_OK && !found) {
        status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
    }
    return status;
}

/* An EXISTS statement's answer; *out is false on error. */
static inline parley_status get_flag(binder *b, const char *op, const char *what, bool *out,
                                     parley_error *err) {
    int64_t value = 0;
    parley_status status = get_i64(b, op, what, &value, err);
    *out = value != 0;
    return status;
}

/* ---- pages ----------------------------------------------------------------- */

static inline int clamp_limit(int limit) {
    if (limit < 1) {
        return 1;
    }
    return limit > PG_LIST_LIMIT_MAX ? PG_LIST_LIMIT_MAX : limit;
}

/* The cursor is the decimal position of the last row of the previous page
 * (the same text as SQLite's: parley_sqlite_parse_cursor's grammar). */
bool parley_pg_parse_cursor(const char *cursor, size_t size, int64_t *before);

/* A page of a list statement, newest first by position: $1 the position
 * bound (exclusive) from the cursor, $2 the limit + 1 (one more row tells
 * whether another page follows); the op binds its filters ($3 on) on .b. */
typedef struct pager {
    binder b;
    const row_type *type;
    const char *op;
    int limit;
    void *out;
    char *next_cursor;
    size_t next_cursor_size;
} pager;

static inline pager page_open(struct pg_repo *r, enum pg_stmt_id id, const char *op,
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
    if (!parley_pg_parse_cursor(text, cursor_size > 0 ? cursor_size : strlen(text) + 1, &before)) {
        b_invalid(&p.b, "malformed cursor");
    }
    b_i64(&p.b, 1, before);
    b_int(&p.b, 2, p.limit + 1);
    return p;
}

static inline parley_status page_fetch(pager *p, parley_error *err) {
    bool more = false;
    int64_t last = 0;
    parley_status status =
        list_rows_max(&p->b, p->op, p->type, p->out, p->limit, &more, &last, err);
    if (status != PARLEY_OK || !more || p->next_cursor == NULL) {
        return status;
    }
    int n = snprintf(p->next_cursor, p->next_cursor_size, "%" PRId64, last);
    if (n < 0 || (size_t)n >= p->next_cursor_size) {
        p->type->free_list(p->out);
        memset(p->out, 0, p->type->list_size);
        if (p->next_cursor_size > 0) {
            p->next_cursor[0] = '\0';
        }
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "%s: cursor buffer too small", p->op);
    }
    return PARLEY_OK;
}

/* A page of a statement with no filter of its own (key NULL) or one, its
 * $3 bound as text. */
static inline parley_status list_page(struct pg_repo *r, enum pg_stmt_id id, const char *op,
                                      const row_type *type, const char *key, int limit,
                                      const char *cursor, void *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    pager p = page_open(r, id, op, type, limit, cursor, 0, out, next_cursor_out, next_cursor_size);
    if (key != NULL) {
        b_text(&p.b, 3, key);
    }
    return page_fetch(&p, err);
}

/* ---- whole ops --------------------------------------------------------------- */

/* pq_<op>(repo, key, out, err): the row of `rows` whose $1 is key. */
#define GET_BY_KEY_OP(op, item_t, stmt, rows)                                                      \
    static parley_status pq_##op(parley_repository *repo, const char *key, item_t *out,            \
                                 parley_error *err) {                                              \
        return get_by_key(as_pg(repo), stmt, key, #op, &rows, out, err);                           \
    }

/* pq_<op>(repo, item, err): a write of item's columns (bind, a ROW_BINDER). */
#define WRITE_ROW_OP(op, item_t, stmt, must_change, what, bind)                                    \
    static parley_status pq_##op(parley_repository *repo, const item_t *item, parley_error *err) { \
        return write_row(as_pg(repo), stmt, must_change, #op, what, bind, item, err);              \
    }

/* pq_<op>(repo, limit, cursor, out, next_cursor_out, next_cursor_size,
 * err): a page of `rows` with no filter (list_page). */
#define LIST_PAGE_OP(op, list_t, stmt, rows)                                                       \
    static parley_status pq_##op(parley_repository *repo, int limit, const char *cursor,           \
                                 list_t *out, char *next_cursor_out, size_t next_cursor_size,      \
                                 parley_error *err) {                                              \
        return list_page(as_pg(repo), stmt, #op, &rows, NULL, limit, cursor, out, next_cursor_out, \
                         next_cursor_size, err);                                                   \
    }

/* pq_<op>(repo, key, limit, cursor, out, next_cursor_out, next_cursor_size,
 * err): a page of `rows` whose $3 is key (list_page). */
#define LIST_PAGE_BY_KEY_OP(op, list_t, stmt, rows)                                                \
    static parley_status pq_##op(parley_repository *repo, const char *key, int limit,              \
                                 const char *cursor, list_t *out, char *next_cursor_out,           \
                                 size_t next_cursor_size, parley_error *err) {                     \
        return list_page(as_pg(repo), stmt, #op, &rows, key, limit, cursor, out, next_cursor_out,  \
                         next_cursor_size, err);                                                   \
    }

#endif
