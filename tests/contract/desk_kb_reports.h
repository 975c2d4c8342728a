/*
 * desk_kb_reports.h - the contract tests of the desk (presence, routing,
 * the queue, teams), kb (the ChatBot's knowledge base, bot failures) and
 * reports aggregates. Included by test_repository.c before its
 * contract_tests[] (it uses that file's fixture, builders and raw access);
 * a file of its own so test_repository.c does not grow past its size.
 *
 * Each test owns its fixture; tests run on one thread.
 */
#ifndef PARLEY_CONTRACT_DESK_KB_REPORTS_H
#define PARLEY_CONTRACT_DESK_KB_REPORTS_H

/* A session with every routing and lifecycle field the caller gives. */
typedef struct session_spec {
    const char *id;
    const char *customer_id;
    const char *agent_id; /* "" none */
    const char *bot_id;   /* "" none */
    parley_session_status status;
    parley_time_ms created_at;
} session_spec;

static void add_session_spec(fixture *fx, session_spec spec) {
    parley_session s = {0};
    snprintf(s.id, sizeof s.id, "%s", spec.id);
    snprintf(s.customer_id, sizeof s.customer_id, "%s", spec.customer_id);
    snprintf(s.agent_id, sizeof s.agent_id, "%s", spec.agent_id);
    snprintf(s.bot_id, sizeof s.bot_id, "%s", spec.bot_id);
    s.status = spec.status;
    s.created_at = spec.created_at;
    s.updated_at = spec.created_at;
    assert_ok(fx->repo->sessions->insert(fx->repo, &s, &err));
}

static void set_routing(fixture *fx, const char *session_id, const char *team_id,
                        parley_time_ms queued_at, parley_time_ms assigned_at) {
    parley_session s = {0};
    snprintf(s.id, sizeof s.id, "%s", session_id);
    snprintf(s.team_id, sizeof s.team_id, "%s", team_id);
    s.queued_at = queued_at;
    s.assigned_at = assigned_at;
    assert_ok(fx->repo->desk->session_set_routing(fx->repo, &s, &err));
}

/* ---- desk: presence, routing and the queue ---------------------------------- */

static const parley_agent_load *load_of(const parley_agent_load_list *loads, const char *id) {
    for (size_t i = 0; i < loads->count; i++) {
        if (strcmp(loads->items[i].id, id) == 0) {
            return &loads->items[i];
        }
    }
    return NULL;
}

static void test_desk_presence_and_loads(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_2", "two@example.com");
    add_agent(fx, "agt_1", "one@example.com");
    add_agent(fx, "agt_3", "three@example.com");

    assert_ok(
        fx->repo->desk->agent_set_presence(fx->repo, "agt_1", PARLEY_AGENT_ONLINE, 777, &err));
    parley_agent a;
    assert_ok(fx->repo->accounts->agent_get(fx->repo, "agt_1", &a, &err));
    assert_int_equal(a.status, PARLEY_AGENT_ONLINE);
    assert_int_equal(a.status_since, 777);
    parley_agent_free(&a);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->desk->agent_set_presence(
                                          fx->repo, "agt_none", PARLEY_AGENT_BUSY, 1, &err));

    /* the rotation: 1 + the highest given so far */
    assert_ok(fx->repo->desk->agent_note_assigned(fx->repo, "agt_2", &err));
    assert_ok(fx->repo->desk->agent_note_assigned(fx->repo, "agt_1", &err));
    assert_ok(fx->repo->desk->agent_note_assigned(fx->repo, "agt_2", &err));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->desk->agent_note_assigned(fx->repo, "agt_none", &err));

    add_session_spec(fx, (session_spec){"ses_1", "cus_1", "agt_1", "", PARLEY_SESSION_ACTIVE, 10});
    add_session_spec(fx, (session_spec){"ses_2", "cus_1", "agt_1", "", PARLEY_SESSION_ACTIVE, 11});
    add_session_spec(fx, (session_spec){"ses_3", "cus_1", "agt_1", "", PARLEY_SESSION_CLOSED, 12});
    add_session_spec(fx, (session_spec){"ses_4", "cus_1", "agt_2", "", PARLEY_SESSION_WAITING, 13});

    /* agt_3 deactivated: not a candidate */
    assert_ok(fx->repo->accounts->agent_get(fx->repo, "agt_3", &a, &err));
    a.active = false;
    assert_ok(fx->repo->accounts->agent_update(fx->repo, &a, &err));
    parley_agent_free(&a);

    parley_agent_load_list loads;
    assert_ok(fx->repo->desk->agent_loads(fx->repo, &loads, &err));
    /* creation order, then id (all three were created at 2000) */
    assert_int_equal(loads.count, 2);
    assert_string_equal(loads.items[0].id, "agt_1");
    assert_string_equal(loads.items[1].id, "agt_2");
    const parley_agent_load *one = load_of(&loads, "agt_1");
    const parley_agent_load *two = load_of(&loads, "agt_2");
    if (one == NULL || two == NULL) {
        fail_msg("agt_1 or agt_2 missing from agent_loads");
        return;
    }
    assert_int_equal(one->status, PARLEY_AGENT_ONLINE);
    assert_int_equal(one->active_chats, 2);
    assert_int_equal(one->last_assigned_seq, 2);
    assert_int_equal(two->status, PARLEY_AGENT_OFFLINE);
    assert_int_equal(two->active_chats, 0);
    assert_int_equal(two->last_assigned_seq, 3);
    parley_agent_load_list_free(&loads);
}

