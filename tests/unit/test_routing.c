/* The routing dispatcher (core/routing.h) in process against a real SQLite
 * database: round-robin rotation, capacity, least-busy, presence, teams,
 * re-queue and the queue positions announced to customers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/check.h"
#include "core/chat_facade.h"
#include "core/ids.h"
#include "core/queue_wait.h"
#include "fixture.h"

#define AGENTS 3

typedef struct fixture {
    test_desk desk;
    parley_participant *customer;
    char agent[AGENTS][PARLEY_ID_SIZE];
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    test_desk_open(&fx->desk, "routing", TEST_DESK_SUBSCRIBERS);
    parley_repository *repo = fx->desk.repo;
    /* agents stored directly: the dispatcher only reads presence and load */
    for (int i = 0; i < AGENTS; i++) {
        parley_agent a = {0};
        parley_id_new("agt", a.id);
        char email[64];
        char name[] = "A";
        snprintf(email, sizeof email, "a%d@example.com", i);
        a.name = name;
        a.email = email;
        a.status = PARLEY_AGENT_ONLINE;
        a.active = true;
        a.created_at = parley_now_ms() + i; /* creation order = index */
        parley_error err = {0};
        assert_int_equal(repo->accounts->agent_insert(repo, &a, "x", &err), PARLEY_OK);
        snprintf(fx->agent[i], sizeof fx->agent[i], "%s", a.id);
    }
    fx->customer = test_new_customer(&fx->desk.facade, "Cleo");
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_participant_free(fx->customer);
    test_desk_close(&fx->desk);
    free(fx);
    return 0;
}

static void setting(fixture *fx, const char *key, const char *json) {
    parley_error err = {0};
    assert_int_equal(fx->desk.repo->settings->put(fx->desk.repo, key, json, NULL, 1, &err),
                     PARLEY_OK);
}

static void new_session(fixture *fx, const char *topic, const char *team, parley_session *out) {
    parley_error err = {0};
    assert_int_equal(parley_chat_initiate_in_team(test_chat(&fx->desk), fx->customer, topic, NULL,
                                                  team, out, &err),
                     PARLEY_OK);
}

/* One dispatch as the writer runs it: inside a transaction. */
static parley_dispatch_result dispatch(fixture *fx) {
    parley_error err = {0};
    parley_dispatch_result r;
    parley_facade_drop_events(&fx->desk.facade);
    test_unit_begin(fx->desk.repo);
    assert_int_equal(parley_routing_dispatch(test_chat(&fx->desk), &r, &err), PARLEY_OK);
    test_unit_end(fx->desk.repo, true);
    return r;
}

static void agent_of(fixture *fx, const char *session_id, char out[PARLEY_ID_SIZE]) {
    parley_session s = {0};
    parley_error err = {0};
    assert_int_equal(fx->desk.repo->sessions->get(fx->desk.repo, session_id, &s, &err), PARLEY_OK);
    snprintf(out, PARLEY_ID_SIZE, "%s", s.agent_id);
    parley_session_free(&s);
}

static size_t count_events(fixture *fx, parley_event_type type) {
    return test_count_events(&fx->desk.facade, type);
}

static void test_manual_assigns_nothing_but_announces_positions(void **state) {
    fixture *fx = *state;
    parley_session s[3];
    for (int i = 0; i < 3; i++) {
        new_session(fx, "t", NULL, &s[i]);
    }
    parley_dispatch_result r = dispatch(fx);
    assert_int_equal(r.assigned, 0);
    assert_int_equal(count_events(fx, PARLEY_EVENT_QUEUE_UPDATED), 3);
    /* nothing moved: nothing to announce again */
    dispatch(fx);
    assert_int_equal(count_events(fx, PARLEY_EVENT_QUEUE_UPDATED), 0);
    for (int i = 0; i < 3; i++) {
        parley_session_free(&s[i]);
    }
}

