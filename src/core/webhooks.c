/*
 * webhooks.c - outgoing webhooks in the core (webhooks.h): the rows' free
 * and list functions, the outbox's in-unit subscriber, and the admins'
 * calls (checked by the policy table, audited in the caller's unit).
 *
 * Threads: the subscriber on the emitting worker thread inside its unit;
 * the calls on the caller's worker thread.
 */
#include "core/webhooks.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/notifications.h"

/* ---- the events -------------------------------------------------------------------- */

const char *const parley_webhook_event_names[] = {
    "message.created", "note.created", "session.created", "session.updated", "ticket.created",
    "ticket.updated",  NULL,
};

unsigned parley_webhooks_event_types(void) {
    return PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_NOTE_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_UPDATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_TICKET_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_TICKET_UPDATED);
}

static bool event_known(const char *name) {
    for (size_t i = 0; parley_webhook_event_names[i] != NULL; i++) {
        if (strcmp(parley_webhook_event_names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* Is `name` one of the space-separated words of `events`? */
static bool wants(const char *events, const char *name) {
    size_t len = strlen(name);
    for (const char *p = events; p != NULL && *p != '\0';) {
        size_t word = strcspn(p, " ");
        if (word == len && strncmp(p, name, len) == 0) {
            return true;
        }
        p += word;
        p += strspn(p, " ");
    }
    return false;
}

/* The event's data: what changed, as the API renders it. */
static json_t *event_data(const parley_event *e) {
    switch (e->type) {
    case PARLEY_EVENT_MESSAGE_CREATED:
        return json_pack("{s:o}", "message", parley_message_to_json(&e->message.message));
    case PARLEY_EVENT_NOTE_CREATED:
        return json_pack("{s:{s:s, s:s, s:s, s:s, s:o}}", "note", "id", e->note.id, "session_id",
                         e->session_id, "author_id", e->note.author_id, "content",
                         e->note.content != NULL ? e->note.content : "", "created_at",
                         parley_time_to_json(e->note.created_at));
    case PARLEY_EVENT_SESSION_CREATED:
    case PARLEY_EVENT_SESSION_UPDATED:
        return json_pack("{s:o}", "session", parley_session_to_json(&e->session.session));
    case PARLEY_EVENT_TICKET_CREATED:
    case PARLEY_EVENT_TICKET_UPDATED:
        return json_pack("{s:o}", "ticket", parley_ticket_to_json(&e->ticket));
    default:
        return NULL;
    }
}

/* The payload every webhook wanting this event gets: {"type", "id",
 * "created_at", "data"}, compact JSON. */
static char *render_payload(const parley_event *e, const char *event_id, parley_time_ms now) {
    json_t *data = event_data(e);
    json_t *root = data != NULL ? json_pack("{s:s, s:s, s:o, s:o}", "type",
                                            parley_event_type_name(e->type), "id", event_id,
                                            "created_at", parley_time_to_json(now), "data", data)
                                : NULL;
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* The notification and its delivery for one webhook. */
static parley_status write_delivery(parley_chat_service *svc, const parley_webhook *w,
                                    const char *type, const char *event_id, char *payload,
                                    parley_time_ms now, parley_error *err) {
    char dedupe[PARLEY_ID_SIZE * 2 + 16];
    snprintf(dedupe, sizeof dedupe, "webhook:%s:%s", w->id, event_id);
    parley_notification n = {0};
    parley_id_new_timed("ntf", n.id);
    n.recipient_kind = PARLEY_PARTICIPANT_SYSTEM;
    snprintf(n.recipient_id, sizeof n.recipient_id, "%s", w->id);
    snprintf(n.event, sizeof n.event, "%s", type);
    n.title = (char *)(uintptr_t) "";
    n.body = payload;
    n.dedupe_key = dedupe;
    n.created_at = now;
    n.read_at = now; /* nobody's inbox: never counted unread */
    bool added = false;
    parley_status st = svc->repo->notifications->insert(svc->repo, &n, &added, err);
    if (st != PARLEY_OK || !added) {
        return st;
    }
    char key[PARLEY_ID_SIZE + sizeof PARLEY_WEBHOOK_CHANNEL + 1];
    snprintf(key, sizeof key, "%s:%s", n.id, PARLEY_WEBHOOK_CHANNEL);
    parley_delivery d = {0};
    parley_id_new_timed("dlv", d.id);
    snprintf(d.notification_id, sizeof d.notification_id, "%s", n.id);
    snprintf(d.channel, sizeof d.channel, "%s", PARLEY_WEBHOOK_CHANNEL);
    d.state = PARLEY_DELIVERY_PENDING;
    d.next_attempt_at = now;
    d.idempotency_key = key;
    d.created_at = now;
    d.updated_at = now;
    return svc->repo->notifications->delivery_insert(svc->repo, &d, &added, err);
}

static parley_status on_event(void *ctx, parley_chat_service *svc, parley_event *e,
                              parley_error *err) {
    (void)ctx;
    if (svc->repo->webhooks == NULL) { /* a backend without webhooks yet */
        return PARLEY_OK;
    }
    parley_webhook_list hooks;
    parley_status st = svc->repo->webhooks->list(svc->repo, true, &hooks, err);
    if (st != PARLEY_OK) {
        return st;
    }
    const char *type = parley_event_type_name(e->type);
    char event_id[PARLEY_ID_SIZE];
    char *payload = NULL;
    parley_time_ms now = parley_now_ms();
    for (size_t i = 0; st == PARLEY_OK && i < hooks.count; i++) {
        if (!wants(hooks.items[i].events, type)) {
            continue;
        }
        if (payload == NULL) {
            parley_id_new_timed("evt", event_id);
            if ((payload = render_payload(e, event_id, now)) == NULL) {
                st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
                break;
            }
        }
        st = write_delivery(svc, &hooks.items[i], type, event_id, payload, now, err);
    }
    free(payload);
    parley_webhook_list_free(&hooks);
    return st;
}

bool parley_webhooks_subscribe(parley_event_registry *reg) {
    return parley_event_subscribe_in_unit(reg, parley_webhooks_event_types(), on_event, NULL);
}

/* ---- the wire form ------------------------------------------------------------------ */

static json_t *events_json(const char *events) {
    json_t *list = json_array();
    for (const char *p = events; list != NULL && p != NULL && *p != '\0';) {
        size_t word = strcspn(p, " ");
        json_array_append_new(list, json_stringn(p, word));
        p += word;
        p += strspn(p, " ");
    }
    return list;
}

json_t *parley_webhook_to_json(const parley_webhook *w) {
    return json_pack("{s:s, s:s, s:o, s:b, s:s, s:o, s:o}", "id", w->id, "url", w->url, "events",
                     events_json(w->events), "active", w->active, "description",
                     w->description != NULL ? w->description : "", "created_at",
                     parley_time_to_json(w->created_at), "updated_at",
                     parley_time_to_json(w->updated_at));
}

/* ---- the admins' calls --------------------------------------------------------------- */

static parley_status invalid(parley_error *err, const char *message) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s", message);
}

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

static parley_status not_found(parley_status st, parley_error *err) {
    return st == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such webhook")
               : st;
}

/* "events": a non-empty array of known names, each once -> "a b c". */
static parley_status take_events(const json_t *value, char **out, parley_error *err) {
    const char *msg = "events: a non-empty array of event types (message.created, note.created, "
                      "session.created, session.updated, ticket.created, ticket.updated)";
    if (!json_is_array(value) || json_array_size(value) == 0) {
        return invalid(err, msg);
    }
    char joined[256] = "";
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
        const char *name = json_string_value(item);
        if (name == NULL || !event_known(name)) {
            return invalid(err, msg);
        }
        if (wants(joined, name)) {
            return invalid(err, "events: each event type once");
        }
        size_t used = strlen(joined);
        snprintf(joined + used, sizeof joined - used, "%s%s", used > 0 ? " " : "", name);
    }
    free(*out);
    *out = strdup(joined);
    return *out != NULL ? PARLEY_OK : nomem(err);
}

static bool url_syntax_ok(const char *url) {
    size_t len = strlen(url);
    if (len == 0 || len > PARLEY_WEBHOOK_URL_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/* Applies body's fields to w (create: url and events required); the URL
 * is checked by `check` when it is given. */
static parley_status take_body(parley_webhook *w, const json_t *body, bool create,
                               parley_webhook_url_check check, void *check_ctx, parley_error *err) {
    if (!json_is_object(body)) {
        return invalid(err, "the body must be a JSON object");
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)(uintptr_t)body, key, value) {
        if (strcmp(key, "url") != 0 && strcmp(key, "events") != 0 &&
            strcmp(key, "description") != 0 && strcmp(key, "active") != 0) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s: unknown field",
                                    key);
        }
    }
    const json_t *url = json_object_get(body, "url");
    const json_t *events = json_object_get(body, "events");
    const json_t *description = json_object_get(body, "description");
    const json_t *active = json_object_get(body, "active");
    parley_status st = PARLEY_OK;
    if (create && (url == NULL || events == NULL)) {
        return invalid(err, "url and events are required");
    }
    if (url != NULL) {
        if (!json_is_string(url) || !url_syntax_ok(json_string_value(url))) {
            return invalid(err, "url: an http:// or https:// URL of at most 2048 printable ASCII "
                                "characters");
        }
        if (check != NULL && (st = check(check_ctx, json_string_value(url), err)) != PARLEY_OK) {
            return st;
        }
        free(w->url);
        if ((w->url = strdup(json_string_value(url))) == NULL) {
            return nomem(err);
        }
    }
    if (events != NULL && (st = take_events(events, &w->events, err)) != PARLEY_OK) {
        return st;
    }
    if (description != NULL) {
        if (!json_is_string(description) ||
            strlen(json_string_value(description)) > PARLEY_WEBHOOK_DESCRIPTION_MAX) {
            return invalid(err, "description: a string of at most 500 bytes");
        }
        free(w->description);
        if ((w->description = strdup(json_string_value(description))) == NULL) {
            return nomem(err);
        }
    } else if (w->description == NULL && (w->description = strdup("")) == NULL) {
        return nomem(err);
    }
    if (active != NULL) {
        if (!json_is_boolean(active)) {
            return invalid(err, "active: true or false");
        }
        w->active = json_is_true(active);
    }
    return PARLEY_OK;
}

/* 32 bytes of the CSPRNG (libsodium's randombytes), hex: "whsec_<64 hex>". */
static char *new_secret(void) {
    unsigned char raw[32];
    char hex[sizeof raw * 2 + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    size_t size = sizeof "whsec_" + sizeof hex;
    char *secret = malloc(size);
    if (secret != NULL) {
        snprintf(secret, size, "whsec_%s", hex);
    }
    sodium_memzero(hex, sizeof hex);
    return secret;
}

static parley_status audit(parley_chat_service *svc, const parley_participant *caller,
                           const char *action, const char *id, const char *ip, json_t *detail,
                           parley_error *err) {
    return parley_audit_record(svc->repo, caller, action, id, ip, detail, err);
}

/* The caller may administer webhooks and this backend has them. */
static parley_status admin_check(parley_chat_service *svc, const parley_participant *caller,
                                 parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_WEBHOOK_ADMIN, err);
    if (st == PARLEY_OK && svc->repo->webhooks == NULL) {
        st = parley_error_set(err, PARLEY_E_UNAVAILABLE, "unavailable",
                              "this storage backend has no webhooks yet");
    }
    return st;
}

parley_status parley_webhooks_create(parley_chat_service *svc, const parley_participant *caller,
                                     const json_t *body, parley_webhook_url_check check,
                                     void *check_ctx, const char *ip, json_t **out,
                                     parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_webhook w = {.active = true};
    int64_t count = 0;
    st = take_body(&w, body, true, check, check_ctx, err);
    if (st == PARLEY_OK && (st = svc->repo->webhooks->count(svc->repo, &count, err)) == PARLEY_OK &&
        count >= PARLEY_WEBHOOKS_MAX) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "limit_reached",
                              "at most %d webhooks; delete one first", PARLEY_WEBHOOKS_MAX);
    }
    if (st == PARLEY_OK && (w.secret = new_secret()) == NULL) {
        st = nomem(err);
    }
    if (st == PARLEY_OK) {
        parley_id_new("whk", w.id);
        w.created_at = w.updated_at = parley_now_ms();
        st = svc->repo->webhooks->insert(svc->repo, &w, err);
    }
    if (st == PARLEY_OK) {
        st = audit(svc, caller, "webhook.create", w.id, ip, json_pack("{s:s}", "url", w.url), err);
    }
    if (st == PARLEY_OK) {
        *out = parley_webhook_to_json(&w);
        if (*out == NULL || json_object_set_new(*out, "secret", json_string(w.secret)) != 0) {
            json_decref(*out);
            *out = NULL;
            st = nomem(err);
        }
    }
    if (w.secret != NULL) {
        sodium_memzero(w.secret, strlen(w.secret));
    }
    parley_webhook_free(&w);
    return st;
}

