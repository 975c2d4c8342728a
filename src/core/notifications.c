/*
 * notifications.c - the outbox's in-unit subscriber (who is told what,
 * written in the unit of the cause), the online set, and the recipients'
 * and admins' calls. See notifications.h for the table of causes and
 * docs/subsystems/notifications.md.
 *
 * Threads: the subscriber runs on the emitting worker thread inside its
 * unit; the calls on the caller's worker thread; the online set locks.
 */
#include "core/notifications.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/notifications_channels.h"

#define BODY_MAX_BYTES 280
#define KEY_SIZE 160
/* a session waiting is told to this many agents at most (a huge desk
 * relies on the queue, not on everyone's bell) */
#define WAITING_RECIPIENTS_MAX 200

static const char *const event_names[] = {
    "session.waiting", "session.assigned", "message.away",  "note.mention",
    "ticket.assigned", "ticket.updated",   "reply.offline",
};

const char *parley_notify_event_name(parley_notify_event event) {
    return (size_t)event < PARLEY_NOTIFY_EVENT_COUNT ? event_names[event] : "unknown";
}

bool parley_notify_event_from_name(const char *name, parley_notify_event *out) {
    for (size_t i = 0; name != NULL && i < PARLEY_NOTIFY_EVENT_COUNT; i++) {
        if (strcmp(event_names[i], name) == 0) {
            *out = (parley_notify_event)i;
            return true;
        }
    }
    return false;
}

/* ---- the online set ---------------------------------------------------------- */

struct parley_notify_online_entry {
    char id[PARLEY_ID_SIZE];
    int connections;
    UT_hash_handle hh;
};

void parley_notify_online_init(parley_notify_online *online) {
    pthread_mutex_init(&online->lock, NULL);
    online->entries = NULL;
}

void parley_notify_online_free(parley_notify_online *online) {
    struct parley_notify_online_entry *e, *tmp;
    HASH_ITER(hh, online->entries, e, tmp) {
        HASH_DEL(online->entries, e);
        free(e);
    }
    pthread_mutex_destroy(&online->lock);
}

void parley_notify_online_add(parley_notify_online *online, const char *participant_id) {
    if (online == NULL || strlen(participant_id) >= PARLEY_ID_SIZE || participant_id[0] == '\0') {
        return;
    }
    pthread_mutex_lock(&online->lock);
    struct parley_notify_online_entry *e = NULL;
    HASH_FIND_STR(online->entries, participant_id, e);
    if (e == NULL && (e = calloc(1, sizeof *e)) != NULL) {
        snprintf(e->id, sizeof e->id, "%s", participant_id);
        HASH_ADD_STR(online->entries, id, e);
    }
    if (e != NULL) { /* out of memory: counted as away, told one more time */
        e->connections++;
    }
    pthread_mutex_unlock(&online->lock);
}

void parley_notify_online_remove(parley_notify_online *online, const char *participant_id) {
    if (online == NULL) {
        return;
    }
    pthread_mutex_lock(&online->lock);
    struct parley_notify_online_entry *e = NULL;
    HASH_FIND_STR(online->entries, participant_id, e);
    if (e != NULL && --e->connections <= 0) {
        HASH_DEL(online->entries, e);
        free(e);
    }
    pthread_mutex_unlock(&online->lock);
}

bool parley_notify_online_has(parley_notify_online *online, const char *participant_id) {
    if (online == NULL) {
        return false;
    }
    pthread_mutex_lock(&online->lock);
    struct parley_notify_online_entry *e = NULL;
    HASH_FIND_STR(online->entries, participant_id, e);
    bool has = e != NULL;
    pthread_mutex_unlock(&online->lock);
    return has;
}

/* ---- writing the outbox ---------------------------------------------------------- */

/* One notification to write. */
typedef struct notify_spec {
    parley_notify_event event;
    parley_participant_kind kind;
    const char *recipient_id;
    const char *session_id; /* NULL none */
    const char *ticket_id;  /* NULL none */
    const char *title;
    const char *body; /* NULL: "" ; cut to BODY_MAX_BYTES on a character boundary */
    char dedupe_key[KEY_SIZE];
} notify_spec;

/* text cut to at most max bytes, never inside a UTF-8 sequence */
static char *excerpt(const char *text, size_t max) {
    size_t len = text != NULL ? strlen(text) : 0;
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    char *out = malloc(len + 1);
    if (out != NULL) {
        memcpy(out, text != NULL ? text : "", len);
        out[len] = '\0';
    }
    return out;
}

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

