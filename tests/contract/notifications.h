/*
 * notifications.h - the contract tests of the notification service's
 * aggregates (core/store/notifications.h, core/store/webhooks.h and their
 * retention in core/store/retention.h): the outbox and its dedupe keys,
 * deliveries and their state machine, preferences, password resets,
 * webhooks with their deliveries and attempts, and the purges of what has
 * outlived its use. Included by test_repository.c where this section
 * stood (it uses that file's fixture and builders, and push.h uses its
 * builders); a file of its own so that file does not grow.
 *
 * Each test owns its fixture; tests run on one thread.
 */
/* ---- notifications ----------------------------------------------------------- */

static void add_notification(fixture *fx, const char *id, const char *recipient_id,
                             const char *dedupe_key, parley_time_ms at, bool *added) {
    parley_notification n = {0};
    snprintf(n.id, sizeof n.id, "%s", id);
    n.recipient_kind = PARLEY_PARTICIPANT_AGENT;
    snprintf(n.recipient_id, sizeof n.recipient_id, "%s", recipient_id);
    snprintf(n.event, sizeof n.event, "session.waiting");
    snprintf(n.session_id, sizeof n.session_id, "ses_n1");
    n.title = lit("A customer is waiting");
    n.body = lit("Billing");
    n.dedupe_key = lit(dedupe_key);
    n.created_at = at;
    assert_ok(fx->repo->notifications->insert(fx->repo, &n, added, &err));
}

/* Password resets by e-mail: the hash goes in; a take uses it once, only
 * before it expires; unknown, used and expired are all not found. */
static void test_password_resets(void **state) {
    fixture *fx = *state;
    add_agent(fx, "agt_r", "reset@example.com");
    parley_password_reset r = {0};
    snprintf(r.id, sizeof r.id, "prs_1");
    memset(r.token_hash, 'a', 64);
    snprintf(r.agent_id, sizeof r.agent_id, "agt_r");
    r.created_at = 1000;
    r.expires_at = 2000;
    assert_ok(fx->repo->notifications->reset_insert(fx->repo, &r, &err));
    parley_password_reset other = r;
    snprintf(other.id, sizeof other.id, "prs_2");
    memset(other.token_hash, 'b', 64);
    assert_ok(fx->repo->notifications->reset_insert(fx->repo, &other, &err));
    char agent[PARLEY_ID_SIZE];
    char hash_c[PARLEY_TOKEN_HASH_SIZE] = {0};
    memset(hash_c, 'c', 64);
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->notifications->reset_take(fx->repo, hash_c, 1500, agent, &err));
    /* expired: at expires_at and after */
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->notifications->reset_take(
                                          fx->repo, other.token_hash, 2000, agent, &err));
    assert_ok(fx->repo->notifications->reset_take(fx->repo, r.token_hash, 1999, agent, &err));
    assert_string_equal(agent, "agt_r");
    /* once */
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->notifications->reset_take(fx->repo, r.token_hash, 1999, agent, &err));
    /* the same hash twice is refused (unique) */
    snprintf(other.id, sizeof other.id, "prs_3");
    assert_int_not_equal(fx->repo->notifications->reset_insert(fx->repo, &other, &err), PARLEY_OK);
}