parley_status parley_webhooks_update(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const json_t *body,
                                     parley_webhook_url_check check, void *check_ctx,
                                     const char *ip, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_webhook w;
    if ((st = not_found(svc->repo->webhooks->get(svc->repo, id, &w, err), err)) != PARLEY_OK) {
        return st;
    }
    st = take_body(&w, body, false, check, check_ctx, err);
    if (st == PARLEY_OK) {
        w.updated_at = parley_now_ms();
        st = not_found(svc->repo->webhooks->update(svc->repo, &w, err), err);
    }
    if (st == PARLEY_OK) {
        st = audit(svc, caller, "webhook.update", w.id, ip,
                   json_pack("{s:s, s:b}", "url", w.url, "active", w.active), err);
    }
    if (st == PARLEY_OK && (*out = parley_webhook_to_json(&w)) == NULL) {
        st = nomem(err);
    }
    parley_webhook_free(&w);
    return st;
}

parley_status parley_webhooks_delete(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const char *ip, parley_error *err) {
    parley_status st = admin_check(svc, caller, err);
    if (st == PARLEY_OK) {
        st = not_found(svc->repo->webhooks->remove(svc->repo, id, err), err);
    }
    return st == PARLEY_OK ? audit(svc, caller, "webhook.delete", id, ip, NULL, err) : st;
}