/* Which of nf's channels the recipient gets this event on (their
 * preferences) and from when (quiet hours); false: none at all. */
static parley_status channels_for(parley_chat_service *svc, const parley_notifier *nf,
                                  const notify_spec *spec, bool *wanted, bool *any,
                                  parley_time_ms now, parley_time_ms *due, parley_error *err) {
    json_t *prefs = NULL;
    *any = false;
    *due = now;
    parley_status st =
        parley_notify_prefs_load(svc, nf, spec->kind, spec->recipient_id, &prefs, err);
    for (size_t i = 0; st == PARLEY_OK && i < nf->channel_count; i++) {
        const parley_notify_channel *ch = nf->channels[i].channel;
        wanted[i] = ch->reaches(spec->kind) &&
                    parley_notify_prefs_wants(prefs, spec->event, ch->name) &&
                    (ch->reaches_recipient == NULL ||
                     ch->reaches_recipient(svc->repo, spec->kind, spec->recipient_id));
        *any = *any || wanted[i];
    }
    parley_time_ms quiet_until = st == PARLEY_OK ? parley_notify_prefs_quiet_until(prefs, now) : 0;
    if (quiet_until > now) {
        *due = quiet_until;
    }
    json_decref(prefs);
    return st;
}

/* A pending delivery of n on a channel, due at `due`; its idempotency key
 * is "<notification id>:<channel>". */
static parley_status insert_delivery(parley_repository *repo, const parley_notification *n,
                                     const char *channel, parley_time_ms due, parley_error *err) {
    char key[PARLEY_ID_SIZE + PARLEY_NOTIFY_CHANNEL_SIZE + 2];
    snprintf(key, sizeof key, "%s:%s", n->id, channel);
    parley_delivery d = {0};
    parley_id_new("dlv", d.id);
    snprintf(d.notification_id, sizeof d.notification_id, "%s", n->id);
    snprintf(d.channel, sizeof d.channel, "%s", channel);
    d.state = PARLEY_DELIVERY_PENDING;
    d.next_attempt_at = due;
    d.idempotency_key = key;
    d.created_at = n->created_at;
    d.updated_at = n->created_at;
    bool added = false;
    return repo->notifications->delivery_insert(repo, &d, &added, err);
}

/* The notification, and when it is new, one pending delivery per channel
 * the recipient gets (core/notifications_channels.h), due at once or when
 * their quiet hours end. Nothing when they want this event on no channel. */
static parley_status notify(parley_chat_service *svc, const parley_notifier *nf,
                            const notify_spec *spec, parley_error *err) {
    bool wanted[PARLEY_NOTIFY_CHANNELS_MAX] = {false};
    bool any = false;
    parley_time_ms now = parley_now_ms();
    parley_time_ms due = now;
    if (nf->channel_count > PARLEY_NOTIFY_CHANNELS_MAX) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "too many notification channels");
    }
    parley_status st = channels_for(svc, nf, spec, wanted, &any, now, &due, err);
    if (st != PARLEY_OK || (!any && nf->channel_count > 0)) {
        return st;
    }
    parley_notification n = {0};
    parley_id_new("ntf", n.id);
    n.recipient_kind = spec->kind;
    snprintf(n.recipient_id, sizeof n.recipient_id, "%s", spec->recipient_id);
    snprintf(n.event, sizeof n.event, "%s", parley_notify_event_name(spec->event));
    snprintf(n.session_id, sizeof n.session_id, "%s",
             spec->session_id != NULL ? spec->session_id : "");
    snprintf(n.ticket_id, sizeof n.ticket_id, "%s", spec->ticket_id != NULL ? spec->ticket_id : "");
    n.title = (char *)(uintptr_t)spec->title;
    n.body = excerpt(spec->body, BODY_MAX_BYTES);
    n.dedupe_key = (char *)(uintptr_t)spec->dedupe_key;
    n.created_at = now;
    if (n.body == NULL) {
        return nomem(err);
    }
    bool added = false;
    st = svc->repo->notifications->insert(svc->repo, &n, &added, err);
    free(n.body);
    for (size_t i = 0; st == PARLEY_OK && added && i < nf->channel_count; i++) {
        if (wanted[i]) {
            st = insert_delivery(svc->repo, &n, nf->channels[i].channel->name, due, err);
        }
    }
    return st;
}

