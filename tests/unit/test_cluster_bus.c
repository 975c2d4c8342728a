/*
 * test_cluster_bus.c - the cluster bus's pure parts and the hub's cluster
 * mode (docs/subsystems/cluster.md): the --redis URL, channels, envelopes
 * (round trip, refusals), a received envelope reaching the hub unless this
 * node sent it; and, with a fake sink, what the hub does with seqs from
 * several nodes: one node delivers as ever, a cluster hub holds a seq that
 * skips ahead and asks for a resync, drops what it already sent, goes live
 * only without a gap, and resyncs every subscription after a reconnect.
 *
 * Threads: the test's own (standing in for the loop thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/cluster/bus.h"
#include "net/cluster/cluster_codec.h"
#include "net/ws/hub.h"
#include "hub_sink_stubs.h"

/* --- a fake connection ------------------------------------------------------ */

typedef struct fake_ws {
    char id[PARLEY_ID_SIZE];
    char sent[64][64]; /* frames received, in order */
    size_t sent_count;
    size_t resyncs;
    parley_subscription *subs;
} fake_ws;

static void fake_send(parley_ws *ws, const char *text, size_t len) {
    fake_ws *f = (fake_ws *)(void *)ws;
    assert_true(f->sent_count < 64 && len < 64);
    memcpy(f->sent[f->sent_count++], text, len + 1);
}
static const char *fake_participant(const parley_ws *ws) {
    return ((const fake_ws *)(const void *)ws)->id;
}
static void fake_revoke_if(parley_ws *ws, const char *token_hash, const char *owner_id,
                           const char *keep) {
    (void)ws;
    (void)token_hash;
    (void)owner_id;
    (void)keep;
}
static void fake_resync(parley_ws *ws, parley_subscription *sub) {
    (void)sub;
    ((fake_ws *)(void *)ws)->resyncs++;
}

static const char *fake_token_hash(const parley_ws *ws) {
    (void)ws;
    return "";
}

static const parley_hub_sink fake_sink = {.send_text = fake_send,
                                          .hold = stub_hold,
                                          .unhold = stub_unhold,
                                          .participant_id = fake_participant,
                                          .token_hash = fake_token_hash,
                                          .revoke_if = fake_revoke_if,
                                          .resync = fake_resync};

#define SES "ses_aaaaaaaaaaaaaaaaaaaaaaaaaa"

/* publishes "m<seq>" as another node's message.created for SES */
static void publish_seq(parley_hub *hub, int64_t seq) {
    parley_event head;
    memset(&head, 0, sizeof head);
    head.type = PARLEY_EVENT_MESSAGE_CREATED;
    head.audience = PARLEY_AUDIENCE_SUBSCRIBERS;
    snprintf(head.session_id, sizeof head.session_id, "%s", SES);
    head.seq = seq;
    char text[32];
    snprintf(text, sizeof text, "m%lld", (long long)seq);
    parley_event_frames frames;
    parley_event_frames_init_rendered(&frames, strdup(text), NULL);
    parley_hub_publish_frames(hub, &head, &frames);
    parley_event_frames_free(&frames);
}

/* a staff connection subscribed to SES after last_seq, catching up */
static parley_subscription *catching_sub(parley_hub *hub, fake_ws *ws, int64_t last_seq) {
    parley_hub_add_connection(hub, (parley_ws *)(void *)ws, true, NULL);
    parley_subscription *sub =
        parley_hub_subscribe(hub, (parley_ws *)(void *)ws, &ws->subs, SES, last_seq);
    assert_non_null(sub);
    return sub;
}

/* the same, live */
static parley_subscription *live_sub(parley_hub *hub, fake_ws *ws, int64_t last_seq) {
    parley_subscription *sub = catching_sub(hub, ws, last_seq);
    assert_true(parley_hub_go_live_gapless(hub, sub));
    return sub;
}

static void assert_sent(const fake_ws *ws, const char *const *want, size_t n) {
    assert_int_equal(ws->sent_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(ws->sent[i], want[i]);
    }
}

