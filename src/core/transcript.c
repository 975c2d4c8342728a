#include "core/transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/participant_factory.h"
#include "util/strbuf.h"

/* a conversation is read in pages like the history is served */
#define PAGE 200
/* distinct senders whose names are remembered while writing one transcript */
#define NAME_CACHE 64

typedef struct name_entry {
    parley_participant_kind kind;
    char id[PARLEY_ID_SIZE];
    char *name;
} name_entry;

typedef struct name_cache {
    name_entry items[NAME_CACHE];
    size_t count;
} name_cache;

bool parley_transcript_format_from_name(const char *name, parley_transcript_format *out) {
    if (strcmp(name, "txt") == 0) {
        *out = PARLEY_TRANSCRIPT_TXT;
    } else if (strcmp(name, "json") == 0) {
        *out = PARLEY_TRANSCRIPT_JSON;
    } else {
        return false;
    }
    return true;
}

/* The sender's display name; a sender that no longer exists (or the
 * system) is named by its kind. */
static char *lookup_name(parley_chat_service *svc, parley_participant_kind kind, const char *id) {
    parley_error ignored = {0};
    parley_participant *p = NULL;
    char *name = NULL;
    if (parley_participant_load(svc->repo, kind, id, false, &p, &ignored) == PARLEY_OK) {
        name = p->name != NULL ? strdup(p->name) : NULL;
    }
    parley_participant_free(p);
    return name != NULL ? name : strdup(parley_participant_kind_name(kind));
}

static const char *sender_name(parley_chat_service *svc, name_cache *cache,
                               parley_participant_kind kind, const char *id) {
    for (size_t i = 0; i < cache->count; i++) {
        if (cache->items[i].kind == kind && strcmp(cache->items[i].id, id) == 0) {
            return cache->items[i].name;
        }
    }
    size_t slot;
    if (cache->count < NAME_CACHE) {
        slot = cache->count++;
    } else {
        slot = NAME_CACHE - 1; /* a crowded session: the last slot is reused */
        free(cache->items[slot].name);
    }
    cache->items[slot].kind = kind;
    snprintf(cache->items[slot].id, sizeof cache->items[slot].id, "%s", id);
    cache->items[slot].name = lookup_name(svc, kind, id);
    return cache->items[slot].name != NULL ? cache->items[slot].name : "?";
}

static void name_cache_free(name_cache *cache) {
    for (size_t i = 0; i < cache->count; i++) {
        free(cache->items[i].name);
    }
}

/* Text as one line block: each line of a multi-line message is indented
 * so a message can never pose as a header or another message. */
static void put_indented(parley_strbuf *b, const char *s) {
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\r') {
            continue;
        }
        parley_strbuf_add(b, p, 1);
        if (*p == '\n') {
            parley_strbuf_puts(b, "    ");
        }
    }
}

static json_t *message_meta(const parley_message *m) {
    if (m->meta_json == NULL) {
        return NULL;
    }
    json_error_t error;
    json_t *meta = json_loads(m->meta_json, 0, &error);
    if (!json_is_object(meta)) {
        json_decref(meta);
        return NULL;
    }
    return meta;
}

static void txt_message(parley_strbuf *b, const parley_message *m, const char *name) {
    char when[PARLEY_TIME_TEXT_SIZE];
    parley_time_format(m->created_at, when);
    parley_strbuf_puts(b, "[");
    parley_strbuf_puts(b, when);
    parley_strbuf_puts(b, "] ");
    put_indented(b, name);
    parley_strbuf_puts(b, " (");
    parley_strbuf_puts(b, parley_participant_kind_name(m->sender_kind));
    parley_strbuf_puts(b, "): ");
    put_indented(b, m->content != NULL ? m->content : "");
    parley_strbuf_puts(b, "\n");
    json_t *meta = message_meta(m);
    json_t *translations = json_object_get(meta, "translations");
    const char *lang;
    json_t *text;
    json_object_foreach(translations, lang, text) {
        if (json_is_string(text)) {
            parley_strbuf_puts(b, "    [translation ");
            put_indented(b, lang);
            parley_strbuf_puts(b, "] ");
            put_indented(b, json_string_value(text));
            parley_strbuf_puts(b, "\n");
        }
    }
    json_t *att = json_object_get(meta, "attachment");
    if (json_is_object(att)) {
        parley_strbuf_puts(b, "    [attachment] ");
        put_indented(b, json_string_value(json_object_get(att, "name")) != NULL
                            ? json_string_value(json_object_get(att, "name"))
                            : "file");
        const char *mime = json_string_value(json_object_get(att, "mime"));
        parley_strbuf_printf(b, " (%.100s, %lld bytes) ", mime != NULL ? mime : "?",
                             (long long)json_integer_value(json_object_get(att, "size")));
        const char *url = json_string_value(json_object_get(att, "url"));
        parley_strbuf_puts(b, url != NULL ? url : "");
        parley_strbuf_puts(b, "\n");
    }
    json_decref(meta);
}

