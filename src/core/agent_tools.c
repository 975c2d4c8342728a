#include "core/agent_tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/search_query.h"
#include "util/validate.h"

#define DEFAULT_LABEL_COLOR "#6b7280"

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

static parley_status invalid(parley_error *err, const char *why) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s", why);
}

static bool is_admin(const parley_participant *p) {
    return parley_participant_kind_of(p) == PARLEY_PARTICIPANT_AGENT && p->ops->is_admin(p);
}

static bool chars_in(const char *s, size_t max, const char *extra) {
    size_t len = s != NULL ? strlen(s) : 0;
    if (len == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c) != NULL) ||
            c == '\0') {
            return false;
        }
    }
    return true;
}

bool parley_canned_shortcode_valid(const char *shortcode) {
    return chars_in(shortcode, 32, "_-");
}

bool parley_label_name_valid(const char *name) {
    return chars_in(name, PARLEY_LABEL_NAME_SIZE - 1, "_-");
}

bool parley_label_color_valid(const char *color) {
    if (color == NULL || strlen(color) != 7 || color[0] != '#') {
        return false;
    }
    for (int i = 1; i < 7; i++) {
        char c = color[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

static parley_status load_session(parley_chat_service *svc, const parley_participant *caller,
                                  parley_action action, const char *session_id, parley_session *out,
                                  parley_error *err) {
    memset(out, 0, sizeof *out);
    return parley_chat_load_session_for(svc, caller, action, session_id, out, err);
}

/* ---- the wire form of the tools' rows (store/tools.h) ----------------------- */

/* Each renderer returns a new reference, NULL when out of memory. */

static json_t *participant_json(parley_participant_kind kind, const char *id) {
    return json_pack("{s:s?, s:s}", "type", parley_participant_kind_name(kind), "id", id);
}

static json_t *canned_json(const void *item) {
    const parley_canned *c = item;
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:o, s:s?}", "id", c->id, "shortcode",
                     c->shortcode, "title", c->title, "content", c->content, "created_at",
                     parley_time_to_json(c->created_at), "updated_at",
                     parley_time_to_json(c->updated_at), "owner",
                     c->owner_id[0] != '\0' ? c->owner_id : NULL);
}

static json_t *note_json(const void *item) {
    const parley_session_note *n = item;
    return json_pack("{s:s, s:s, s:o, s:s?, s:o}", "id", n->id, "session_id", n->session_id,
                     "author", participant_json(n->author_kind, n->author_id), "content",
                     n->content, "created_at", parley_time_to_json(n->created_at));
}

static json_t *receipt_json(const void *item) {
    const parley_read_receipt *r = item;
    return json_pack("{s:o, s:I, s:o}", "participant",
                     participant_json(r->participant_kind, r->participant_id), "last_read_seq",
                     (json_int_t)r->last_read_seq, "read_at", parley_time_to_json(r->read_at));
}

static json_t *label_json(const void *item) {
    const parley_label *l = item;
    return json_pack("{s:s, s:s, s:o}", "name", l->name, "color", l->color, "created_at",
                     parley_time_to_json(l->created_at));
}

/* A list's items as a JSON array; NULL when out of memory. */
static json_t *array_of(const void *items, size_t count, size_t item_size,
                        json_t *(*render)(const void *item)) {
    json_t *array = json_array();
    for (size_t i = 0; array != NULL && i < count; i++) {
        json_t *row = render((const char *)items + i * item_size);
        if (row == NULL || json_array_append_new(array, row) != 0) {
            json_decref(array);
            array = NULL;
        }
    }
    return array;
}

#define ARRAY_OF(list, render) array_of((list).items, (list).count, sizeof *(list).items, render)

/* *out = a rendered row or list, or the out-of-memory error. */
static parley_status rendered(json_t *json, json_t **out, parley_error *err) {
    *out = json;
    return json != NULL ? PARLEY_OK : nomem(err);
}

/* ---- canned responses ----------------------------------------------------- */

static parley_status check_canned(const parley_canned_input *in, bool create, parley_error *err) {
    if ((create || in->shortcode != NULL) && !parley_canned_shortcode_valid(in->shortcode)) {
        return invalid(err, "shortcode: 1 to 32 of a-z, 0-9, _ and -");
    }
    parley_status st =
        parley_check_text("title", in->title, create, 1, PARLEY_CANNED_TITLE_MAX_CHARS, err);
    if (st == PARLEY_OK) {
        st = parley_check_text("content", in->content, create, 1, PARLEY_CANNED_CONTENT_MAX_CHARS,
                               err);
    }
    return st;
}

static parley_status canned_conflict(parley_status st, parley_error *err) {
    if (st == PARLEY_E_CONFLICT) {
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                "shortcode: already used in this scope");
    }
    return st;
}