parley_status parley_webhooks_get(parley_chat_service *svc, const parley_participant *caller,
                                  const char *id, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    parley_webhook w;
    if (st == PARLEY_OK &&
        (st = not_found(svc->repo->webhooks->get(svc->repo, id, &w, err), err)) == PARLEY_OK) {
        *out = parley_webhook_to_json(&w);
        parley_webhook_free(&w);
        if (*out == NULL) {
            st = nomem(err);
        }
    }
    return st;
}

parley_status parley_webhooks_list(parley_chat_service *svc, const parley_participant *caller,
                                   json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    parley_webhook_list list;
    if (st != PARLEY_OK ||
        (st = svc->repo->webhooks->list(svc->repo, false, &list, err)) != PARLEY_OK) {
        return st;
    }
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_webhook_to_json(&list.items[i]));
    }
    parley_webhook_list_free(&list);
    *out = items != NULL ? json_pack("{s:o}", "webhooks", items) : NULL;
    return *out != NULL ? PARLEY_OK : nomem(err);
}

static json_t *attempts_json(const parley_webhook_attempt_list *list) {
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list->count; i++) {
        const parley_webhook_attempt *a = &list->items[i];
        json_array_append_new(
            items,
            json_pack("{s:i, s:o, s:o, s:I, s:o}", "attempt", a->attempt, "status_code",
                      a->status_code != 0 ? json_integer(a->status_code) : json_null(), "error",
                      a->error != NULL ? json_string(a->error) : json_null(), "duration_ms",
                      (json_int_t)a->duration_ms, "at", parley_time_to_json(a->at)));
    }
    return items;
}

