#include "net/ws/hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/notifications.h"
#include "net/ws/event_frames.h"

/* Subscriptions of one session. */
struct parley_hub_session {
    char id[PARLEY_ID_SIZE];
    parley_subscription *subs;
    UT_hash_handle hh;
};

/* Open connections of one customer. */
typedef struct customer_conn {
    struct customer_conn *next;
    parley_ws *ws;
} customer_conn;

struct parley_hub_customer {
    char id[PARLEY_ID_SIZE];
    customer_conn *conns;
    UT_hash_handle hh;
};

/* Staff connections are chained through this wrapper to keep parley_ws
 * opaque to the hub. */
typedef struct agent_conn {
    struct agent_conn *next;
    parley_ws *ws;
} agent_conn;

void parley_hub_init(parley_hub *hub, const parley_hub_sink *sink) {
    memset(hub, 0, sizeof *hub);
    hub->sink = sink;
}

static void free_held(parley_subscription *sub) {
    if (sub->held_bytes > 0) {
        sub->sink->unhold(sub->ws, sub->held_bytes);
    }
    parley_held_event *e = sub->held_head;
    while (e != NULL) {
        parley_held_event *next = e->next;
        free(e);
        e = next;
    }
    sub->held_head = sub->held_tail = NULL;
    sub->held_bytes = 0;
}

void parley_hub_free(parley_hub *hub) {
    parley_hub_session *s, *stmp;
    HASH_ITER(hh, hub->sessions, s, stmp) {
        HASH_DEL(hub->sessions, s);
        free(s);
    }
    parley_hub_customer *c, *ctmp;
    HASH_ITER(hh, hub->customers, c, ctmp) {
        HASH_DEL(hub->customers, c);
        customer_conn *cc = c->conns;
        while (cc != NULL) {
            customer_conn *next = cc->next;
            free(cc);
            cc = next;
        }
        free(c);
    }
    agent_conn *a = (agent_conn *)(void *)hub->agents;
    while (a != NULL) {
        agent_conn *next = a->next;
        free(a);
        a = next;
    }
    hub->agents = NULL;
    parley_conn_index_free(&hub->by_token);
    parley_conn_index_free(&hub->staff_by_id);
}

void parley_hub_add_connection(parley_hub *hub, parley_ws *ws, bool is_staff,
                               const char *customer_id) {
    parley_notify_online_add(hub->online, customer_id != NULL ? customer_id : "");
    if (!parley_conn_index_add(&hub->by_token, hub->sink->token_hash(ws), ws) ||
        (is_staff &&
         !parley_conn_index_add(&hub->staff_by_id, hub->sink->participant_id(ws), ws))) {
        hub->index_partial = true;
    }
    if (is_staff) {
        agent_conn *a = calloc(1, sizeof *a);
        if (a != NULL) {
            a->ws = ws;
            a->next = (agent_conn *)(void *)hub->agents;
            hub->agents = (parley_ws *)(void *)a;
        }
        return;
    }
    if (customer_id == NULL || customer_id[0] == '\0') {
        return;
    }
    parley_hub_customer *c = NULL;
    HASH_FIND_STR(hub->customers, customer_id, c);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            return;
        }
        snprintf(c->id, sizeof c->id, "%s", customer_id);
        HASH_ADD_STR(hub->customers, id, c);
    }
    customer_conn *cc = calloc(1, sizeof *cc);
    if (cc != NULL) {
        cc->ws = ws;
        cc->next = c->conns;
        c->conns = cc;
    }
}

static void unlink_from_session(parley_hub *hub, parley_subscription *sub) {
    parley_hub_session *s = sub->session;
    if (sub->detached) {
        return;
    }
    sub->detached = true;
    if (sub->prev_in_session != NULL) {
        sub->prev_in_session->next_in_session = sub->next_in_session;
    } else {
        s->subs = sub->next_in_session;
    }
    if (sub->next_in_session != NULL) {
        sub->next_in_session->prev_in_session = sub->prev_in_session;
    }
    if (s->subs == NULL) {
        HASH_DEL(hub->sessions, s);
        free(s);
    }
}

