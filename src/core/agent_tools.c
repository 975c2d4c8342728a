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

/* Store rows carry times as integer ms; the wire has RFC 3339 strings. */
static void time_field(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        json_object_set_new(obj, key, parley_time_to_json((parley_time_ms)json_integer_value(v)));
    }
}

/* Moves kind_key/id_key of a row into {type, id} under `as`. */
static void participant_field(json_t *obj, const char *kind_key, const char *id_key,
                              const char *as) {
    json_t *p = json_pack("{s:O, s:O}", "type", json_object_get(obj, kind_key), "id",
                          json_object_get(obj, id_key));
    json_object_del(obj, kind_key);
    json_object_del(obj, id_key);
    if (p != NULL) {
        json_object_set_new(obj, as, p);
    }
}

static void canned_wire(json_t *row) {
    json_t *owner = json_object_get(row, "owner_id");
    json_object_set(row, "owner", owner != NULL ? owner : json_null());
    json_object_del(row, "owner_id");
    time_field(row, "created_at");
    time_field(row, "updated_at");
}

static void each_row(json_t *rows, void (*fn)(json_t *row)) {
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        fn(row);
    }
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
    parley_canned_row row = {
        .shortcode = in->shortcode, .title = in->title, .content = in->content};
    parley_id_new("cnd", row.id);
    if (!team) {
        snprintf(row.owner_id, sizeof row.owner_id, "%s", caller->id);
    }
    row.created_at = row.updated_at = parley_now_ms();
    st = canned_conflict(svc->repo->tools->canned_insert(svc->repo, &row, err), err);
    if (st == PARLEY_OK) {
        st = parley_tools_canned_get(svc, caller, row.id, out, err);
    }
    return st;
}

/* A canned response the caller may see: team-wide, or their own. */
static parley_status load_canned(parley_chat_service *svc, const parley_participant *caller,
                                 const char *id, json_t **row, parley_error *err) {
    *row = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CANNED_USE, err);
    if (st == PARLEY_OK) {
        st = svc->repo->tools->canned_get(svc->repo, id, row, err);
    }
    if (st == PARLEY_OK) {
        const char *owner = json_string_value(json_object_get(*row, "owner_id"));
        if (owner != NULL && strcmp(owner, caller->id) != 0) {
            json_decref(*row);
            *row = NULL;
            st = PARLEY_E_NOT_FOUND;
        }
    }
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such canned response");
    }
    return st;
}

/* Editing: team-wide ones by admins, personal ones by their owner. */
static parley_status may_edit_canned(const parley_participant *caller, json_t *row,
                                     parley_error *err) {
    if (json_is_null(json_object_get(row, "owner_id")) && !is_admin(caller)) {
        return parley_error_set(err, PARLEY_E_FORBIDDEN, "forbidden",
                                "only admins edit team-wide canned responses");
    }
    return PARLEY_OK;
}

parley_status parley_tools_canned_get(parley_chat_service *svc, const parley_participant *caller,
                                      const char *id, json_t **out, parley_error *err) {
    parley_status st = load_canned(svc, caller, id, out, err);
    if (st == PARLEY_OK) {
        canned_wire(*out);
    }
    return st;
}

parley_status parley_tools_canned_update(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, const parley_canned_input *patch,
                                         json_t **out, parley_error *err) {
    *out = NULL;
    json_t *row = NULL;
    parley_status st = load_canned(svc, caller, id, &row, err);
    if (st == PARLEY_OK && (st = may_edit_canned(caller, row, err)) == PARLEY_OK &&
        (st = check_canned(patch, false, err)) == PARLEY_OK) {
        if (patch->scope != NULL) {
            st = invalid(err, "scope: cannot be changed; make a new one");
        } else {
            parley_canned_row c = {
                .shortcode = patch->shortcode != NULL
                                 ? patch->shortcode
                                 : json_string_value(json_object_get(row, "shortcode")),
                .title = patch->title != NULL ? patch->title
                                              : json_string_value(json_object_get(row, "title")),
                .content = patch->content != NULL
                               ? patch->content
                               : json_string_value(json_object_get(row, "content")),
                .updated_at = parley_now_ms()};
            snprintf(c.id, sizeof c.id, "%s", id);
            st = canned_conflict(svc->repo->tools->canned_update(svc->repo, &c, err), err);
        }
    }
    json_decref(row);
    if (st == PARLEY_OK) {
        st = parley_tools_canned_get(svc, caller, id, out, err);
    }
    return st;
}