static void test_round_robin_rotates_and_respects_capacity(void **state) {
    fixture *fx = *state;
    setting(fx, "routing.mode", "\"round_robin\"");
    setting(fx, "routing.agent_capacity", "2");
    parley_session s[8];
    for (int i = 0; i < 8; i++) {
        new_session(fx, "t", NULL, &s[i]);
    }
    parley_dispatch_result r = dispatch(fx);
    assert_int_equal(r.assigned, 6); /* 3 agents x capacity 2 */
    for (int i = 0; i < 6; i++) {
        char got[PARLEY_ID_SIZE];
        agent_of(fx, s[i].id, got);
        assert_string_equal(got, fx->agent[i % AGENTS]);
    }
    char none[PARLEY_ID_SIZE];
    agent_of(fx, s[6].id, none);
    assert_string_equal(none, "");
    /* the two left move to positions 1 and 2 */
    assert_int_equal(count_events(fx, PARLEY_EVENT_QUEUE_UPDATED), 2);
    assert_int_equal(dispatch(fx).assigned, 0);
    for (int i = 0; i < 8; i++) {
        parley_session_free(&s[i]);
    }
}

static void test_least_busy_and_presence(void **state) {
    fixture *fx = *state;
    parley_error err = {0};
    setting(fx, "routing.mode", "\"least_busy\"");
    /* agent 0 busy, agent 1 has two chats, agent 2 one */
    assert_int_equal(fx->desk.repo->desk->agent_set_presence(
                         fx->desk.repo, fx->agent[0], PARLEY_AGENT_BUSY, parley_now_ms(), &err),
                     PARLEY_OK);
    for (int i = 0; i < 3; i++) {
        parley_session s = {0};
        new_session(fx, "t", NULL, &s);
        s.status = PARLEY_SESSION_ACTIVE;
        snprintf(s.agent_id, sizeof s.agent_id, "%s", fx->agent[i < 2 ? 1 : 2]);
        assert_int_equal(fx->desk.repo->sessions->update(fx->desk.repo, &s, &err), PARLEY_OK);
        parley_session_free(&s);
    }
    parley_session a = {0}, b = {0};
    new_session(fx, "t", NULL, &a);
    new_session(fx, "t", NULL, &b);
    assert_int_equal(dispatch(fx).assigned, 2);
    char got[PARLEY_ID_SIZE];
    agent_of(fx, a.id, got);
    assert_string_equal(got, fx->agent[2]); /* 1 chat < 2 */
    /* now 2 and 2: the one given a session least recently (agent 1) */
    agent_of(fx, b.id, got);
    assert_string_equal(got, fx->agent[1]);
    parley_session_free(&a);
    parley_session_free(&b);
}

static void test_team_sessions_go_to_members_only(void **state) {
    fixture *fx = *state;
    parley_error err = {0};
    setting(fx, "routing.mode", "\"round_robin\"");
    parley_team t = {0};
    char name[] = "Billing";
    char topics[] = "[\"Billing\"]";
    parley_id_new("tea", t.id);
    t.name = name;
    t.topics_json = topics;
    t.created_at = parley_now_ms();
    assert_int_equal(fx->desk.repo->desk->team_insert(fx->desk.repo, &t, &err), PARLEY_OK);
    bool added = false;
    assert_int_equal(
        fx->desk.repo->desk->team_member_add(fx->desk.repo, t.id, fx->agent[2], &added, &err),
        PARLEY_OK);
    assert_true(added);
    parley_session s[2];
    new_session(fx, "BILLING", NULL, &s[0]);
    assert_string_equal(s[0].team_id, t.id);
    new_session(fx, "other", t.id, &s[1]);
    assert_string_equal(s[1].team_id, t.id);
    assert_int_equal(dispatch(fx).assigned, 2);
    for (int i = 0; i < 2; i++) {
        char got[PARLEY_ID_SIZE];
        agent_of(fx, s[i].id, got);
        assert_string_equal(got, fx->agent[2]);
        parley_session_free(&s[i]);
    }
    parley_session bad = {0};
    assert_int_equal(parley_chat_initiate_in_team(test_chat(&fx->desk), fx->customer, "x", NULL,
                                                  "tea_nope", &bad, &err),
                     PARLEY_E_INVALID);
}