static void test_notifications_outbox(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_n1", NULL);
    add_session(fx, "ses_n1", "cus_n1", PARLEY_SESSION_WAITING);
    bool added = false;
    add_notification(fx, "ntf_1", "agt_a", "waiting:ses_n1:agt_a", 100, &added);
    assert_true(added);
    /* the same cause again is a result, not an error */
    add_notification(fx, "ntf_2", "agt_a", "waiting:ses_n1:agt_a", 101, &added);
    assert_false(added);
    add_notification(fx, "ntf_3", "agt_a", "k3", 102, &added);
    add_notification(fx, "ntf_4", "agt_b", "k4", 103, &added);
    add_notification(fx, "ntf_5", "agt_a", "k5", 104, &added);

    parley_notification n;
    assert_ok(fx->repo->notifications->get(fx->repo, "ntf_1", &n, &err));
    assert_string_equal(n.recipient_id, "agt_a");
    assert_int_equal(n.recipient_kind, PARLEY_PARTICIPANT_AGENT);
    assert_string_equal(n.event, "session.waiting");
    assert_string_equal(n.session_id, "ses_n1");
    assert_string_equal(n.ticket_id, "");
    assert_string_equal(n.title, "A customer is waiting");
    assert_int_equal(n.read_at, 0);
    parley_notification_free(&n);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->notifications->get(fx->repo, "ntf_2", &n, &err));
    assert_true(all_zero(&n, sizeof n));

    /* a recipient's, newest first, paged; nobody else's */
    parley_notification_list list;
    char next[32];
    assert_ok(fx->repo->notifications->list(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", false, 2,
                                            "", &list, next, sizeof next, &err));
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, "ntf_5");
    assert_string_equal(list.items[1].id, "ntf_3");
    assert_true(next[0] != '\0');
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%s", next);
    parley_notification_list_free(&list);
    assert_ok(fx->repo->notifications->list(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", false, 2,
                                            cursor, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "ntf_1");
    assert_string_equal(next, "");
    parley_notification_list_free(&list);
    /* the same id as a customer is someone else */
    assert_ok(fx->repo->notifications->list(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "agt_a", false,
                                            10, "", &list, next, sizeof next, &err));
    assert_int_equal(list.count, 0);
    parley_notification_list_free(&list);
    assert_status(PARLEY_E_INVALID,
                  fx->repo->notifications->list(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", false,
                                                10, "x1", &list, next, sizeof next, &err));

    /* unread count, mark one, mark all */
    int64_t unread = 0;
    assert_ok(fx->repo->notifications->unread_count(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a",
                                                    &unread, &err));
    assert_int_equal(unread, 3);
    bool changed = false;
    assert_ok(fx->repo->notifications->mark_read(fx->repo, "ntf_3", PARLEY_PARTICIPANT_AGENT,
                                                 "agt_a", 500, &changed, &err));
    assert_true(changed);
    assert_ok(fx->repo->notifications->mark_read(fx->repo, "ntf_3", PARLEY_PARTICIPANT_AGENT,
                                                 "agt_a", 600, &changed, &err));
    assert_false(changed); /* read already: its time is kept */
    assert_ok(fx->repo->notifications->get(fx->repo, "ntf_3", &n, &err));
    assert_int_equal(n.read_at, 500);
    parley_notification_free(&n);
    /* another's notification is not found for this recipient */
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->notifications->mark_read(fx->repo, "ntf_4", PARLEY_PARTICIPANT_AGENT,
                                                     "agt_a", 600, &changed, &err));
    assert_false(changed);
    assert_ok(fx->repo->notifications->list(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", true, 10,
                                            "", &list, next, sizeof next, &err));
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, "ntf_5");
    assert_string_equal(list.items[1].id, "ntf_1");
    parley_notification_list_free(&list);
    int64_t marked = 0;
    assert_ok(fx->repo->notifications->mark_all_read(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a",
                                                     700, &marked, &err));
    assert_int_equal(marked, 2);
    assert_ok(fx->repo->notifications->unread_count(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a",
                                                    &unread, &err));
    assert_int_equal(unread, 0);
    assert_ok(fx->repo->notifications->unread_count(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_b",
                                                    &unread, &err));
    assert_int_equal(unread, 1);
}

static parley_delivery make_delivery(const char *id, const char *notification_id,
                                     const char *channel, parley_time_ms due) {
    parley_delivery d = {0};
    snprintf(d.id, sizeof d.id, "%s", id);
    snprintf(d.notification_id, sizeof d.notification_id, "%s", notification_id);
    snprintf(d.channel, sizeof d.channel, "%s", channel);
    d.state = PARLEY_DELIVERY_PENDING;
    d.next_attempt_at = due;
    d.created_at = due;
    d.updated_at = due;
    return d;
}

