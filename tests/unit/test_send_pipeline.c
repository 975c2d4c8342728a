/* The send pipeline (net/api/send_pipeline.h) against a real SQLite database:
 * its states (prepare on the pool, store on the writer, or both in one
 * unit), the job's status and answered flag for each outcome, what the
 * front end's render is given, and what the chain cache learns. The
 * executor's threads are not involved: each step is called as the thread
 * that owns it would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/api/send_pipeline.h"
#include "../common/check.h"
#include "fixture.h"
#include "../common/strategy_stubs.h"

typedef struct fixture {
    test_desk desk;
    parley_participant *alice;
    parley_session plain;   /* no strategy chain */
    parley_session guarded; /* the "refuse" chain */
    parley_chain_cache chains;
} fixture;

/* A front end that records what the pipeline handed it. */
typedef struct test_send {
    parley_send send;
    int renders;
    bool got_message;
    bool duplicate;
    int64_t seq;
    char message_id[PARLEY_ID_SIZE];
    parley_status job_status_at_render;
    bool fail_decode;
    const char *content;
    const char *client_msg_id;
} test_send;

static parley_status test_decode(parley_send *s, parley_error *err) {
    test_send *ts = (test_send *)s;
    if (ts->fail_decode) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "content: missing");
    }
    s->input.content = ts->content;
    s->input.client_msg_id = ts->client_msg_id;
    return PARLEY_OK;
}

static void test_render(parley_send *s, parley_job *job, const parley_message *m, bool duplicate) {
    test_send *ts = (test_send *)s;
    ts->renders++;
    ts->got_message = m != NULL;
    ts->duplicate = duplicate;
    ts->job_status_at_render = job->status;
    if (m != NULL) {
        ts->seq = m->seq;
        snprintf(ts->message_id, sizeof ts->message_id, "%s", m->id);
    }
}

static const parley_send_ops test_ops = {test_decode, test_render};

static void new_send(test_send *ts, const char *session_id, const char *content,
                     const char *client_msg_id) {
    memset(ts, 0, sizeof *ts);
    parley_send_init(&ts->send, &test_ops);
    ts->send.session_id = session_id;
    ts->content = content;
    ts->client_msg_id = client_msg_id;
}

/* The pool's prepare step: autocommit reads, like a pool thread. */
static void prepare(fixture *fx, test_send *ts, parley_job *job) {
    job->status = PARLEY_OK;
    parley_send_prepare(&ts->send, job, &fx->desk.facade, fx->alice);
    parley_facade_drop_events(&fx->desk.facade);
}

/* The writer's unit: one transaction, kept when the job's status is OK. */
static void store(fixture *fx, test_send *ts, parley_job *job) {
    test_unit_begin(fx->desk.repo);
    job->status = PARLEY_OK;
    parley_send_store(&ts->send, job, &fx->desk.facade, fx->alice);
    test_unit_end(fx->desk.repo, job->status == PARLEY_OK);
    parley_facade_drop_events(&fx->desk.facade);
}

/* A send that goes through both steps and is finished. */
static void send_both_steps(fixture *fx, test_send *ts, parley_job *job, const char *session_id,
                            const char *content, const char *client_msg_id) {
    new_send(ts, session_id, content, client_msg_id);
    prepare(fx, ts, job);
    store(fx, ts, job);
    parley_send_finish(&ts->send, &fx->chains);
}

/* The send was answered, once, with this job status and with or without
 * the stored message. */
static void expect_answer(const test_send *ts, const parley_job *job, parley_status status,
                          bool got_message) {
    assert_int_equal(ts->send.state, PARLEY_SEND_ANSWERED);
    assert_int_equal(ts->renders, 1);
    assert_int_equal(job->status, status);
    assert_int_equal(ts->got_message, got_message);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    test_desk_open(&fx->desk, "send", 0);
    assert_true(register_stub_strategies(&fx->desk.registry));
    fx->alice = test_new_customer(&fx->desk.facade, "Alice");
    test_start_session(&fx->desk, fx->alice, "billing", "[]", &fx->plain);
    test_start_session(&fx->desk, fx->alice, "sales", "[{\"name\":\"refuse\"}]", &fx->guarded);
    parley_chain_cache_init(&fx->chains, 16);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_chain_cache_free(&fx->chains);
    parley_session_free(&fx->plain);
    parley_session_free(&fx->guarded);
    parley_participant_free(fx->alice);
    test_desk_close(&fx->desk);
    free(fx);
    return 0;
}