parley_status parley_tools_canned_delete(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, parley_error *err) {
    json_t *row = NULL;
    parley_status st = load_canned(svc, caller, id, &row, err);
    if (st == PARLEY_OK && (st = may_edit_canned(caller, row, err)) == PARLEY_OK) {
        st = svc->repo->tools->canned_delete(svc->repo, id, err);
    }
    json_decref(row);
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
    st = svc->repo->tools->canned_list(svc->repo, caller->id, prefix, limit, cursor, items,
                                       next_cursor, next_cursor_size, err);
    if (st == PARLEY_OK) {
        each_row(*items, canned_wire);
    }
    return st;
}

/* ---- private notes ---------------------------------------------------------- */

static void note_wire(json_t *row) {
    participant_field(row, "author_kind", "author_id", "author");
    time_field(row, "created_at");
}

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
    parley_note_row n = {.author_kind = parley_participant_kind_of(caller),
                         .content = content,
                         .created_at = parley_now_ms()};
    parley_id_new("not", n.id);
    snprintf(n.session_id, sizeof n.session_id, "%s", s.id);
    snprintf(n.author_id, sizeof n.author_id, "%s", caller->id);
    if (st == PARLEY_OK) {
        st = svc->repo->tools->note_insert(svc->repo, &n, err);
    }
    if (st == PARLEY_OK) {
        *out = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "id", n.id, "session_id",
                         n.session_id, "author", "type",
                         parley_participant_kind_name(n.author_kind), "id", n.author_id, "content",
                         content, "created_at", parley_time_to_json(n.created_at));
        /* staff connections only: a note must never reach the customer */
        parley_event *e = *out != NULL
                              ? parley_event_new(PARLEY_EVENT_NOTE_CREATED, PARLEY_AUDIENCE_AGENTS,
                                                 s.id, s.customer_id)
                              : NULL;
        if (e != NULL) {
            snprintf(e->note.id, sizeof e->note.id, "%s", n.id);
            e->note.author_kind = n.author_kind;
            snprintf(e->note.author_id, sizeof e->note.author_id, "%s", n.author_id);
            e->note.created_at = n.created_at;
            if ((e->note.content = strdup(content)) == NULL) {
                parley_event_free(e);
                e = NULL;
            }
        }
        st = parley_chat_emit(svc, e, err);
        if (st != PARLEY_OK) {
            json_decref(*out);
            *out = NULL;
        }
    }
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
    st = svc->repo->tools->note_list(svc->repo, s.id, limit, cursor, items, next_cursor,
                                     next_cursor_size, err);
    if (st == PARLEY_OK) {
        each_row(*items, note_wire);
    }
    parley_session_free(&s);
    return st;
}

/* ---- read receipts ---------------------------------------------------------- */

static void receipt_wire(json_t *row) {
    participant_field(row, "participant_kind", "participant_id", "participant");
    time_field(row, "read_at");
}

/* The caller's receipt among a session's, or a fresh "nothing read". */
static json_t *own_receipt(json_t *receipts, const parley_participant *caller) {
    const char *kind = parley_participant_kind_name(parley_participant_kind_of(caller));
    size_t i;
    json_t *row;
    json_array_foreach(receipts, i, row) {
        json_t *p = json_object_get(row, "participant");
        if (strcmp(json_string_value(json_object_get(p, "type")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(p, "id")), caller->id) == 0) {
            return json_incref(row);
        }
    }
    return json_pack("{s:{s:s, s:s}, s:i, s:n}", "participant", "type", kind, "id", caller->id,
                     "last_read_seq", 0, "read_at");
}

