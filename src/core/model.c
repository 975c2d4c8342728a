#include "core/model.h"

#include "core/store/tools.h" /* the agent tools' rows, at the end */

#include <stdlib.h>
#include <string.h>

void parley_customer_free(parley_customer *c) {
    if (c == NULL) {
        return;
    }
    free(c->name);
    free(c->email);
    free(c->identifier);
    free(c->language);
    memset(c, 0, sizeof *c);
}

void parley_agent_free(parley_agent *a) {
    if (a == NULL) {
        return;
    }
    free(a->name);
    free(a->email);
    free(a->language);
    memset(a, 0, sizeof *a);
}

void parley_bot_free(parley_bot *b) {
    if (b == NULL) {
        return;
    }
    free(b->name);
    memset(b, 0, sizeof *b);
}

void parley_session_free(parley_session *s) {
    if (s == NULL) {
        return;
    }
    free(s->topic);
    free(s->strategies_json);
    free(s->labels_json);
    memset(s, 0, sizeof *s);
}

void parley_message_free(parley_message *m) {
    if (m == NULL) {
        return;
    }
    free(m->content);
    free(m->client_msg_id);
    free(m->meta_json);
    free(m->original_content);
    memset(m, 0, sizeof *m);
}

void parley_ticket_free(parley_ticket *t) {
    if (t == NULL) {
        return;
    }
    free(t->subject);
    free(t->issue_description);
    memset(t, 0, sizeof *t);
}

void parley_ticket_note_free(parley_ticket_note *n) {
    if (n == NULL) {
        return;
    }
    free(n->body);
    memset(n, 0, sizeof *n);
}

void parley_feedback_free(parley_feedback *f) {
    if (f == NULL) {
        return;
    }
    free(f->comment);
    memset(f, 0, sizeof *f);
}

void parley_upload_free(parley_upload *u) {
    if (u == NULL) {
        return;
    }
    free(u->name);
    memset(u, 0, sizeof *u);
}

void parley_audit_entry_free(parley_audit_entry *e) {
    if (e == NULL) {
        return;
    }
    free(e->detail_json);
    memset(e, 0, sizeof *e);
}

void parley_flagged_message_free(parley_flagged_message *f) {
    if (f == NULL) {
        return;
    }
    parley_message_free(&f->message);
    memset(f, 0, sizeof *f);
}

/* strdup that keeps NULL as NULL and reports failure through *ok. */
static char *dup_or_null(const char *s, bool *ok) {
    if (s == NULL) {
        return NULL;
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        *ok = false;
    }
    return copy;
}

bool parley_session_copy(parley_session *dst, const parley_session *src) {
    bool ok = true;
    *dst = *src;
    dst->topic = dup_or_null(src->topic, &ok);
    dst->strategies_json = dup_or_null(src->strategies_json, &ok);
    dst->labels_json = dup_or_null(src->labels_json, &ok);
    if (!ok) {
        parley_session_free(dst);
    }
    return ok;
}

bool parley_message_copy(parley_message *dst, const parley_message *src) {
    bool ok = true;
    *dst = *src;
    dst->content = dup_or_null(src->content, &ok);
    dst->client_msg_id = dup_or_null(src->client_msg_id, &ok);
    dst->meta_json = dup_or_null(src->meta_json, &ok);
    dst->original_content = dup_or_null(src->original_content, &ok);
    if (!ok) {
        parley_message_free(dst);
    }
    return ok;
}

bool parley_ticket_copy(parley_ticket *dst, const parley_ticket *src) {
    bool ok = true;
    *dst = *src;
    dst->subject = dup_or_null(src->subject, &ok);
    dst->issue_description = dup_or_null(src->issue_description, &ok);
    if (!ok) {
        parley_ticket_free(dst);
    }
    return ok;
}

bool parley_ticket_note_copy(parley_ticket_note *dst, const parley_ticket_note *src) {
    bool ok = true;
    *dst = *src;
    dst->body = dup_or_null(src->body, &ok);
    if (!ok) {
        parley_ticket_note_free(dst);
    }
    return ok;
}

/* One generic growth routine for every list: they share the layout
 * {items, count, capacity}. */
static void *list_push(void **items, size_t *count, size_t *capacity, size_t item_size) {
    if (*count == *capacity) {
        size_t next = *capacity == 0 ? 8 : *capacity * 2;
        void *grown = realloc(*items, next * item_size);
        if (grown == NULL) {
            return NULL;
        }
        *items = grown;
        *capacity = next;
    }
    char *slot = (char *)*items + (*count)++ * item_size;
    memset(slot, 0, item_size);
    return slot;
}

#define PARLEY_DEFINE_LIST(list_type, item_type, prefix, item_free)                                \
    item_type *prefix##_push(list_type *list) {                                                    \
        return list_push((void **)&list->items, &list->count, &list->capacity, sizeof(item_type)); \
    }                                                                                              \
    void prefix##_free(list_type *list) {                                                          \
        for (size_t i = 0; i < list->count; i++) {                                                 \
            item_free(&list->items[i]);                                                            \
        }                                                                                          \
        free(list->items);                                                                         \
        memset(list, 0, sizeof *list);                                                             \
    }