static json_t *json_message(const parley_message *m, const char *name) {
    json_t *meta = message_meta(m);
    json_t *obj = json_pack(
        "{s:I, s:s, s:o, s:{s:s, s:s?, s:s}, s:s, s:s}", "seq", (json_int_t)m->seq, "id", m->id,
        "created_at", parley_time_to_json(m->created_at), "sender", "type",
        parley_participant_kind_name(m->sender_kind), "id",
        m->sender_id[0] != '\0' ? m->sender_id : NULL, "name", name, "type",
        parley_message_type_name(m->type), "content", m->content != NULL ? m->content : "");
    if (obj != NULL && meta != NULL) {
        json_t *translations = json_object_get(meta, "translations");
        if (json_is_object(translations)) {
            json_object_set(obj, "translations", translations);
        }
        json_t *att = json_object_get(meta, "attachment");
        if (json_is_object(att)) {
            json_object_set(obj, "attachment", att);
        }
    }
    json_decref(meta);
    return obj;
}

parley_status parley_chat_transcript(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, parley_transcript_format format,
                                     char **out, size_t *out_len, parley_session *session_out,
                                     parley_error *err) {
    *out = NULL;
    *out_len = 0;
    memset(session_out, 0, sizeof *session_out);
    parley_session session = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_TRANSCRIPT_READ,
                                                    session_id, &session, err);
    if (st != PARLEY_OK) {
        return st;
    }
    name_cache names = {0};
    parley_strbuf text = {0};
    json_t *messages = format == PARLEY_TRANSCRIPT_JSON ? json_array() : NULL;
    char exported[PARLEY_TIME_TEXT_SIZE], started[PARLEY_TIME_TEXT_SIZE];
    parley_time_format(parley_now_ms(), exported);
    parley_time_format(session.created_at, started);
    const char *customer =
        sender_name(svc, &names, PARLEY_PARTICIPANT_CUSTOMER, session.customer_id);
    if (format == PARLEY_TRANSCRIPT_TXT) {
        parley_strbuf_puts(&text, "Transcript of chat ");
        parley_strbuf_puts(&text, session.id);
        parley_strbuf_puts(&text, "\nTopic: ");
        put_indented(&text, session.topic != NULL ? session.topic : "");
        parley_strbuf_puts(&text, "\nCustomer: ");
        put_indented(&text, customer);
        parley_strbuf_puts(&text, "\nStarted: ");
        parley_strbuf_puts(&text, started);
        parley_strbuf_puts(&text, "\nStatus: ");
        parley_strbuf_puts(&text, parley_session_status_name(session.status));
        parley_strbuf_puts(&text, "\nExported: ");
        parley_strbuf_puts(&text, exported);
        parley_strbuf_puts(&text, "\n\n");
    }
    parley_message_range range = {.after_seq = 0, .before_seq = 0, .limit = PAGE};
    for (;;) {
        parley_message_list page = {0};
        st = svc->repo->messages->list(svc->repo, session.id, &range, &page, err);
        if (st != PARLEY_OK) {
            break;
        }
        for (size_t i = 0; i < page.count; i++) {
            const parley_message *m = &page.items[i];
            const char *name = sender_name(svc, &names, m->sender_kind, m->sender_id);
            if (messages != NULL) {
                json_array_append_new(messages, json_message(m, name));
            } else {
                txt_message(&text, m, name);
            }
            range.after_seq = m->seq;
        }
        size_t count = page.count;
        parley_message_list_free(&page);
        if (count < PAGE) {
            break;
        }
    }
    if (st == PARLEY_OK && messages != NULL) {
        json_t *doc = json_pack("{s:o, s:s, s:o, s:O}", "session", parley_session_to_json(&session),
                                "customer_name", customer, "exported_at", json_string(exported),
                                "messages", messages);
        char *dumped = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        json_decref(doc);
        if (dumped != NULL) {
            parley_strbuf_puts(&text, dumped);
            parley_strbuf_puts(&text, "\n");
            free(dumped);
        } else {
            text.failed = true;
        }
    }
    json_decref(messages);
    name_cache_free(&names);
    char *document = st == PARLEY_OK ? parley_strbuf_take(&text, out_len) : NULL;
    parley_strbuf_free(&text);
    if (st == PARLEY_OK && document == NULL) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st != PARLEY_OK) {
        parley_session_free(&session);
        return st;
    }
    *out = document;
    *session_out = session;
    return PARLEY_OK;
}