static parley_status load_receipts(parley_chat_service *svc, const char *session_id, json_t **out,
                                   parley_error *err) {
    parley_status st = svc->repo->tools->read_list(svc->repo, session_id, out, err);
    if (st == PARLEY_OK) {
        each_row(*out, receipt_wire);
    }
    return st;
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
    json_t *receipts = NULL;
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
        st = load_receipts(svc, s.id, &receipts, err);
    }
    if (st == PARLEY_OK) {
        *out = own_receipt(receipts, caller);
        if (*out == NULL) {
            st = nomem(err);
        } else {
            json_object_set_new(*out, "session_id", json_string(s.id));
        }
    }
    if (st == PARLEY_OK && changed) {
        /* everyone following the conversation sees it was read */
        parley_event *e = parley_event_new(PARLEY_EVENT_SESSION_READ, PARLEY_AUDIENCE_SUBSCRIBERS,
                                           s.id, s.customer_id);
        if (e != NULL) {
            e->read.kind = parley_participant_kind_of(caller);
            snprintf(e->read.participant_id, sizeof e->read.participant_id, "%s", caller->id);
            e->read.last_read_seq = json_integer_value(json_object_get(*out, "last_read_seq"));
        }
        st = parley_chat_emit(svc, e, err);
    }
    if (st != PARLEY_OK) {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(receipts);
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
    json_t *receipts = NULL;
    st = load_receipts(svc, s.id, &receipts, err);
    if (st == PARLEY_OK) {
        *out = json_pack("{s:s, s:I, s:o}", "session_id", s.id, "last_seq", (json_int_t)s.last_seq,
                         "receipts", receipts);
        st = *out == NULL ? nomem(err) : PARLEY_OK;
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

static void label_wire(json_t *row) {
    time_field(row, "created_at");
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
    if (st == PARLEY_OK &&
        (st = svc->repo->tools->label_get(svc->repo, name, out, err)) == PARLEY_OK) {
        label_wire(*out);
    }
    return st;
}

parley_status parley_tools_label_list(parley_chat_service *svc, const parley_participant *caller,
                                      int limit, const char *cursor, json_t **items,
                                      char *next_cursor, size_t next_cursor_size,
                                      parley_error *err) {
    *items = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_LABEL_LIST, err);
    if (st == PARLEY_OK) {
        st = svc->repo->tools->label_list(svc->repo, limit, cursor, items, next_cursor,
                                          next_cursor_size, err);
    }
    if (st == PARLEY_OK) {
        each_row(*items, label_wire);
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

parley_status parley_tools_session_label(parley_chat_service *svc, const parley_participant *caller,
                                         const char *session_id, const char *label, bool add,
                                         parley_session *out, parley_error *err) {
    parley_session s;
    parley_status st = load_session(svc, caller, PARLEY_ACTION_SESSION_LABEL, session_id, &s, err);
    if (st != PARLEY_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    json_t *known = NULL;
    parley_time_ms now = parley_now_ms();
    if (add && (label == NULL || !parley_label_name_valid(label))) {
        st = invalid(err, "label: 1 to 48 of a-z, 0-9, _ and -");
    } else if (add && (st = svc->repo->tools->label_get(svc->repo, label, &known, err)) ==
                          PARLEY_E_NOT_FOUND) {
        st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "label: no such label");
    } else if (st == PARLEY_OK) {
        st = add ? svc->repo->tools->session_label_add(svc->repo, s.id, label, now, err)
                 : svc->repo->tools->session_label_remove(svc->repo, s.id, label, err);
        if (!add && st == PARLEY_E_NOT_FOUND) {
            st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                  "the session does not carry that label");
        }
    }
    json_decref(known);
    bool unchanged = add && st == PARLEY_E_CONFLICT; /* already there: nothing to tell */
    if (st == PARLEY_OK) {
        s.updated_at = now;
        st = svc->repo->sessions->update(svc->repo, &s, err);
    }
    parley_session_free(&s);
    if (st == PARLEY_OK || unchanged) {
        st = svc->repo->sessions->get(svc->repo, session_id, out, err);
        if (st == PARLEY_OK && !unchanged) {
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

static void hit_wire(json_t *row) {
    participant_field(row, "sender_kind", "sender_id", "sender");
    time_field(row, "created_at");
    char *html = parley_search_snippet_html(json_string_value(json_object_get(row, "snippet")));
    json_object_set_new(row, "snippet", html != NULL ? json_string(html) : json_null());
    free(html);
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
    char match[PARLEY_SEARCH_MATCH_SIZE];
    const char *why = NULL;
    if (q == NULL) {
        return invalid(err, "q: required");
    }
    if (!parley_search_match(q, match, sizeof match, &why)) {
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
        .match = match,
        .session_id = session_id,
        .customer_id = staff ? "" : caller->id,
        .limit = limit,
        .cursor = cursor,
        .budget_ms = svc->config != NULL ? (int)svc->config->search_budget_ms : 0,
    };
    st = svc->repo->search->messages(svc->repo, &spec, items, next_cursor, next_cursor_size, err);
    parley_limits_search_done(svc->limits);
    if (st == PARLEY_E_INVALID) {
        /* the expression is built from quoted tokens, so this is a cursor
         * or an FTS limit: still the request's fault, never a 500 */
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
    if (st == PARLEY_OK) {
        each_row(*items, hit_wire);
    }
    return st;
}

parley_status parley_tools_index_messages(parley_chat_service *svc, int64_t *indexed,
                                          parley_error *err) {
    return svc->repo->search->index_catch_up(svc->repo, PARLEY_SEARCH_INDEX_BATCH, indexed, err);
}
