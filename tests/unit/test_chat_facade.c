/* ChatFacade and ChatService rules against a real SQLite database: the
 * session state machine, gapless seq, idempotent sends, the strategy chain
 * (modify and reject), access rules, tickets, feedback and events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/check.h"
#include "core/chat_facade.h"
#include "core/ids.h"
#include "core/settings.h"
#include "fixture.h"
#include "../common/strategy_stubs.h"

typedef struct fixture {
    test_desk desk;
    parley_participant *admin;
    parley_participant *alice; /* customer */
    parley_participant *bob;   /* another customer */
    parley_session session;    /* Alice's, without a strategy chain */
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    test_desk_open(&fx->desk, "facade", TEST_DESK_SUBSCRIBERS);
    assert_true(register_stub_strategies(&fx->desk.registry));
    test_new_agent(&fx->desk.facade, "Ada", "ada@example.com", "correct horse", "admin");
    fx->admin = test_login(&fx->desk.facade, "ADA@example.com", "correct horse");
    fx->alice = test_new_customer(&fx->desk.facade, "Alice");
    fx->bob = test_new_customer(&fx->desk.facade, "Bob");
    test_start_session(&fx->desk, fx->alice, "billing", NULL, &fx->session);
    parley_facade_drop_events(&fx->desk.facade);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_participant_free(fx->admin);
    parley_participant_free(fx->alice);
    parley_participant_free(fx->bob);
    parley_session_free(&fx->session);
    test_desk_close(&fx->desk);
    free(fx);
    return 0;
}

static parley_chat_service *chat(fixture *fx) {
    return test_chat(&fx->desk);
}

static parley_account_service *accounts(fixture *fx) {
    return parley_facade_accounts(&fx->desk.facade);
}

static parley_status send_text(fixture *fx, parley_participant *who, const char *session_id,
                               const char *content, const char *client_id, parley_message *out,
                               bool *duplicate, parley_error *err) {
    /* like the executor: every send is a unit inside a transaction */
    parley_message_input in = {.content = content, .client_msg_id = client_id};
    test_unit_begin(fx->desk.repo);
    parley_status st = parley_chat_send(chat(fx), who, session_id, &in, out, duplicate, err);
    test_unit_end(fx->desk.repo, st == PARLEY_OK || err->keep_writes);
    return st;
}

/* A send that must succeed; returns the message's seq. */
static int64_t send_ok(fixture *fx, parley_participant *who, const char *session_id,
                       const char *content) {
    parley_message m = {0};
    bool duplicate = true;
    parley_error err = {0};
    assert_int_equal(send_text(fx, who, session_id, content, NULL, &m, &duplicate, &err),
                     PARLEY_OK);
    assert_false(duplicate);
    int64_t seq = m.seq;
    parley_message_free(&m);
    return seq;
}

static void test_login_failures_are_identical(void **state) {
    fixture *fx = *state;
    char token[PARLEY_TOKEN_SIZE];
    parley_agent a = {0};
    parley_error wrong_password = {0};
    parley_error unknown_email = {0};
    assert_int_equal(parley_account_login(accounts(fx), "ada@example.com", "wrong password", token,
                                          &a, &wrong_password),
                     PARLEY_E_UNAUTHENTICATED);
    assert_int_equal(parley_account_login(accounts(fx), "nobody@example.com", "correct horse",
                                          token, &a, &unknown_email),
                     PARLEY_E_UNAUTHENTICATED);
    assert_string_equal(wrong_password.message, unknown_email.message);
    assert_string_equal(wrong_password.code, unknown_email.code);
}