/* One delivery of the log: the outbox's row, its event, its attempts. */
static parley_status delivery_entry(parley_chat_service *svc, const parley_delivery *d,
                                    json_t **out, parley_error *err) {
    parley_notification n;
    parley_webhook_attempt_list attempts;
    parley_status st = svc->repo->notifications->get(svc->repo, d->notification_id, &n, err);
    if (st != PARLEY_OK) {
        return st;
    }
    st = svc->repo->webhooks->attempt_list(svc->repo, d->id, &attempts, err);
    if (st == PARLEY_OK) {
        *out = parley_delivery_to_json(d);
        if (*out == NULL || json_object_set_new(*out, "event", json_string(n.event)) != 0 ||
            json_object_set_new(*out, "attempts_log", attempts_json(&attempts)) != 0) {
            json_decref(*out);
            *out = NULL;
            st = nomem(err);
        }
        parley_webhook_attempt_list_free(&attempts);
    }
    parley_notification_free(&n);
    return st;
}

parley_status parley_webhooks_deliveries(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, int limit, const char *cursor,
                                         json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    parley_webhook w;
    if (st != PARLEY_OK ||
        (st = not_found(svc->repo->webhooks->get(svc->repo, id, &w, err), err)) != PARLEY_OK) {
        return st;
    }
    parley_webhook_free(&w);
    parley_delivery_list list;
    char next[PARLEY_ID_SIZE * 2];
    st = svc->repo->webhooks->delivery_list(svc->repo, id, limit, cursor, &list, next, sizeof next,
                                            err);
    if (st == PARLEY_E_INVALID) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    json_t *items = json_array();
    for (size_t i = 0; st == PARLEY_OK && i < list.count; i++) {
        json_t *entry = NULL;
        if ((st = delivery_entry(svc, &list.items[i], &entry, err)) == PARLEY_OK) {
            json_array_append_new(items, entry);
        }
    }
    parley_delivery_list_free(&list);
    if (st == PARLEY_OK) {
        *out = json_pack("{s:O, s:o}", "deliveries", items, "next_cursor",
                         next[0] != '\0' ? json_string(next) : json_null());
        st = *out != NULL ? PARLEY_OK : nomem(err);
    }
    json_decref(items);
    return st;
}