/* Prepared on the pool, stored on the writer: two steps, one render. */
static void test_prepare_then_store(void **state) {
    fixture *fx = *state;
    test_send ts;
    parley_job job = {0};
    new_send(&ts, fx->guarded.id, "hello", "c1");
    assert_true(parley_send_wants_prepare(&fx->chains, fx->guarded.id)); /* unknown */
    prepare(fx, &ts, &job);
    assert_int_equal(ts.send.state, PARLEY_SEND_PREPARED);
    assert_false(job.answered);
    assert_int_equal(job.status, PARLEY_OK);
    assert_int_equal(ts.renders, 0);
    store(fx, &ts, &job);
    expect_answer(&ts, &job, PARLEY_OK, true);
    assert_false(ts.duplicate);
    assert_int_equal(ts.seq, 1);
    assert_int_equal(ts.job_status_at_render, PARLEY_OK);
    /* the session has a chain: it keeps its prepare step */
    parley_send_finish(&ts.send, &fx->chains);
    assert_true(parley_send_wants_prepare(&fx->chains, fx->guarded.id));
}

/* A retry of a stored message ends in the prepare step, answered there. */
static void test_retry_is_answered_by_prepare(void **state) {
    fixture *fx = *state;
    test_send first, retry;
    parley_job job1 = {0}, job2 = {0};
    send_both_steps(fx, &first, &job1, fx->plain.id, "hello", "c1");
    new_send(&retry, fx->plain.id, "hello again", "c1");
    prepare(fx, &retry, &job2);
    expect_answer(&retry, &job2, PARLEY_OK, true);
    assert_true(job2.answered);
    assert_true(retry.duplicate);
    assert_int_equal(retry.seq, 1);
    assert_string_equal(retry.message_id, first.message_id);
    parley_send_finish(&retry.send, &fx->chains);
}

/* A session learnt to have no chain skips the prepare step: the writer
 * prepares and stores in one unit. */
static void test_no_chain_is_one_unit_on_the_writer(void **state) {
    fixture *fx = *state;
    test_send first, second;
    parley_job job1 = {0}, job2 = {0};
    send_both_steps(fx, &first, &job1, fx->plain.id, "one", "c1");
    assert_false(parley_send_wants_prepare(&fx->chains, fx->plain.id));
    new_send(&second, fx->plain.id, "two", "c2");
    store(fx, &second, &job2); /* no prepare step */
    expect_answer(&second, &job2, PARLEY_OK, true);
    assert_true(second.send.draft.same_unit);
    assert_int_equal(second.seq, 2);
    parley_send_finish(&second.send, &fx->chains);
}

/* A request that does not decode fails the job in the prepare step and
 * teaches the cache nothing. */
static void test_decode_error_ends_the_send(void **state) {
    fixture *fx = *state;
    test_send ts;
    parley_job job = {0};
    new_send(&ts, fx->plain.id, NULL, NULL);
    ts.fail_decode = true;
    prepare(fx, &ts, &job);
    expect_answer(&ts, &job, PARLEY_E_INVALID, false);
    assert_true(job.answered);
    assert_string_equal(ts.send.err.code, "validation_failed");
    parley_send_finish(&ts.send, &fx->chains);
    assert_true(parley_send_wants_prepare(&fx->chains, fx->plain.id)); /* still unknown */
}

/* A refusal for the content answers an error but keeps the unit's writes
 * (the message is kept for review): the job's status is OK. */
static void test_refusal_commits_and_answers_an_error(void **state) {
    fixture *fx = *state;
    test_send ts;
    parley_job job = {0};
    new_send(&ts, fx->guarded.id, "buy now!", "c9");
    prepare(fx, &ts, &job);
    assert_int_equal(ts.send.state, PARLEY_SEND_PREPARED);
    store(fx, &ts, &job);
    expect_answer(&ts, &job, PARLEY_OK, false);
    assert_true(ts.send.err.keep_writes);
    assert_string_equal(ts.send.err.code, "spam_detected");
    assert_int_equal(ts.job_status_at_render, PARLEY_OK);
    parley_send_finish(&ts.send, &fx->chains);
}

int main(void) {
    static const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_prepare_then_store),
        FIXTURE_TEST(test_retry_is_answered_by_prepare),
        FIXTURE_TEST(test_no_chain_is_one_unit_on_the_writer),
        FIXTURE_TEST(test_decode_error_ends_the_send),
        FIXTURE_TEST(test_refusal_commits_and_answers_an_error),
    };
    return RUN_TESTS(tests);
}