parley_status parley_notifications_password_reset(parley_repository *repo,
                                                  const parley_notifier *nf, const char *agent_id,
                                                  const char *reset_id, parley_error *err) {
    bool has_email = false;
    for (size_t i = 0; i < nf->channel_count; i++) {
        has_email = has_email || strcmp(nf->channels[i].channel->name, "email") == 0;
    }
    if (!has_email) {
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL,
                                "password reset: the e-mail channel is off (--smtp-url)");
    }
    parley_notification n = {0};
    parley_id_new("ntf", n.id);
    n.recipient_kind = PARLEY_PARTICIPANT_AGENT;
    snprintf(n.recipient_id, sizeof n.recipient_id, "%s", agent_id);
    snprintf(n.event, sizeof n.event, "%s", PARLEY_NOTIFY_PASSWORD_RESET_EVENT);
    n.title = (char *)(uintptr_t) "Reset your Parley password";
    n.body = (char *)(uintptr_t) "Someone (hopefully you) asked to reset the password of this "
                                 "account. The link works once, and not for long. If it was not "
                                 "you, ignore this e-mail: your password stays as it is.";
    char key[KEY_SIZE];
    snprintf(key, sizeof key, "reset:%s", reset_id);
    n.dedupe_key = key;
    n.created_at = parley_now_ms();
    bool added = false;
    parley_status st = repo->notifications->insert(repo, &n, &added, err);
    return st == PARLEY_OK && added ? insert_delivery(repo, &n, "email", n.created_at, err) : st;
}

/* ---- who is told what -------------------------------------------------------- */

/* A session waiting for a person: every active agent who may take it (the
 * team's members when it has a team). `why` tells a new session from a
 * bot's handoff, which may wait again later. */
static parley_status notify_waiting(parley_chat_service *svc, const parley_notifier *nf,
                                    const parley_session *s, const char *why, parley_error *err) {
    parley_agent_list agents = {0};
    parley_status st = svc->repo->accounts->agent_list(svc->repo, &agents, err);
    size_t told = 0;
    for (size_t i = 0; st == PARLEY_OK && i < agents.count && told < WAITING_RECIPIENTS_MAX; i++) {
        const parley_agent *a = &agents.items[i];
        bool member = true;
        if (!a->active) {
            continue;
        }
        if (s->team_id[0] != '\0' &&
            ((st = svc->repo->desk->team_has_member(svc->repo, s->team_id, a->id, &member, err)) !=
                 PARLEY_OK ||
             !member)) {
            continue;
        }
        notify_spec spec = {.event = PARLEY_NOTIFY_SESSION_WAITING,
                            .kind = PARLEY_PARTICIPANT_AGENT,
                            .recipient_id = a->id,
                            .session_id = s->id,
                            .title = "A customer is waiting",
                            .body = s->topic};
        snprintf(spec.dedupe_key, sizeof spec.dedupe_key, "waiting:%s:%s:%s", why, s->id, a->id);
        st = notify(svc, nf, &spec, err);
        told++;
    }
    parley_agent_list_free(&agents);
    return st;
}

/* Nobody is told of their own act: the event's actor (an agent who
 * assigns a chat or a ticket to herself, or updates her own ticket). */
static bool own_act(const parley_event *e, const char *recipient_id) {
    return e->actor_id[0] != '\0' && strcmp(e->actor_id, recipient_id) == 0;
}

/* A new assignment (assigned_at moved): the session's agent, unless she
 * made it herself. An agent who takes a waiting chat by answering it
 * leaves assigned_at alone and is not told either. */
static parley_status notify_assigned(parley_chat_service *svc, const parley_notifier *nf,
                                     const parley_event *e, parley_error *err) {
    const parley_session *s = &e->session.session;
    if (s->status == PARLEY_SESSION_CLOSED || s->agent_id[0] == '\0' || s->assigned_at == 0 ||
        own_act(e, s->agent_id)) {
        return PARLEY_OK;
    }
    notify_spec spec = {.event = PARLEY_NOTIFY_SESSION_ASSIGNED,
                        .kind = PARLEY_PARTICIPANT_AGENT,
                        .recipient_id = s->agent_id,
                        .session_id = s->id,
                        .title = "A conversation was assigned to you",
                        .body = s->topic};
    snprintf(spec.dedupe_key, sizeof spec.dedupe_key, "assigned:%s:%lld", s->id,
             (long long)s->assigned_at);
    return notify(svc, nf, &spec, err);
}

