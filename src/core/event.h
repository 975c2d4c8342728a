/*
 * event.h - realtime events (message.created, session.updated, ...) and
 * their audience.
 *
 * The code that emits an event decides who may receive it (the audience
 * bits below); the delivery layer only executes that decision. Events are
 * queued while a unit of work runs and published only after its
 * transaction commits, so nobody ever sees an event for data that was
 * rolled back.
 *
 * Ownership: a queue owns its events; an event owns its frame text.
 * Threads: a queue is filled on a worker thread, then moved whole to the
 * event-loop thread, which publishes and frees it.
 */
#ifndef PARLEY_EVENT_H
#define PARLEY_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/model.h"

typedef enum parley_event_type {
    PARLEY_EVENT_MESSAGE_CREATED = 0,
    PARLEY_EVENT_SESSION_CREATED,
    PARLEY_EVENT_SESSION_UPDATED,
    PARLEY_EVENT_TICKET_UPDATED,
    PARLEY_EVENT_TYPING,
    PARLEY_EVENT_SETTINGS_UPDATED,
    PARLEY_EVENT_TOKEN_REVOKED, /* internal: connections using token_hash must close */
    PARLEY_EVENT_SESSION_HANDOFF,
    PARLEY_EVENT_BOT_TURN,         /* internal, no audience: a bot should answer message seq of
                                     session_id (core/chat_bot.h); the server queues its job */
    PARLEY_EVENT_PRESENCE_UPDATED, /* an agent's presence changed (core/presence.h) */
    PARLEY_EVENT_QUEUE_UPDATED,    /* a waiting customer's queue position (core/routing.h) */
    PARLEY_EVENT_NOTE_CREATED,     /* a private note: staff only */
    PARLEY_EVENT_SESSION_READ,     /* a participant's read receipt moved */
    PARLEY_EVENT_TICKET_CREATED,
    PARLEY_EVENT_TICKET_NOTE_CREATED, /* staff only */
    PARLEY_EVENT_FEEDBACK_REQUESTED   /* to the customer of a session that closed */
} parley_event_type;

enum {
    PARLEY_AUDIENCE_AGENTS = 1u << 0,      /* every connected agent and admin */
    PARLEY_AUDIENCE_SUBSCRIBERS = 1u << 1, /* connections subscribed to session_id */
    PARLEY_AUDIENCE_CUSTOMER = 1u << 2,    /* every connection of customer_id */
    PARLEY_AUDIENCE_TOKEN = 1u << 3,       /* every connection authenticated by token_hash */
    PARLEY_AUDIENCE_OWNER = 1u << 4        /* every connection of participant owner_id */
};

typedef struct parley_event {
    struct parley_event *next;
    parley_event_type type;
    unsigned audience;
    char session_id[PARLEY_ID_SIZE];
    char customer_id[PARLEY_ID_SIZE];
    char exclude_id[PARLEY_ID_SIZE];         /* a participant not to send to ("" = none) */
    int64_t seq;                             /* message.created: the message's seq; else 0 */
    char token_hash[PARLEY_TOKEN_HASH_SIZE]; /* token.revoked: one token */
    char owner_id[PARLEY_ID_SIZE];           /* token.revoked: all of a participant's */
    char *frame;                             /* the WebSocket text frame, JSON */
    size_t frame_len;
} parley_event;

typedef struct parley_event_queue {
    parley_event *head;
    parley_event *tail;
    size_t count;
} parley_event_queue;

/* Serialises frame (the reference is stolen) and appends an event. */
parley_status parley_event_emit(parley_event_queue *queue, parley_event_type type,
                                unsigned audience, const char *session_id, const char *customer_id,
                                int64_t seq, json_t *frame, parley_error *err);

/* Moves every event of src to the end of dst; src becomes empty. */
void parley_event_queue_move(parley_event_queue *dst, parley_event_queue *src);

void parley_event_queue_clear(parley_event_queue *queue);

#endif
