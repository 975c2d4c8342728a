#include "core/model.h"

#include "core/store/notifications.h" /* the notification outbox's rows too */
#include "core/store/tools.h"         /* the agent tools' rows are models too */
#include "core/store/webhooks.h"      /* and the outgoing webhooks' */
#include "core/store/push.h"          /* and the web push subscriptions */
#include "core/store/contacts.h"      /* and the contacts' */

#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

char *parley_model_strdup(const char *s, bool *ok) {
    if (s == NULL) {
        return NULL;
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        *ok = false;
    }
    return copy;
}

/* Each model's heap strings, by offset: its _free releases them and its
 * _copy duplicates them, from the one list. */
#define AT(type, field) offsetof(type, field)
static const size_t customer_strings[] = {AT(parley_customer, name), AT(parley_customer, email),
                                          AT(parley_customer, identifier),
                                          AT(parley_customer, language)};
static const size_t agent_strings[] = {AT(parley_agent, name), AT(parley_agent, email),
                                       AT(parley_agent, language)};
static const size_t bot_strings[] = {AT(parley_bot, name)};
static const size_t session_strings[] = {AT(parley_session, topic),
                                         AT(parley_session, strategies_json),
                                         AT(parley_session, labels_json)};
static const size_t message_strings[] = {
    AT(parley_message, content), AT(parley_message, client_msg_id), AT(parley_message, meta_json),
    AT(parley_message, original_content)};
static const size_t ticket_strings[] = {AT(parley_ticket, subject),
                                        AT(parley_ticket, issue_description)};
static const size_t ticket_note_strings[] = {AT(parley_ticket_note, body)};
static const size_t feedback_strings[] = {AT(parley_feedback, comment)};
static const size_t upload_strings[] = {AT(parley_upload, name)};
static const size_t audit_entry_strings[] = {AT(parley_audit_entry, detail_json)};
static const size_t team_strings[] = {AT(parley_team, name), AT(parley_team, topics_json),
                                      AT(parley_team, agent_ids_json)};
static const size_t search_hit_strings[] = {AT(parley_search_hit, snippet)};
static const size_t canned_strings[] = {AT(parley_canned, shortcode), AT(parley_canned, title),
                                        AT(parley_canned, content)};
static const size_t session_note_strings[] = {AT(parley_session_note, content)};
static const size_t kb_entry_strings[] = {
    AT(parley_kb_entry, question), AT(parley_kb_entry, answer),
    AT(parley_kb_entry, alternatives_json), AT(parley_kb_entry, tags_json)};
static const size_t notification_strings[] = {AT(parley_notification, title),
                                              AT(parley_notification, body),
                                              AT(parley_notification, dedupe_key)};
static const size_t delivery_strings[] = {AT(parley_delivery, last_error),
                                          AT(parley_delivery, idempotency_key)};
static const size_t webhook_strings[] = {AT(parley_webhook, url), AT(parley_webhook, events),
                                         AT(parley_webhook, secret),
                                         AT(parley_webhook, description)};
static const size_t contact_strings[] = {
    AT(parley_contact, name), AT(parley_contact, email), AT(parley_contact, identifier),
    AT(parley_contact, language), AT(parley_contact, attributes_json)};
static const size_t webhook_attempt_strings[] = {AT(parley_webhook_attempt, error)};
static const size_t push_subscription_strings[] = {AT(parley_push_subscription, endpoint),
                                                   AT(parley_push_subscription, p256dh),
                                                   AT(parley_push_subscription, auth)};

static char **string_at(void *model, size_t offset) {
    return (char **)((char *)model + offset);
}

static void free_strings(void *model, size_t size, const size_t *strings, size_t count) {
    if (model == NULL) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        free(*string_at(model, strings[i]));
    }
    memset(model, 0, size);
}

/* dst becomes src with its own copies of the strings; false (and dst
 * empty) when out of memory. */