static void test_notification_deliveries(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_n1", NULL);
    add_session(fx, "ses_n1", "cus_n1", PARLEY_SESSION_WAITING);
    bool added = false;
    add_notification(fx, "ntf_1", "agt_a", "k1", 100, &added);
    add_notification(fx, "ntf_2", "agt_a", "k2", 100, &added);

    parley_delivery d1 = make_delivery("dlv_1", "ntf_1", "in_app", 100);
    d1.idempotency_key = lit("ntf_1:in_app");
    parley_delivery d2 = make_delivery("dlv_2", "ntf_1", "email", 300);
    d2.idempotency_key = lit("ntf_1:email");
    parley_delivery d3 = make_delivery("dlv_3", "ntf_2", "in_app", 200);
    d3.idempotency_key = lit("ntf_2:in_app");
    assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &d1, &added, &err));
    assert_true(added);
    assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &d2, &added, &err));
    assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &d3, &added, &err));
    /* the same key again is a result */
    parley_delivery again = make_delivery("dlv_9", "ntf_1", "in_app", 100);
    again.idempotency_key = lit("ntf_1:in_app");
    assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &again, &added, &err));
    assert_false(added);

    /* due: earliest first, only what is due */
    parley_delivery_list due;
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 250, NULL, 10, &due, &err));
    assert_int_equal(due.count, 2);
    assert_string_equal(due.items[0].id, "dlv_1");
    assert_string_equal(due.items[1].id, "dlv_3");
    assert_string_equal(due.items[0].idempotency_key, "ntf_1:in_app");
    assert_int_equal(due.items[0].state, PARLEY_DELIVERY_PENDING);
    parley_delivery_list_free(&due);
    assert_status(PARLEY_E_INVALID,
                  fx->repo->notifications->delivery_due(fx->repo, 250, NULL, 0, &due, &err));
    /* of one channel (each channel's worker reads its own) */
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 300, "email", 10, &due, &err));
    assert_int_equal(due.count, 1);
    assert_string_equal(due.items[0].id, "dlv_2");
    parley_delivery_list_free(&due);
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 300, "in_app", 10, &due, &err));
    assert_int_equal(due.count, 2);
    assert_string_equal(due.items[0].id, "dlv_1");
    assert_string_equal(due.items[1].id, "dlv_3");
    parley_delivery_list_free(&due);
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 300, "web_push", 10, &due, &err));
    assert_int_equal(due.count, 0);
    parley_delivery_list_free(&due);

    /* an attempt that failed: retried later, the error kept */
    parley_delivery d;
    assert_ok(fx->repo->notifications->delivery_get(fx->repo, "dlv_1", &d, &err));
    d.state = PARLEY_DELIVERY_FAILED;
    d.attempts = 1;
    d.next_attempt_at = 1000;
    d.last_error = strdup("connection refused");
    d.updated_at = 250;
    assert_ok(fx->repo->notifications->delivery_update(fx->repo, &d, &err));
    parley_delivery_free(&d);
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 999, NULL, 10, &due, &err));
    assert_int_equal(due.count, 2);
    assert_string_equal(due.items[0].id, "dlv_3");
    assert_string_equal(due.items[1].id, "dlv_2");
    parley_delivery_list_free(&due);
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 1000, NULL, 1, &due, &err));
    assert_int_equal(due.count, 1);
    assert_string_equal(due.items[0].id, "dlv_3");
    parley_delivery_list_free(&due);
    assert_ok(fx->repo->notifications->delivery_get(fx->repo, "dlv_1", &d, &err));
    assert_int_equal(d.state, PARLEY_DELIVERY_FAILED);
    assert_int_equal(d.attempts, 1);
    assert_string_equal(d.last_error, "connection refused");
    /* sent and dead are never due again */
    d.state = PARLEY_DELIVERY_SENT;
    d.attempts = 2;
    d.sent_at = 1001;
    assert_ok(fx->repo->notifications->delivery_update(fx->repo, &d, &err));
    parley_delivery_free(&d);
    assert_ok(fx->repo->notifications->delivery_get(fx->repo, "dlv_3", &d, &err));
    d.state = PARLEY_DELIVERY_DEAD;
    assert_ok(fx->repo->notifications->delivery_update(fx->repo, &d, &err));
    parley_delivery_free(&d);
    assert_ok(fx->repo->notifications->delivery_due(fx->repo, 5000, NULL, 10, &due, &err));
    assert_int_equal(due.count, 1);
    assert_string_equal(due.items[0].id, "dlv_2");
    parley_delivery_list_free(&due);
    parley_delivery missing = make_delivery("dlv_x", "ntf_1", "in_app", 1);
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->notifications->delivery_update(fx->repo, &missing, &err));

    /* the log: newest first, filtered by state and notification */
    parley_delivery_list log;
    char next[32];
    parley_delivery_filter filter = {.state = -1, .limit = 2};
    assert_ok(
        fx->repo->notifications->delivery_list(fx->repo, &filter, &log, next, sizeof next, &err));
    assert_int_equal(log.count, 2);
    assert_string_equal(log.items[0].id, "dlv_3");
    assert_string_equal(log.items[1].id, "dlv_2");
    assert_true(next[0] != '\0');
    parley_delivery_list_free(&log);
    filter.state = PARLEY_DELIVERY_SENT;
    filter.limit = 10;
    assert_ok(
        fx->repo->notifications->delivery_list(fx->repo, &filter, &log, next, sizeof next, &err));
    assert_int_equal(log.count, 1);
    assert_string_equal(log.items[0].id, "dlv_1");
    assert_int_equal(log.items[0].sent_at, 1001);
    parley_delivery_list_free(&log);
    filter.state = -1;
    snprintf(filter.notification_id, sizeof filter.notification_id, "ntf_2");
    assert_ok(
        fx->repo->notifications->delivery_list(fx->repo, &filter, &log, next, sizeof next, &err));
    assert_int_equal(log.count, 1);
    assert_string_equal(log.items[0].id, "dlv_3");
    assert_int_equal(log.items[0].state, PARLEY_DELIVERY_DEAD);
    parley_delivery_list_free(&log);
    filter.state = 42;
    assert_status(PARLEY_E_INVALID, fx->repo->notifications->delivery_list(
                                        fx->repo, &filter, &log, next, sizeof next, &err));
    assert_true(all_zero(&log, sizeof log));

    /* a delivery must name a stored notification */
    parley_delivery orphan = make_delivery("dlv_o", "ntf_none", "in_app", 1);
    orphan.idempotency_key = lit("ntf_none:in_app");
    assert_status(PARLEY_E_STORAGE,
                  fx->repo->notifications->delivery_insert(fx->repo, &orphan, &added, &err));
    assert_false(added);
}