void parley_hub_remove_connection(parley_hub *hub, parley_ws *ws) {
    parley_notify_online_remove(hub->online, hub->sink->participant_id(ws));
    (void)parley_conn_index_remove(&hub->by_token, hub->sink->token_hash(ws), ws);
    (void)parley_conn_index_remove(&hub->staff_by_id, hub->sink->participant_id(ws), ws);
    agent_conn **ap = (agent_conn **)(void *)&hub->agents;
    while (*ap != NULL) {
        if ((*ap)->ws == ws) {
            agent_conn *dead = *ap;
            *ap = dead->next;
            free(dead);
            break;
        }
        ap = &(*ap)->next;
    }
    parley_hub_customer *c = NULL;
    const char *participant_id = hub->sink->participant_id(ws);
    HASH_FIND_STR(hub->customers, participant_id, c);
    if (c != NULL) {
        customer_conn **cp = &c->conns;
        while (*cp != NULL) {
            if ((*cp)->ws == ws) {
                customer_conn *dead = *cp;
                *cp = dead->next;
                free(dead);
                break;
            }
            cp = &(*cp)->next;
        }
        if (c->conns == NULL) {
            HASH_DEL(hub->customers, c);
            free(c);
        }
    }
}

parley_subscription *parley_hub_subscribe(parley_hub *hub, parley_ws *ws,
                                          parley_subscription **ws_list, const char *session_id,
                                          int64_t after_seq) {
    parley_hub_session *s = NULL;
    HASH_FIND_STR(hub->sessions, session_id, s);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL) {
            return NULL;
        }
        snprintf(s->id, sizeof s->id, "%s", session_id);
        HASH_ADD_STR(hub->sessions, id, s);
    }
    parley_subscription *sub = calloc(1, sizeof *sub);
    if (sub == NULL) {
        if (s->subs == NULL) {
            HASH_DEL(hub->sessions, s);
            free(s);
        }
        return NULL;
    }
    sub->ws = ws;
    sub->sink = hub->sink;
    sub->session = s;
    snprintf(sub->session_id, sizeof sub->session_id, "%s", session_id);
    sub->state = PARLEY_SUB_CATCHING_UP;
    sub->last_seq = after_seq;
    sub->next_in_session = s->subs;
    if (s->subs != NULL) {
        s->subs->prev_in_session = sub;
    }
    s->subs = sub;
    sub->next_in_ws = *ws_list;
    *ws_list = sub;
    return sub;
}

void parley_hub_detach(parley_hub *hub, parley_subscription *sub) {
    unlink_from_session(hub, sub);
}

void parley_hub_subscription_free(parley_subscription *sub) {
    free_held(sub);
    free(sub);
}

void parley_hub_unsubscribe(parley_hub *hub, parley_subscription **ws_list,
                            parley_subscription *sub) {
    for (parley_subscription **p = ws_list; *p != NULL; p = &(*p)->next_in_ws) {
        if (*p == sub) {
            *p = sub->next_in_ws;
            break;
        }
    }
    unlink_from_session(hub, sub);
    free_held(sub);
    free(sub);
}

parley_subscription *parley_hub_find_subscription(parley_subscription *ws_list,
                                                  const char *session_id) {
    for (parley_subscription *sub = ws_list; sub != NULL; sub = sub->next_in_ws) {
        if (!sub->cancelled && strcmp(sub->session_id, session_id) == 0) {
            return sub;
        }
    }
    return NULL;
}

void parley_hub_deliver_caught_up(parley_subscription *sub, int64_t seq, const char *frame,
                                  size_t len) {
    if (seq > sub->last_seq) {
        sub->sink->send_text(sub->ws, frame, len);
        sub->last_seq = seq;
    }
}

void parley_hub_go_live(parley_subscription *sub) {
    /* each held event stops counting as it is queued, so the connection's
     * output limit never sees the same bytes twice */
    parley_held_event *e = sub->held_head;
    sub->held_head = sub->held_tail = NULL;
    sub->held_bytes = 0;
    while (e != NULL) {
        parley_held_event *next = e->next;
        sub->sink->unhold(sub->ws, e->len);
        parley_hub_deliver_caught_up(sub, e->seq, e->frame, e->len);
        free(e);
        e = next;
    }
    sub->state = PARLEY_SUB_LIVE;
}

/* Cluster: the held events sorted by seq (an insertion sort: a held list
 * is a catch-up's worth of live events, short). */