static bool copy_strings(void *dst, const void *src, size_t size, const size_t *strings,
                         size_t count) {
    bool ok = true;
    memcpy(dst, src, size);
    for (size_t i = 0; i < count; i++) {
        char **slot = string_at(dst, strings[i]);
        *slot = parley_model_strdup(*slot, &ok);
    }
    if (!ok) {
        free_strings(dst, size, strings, count);
    }
    return ok;
}

/* type##_free and type##_copy over the type's string list */
#define PARLEY_DEFINE_FREE(type, strings)                                                          \
    void type##_free(type *m) {                                                                    \
        free_strings(m, sizeof(type), strings, COUNT(strings));                                    \
    }
#define PARLEY_DEFINE_COPY(type, strings)                                                          \
    bool type##_copy(type *dst, const type *src) {                                                 \
        return copy_strings(dst, src, sizeof(type), strings, COUNT(strings));                      \
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

/* list_type##_push and list_type##_free; each item is released by
 * item_type##_free */
#define PARLEY_DEFINE_LIST(list_type, item_type)                                                   \
    item_type *list_type##_push(list_type *list) {                                                 \
        return list_push((void **)&list->items, &list->count, &list->capacity, sizeof(item_type)); \
    }                                                                                              \
    void list_type##_free(list_type *list) {                                                       \
        for (size_t i = 0; i < list->count; i++) {                                                 \
            item_type##_free(&list->items[i]);                                                     \
        }                                                                                          \
        free(list->items);                                                                         \
        memset(list, 0, sizeof *list);                                                             \
    }

/* Enum names: one table per enum, looked up both ways. */
static const char *const participant_names[] = {"customer", "agent", "bot", "system"};
static const char *const role_names[] = {"agent", "admin"};
static const char *const agent_status_names[] = {"offline", "online", "busy"};
static const char *const session_status_names[] = {"waiting", "active", "closed"};
static const char *const message_type_names[] = {"text", "image", "file"};
static const char *const ticket_status_names[] = {"open", "in_progress", "resolved"};
static const char *const ticket_priority_names[] = {"low", "normal", "high", "urgent"};
static const char *const delivery_state_names[] = {"pending", "sent", "failed", "dead"};

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

#define PARLEY_DEFINE_ENUM_NAMES(type, table)                                                      \
    const char *type##_name(type value) {                                                          \
        size_t i = (size_t)value;                                                                  \
        return i < COUNT(table) ? table[i] : "unknown";                                            \
    }                                                                                              \
    bool type##_from_name(const char *name, type *out) {                                           \
        int i = name_index(table, COUNT(table), name);                                             \
        if (i < 0) {                                                                               \
            return false;                                                                          \
        }                                                                                          \
        *out = (type)i;                                                                            \
        return true;                                                                               \
    }

void parley_flagged_message_free(parley_flagged_message *f) {
    if (f == NULL) {
        return;
    }
    parley_message_free(&f->message);
    memset(f, 0, sizeof *f);
}

void parley_queue_entry_free(parley_queue_entry *e) {
    if (e != NULL) {
        parley_session_free(&e->session);
    }
}

void parley_agent_load_free(parley_agent_load *a) {
    (void)a; /* no heap fields */
}

/* rows of the agent tools with no heap fields (core/store/tools.h) */
static void parley_read_receipt_free(parley_read_receipt *r) {
    (void)r;
}

static void parley_label_free(parley_label *l) {
    (void)l;
}

