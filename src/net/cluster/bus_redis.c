/*
 * bus_redis.c - the cluster bus over Redis pub/sub (bus.h), with hiredis's
 * async API on this node's libuv loop (<hiredis/adapters/libuv.h>).
 *
 * Two connections: `pub` sends PUBLISH commands, `sub` is in subscribe
 * mode on every channel (PARLEY_CLUSTER_BUCKETS session buckets,
 * parley:agents, parley:revoke). Either may drop; a timer reconnects what
 * is missing, backing off from 100 ms to 5 s, and each change is logged.
 * When `sub` has confirmed every channel the hub resyncs all its
 * subscriptions from the database (bus.h: what was published while this
 * node was not listening is read from PostgreSQL). Events committed while
 * `pub` is down wait in a backlog (at most BACKLOG_MAX envelopes; past it
 * the oldest are dropped and counted: the other nodes' gap detection and
 * resync read them from the database) and are published on reconnect, in
 * order. Typing frames are never kept.
 *
 * Threads: loop thread only. Ownership: the bus owns both contexts (hiredis
 * frees a context after its disconnect callback), the backlog and the
 * timer.
 */
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/cluster/bus.h"
#include "net/cluster/share_codec.h"
#include "net/ws/event_frames.h"
#include "net/ws/hub.h"
#include "util/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define BACKLOG_MAX 10000
#define WATCHDOG_MS 250
#define CONNECT_TIMEOUT_MS 3000
#define CHANNEL_COUNT (PARLEY_CLUSTER_BUCKETS + 4)

typedef struct backlog_item {
    struct backlog_item *next;
    char channel[PARLEY_CLUSTER_CHANNEL_SIZE];
    char *payload;
} backlog_item;

typedef struct redis_bus {
    parley_cluster_bus base; /* first */
    uv_loop_t *loop;
    parley_redis_url url;
    char where[300]; /* host:port or the socket path, for the log */
    redisAsyncContext *pub;
    redisAsyncContext *sub;
    bool pub_ready;
    bool sub_ready;
    bool ever_subscribed;
    bool was_down;      /* a "connected" line is logged after a "lost" one */
    int confirmed;      /* channels the current `sub` has confirmed */
    bool pub_connected; /* the connect callback said yes */
    bool sub_connected;
    uint64_t pub_started; /* uv_now when the attempt began */
    uint64_t sub_started;
    uv_timer_t retry;
    uv_timer_t watchdog;
    unsigned backoff_ms;
    bool closing;
    backlog_item *backlog_head;
    backlog_item *backlog_tail;
    size_t backlog_count;
    /* tests only (PARLEY_TEST_CLUSTER_NO_PUBLISH=1): committed events are
     * not published, as if the node died between commit and PUBLISH each
     * time (the periodic last_seq check must bring them) */
    bool test_no_publish;
} redis_bus;

static void schedule_retry(redis_bus *rb);
static void connect_missing(redis_bus *rb);

static void send_publish(redis_bus *rb, const char *channel, const char *payload) {
    if (redisAsyncCommand(rb->pub, NULL, NULL, "PUBLISH %s %s", channel, payload) == REDIS_OK) {
        rb->base.stats.published++;
    } else {
        rb->base.stats.dropped++;
    }
}

static void backlog_push(redis_bus *rb, const char *channel, char *payload) {
    if (rb->backlog_count >= BACKLOG_MAX) {
        backlog_item *old = rb->backlog_head;
        rb->backlog_head = old->next;
        if (rb->backlog_head == NULL) {
            rb->backlog_tail = NULL;
        }
        free(old->payload);
        free(old);
        rb->backlog_count--;
        rb->base.stats.dropped++;
    }
    backlog_item *item = calloc(1, sizeof *item);
    if (item == NULL) {
        free(payload);
        rb->base.stats.dropped++;
        return;
    }
    snprintf(item->channel, sizeof item->channel, "%s", channel);
    item->payload = payload;
    if (rb->backlog_tail != NULL) {
        rb->backlog_tail->next = item;
    } else {
        rb->backlog_head = item;
    }
    rb->backlog_tail = item;
    rb->backlog_count++;
}

static void backlog_flush(redis_bus *rb) {
    while (rb->backlog_head != NULL && rb->pub_ready) {
        backlog_item *item = rb->backlog_head;
        rb->backlog_head = item->next;
        rb->backlog_count--;
        send_publish(rb, item->channel, item->payload);
        free(item->payload);
        free(item);
    }
    if (rb->backlog_head == NULL) {
        rb->backlog_tail = NULL;
    }
}

/* --- publishing ------------------------------------------------------------- */

