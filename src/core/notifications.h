/*
 * notifications.h - the notification service's core (issue 14,
 * docs/subsystems/notifications.md): who is told what, decided inside the
 * unit of work of the cause, and what recipients and admins may read.
 *
 * The outbox. parley_notifications_subscribe() registers an in-unit
 * subscriber (core/event.h) on the typed events; for each cause it writes
 * the notifications (repo->notifications, core/store/notifications.h) and
 * one delivery per channel the recipient gets, in the SAME transaction as
 * the cause: a committed cause always has its notifications, a rolled-back
 * one never does, and the delivery worker (net/notify_worker.c) finds
 * whatever is still pending after a crash. A notification's dedupe_key
 * makes the same cause seen twice (a session.updated that changed
 * something else) write nothing.
 *
 *   cause (event)                          notification      recipients
 *   session.created waiting, no bot;       session.waiting   active agents who may take
 *   session.handoff                                          it (the team's, else all)
 *   session.updated with a new assigned_at session.assigned  the session's agent
 *   message.created from the customer      message.away      the session's agent, when
 *                                                            not connected
 *   note.created with "@Name"              note.mention      each agent named, not the
 *                                                            author
 *   ticket.created with an assignee        ticket.assigned   the assignee
 *   ticket.updated with an assignee        ticket.updated    the assignee
 *   message.created from staff             reply.offline     the customer, when not
 *                                                            connected
 *
 * "Connected" is asked of a parley_notify_online (below), which the
 * server keeps from its WebSocket connections.
 *
 * Threads: the subscriber runs on the emitting worker thread (the writer),
 * the service calls on the caller's worker thread; the notifier's fields
 * are set before the registry is sealed and only read afterwards. The
 * online set is shared by every thread and locks itself.
 * Ownership: the server owns the notifier and the online set and keeps
 * them until the executor has stopped; JSON results belong to the caller.
 */
#ifndef PARLEY_NOTIFICATIONS_H
#define PARLEY_NOTIFICATIONS_H

#include <jansson.h>
#include <pthread.h>

#include "core/chat_service.h"
#include "core/event.h"
#include "core/notifications_channels.h"
#include "core/participant.h"

/* The notification events (the `event` of a notification), by wire name. */
typedef enum parley_notify_event {
    PARLEY_NOTIFY_SESSION_WAITING = 0, /* "session.waiting" */
    PARLEY_NOTIFY_SESSION_ASSIGNED,    /* "session.assigned" */
    PARLEY_NOTIFY_MESSAGE_AWAY,        /* "message.away" */
    PARLEY_NOTIFY_NOTE_MENTION,        /* "note.mention" */
    PARLEY_NOTIFY_TICKET_ASSIGNED,     /* "ticket.assigned" */
    PARLEY_NOTIFY_TICKET_UPDATED,      /* "ticket.updated" */
    PARLEY_NOTIFY_REPLY_OFFLINE,       /* "reply.offline" */
    PARLEY_NOTIFY_EVENT_COUNT
} parley_notify_event;

const char *parley_notify_event_name(parley_notify_event event);
bool parley_notify_event_from_name(const char *name, parley_notify_event *out);

/* Who has a live connection now (a WebSocket): participant id -> count.
 * Filled by the server (net/ws/hub.c on connect and close), asked by the
 * subscriber on the writer. Locks itself; any thread. */
typedef struct parley_notify_online {
    pthread_mutex_t lock;
    struct parley_notify_online_entry *entries; /* uthash by id */
} parley_notify_online;

void parley_notify_online_init(parley_notify_online *online);
void parley_notify_online_free(parley_notify_online *online);
void parley_notify_online_add(parley_notify_online *online, const char *participant_id);
void parley_notify_online_remove(parley_notify_online *online, const char *participant_id);
/* online NULL: nobody is connected. */
bool parley_notify_online_has(parley_notify_online *online, const char *participant_id);

/* The subscriber's context. */
typedef struct parley_notifier {
    parley_notify_online *online; /* borrowed; NULL = nobody counts as connected */
    /* the channels a notification gets a delivery on (borrowed), when
     * they reach its recipient; none: notifications without deliveries */
    const parley_notify_channel_binding *channels;
    size_t channel_count;
} parley_notifier;

/* Registers the outbox's in-unit subscriber; false when the registry is
 * sealed or full. n must outlive the registry. */