static void test_requeue_silent_session_of_offline_agent(void **state) {
    fixture *fx = *state;
    parley_error err = {0};
    setting(fx, "routing.requeue_after_seconds", "1");
    parley_session s = {0};
    new_session(fx, "t", NULL, &s);
    s.status = PARLEY_SESSION_ACTIVE;
    snprintf(s.agent_id, sizeof s.agent_id, "%s", fx->agent[0]);
    s.assigned_at = parley_now_ms() - 5000; /* long past the deadline */
    assert_int_equal(fx->desk.repo->sessions->update(fx->desk.repo, &s, &err), PARLEY_OK);
    assert_int_equal(fx->desk.repo->desk->session_set_routing(fx->desk.repo, &s, &err), PARLEY_OK);
    /* online: kept */
    assert_int_equal(dispatch(fx).requeued, 0);
    assert_int_equal(fx->desk.repo->desk->agent_set_presence(
                         fx->desk.repo, fx->agent[0], PARLEY_AGENT_OFFLINE, parley_now_ms(), &err),
                     PARLEY_OK);
    assert_int_equal(dispatch(fx).requeued, 1);
    char got[PARLEY_ID_SIZE];
    agent_of(fx, s.id, got);
    assert_string_equal(got, "");
    parley_session_free(&s);
}

/* One dispatch whose unit commits (keep) or rolls back; the unit's
 * after-commit actions run or are dropped accordingly, as on the writer. */
static void dispatch_unit(fixture *fx, bool keep, int want_assigned) {
    parley_error err = {0};
    parley_dispatch_result r;
    parley_facade_drop_events(&fx->desk.facade);
    test_unit_begin(fx->desk.repo);
    assert_int_equal(parley_routing_dispatch(test_chat(&fx->desk), &r, &err), PARLEY_OK);
    assert_int_equal(r.assigned, want_assigned);
    test_unit_end(fx->desk.repo, keep);
    parley_after_commit after = {0};
    parley_facade_take_after_commit(&fx->desk.facade, &after);
    if (keep) {
        parley_after_commit_run(&after);
    } else {
        parley_after_commit_discard(&after);
    }
}

/* The estimated wait's mean lives in memory (core/queue_wait.h): seeded
 * from the database by the first dispatch, fed by committed assignments
 * only. */
static void test_mean_wait_follows_committed_assignments(void **state) {
    fixture *fx = *state;
    parley_error err = {0};
    parley_queue_wait *w = parley_queue_wait_new();
    test_chat(&fx->desk)->queue_wait = w;
    setting(fx, "routing.mode", "\"round_robin\"");
    parley_session s[2];
    for (int i = 0; i < 2; i++) {
        new_session(fx, "t", NULL, &s[i]);
        s[i].queued_at = parley_now_ms() - 4000 + 2000 * i; /* waited 4 s and 2 s */
        assert_int_equal(fx->desk.repo->desk->session_set_routing(fx->desk.repo, &s[i], &err),
                         PARLEY_OK);
    }
    int64_t mean = 0;
    dispatch_unit(fx, false, 2); /* rolled back: never happened */
    assert_true(parley_queue_wait_seeded(w));
    assert_false(parley_queue_wait_mean(w, &mean));
    dispatch_unit(fx, true, 2);
    assert_true(parley_queue_wait_mean(w, &mean));
    assert_in_range(mean, 3000, 3000 + 2000); /* + the test's own time */
    /* the database agrees (what the figure was read from before) */
    int64_t db_mean = 0;
    bool known = false;
    assert_int_equal(
        fx->desk.repo->desk->queue_average_wait(fx->desk.repo, 20, &db_mean, &known, &err),
        PARLEY_OK);
    assert_true(known);
    assert_in_range(db_mean, mean - 1, mean + 1);
    test_chat(&fx->desk)->queue_wait = NULL;
    parley_queue_wait_free(w);
    for (int i = 0; i < 2; i++) {
        parley_session_free(&s[i]);
    }
}

int main(void) {
    static const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_manual_assigns_nothing_but_announces_positions),
        FIXTURE_TEST(test_round_robin_rotates_and_respects_capacity),
        FIXTURE_TEST(test_least_busy_and_presence),
        FIXTURE_TEST(test_team_sessions_go_to_members_only),
        FIXTURE_TEST(test_requeue_silent_session_of_offline_agent),
        FIXTURE_TEST(test_mean_wait_follows_committed_assignments),
    };
    return RUN_TESTS(tests);
}