static void redis_publish(parley_cluster_bus *bus, const parley_event *event) {
    redis_bus *rb = (redis_bus *)bus;
    if (rb->closing || rb->test_no_publish) {
        return;
    }
    unsigned a = event->audience;
    bool revoke = event->type == PARLEY_EVENT_TOKEN_REVOKED;
    bool wants_staff = (a & PARLEY_AUDIENCE_AGENTS) != 0;
    bool wants_public = (a & (PARLEY_AUDIENCE_CUSTOMER | PARLEY_AUDIENCE_SUBSCRIBERS)) != 0;
    if (!revoke && !wants_staff && !wants_public) {
        return; /* no WebSocket hears it anywhere */
    }
    /* rendered again here, not shared with the local hub's rendering: the
     * registry hands each subscriber the event alone (a cost of the
     * foundation, docs/subsystems/cluster.md) */
    parley_event_frames frames;
    parley_event_frames_init(&frames, event);
    size_t len = 0;
    const char *pub =
        !revoke && wants_public ? parley_event_frames_get(&frames, false, &len) : NULL;
    const char *staff =
        !revoke && wants_staff ? parley_event_frames_get(&frames, true, &len) : NULL;
    if (staff == pub) {
        staff = NULL;
    } else if (pub == NULL) {
        pub = staff; /* agents only: their frame travels as the one frame */
        staff = NULL;
    }
    char *payload =
        (revoke || pub != NULL) ? parley_cluster_encode(bus->node_id, event, pub, staff) : NULL;
    parley_event_frames_free(&frames);
    if (payload == NULL) {
        bus->stats.dropped++;
        return;
    }
    char channel[PARLEY_CLUSTER_CHANNEL_SIZE];
    parley_cluster_channel_of(event, channel);
    if (rb->pub_ready && rb->backlog_head == NULL) {
        send_publish(rb, channel, payload);
        free(payload);
    } else {
        backlog_push(rb, channel, payload); /* published in order on reconnect */
    }
}

static void redis_publish_typing(parley_cluster_bus *bus, const char *session_id,
                                 const char *frame) {
    redis_bus *rb = (redis_bus *)bus;
    if (rb->closing || !rb->pub_ready) {
        return; /* best-effort */
    }
    char *payload = parley_cluster_encode_typing(bus->node_id, session_id, frame);
    if (payload != NULL) {
        char channel[PARLEY_CLUSTER_CHANNEL_SIZE];
        parley_cluster_session_channel(session_id, channel);
        send_publish(rb, channel, payload);
        free(payload);
    }
}

static void redis_send(parley_cluster_bus *bus, const char *channel, const char *payload) {
    redis_bus *rb = (redis_bus *)bus;
    if (!rb->closing && rb->pub_ready) {
        send_publish(rb, channel, payload);
    }
}

/* --- subscribing ------------------------------------------------------------ */

static void on_sub_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata) {
    redis_bus *rb = privdata;
    const redisReply *reply = reply_ptr;
    if (reply == NULL || rb->closing || ac != rb->sub) {
        return; /* the connection is going away */
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        return;
    }
    const char *kind = reply->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        if (++rb->confirmed == CHANNEL_COUNT) {
            /* subscribed before catching up: from now on nothing published
             * is missed, so every WebSocket subscription reads what it may
             * have missed from the database */
            rb->sub_ready = true;
            rb->backoff_ms = 0;
            if (rb->ever_subscribed) {
                rb->base.stats.reconnects++;
            }
            rb->ever_subscribed = true;
            parley_log_info("cluster bus: subscribed on redis %s as node %s; resyncing "
                            "every subscription from the database",
                            rb->where, rb->base.node_id);
            parley_hub_resync_all(rb->base.hub);
            parley_cluster_bus_topics_subscribed(&rb->base);
        }
    } else if (strcmp(kind, "message") == 0 && reply->element[2]->type == REDIS_REPLY_STRING &&
               reply->element[1]->type == REDIS_REPLY_STRING) {
        const char *channel = reply->element[1]->str;
        if (strcmp(channel, PARLEY_CLUSTER_PRESENCE_CHANNEL) == 0 ||
            strcmp(channel, PARLEY_CLUSTER_CHANGED_CHANNEL) == 0) {
            parley_cluster_bus_topic_message(&rb->base, channel, reply->element[2]->str,
                                             reply->element[2]->len);
        } else {
            parley_cluster_bus_receive(&rb->base, reply->element[2]->str, reply->element[2]->len);
        }
    }
}