static parley_status on_message(parley_chat_service *svc, const parley_notifier *nf,
                                const parley_event *e, parley_error *err) {
    const parley_message *m = &e->message.message;
    if (e->message.session_status == PARLEY_SESSION_CLOSED) {
        return PARLEY_OK;
    }
    notify_spec spec = {.session_id = e->session_id, .body = m->content};
    if (m->sender_kind == PARLEY_PARTICIPANT_CUSTOMER) {
        /* the session's agent, when away (no live connection) */
        if (e->message.agent_id[0] == '\0' ||
            parley_notify_online_has(nf->online, e->message.agent_id)) {
            return PARLEY_OK;
        }
        spec.event = PARLEY_NOTIFY_MESSAGE_AWAY;
        spec.kind = PARLEY_PARTICIPANT_AGENT;
        spec.recipient_id = e->message.agent_id;
        spec.title = "New message from a customer";
    } else if (m->sender_kind == PARLEY_PARTICIPANT_AGENT) {
        /* the customer, when not connected (told in the widget's inbox
         * now, by e-mail when that channel is on) */
        if (e->customer_id[0] == '\0' || parley_notify_online_has(nf->online, e->customer_id)) {
            return PARLEY_OK;
        }
        spec.event = PARLEY_NOTIFY_REPLY_OFFLINE;
        spec.kind = PARLEY_PARTICIPANT_CUSTOMER;
        spec.recipient_id = e->customer_id;
        spec.title = "You have a new reply";
    } else {
        return PARLEY_OK;
    }
    snprintf(spec.dedupe_key, sizeof spec.dedupe_key, "message:%s:%s", m->id, spec.recipient_id);
    return notify(svc, nf, &spec, err);
}

/* Does text mention name as "@name" (case-insensitive, followed by a
 * character that cannot continue a name)? */
static bool mentions(const char *text, const char *name, size_t name_len) {
    if (name_len == 0) {
        return false;
    }
    for (const char *at = strchr(text, '@'); at != NULL; at = strchr(at + 1, '@')) {
        if (strncasecmp(at + 1, name, name_len) == 0) {
            unsigned char next = (unsigned char)at[1 + name_len];
            if (next == '\0' || (!isalnum(next) && next != '_' && next < 0x80)) {
                return true;
            }
        }
    }
    return false;
}

/* "@Dana" or "@Dana Scully": the full name or its first word. */
static bool mentions_agent(const char *text, const char *name) {
    if (name == NULL) {
        return false;
    }
    size_t first = strcspn(name, " \t");
    return mentions(text, name, strlen(name)) || mentions(text, name, first);
}

static parley_status on_note(parley_chat_service *svc, const parley_notifier *nf,
                             const parley_event *e, parley_error *err) {
    const char *content = e->note.content;
    if (content == NULL || strchr(content, '@') == NULL) {
        return PARLEY_OK;
    }
    parley_agent_list agents = {0};
    parley_status st = svc->repo->accounts->agent_list(svc->repo, &agents, err);
    for (size_t i = 0; st == PARLEY_OK && i < agents.count; i++) {
        const parley_agent *a = &agents.items[i];
        if (!a->active || strcmp(a->id, e->note.author_id) == 0 ||
            !mentions_agent(content, a->name)) {
            continue;
        }
        notify_spec spec = {.event = PARLEY_NOTIFY_NOTE_MENTION,
                            .kind = PARLEY_PARTICIPANT_AGENT,
                            .recipient_id = a->id,
                            .session_id = e->session_id,
                            .title = "You were mentioned in a note",
                            .body = content};
        snprintf(spec.dedupe_key, sizeof spec.dedupe_key, "mention:%s:%s", e->note.id, a->id);
        st = notify(svc, nf, &spec, err);
    }
    parley_agent_list_free(&agents);
    return st;
}

static parley_status on_ticket(parley_chat_service *svc, const parley_notifier *nf,
                               const parley_event *e, parley_error *err) {
    const parley_ticket *t = &e->ticket;
    if (t->agent_id[0] == '\0' || own_act(e, t->agent_id)) {
        return PARLEY_OK;
    }
    bool created = e->type == PARLEY_EVENT_TICKET_CREATED;
    notify_spec spec = {
        .event = created ? PARLEY_NOTIFY_TICKET_ASSIGNED : PARLEY_NOTIFY_TICKET_UPDATED,
        .kind = PARLEY_PARTICIPANT_AGENT,
        .recipient_id = t->agent_id,
        .session_id = t->session_id,
        .ticket_id = t->id,
        .title = created ? "A ticket was assigned to you" : "A ticket of yours was updated",
        .body = t->subject != NULL ? t->subject : t->issue_description};
    snprintf(spec.dedupe_key, sizeof spec.dedupe_key, "ticket:%s:%s:%lld", t->id, t->agent_id,
             (long long)t->updated_at);
    return notify(svc, nf, &spec, err);
}