static void test_notification_prefs(void **state) {
    fixture *fx = *state;
    char *json = lit("untouched");
    assert_ok(fx->repo->notifications->prefs_get(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", &json,
                                                 &err));
    assert_null(json);
    assert_ok(fx->repo->notifications->prefs_put(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a",
                                                 "{\"a\":1}", 10, &err));
    assert_ok(fx->repo->notifications->prefs_put(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a",
                                                 "{\"a\":2}", 20, &err));
    assert_ok(fx->repo->notifications->prefs_get(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_a", &json,
                                                 &err));
    assert_string_equal(json, "{\"a\":2}");
    free(json);
    assert_ok(fx->repo->notifications->prefs_get(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "agt_a",
                                                 &json, &err));
    assert_null(json);
}

/* ---- webhooks ------------------------------------------------------------------ */

static parley_webhook make_webhook(const char *id, const char *url, const char *events, bool active,
                                   parley_time_ms at) {
    parley_webhook w = {0};
    snprintf(w.id, sizeof w.id, "%s", id);
    w.url = lit(url);
    w.events = lit(events);
    w.secret = lit("whsec_test");
    w.description = lit("");
    w.active = active;
    w.created_at = at;
    w.updated_at = at;
    return w;
}

static void test_webhooks(void **state) {
    fixture *fx = *state;
    parley_webhook w1 = make_webhook("whk_1", "https://a.example/h", "message.created", true, 10);
    parley_webhook w2 =
        make_webhook("whk_2", "https://b.example/h", "session.created ticket.updated", false, 20);
    assert_ok(fx->repo->webhooks->insert(fx->repo, &w1, &err));
    assert_ok(fx->repo->webhooks->insert(fx->repo, &w2, &err));
    assert_status(PARLEY_E_CONFLICT, fx->repo->webhooks->insert(fx->repo, &w1, &err));
    int64_t count = 0;
    assert_ok(fx->repo->webhooks->count(fx->repo, &count, &err));
    assert_int_equal(count, 2);

    parley_webhook got;
    assert_ok(fx->repo->webhooks->get(fx->repo, "whk_2", &got, &err));
    assert_string_equal(got.url, "https://b.example/h");
    assert_string_equal(got.events, "session.created ticket.updated");
    assert_string_equal(got.secret, "whsec_test");
    assert_false(got.active);
    assert_int_equal(got.created_at, 20);
    parley_webhook_free(&got);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->webhooks->get(fx->repo, "whk_x", &got, &err));
    assert_true(all_zero(&got, sizeof got));

    /* every one oldest first, or the active ones */
    parley_webhook_list list;
    assert_ok(fx->repo->webhooks->list(fx->repo, false, &list, &err));
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, "whk_1");
    assert_string_equal(list.items[1].id, "whk_2");
    parley_webhook_list_free(&list);
    assert_ok(fx->repo->webhooks->list(fx->repo, true, &list, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "whk_1");
    parley_webhook_list_free(&list);

    /* update writes all but the secret; a missing one is not found */
    w2.active = true;
    w2.url = lit("https://c.example/h");
    w2.secret = lit("whsec_other");
    w2.updated_at = 30;
    assert_ok(fx->repo->webhooks->update(fx->repo, &w2, &err));
    assert_ok(fx->repo->webhooks->get(fx->repo, "whk_2", &got, &err));
    assert_true(got.active);
    assert_string_equal(got.url, "https://c.example/h");
    assert_string_equal(got.secret, "whsec_test");
    assert_int_equal(got.updated_at, 30);
    parley_webhook_free(&got);
    parley_webhook w3 = make_webhook("whk_3", "https://x", "note.created", true, 1);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->webhooks->update(fx->repo, &w3, &err));
    assert_ok(fx->repo->webhooks->remove(fx->repo, "whk_1", &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->webhooks->remove(fx->repo, "whk_1", &err));
    assert_ok(fx->repo->webhooks->count(fx->repo, &count, &err));
    assert_int_equal(count, 1);
}