static void subscribe_all(redis_bus *rb) {
    char names[CHANNEL_COUNT][PARLEY_CLUSTER_CHANNEL_SIZE];
    const char *argv[CHANNEL_COUNT + 1];
    size_t lens[CHANNEL_COUNT + 1];
    argv[0] = "SUBSCRIBE";
    lens[0] = strlen(argv[0]);
    for (int i = 0; i < PARLEY_CLUSTER_BUCKETS; i++) {
        snprintf(names[i], sizeof names[i], "parley:s:%d", i);
    }
    snprintf(names[PARLEY_CLUSTER_BUCKETS], sizeof names[0], "parley:agents");
    snprintf(names[PARLEY_CLUSTER_BUCKETS + 1], sizeof names[0], "parley:revoke");
    snprintf(names[PARLEY_CLUSTER_BUCKETS + 2], sizeof names[0], PARLEY_CLUSTER_PRESENCE_CHANNEL);
    snprintf(names[PARLEY_CLUSTER_BUCKETS + 3], sizeof names[0], PARLEY_CLUSTER_CHANGED_CHANNEL);
    for (int i = 0; i < CHANNEL_COUNT; i++) {
        argv[i + 1] = names[i];
        lens[i + 1] = strlen(names[i]);
    }
    rb->confirmed = 0;
    redisAsyncCommandArgv(rb->sub, on_sub_reply, rb, CHANNEL_COUNT + 1, argv, lens);
}

/* --- connections ------------------------------------------------------------ */