PARLEY_DEFINE_LIST(parley_agent_list, parley_agent, parley_agent_list, parley_agent_free)
PARLEY_DEFINE_LIST(parley_bot_list, parley_bot, parley_bot_list, parley_bot_free)
PARLEY_DEFINE_LIST(parley_audit_list, parley_audit_entry, parley_audit_list,
                   parley_audit_entry_free)
PARLEY_DEFINE_LIST(parley_flagged_list, parley_flagged_message, parley_flagged_list,
                   parley_flagged_message_free)
PARLEY_DEFINE_LIST(parley_session_list, parley_session, parley_session_list, parley_session_free)
PARLEY_DEFINE_LIST(parley_message_list, parley_message, parley_message_list, parley_message_free)
PARLEY_DEFINE_LIST(parley_ticket_list, parley_ticket, parley_ticket_list, parley_ticket_free)
PARLEY_DEFINE_LIST(parley_ticket_note_list, parley_ticket_note, parley_ticket_note_list,
                   parley_ticket_note_free)
PARLEY_DEFINE_LIST(parley_feedback_list, parley_feedback, parley_feedback_list,
                   parley_feedback_free)

void parley_team_free(parley_team *t) {
    if (t == NULL) {
        return;
    }
    free(t->name);
    free(t->topics_json);
    free(t->agent_ids_json);
    memset(t, 0, sizeof *t);
}

void parley_queue_entry_free(parley_queue_entry *e) {
    if (e != NULL) {
        parley_session_free(&e->session);
    }
}

void parley_agent_load_free(parley_agent_load *a) {
    (void)a; /* no heap fields */
}

PARLEY_DEFINE_LIST(parley_team_list, parley_team, parley_team_list, parley_team_free)
PARLEY_DEFINE_LIST(parley_queue_list, parley_queue_entry, parley_queue_list,
                   parley_queue_entry_free)
PARLEY_DEFINE_LIST(parley_agent_load_list, parley_agent_load, parley_agent_load_list,
                   parley_agent_load_free)

/* Enum names: one table per enum, looked up both ways. */
static const char *const participant_names[] = {"customer", "agent", "bot", "system"};
static const char *const role_names[] = {"agent", "admin"};
static const char *const agent_status_names[] = {"offline", "online", "busy"};
static const char *const session_status_names[] = {"waiting", "active", "closed"};
static const char *const message_type_names[] = {"text", "image", "file"};
static const char *const ticket_status_names[] = {"open", "in_progress", "resolved"};
static const char *const ticket_priority_names[] = {"low", "normal", "high", "urgent"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int name_index(const char *const *names, size_t count, const char *name) {
    if (name == NULL) {
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

#define PARLEY_DEFINE_ENUM_NAMES(type, prefix, table)                                              \
    const char *prefix##_name(type value) {                                                        \
        size_t i = (size_t)value;                                                                  \
        return i < COUNT(table) ? table[i] : "unknown";                                            \
    }                                                                                              \
    bool prefix##_from_name(const char *name, type *out) {                                         \
        int i = name_index(table, COUNT(table), name);                                             \
        if (i < 0) {                                                                               \
            return false;                                                                          \
        }                                                                                          \
        *out = (type)i;                                                                            \
        return true;                                                                               \
    }

PARLEY_DEFINE_ENUM_NAMES(parley_participant_kind, parley_participant_kind, participant_names)
PARLEY_DEFINE_ENUM_NAMES(parley_agent_role, parley_agent_role, role_names)
PARLEY_DEFINE_ENUM_NAMES(parley_agent_status, parley_agent_status, agent_status_names)
PARLEY_DEFINE_ENUM_NAMES(parley_session_status, parley_session_status, session_status_names)
PARLEY_DEFINE_ENUM_NAMES(parley_message_type, parley_message_type, message_type_names)
PARLEY_DEFINE_ENUM_NAMES(parley_ticket_status, parley_ticket_status, ticket_status_names)

void parley_kb_entry_free(parley_kb_entry *e) {
    if (e == NULL) {
        return;
    }
    free(e->question);
    free(e->answer);
    free(e->alternatives_json);
    free(e->tags_json);
    memset(e, 0, sizeof *e);
}

PARLEY_DEFINE_LIST(parley_kb_list, parley_kb_entry, parley_kb_list, parley_kb_entry_free)
PARLEY_DEFINE_ENUM_NAMES(parley_ticket_priority, parley_ticket_priority, ticket_priority_names)

/* ---- the agent tools' rows (core/store/tools.h) ---------------------------- */

void parley_canned_free(parley_canned *c) {
    if (c == NULL) {
        return;
    }
    free(c->shortcode);
    free(c->title);
    free(c->content);
    memset(c, 0, sizeof *c);
}

void parley_session_note_free(parley_session_note *n) {
    if (n == NULL) {
        return;
    }
    free(n->content);
    memset(n, 0, sizeof *n);
}

static void no_heap_fields(void *item) {
    (void)item;
}

PARLEY_DEFINE_LIST(parley_canned_list, parley_canned, parley_canned_list, parley_canned_free)
PARLEY_DEFINE_LIST(parley_session_note_list, parley_session_note, parley_session_note_list,
                   parley_session_note_free)
PARLEY_DEFINE_LIST(parley_read_receipt_list, parley_read_receipt, parley_read_receipt_list,
                   no_heap_fields)
PARLEY_DEFINE_LIST(parley_label_list, parley_label, parley_label_list, no_heap_fields)