static void add_webhook_notification(fixture *fx, const char *id, const char *webhook_id) {
    parley_notification n = {0};
    bool added = false;
    snprintf(n.id, sizeof n.id, "%s", id);
    n.recipient_kind = PARLEY_PARTICIPANT_SYSTEM;
    snprintf(n.recipient_id, sizeof n.recipient_id, "%s", webhook_id);
    snprintf(n.event, sizeof n.event, "message.created");
    n.title = lit("");
    n.body = lit("{\"type\":\"message.created\"}");
    n.dedupe_key = lit(id);
    n.created_at = 100;
    assert_ok(fx->repo->notifications->insert(fx->repo, &n, &added, &err));
    assert_true(added);
}

/* Retention of the notification service's rows: old notifications whose
 * deliveries are all done go with their deliveries and webhook attempts,
 * oldest first, at most the limit; one with a delivery still to try stays;
 * password resets go once expired. */
static void test_retention_of_notifications(void **state) {
    fixture *fx = *state;
    const parley_retention_ops *ret = fx->repo->retention;
    add_customer(fx, "cus_n1", NULL);
    add_session(fx, "ses_n1", "cus_n1", PARLEY_SESSION_WAITING);
    bool added = false;
    add_notification(fx, "ntf_1", "agt_a", "k1", 100, &added);  /* sent: goes */
    add_notification(fx, "ntf_2", "agt_a", "k2", 200, &added);  /* failed: stays */
    add_notification(fx, "ntf_3", "agt_a", "k3", 300, &added);  /* none, dead: goes */
    add_notification(fx, "ntf_4", "agt_a", "k4", 5000, &added); /* too young */
    const struct {
        const char *id, *notification;
        parley_delivery_state state;
    } rows[] = {{"dlv_1", "ntf_1", PARLEY_DELIVERY_SENT},
                {"dlv_2", "ntf_2", PARLEY_DELIVERY_SENT},
                {"dlv_3", "ntf_2", PARLEY_DELIVERY_FAILED},
                {"dlv_4", "ntf_3", PARLEY_DELIVERY_DEAD},
                {"dlv_5", "ntf_4", PARLEY_DELIVERY_SENT}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        parley_delivery d = make_delivery(rows[i].id, rows[i].notification, "webhook", 100);
        d.idempotency_key = lit(rows[i].id);
        d.state = rows[i].state;
        assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &d, &added, &err));
        parley_webhook_attempt a = {
            .webhook_id = "whk_1", .attempt = 1, .status_code = 204, .duration_ms = 1, .at = 100};
        snprintf(a.delivery_id, sizeof a.delivery_id, "%s", rows[i].id);
        assert_ok(fx->repo->webhooks->attempt_insert(fx->repo, &a, &err));
    }
    int64_t n = -1;
    assert_status(PARLEY_E_INVALID, ret->purge_notifications(fx->repo, 1000, 0, &n, &err));
    /* the oldest done one first */
    assert_ok(ret->purge_notifications(fx->repo, 1000, 1, &n, &err));
    assert_int_equal(n, 1);
    parley_notification got;
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->notifications->get(fx->repo, "ntf_1", &got, &err));
    assert_ok(fx->repo->notifications->get(fx->repo, "ntf_3", &got, &err));
    parley_notification_free(&got);
    assert_ok(ret->purge_notifications(fx->repo, 1000, 10, &n, &err));
    assert_int_equal(n, 1);
    assert_ok(ret->purge_notifications(fx->repo, 1000, 10, &n, &err));
    assert_int_equal(n, 0);
    const char *kept[] = {"ntf_2", "ntf_4"};
    for (size_t i = 0; i < 2; i++) {
        assert_ok(fx->repo->notifications->get(fx->repo, kept[i], &got, &err));
        parley_notification_free(&got);
    }
    /* deliveries and attempts went with their notifications */
    const char *gone[] = {"dlv_1", "dlv_4"};
    for (size_t i = 0; i < 2; i++) {
        parley_delivery d;
        assert_status(PARLEY_E_NOT_FOUND,
                      fx->repo->notifications->delivery_get(fx->repo, gone[i], &d, &err));
        parley_webhook_attempt_list attempts;
        assert_ok(fx->repo->webhooks->attempt_list(fx->repo, gone[i], &attempts, &err));
        assert_int_equal(attempts.count, 0);
        parley_webhook_attempt_list_free(&attempts);
    }
    parley_webhook_attempt_list attempts;
    assert_ok(fx->repo->webhooks->attempt_list(fx->repo, "dlv_3", &attempts, &err));
    assert_int_equal(attempts.count, 1);
    parley_webhook_attempt_list_free(&attempts);

    /* password resets: expired ones go, oldest expiry first */
    add_agent(fx, "agt_r", "reset@example.com");
    for (int i = 0; i < 3; i++) {
        parley_password_reset r = {0};
        snprintf(r.id, sizeof r.id, "prs_%d", i);
        memset(r.token_hash, 'a' + i, 64);
        snprintf(r.agent_id, sizeof r.agent_id, "agt_r");
        r.created_at = 1000;
        r.expires_at = 2000 + 1000 * i;
        assert_ok(fx->repo->notifications->reset_insert(fx->repo, &r, &err));
    }
    assert_ok(ret->purge_password_resets(fx->repo, 1999, 10, &n, &err));
    assert_int_equal(n, 0);
    assert_ok(ret->purge_password_resets(fx->repo, 3000, 1, &n, &err));
    assert_int_equal(n, 1);
    assert_ok(ret->purge_password_resets(fx->repo, 3000, 10, &n, &err));
    assert_int_equal(n, 1);
    char agent[PARLEY_ID_SIZE];
    char hash_c[PARLEY_TOKEN_HASH_SIZE] = {0};
    memset(hash_c, 'c', 64);
    assert_ok(fx->repo->notifications->reset_take(fx->repo, hash_c, 3500, agent, &err));
}