/* a connection (and its subscriptions) leaves the hub */
static void drop_ws(parley_hub *hub, fake_ws *ws) {
    while (ws->subs != NULL) {
        parley_hub_unsubscribe(hub, &ws->subs, ws->subs);
    }
    parley_hub_remove_connection(hub, (parley_ws *)(void *)ws);
}

static void done(parley_hub *hub, fake_ws *ws) {
    drop_ws(hub, ws);
    parley_hub_free(hub);
}

static void test_one_node_delivers_as_ever(void **state) {
    (void)state;
    parley_hub hub;
    parley_hub_init(&hub, &fake_sink);
    fake_ws ws = {.id = "agt_1"};
    live_sub(&hub, &ws, 2);
    publish_seq(&hub, 4); /* one node never skips: no resync, as before */
    publish_seq(&hub, 3);
    const char *want[] = {"m4"};
    assert_sent(&ws, want, 1);
    assert_int_equal(ws.resyncs, 0);
    done(&hub, &ws);
}

static void test_cluster_seq_skipping_ahead_resyncs(void **state) {
    (void)state;
    parley_hub hub;
    parley_hub_init(&hub, &fake_sink);
    hub.cluster = true;
    fake_ws ws = {.id = "agt_1"};
    parley_subscription *sub = live_sub(&hub, &ws, 2);
    publish_seq(&hub, 3);
    publish_seq(&hub, 5); /* 4 is still on its way from another node */
    assert_int_equal(ws.resyncs, 1);
    assert_int_equal(sub->state, PARLEY_SUB_CATCHING_UP);
    assert_true(sub->resyncing);
    publish_seq(&hub, 4); /* arrives late: held, not sent */
    publish_seq(&hub, 6);
    assert_int_equal(ws.resyncs, 1);
    const char *so_far[] = {"m3"};
    assert_sent(&ws, so_far, 1);
    /* the history read finds 4 (and 5) */
    parley_hub_deliver_caught_up(sub, 4, "m4", 2);
    parley_hub_deliver_caught_up(sub, 5, "m5", 2);
    assert_true(parley_hub_go_live_gapless(&hub, sub));
    assert_int_equal(sub->state, PARLEY_SUB_LIVE);
    publish_seq(&hub, 6); /* a duplicate (a backlog after a reconnect) */
    publish_seq(&hub, 7);
    const char *want[] = {"m3", "m4", "m5", "m6", "m7"};
    assert_sent(&ws, want, 5);
    done(&hub, &ws);
}

static void test_cluster_goes_live_only_without_a_gap(void **state) {
    (void)state;
    parley_hub hub;
    parley_hub_init(&hub, &fake_sink);
    hub.cluster = true;
    fake_ws ws = {.id = "agt_1"};
    parley_subscription *sub = catching_sub(&hub, &ws, 0);
    publish_seq(&hub, 3); /* held while catching up, out of order */
    publish_seq(&hub, 2);
    parley_hub_deliver_caught_up(sub, 1, "m1", 2); /* the read ran before 2 committed */
    publish_seq(&hub, 4);
    /* held 2, 3, 4 sorted: no gap after 1 */
    assert_true(parley_hub_go_live_gapless(&hub, sub));
    const char *want[] = {"m1", "m2", "m3", "m4"};
    assert_sent(&ws, want, 4);

    /* a second subscription whose held event skips ahead of the read */
    fake_ws ws2 = {.id = "agt_2"};
    parley_subscription *sub2 = catching_sub(&hub, &ws2, 0);
    publish_seq(&hub, 5);
    parley_hub_deliver_caught_up(sub2, 1, "m1", 2);
    assert_false(parley_hub_go_live_gapless(&hub, sub2)); /* read again */
    assert_int_equal(sub2->state, PARLEY_SUB_CATCHING_UP);
    for (int64_t s = 2; s <= 4; s++) {
        char text[8];
        snprintf(text, sizeof text, "m%lld", (long long)s);
        parley_hub_deliver_caught_up(sub2, s, text, strlen(text));
    }
    assert_true(parley_hub_go_live_gapless(&hub, sub2));
    const char *want2[] = {"m1", "m2", "m3", "m4", "m5"};
    assert_sent(&ws2, want2, 5);
    drop_ws(&hub, &ws2);
    done(&hub, &ws);
}