static void lost(redis_bus *rb, const redisAsyncContext *ac, const char *what) {
    bool was_sub = ac == rb->sub;
    if (was_sub) {
        rb->sub = NULL;
        rb->sub_ready = rb->sub_connected = false;
    } else if (ac == rb->pub) {
        rb->pub = NULL;
        rb->pub_ready = rb->pub_connected = false;
    } else {
        return;
    }
    if (rb->closing) {
        return;
    }
    rb->was_down = true;
    parley_log_warn("cluster bus: redis %s %s (%s connection): %s; reconnecting", rb->where, what,
                    was_sub ? "subscribe" : "publish",
                    ac->errstr[0] != '\0' ? ac->errstr : "closed");
    schedule_retry(rb);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    redis_bus *rb = ac->data;
    if (status != REDIS_OK) {
        lost(rb, ac, "unreachable"); /* hiredis frees ac after this callback */
        return;
    }
    if (ac == rb->sub) {
        rb->sub_connected = true;
    }
    if (ac == rb->pub) {
        rb->pub_connected = true;
        rb->pub_ready = true;
        if (rb->was_down) {
            parley_log_info("cluster bus: redis %s reachable again; publishing %zu waiting "
                            "events",
                            rb->where, rb->backlog_count);
        }
        backlog_flush(rb);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    (void)status;
    lost(ac->data, ac, "lost");
}

static redisAsyncContext *open_one(redis_bus *rb) {
    redisAsyncContext *ac = rb->url.path[0] != '\0' ? redisAsyncConnectUnix(rb->url.path)
                                                    : redisAsyncConnect(rb->url.host, rb->url.port);
    if (ac == NULL) {
        return NULL;
    }
    if (ac->err != 0) {
        parley_log_warn("cluster bus: redis %s: %s", rb->where, ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = rb;
    if (redisLibuvAttach(ac, rb->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (rb->url.db != 0) {
        /* pub/sub channels are server-wide; the database is for keys */
        redisAsyncCommand(ac, NULL, NULL, "SELECT %d", rb->url.db);
    }
    return ac;
}

static void connect_missing(redis_bus *rb) {
    if (rb->closing) {
        return;
    }
    if (rb->pub == NULL) {
        rb->pub = open_one(rb);
        rb->pub_started = uv_now(rb->loop);
    }
    if (rb->sub == NULL) {
        rb->sub = open_one(rb);
        rb->sub_started = uv_now(rb->loop);
        if (rb->sub != NULL) {
            subscribe_all(rb); /* sent once the connection is up */
        }
    }
    if (rb->pub == NULL || rb->sub == NULL) {
        schedule_retry(rb);
    }
}

static void on_retry(uv_timer_t *timer) {
    connect_missing(timer->data);
}

static void schedule_retry(redis_bus *rb) {
    if (rb->closing || uv_is_active((uv_handle_t *)&rb->retry)) {
        return;
    }
    rb->backoff_ms = rb->backoff_ms == 0 ? BACKOFF_MIN_MS : rb->backoff_ms * 2;
    if (rb->backoff_ms > BACKOFF_MAX_MS) {
        rb->backoff_ms = BACKOFF_MAX_MS;
    }
    uv_timer_start(&rb->retry, on_retry, rb->backoff_ms, 0);
}

/* Is this connection stuck? hiredis's libuv adapter ignores a poll error
 * (its callback returns on status != 0, and libuv has stopped the poll
 * handle): a refused connect or a reset socket would then wait forever
 * without a callback. A context whose poll handle stopped, or whose
 * connect has not finished in CONNECT_TIMEOUT_MS, is freed and retried. */
static bool stalled(const redisAsyncContext *ac, bool connected, uint64_t started, uint64_t now) {
    const redisLibuvEvents *p = ac->ev.data;
    if (p != NULL && !uv_is_active((const uv_handle_t *)&p->handle)) {
        return true;
    }
    return !connected && now - started > CONNECT_TIMEOUT_MS;
}

static void drop_if_stalled(redis_bus *rb, redisAsyncContext **slot, bool connected,
                            uint64_t started) {
    redisAsyncContext *ac = *slot;
    if (ac == NULL || !stalled(ac, connected, started, uv_now(rb->loop))) {
        return;
    }
    bool was_sub = ac == rb->sub;
    *slot = NULL; /* its disconnect callback no longer matches */
    if (was_sub) {
        rb->sub_ready = rb->sub_connected = false;
    } else {
        rb->pub_ready = rb->pub_connected = false;
    }
    if (connected || !rb->was_down) {
        parley_log_warn("cluster bus: redis %s %s (%s connection); reconnecting", rb->where,
                        connected ? "lost" : "unreachable", was_sub ? "subscribe" : "publish");
    }
    rb->was_down = true;
    redisAsyncFree(ac);
    schedule_retry(rb);
}

static void on_watchdog(uv_timer_t *timer) {
    redis_bus *rb = timer->data;
    drop_if_stalled(rb, &rb->pub, rb->pub_connected, rb->pub_started);
    drop_if_stalled(rb, &rb->sub, rb->sub_connected, rb->sub_started);
}

static bool redis_connected(const parley_cluster_bus *bus) {
    const redis_bus *rb = (const redis_bus *)bus;
    return rb->sub_ready && rb->pub_ready;
}

static void redis_close(parley_cluster_bus *bus) {
    redis_bus *rb = (redis_bus *)bus;
    if (rb->closing) {
        return;
    }
    rb->closing = true;
    uv_timer_stop(&rb->retry);
    uv_close((uv_handle_t *)&rb->retry, NULL);
    uv_timer_stop(&rb->watchdog);
    uv_close((uv_handle_t *)&rb->watchdog, NULL);
    redisAsyncContext *pub = rb->pub;
    redisAsyncContext *sub = rb->sub;
    rb->pub = rb->sub = NULL;
    rb->pub_ready = rb->sub_ready = false;
    if (pub != NULL) {
        redisAsyncDisconnect(pub); /* after the PUBLISHes already written */
    }
    if (sub != NULL) {
        redisAsyncFree(sub);
    }
}

static void redis_free(parley_cluster_bus *bus) {
    redis_bus *rb = (redis_bus *)bus;
    while (rb->backlog_head != NULL) {
        backlog_item *next = rb->backlog_head->next;
        free(rb->backlog_head->payload);
        free(rb->backlog_head);
        rb->backlog_head = next;
    }
    free(rb);
}

static const parley_cluster_bus_ops redis_ops = {
    .name = "redis",
    .publish = redis_publish,
    .publish_typing = redis_publish_typing,
    .send = redis_send,
    .connected = redis_connected,
    .close = redis_close,
    .free = redis_free,
};

parley_cluster_bus *parley_cluster_bus_redis_new(const parley_redis_url *url, uv_loop_t *loop) {
    redis_bus *rb = calloc(1, sizeof *rb);
    if (rb == NULL) {
        return NULL;
    }
    rb->base.ops = &redis_ops;
    rb->loop = loop;
    rb->url = *url;
    if (url->path[0] != '\0') {
        snprintf(rb->where, sizeof rb->where, "unix:%s", url->path);
    } else {
        snprintf(rb->where, sizeof rb->where, "%s:%d", url->host, url->port);
    }
    const char *no_publish = getenv("PARLEY_TEST_CLUSTER_NO_PUBLISH");
    if (no_publish != NULL && strcmp(no_publish, "1") == 0) {
        rb->test_no_publish = true;
        parley_log_warn("cluster bus: PARLEY_TEST_CLUSTER_NO_PUBLISH=1: this node publishes no "
                        "committed event (a test switch; never in production)");
    }
    uv_timer_init(loop, &rb->retry);
    rb->retry.data = rb;
    uv_timer_init(loop, &rb->watchdog);
    rb->watchdog.data = rb;
    uv_timer_start(&rb->watchdog, on_watchdog, WATCHDOG_MS, WATCHDOG_MS);
    connect_missing(rb);
    return &rb->base;
}