static void test_desk_queue_and_requeue(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_1", "one@example.com");
    parley_bot bot = {.name = lit("Helper"), .active = true, .created_at = 1};
    snprintf(bot.id, sizeof bot.id, "bot_1");
    assert_ok(fx->repo->accounts->bot_insert(fx->repo, &bot, &err));

    add_session_spec(fx, (session_spec){"ses_w1", "cus_1", "", "", PARLEY_SESSION_WAITING, 10});
    add_session_spec(fx, (session_spec){"ses_b", "cus_1", "", "bot_1", PARLEY_SESSION_WAITING, 11});
    add_session_spec(fx, (session_spec){"ses_a", "cus_1", "agt_1", "", PARLEY_SESSION_ACTIVE, 12});
    add_session_spec(fx, (session_spec){"ses_w2", "cus_1", "", "", PARLEY_SESSION_WAITING, 13});

    int64_t avg = -1;
    bool known = true;
    assert_ok(fx->repo->desk->queue_average_wait(fx->repo, 10, &avg, &known, &err));
    assert_false(known);
    assert_int_equal(avg, 0);

    /* waiting, no bot, in queue order; after a position key */
    assert_ok(fx->repo->desk->session_set_queue_position(fx->repo, "ses_w2", 1, &err));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->desk->session_set_queue_position(fx->repo, "ses_none", 1, &err));
    parley_queue_list queue;
    assert_ok(fx->repo->desk->queue_list(fx->repo, 0, 100, &queue, &err));
    assert_int_equal(queue.count, 2);
    assert_string_equal(queue.items[0].session.id, "ses_w1");
    assert_string_equal(queue.items[1].session.id, "ses_w2");
    assert_true(queue.items[0].position_key < queue.items[1].position_key);
    assert_int_equal(queue.items[0].announced_position, 0);
    assert_int_equal(queue.items[1].announced_position, 1);
    int64_t first_key = queue.items[0].position_key;
    parley_queue_list_free(&queue);
    assert_ok(fx->repo->desk->queue_list(fx->repo, first_key, 100, &queue, &err));
    assert_int_equal(queue.count, 1);
    assert_string_equal(queue.items[0].session.id, "ses_w2");
    parley_queue_list_free(&queue);
    assert_ok(fx->repo->desk->queue_list(fx->repo, 0, 1, &queue, &err));
    assert_int_equal(queue.count, 1);
    parley_queue_list_free(&queue);

    /* one session's place, counted in its pool; 0 when not queued */
    int64_t rank = -1;
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_w1", &rank, &err));
    assert_int_equal(rank, 1);
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_w2", &rank, &err));
    assert_int_equal(rank, 2);
    rank = -1;
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_b", &rank, &err)); /* a bot's */
    assert_int_equal(rank, 0);
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_a", &rank, &err)); /* active */
    assert_int_equal(rank, 0);
    rank = -1;
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_none", &rank, &err));
    assert_int_equal(rank, 0);
    parley_team pool = {.name = lit("Pool"), .topics_json = lit("[]"), .created_at = 5};
    snprintf(pool.id, sizeof pool.id, "tea_pool");
    assert_ok(fx->repo->desk->team_insert(fx->repo, &pool, &err));
    set_routing(fx, "ses_w2", "tea_pool", 0, 0); /* alone in the team's pool */
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_w2", &rank, &err));
    assert_int_equal(rank, 1);
    set_routing(fx, "ses_w1", "tea_pool", 0, 0); /* ahead of it in that pool now */
    assert_ok(fx->repo->desk->queue_rank(fx->repo, "ses_w2", &rank, &err));
    assert_int_equal(rank, 2);
    set_routing(fx, "ses_w1", "", 0, 0);
    set_routing(fx, "ses_w2", "", 0, 0);

    /* routing times, and the average wait over the newest assignments */
    set_routing(fx, "ses_a", "", 100, 150);
    set_routing(fx, "ses_w1", "", 200, 0);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_a", &s, &err));
    assert_int_equal(s.queued_at, 100);
    assert_int_equal(s.assigned_at, 150);
    assert_string_equal(s.team_id, "");
    parley_session_free(&s);
    parley_session missing = {0};
    snprintf(missing.id, sizeof missing.id, "ses_none");
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->desk->session_set_routing(fx->repo, &missing, &err));
    assert_ok(fx->repo->desk->queue_average_wait(fx->repo, 10, &avg, &known, &err));
    assert_true(known);
    assert_int_equal(avg, 50);
    add_session_spec(fx, (session_spec){"ses_c", "cus_1", "agt_1", "", PARLEY_SESSION_CLOSED, 14});
    set_routing(fx, "ses_c", "", 1000, 1075); /* the newest: waited 75 */
    assert_ok(fx->repo->desk->queue_average_wait(fx->repo, 10, &avg, &known, &err));
    assert_int_equal(avg, 62); /* (50 + 75) / 2, the integer part */
    assert_ok(fx->repo->desk->queue_average_wait(fx->repo, 1, &avg, &known, &err));
    assert_int_equal(avg, 75);

    /* re-queue: the agent is offline and has not answered since 150 */
    parley_session_list cands;
    assert_ok(fx->repo->desk->requeue_candidates(fx->repo, 149, &cands, &err));
    assert_int_equal(cands.count, 0);
    parley_session_list_free(&cands);
    assert_ok(fx->repo->desk->requeue_candidates(fx->repo, 150, &cands, &err));
    assert_int_equal(cands.count, 1);
    assert_string_equal(cands.items[0].id, "ses_a");
    parley_session_list_free(&cands);
    assert_ok(fx->repo->desk->agent_set_presence(fx->repo, "agt_1", PARLEY_AGENT_ONLINE, 5, &err));
    assert_ok(fx->repo->desk->requeue_candidates(fx->repo, 1000, &cands, &err));
    assert_int_equal(cands.count, 0);
    parley_session_list_free(&cands);
    assert_ok(fx->repo->desk->agent_set_presence(fx->repo, "agt_1", PARLEY_AGENT_OFFLINE, 6, &err));
    parley_message m =
        make_message("msg_1", "ses_a", 1, PARLEY_PARTICIPANT_AGENT, "agt_1", NULL, "hello");
    m.created_at = 160;
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    assert_ok(fx->repo->desk->requeue_candidates(fx->repo, 1000, &cands, &err));
    assert_int_equal(cands.count, 0);
    parley_session_list_free(&cands);
}

