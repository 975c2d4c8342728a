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

#include "core/chat_facade.h"
#include "core/ids.h"
#include "storage/backend.h"

#include "test_strategy_stubs.h"

typedef struct fixture {
    char dir[64];
    char db[128];
    parley_config config;
    parley_strategy_registry registry;
    parley_repository *repo;
    parley_facade facade;
    parley_event_registry events;
    parley_participant *admin;
    parley_participant *alice; /* customer */
    parley_participant *bob;   /* another customer */
} fixture;

static parley_participant *authenticate(fixture *fx, const char *token) {
    parley_participant *p = NULL;
    parley_error err = {0};
    assert_int_equal(
        parley_account_authenticate(parley_facade_accounts(&fx->facade), token, &p, &err),
        PARLEY_OK);
    return p;
}

static parley_participant *new_customer(fixture *fx, const char *name) {
    parley_customer_input in = {.name = name};
    parley_customer c = {0};
    char token[PARLEY_TOKEN_SIZE];
    parley_error err = {0};
    bool existing = true;
    assert_int_equal(parley_account_register_customer(parley_facade_accounts(&fx->facade), &in, &c,
                                                      &existing, token, &err),
                     PARLEY_OK);
    assert_false(existing);
    parley_customer_free(&c);
    return authenticate(fx, token);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    strcpy(fx->dir, "/tmp/parley-facade-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->db, sizeof fx->db, "%s/parley.db", fx->dir);
    parley_config_defaults(&fx->config);
    fx->config.password_memlimit_kib = 19456;
    assert_true(register_stub_strategies(&fx->registry));
    parley_error err = {0};
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s", fx->db);
    assert_int_equal(parley_storage_migrate(url, &err), PARLEY_OK);
    parley_storage_options options = {.durable = false, .busy_timeout_ms = 1000};
    assert_int_equal(parley_storage_open(url, &options, &fx->repo, &err), PARLEY_OK);
    parley_facade_init(&fx->facade, fx->repo, &fx->registry, &fx->config, NULL);
    /* the desk's in-unit subscribers, as the server registers them */
    parley_event_registry_init(&fx->events);
    assert_true(parley_bot_subscribe(&fx->events));
    assert_true(parley_routing_subscribe(&fx->events));
    parley_event_registry_seal(&fx->events);
    parley_facade_set_event_registry(&fx->facade, &fx->events);

    parley_agent admin = {0};
    parley_agent_input in = {
        .name = "Ada", .email = "ada@example.com", .password = "correct horse", .role = "admin"};
    assert_int_equal(parley_account_create_agent(&fx->facade.accounts, &in, &admin, &err),
                     PARLEY_OK);
    parley_agent_free(&admin);
    char token[PARLEY_TOKEN_SIZE];
    parley_agent logged = {0};
    assert_int_equal(parley_account_login(parley_facade_accounts(&fx->facade), "ADA@example.com",
                                          "correct horse", token, &logged, &err),
                     PARLEY_OK);
    parley_agent_free(&logged);
    fx->admin = authenticate(fx, token);
    fx->alice = new_customer(fx, "Alice");
    fx->bob = new_customer(fx, "Bob");
    parley_facade_drop_events(&fx->facade);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_participant_free(fx->admin);
    parley_participant_free(fx->alice);
    parley_participant_free(fx->bob);
    parley_facade_destroy(&fx->facade);
    fx->repo->ops->close(fx->repo);
    parley_config_free(&fx->config);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static void start_session(fixture *fx, const char *strategies, parley_session *out) {
    parley_error err = {0};
    assert_int_equal(parley_chat_initiate(parley_facade_chat(&fx->facade), fx->alice, "billing",
                                          strategies, out, &err),
                     PARLEY_OK);
    parley_facade_drop_events(&fx->facade);
}

static parley_status send_text(fixture *fx, parley_participant *who, const char *session_id,
                               const char *content, const char *client_id, parley_message *out,
                               bool *duplicate, parley_error *err) {
    /* like the executor: every send is a unit inside a transaction */
    parley_message_input in = {.content = content, .client_msg_id = client_id};
    parley_error tx = {0};
    assert_int_equal(fx->repo->ops->begin(fx->repo, &tx), PARLEY_OK);
    parley_status st = parley_chat_send(parley_facade_chat(&fx->facade), who, session_id, &in, out,
                                        duplicate, err);
    if (st == PARLEY_OK || err->keep_writes) {
        assert_int_equal(fx->repo->ops->commit(fx->repo, &tx), PARLEY_OK);
    } else {
        assert_int_equal(fx->repo->ops->rollback(fx->repo, &tx), PARLEY_OK);
    }
    return st;
}

static void test_login_failures_are_identical(void **state) {
    fixture *fx = *state;
    char token[PARLEY_TOKEN_SIZE];
    parley_agent a = {0};
    parley_error wrong_password = {0};
    parley_error unknown_email = {0};
    assert_int_equal(parley_account_login(parley_facade_accounts(&fx->facade), "ada@example.com",
                                          "wrong password", token, &a, &wrong_password),
                     PARLEY_E_UNAUTHENTICATED);
    assert_int_equal(parley_account_login(parley_facade_accounts(&fx->facade), "nobody@example.com",
                                          "correct horse", token, &a, &unknown_email),
                     PARLEY_E_UNAUTHENTICATED);
    assert_string_equal(wrong_password.message, unknown_email.message);
    assert_string_equal(wrong_password.code, unknown_email.code);
}

static void test_only_customers_start_sessions(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    parley_error err = {0};
    assert_int_equal(
        parley_chat_initiate(parley_facade_chat(&fx->facade), fx->admin, "x", NULL, &s, &err),
        PARLEY_E_FORBIDDEN);
    assert_int_equal(
        parley_chat_initiate(parley_facade_chat(&fx->facade), fx->alice, "", NULL, &s, &err),
        PARLEY_E_INVALID);
    assert_int_equal(parley_chat_initiate(parley_facade_chat(&fx->facade), fx->alice, "hi",
                                          "[{\"name\":\"nope\"}]", &s, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(
        parley_chat_initiate(parley_facade_chat(&fx->facade), fx->alice, "hi", NULL, &s, &err),
        PARLEY_OK);
    assert_int_equal(s.status, PARLEY_SESSION_WAITING);
    assert_string_equal(s.customer_id, fx->alice->id);
    assert_string_equal(s.agent_id, "");
    /* the event goes to agents and to the customer */
    parley_event_queue events = {0};
    parley_facade_take_events(&fx->facade, &events);
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
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_error err = {0};
    bool duplicate = false;
    for (int i = 1; i <= 5; i++) {
        parley_message m = {0};
        char id[16];
        snprintf(id, sizeof id, "c-%d", i);
        assert_int_equal(send_text(fx, fx->alice, s.id, "hello", id, &m, &duplicate, &err),
                         PARLEY_OK);
        assert_int_equal(m.seq, i);
        assert_false(duplicate);
        parley_message_free(&m);
    }
    parley_message first = {0};
    parley_message retry = {0};
    assert_int_equal(
        send_text(fx, fx->alice, s.id, "changed text", "c-3", &retry, &duplicate, &err), PARLEY_OK);
    assert_true(duplicate);
    assert_int_equal(retry.seq, 3);
    assert_string_equal(retry.content, "hello"); /* the stored message, not the retry */
    /* the same client id from another sender is a different message */
    assert_int_equal(send_text(fx, fx->admin, s.id, "agent", "c-3", &first, &duplicate, &err),
                     PARLEY_OK);
    assert_false(duplicate);
    assert_int_equal(first.seq, 6);
    parley_message_free(&first);
    parley_message_free(&retry);
    /* a message rolled back with its unit gives its seq back */
    parley_error ignored = {0};
    assert_int_equal(fx->repo->ops->begin(fx->repo, &ignored), PARLEY_OK);
    assert_int_equal(fx->repo->ops->savepoint(fx->repo, &ignored), PARLEY_OK);
    parley_message lost = {0};
    parley_message_input lost_in = {.content = "lost"};
    assert_int_equal(parley_chat_send(parley_facade_chat(&fx->facade), fx->alice, s.id, &lost_in,
                                      &lost, &duplicate, &err),
                     PARLEY_OK);
    assert_int_equal(lost.seq, 7);
    assert_int_equal(fx->repo->ops->rollback_to(fx->repo, &ignored), PARLEY_OK);
    assert_int_equal(fx->repo->ops->commit(fx->repo, &ignored), PARLEY_OK);
    parley_message_free(&lost);
    parley_message kept = {0};
    assert_int_equal(send_text(fx, fx->alice, s.id, "kept", NULL, &kept, &duplicate, &err),
                     PARLEY_OK);
    assert_int_equal(kept.seq, 7);
    parley_message_free(&kept);
    parley_session_free(&s);
}

static void test_system_messages_take_the_next_seq(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_error err = {0};
    bool duplicate = false;
    parley_message m = {0};
    assert_int_equal(send_text(fx, fx->alice, s.id, "hello", NULL, &m, &duplicate, &err),
                     PARLEY_OK);
    parley_message_free(&m);
    parley_facade_drop_events(&fx->facade);
    parley_message sys = {0};
    assert_int_equal(fx->repo->ops->begin(fx->repo, &err), PARLEY_OK);
    parley_status st = parley_chat_post_system_message(&fx->facade.chat, s.id, "closed for idling",
                                                       "{\"reason\":\"idle\"}", &sys, &err);
    if (st != PARLEY_OK) {
        fail_msg("post_system_message: %s", err.message);
    }
    assert_int_equal(fx->repo->ops->commit(fx->repo, &err), PARLEY_OK);
    assert_int_equal(sys.seq, 2);
    assert_int_equal(sys.sender_kind, PARLEY_PARTICIPANT_SYSTEM);
    parley_message_free(&sys);
    /* it is delivered to the session's subscribers like any message */
    assert_int_equal(fx->facade.chat.events.count, 1);
    assert_int_equal(fx->facade.chat.events.head->type, PARLEY_EVENT_MESSAGE_CREATED);
    assert_int_equal(fx->facade.chat.events.head->message.message.sender_kind,
                     PARLEY_PARTICIPANT_SYSTEM);
    parley_facade_drop_events(&fx->facade);
    /* and stored: the history shows it with its meta */
    parley_message_list list = {0};
    parley_message_range range = {.limit = 10};
    assert_int_equal(
        parley_chat_history(parley_facade_chat(&fx->facade), fx->alice, s.id, &range, &list, &err),
        PARLEY_OK);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[1].content, "closed for idling");
    assert_string_equal(list.items[1].meta_json, "{\"reason\":\"idle\"}");
    parley_message_list_free(&list);
    assert_int_equal(fx->repo->ops->begin(fx->repo, &err), PARLEY_OK);
    assert_int_equal(
        parley_chat_post_system_message(&fx->facade.chat, "ses_missing", "x", NULL, NULL, &err),
        PARLEY_E_NOT_FOUND);
    assert_int_equal(fx->repo->ops->rollback(fx->repo, &err), PARLEY_OK);
    parley_session_free(&s);
}

static void test_strategies_modify_and_reject(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    start_session(fx, "[{\"name\":\"refuse\"},{\"name\":\"shout\"}]", &s);
    parley_error err = {0};
    bool duplicate = false;
    parley_message m = {0};
    assert_int_equal(send_text(fx, fx->alice, s.id, "buy now!!", NULL, &m, &duplicate, &err),
                     PARLEY_E_REJECTED);
    assert_string_equal(err.code, "spam_detected");
    assert_true(err.keep_writes); /* kept for review, never delivered */
    parley_flagged_list flagged = {0};
    char next[64];
    assert_int_equal(fx->repo->strategy_stores->flagged_list(fx->repo, 10, "", &flagged, next,
                                                             sizeof next, &err),
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
    assert_int_equal(
        parley_chat_history(parley_facade_chat(&fx->facade), fx->alice, s.id, &range, &list, &err),
        PARLEY_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].content, "MY BILL IS WRONG");
    parley_message_list_free(&list);
    parley_session_free(&s);
}

static void test_customers_see_only_their_sessions(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_session got = {0};
    parley_error err = {0};
    assert_int_equal(
        parley_chat_get_session(parley_facade_chat(&fx->facade), fx->bob, s.id, &got, &err),
        PARLEY_E_NOT_FOUND);
    parley_message m = {0};
    bool duplicate = false;
    assert_int_equal(send_text(fx, fx->bob, s.id, "intrusion", NULL, &m, &duplicate, &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(
        parley_chat_get_session(parley_facade_chat(&fx->facade), fx->admin, s.id, &got, &err),
        PARLEY_OK);
    parley_session_free(&got);
    parley_session_filter filter = {.status = -1, .limit = 50};
    parley_session_list list = {0};
    char next[80];
    assert_int_equal(parley_chat_list_sessions(parley_facade_chat(&fx->facade), fx->bob, &filter,
                                               &list, next, sizeof next, &err),
                     PARLEY_OK);
    assert_int_equal(list.count, 0);
    parley_session_list_free(&list);
    parley_session_free(&s);
}

static void test_agent_reply_assigns_and_close_is_final(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_error err = {0};
    bool duplicate = false;
    parley_message m = {0};
    assert_int_equal(send_text(fx, fx->admin, s.id, "how can I help?", NULL, &m, &duplicate, &err),
                     PARLEY_OK);
    parley_message_free(&m);
    parley_event_queue events = {0};
    parley_facade_take_events(&fx->facade, &events);
    assert_int_equal(events.count, 2);
    assert_int_equal(events.head->type, PARLEY_EVENT_SESSION_UPDATED);
    assert_int_equal(events.tail->type, PARLEY_EVENT_MESSAGE_CREATED);
    assert_int_equal(events.tail->audience, PARLEY_AUDIENCE_SUBSCRIBERS);
    assert_int_equal(events.tail->seq, 1);
    parley_event_queue_clear(&events);
    parley_session got = {0};
    assert_int_equal(
        parley_chat_get_session(parley_facade_chat(&fx->facade), fx->alice, s.id, &got, &err),
        PARLEY_OK);
    assert_int_equal(got.status, PARLEY_SESSION_ACTIVE);
    assert_string_equal(got.agent_id, fx->admin->id);
    parley_session_free(&got);
    /* closing posts the feedback request (a message with the next seq),
     * so like every unit it runs inside a transaction */
    parley_error tx = {0};
    assert_int_equal(fx->repo->ops->begin(fx->repo, &tx), PARLEY_OK);
    assert_int_equal(
        parley_chat_close(parley_facade_chat(&fx->facade), fx->alice, s.id, &got, &err), PARLEY_OK);
    assert_int_equal(fx->repo->ops->commit(fx->repo, &tx), PARLEY_OK);
    assert_int_equal(got.status, PARLEY_SESSION_CLOSED);
    assert_int_equal(got.last_seq, 2);
    assert_true(got.closed_at == got.updated_at && got.closed_at > 0);
    parley_session_free(&got);
    assert_int_equal(
        parley_chat_close(parley_facade_chat(&fx->facade), fx->admin, s.id, &got, &err),
        PARLEY_OK); /* idempotent */
    parley_session_free(&got);
    assert_int_equal(send_text(fx, fx->alice, s.id, "late", NULL, &m, &duplicate, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(parley_chat_assign(parley_facade_chat(&fx->facade), fx->admin, s.id,
                                        fx->admin->id, &got, &err),
                     PARLEY_E_CONFLICT);
    /* nor does the desk speak in it: its last_seq is final */
    assert_int_equal(fx->repo->ops->begin(fx->repo, &tx), PARLEY_OK);
    assert_int_equal(parley_chat_post_system_message(parley_facade_chat(&fx->facade), s.id,
                                                     "too late", NULL, NULL, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(fx->repo->ops->rollback(fx->repo, &tx), PARLEY_OK);
    parley_session_free(&s);
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
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_ticket t = {0};
    parley_error err = {0};
    assert_int_equal(
        parley_chat_create_ticket(parley_facade_chat(&fx->facade), fx->alice, s.id, "x", &t, &err),
        PARLEY_E_FORBIDDEN);
    assert_int_equal(parley_chat_create_ticket(parley_facade_chat(&fx->facade), fx->admin, s.id,
                                               "refund stuck", &t, &err),
                     PARLEY_OK);
    assert_int_equal(t.status, PARLEY_TICKET_OPEN);
    assert_string_equal(t.agent_id, fx->admin->id);
    parley_ticket u = {0};
    assert_int_equal(parley_chat_update_ticket(parley_facade_chat(&fx->facade), fx->admin, t.id,
                                               "in_progress", &u, &err),
                     PARLEY_OK);
    parley_ticket_free(&u);
    assert_int_equal(parley_chat_update_ticket(parley_facade_chat(&fx->facade), fx->admin, t.id,
                                               "resolved", &u, &err),
                     PARLEY_OK);
    parley_ticket_free(&u);
    assert_int_equal(parley_chat_update_ticket(parley_facade_chat(&fx->facade), fx->admin, t.id,
                                               "in_progress", &u, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(parley_chat_update_ticket(parley_facade_chat(&fx->facade), fx->admin, t.id,
                                               "done", &u, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(parley_chat_update_ticket(parley_facade_chat(&fx->facade), fx->admin, t.id,
                                               "open", &u, &err),
                     PARLEY_OK); /* reopen */
    assert_int_equal(u.status, PARLEY_TICKET_OPEN);
    parley_ticket_free(&u);
    /* the session's customer may read it; another customer may not */
    assert_int_equal(
        parley_chat_get_ticket(parley_facade_chat(&fx->facade), fx->alice, t.id, &u, &err),
        PARLEY_OK);
    parley_ticket_free(&u);
    assert_int_equal(
        parley_chat_get_ticket(parley_facade_chat(&fx->facade), fx->bob, t.id, &u, &err),
        PARLEY_E_NOT_FOUND);
    parley_ticket_free(&t);
    parley_session_free(&s);
}

static void test_feedback_once_per_session(void **state) {
    fixture *fx = *state;
    parley_session s = {0};
    start_session(fx, NULL, &s);
    parley_feedback f = {0};
    parley_error err = {0};
    assert_int_equal(parley_chat_submit_feedback(parley_facade_chat(&fx->facade), fx->alice, s.id,
                                                 6, NULL, &f, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(parley_chat_submit_feedback(parley_facade_chat(&fx->facade), fx->admin, s.id,
                                                 5, NULL, &f, &err),
                     PARLEY_E_FORBIDDEN);
    assert_int_equal(parley_chat_submit_feedback(parley_facade_chat(&fx->facade), fx->bob, s.id, 5,
                                                 NULL, &f, &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(parley_chat_submit_feedback(parley_facade_chat(&fx->facade), fx->alice, s.id,
                                                 4, "quick", &f, &err),
                     PARLEY_OK);
    assert_int_equal(f.rating, 4);
    parley_feedback_free(&f);
    assert_int_equal(parley_chat_submit_feedback(parley_facade_chat(&fx->facade), fx->alice, s.id,
                                                 5, NULL, &f, &err),
                     PARLEY_E_CONFLICT);
    assert_int_equal(
        parley_chat_get_feedback(parley_facade_chat(&fx->facade), fx->admin, s.id, &f, &err),
        PARLEY_OK);
    assert_string_equal(f.comment, "quick");
    parley_feedback_free(&f);
    parley_session_free(&s);
}

static void test_logout_revokes_the_token(void **state) {
    fixture *fx = *state;
    char token[PARLEY_TOKEN_SIZE];
    parley_agent a = {0};
    parley_error err = {0};
    assert_int_equal(parley_account_login(parley_facade_accounts(&fx->facade), "ada@example.com",
                                          "correct horse", token, &a, &err),
                     PARLEY_OK);
    parley_agent_free(&a);
    parley_participant *p = authenticate(fx, token);
    assert_int_equal(parley_facade_logout(&fx->facade, p, &err), PARLEY_OK);
    parley_participant_free(p);
    parley_participant *gone = NULL;
    assert_int_equal(
        parley_account_authenticate(parley_facade_accounts(&fx->facade), token, &gone, &err),
        PARLEY_E_UNAUTHENTICATED);
    assert_null(gone);
}

int main(void) {
    assert_true(parley_crypto_init());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_failures_are_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_customers_start_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_is_gapless_and_sends_are_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_system_messages_take_the_next_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strategies_modify_and_reject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customers_see_only_their_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_reply_assigns_and_close_is_final, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ticket_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feedback_once_per_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout_revokes_the_token, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