static parley_status on_handoff(parley_chat_service *svc, const parley_notifier *nf,
                                const parley_event *e, parley_error *err) {
    parley_session s;
    parley_status st = svc->repo->sessions->get(svc->repo, e->session_id, &s, err);
    if (st == PARLEY_OK && s.status == PARLEY_SESSION_WAITING && s.agent_id[0] == '\0') {
        char why[64];
        snprintf(why, sizeof why, "handoff-%lld", (long long)s.updated_at);
        st = notify_waiting(svc, nf, &s, why, err);
    }
    parley_session_free(&s);
    return st;
}

static parley_status on_event(void *ctx, parley_chat_service *svc, parley_event *e,
                              parley_error *err) {
    parley_notifier *nf = ctx;
    switch (e->type) {
    case PARLEY_EVENT_SESSION_CREATED: {
        const parley_session *s = &e->session.session;
        /* the bot answers first when it is attached; a person is called
         * when it hands over (session.handoff) */
        if (s->status == PARLEY_SESSION_WAITING && s->bot_id[0] == '\0' && s->agent_id[0] == '\0') {
            return notify_waiting(svc, nf, s, "created", err);
        }
        return PARLEY_OK;
    }
    case PARLEY_EVENT_SESSION_UPDATED:
        return notify_assigned(svc, nf, e, err);
    case PARLEY_EVENT_SESSION_HANDOFF:
        return on_handoff(svc, nf, e, err);
    case PARLEY_EVENT_MESSAGE_CREATED:
        return on_message(svc, nf, e, err);
    case PARLEY_EVENT_NOTE_CREATED:
        return on_note(svc, nf, e, err);
    case PARLEY_EVENT_TICKET_CREATED:
    case PARLEY_EVENT_TICKET_UPDATED:
        return on_ticket(svc, nf, e, err);
    default:
        return PARLEY_OK;
    }
}

unsigned parley_notifications_event_types(void) {
    return PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_UPDATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_HANDOFF) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_NOTE_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_TICKET_CREATED) |
           PARLEY_EVENT_BIT(PARLEY_EVENT_TICKET_UPDATED);
}

bool parley_notifications_subscribe(parley_event_registry *reg, parley_notifier *n) {
    return parley_event_subscribe_in_unit(reg, parley_notifications_event_types(), on_event, n);
}

/* ---- the wire form ------------------------------------------------------------ */

static json_t *opt_string(const char *s) {
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

json_t *parley_notification_to_json(const parley_notification *n) {
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:s, s:s, s:o, s:o}", "id", n->id, "event",
                     n->event, "recipient", "type", parley_participant_kind_name(n->recipient_kind),
                     "id", n->recipient_id, "session_id", opt_string(n->session_id), "ticket_id",
                     opt_string(n->ticket_id), "title", n->title != NULL ? n->title : "", "body",
                     n->body != NULL ? n->body : "", "created_at",
                     parley_time_to_json(n->created_at), "read_at",
                     n->read_at != 0 ? parley_time_to_json(n->read_at) : json_null());
}

json_t *parley_delivery_to_json(const parley_delivery *d) {
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s, s:o, s:o, s:o}", "id", d->id, "notification_id",
        d->notification_id, "channel", d->channel, "state", parley_delivery_state_name(d->state),
        "attempts", d->attempts, "next_attempt_at",
        d->state == PARLEY_DELIVERY_PENDING || d->state == PARLEY_DELIVERY_FAILED
            ? parley_time_to_json(d->next_attempt_at)
            : json_null(),
        "last_error", opt_string(d->last_error), "idempotency_key",
        d->idempotency_key != NULL ? d->idempotency_key : "", "created_at",
        parley_time_to_json(d->created_at), "updated_at", parley_time_to_json(d->updated_at),
        "sent_at", d->sent_at != 0 ? parley_time_to_json(d->sent_at) : json_null());
}

/* ---- recipients' and admins' calls ------------------------------------------------ */