/* ---- desk: teams ---------------------------------------------------------------- */

static void add_team(fixture *fx, const char *id, const char *name, const char *topics,
                     parley_status expected) {
    parley_team t = {0};
    snprintf(t.id, sizeof t.id, "%s", id);
    t.name = lit(name);
    t.topics_json = lit(topics);
    t.created_at = 50;
    parley_error_clear(&err); /* assert_status reads err.status: no earlier refusal's */
    assert_status(expected, fx->repo->desk->team_insert(fx->repo, &t, &err));
}

static void test_desk_teams(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_1", "one@example.com");
    add_agent(fx, "agt_2", "two@example.com");
    add_team(fx, "team_1", "Billing", "[\"billing\",\"Invoices\"]", PARLEY_OK);
    add_team(fx, "team_2", "billing", "[]", PARLEY_E_CONFLICT); /* names ignore case */
    add_team(fx, "team_2", "Sales", "[\"sales\",\"invoices\"]", PARLEY_OK);
    add_team(fx, "team_3", "Support", "[]", PARLEY_OK);

    parley_team t;
    assert_ok(fx->repo->desk->team_get(fx->repo, "team_1", &t, &err));
    assert_string_equal(t.name, "Billing");
    assert_string_equal(t.topics_json, "[\"billing\",\"Invoices\"]");
    assert_string_equal(t.agent_ids_json, "[]");
    assert_int_equal(t.created_at, 50);
    assert_true(t.position > 0);
    parley_team_free(&t);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->desk->team_get(fx->repo, "team_x", &t, &err));
    assert_true(all_zero(&t, sizeof t));

    /* members: sorted, a second add is a result, not an error */
    bool added = false;
    assert_ok(fx->repo->desk->team_member_add(fx->repo, "team_1", "agt_2", &added, &err));
    assert_true(added);
    assert_ok(fx->repo->desk->team_member_add(fx->repo, "team_1", "agt_1", &added, &err));
    assert_true(added);
    assert_ok(fx->repo->desk->team_member_add(fx->repo, "team_1", "agt_1", &added, &err));
    assert_false(added);
    assert_ok(fx->repo->desk->team_get(fx->repo, "team_1", &t, &err));
    assert_string_equal(t.agent_ids_json, "[\"agt_1\",\"agt_2\"]");
    parley_team_free(&t);
    bool member = false;
    assert_ok(fx->repo->desk->team_has_member(fx->repo, "team_1", "agt_1", &member, &err));
    assert_true(member);
    assert_ok(fx->repo->desk->team_has_member(fx->repo, "team_2", "agt_1", &member, &err));
    assert_false(member);
    assert_ok(fx->repo->desk->team_member_remove(fx->repo, "team_1", "agt_2", &err));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->desk->team_member_remove(fx->repo, "team_1", "agt_2", &err));

    /* by topic, case-insensitive: the oldest team naming it */
    char team_id[PARLEY_ID_SIZE];
    assert_ok(fx->repo->desk->team_find_by_topic(fx->repo, "INVOICES", team_id, &err));
    assert_string_equal(team_id, "team_1");
    assert_ok(fx->repo->desk->team_find_by_topic(fx->repo, "Sales", team_id, &err));
    assert_string_equal(team_id, "team_2");
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->desk->team_find_by_topic(fx->repo, "weather", team_id, &err));
    assert_string_equal(team_id, "");

    /* update */
    parley_team u = {0};
    snprintf(u.id, sizeof u.id, "team_3");
    u.name = lit("Helpdesk");
    u.topics_json = lit("[\"weather\"]");
    assert_ok(fx->repo->desk->team_update(fx->repo, &u, &err));
    assert_ok(fx->repo->desk->team_find_by_topic(fx->repo, "weather", team_id, &err));
    assert_string_equal(team_id, "team_3");
    u.name = lit("sales"); /* taken, whatever the case */
    assert_status(PARLEY_E_CONFLICT, fx->repo->desk->team_update(fx->repo, &u, &err));
    snprintf(u.id, sizeof u.id, "team_x");
    u.name = lit("Other");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->desk->team_update(fx->repo, &u, &err));

    /* newest first, paged */
    parley_team_list page;
    char cursor[64] = "";
    const char *want[] = {"team_3", "team_2", "team_1"};
    for (int i = 0; i < 3; i++) {
        char next[64];
        assert_ok(fx->repo->desk->team_list(fx->repo, 1, cursor, &page, next, sizeof next, &err));
        assert_int_equal(page.count, 1);
        assert_string_equal(page.items[0].id, want[i]);
        parley_team_list_free(&page);
        assert_int_equal(next[0] == '\0', i == 2);
        snprintf(cursor, sizeof cursor, "%s", next);
    }

    /* delete: its sessions are left with no team, its members go */
    add_session_spec(fx, (session_spec){"ses_1", "cus_1", "", "", PARLEY_SESSION_WAITING, 10});
    set_routing(fx, "ses_1", "team_1", 100, 0);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.team_id, "team_1");
    parley_session_free(&s);
    assert_ok(fx->repo->desk->team_delete(fx->repo, "team_1", &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.team_id, "");
    assert_int_equal(s.queued_at, 100);
    parley_session_free(&s);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->desk->team_get(fx->repo, "team_1", &t, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->desk->team_delete(fx->repo, "team_1", &err));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM team_members"), 0);
}