/* Copies the texts the input names into c (NULL: c's stays). */
static parley_status canned_take(parley_canned *c, const parley_canned_input *in,
                                 parley_error *err) {
    const char *from[] = {in->shortcode, in->title, in->content};
    char **to[] = {&c->shortcode, &c->title, &c->content};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        if (from[i] != NULL) {
            char *copy = strdup(from[i]);
            if (copy == NULL) {
                return nomem(err);
            }
            free(*to[i]);
            *to[i] = copy;
        }
    }
    return PARLEY_OK;
}

parley_status parley_tools_canned_create(parley_chat_service *svc, const parley_participant *caller,
                                         const parley_canned_input *in, json_t **out,
                                         parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CANNED_USE, err);
    if (st != PARLEY_OK || (st = check_canned(in, true, err)) != PARLEY_OK) {
        return st;
    }
    bool team = is_admin(caller);
    if (in->scope != NULL) {
        if (strcmp(in->scope, "team") != 0 && strcmp(in->scope, "personal") != 0) {
            return invalid(err, "scope: must be team or personal");
        }
        team = strcmp(in->scope, "team") == 0;
    }
    if (team && !is_admin(caller)) {
        return parley_error_set(err, PARLEY_E_FORBIDDEN, "forbidden",
                                "only admins make team-wide canned responses");
    }
    parley_canned row = {0};
    parley_id_new("cnd", row.id);
    if (!team) {
        snprintf(row.owner_id, sizeof row.owner_id, "%s", caller->id);
    }
    row.created_at = row.updated_at = parley_now_ms();
    st = canned_take(&row, in, err);
    if (st == PARLEY_OK) {
        st = canned_conflict(svc->repo->tools->canned_insert(svc->repo, &row, err), err);
    }
    if (st == PARLEY_OK) {
        st = parley_tools_canned_get(svc, caller, row.id, out, err);
    }
    parley_canned_free(&row);
    return st;
}

/* A canned response the caller may see: team-wide, or their own. */
static parley_status load_canned(parley_chat_service *svc, const parley_participant *caller,
                                 const char *id, parley_canned *row, parley_error *err) {
    memset(row, 0, sizeof *row);
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CANNED_USE, err);
    if (st == PARLEY_OK) {
        st = svc->repo->tools->canned_get(svc->repo, id, row, err);
    }
    if (st == PARLEY_OK && row->owner_id[0] != '\0' && strcmp(row->owner_id, caller->id) != 0) {
        parley_canned_free(row);
        st = PARLEY_E_NOT_FOUND;
    }
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such canned response");
    }
    return st;
}

/* Editing: team-wide ones by admins, personal ones by their owner. */
static parley_status may_edit_canned(const parley_participant *caller, const parley_canned *row,
                                     parley_error *err) {
    if (row->owner_id[0] == '\0' && !is_admin(caller)) {
        return parley_error_set(err, PARLEY_E_FORBIDDEN, "forbidden",
                                "only admins edit team-wide canned responses");
    }
    return PARLEY_OK;
}

parley_status parley_tools_canned_get(parley_chat_service *svc, const parley_participant *caller,
                                      const char *id, json_t **out, parley_error *err) {
    *out = NULL;
    parley_canned row;
    parley_status st = load_canned(svc, caller, id, &row, err);
    if (st == PARLEY_OK) {
        st = rendered(canned_json(&row), out, err);
    }
    parley_canned_free(&row);
    return st;
}