/* Every model's functions, from the macros above. */
PARLEY_DEFINE_FREE(parley_customer, customer_strings)
PARLEY_DEFINE_FREE(parley_agent, agent_strings)
PARLEY_DEFINE_LIST(parley_agent_list, parley_agent)
PARLEY_DEFINE_FREE(parley_bot, bot_strings)
PARLEY_DEFINE_LIST(parley_bot_list, parley_bot)
PARLEY_DEFINE_FREE(parley_session, session_strings)
PARLEY_DEFINE_COPY(parley_session, session_strings)
PARLEY_DEFINE_LIST(parley_session_list, parley_session)
PARLEY_DEFINE_FREE(parley_message, message_strings)
PARLEY_DEFINE_COPY(parley_message, message_strings)
PARLEY_DEFINE_LIST(parley_message_list, parley_message)
PARLEY_DEFINE_LIST(parley_flagged_list, parley_flagged_message)
PARLEY_DEFINE_FREE(parley_ticket, ticket_strings)
PARLEY_DEFINE_COPY(parley_ticket, ticket_strings)
PARLEY_DEFINE_LIST(parley_ticket_list, parley_ticket)
PARLEY_DEFINE_FREE(parley_ticket_note, ticket_note_strings)
PARLEY_DEFINE_COPY(parley_ticket_note, ticket_note_strings)
PARLEY_DEFINE_LIST(parley_ticket_note_list, parley_ticket_note)
PARLEY_DEFINE_FREE(parley_feedback, feedback_strings)
PARLEY_DEFINE_LIST(parley_feedback_list, parley_feedback)
PARLEY_DEFINE_FREE(parley_upload, upload_strings)
PARLEY_DEFINE_FREE(parley_audit_entry, audit_entry_strings)
PARLEY_DEFINE_LIST(parley_audit_list, parley_audit_entry)
PARLEY_DEFINE_FREE(parley_team, team_strings)
PARLEY_DEFINE_LIST(parley_team_list, parley_team)
PARLEY_DEFINE_LIST(parley_queue_list, parley_queue_entry)
PARLEY_DEFINE_LIST(parley_agent_load_list, parley_agent_load)
PARLEY_DEFINE_FREE(parley_kb_entry, kb_entry_strings)
PARLEY_DEFINE_LIST(parley_kb_list, parley_kb_entry)
PARLEY_DEFINE_FREE(parley_search_hit, search_hit_strings)
PARLEY_DEFINE_LIST(parley_search_hit_list, parley_search_hit)
PARLEY_DEFINE_FREE(parley_canned, canned_strings)
PARLEY_DEFINE_LIST(parley_canned_list, parley_canned)
PARLEY_DEFINE_FREE(parley_session_note, session_note_strings)
PARLEY_DEFINE_LIST(parley_session_note_list, parley_session_note)
PARLEY_DEFINE_LIST(parley_read_receipt_list, parley_read_receipt)
PARLEY_DEFINE_LIST(parley_label_list, parley_label)
PARLEY_DEFINE_FREE(parley_notification, notification_strings)
PARLEY_DEFINE_LIST(parley_notification_list, parley_notification)
PARLEY_DEFINE_FREE(parley_delivery, delivery_strings)
PARLEY_DEFINE_LIST(parley_delivery_list, parley_delivery)
PARLEY_DEFINE_FREE(parley_webhook, webhook_strings)
PARLEY_DEFINE_LIST(parley_webhook_list, parley_webhook)
PARLEY_DEFINE_FREE(parley_webhook_attempt, webhook_attempt_strings)
PARLEY_DEFINE_LIST(parley_webhook_attempt_list, parley_webhook_attempt)
PARLEY_DEFINE_FREE(parley_push_subscription, push_subscription_strings)
PARLEY_DEFINE_LIST(parley_push_subscription_list, parley_push_subscription)
PARLEY_DEFINE_FREE(parley_contact, contact_strings)
PARLEY_DEFINE_LIST(parley_contact_list, parley_contact)

PARLEY_DEFINE_ENUM_NAMES(parley_participant_kind, participant_names)
PARLEY_DEFINE_ENUM_NAMES(parley_agent_role, role_names)
PARLEY_DEFINE_ENUM_NAMES(parley_agent_status, agent_status_names)
PARLEY_DEFINE_ENUM_NAMES(parley_session_status, session_status_names)
PARLEY_DEFINE_ENUM_NAMES(parley_message_type, message_type_names)
PARLEY_DEFINE_ENUM_NAMES(parley_ticket_status, ticket_status_names)
PARLEY_DEFINE_ENUM_NAMES(parley_ticket_priority, ticket_priority_names)
PARLEY_DEFINE_ENUM_NAMES(parley_delivery_state, delivery_state_names)