/* ---- kb ----------------------------------------------------------------------- */

static parley_kb_entry make_kb(const char *id, const char *question, const char *alternatives) {
    parley_kb_entry e = {0};
    snprintf(e.id, sizeof e.id, "%s", id);
    e.question = lit(question);
    e.answer = lit("Press the button.");
    e.alternatives_json = lit(alternatives);
    e.tags_json = lit("[\"howto\"]");
    snprintf(e.created_by, sizeof e.created_by, "agt_1");
    e.created_at = 100;
    e.updated_at = 100;
    return e;
}

static void kb_collect(void *ctx, const parley_kb_entry *e) {
    char *ids = ctx;
    strcat(ids, e->id);
    strcat(ids, " ");
}

static void test_kb(void **state) {
    fixture *fx = *state;
    add_agent(fx, "agt_1", "one@example.com");
    parley_kb_entry e = make_kb("kb_1", "How do I reset?", NULL); /* NULL is stored as [] */
    assert_ok(fx->repo->kb->insert(fx->repo, &e, &err));
    e = make_kb("kb_2", "Where is my invoice?", "[\"invoice\",\"bill\"]");
    e.created_by[0] = '\0'; /* created by no one (seeded) */
    assert_ok(fx->repo->kb->insert(fx->repo, &e, &err));
    e = make_kb("kb_3", "Opening hours?", "[]");
    assert_ok(fx->repo->kb->insert(fx->repo, &e, &err));
    assert_status(PARLEY_E_CONFLICT, fx->repo->kb->insert(fx->repo, &e, &err));

    parley_kb_entry got;
    assert_ok(fx->repo->kb->get(fx->repo, "kb_1", &got, &err));
    assert_string_equal(got.question, "How do I reset?");
    assert_string_equal(got.answer, "Press the button.");
    assert_string_equal(got.alternatives_json, "[]");
    assert_string_equal(got.tags_json, "[\"howto\"]");
    assert_string_equal(got.created_by, "agt_1");
    assert_int_equal(got.created_at, 100);
    assert_true(got.position > 0);
    parley_kb_entry_free(&got);
    assert_ok(fx->repo->kb->get(fx->repo, "kb_2", &got, &err));
    assert_string_equal(got.created_by, "");
    assert_string_equal(got.alternatives_json, "[\"invoice\",\"bill\"]");
    parley_kb_entry_free(&got);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->kb->get(fx->repo, "kb_x", &got, &err));
    assert_true(all_zero(&got, sizeof got));
    assert_status(PARLEY_E_INVALID, fx->repo->kb->get(fx->repo, "", &got, &err));

    /* update writes the text, lists and updated_at; not the creation */
    e = make_kb("kb_1", "How do I reset my password?", "[\"forgot password\"]");
    e.created_at = 999;
    e.updated_at = 200;
    snprintf(e.created_by, sizeof e.created_by, "agt_x");
    assert_ok(fx->repo->kb->update(fx->repo, &e, &err));
    assert_ok(fx->repo->kb->get(fx->repo, "kb_1", &got, &err));
    assert_string_equal(got.question, "How do I reset my password?");
    assert_string_equal(got.alternatives_json, "[\"forgot password\"]");
    assert_int_equal(got.created_at, 100);
    assert_int_equal(got.updated_at, 200);
    assert_string_equal(got.created_by, "agt_1");
    parley_kb_entry_free(&got);
    e = make_kb("kb_x", "Nobody", "[]");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->kb->update(fx->repo, &e, &err));

    /* newest first, paged; a malformed cursor in the API's words */
    parley_kb_list page;
    char next[64];
    assert_ok(fx->repo->kb->list(fx->repo, 2, "", &page, next, sizeof next, &err));
    assert_int_equal(page.count, 2);
    assert_string_equal(page.items[0].id, "kb_3");
    assert_string_equal(page.items[1].id, "kb_2");
    parley_kb_list_free(&page);
    assert_true(next[0] != '\0');
    char cursor[64];
    snprintf(cursor, sizeof cursor, "%s", next);
    assert_ok(fx->repo->kb->list(fx->repo, 2, cursor, &page, next, sizeof next, &err));
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].id, "kb_1");
    assert_string_equal(next, "");
    parley_kb_list_free(&page);
    assert_status(PARLEY_E_INVALID,
                  fx->repo->kb->list(fx->repo, 2, "nonsense", &page, next, sizeof next, &err));
    assert_string_equal(err.message, "cursor: malformed");
    assert_int_equal(page.count, 0);

    /* delete; load: oldest first */
    assert_ok(fx->repo->kb->delete (fx->repo, "kb_2", &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->kb->delete (fx->repo, "kb_2", &err));
    char ids[64] = "";
    assert_ok(fx->repo->kb->load(fx->repo, kb_collect, ids, &err));
    assert_string_equal(ids, "kb_1 kb_3 ");
}

