/* core/event.c: the subscriber registry. In-unit subscribers run at
 * emission, in registration order, for their types only; they may amend
 * the event, emit events of their own (queued first) and fail the unit.
 * After-commit subscribers run in order at delivery only. With the real
 * executor and SQLite: a subscriber writes in the emitting unit's
 * transaction, and a unit that fails after emitting rolls those writes
 * back and delivers nothing after commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/chat_facade.h"
#include "net/ws/event_frames.h"
#include "net/loop/executor.h"

#include "../common/check.h"
#include "fixture.h"

static char trace[256];

static void note(const char *what) {
    strncat(trace, what, sizeof trace - strlen(trace) - 1);
}

static parley_status in_unit_a(void *ctx, parley_chat_service *svc, parley_event *e,
                               parley_error *err) {
    (void)ctx, (void)svc, (void)e, (void)err;
    note("A");
    return PARLEY_OK;
}

static parley_status in_unit_b(void *ctx, parley_chat_service *svc, parley_event *e,
                               parley_error *err) {
    (void)ctx, (void)svc, (void)e, (void)err;
    note("B");
    return PARLEY_OK;
}

static parley_status in_unit_fail(void *ctx, parley_chat_service *svc, parley_event *e,
                                  parley_error *err) {
    (void)ctx, (void)svc, (void)e;
    note("F");
    return parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "refused by a subscriber");
}

/* Amends the new session and says something first, like the ChatBot. */
static parley_status in_unit_amend(void *ctx, parley_chat_service *svc, parley_event *e,
                                   parley_error *err) {
    (void)ctx;
    snprintf(e->session.session.team_id, sizeof e->session.session.team_id, "%s",
             e->session.asked_team_id != NULL ? e->session.asked_team_id : "none");
    parley_event *first = parley_event_new(PARLEY_EVENT_FEEDBACK_REQUESTED,
                                           PARLEY_AUDIENCE_CUSTOMER, e->session_id, "");
    return parley_event_emit(NULL, svc, &svc->events, first, err);
}

static void after_x(void *ctx, const parley_event *e) {
    (void)ctx;
    note("X:");
    note(parley_event_type_name(e->type));
    note(" ");
}

static void after_y(void *ctx, const parley_event *e) {
    (void)ctx;
    note("Y:");
    note(parley_event_type_name(e->type));
    note(" ");
}

static parley_event *session_event(parley_event_type type, const char *id) {
    parley_event *e = parley_event_new(type, PARLEY_AUDIENCE_AGENTS, id, "cus_1");
    assert_non_null(e);
    snprintf(e->session.session.id, sizeof e->session.session.id, "%s", id);
    e->session.session.topic = strdup("billing");
    return e;
}

/* An empty registry, and an empty trace of what subscribers ran. */
static void fresh_registry(parley_event_registry *reg) {
    trace[0] = '\0';
    parley_event_registry_init(reg);
}

/* Emits a session event through reg into svc's queue. */
static parley_status emit_session(parley_event_registry *reg, parley_chat_service *svc,
                                  parley_event_type type, const char *id, parley_error *err) {
    return parley_event_emit(reg, svc, &svc->events, session_event(type, id), err);
}

static void test_in_unit_runs_in_order_for_its_types(void **state) {
    (void)state;
    parley_event_registry reg;
    fresh_registry(&reg);
    assert_true(parley_event_subscribe_in_unit(&reg,
                                               PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED) |
                                                   PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED),
                                               in_unit_a, NULL));
    assert_true(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED),
                                               in_unit_b, NULL));
    assert_true(parley_event_subscribe_after_commit(&reg, PARLEY_EVENT_ALL, after_x, NULL));
    parley_event_registry_seal(&reg);
    parley_chat_service svc = {0};
    parley_error err = {0};
    assert_int_equal(emit_session(&reg, &svc, PARLEY_EVENT_SESSION_CREATED, "ses_1", &err),
                     PARLEY_OK);
    assert_int_equal(emit_session(&reg, &svc, PARLEY_EVENT_SESSION_UPDATED, "ses_1", &err),
                     PARLEY_OK);
    parley_event *m = parley_event_new(PARLEY_EVENT_MESSAGE_CREATED, PARLEY_AUDIENCE_SUBSCRIBERS,
                                       "ses_1", "cus_1");
    assert_int_equal(parley_event_emit(&reg, &svc, &svc.events, m, &err), PARLEY_OK);
    /* A and B for the session, nobody for session.updated, A for the
     * message; nothing after commit yet */
    assert_string_equal(trace, "ABA");
    assert_int_equal(svc.events.count, 3);
    parley_event_queue_clear(&svc.events);
}

