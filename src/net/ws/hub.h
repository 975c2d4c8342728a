/*
 * hub.h - realtime delivery: which WebSocket hears which event.
 *
 * Indexes live connections by role (agents), by customer and by subscribed
 * session, so publishing an event costs only its audience, not every
 * connection. A subscription first catches up from the database (history
 * after after_seq) while live events for it are held back, then switches to
 * live delivery; message events carry their seq and a subscription never
 * sends a seq it already sent, so nothing is missed or repeated.
 *
 * The hub is an after-commit subscriber of the event registry
 * (core/event.h): every committed event reaches parley_hub_publish.
 * With several nodes (--redis, net/cluster/bus.h) the bus also hands it
 * other nodes' events, already rendered (parley_hub_publish_frames), and
 * the hub runs in cluster mode (hub->cluster): a seq that skips ahead, or
 * a reconnect of the bus, sends a subscription back to the database
 * (sink->resync) so that nothing is missed or repeated.
 *
 * Threads: loop thread only. Ownership: the hub borrows connections; a
 * connection removes itself (parley_hub_remove_connection) before it is
 * freed, which also frees its subscriptions.
 */
#ifndef PARLEY_HUB_H
#define PARLEY_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "net/ws/conn_index.h"
#include "net/ws/event_frames.h"

typedef struct parley_ws parley_ws;
typedef struct parley_subscription parley_subscription;
typedef struct parley_hub_session parley_hub_session;
typedef struct parley_hub_customer parley_hub_customer;

typedef enum parley_subscription_state {
    PARLEY_SUB_CATCHING_UP = 0,
    PARLEY_SUB_LIVE
} parley_subscription_state;

/* A message event held back while its subscription catches up. */
typedef struct parley_held_event {
    struct parley_held_event *next;
    int64_t seq;
    size_t len;
    char frame[]; /* flexible: the frame text */
} parley_held_event;

/* What the hub needs from a connection: the hub's only way out to its
 * peers, so hub.c calls no WebSocket function by name. websocket.c
 * implements it (parley_ws_hub_sink, net/ws/websocket.h) and the server
 * hands it to parley_hub_init. Every callback runs on the loop thread. */
typedef struct parley_hub_sink {
    /* queues one text frame for the connection */
    void (*send_text)(parley_ws *ws, const char *text, size_t len);
    /* counts an event of len bytes held back for the connection against its
     * output limits (net/loop/conn.h); false: do not hold it (the connection
     * is being closed as too slow). unhold uncounts held bytes freed. */
    bool (*hold)(parley_ws *ws, size_t len);
    void (*unhold)(parley_ws *ws, size_t len);
    /* the id of the participant the connection authenticated as */
    const char *(*participant_id)(const parley_ws *ws);
    /* the hash of the token it authenticated with (net/ws/conn_index.h);
     * the same for the connection's whole life */
    const char *(*token_hash)(const parley_ws *ws);
    /* closes ws (1008) if it uses token_hash, or belongs to owner_id and does not
     * use keep_token_hash ("" for any of them: no match) */
    void (*revoke_if)(parley_ws *ws, const char *token_hash, const char *owner_id,
                      const char *keep_token_hash);
    /* cluster only (hub->cluster): the hub has put sub back into catching-up
     * state (a seq skipped ahead, or the bus reconnected); start reading its
     * history from the database again after sub->last_seq */
    void (*resync)(parley_ws *ws, parley_subscription *sub);
} parley_hub_sink;

struct parley_subscription {
    struct parley_subscription *next_in_session; /* hub's per-session list */
    struct parley_subscription *prev_in_session;
    struct parley_subscription *next_in_ws; /* the connection's list */
    parley_ws *ws;
    const parley_hub_sink *sink; /* the hub's, for calls that get only sub */
    parley_hub_session *session;
    char session_id[PARLEY_ID_SIZE];
    parley_subscription_state state;
    int64_t last_seq;
    parley_held_event *held_head;
    parley_held_event *held_tail;
    size_t held_bytes;
    bool cancelled;   /* unsubscribed while a catch-up job was running */
    bool job_running; /* a catch-up job holds a pointer to it */
    bool paced;       /* more history to send once the socket drains */
    bool detached;    /* no longer in the hub's per-session list */
    /* cluster only (net/cluster/bus.h): this catch-up is a resync of a live
     * subscription (no second "subscribed" frame); resync_again: read the
     * history once more before going live; resync_rounds: catch-ups in a
     * row started because held events skipped ahead (bounded) */
    bool resyncing;
    bool resync_again;
    unsigned resync_rounds;
};