static void test_kb_bot_failures(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    int64_t count = -1;
    assert_ok(fx->repo->kb->bot_failures_add(fx->repo, "ses_1", 0, &count, &err));
    assert_int_equal(count, 0);
    assert_ok(fx->repo->kb->bot_failures_add(fx->repo, "ses_1", 1, &count, &err));
    assert_int_equal(count, 1);
    assert_ok(fx->repo->kb->bot_failures_add(fx->repo, "ses_1", 2, &count, &err));
    assert_int_equal(count, 3);
    assert_ok(fx->repo->kb->bot_failures_add(fx->repo, "ses_1", -5, &count, &err)); /* never < 0 */
    assert_int_equal(count, 0);
    assert_ok(fx->repo->kb->bot_failures_add(fx->repo, "ses_1", 0, &count, &err));
    assert_int_equal(count, 0);
    /* a session that does not exist: its foreign key */
    assert_status(PARLEY_E_STORAGE,
                  fx->repo->kb->bot_failures_add(fx->repo, "ses_none", 1, &count, &err));
    assert_non_null(strstr(err.message, "FOREIGN KEY"));
}

/* ---- reports ------------------------------------------------------------------ */

static void collect_duration(void *ctx, int64_t duration_ms) {
    char *out = ctx;
    char item[24];
    snprintf(item, sizeof item, "%lld ", (long long)duration_ms);
    strcat(out, item);
}

