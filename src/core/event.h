/*
 * event.h - typed domain events (message.created, session.updated, ...),
 * their audience, and the registry of who subscribes to them.
 *
 * An event says what happened in the domain, with a copy of what changed
 * (the message, the session, the ticket...), and who may hear of it (the
 * audience bits below): the service that emits it decides the audience,
 * the delivery layers only execute that decision. It is not a WebSocket
 * frame: the hub (net/ws/hub.c, net/ws/event_frames.c) renders frames from it.
 *
 * Two phases (docs/subsystems/events.md):
 *
 *   in unit       parley_event_emit() calls each in-unit subscriber of the
 *                 event's type, in registration order, synchronously on the
 *                 emitting thread, inside the emitting unit of work: it may
 *                 read and write through the service (same transaction),
 *                 amend the event's payload (a new session's bot, team and
 *                 last_seq) and emit events of its own, which are queued
 *                 before the event that caused them. An error from one
 *                 fails the emission and so the whole unit (rolled back).
 *                 Then the event is appended to the unit's queue.
 *   after commit  once the unit's transaction has committed, the executor
 *                 hands each queued event, in order, to
 *                 parley_event_deliver_after_commit() on the loop thread,
 *                 which calls each after-commit subscriber of its type in
 *                 registration order. A unit that fails or whose commit
 *                 fails drops its queue: after-commit subscribers never
 *                 hear of rolled-back data.
 *
 * The core emits, and does not know who listens: net/ (server.c) fills
 * the registry at start (the ChatBot and routing in unit; the hub, the
 * dispatcher, the bot's jobs and the metrics after commit).
 *
 * Ownership: an event owns its payload (deep copies); a queue owns its
 * events; the registry borrows each subscriber's ctx, which must outlive
 * it. Whoever creates a registry (the server) owns it and keeps it alive
 * until the executor has stopped.
 * Threads: a registry is filled on one thread before any unit runs, then
 * sealed (parley_event_registry_seal) and only read, by every worker
 * thread (in-unit) and the loop thread (after commit), without locks. A
 * queue is filled on one worker thread, then moved whole to the loop
 * thread, which delivers and frees it. In-unit subscribers run on worker
 * threads (the writer for state changes), after-commit ones on the loop
 * thread and must not block.
 */
#ifndef PARLEY_EVENT_H
#define PARLEY_EVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "core/model.h"

typedef enum parley_event_type {
    PARLEY_EVENT_MESSAGE_CREATED = 0, /* .message */
    PARLEY_EVENT_SESSION_CREATED,     /* .session */
    PARLEY_EVENT_SESSION_UPDATED,     /* .session */
    PARLEY_EVENT_TICKET_UPDATED,      /* .ticket */
    PARLEY_EVENT_SETTINGS_UPDATED,    /* .settings */
    PARLEY_EVENT_TOKEN_REVOKED,       /* .revoked: connections using it must close */
    PARLEY_EVENT_SESSION_HANDOFF,     /* .handoff: the bot handed the session over */
    PARLEY_EVENT_PRESENCE_UPDATED,    /* .presence: an agent's presence changed */
    PARLEY_EVENT_QUEUE_UPDATED,       /* .queue: a waiting customer's place */
    PARLEY_EVENT_NOTE_CREATED,        /* .note: a private note, staff only */
    PARLEY_EVENT_SESSION_READ,        /* .read: a participant's read receipt moved */
    PARLEY_EVENT_TICKET_CREATED,      /* .ticket */
    PARLEY_EVENT_TICKET_NOTE_CREATED, /* .ticket_note: staff only */
    PARLEY_EVENT_FEEDBACK_REQUESTED,  /* no payload: the session closed, please rate */
    PARLEY_EVENT_TYPE_COUNT
} parley_event_type;

/* A set of event types, for subscribing. */
#define PARLEY_EVENT_BIT(type) (1u << (unsigned)(type))
#define PARLEY_EVENT_ALL ((1u << (unsigned)PARLEY_EVENT_TYPE_COUNT) - 1u)

/* The wire name ("message.created", ...). */
const char *parley_event_type_name(parley_event_type type);

enum {
    PARLEY_AUDIENCE_AGENTS = 1u << 0,      /* every connected agent and admin */
    PARLEY_AUDIENCE_SUBSCRIBERS = 1u << 1, /* connections subscribed to session_id */
    PARLEY_AUDIENCE_CUSTOMER = 1u << 2,    /* every connection of customer_id */
    PARLEY_AUDIENCE_TOKEN = 1u << 3,       /* every connection authenticated by the token */
    PARLEY_AUDIENCE_OWNER = 1u << 4        /* every connection of the participant */
};

/* message.created: the stored message, and the session as the storing
 * unit left it (what the bot needs to decide whether to answer). */
typedef struct parley_event_message {
    parley_message message;
    char agent_id[PARLEY_ID_SIZE];
    char bot_id[PARLEY_ID_SIZE];
    parley_session_status session_status;
} parley_event_message;

/* session.created / session.updated: the session. Staff get it whole, the
 * customer without labels. */
typedef struct parley_event_session {
    parley_session session;
    /* session.created, in-unit phase only: the team the customer asked for
     * (NULL = by topic); borrowed, NULL once the event is queued */
    const char *asked_team_id;
    /* session.created, in-unit phase only: the strategies.policy setting
     * the emitter read in this unit to resolve the chain (core/team_policy.h
     * uses it rather than reading it again); borrowed, NULL once queued */
    json_t *policy;
} parley_event_session;