/* A list read's status as the API answers it: a malformed cursor is the
 * client's (400). */
static parley_status cursor_checked(parley_status st, parley_error *err) {
    return st == PARLEY_E_INVALID
               ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed")
               : st;
}

/* {key: items, next_cursor} into *out (items stolen). */
static parley_status page_out(const char *key, json_t *items, const char *next_cursor, json_t **out,
                              parley_error *err) {
    *out = json_pack("{s:o, s:o}", key, items, "next_cursor", opt_string(next_cursor));
    return *out != NULL ? PARLEY_OK : nomem(err);
}

parley_status parley_notifications_list(parley_chat_service *svc, const parley_participant *caller,
                                        bool unread_only, int limit, const char *cursor,
                                        json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_participant_kind kind = parley_participant_kind_of(caller);
    parley_notification_list list;
    char next[PARLEY_ID_SIZE * 2];
    int64_t unread = 0;
    st = svc->repo->notifications->list(svc->repo, kind, caller->id, unread_only, limit, cursor,
                                        &list, next, sizeof next, err);
    if (st == PARLEY_OK) {
        st = svc->repo->notifications->unread_count(svc->repo, kind, caller->id, &unread, err);
        if (st != PARLEY_OK) {
            parley_notification_list_free(&list);
        }
    }
    if ((st = cursor_checked(st, err)) != PARLEY_OK) {
        return st;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < list.count; i++) {
        json_array_append_new(items, parley_notification_to_json(&list.items[i]));
    }
    parley_notification_list_free(&list);
    st = page_out("notifications", items, next, out, err);
    if (st == PARLEY_OK && json_object_set_new(*out, "unread_count", json_integer(unread)) != 0) {
        json_decref(*out);
        *out = NULL;
        st = nomem(err);
    }
    return st;
}

parley_status parley_notifications_mark_read(parley_chat_service *svc,
                                             const parley_participant *caller, const char *id,
                                             json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    bool changed = false;
    if (st == PARLEY_OK) {
        st = svc->repo->notifications->mark_read(svc->repo, id, parley_participant_kind_of(caller),
                                                 caller->id, parley_now_ms(), &changed, err);
    }
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such notification");
    }
    parley_notification n;
    if (st == PARLEY_OK &&
        (st = svc->repo->notifications->get(svc->repo, id, &n, err)) == PARLEY_OK) {
        *out = parley_notification_to_json(&n);
        parley_notification_free(&n);
        if (*out == NULL) {
            st = nomem(err);
        }
    }
    return st;
}

parley_status parley_notifications_mark_all_read(parley_chat_service *svc,
                                                 const parley_participant *caller, json_t **out,
                                                 parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    int64_t marked = 0;
    if (st == PARLEY_OK) {
        st = svc->repo->notifications->mark_all_read(svc->repo, parley_participant_kind_of(caller),
                                                     caller->id, parley_now_ms(), &marked, err);
    }
    if (st == PARLEY_OK &&
        (*out = json_pack("{s:I, s:i}", "marked", (json_int_t)marked, "unread_count", 0)) == NULL) {
        st = nomem(err);
    }
    return st;
}

parley_status parley_notifications_delivery_log(parley_chat_service *svc,
                                                const parley_participant *caller, const char *state,
                                                const char *notification_id, int limit,
                                                const char *cursor, json_t **out,
                                                parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_ADMIN, err);
    if (st != PARLEY_OK) {
        return st;
    }
    parley_delivery_filter filter = {.state = -1, .limit = limit};
    parley_delivery_state s;
    if (state != NULL && state[0] != '\0') {
        if (!parley_delivery_state_from_name(state, &s)) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "state: one of pending, sent, failed, dead");
        }
        filter.state = (int)s;
    }
    if (notification_id != NULL) {
        snprintf(filter.notification_id, sizeof filter.notification_id, "%s", notification_id);
    }
    if (cursor != NULL) {
        snprintf(filter.cursor, sizeof filter.cursor, "%s", cursor);
    }
    parley_delivery_list list;
    char next[PARLEY_ID_SIZE * 2];
    st = svc->repo->notifications->delivery_list(svc->repo, &filter, &list, next, sizeof next, err);
    if ((st = cursor_checked(st, err)) != PARLEY_OK) {
        return st;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < list.count; i++) {
        json_array_append_new(items, parley_delivery_to_json(&list.items[i]));
    }
    parley_delivery_list_free(&list);
    return page_out("deliveries", items, next, out, err);
}