static void test_only_customers_start_sessions(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    parley_error err = {0};
    assert_int_equal(parley_chat_initiate(chat(fx), fx->admin, "x", NULL, &s, &err),
                     PARLEY_E_FORBIDDEN);
    assert_int_equal(parley_chat_initiate(chat(fx), fx->alice, "", NULL, &s, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(
        parley_chat_initiate(chat(fx), fx->alice, "hi", "[{\"name\":\"nope\"}]", &s, &err),
        PARLEY_E_INVALID);
    assert_int_equal(parley_chat_initiate(chat(fx), fx->alice, "hi", NULL, &s, &err), PARLEY_OK);
    assert_int_equal(s.status, PARLEY_SESSION_WAITING);
    assert_string_equal(s.customer_id, fx->alice->id);
    assert_string_equal(s.agent_id, "");
    /* the event goes to agents and to the customer */
    parley_event_queue events = {0};
    parley_facade_take_events(&fx->desk.facade, &events);
    assert_int_equal(events.count, 1);
    assert_int_equal(events.head->type, PARLEY_EVENT_SESSION_CREATED);
    assert_int_equal(events.head->audience, PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER);
    assert_string_equal(events.head->customer_id, fx->alice->id);
    assert_string_equal(events.head->session.session.id, s.id);
    parley_event_queue_clear(&events);
    parley_session_free(&s);
}

static void test_seq_is_gapless_and_sends_are_idempotent(void **state) {
    fixture *fx = *state;
    const char *sid = fx->session.id;
    parley_error err = {0};
    bool duplicate = false;
    for (int i = 1; i <= 5; i++) {
        parley_message m = {0};
        char id[16];
        snprintf(id, sizeof id, "c-%d", i);
        assert_int_equal(send_text(fx, fx->alice, sid, "hello", id, &m, &duplicate, &err),
                         PARLEY_OK);
        assert_int_equal(m.seq, i);
        assert_false(duplicate);
        parley_message_free(&m);
    }
    parley_message first = {0};
    parley_message retry = {0};
    assert_int_equal(send_text(fx, fx->alice, sid, "changed text", "c-3", &retry, &duplicate, &err),
                     PARLEY_OK);
    assert_true(duplicate);
    assert_int_equal(retry.seq, 3);
    assert_string_equal(retry.content, "hello"); /* the stored message, not the retry */
    /* the same client id from another sender is a different message */
    assert_int_equal(send_text(fx, fx->admin, sid, "agent", "c-3", &first, &duplicate, &err),
                     PARLEY_OK);
    assert_false(duplicate);
    assert_int_equal(first.seq, 6);
    parley_message_free(&first);
    parley_message_free(&retry);
    /* a message rolled back with its unit gives its seq back */
    parley_error ignored = {0};
    assert_int_equal(fx->desk.repo->ops->begin(fx->desk.repo, &ignored), PARLEY_OK);
    assert_int_equal(fx->desk.repo->ops->savepoint(fx->desk.repo, &ignored), PARLEY_OK);
    parley_message lost = {0};
    parley_message_input lost_in = {.content = "lost"};
    assert_int_equal(parley_chat_send(chat(fx), fx->alice, sid, &lost_in, &lost, &duplicate, &err),
                     PARLEY_OK);
    assert_int_equal(lost.seq, 7);
    assert_int_equal(fx->desk.repo->ops->rollback_to(fx->desk.repo, &ignored), PARLEY_OK);
    assert_int_equal(fx->desk.repo->ops->commit(fx->desk.repo, &ignored), PARLEY_OK);
    parley_message_free(&lost);
    parley_message kept = {0};
    assert_int_equal(send_text(fx, fx->alice, sid, "kept", NULL, &kept, &duplicate, &err),
                     PARLEY_OK);
    assert_int_equal(kept.seq, 7);
    parley_message_free(&kept);
}

static void test_system_messages_take_the_next_seq(void **state) {
    fixture *fx = *state;
    const char *sid = fx->session.id;
    assert_int_equal(send_ok(fx, fx->alice, sid, "hello"), 1);
    parley_facade_drop_events(&fx->desk.facade);
    parley_error err = {0};
    parley_message sys = {0};
    test_unit_begin(fx->desk.repo);
    parley_status st = parley_chat_post_system_message(chat(fx), sid, "closed for idling",
                                                       "{\"reason\":\"idle\"}", &sys, &err);
    if (st != PARLEY_OK) {
        fail_msg("post_system_message: %s", err.message);
    }
    test_unit_end(fx->desk.repo, true);
    assert_int_equal(sys.seq, 2);
    assert_int_equal(sys.sender_kind, PARLEY_PARTICIPANT_SYSTEM);
    parley_message_free(&sys);
    /* it is delivered to the session's subscribers like any message */
    assert_int_equal(fx->desk.facade.chat.events.count, 1);
    assert_int_equal(fx->desk.facade.chat.events.head->type, PARLEY_EVENT_MESSAGE_CREATED);
    assert_int_equal(fx->desk.facade.chat.events.head->message.message.sender_kind,
                     PARLEY_PARTICIPANT_SYSTEM);
    parley_facade_drop_events(&fx->desk.facade);
    /* and stored: the history shows it with its meta */
    parley_message_list list = {0};
    parley_message_range range = {.limit = 10};
    assert_int_equal(parley_chat_history(chat(fx), fx->alice, sid, &range, &list, &err), PARLEY_OK);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[1].content, "closed for idling");
    assert_string_equal(list.items[1].meta_json, "{\"reason\":\"idle\"}");
    parley_message_list_free(&list);
    test_unit_begin(fx->desk.repo);
    assert_int_equal(
        parley_chat_post_system_message(chat(fx), "ses_missing", "x", NULL, NULL, &err),
        PARLEY_E_NOT_FOUND);
    test_unit_end(fx->desk.repo, false);
}

static void test_strategies_modify_and_reject(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    test_start_session(&fx->desk, fx->alice, "billing",
                       "[{\"name\":\"refuse\"},{\"name\":\"shout\"}]", &s);
    parley_error err = {0};
    bool duplicate = false;
    parley_message m = {0};
    assert_int_equal(send_text(fx, fx->alice, s.id, "buy now!!", NULL, &m, &duplicate, &err),
                     PARLEY_E_REJECTED);
    assert_string_equal(err.code, "spam_detected");
    assert_true(err.keep_writes); /* kept for review, never delivered */
    parley_flagged_list flagged = {0};
    char next[64];
    assert_int_equal(fx->desk.repo->strategy_stores->flagged_list(fx->desk.repo, 10, "", &flagged,
                                                                  next, sizeof next, &err),
                     PARLEY_OK);
    assert_int_equal(flagged.count, 1);
    assert_string_equal(flagged.items[0].message.content, "buy now!!");
    assert_string_equal(flagged.items[0].reason, "spam_detected");
    assert_string_equal(flagged.items[0].message.session_id, s.id);
    parley_flagged_list_free(&flagged);
    assert_int_equal(send_text(fx, fx->alice, s.id, "my bill is wrong", NULL, &m, &duplicate, &err),
                     PARLEY_OK);
    assert_int_equal(m.seq, 1); /* the refused message took no seq */
    assert_string_equal(m.content, "MY BILL IS WRONG");
    assert_string_equal(m.original_content, "my bill is wrong"); /* kept for admins */
    assert_non_null(m.meta_json);
    assert_non_null(strstr(m.meta_json, "\"shouted\""));
    assert_non_null(strstr(m.meta_json, "\"strategy\":\"shout\""));
    parley_message_free(&m);
    /* history returns the stored (modified) message */
    parley_message_list list = {0};
    parley_message_range range = {.after_seq = 0, .limit = 50};
    assert_int_equal(parley_chat_history(chat(fx), fx->alice, s.id, &range, &list, &err),
                     PARLEY_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].content, "MY BILL IS WRONG");
    parley_message_list_free(&list);
    parley_session_free(&s);
}