static void sort_held(parley_subscription *sub) {
    parley_held_event *sorted = NULL;
    parley_held_event *e = sub->held_head;
    while (e != NULL) {
        parley_held_event *next = e->next;
        parley_held_event **p = &sorted;
        while (*p != NULL && (*p)->seq <= e->seq) {
            p = &(*p)->next;
        }
        e->next = *p;
        *p = e;
        e = next;
    }
    sub->held_head = sorted;
    sub->held_tail = NULL;
    for (parley_held_event *t = sorted; t != NULL; t = t->next) {
        sub->held_tail = t;
    }
}

/* catch-ups in a row for held events that skip ahead before going live
 * anyway: a seq can only be missing from the database for the moment its
 * commit takes, so a second read finds it */
#define RESYNC_ROUNDS_MAX 3

bool parley_hub_go_live_gapless(const parley_hub *hub, parley_subscription *sub) {
    if (hub->cluster) {
        sort_held(sub);
        int64_t expect = sub->last_seq + 1;
        for (parley_held_event *e = sub->held_head; e != NULL; e = e->next) {
            if (e->seq > expect && sub->resync_rounds < RESYNC_ROUNDS_MAX) {
                sub->resync_rounds++;
                return false; /* the caller reads the history again */
            }
            if (e->seq >= expect) {
                expect = e->seq + 1;
            }
        }
    }
    sub->resync_rounds = 0;
    parley_hub_go_live(sub);
    return true;
}

/* Cluster: sub catches up from the database again; live events are held
 * meanwhile and sent after it, as for a new subscription. */
static void resync(parley_subscription *sub) {
    if (sub->cancelled || sub->sink->resync == NULL) {
        return;
    }
    if (sub->state == PARLEY_SUB_LIVE) {
        sub->state = PARLEY_SUB_CATCHING_UP;
        sub->resyncing = true;
        sub->sink->resync(sub->ws, sub);
    } else {
        sub->resync_again = true; /* its catch-up reads once more before going live */
    }
}

void parley_hub_resync_all(parley_hub *hub) {
    parley_hub_session *s, *stmp;
    HASH_ITER(hh, hub->sessions, s, stmp) {
        /* a resync may end in an error that unsubscribes: walk a copy of
         * next before each call */
        parley_subscription *sub = s->subs;
        while (sub != NULL) {
            parley_subscription *next = sub->next_in_session;
            resync(sub);
            sub = next;
        }
    }
}

void parley_hub_each_session(parley_hub *hub, void (*fn)(void *ctx, const char *session_id),
                             void *ctx) {
    parley_hub_session *s, *stmp;
    HASH_ITER(hh, hub->sessions, s, stmp) {
        if (s->subs != NULL) {
            fn(ctx, s->id);
        }
    }
}

size_t parley_hub_catch_up(parley_hub *hub, const char *session_id, int64_t seq) {
    parley_hub_session *s = NULL;
    HASH_FIND_STR(hub->sessions, session_id, s);
    size_t n = 0;
    parley_subscription *sub = s != NULL ? s->subs : NULL;
    while (sub != NULL) {
        parley_subscription *next = sub->next_in_session; /* resync may unsubscribe */
        if (sub->state == PARLEY_SUB_LIVE && !sub->cancelled && sub->last_seq < seq) {
            resync(sub);
            n++;
        }
        sub = next;
    }
    return n;
}

size_t parley_hub_held_bytes(const parley_subscription *ws_list) {
    size_t total = 0;
    for (const parley_subscription *sub = ws_list; sub != NULL; sub = sub->next_in_ws) {
        total += sub->held_bytes;
    }
    return total;
}

static void hold(parley_subscription *sub, int64_t seq, const char *frame, size_t len) {
    if (!sub->sink->hold(sub->ws, len)) {
        return; /* the connection is closed as too slow; its resume recovers it */
    }
    parley_held_event *e = malloc(sizeof *e + len + 1);
    if (e == NULL) {
        sub->sink->unhold(sub->ws, len);
        return; /* the client's resume (after_seq) recovers it */
    }
    e->next = NULL;
    e->seq = seq;
    e->len = len;
    memcpy(e->frame, frame, len + 1);
    if (sub->held_tail != NULL) {
        sub->held_tail->next = e;
    } else {
        sub->held_head = e;
    }
    sub->held_tail = e;
    sub->held_bytes += len;
}

