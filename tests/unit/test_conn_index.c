/* Connections by key (net/ws/conn_index.h) and the hub's revocation through
 * it (net/ws/hub.h): a logout closes exactly its token's sockets (or its
 * owner's but the kept one) and looks at no other connection, among many
 * connections of other tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/conn_index.h"
#include "net/ws/hub.h"
#include "hub_sink_stubs.h"

static void test_add_find_remove(void **state) {
    (void)state;
    parley_conn_index ix = {0};
    int a, b, c;
    assert_true(parley_conn_index_add(&ix, "tok1", &a));
    assert_true(parley_conn_index_add(&ix, "tok1", &b));
    assert_true(parley_conn_index_add(&ix, "tok2", &c));
    assert_true(parley_conn_index_add(&ix, "", &c)); /* no key: not filed */
    assert_true(parley_conn_index_add(&ix, NULL, &c));
    assert_int_equal(ix.entries, 3);
    void *got[4] = {0};
    assert_int_equal(parley_conn_index_find(&ix, "tok1", got, 4), 2);
    assert_true((got[0] == &a && got[1] == &b) || (got[0] == &b && got[1] == &a));
    assert_int_equal(parley_conn_index_find(&ix, "tok2", got, 4), 1);
    assert_ptr_equal(got[0], &c);
    assert_int_equal(parley_conn_index_find(&ix, "tok3", got, 4), 0);
    assert_int_equal(parley_conn_index_find(&ix, "", got, 4), 0);
    /* cap bounds the copy, not the count */
    assert_int_equal(parley_conn_index_find(&ix, "tok1", got, 1), 2);

    assert_false(parley_conn_index_remove(&ix, "tok2", &a)); /* not under tok2 */
    assert_true(parley_conn_index_remove(&ix, "tok1", &a));
    assert_false(parley_conn_index_remove(&ix, "tok1", &a));
    assert_int_equal(parley_conn_index_find(&ix, "tok1", got, 4), 1);
    assert_ptr_equal(got[0], &b);
    assert_true(parley_conn_index_remove(&ix, "tok1", &b));
    assert_int_equal(parley_conn_index_find(&ix, "tok1", got, 4), 0);
    assert_int_equal(ix.entries, 1);

    void **snap = NULL;
    size_t n = 0;
    assert_true(parley_conn_index_snapshot(&ix, "tok2", &snap, &n));
    assert_int_equal(n, 1);
    assert_ptr_equal(snap[0], &c);
    free(snap);
    assert_true(parley_conn_index_snapshot(&ix, "none", &snap, &n));
    assert_int_equal(n, 0);
    assert_null(snap);
    parley_conn_index_free(&ix);
    assert_int_equal(ix.entries, 0);
}

static void test_many_keys_and_connections(void **state) {
    (void)state;
    enum { CONNS = 5000, KEYS = 700 };
    parley_conn_index ix = {0};
    static int conns[CONNS];
    char key[32];
    for (int i = 0; i < CONNS; i++) {
        snprintf(key, sizeof key, "k%d", i % KEYS);
        assert_true(parley_conn_index_add(&ix, key, &conns[i]));
    }
    for (int i = 0; i < CONNS; i += 2) { /* every other one closes */
        snprintf(key, sizeof key, "k%d", i % KEYS);
        assert_true(parley_conn_index_remove(&ix, key, &conns[i]));
    }
    assert_int_equal(ix.entries, CONNS / 2);
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof key, "k%d", k);
        void *got[16];
        size_t n = parley_conn_index_find(&ix, key, got, 16);
        size_t want = 0;
        for (int i = k; i < CONNS; i += KEYS) {
            want += i % 2 == 1;
        }
        assert_int_equal(n, want);
        for (size_t j = 0; j < n; j++) {
            int idx = (int)((int *)got[j] - conns);
            assert_int_equal(idx % KEYS, k);
            assert_int_equal(idx % 2, 1);
        }
    }
    parley_conn_index_free(&ix);
}