static void test_customers_see_only_their_sessions(void **state) {
    fixture *fx = *state;
    const char *sid = fx->session.id;
    parley_session got = {0};
    parley_error err = {0};
    assert_int_equal(parley_chat_get_session(chat(fx), fx->bob, sid, &got, &err),
                     PARLEY_E_NOT_FOUND);
    parley_message m = {0};
    bool duplicate = false;
    assert_int_equal(send_text(fx, fx->bob, sid, "intrusion", NULL, &m, &duplicate, &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(parley_chat_get_session(chat(fx), fx->admin, sid, &got, &err), PARLEY_OK);
    parley_session_free(&got);
    parley_session_filter filter = {.status = -1, .limit = 50};
    parley_session_list list = {0};
    char next[80];
    assert_int_equal(
        parley_chat_list_sessions(chat(fx), fx->bob, &filter, &list, next, sizeof next, &err),
        PARLEY_OK);
    assert_int_equal(list.count, 0);
    parley_session_list_free(&list);
}

static void test_agent_reply_assigns_and_close_is_final(void **state) {
    fixture *fx = *state;
    const char *sid = fx->session.id;
    assert_int_equal(send_ok(fx, fx->admin, sid, "how can I help?"), 1);
    parley_event_queue events = {0};
    parley_facade_take_events(&fx->desk.facade, &events);
    assert_int_equal(events.count, 2);
    assert_int_equal(events.head->type, PARLEY_EVENT_SESSION_UPDATED);
    assert_int_equal(events.tail->type, PARLEY_EVENT_MESSAGE_CREATED);
    assert_int_equal(events.tail->audience, PARLEY_AUDIENCE_SUBSCRIBERS);
    assert_int_equal(events.tail->seq, 1);
    parley_event_queue_clear(&events);
    parley_error err = {0};
    parley_session got = {0};
    assert_int_equal(parley_chat_get_session(chat(fx), fx->alice, sid, &got, &err), PARLEY_OK);
    assert_int_equal(got.status, PARLEY_SESSION_ACTIVE);
    assert_string_equal(got.agent_id, fx->admin->id);
    parley_session_free(&got);
    /* closing posts the feedback request (a message with the next seq),
     * so like every unit it runs inside a transaction */
    test_unit_begin(fx->desk.repo);
    assert_int_equal(parley_chat_close(chat(fx), fx->alice, sid, &got, &err), PARLEY_OK);
    test_unit_end(fx->desk.repo, true);
    assert_int_equal(got.status, PARLEY_SESSION_CLOSED);
    assert_int_equal(got.last_seq, 2);
    assert_true(got.closed_at == got.updated_at && got.closed_at > 0);
    parley_session_free(&got);
    assert_int_equal(parley_chat_close(chat(fx), fx->admin, sid, &got, &err),
                     PARLEY_OK); /* idempotent */
    parley_session_free(&got);
    parley_message m = {0};
    bool duplicate = false;
    assert_int_equal(send_text(fx, fx->alice, sid, "late", NULL, &m, &duplicate, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(parley_chat_assign(chat(fx), fx->admin, sid, fx->admin->id, &got, &err),
                     PARLEY_E_CONFLICT);
    /* nor does the desk speak in it: its last_seq is final */
    test_unit_begin(fx->desk.repo);
    assert_int_equal(parley_chat_post_system_message(chat(fx), sid, "too late", NULL, NULL, &err),
                     PARLEY_E_CONFLICT);
    test_unit_end(fx->desk.repo, false);
}

static void test_ticket_lifecycle(void **state) {
    fixture *fx = *state;
    static const bool allowed[3][3] = {
        /* to: open  in_progress resolved */
        {false, true, true},  /* from open */
        {true, false, true},  /* from in_progress */
        {true, false, false}, /* from resolved */
    };
    for (int from = 0; from < 3; from++) {
        for (int to = 0; to < 3; to++) {
            assert_int_equal(parley_ticket_transition_allowed((parley_ticket_status)from,
                                                              (parley_ticket_status)to),
                             allowed[from][to]);
        }
    }
    const char *sid = fx->session.id;
    parley_ticket t = {0};
    parley_error err = {0};
    assert_int_equal(parley_chat_create_ticket(chat(fx), fx->alice, sid, "x", &t, &err),
                     PARLEY_E_FORBIDDEN);
    assert_int_equal(parley_chat_create_ticket(chat(fx), fx->admin, sid, "refund stuck", &t, &err),
                     PARLEY_OK);
    assert_int_equal(t.status, PARLEY_TICKET_OPEN);
    assert_string_equal(t.agent_id, fx->admin->id);
    /* one change after the other, each from where the last left it; the
     * answer of an accepted one shows the new status */
    static const struct {
        const char *status;
        parley_status want;
        parley_ticket_status now;
    } changes[] = {
        {"in_progress", PARLEY_OK, PARLEY_TICKET_IN_PROGRESS},
        {"resolved", PARLEY_OK, PARLEY_TICKET_RESOLVED},
        {"in_progress", PARLEY_E_CONFLICT, PARLEY_TICKET_RESOLVED},
        {"done", PARLEY_E_INVALID, PARLEY_TICKET_RESOLVED},
        {"open", PARLEY_OK, PARLEY_TICKET_OPEN}, /* reopen */
    };
    parley_ticket u = {0};
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        assert_int_equal(
            parley_chat_update_ticket(chat(fx), fx->admin, t.id, changes[i].status, &u, &err),
            changes[i].want);
        if (changes[i].want == PARLEY_OK) {
            assert_int_equal(u.status, changes[i].now);
        }
        parley_ticket_free(&u);
    }
    /* the session's customer may read it; another customer may not */
    assert_int_equal(parley_chat_get_ticket(chat(fx), fx->alice, t.id, &u, &err), PARLEY_OK);
    parley_ticket_free(&u);
    assert_int_equal(parley_chat_get_ticket(chat(fx), fx->bob, t.id, &u, &err), PARLEY_E_NOT_FOUND);
    parley_ticket_free(&t);
}

static void test_feedback_once_per_session(void **state) {
    fixture *fx = *state;
    const char *sid = fx->session.id;
    parley_feedback f = {0};
    parley_error err = {0};
    assert_int_equal(parley_chat_submit_feedback(chat(fx), fx->alice, sid, 6, NULL, &f, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(parley_chat_submit_feedback(chat(fx), fx->admin, sid, 5, NULL, &f, &err),
                     PARLEY_E_FORBIDDEN);
    assert_int_equal(parley_chat_submit_feedback(chat(fx), fx->bob, sid, 5, NULL, &f, &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(parley_chat_submit_feedback(chat(fx), fx->alice, sid, 4, "quick", &f, &err),
                     PARLEY_OK);
    assert_int_equal(f.rating, 4);
    parley_feedback_free(&f);
    assert_int_equal(parley_chat_submit_feedback(chat(fx), fx->alice, sid, 5, NULL, &f, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(parley_chat_get_feedback(chat(fx), fx->admin, sid, &f, &err), PARLEY_OK);
    assert_string_equal(f.comment, "quick");
    parley_feedback_free(&f);
}

static void test_logout_revokes_the_token(void **state) {
    fixture *fx = *state;
    char token[PARLEY_TOKEN_SIZE];
    parley_agent a = {0};
    parley_error err = {0};
    assert_int_equal(
        parley_account_login(accounts(fx), "ada@example.com", "correct horse", token, &a, &err),
        PARLEY_OK);
    parley_agent_free(&a);
    parley_participant *p = test_authenticate(&fx->desk.facade, token);
    assert_int_equal(parley_facade_logout(&fx->desk.facade, p, &err), PARLEY_OK);
    parley_participant_free(p);
    parley_participant *gone = NULL;
    assert_int_equal(parley_account_authenticate(accounts(fx), token, &gone, &err),
                     PARLEY_E_UNAUTHENTICATED);
    assert_null(gone);
}

/* The admin's re-apply pages: each call (a unit) takes the next
 * PARLEY_REAPPLY_PAGE open sessions and leaves no answer while more remain;
 * the last answers with the sums and audits; an unchanged policy then
 * changes nothing. */
static void test_policy_reapply_pages(void **state) {
    fixture *fx = *state;
    enum { MORE = 450 }; /* three pages of 200 */
    for (int i = 0; i < MORE; i++) {
        parley_session s = {0};
        test_start_session(&fx->desk, fx->bob, "orders", NULL, &s);
        parley_session_free(&s);
    }
    const int open = MORE + 1; /* and Alice's */
    parley_error err = {0};
    json_t *patch = json_pack("{s:{s:[{s:s}]}}", "strategies.policy", "chain", "name", "shout");
    test_unit_begin(fx->desk.repo);
    assert_int_equal(parley_settings_update(fx->desk.repo, fx->admin, NULL, patch, &err),
                     PARLEY_OK);
    test_unit_end(fx->desk.repo, true);
    json_decref(patch);
    for (int round = 0; round < 2; round++) {
        parley_reapply_progress progress = {0};
        json_t *out = NULL;
        int units = 0;
        while (out == NULL) {
            test_unit_begin(fx->desk.repo);
            assert_int_equal(parley_facade_reapply_strategy_policy(&fx->desk.facade, fx->admin,
                                                                   &progress, &out, &err),
                             PARLEY_OK);
            test_unit_end(fx->desk.repo, true);
            units++;
            /* never more than a page a unit */
            assert_true(progress.checked <= (long long)units * PARLEY_REAPPLY_PAGE);
            assert_true(units <= 4);
        }
        assert_int_equal(units, 3);
        assert_int_equal(json_integer_value(json_object_get(out, "sessions_checked")), open);
        assert_int_equal(json_integer_value(json_object_get(out, "sessions_updated")),
                         round == 0 ? open : 0);
        json_decref(out);
    }
    parley_session s = {0};
    assert_int_equal(parley_chat_get_session(chat(fx), fx->admin, fx->session.id, &s, &err),
                     PARLEY_OK);
    assert_string_equal(s.strategies_json, "[{\"name\":\"shout\"}]");
    parley_session_free(&s);
}

int main(void) {
    assert_true(parley_crypto_init());
    static const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_login_failures_are_identical),
        FIXTURE_TEST(test_only_customers_start_sessions),
        FIXTURE_TEST(test_seq_is_gapless_and_sends_are_idempotent),
        FIXTURE_TEST(test_system_messages_take_the_next_seq),
        FIXTURE_TEST(test_strategies_modify_and_reject),
        FIXTURE_TEST(test_customers_see_only_their_sessions),
        FIXTURE_TEST(test_agent_reply_assigns_and_close_is_final),
        FIXTURE_TEST(test_ticket_lifecycle),
        FIXTURE_TEST(test_feedback_once_per_session),
        FIXTURE_TEST(test_logout_revokes_the_token),
        FIXTURE_TEST(test_policy_reapply_pages),
    };
    return RUN_TESTS(tests);
}