static void test_after_commit_runs_in_order_on_delivery_only(void **state) {
    (void)state;
    parley_event_registry reg;
    fresh_registry(&reg);
    assert_true(parley_event_subscribe_after_commit(&reg, PARLEY_EVENT_ALL, after_x, NULL));
    assert_true(parley_event_subscribe_after_commit(
        &reg, PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED), after_y, NULL));
    parley_event_registry_seal(&reg);
    parley_chat_service svc = {0};
    parley_error err = {0};
    assert_int_equal(emit_session(&reg, &svc, PARLEY_EVENT_SESSION_CREATED, "ses_1", &err),
                     PARLEY_OK);
    assert_int_equal(parley_event_emit(&reg, &svc, &svc.events,
                                       parley_event_new(PARLEY_EVENT_MESSAGE_CREATED,
                                                        PARLEY_AUDIENCE_SUBSCRIBERS, "ses_1", ""),
                                       &err),
                     PARLEY_OK);
    assert_string_equal(trace, "");
    for (const parley_event *e = svc.events.head; e != NULL; e = e->next) {
        parley_event_deliver_after_commit(&reg, e);
    }
    assert_string_equal(trace, "X:session.created X:message.created Y:message.created ");
    parley_event_queue_clear(&svc.events);
}

static void test_in_unit_amends_and_emits_first(void **state) {
    (void)state;
    parley_event_registry reg;
    fresh_registry(&reg);
    assert_true(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED),
                                               in_unit_amend, NULL));
    parley_event_registry_seal(&reg);
    parley_chat_service svc = {0};
    parley_error err = {0};
    parley_event *e = session_event(PARLEY_EVENT_SESSION_CREATED, "ses_2");
    e->session.asked_team_id = "team_9";
    assert_int_equal(parley_event_emit(&reg, &svc, &svc.events, e, &err), PARLEY_OK);
    /* the emitter reads back what its subscribers made of the payload */
    assert_string_equal(e->session.session.team_id, "team_9");
    assert_null(e->session.asked_team_id); /* borrowed: not kept once queued */
    /* the subscriber's own event is queued before the one that caused it */
    assert_int_equal(svc.events.count, 2);
    assert_int_equal(svc.events.head->type, PARLEY_EVENT_FEEDBACK_REQUESTED);
    assert_ptr_equal(svc.events.tail, e);
    parley_event_queue_clear(&svc.events);
}

static void test_in_unit_failure_fails_the_emission(void **state) {
    (void)state;
    parley_event_registry reg;
    fresh_registry(&reg);
    assert_true(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_ALL, in_unit_fail, NULL));
    assert_true(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_ALL, in_unit_b, NULL));
    parley_chat_service svc = {0};
    parley_error err = {0};
    assert_int_equal(emit_session(&reg, &svc, PARLEY_EVENT_SESSION_CREATED, "ses_3", &err),
                     PARLEY_E_CONFLICT);
    assert_string_equal(err.code, "conflict");
    assert_string_equal(trace, "F"); /* the later subscriber never ran */
    assert_int_equal(svc.events.count, 0);
    assert_null(svc.events.head); /* the event was freed (ASan would say otherwise) */
    /* out of memory building an event is an error too */
    assert_int_equal(parley_event_emit(&reg, &svc, &svc.events, NULL, &err), PARLEY_E_NOMEM);
}

static void test_registry_is_sealed_and_bounded(void **state) {
    (void)state;
    parley_event_registry reg;
    fresh_registry(&reg);
    assert_false(parley_event_subscribe_after_commit(&reg, 0, after_x, NULL)); /* no types */
    for (int i = 0; i < PARLEY_EVENT_SUBSCRIBERS_MAX; i++) {
        assert_true(parley_event_subscribe_after_commit(&reg, PARLEY_EVENT_ALL, after_x, NULL));
    }
    assert_false(parley_event_subscribe_after_commit(&reg, PARLEY_EVENT_ALL, after_y, NULL));
    assert_true(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_ALL, in_unit_a, NULL));
    parley_event_registry_seal(&reg);
    assert_false(parley_event_subscribe_in_unit(&reg, PARLEY_EVENT_ALL, in_unit_b, NULL));
    assert_int_equal(reg.in_unit_count, 1);
}