typedef struct parley_event_note {
    char id[PARLEY_ID_SIZE];
    parley_participant_kind author_kind;
    char author_id[PARLEY_ID_SIZE];
    char *content;
    parley_time_ms created_at;
} parley_event_note;

typedef struct parley_event_read {
    parley_participant_kind kind;
    char participant_id[PARLEY_ID_SIZE];
    int64_t last_read_seq;
} parley_event_read;

typedef struct parley_event_presence {
    char agent_id[PARLEY_ID_SIZE];
    parley_agent_status status;
    parley_time_ms since;
} parley_event_presence;

typedef struct parley_event_queue_position {
    int position;
    bool wait_known;      /* false: estimated_wait_seconds is null */
    int64_t wait_seconds; /* the estimate, when known */
} parley_event_queue_position;

typedef struct parley_event_revocation {
    char token_hash[PARLEY_TOKEN_HASH_SIZE]; /* PARLEY_AUDIENCE_TOKEN: one token */
    char owner_id[PARLEY_ID_SIZE];           /* PARLEY_AUDIENCE_OWNER: all of a participant's */
    char keep_token_hash[PARLEY_TOKEN_HASH_SIZE]; /* with OWNER: this one stays ("" none) */
} parley_event_revocation;

typedef struct parley_event_handoff {
    char reason[16]; /* "requested" | "no_answer" */
    char bot_id[PARLEY_ID_SIZE];
    bool agents_available;
} parley_event_handoff;

typedef struct parley_event {
    struct parley_event *next;
    parley_event_type type;
    unsigned audience;
    char session_id[PARLEY_ID_SIZE];  /* "" when none */
    char customer_id[PARLEY_ID_SIZE]; /* the session's customer, "" when none */
    int64_t seq; /* message.created: the message's seq (the hub's gapless delivery); else 0 */
    /* who acted, when a person did and the emitter knows it (an agent
     * assigning, transferring, creating or updating a ticket); "" for the
     * system (routing, timers, the bot). In-unit subscribers read it (the
     * notification service tells nobody of their own act); it does not
     * travel on the cluster bus. */
    char actor_id[PARLEY_ID_SIZE];
    union { /* by type, see the enum */
        parley_event_message message;
        parley_event_session session;
        parley_ticket ticket;
        parley_ticket_note ticket_note;
        parley_event_note note;
        parley_event_read read;
        parley_event_presence presence;
        parley_event_queue_position queue;
        json_t *settings; /* the settings object (a deep copy, the event's own) */
        parley_event_revocation revoked;
        parley_event_handoff handoff;
    };
} parley_event;

typedef struct parley_event_queue {
    parley_event *head;
    parley_event *tail;
    size_t count;
} parley_event_queue;

/* A new event with an empty payload for the caller to fill (copies it
 * owns), or NULL when out of memory. */
parley_event *parley_event_new(parley_event_type type, unsigned audience, const char *session_id,
                               const char *customer_id);
/* Frees the event and its payload (not the events linked after it). */
void parley_event_free(parley_event *event);

/* Moves every event of src to the end of dst; src becomes empty. */
void parley_event_queue_move(parley_event_queue *dst, parley_event_queue *src);
void parley_event_queue_clear(parley_event_queue *queue);

/* --- the subscriber registry ------------------------------------------------ */

/* The unit of work a subscriber writes in (core/chat_service.h). */
typedef struct parley_chat_service parley_chat_service;

/* In unit: may amend *event and write through svc; an error fails the unit. */
typedef parley_status (*parley_event_in_unit_fn)(void *ctx, parley_chat_service *svc,
                                                 parley_event *event, parley_error *err);
/* After commit, on the loop thread: must not block. */
typedef void (*parley_event_after_commit_fn)(void *ctx, const parley_event *event);

#define PARLEY_EVENT_SUBSCRIBERS_MAX 16

typedef struct parley_event_subscriber {
    unsigned types; /* PARLEY_EVENT_BIT(...) | ... */
    parley_event_in_unit_fn in_unit;
    parley_event_after_commit_fn after_commit;
    void *ctx;
} parley_event_subscriber;

typedef struct parley_event_registry {
    parley_event_subscriber in_unit[PARLEY_EVENT_SUBSCRIBERS_MAX];
    size_t in_unit_count;
    parley_event_subscriber after_commit[PARLEY_EVENT_SUBSCRIBERS_MAX];
    size_t after_commit_count;
    bool sealed;
} parley_event_registry;

void parley_event_registry_init(parley_event_registry *reg);
/* Adds a subscriber for the types in `types`, called after those added
 * before it. False when the registry is sealed or full. */
bool parley_event_subscribe_in_unit(parley_event_registry *reg, unsigned types,
                                    parley_event_in_unit_fn fn, void *ctx);
bool parley_event_subscribe_after_commit(parley_event_registry *reg, unsigned types,
                                         parley_event_after_commit_fn fn, void *ctx);
/* No more subscribers: from now on the registry is shared read-only. */
void parley_event_registry_seal(parley_event_registry *reg);

/* The in-unit phase, then queueing: runs reg's in-unit subscribers of the
 * event's type (reg may be NULL: none), then appends the event to queue.
 * Takes ownership of event (NULL = out of memory): freed on failure. On
 * success the event stays readable through the caller's pointer until the
 * queue is cleared (the caller may read back an amended payload). */
parley_status parley_event_emit(const parley_event_registry *reg, parley_chat_service *svc,
                                parley_event_queue *queue, parley_event *event, parley_error *err);

/* The after-commit phase of one committed event (loop thread). */
void parley_event_deliver_after_commit(const parley_event_registry *reg, const parley_event *event);

#endif