static void collect_agent_row(void *ctx, const parley_agent_report_row *row) {
    char *out = ctx;
    char item[160];
    snprintf(item, sizeof item, "%s:%s:%lld/%lld:%lld/%lld:%lld/%lld ", row->agent_id,
             row->name != NULL ? row->name : "-", (long long)row->handled, (long long)row->closed,
             (long long)row->first_response_sum_ms, (long long)row->first_response_count,
             (long long)row->rating_sum, (long long)row->rating_count);
    strcat(out, item);
}

/* ses_<n>: created at n * 1000; agent, first response after, closed after */
static void add_report_session(fixture *fx, const char *id, const char *agent_id,
                               parley_time_ms created_at, parley_time_ms first_after,
                               parley_time_ms closed_after) {
    add_session_spec(
        fx, (session_spec){id, "cus_1", agent_id, "",
                           closed_after > 0 ? PARLEY_SESSION_CLOSED : PARLEY_SESSION_ACTIVE,
                           created_at});
    if (first_after > 0) {
        assert_ok(
            fx->repo->sessions->set_first_response(fx->repo, id, created_at + first_after, &err));
    }
    if (closed_after > 0) {
        parley_session s;
        assert_ok(fx->repo->sessions->get(fx->repo, id, &s, &err));
        s.closed_at = created_at + closed_after;
        assert_ok(fx->repo->sessions->update(fx->repo, &s, &err));
        parley_session_free(&s);
    }
}