/* The hub's renderer: a session with labels has two views, one without
 * has one; the bytes are those the WebSocket clients always got. */
static void test_frames_views(void **state) {
    (void)state;
    parley_event *e = session_event(PARLEY_EVENT_SESSION_UPDATED, "ses_4");
    e->session.session.strategies_json = strdup("[]");
    parley_event_frames frames;
    parley_event_frames_init(&frames, e);
    size_t staff_len = 0, public_len = 0;
    const char *staff = parley_event_frames_get(&frames, true, &staff_len);
    const char *pub = parley_event_frames_get(&frames, false, &public_len);
    assert_ptr_equal(staff, pub); /* rendered once */
    assert_non_null(strstr(pub, "{\"type\":\"session.updated\",\"session\":{\"id\":\"ses_4\""));
    assert_null(strstr(pub, "labels"));
    parley_event_frames_free(&frames);
    e->session.session.labels_json = strdup("[\"vip\"]");
    parley_event_frames_init(&frames, e);
    staff = parley_event_frames_get(&frames, true, &staff_len);
    pub = parley_event_frames_get(&frames, false, &public_len);
    assert_non_null(strstr(staff, "\"labels\":[\"vip\"]"));
    assert_null(strstr(pub, "labels"));
    assert_int_equal(strlen(staff), staff_len);
    parley_event_frames_free(&frames);
    parley_event_free(e);
    /* token.revoked closes connections: it has no frame */
    e = parley_event_new(PARLEY_EVENT_TOKEN_REVOKED, PARLEY_AUDIENCE_OWNER, NULL, NULL);
    parley_event_frames_init(&frames, e);
    assert_null(parley_event_frames_get(&frames, true, &staff_len));
    parley_event_frames_free(&frames);
    parley_event_free(e);
}

/* --- with the executor and a real database ------------------------------------ */

typedef struct fixture {
    test_db db;
    parley_config config;
    parley_strategy_registry strategies;
    parley_event_registry events;
    uv_loop_t loop;
    parley_executor *ex;
    parley_participant *customer;
} fixture;

/* Writes in the emitting unit: a system message in the new session. */
static parley_status in_unit_writes(void *ctx, parley_chat_service *svc, parley_event *e,
                                    parley_error *err) {
    (void)ctx;
    parley_message m = {0};
    parley_status st =
        parley_chat_post_system_message(svc, e->session_id, "written in the unit", NULL, &m, err);
    if (st == PARLEY_OK) {
        e->session.session.last_seq = m.seq;
        parley_message_free(&m);
    }
    return st;
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    /* a customer, made on this thread through a desk of its own */
    test_desk desk;
    test_desk_open(&desk, "events", 0);
    fx->db = desk.db;
    fx->customer = test_new_customer(&desk.facade, "Cleo");
    test_desk_close_keeping_db(&desk);
    parley_config_defaults(&fx->config);
    parley_error err = {0};

    parley_event_registry_init(&fx->events);
    assert_true(parley_event_subscribe_in_unit(
        &fx->events, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED), in_unit_writes, NULL));
    assert_true(parley_event_subscribe_after_commit(&fx->events, PARLEY_EVENT_ALL, after_x, NULL));
    parley_event_registry_seal(&fx->events);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    parley_executor_options ex_options = {.database_url = fx->db.url,
                                          .concurrent_threads = 1,
                                          .batch_max = 8,
                                          .strategies = &fx->strategies,
                                          .config = &fx->config,
                                          .events = &fx->events};
    assert_int_equal(parley_executor_start(&fx->loop, &ex_options, &fx->ex, &err), PARLEY_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_executor_stop(fx->ex);
    uv_run(&fx->loop, UV_RUN_DEFAULT); /* closes the wakeup handle */
    parley_executor_free(fx->ex);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    parley_participant_free(fx->customer);
    parley_config_free(&fx->config);
    test_db_remove(&fx->db);
    free(fx);
    return 0;
}