static void test_cluster_resync_all(void **state) {
    (void)state;
    parley_hub hub;
    parley_hub_init(&hub, &fake_sink);
    hub.cluster = true;
    fake_ws live = {.id = "agt_1"};
    parley_subscription *a = live_sub(&hub, &live, 3);
    fake_ws catching = {.id = "agt_2"};
    parley_subscription *b = catching_sub(&hub, &catching, 0);
    parley_hub_resync_all(&hub);
    assert_int_equal(live.resyncs, 1); /* back to catching up, reading again */
    assert_int_equal(a->state, PARLEY_SUB_CATCHING_UP);
    assert_int_equal(catching.resyncs, 0); /* its read runs once more instead */
    assert_true(b->resync_again);
    drop_ws(&hub, &catching);
    done(&hub, &live);
}

/* --- the codec ------------------------------------------------------------- */

static void test_redis_urls(void **state) {
    (void)state;
    parley_redis_url u;
    const char *why = NULL;
    assert_true(parley_redis_url_parse("redis://127.0.0.1:6380/2", &u, &why));
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_true(parley_redis_url_parse("redis://cache.internal", &u, &why));
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_true(parley_redis_url_parse("redis://[::1]:7000", &u, &why));
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_true(parley_redis_url_parse("unix:/run/redis.sock", &u, &why));
    assert_string_equal(u.path, "/run/redis.sock");
    assert_true(parley_redis_url_parse("unix:///tmp/r.sock", &u, &why));
    assert_string_equal(u.path, "/tmp/r.sock");
    const char *bad[] = {"",
                         "redis://",
                         "redis://h:0",
                         "redis://h:65536",
                         "redis://h:x",
                         "redis://u:p@h:6379",
                         "redis://h/db",
                         "rediss://h",
                         "unix:relative.sock",
                         "redis://[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_false(parley_redis_url_parse(bad[i], &u, &why));
        assert_non_null(why);
    }
}

static void test_channels(void **state) {
    (void)state;
    parley_event e;
    memset(&e, 0, sizeof e);
    char a[PARLEY_CLUSTER_CHANNEL_SIZE], b[PARLEY_CLUSTER_CHANNEL_SIZE];
    e.type = PARLEY_EVENT_MESSAGE_CREATED;
    snprintf(e.session_id, sizeof e.session_id, "%s", SES);
    parley_cluster_channel_of(&e, a);
    parley_cluster_session_channel(SES, b);
    assert_string_equal(a, b); /* a session's events and typing share a channel */
    assert_int_equal(strncmp(a, "parley:s:", 9), 0);
    assert_true(atoi(a + 9) >= 0 && atoi(a + 9) < PARLEY_CLUSTER_BUCKETS);
    e.type = PARLEY_EVENT_TOKEN_REVOKED;
    parley_cluster_channel_of(&e, a);
    assert_string_equal(a, "parley:revoke");
    e.type = PARLEY_EVENT_PRESENCE_UPDATED;
    e.session_id[0] = '\0';
    parley_cluster_channel_of(&e, a);
    assert_string_equal(a, "parley:agents");
}