/* --- the hub's revocation ------------------------------------------------------ */

typedef struct fake_ws {
    char id[PARLEY_ID_SIZE];
    char token[PARLEY_TOKEN_HASH_SIZE];
    int asked;   /* revoke_if calls that reached it */
    bool closed; /* revoke_if matched it */
} fake_ws;

static void fake_send(parley_ws *ws, const char *text, size_t len) {
    (void)ws;
    (void)text;
    (void)len;
}
static const char *fake_participant(const parley_ws *ws) {
    return ((const fake_ws *)(const void *)ws)->id;
}
static const char *fake_token(const parley_ws *ws) {
    return ((const fake_ws *)(const void *)ws)->token;
}
/* the rule of websocket.c's revoke_if */
static void fake_revoke_if(parley_ws *ws, const char *token_hash, const char *owner_id,
                           const char *keep) {
    fake_ws *f = (fake_ws *)(void *)ws;
    f->asked++;
    bool by_token = token_hash[0] != '\0' && strcmp(f->token, token_hash) == 0;
    bool by_owner =
        owner_id[0] != '\0' && strcmp(f->id, owner_id) == 0 && strcmp(f->token, keep) != 0;
    f->closed = f->closed || by_token || by_owner;
}
static void fake_resync(parley_ws *ws, parley_subscription *sub) {
    (void)ws;
    (void)sub;
}

static const parley_hub_sink fake_sink = {.send_text = fake_send,
                                          .hold = stub_hold,
                                          .unhold = stub_unhold,
                                          .participant_id = fake_participant,
                                          .token_hash = fake_token,
                                          .revoke_if = fake_revoke_if,
                                          .resync = fake_resync};

enum { OTHERS = 3000 };

typedef struct hub_fixture {
    parley_hub hub;
    fake_ws *others; /* OTHERS connections: half staff, half customers */
} hub_fixture;

static void connect(parley_hub *hub, fake_ws *ws, bool staff, const char *id, const char *token) {
    memset(ws, 0, sizeof *ws);
    snprintf(ws->id, sizeof ws->id, "%s", id);
    snprintf(ws->token, sizeof ws->token, "%s", token);
    parley_hub_add_connection(hub, (parley_ws *)(void *)ws, staff, staff ? NULL : ws->id);
}

static int hub_setup(void **state) {
    hub_fixture *fx = calloc(1, sizeof *fx);
    parley_hub_init(&fx->hub, &fake_sink);
    fx->others = calloc(OTHERS, sizeof *fx->others);
    for (int i = 0; i < OTHERS; i++) {
        char id[32], token[32];
        snprintf(id, sizeof id, "%s_%d", i % 2 ? "agt" : "cus", i / 4); /* 2 each */
        snprintf(token, sizeof token, "other%d", i);
        connect(&fx->hub, &fx->others[i], i % 2 == 1, id, token);
    }
    *state = fx;
    return 0;
}

static int hub_teardown(void **state) {
    hub_fixture *fx = *state;
    for (int i = 0; i < OTHERS; i++) {
        parley_hub_remove_connection(&fx->hub, (parley_ws *)(void *)&fx->others[i]);
    }
    assert_int_equal(fx->hub.by_token.entries, 0);
    assert_int_equal(fx->hub.staff_by_id.entries, 0);
    parley_hub_free(&fx->hub);
    free(fx->others);
    free(fx);
    return 0;
}