parley_status parley_tools_canned_update(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, const parley_canned_input *patch,
                                         json_t **out, parley_error *err) {
    *out = NULL;
    parley_canned row;
    parley_status st = load_canned(svc, caller, id, &row, err);
    if (st == PARLEY_OK && (st = may_edit_canned(caller, &row, err)) == PARLEY_OK &&
        (st = check_canned(patch, false, err)) == PARLEY_OK) {
        if (patch->scope != NULL) {
            st = invalid(err, "scope: cannot be changed; make a new one");
        } else if ((st = canned_take(&row, patch, err)) == PARLEY_OK) {
            row.updated_at = parley_now_ms();
            st = canned_conflict(svc->repo->tools->canned_update(svc->repo, &row, err), err);
        }
    }
    parley_canned_free(&row);
    if (st == PARLEY_OK) {
        st = parley_tools_canned_get(svc, caller, id, out, err);
    }
    return st;
}

parley_status parley_tools_canned_delete(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, parley_error *err) {
    parley_canned row;
    parley_status st = load_canned(svc, caller, id, &row, err);
    if (st == PARLEY_OK && (st = may_edit_canned(caller, &row, err)) == PARLEY_OK) {
        st = svc->repo->tools->canned_delete(svc->repo, id, err);
    }
    parley_canned_free(&row);
    return st;
}

parley_status parley_tools_canned_list(parley_chat_service *svc, const parley_participant *caller,
                                       const char *prefix, int limit, const char *cursor,
                                       json_t **items, char *next_cursor, size_t next_cursor_size,
                                       parley_error *err) {
    *items = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CANNED_USE, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (prefix != NULL && prefix[0] != '\0' && !parley_canned_shortcode_valid(prefix)) {
        return invalid(err, "q: a shortcode prefix: 1 to 32 of a-z, 0-9, _ and -");
    }
    parley_canned_list list;
    st = svc->repo->tools->canned_list(svc->repo, caller->id, prefix, limit, cursor, &list,
                                       next_cursor, next_cursor_size, err);
    if (st == PARLEY_OK) {
        st = rendered(ARRAY_OF(list, canned_json), items, err);
        parley_canned_list_free(&list);
    }
    return st;
}

/* ---- private notes ---------------------------------------------------------- */