/* The fallback when the indexes missed a connection (out of memory). */
static void revoke_walking_all(parley_hub *hub, const char *token_hash, const char *owner_id,
                               const char *keep) {
    for (agent_conn *a = (agent_conn *)(void *)hub->agents; a != NULL; a = a->next) {
        hub->sink->revoke_if(a->ws, token_hash, owner_id, keep);
    }
    parley_hub_customer *c, *ctmp;
    HASH_ITER(hh, hub->customers, c, ctmp) {
        for (customer_conn *cc = c->conns; cc != NULL; cc = cc->next) {
            hub->sink->revoke_if(cc->ws, token_hash, owner_id, keep);
        }
    }
}

/* Appends the connections filed under key to *list (grown as needed). */
static bool gather(const parley_conn_index *ix, const char *key, void ***list, size_t *n) {
    size_t more = parley_conn_index_find(ix, key, NULL, 0);
    if (more == 0) {
        return true;
    }
    void **grown = realloc(*list, (*n + more) * sizeof *grown);
    if (grown == NULL) {
        return false;
    }
    *list = grown;
    *n += parley_conn_index_find(ix, key, grown + *n, more);
    return true;
}

/* Only the connections the revocation names are looked at: the token's
 * (by_token) and the owner's (staff_by_id, or the customer's list). They
 * are gathered first, then told: closing one may change the lists. One
 * named twice (its token and its owner) is told twice; revoke_if closes
 * once. */
static void revoke(parley_hub *hub, const char *token_hash, const char *owner_id,
                   const char *keep) {
    void **conns = NULL;
    size_t n = 0;
    bool ok = !hub->index_partial && gather(&hub->by_token, token_hash, &conns, &n) &&
              gather(&hub->staff_by_id, owner_id, &conns, &n);
    parley_hub_customer *c = NULL;
    if (ok && owner_id[0] != '\0') {
        HASH_FIND_STR(hub->customers, owner_id, c);
    }
    for (customer_conn *cc = c != NULL ? c->conns : NULL; ok && cc != NULL; cc = cc->next) {
        void **grown = realloc(conns, (n + 1) * sizeof *grown);
        ok = grown != NULL;
        if (ok) {
            conns = grown;
            conns[n++] = cc->ws;
        }
    }
    if (!ok) {
        free(conns);
        revoke_walking_all(hub, token_hash, owner_id, keep);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        hub->sink->revoke_if(conns[i], token_hash, owner_id, keep);
    }
    free(conns);
}

static void publish_to_session(parley_hub *hub, const parley_event *event,
                               parley_event_frames *frames) {
    parley_hub_session *s = NULL;
    HASH_FIND_STR(hub->sessions, event->session_id, s);
    /* next is taken first: a cluster resync that fails unsubscribes sub */
    parley_subscription *next = NULL;
    for (parley_subscription *sub = s != NULL ? s->subs : NULL; sub != NULL; sub = next) {
        next = sub->next_in_session;
        if (sub->cancelled || (event->seq <= 0 && sub->state != PARLEY_SUB_LIVE)) {
            continue;
        }
        /* a subscription may be anyone's: the public view */
        size_t len = 0;
        const char *frame = parley_event_frames_get(frames, false, &len);
        if (frame == NULL) {
            return;
        }
        if (event->seq <= 0) {
            sub->sink->send_text(sub->ws, frame, len);
        } else if (sub->state == PARLEY_SUB_CATCHING_UP) {
            hold(sub, event->seq, frame, len);
        } else if (hub->cluster && event->seq > sub->last_seq + 1) {
            /* cluster: an earlier seq is still on its way from another
             * node, or was lost with the bus: hold this one and read the
             * history (the after_seq resume path) */
            hold(sub, event->seq, frame, len);
            resync(sub);
        } else {
            parley_hub_deliver_caught_up(sub, event->seq, frame, len);
        }
    }
}

void parley_hub_publish(parley_hub *hub, const parley_event *event) {
    /* rendered once per view, on first need: an event nobody hears is
     * never serialised */
    parley_event_frames frames;
    parley_event_frames_init(&frames, event);
    parley_hub_publish_frames(hub, event, &frames);
    parley_event_frames_free(&frames);
}