bool parley_notifications_subscribe(parley_event_registry *reg, parley_notifier *n);
/* The types it listens to (the server pokes the delivery worker after
 * these commit). */
unsigned parley_notifications_event_types(void);

/* The password reset e-mail (issue 14): not a typed event's notification
 * but the account service's, written in its unit: the notification
 * "password.reset" to the agent and one delivery on the email channel
 * only (no preferences, no quiet hours), whose link carries the token the
 * channel derives from reset_id (core/password_reset.h). 503 unavailable
 * when nf has no email channel. */
#define PARLEY_NOTIFY_PASSWORD_RESET_EVENT "password.reset"
parley_status parley_notifications_password_reset(parley_repository *repo,
                                                  const parley_notifier *nf, const char *agent_id,
                                                  const char *reset_id, parley_error *err);

/* The wire form of a notification (the API's and the WebSocket frame's). */
json_t *parley_notification_to_json(const parley_notification *n);
json_t *parley_delivery_to_json(const parley_delivery *d);

/* --- what recipients and admins may do (authorization: the policy table) --- */

/* The caller's notifications, newest first:
 * {"notifications": [...], "next_cursor": "..."|null, "unread_count": N}. */
parley_status parley_notifications_list(parley_chat_service *svc, const parley_participant *caller,
                                        bool unread_only, int limit, const char *cursor,
                                        json_t **out, parley_error *err);
/* Marks one of the caller's read (404 when it is not theirs); *out the
 * notification. */
parley_status parley_notifications_mark_read(parley_chat_service *svc,
                                             const parley_participant *caller, const char *id,
                                             json_t **out, parley_error *err);
/* Marks every unread one of the caller's; *out {"marked": N, "unread_count": 0}. */
parley_status parley_notifications_mark_all_read(parley_chat_service *svc,
                                                 const parley_participant *caller, json_t **out,
                                                 parley_error *err);
/* The delivery log (admins), newest first: {"deliveries": [...],
 * "next_cursor"}; state NULL = any, notification_id NULL = any. */
parley_status parley_notifications_delivery_log(parley_chat_service *svc,
                                                const parley_participant *caller, const char *state,
                                                const char *notification_id, int limit,
                                                const char *cursor, json_t **out,
                                                parley_error *err);

/* --- preferences (notifications_prefs.c) ---------------------------------------- */

/* A user's effective preferences: the defaults (every event on every
 * channel of nf, no quiet hours) with what they stored applied. */
parley_status parley_notify_prefs_load(parley_chat_service *svc, const parley_notifier *nf,
                                       parley_participant_kind kind, const char *id, json_t **out,
                                       parley_error *err);
/* The defaults: every event on every channel of nf (but those a channel
 * keeps off: its default_on), no quiet hours. */
json_t *parley_notify_prefs_defaults(const parley_notifier *nf);
/* Applies change (a partial object, as PUT takes it) to prefs, checking
 * it: 400 validation_failed for anything but known events, nf's
 * channels, booleans and well-formed quiet hours (prefs may then be half
 * changed: the caller drops it). Pure; fuzz/fuzz_notify_prefs.c. */
parley_status parley_notify_prefs_apply(const parley_notifier *nf, json_t *prefs,
                                        const json_t *change, parley_error *err);
/* Does the user want this event on this channel? */
bool parley_notify_prefs_wants(const json_t *prefs, parley_notify_event event, const char *channel);
/* 0 outside quiet hours; inside, when they end (ms). */
parley_time_ms parley_notify_prefs_quiet_until(const json_t *prefs, parley_time_ms now);
/* GET /api/v1/notifications/preferences: the caller's effective ones. */
parley_status parley_notifications_prefs_get(parley_chat_service *svc, const parley_notifier *nf,
                                             const parley_participant *caller, json_t **out,
                                             parley_error *err);
/* PUT: applies change ({"events": {event: {channel: bool}}, "quiet_hours":
 * null | {start, end, utc_offset_minutes}}; each key optional), stores
 * and answers the effective whole (400 validation_failed when malformed). */
parley_status parley_notifications_prefs_update(parley_chat_service *svc, const parley_notifier *nf,
                                                const parley_participant *caller,
                                                const json_t *change, json_t **out,
                                                parley_error *err);

#endif