static void test_webhook_deliveries_and_attempts(void **state) {
    fixture *fx = *state;
    bool added = false;
    add_webhook_notification(fx, "ntf_w1", "whk_1");
    add_webhook_notification(fx, "ntf_w2", "whk_1");
    add_webhook_notification(fx, "ntf_w3", "whk_2");
    /* an agent's notification with the same recipient id is not the webhook's */
    add_notification(fx, "ntf_a", "whk_1", "ka", 100, &added);
    const char *rows[][2] = {
        {"dlv_w1", "ntf_w1"}, {"dlv_w2", "ntf_w2"}, {"dlv_w3", "ntf_w3"}, {"dlv_a", "ntf_a"}};
    for (size_t i = 0; i < 4; i++) {
        parley_delivery d = make_delivery(rows[i][0], rows[i][1], "webhook", 100);
        d.idempotency_key = lit(rows[i][0]);
        assert_ok(fx->repo->notifications->delivery_insert(fx->repo, &d, &added, &err));
    }
    parley_delivery_list list;
    char next[32];
    assert_ok(fx->repo->webhooks->delivery_list(fx->repo, "whk_1", 1, "", &list, next, sizeof next,
                                                &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "dlv_w2");
    assert_string_equal(list.items[0].idempotency_key, "dlv_w2");
    assert_int_equal(list.items[0].state, PARLEY_DELIVERY_PENDING);
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%s", next);
    parley_delivery_list_free(&list);
    assert_ok(fx->repo->webhooks->delivery_list(fx->repo, "whk_1", 10, cursor, &list, next,
                                                sizeof next, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "dlv_w1");
    assert_string_equal(next, "");
    parley_delivery_list_free(&list);
    assert_status(PARLEY_E_INVALID,
                  fx->repo->webhooks->delivery_list(fx->repo, "whk_1", 10, "x1", &list, next,
                                                    sizeof next, &err));

    /* attempts, in order, per delivery */
    parley_webhook_attempt a1 = {.delivery_id = "dlv_w1",
                                 .webhook_id = "whk_1",
                                 .attempt = 1,
                                 .status_code = 500,
                                 .error = lit("HTTP 500"),
                                 .duration_ms = 12,
                                 .at = 200};
    parley_webhook_attempt a2 = {.delivery_id = "dlv_w1",
                                 .webhook_id = "whk_1",
                                 .attempt = 2,
                                 .status_code = 204,
                                 .duration_ms = 3,
                                 .at = 300};
    assert_ok(fx->repo->webhooks->attempt_insert(fx->repo, &a1, &err));
    assert_ok(fx->repo->webhooks->attempt_insert(fx->repo, &a2, &err));
    parley_webhook_attempt_list attempts;
    assert_ok(fx->repo->webhooks->attempt_list(fx->repo, "dlv_w1", &attempts, &err));
    assert_int_equal(attempts.count, 2);
    assert_int_equal(attempts.items[0].attempt, 1);
    assert_int_equal(attempts.items[0].status_code, 500);
    assert_string_equal(attempts.items[0].error, "HTTP 500");
    assert_int_equal(attempts.items[0].duration_ms, 12);
    assert_int_equal(attempts.items[1].status_code, 204);
    assert_null(attempts.items[1].error);
    assert_int_equal(attempts.items[1].at, 300);
    parley_webhook_attempt_list_free(&attempts);
    assert_ok(fx->repo->webhooks->attempt_list(fx->repo, "dlv_w2", &attempts, &err));
    assert_int_equal(attempts.count, 0);
    parley_webhook_attempt_list_free(&attempts);
}