parley_status parley_tools_note_create(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, const char *content, json_t **out,
                                       parley_error *err) {
    *out = NULL;
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_NOTE_WRITE, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    st = parley_check_text("content", content, true, 1, PARLEY_NOTE_MAX_CHARS, err);
    parley_session_note n = {.author_kind = parley_participant_kind_of(caller),
                             .created_at = parley_now_ms()};
    parley_id_new("not", n.id);
    snprintf(n.session_id, sizeof n.session_id, "%s", s.id);
    snprintf(n.author_id, sizeof n.author_id, "%s", caller->id);
    if (st == PARLEY_OK && (n.content = strdup(content)) == NULL) {
        st = nomem(err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->tools->note_insert(svc->repo, &n, err);
    }
    if (st == PARLEY_OK && (st = rendered(note_json(&n), out, err)) == PARLEY_OK) {
        /* staff connections only: a note must never reach the customer */
        parley_event *e = parley_event_new(PARLEY_EVENT_NOTE_CREATED, PARLEY_AUDIENCE_AGENTS, s.id,
                                           s.customer_id);
        if (e != NULL) {
            snprintf(e->note.id, sizeof e->note.id, "%s", n.id);
            e->note.author_kind = n.author_kind;
            snprintf(e->note.author_id, sizeof e->note.author_id, "%s", n.author_id);
            e->note.created_at = n.created_at;
            e->note.content = n.content; /* the event takes it over */
            n.content = NULL;
        }
        st = parley_chat_emit(svc, e, err);
        if (st != PARLEY_OK) {
            json_decref(*out);
            *out = NULL;
        }
    }
    parley_session_note_free(&n);
    parley_session_free(&s);
    return st;
}

parley_status parley_tools_note_list(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, int limit, const char *cursor,
                                     json_t **items, char *next_cursor, size_t next_cursor_size,
                                     parley_error *err) {
    *items = NULL;
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_NOTE_READ, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_session_note_list list;
    st = svc->repo->tools->note_list(svc->repo, s.id, limit, cursor, &list, next_cursor,
                                     next_cursor_size, err);
    if (st == PARLEY_OK) {
        st = rendered(ARRAY_OF(list, note_json), items, err);
        parley_session_note_list_free(&list);
    }
    parley_session_free(&s);
    return st;
}

/* ---- read receipts ---------------------------------------------------------- */

/* The caller's receipt among a session's, or NULL: nothing read yet. */
static const parley_read_receipt *own_receipt(const parley_read_receipt_list *receipts,
                                              const parley_participant *caller) {
    parley_participant_kind kind = parley_participant_kind_of(caller);
    for (size_t i = 0; i < receipts->count; i++) {
        const parley_read_receipt *r = &receipts->items[i];
        if (r->participant_kind == kind && strcmp(r->participant_id, caller->id) == 0) {
            return r;
        }
    }
    return NULL;
}

/* {participant, last_read_seq, read_at, session_id}; read_at null when
 * nothing was read yet. */
static json_t *own_receipt_json(const parley_read_receipt *r, const parley_participant *caller,
                                const char *session_id) {
    json_t *out = r != NULL
                      ? receipt_json(r)
                      : json_pack("{s:o, s:i, s:n}", "participant",
                                  participant_json(parley_participant_kind_of(caller), caller->id),
                                  "last_read_seq", 0, "read_at");
    if (out != NULL && json_object_set_new(out, "session_id", json_string(session_id)) != 0) {
        json_decref(out);
        out = NULL;
    }
    return out;
}

parley_status parley_tools_mark_read(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, int64_t seq, json_t **out,
                                     parley_error *err) {
    *out = NULL;
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_READ_MARK, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    bool changed = false;
    parley_read_receipt_list receipts = {0};
    const parley_read_receipt *own = NULL;
    if (seq < 0) {
        st = invalid(err, "seq: must not be negative");
    } else if (seq > s.last_seq) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "seq: beyond the session's last message (%lld)",
                              (long long)s.last_seq);
    } else {
        st = svc->repo->tools->read_mark(svc->repo, s.id, parley_participant_kind_of(caller),
                                         caller->id, seq, parley_now_ms(), &changed, err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->tools->read_list(svc->repo, s.id, &receipts, err);
    }
    if (st == PARLEY_OK) {
        own = own_receipt(&receipts, caller);
        st = rendered(own_receipt_json(own, caller, s.id), out, err);
    }
    if (st == PARLEY_OK && changed) {
        /* everyone following the conversation sees it was read */
        parley_event *e = parley_event_new(PARLEY_EVENT_SESSION_READ, PARLEY_AUDIENCE_SUBSCRIBERS,
                                           s.id, s.customer_id);
        if (e != NULL) {
            e->read.kind = parley_participant_kind_of(caller);
            snprintf(e->read.participant_id, sizeof e->read.participant_id, "%s", caller->id);
            e->read.last_read_seq = own != NULL ? own->last_read_seq : 0;
        }
        st = parley_chat_emit(svc, e, err);
    }
    if (st != PARLEY_OK) {
        json_decref(*out);
        *out = NULL;
    }
    parley_read_receipt_list_free(&receipts);
    parley_session_free(&s);
    return st;
}

parley_status parley_tools_read_state(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, json_t **out, parley_error *err) {
    *out = NULL;
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_SESSION_READ, session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_read_receipt_list receipts;
    st = svc->repo->tools->read_list(svc->repo, s.id, &receipts, err);
    if (st == PARLEY_OK) {
        st = rendered(json_pack("{s:s, s:I, s:o}", "session_id", s.id, "last_seq",
                                (json_int_t)s.last_seq, "receipts",
                                ARRAY_OF(receipts, receipt_json)),
                      out, err);
        parley_read_receipt_list_free(&receipts);
    }
    parley_session_free(&s);
    return st;
}