parley_status parley_webhooks_replay(parley_chat_service *svc, const parley_participant *caller,
                                     const char *id, const char *delivery_id, const char *ip,
                                     json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = admin_check(svc, caller, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_delivery d;
    parley_notification n;
    bool ours = false;
    if ((st = svc->repo->notifications->delivery_get(svc->repo, delivery_id, &d, err)) ==
        PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such delivery");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    if ((st = svc->repo->notifications->get(svc->repo, d.notification_id, &n, err)) == PARLEY_OK) {
        ours = n.recipient_kind == PARLEY_PARTICIPANT_SYSTEM && strcmp(n.recipient_id, id) == 0 &&
               strcmp(d.channel, PARLEY_WEBHOOK_CHANNEL) == 0;
        parley_notification_free(&n);
    }
    if (st == PARLEY_OK && !ours) {
        st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                              "no such delivery of this webhook");
    }
    if (st == PARLEY_OK && d.state != PARLEY_DELIVERY_SENT && d.state != PARLEY_DELIVERY_DEAD) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                              "the delivery is still queued (%s)",
                              parley_delivery_state_name(d.state));
    }
    if (st == PARLEY_OK) {
        parley_time_ms now = parley_now_ms();
        d.state = PARLEY_DELIVERY_PENDING;
        d.attempts = 0;
        d.next_attempt_at = now;
        d.updated_at = now;
        d.sent_at = 0;
        free(d.last_error);
        d.last_error = NULL;
        st = svc->repo->notifications->delivery_update(svc->repo, &d, err);
    }
    if (st == PARLEY_OK) {
        st = audit(svc, caller, "webhook.replay", id, ip,
                   json_pack("{s:s}", "delivery_id", delivery_id), err);
    }
    if (st == PARLEY_OK && (*out = parley_delivery_to_json(&d)) == NULL) {
        st = nomem(err);
    }
    parley_delivery_free(&d);
    return st;
}