void parley_hub_publish_frames(parley_hub *hub, const parley_event *event,
                               parley_event_frames *frames) {
    if (event->type == PARLEY_EVENT_TOKEN_REVOKED) {
        revoke(hub, (event->audience & PARLEY_AUDIENCE_TOKEN) ? event->revoked.token_hash : "",
               (event->audience & PARLEY_AUDIENCE_OWNER) ? event->revoked.owner_id : "",
               event->revoked.keep_token_hash);
        return;
    }
    if ((event->audience &
         (PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER | PARLEY_AUDIENCE_SUBSCRIBERS)) == 0) {
        return;
    }
    hub->published++;
    size_t len = 0;
    const char *frame = NULL;
    if (event->audience & PARLEY_AUDIENCE_AGENTS) {
        for (agent_conn *a = (agent_conn *)(void *)hub->agents; a != NULL; a = a->next) {
            if (frame == NULL && (frame = parley_event_frames_get(frames, true, &len)) == NULL) {
                break;
            }
            hub->sink->send_text(a->ws, frame, len);
        }
    }
    if ((event->audience & PARLEY_AUDIENCE_CUSTOMER) && event->customer_id[0] != '\0') {
        parley_hub_customer *c = NULL;
        HASH_FIND_STR(hub->customers, event->customer_id, c);
        frame = NULL;
        for (customer_conn *cc = c != NULL ? c->conns : NULL; cc != NULL; cc = cc->next) {
            if (frame == NULL && (frame = parley_event_frames_get(frames, false, &len)) == NULL) {
                break;
            }
            hub->sink->send_text(cc->ws, frame, len);
        }
    }
    if (event->audience & PARLEY_AUDIENCE_SUBSCRIBERS) {
        publish_to_session(hub, event, frames);
    }
}

static void on_event(void *ctx, const parley_event *event) {
    parley_hub_publish(ctx, event);
}

bool parley_hub_subscribe_events(parley_hub *hub, parley_event_registry *reg) {
    return parley_event_subscribe_after_commit(reg, PARLEY_EVENT_ALL, on_event, hub);
}

void parley_hub_send_to_participant(parley_hub *hub, bool staff, const char *participant_id,
                                    const char *frame, size_t len) {
    if (staff && !hub->index_partial) {
        void **conns = NULL;
        size_t n = 0;
        if (parley_conn_index_snapshot(&hub->staff_by_id, participant_id, &conns, &n)) {
            for (size_t i = 0; i < n; i++) {
                hub->sink->send_text(conns[i], frame, len);
            }
            free(conns);
            return;
        }
    }
    if (staff) {
        for (agent_conn *a = (agent_conn *)(void *)hub->agents; a != NULL; a = a->next) {
            if (strcmp(hub->sink->participant_id(a->ws), participant_id) == 0) {
                hub->sink->send_text(a->ws, frame, len);
            }
        }
        return;
    }
    parley_hub_customer *c = NULL;
    HASH_FIND_STR(hub->customers, participant_id, c);
    for (customer_conn *cc = c != NULL ? c->conns : NULL; cc != NULL; cc = cc->next) {
        hub->sink->send_text(cc->ws, frame, len);
    }
}

static void relay(parley_hub *hub, const char *session_id, const parley_ws *from, const char *frame,
                  size_t len) {
    parley_hub_session *s = NULL;
    HASH_FIND_STR(hub->sessions, session_id, s);
    for (parley_subscription *sub = s != NULL ? s->subs : NULL; sub != NULL;
         sub = sub->next_in_session) {
        if (sub->ws != from && !sub->cancelled && sub->state == PARLEY_SUB_LIVE) {
            sub->sink->send_text(sub->ws, frame, len);
        }
    }
}

void parley_hub_relay(parley_hub *hub, const char *session_id, const parley_ws *from,
                      const char *frame, size_t len) {
    relay(hub, session_id, from, frame, len);
    if (hub->relay_out != NULL) {
        hub->relay_out(hub->relay_out_ctx, session_id, frame, len);
    }
}

void parley_hub_relay_local(parley_hub *hub, const char *session_id, const char *frame,
                            size_t len) {
    relay(hub, session_id, NULL, frame, len);
}