parley_status parley_tools_unread_counts(parley_chat_service *svc, const parley_participant *caller,
                                         const parley_session *sessions, size_t n, int64_t *out,
                                         parley_error *err) {
    parley_participant_kind kind = parley_participant_kind_of(caller);
    for (size_t i = 0; i < n; i++) {
        parley_status st = svc->repo->tools->unread_count(
            svc->repo, sessions[i].id, kind, caller->id, PARLEY_UNREAD_CAP, &out[i], err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    return PARLEY_OK;
}

/* ---- labels -------------------------------------------------------------------- */

/* The label as stored, rendered into *out (after a create or a recolour). */
static parley_status label_answer(parley_chat_service *svc, const char *name, json_t **out,
                                  parley_error *err) {
    parley_label label;
    parley_status st = svc->repo->tools->label_get(svc->repo, name, &label, err);
    return st == PARLEY_OK ? rendered(label_json(&label), out, err) : st;
}

parley_status parley_tools_label_create(parley_chat_service *svc, const parley_participant *caller,
                                        const char *name, const char *color, json_t **out,
                                        parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_LABEL_ADMIN, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (!parley_label_name_valid(name)) {
        return invalid(err, "name: 1 to 48 of a-z, 0-9, _ and -");
    }
    if (color != NULL && !parley_label_color_valid(color)) {
        return invalid(err, "color: must be #rrggbb");
    }
    st = svc->repo->tools->label_insert(
        svc->repo, name, color != NULL ? color : DEFAULT_LABEL_COLOR, parley_now_ms(), err);
    if (st == PARLEY_E_CONFLICT) {
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "name: the label exists");
    }
    return st == PARLEY_OK ? label_answer(svc, name, out, err) : st;
}

parley_status parley_tools_label_list(parley_chat_service *svc, const parley_participant *caller,
                                      int limit, const char *cursor, json_t **items,
                                      char *next_cursor, size_t next_cursor_size,
                                      parley_error *err) {
    *items = NULL;
    parley_label_list list;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_LABEL_LIST, err);
    if (st == PARLEY_OK &&
        (st = svc->repo->tools->label_list(svc->repo, limit, cursor, &list, next_cursor,
                                           next_cursor_size, err)) == PARLEY_OK) {
        st = rendered(ARRAY_OF(list, label_json), items, err);
        parley_label_list_free(&list);
    }
    return st;
}

parley_status parley_tools_label_delete(parley_chat_service *svc, const parley_participant *caller,
                                        const char *name, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_LABEL_ADMIN, err);
    if (st == PARLEY_OK) {
        st = svc->repo->tools->label_delete(svc->repo, name, err);
    }
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such label");
    }
    return st;
}

parley_status parley_tools_label_recolor(parley_chat_service *svc, const parley_participant *caller,
                                         const char *name, const char *color, json_t **out,
                                         parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_LABEL_ADMIN, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (color == NULL || !parley_label_color_valid(color)) {
        return invalid(err, "color: must be #rrggbb");
    }
    st = svc->repo->tools->label_set_color(svc->repo, name, color, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such label");
    }
    return st == PARLEY_OK ? label_answer(svc, name, out, err) : st;
}

parley_status parley_tools_session_label(parley_chat_service *svc, const parley_participant *caller,
                                         const char *session_id, const char *label, bool add,
                                         parley_session *out, parley_error *err) {
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_SESSION_LABEL, session_id, &s, err);
    if (st != PARLEY_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    parley_label known;
    parley_time_ms now = parley_now_ms();
    /* already on (add) or not on (remove) the session: results, not errors
     * (store/tools.h), so the unit goes on reading the session */
    bool changed = false;
    if (add && (label == NULL || !parley_label_name_valid(label))) {
        st = invalid(err, "label: 1 to 48 of a-z, 0-9, _ and -");
    } else if (add && (st = svc->repo->tools->label_get(svc->repo, label, &known, err)) ==
                          PARLEY_E_NOT_FOUND) {
        st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "label: no such label");
    } else if (st == PARLEY_OK) {
        st = add ? svc->repo->tools->session_label_add(svc->repo, s.id, label, now, &changed, err)
                 : svc->repo->tools->session_label_remove(svc->repo, s.id, label, &changed, err);
        if (st == PARLEY_OK && !add && !changed) {
            st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                  "the session does not carry that label");
        }
    }
    if (st == PARLEY_OK && changed) {
        s.updated_at = now;
        st = svc->repo->sessions->update(svc->repo, &s, err);
    }
    parley_session_free(&s);
    if (st == PARLEY_OK) {
        st = svc->repo->sessions->get(svc->repo, session_id, out, err);
        if (st == PARLEY_OK && changed) {
            /* labels are the team's triage: staff hear of it, the customer not */
            st = parley_chat_emit_session_event(svc, PARLEY_EVENT_SESSION_UPDATED, out,
                                                PARLEY_AUDIENCE_AGENTS, err);
            if (st != PARLEY_OK) {
                parley_session_free(out);
            }
        }
    } else {
        memset(out, 0, sizeof *out);
    }
    return st;
}

