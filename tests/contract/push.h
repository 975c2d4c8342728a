/*
 * push.h - the contract tests of the web push subscriptions aggregate
 * (core/store/push.h). Included by test_repository.c before its
 * contract_tests[] (it uses that file's fixture and assertions); a file of
 * its own so test_repository.c does not grow.
 *
 * Each test owns its fixture; tests run on one thread.
 */
#ifndef PARLEY_CONTRACT_PUSH_H
#define PARLEY_CONTRACT_PUSH_H

static char push_p256dh[] = "BCVxsr7N_eNgVRqvHtD0zTZsEc6";
static char push_auth[] = "BTBZMqHH6r4Tts7J_aSIgg";
static char push_auth_other[] = "AAAAAAAAAAAAAAAAAAAAAA";

/* endpoint: a writable array of the caller's (the struct's fields are char *) */
static parley_push_subscription make_push(const char *id, parley_participant_kind kind,
                                          const char *recipient, char *endpoint,
                                          parley_time_ms at) {
    parley_push_subscription s = {0};
    snprintf(s.id, sizeof s.id, "%s", id);
    s.recipient_kind = kind;
    snprintf(s.recipient_id, sizeof s.recipient_id, "%s", recipient);
    s.endpoint = endpoint;
    s.p256dh = push_p256dh;
    s.auth = push_auth;
    s.created_at = at;
    return s;
}

static void test_push_subscriptions(void **state) {
    fixture *fx = *state;
    const parley_push_ops *push = fx->repo->push;
    char ep_a[] = "https://p.example/a", ep_b[] = "https://p.example/b";
    char ep_c[] = "https://p.example/c", ep_a2[] = "https://p.example/a";
    parley_push_subscription a = make_push("psb_1", PARLEY_PARTICIPANT_AGENT, "agt_1", ep_a, 10);
    parley_push_subscription b = make_push("psb_2", PARLEY_PARTICIPANT_AGENT, "agt_1", ep_b, 20);
    parley_push_subscription c = make_push("psb_3", PARLEY_PARTICIPANT_CUSTOMER, "agt_1", ep_c, 30);
    assert_ok(push->upsert(fx->repo, &a, &err));
    assert_ok(push->upsert(fx->repo, &b, &err));
    assert_ok(push->upsert(fx->repo, &c, &err));

    /* by recipient: kind and id both count; oldest first */
    parley_push_subscription_list list;
    assert_ok(push->list(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1", &list, &err));
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, "psb_1");
    assert_string_equal(list.items[0].endpoint, "https://p.example/a");
    assert_string_equal(list.items[0].p256dh, "BCVxsr7N_eNgVRqvHtD0zTZsEc6");
    assert_string_equal(list.items[0].auth, "BTBZMqHH6r4Tts7J_aSIgg");
    assert_int_equal(list.items[0].recipient_kind, PARLEY_PARTICIPANT_AGENT);
    assert_int_equal(list.items[0].created_at, 10);
    assert_string_equal(list.items[1].id, "psb_2");
    parley_push_subscription_list_free(&list);
    int64_t count = 0;
    assert_ok(push->count(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "agt_1", &count, &err));
    assert_int_equal(count, 1);

    /* the same endpoint again: the row moves to its new recipient and keys, its id stays */
    parley_push_subscription again =
        make_push("psb_9", PARLEY_PARTICIPANT_CUSTOMER, "cus_7", ep_a2, 40);
    again.auth = push_auth_other;
    assert_ok(push->upsert(fx->repo, &again, &err));
    parley_push_subscription got;
    assert_ok(push->get_by_endpoint(fx->repo, "https://p.example/a", &got, &err));
    assert_string_equal(got.id, "psb_1");
    assert_int_equal(got.recipient_kind, PARLEY_PARTICIPANT_CUSTOMER);
    assert_string_equal(got.recipient_id, "cus_7");
    assert_string_equal(got.auth, "AAAAAAAAAAAAAAAAAAAAAA");
    assert_int_equal(got.created_at, 40);
    parley_push_subscription_free(&got);
    assert_ok(push->count(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1", &count, &err));
    assert_int_equal(count, 1);
    assert_status(PARLEY_E_NOT_FOUND,
                  push->get_by_endpoint(fx->repo, "https://p.example/none", &got, &err));

    /* remove: only the recipient's own endpoint */
    assert_status(PARLEY_E_NOT_FOUND, push->remove(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1",
                                                   "https://p.example/c", &err));
    assert_ok(
        push->remove(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1", "https://p.example/b", &err));
    assert_ok(push->count(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1", &count, &err));
    assert_int_equal(count, 0);
    assert_ok(push->remove_id(fx->repo, "psb_3", &err));
    assert_status(PARLEY_E_NOT_FOUND, push->remove_id(fx->repo, "psb_3", &err));
    assert_ok(push->list(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "agt_1", &list, &err));
    assert_int_equal(list.count, 0);
    parley_push_subscription_list_free(&list);
}

#endif