static void test_envelope_round_trip(void **state) {
    (void)state;
    parley_event e;
    memset(&e, 0, sizeof e);
    e.type = PARLEY_EVENT_SESSION_UPDATED;
    e.audience = PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER;
    snprintf(e.session_id, sizeof e.session_id, "%s", SES);
    snprintf(e.customer_id, sizeof e.customer_id, "cus_1");
    char *text = parley_cluster_encode("n_a", &e, "{\"public\":\"\\u00e9\"}", "{\"staff\":1}");
    assert_non_null(text);
    parley_cluster_envelope env;
    assert_true(parley_cluster_decode(text, strlen(text), &env));
    assert_string_equal(env.node_id, "n_a");
    assert_false(env.typing);
    assert_int_equal(env.head.type, PARLEY_EVENT_SESSION_UPDATED);
    assert_int_equal(env.head.audience, e.audience);
    assert_string_equal(env.head.session_id, SES);
    assert_string_equal(env.head.customer_id, "cus_1");
    assert_string_equal(env.public_text, "{\"public\":\"\\u00e9\"}");
    assert_string_equal(env.staff_text, "{\"staff\":1}");
    parley_cluster_envelope_free(&env);
    free(text);

    e.type = PARLEY_EVENT_TOKEN_REVOKED;
    e.audience = PARLEY_AUDIENCE_OWNER;
    snprintf(e.revoked.owner_id, sizeof e.revoked.owner_id, "agt_9");
    text = parley_cluster_encode("n_a", &e, NULL, NULL);
    assert_true(parley_cluster_decode(text, strlen(text), &env));
    assert_string_equal(env.head.revoked.owner_id, "agt_9");
    assert_null(env.public_text);
    parley_cluster_envelope_free(&env);
    free(text);

    const char *bad[] = {"",
                         "[]",
                         "{\"v\":2,\"n\":\"x\",\"t\":\"typing\",\"s\":\"s\",\"p\":\"f\"}",
                         "{\"v\":1,\"n\":\"x\",\"t\":\"nope\",\"a\":1,\"q\":0,\"p\":\"f\"}",
                         ("{\"v\":1,\"n\":\"x\",\"t\":\"message.created\",\"a\":2,\"q\":-1,"
                          "\"p\":\"f\"}"),
                         "{\"v\":1,\"n\":\"x\",\"t\":\"token.revoked\",\"a\":16,\"q\":0}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(parley_cluster_decode(bad[i], strlen(bad[i]), &env));
    }
}

static void test_received_envelope_reaches_the_hub_unless_ours(void **state) {
    (void)state;
    parley_hub hub;
    parley_hub_init(&hub, &fake_sink);
    parley_cluster_bus *bus = NULL;
    parley_error err = {0};
    assert_int_equal(parley_cluster_bus_open(NULL, NULL, &hub, &bus, &err), PARLEY_OK);
    assert_string_equal(bus->ops->name, "local");
    assert_false(hub.cluster);
    fake_ws ws = {.id = "agt_1"};
    live_sub(&hub, &ws, 0);
    parley_event e;
    memset(&e, 0, sizeof e);
    e.type = PARLEY_EVENT_MESSAGE_CREATED;
    e.audience = PARLEY_AUDIENCE_SUBSCRIBERS;
    snprintf(e.session_id, sizeof e.session_id, "%s", SES);
    e.seq = 1;
    char *ours = parley_cluster_encode(bus->node_id, &e, "mine", NULL);
    char *theirs = parley_cluster_encode("n_other", &e, "m1", NULL);
    parley_cluster_bus_receive(bus, ours, strlen(ours));
    parley_cluster_bus_receive(bus, theirs, strlen(theirs));
    parley_cluster_bus_receive(bus, "garbage", 7);
    const char *want[] = {"m1"};
    assert_sent(&ws, want, 1);
    assert_int_equal(bus->stats.received, 1);
    assert_int_equal(bus->stats.bad_envelope, 1);
    free(ours);
    free(theirs);
    bus->ops->close(bus);
    bus->ops->free(bus);
    done(&hub, &ws);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_node_delivers_as_ever),
        cmocka_unit_test(test_cluster_seq_skipping_ahead_resyncs),
        cmocka_unit_test(test_cluster_goes_live_only_without_a_gap),
        cmocka_unit_test(test_cluster_resync_all),
        cmocka_unit_test(test_redis_urls),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_envelope_round_trip),
        cmocka_unit_test(test_received_envelope_reaches_the_hub_unless_ours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