static void add_rating(fixture *fx, const char *id, const char *session_id, int rating) {
    parley_feedback f = {0};
    snprintf(f.id, sizeof f.id, "%s", id);
    snprintf(f.session_id, sizeof f.session_id, "%s", session_id);
    snprintf(f.customer_id, sizeof f.customer_id, "cus_1");
    f.rating = rating;
    f.created_at = 1;
    assert_ok(fx->repo->tickets->feedback_insert(fx->repo, &f, &err));
}

static void test_reports(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_b", "b@example.com");
    add_agent(fx, "agt_a", "a@example.com");
    add_report_session(fx, "ses_1", "agt_b", 1000, 300, 5000);
    add_report_session(fx, "ses_2", "agt_a", 2000, 100, 0);
    add_report_session(fx, "ses_3", "agt_a", 3000, 0, 700);
    add_report_session(fx, "ses_4", "", 4000, 0, 0);        /* never assigned */
    add_report_session(fx, "ses_5", "agt_a", 9000, 50, 60); /* outside the range */
    add_rating(fx, "fbk_1", "ses_1", 5);
    add_rating(fx, "fbk_2", "ses_2", 2);
    add_rating(fx, "fbk_3", "ses_3", 5);
    add_rating(fx, "fbk_5", "ses_5", 1);

    parley_report_range range = {.from = 1000, .to = 9000};
    char out[512] = "";
    assert_ok(fx->repo->reports->durations(fx->repo, PARLEY_REPORT_FIRST_RESPONSE, &range,
                                           collect_duration, out, &err));
    assert_string_equal(out, "100 300 "); /* ascending */
    out[0] = '\0';
    assert_ok(fx->repo->reports->durations(fx->repo, PARLEY_REPORT_RESOLUTION, &range,
                                           collect_duration, out, &err));
    assert_string_equal(out, "700 5000 ");

    out[0] = '\0';
    assert_ok(fx->repo->reports->agents(fx->repo, &range, collect_agent_row, out, &err));
    assert_string_equal(out, "agt_a:Agent:2/1:100/1:7/2 agt_b:Agent:1/1:300/1:5/1 ");

    int64_t counts[5] = {9, 9, 9, 9, 9};
    assert_ok(fx->repo->reports->ratings(fx->repo, &range, counts, &err));
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 0);
    assert_int_equal(counts[3], 0);
    assert_int_equal(counts[4], 2);

    /* one agent's */
    snprintf(range.agent_id, sizeof range.agent_id, "agt_a");
    range.to = 10000;
    out[0] = '\0';
    assert_ok(fx->repo->reports->durations(fx->repo, PARLEY_REPORT_RESOLUTION, &range,
                                           collect_duration, out, &err));
    assert_string_equal(out, "60 700 ");
    out[0] = '\0';
    assert_ok(fx->repo->reports->agents(fx->repo, &range, collect_agent_row, out, &err));
    assert_string_equal(out, "agt_a:Agent:3/2:150/2:8/3 ");
    assert_ok(fx->repo->reports->ratings(fx->repo, &range, counts, &err));
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[4], 1);

    /* an empty range */
    range = (parley_report_range){.from = 20000, .to = 30000};
    out[0] = '\0';
    assert_ok(fx->repo->reports->agents(fx->repo, &range, collect_agent_row, out, &err));
    assert_string_equal(out, "");
    assert_ok(fx->repo->reports->ratings(fx->repo, &range, counts, &err));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(counts[i], 0);
    }
}

#endif