typedef struct parley_hub {
    parley_hub_session *sessions;   /* uthash by session id */
    parley_hub_customer *customers; /* uthash by customer id */
    parley_ws *agents;              /* list of staff connections */
    /* every connection by its token's hash, staff connections by their
     * owner's id (customers': `customers`): a revocation looks up the
     * connections it names (net/ws/conn_index.h). index_partial: an add
     * ran out of memory, so revocations walk every connection instead */
    parley_conn_index by_token;
    parley_conn_index staff_by_id;
    bool index_partial;
    const parley_hub_sink *sink; /* how to reach a connection (borrowed) */
    uint64_t published;
    /* told of every connection and its end (core/notifications.h), so the
     * notification outbox knows who is away; borrowed, NULL = nobody */
    struct parley_notify_online *online;
    /* several nodes share the database (--redis, net/cluster/bus.h): events
     * of one session may arrive out of order or be lost with the bus, so a
     * live subscription whose next seq skips ahead catches up from the
     * database (sink->resync). false (one node): delivery as ever. */
    bool cluster;
    /* cluster: a typing frame relayed here is also handed to the bus
     * (best-effort); NULL = none */
    void (*relay_out)(void *ctx, const char *session_id, const char *frame, size_t len);
    void *relay_out_ctx;
} parley_hub;

/* sink is borrowed and must outlive the hub (a static table). */
void parley_hub_init(parley_hub *hub, const parley_hub_sink *sink);
void parley_hub_free(parley_hub *hub);

/* Registers a new connection under its role, its token and (staff) its
 * owner. */
void parley_hub_add_connection(parley_hub *hub, parley_ws *ws, bool is_staff,
                               const char *customer_id);
/* Unregisters it and frees all its subscriptions (held events included). */
void parley_hub_remove_connection(parley_hub *hub, parley_ws *ws);

/* Starts a subscription in catching-up state. Returns NULL when out of
 * memory. The connection keeps it in *ws_list. */
parley_subscription *parley_hub_subscribe(parley_hub *hub, parley_ws *ws,
                                          parley_subscription **ws_list, const char *session_id,
                                          int64_t after_seq);
/* Removes one subscription (it must not be referenced by a running job:
 * mark it cancelled instead and remove it when the job completes). */
void parley_hub_unsubscribe(parley_hub *hub, parley_subscription **ws_list,
                            parley_subscription *sub);
/* Takes the subscription out of the hub's indexes (no more events) but
 * keeps its memory, which parley_hub_subscription_free() releases later. */
void parley_hub_detach(parley_hub *hub, parley_subscription *sub);
void parley_hub_subscription_free(parley_subscription *sub);

/* Finds the connection's subscription to a session, or NULL. */
parley_subscription *parley_hub_find_subscription(parley_subscription *ws_list,
                                                  const char *session_id);
/* Sends one caught-up message frame (seq) if not yet sent. */
void parley_hub_deliver_caught_up(parley_subscription *sub, int64_t seq, const char *frame,
                                  size_t len);
/* Ends catch-up: sends held events newer than last_seq, goes live. */
void parley_hub_go_live(parley_subscription *sub);
/* Cluster: sorts the held events by seq and goes live as above, unless one
 * skips ahead of last_seq + 1 (an earlier seq was read from the database
 * before it committed elsewhere, or is still on its way): then it stays
 * catching up and returns false, and the caller reads the history again
 * (at most a few rounds in a row, then it goes live anyway). One node
 * (hub->cluster false): parley_hub_go_live, true. */
bool parley_hub_go_live_gapless(const parley_hub *hub, parley_subscription *sub);
/* Cluster: every subscription catches up from the database again (the bus
 * reconnected: events of the outage were never heard). */
void parley_hub_resync_all(parley_hub *hub);

/* Bytes held back across a connection's catching-up subscriptions. */
/* Cluster, the periodic last_seq check (net/cluster/seq_check.h): calls
 * fn for every session with subscriptions here, then (catch_up) resyncs
 * the live subscriptions of session_id that have not reached seq; returns
 * how many. */
void parley_hub_each_session(parley_hub *hub, void (*fn)(void *ctx, const char *session_id),
                             void *ctx);
size_t parley_hub_catch_up(parley_hub *hub, const char *session_id, int64_t seq);
size_t parley_hub_held_bytes(const parley_subscription *ws_list);

/* Delivers a committed event to its audience: renders its frame
 * (net/ws/event_frames.h) once per view, staff's to agents, the public one to
 * the customer and the session's subscribers; token.revoked closes the
 * connections it names instead. */
void parley_hub_publish(parley_hub *hub, const parley_event *event);
/* The same with frames already rendered (parley_event_frames_init_rendered):
 * an event another node committed, from the cluster bus. event carries only
 * the routing fields (type, audience, ids, seq, revoked). */
void parley_hub_publish_frames(parley_hub *hub, const parley_event *event,
                               parley_event_frames *frames);
/* Subscribes the hub after commit to every event type (core/event.h). */
bool parley_hub_subscribe_events(parley_hub *hub, parley_event_registry *reg);

/* Sends one frame to every connection of a participant (staff: an agent
 * or admin id; else a customer id): the notification service's in_app
 * channel. */
void parley_hub_send_to_participant(parley_hub *hub, bool staff, const char *participant_id,
                                    const char *frame, size_t len);

/* Relays a typing frame to the session's live subscribers except `from`
 * (and to the cluster bus, hub->relay_out). */
void parley_hub_relay(parley_hub *hub, const char *session_id, const parley_ws *from,
                      const char *frame, size_t len);
/* A typing frame from another node: this node's live subscribers only. */
void parley_hub_relay_local(parley_hub *hub, const char *session_id, const char *frame, size_t len);

#endif