/* ---- search ---------------------------------------------------------------------- */

/* A hit as the API shows it (the order of its keys is the wire's). */
static json_t *hit_wire(const parley_search_hit *h) {
    char *html = parley_search_snippet_html(h->snippet);
    json_t *row = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:{s:s, s:s}}", "message_id",
                            h->message_id, "session_id", h->session_id, "seq", (json_int_t)h->seq,
                            "type", parley_message_type_name(h->type), "created_at",
                            parley_time_to_json(h->created_at), "snippet",
                            html != NULL ? json_string(html) : json_null(), "sender", "type",
                            parley_participant_kind_name(h->sender_kind), "id", h->sender_id);
    free(html);
    return row;
}

static parley_status hits_wire(const parley_search_hit_list *hits, json_t **items,
                               parley_error *err) {
    *items = json_array();
    for (size_t i = 0; *items != NULL && i < hits->count; i++) {
        json_t *row = hit_wire(&hits->items[i]);
        if (row == NULL || json_array_append_new(*items, row) != 0) {
            json_decref(*items);
            *items = NULL;
        }
    }
    return *items != NULL ? PARLEY_OK : nomem(err);
}

parley_status parley_tools_search(parley_chat_service *svc, const parley_participant *caller,
                                  const char *q, const char *session_id, int limit,
                                  const char *cursor, json_t **items, char *next_cursor,
                                  size_t next_cursor_size, parley_error *err) {
    *items = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_MESSAGE_SEARCH, err);
    if (st != PARLEY_OK) {
        return st;
    }
    bool staff = caller->ops->is_staff(caller);
    parley_search_terms terms;
    const char *why = NULL;
    if (q == NULL) {
        return invalid(err, "q: required");
    }
    if (!parley_search_terms_parse(q, &terms, &why)) {
        return invalid(err, why);
    }
    /* anyone can register as a customer: their searches are counted */
    if (!staff && svc->limits != NULL &&
        (st = parley_limits_take(svc->limits->searches_by_customer, caller->id, "searches", err)) !=
            PARLEY_OK) {
        return st;
    }
    if (session_id != NULL && session_id[0] != '\0') {
        /* the session's own read rule: another customer's is 404 */
        parley_session s;
        st = load_session(svc, caller, PARLEY_ACTION_MESSAGE_READ, session_id, &s, err);
        if (st != PARLEY_OK) {
            return st;
        }
        parley_session_free(&s);
    }
    /* a read on a pool thread; a pool thread is always left for other reads */
    if ((st = parley_limits_search_start(svc->limits, err)) != PARLEY_OK) {
        return st;
    }
    /* scope first: customers' searches are their own sessions, an
     * intersection the index makes (never a filter applied afterwards) */
    parley_search_spec spec = {
        .terms = &terms,
        .session_id = session_id,
        .customer_id = staff ? "" : caller->id,
        .limit = limit,
        .cursor = cursor,
        .budget_ms = svc->config != NULL ? (int)svc->config->search_budget_ms : 0,
    };
    parley_search_hit_list hits = {0};
    st = svc->repo->search->messages(svc->repo, &spec, &hits, next_cursor, next_cursor_size, err);
    parley_limits_search_done(svc->limits);
    if (st == PARLEY_OK) {
        st = hits_wire(&hits, items, err);
    }
    parley_search_hit_list_free(&hits);
    if (st == PARLEY_E_INVALID) {
        /* the terms are checked above, so this is the cursor: still the
         * request's fault, never a 500 */
        char detail[PARLEY_ERROR_MESSAGE_SIZE];
        snprintf(detail, sizeof detail, "%s", err->message);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "q or cursor: %.200s",
                                detail);
    }
    if (st == PARLEY_E_REJECTED) {
        return parley_error_set(err, PARLEY_E_REJECTED, "search_too_broad",
                                "the search ran past its budget (%d ms): add words, use whole "
                                "words instead of prefixes, or name a session (session_id)",
                                spec.budget_ms);
    }
    return st;
}

parley_status parley_tools_index_messages(parley_chat_service *svc, int64_t *indexed,
                                          parley_error *err) {
    return svc->repo->search->index_catch_up(svc->repo, PARLEY_SEARCH_INDEX_BATCH, indexed, err);
}