static void revoke(parley_hub *hub, const char *token, const char *owner, const char *keep) {
    parley_event e;
    memset(&e, 0, sizeof e);
    e.type = PARLEY_EVENT_TOKEN_REVOKED;
    if (token != NULL) {
        e.audience |= PARLEY_AUDIENCE_TOKEN;
        snprintf(e.revoked.token_hash, sizeof e.revoked.token_hash, "%s", token);
    }
    if (owner != NULL) {
        e.audience |= PARLEY_AUDIENCE_OWNER;
        snprintf(e.revoked.owner_id, sizeof e.revoked.owner_id, "%s", owner);
    }
    snprintf(e.revoked.keep_token_hash, sizeof e.revoked.keep_token_hash, "%s",
             keep != NULL ? keep : "");
    parley_hub_publish(hub, &e);
}

static void assert_others_untouched(const hub_fixture *fx) {
    for (int i = 0; i < OTHERS; i++) {
        assert_false(fx->others[i].closed);
        assert_int_equal(fx->others[i].asked, 0); /* not even looked at */
    }
}

static void test_logout_closes_exactly_its_token(void **state) {
    hub_fixture *fx = *state;
    fake_ws mine[3], same_agent_other_token;
    for (int i = 0; i < 3; i++) {
        connect(&fx->hub, &mine[i], true, "agt_me", "tokme");
    }
    connect(&fx->hub, &same_agent_other_token, true, "agt_me", "tokkeep");
    revoke(&fx->hub, "tokme", NULL, NULL);
    for (int i = 0; i < 3; i++) {
        assert_true(mine[i].closed);
    }
    assert_false(same_agent_other_token.closed);
    assert_int_equal(same_agent_other_token.asked, 0);
    assert_others_untouched(fx);
    for (int i = 0; i < 3; i++) {
        parley_hub_remove_connection(&fx->hub, (parley_ws *)(void *)&mine[i]);
    }
    parley_hub_remove_connection(&fx->hub, (parley_ws *)(void *)&same_agent_other_token);
}

static void test_owner_revocation_keeps_one_token(void **state) {
    hub_fixture *fx = *state;
    fake_ws a, b, kept, customer_a, customer_b;
    connect(&fx->hub, &a, true, "agt_pw", "t1");
    connect(&fx->hub, &b, true, "agt_pw", "t2");
    connect(&fx->hub, &kept, true, "agt_pw", "t3");
    connect(&fx->hub, &customer_a, false, "cus_me", "c1");
    connect(&fx->hub, &customer_b, false, "cus_me", "c2");
    /* a password change: every session of the agent but the current one */
    revoke(&fx->hub, NULL, "agt_pw", "t3");
    assert_true(a.closed);
    assert_true(b.closed);
    assert_false(kept.closed);
    assert_false(customer_a.closed);
    assert_int_equal(customer_a.asked, 0);
    assert_others_untouched(fx);
    /* a customer's owner revocation reaches its connections only */
    revoke(&fx->hub, NULL, "cus_me", NULL);
    assert_true(customer_a.closed);
    assert_true(customer_b.closed);
    assert_others_untouched(fx);
    fake_ws *all[] = {&a, &b, &kept, &customer_a, &customer_b};
    for (size_t i = 0; i < 5; i++) {
        parley_hub_remove_connection(&fx->hub, (parley_ws *)(void *)all[i]);
    }
}

static void test_closed_connection_is_not_revoked_again(void **state) {
    hub_fixture *fx = *state;
    fake_ws gone;
    connect(&fx->hub, &gone, false, "cus_gone", "tokgone");
    parley_hub_remove_connection(&fx->hub, (parley_ws *)(void *)&gone);
    revoke(&fx->hub, "tokgone", "cus_gone", NULL);
    assert_int_equal(gone.asked, 0);
    assert_others_untouched(fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_remove),
        cmocka_unit_test(test_many_keys_and_connections),
        cmocka_unit_test_setup_teardown(test_logout_closes_exactly_its_token, hub_setup,
                                        hub_teardown),
        cmocka_unit_test_setup_teardown(test_owner_revocation_keeps_one_token, hub_setup,
                                        hub_teardown),
        cmocka_unit_test_setup_teardown(test_closed_connection_is_not_revoked_again, hub_setup,
                                        hub_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