typedef struct start_job {
    parley_job job;
    const parley_participant *customer;
    bool fail_after; /* the unit fails after its events were emitted */
    bool done;
    parley_session session;
} start_job;

static void start_run(parley_job *job, parley_facade *facade) {
    start_job *sj = (start_job *)job;
    parley_error err = {0};
    job->status = parley_chat_initiate(parley_facade_chat(facade), sj->customer, "billing", NULL,
                                       &sj->session, &err);
    if (job->status == PARLEY_OK && sj->fail_after) {
        parley_session_free(&sj->session);
        job->status = PARLEY_E_CONFLICT; /* e.g. a later step of the same request */
    }
}

static void start_done(parley_job *job) {
    ((start_job *)job)->done = true;
}

static void run_start(fixture *fx, start_job *sj) {
    sj->job.kind = PARLEY_JOB_BATCHED;
    sj->job.run = start_run;
    sj->job.done = start_done;
    sj->customer = fx->customer;
    assert_int_equal(parley_executor_submit(fx->ex, &sj->job), PARLEY_OK);
    while (!sj->done) {
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
}

static size_t messages_in(fixture *fx, const char *session_id) {
    parley_repository *repo = test_db_open(&fx->db);
    parley_error err = {0};
    parley_message_list list = {0};
    parley_message_range range = {.after_seq = 0, .before_seq = 0, .limit = 50};
    assert_int_equal(repo->messages->list(repo, session_id, &range, &list, &err), PARLEY_OK);
    size_t n = list.count;
    parley_message_list_free(&list);
    repo->ops->close(repo);
    return n;
}

static size_t sessions_stored(fixture *fx) {
    parley_repository *repo = test_db_open(&fx->db);
    parley_error err = {0};
    parley_session_filter filter = {.status = -1, .limit = 50};
    parley_session_list list = {0};
    char next[64];
    assert_int_equal(repo->sessions->list(repo, &filter, &list, next, sizeof next, &err),
                     PARLEY_OK);
    size_t n = list.count;
    parley_session_list_free(&list);
    repo->ops->close(repo);
    return n;
}

static void test_subscriber_writes_in_the_unit(void **state) {
    fixture *fx = *state;
    trace[0] = '\0';
    start_job sj = {0};
    run_start(fx, &sj);
    assert_int_equal(sj.job.status, PARLEY_OK);
    /* committed with the session; the answer shows the amended payload */
    assert_int_equal(messages_in(fx, sj.session.id), 1);
    assert_int_equal(sj.session.last_seq, 1);
    /* after commit, in order: the subscriber's message, then its cause */
    assert_string_equal(trace, "X:message.created X:session.created ");
    parley_session_free(&sj.session);
}

static void test_rollback_drops_after_commit_delivery(void **state) {
    fixture *fx = *state;
    trace[0] = '\0';
    start_job sj = {.fail_after = true};
    run_start(fx, &sj);
    assert_int_equal(sj.job.status, PARLEY_E_CONFLICT);
    /* nothing after commit: the unit's events were dropped */
    assert_string_equal(trace, "");
    /* and the in-unit subscriber's write went with the unit */
    assert_int_equal(sessions_stored(fx), 0);
    /* a unit that succeeds afterwards is delivered as usual */
    start_job ok = {0};
    run_start(fx, &ok);
    assert_string_equal(trace, "X:message.created X:session.created ");
    assert_int_equal(sessions_stored(fx), 1);
    assert_int_equal(messages_in(fx, ok.session.id), 1);
    parley_session_free(&ok.session);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_unit_runs_in_order_for_its_types),
        cmocka_unit_test(test_after_commit_runs_in_order_on_delivery_only),
        cmocka_unit_test(test_in_unit_amends_and_emits_first),
        cmocka_unit_test(test_in_unit_failure_fails_the_emission),
        cmocka_unit_test(test_registry_is_sealed_and_bounded),
        cmocka_unit_test(test_frames_views),
        FIXTURE_TEST(test_subscriber_writes_in_the_unit),
        FIXTURE_TEST(test_rollback_drops_after_commit_delivery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
