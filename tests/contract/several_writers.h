/*
 * several_writers.h - the contract tests of what several writers on one
 * database rely on (core/repository.h): leadership (leadership_try), the
 * named transaction locks (xact_lock) and the batch's sorted session locks
 * (lock_sessions). Included by test_repository.c before its
 * contract_tests[] (it uses that file's fixture, builders and raw access);
 * a file of its own so test_repository.c does not grow past its size.
 *
 * On SQLite one writer holds the whole file from begin, so its node always
 * leads and every lock is granted; on PostgreSQL two handles are two
 * writers, and the tests check that only one holds each thing.
 *
 * Each test owns its fixture; tests run on one thread.
 */
#ifndef PARLEY_CONTRACT_SEVERAL_WRITERS_H
#define PARLEY_CONTRACT_SEVERAL_WRITERS_H

static bool one_writer_backend(void) {
    return strcmp(backend->name, "sqlite") == 0;
}

static bool leads(parley_repository *repo) {
    bool leader = false;
    assert_ok(repo->ops->leadership_try(repo, &leader, &err));
    return leader;
}

/* Two handles: one leader; asking again keeps it; the other takes over
 * once the first is closed (within seconds: its server process ends). */
static void test_leadership_one_node(void **state) {
    fixture *fx = *state;
    parley_repository *first = fx->repo;
    parley_repository *second = open_repo(fx->url, false, 0);
    assert_true(leads(first));
    assert_true(leads(first)); /* the check of a leader keeps it */
    /* inside a batch that rolls back, too */
    assert_ok(first->ops->begin(first, &err));
    assert_true(leads(first));
    assert_ok(first->ops->rollback(first, &err));
    if (one_writer_backend()) {
        assert_true(leads(second)); /* one file, one server: always leads */
        second->ops->close(second);
        return;
    }
    assert_false(leads(second));
    assert_false(leads(second));
    assert_true(leads(first)); /* a session lock survives the rollback */
    first->ops->close(first);
    fx->repo = NULL;
    bool took_over = false;
    for (int i = 0; i < 100 && !took_over; i++) {
        took_over = leads(second);
        if (!took_over) {
            usleep(50 * 1000);
        }
    }
    assert_true(took_over);
    /* a third handle finds a leader again */
    parley_repository *third = open_repo(fx->url, false, 0);
    assert_false(leads(third));
    third->ops->close(third);
    fx->repo = second;
}

/* A named lock holds until the batch ends; another name is another lock;
 * a unit rolled back to its savepoint gives its lock back. */
static void test_xact_locks(void **state) {
    fixture *fx = *state;
    parley_repository *a = fx->repo;
    bool got = false;
    assert_ok(a->ops->begin(a, &err));
    assert_ok(a->ops->xact_lock(a, PARLEY_LOCK_ROUTING, false, &got, &err));
    assert_true(got);
    got = false;
    assert_ok(a->ops->xact_lock(a, PARLEY_LOCK_ROUTING, true, &got, &err)); /* again: held */
    assert_true(got);
    if (one_writer_backend()) {
        assert_ok(a->ops->commit(a, &err));
        return;
    }
    parley_repository *b = open_repo(fx->url, false, 300);
    assert_ok(b->ops->begin(b, &err));
    assert_ok(b->ops->xact_lock(b, PARLEY_LOCK_ROUTING, false, &got, &err));
    assert_false(got);
    assert_ok(b->ops->xact_lock(b, PARLEY_LOCK_ADMINS, false, &got, &err));
    assert_true(got);
    /* waiting past the lock timeout: unavailable, and b's batch is over */
    assert_status(PARLEY_E_UNAVAILABLE,
                  b->ops->xact_lock(b, PARLEY_LOCK_ROUTING, true, &got, &err));
    assert_non_null(strstr(err.message, "55P03"));
    assert_ok(b->ops->rollback(b, &err));
    /* a's commit frees it */
    assert_ok(a->ops->commit(a, &err));
    assert_ok(b->ops->begin(b, &err));
    assert_ok(b->ops->xact_lock(b, PARLEY_LOCK_ROUTING, true, &got, &err));
    assert_true(got);
    /* a unit rolled back gives it back before the batch ends */
    assert_ok(b->ops->savepoint(b, &err));
    assert_ok(b->ops->xact_lock(b, PARLEY_LOCK_ADMINS, false, &got, &err));
    assert_true(got);
    assert_ok(b->ops->rollback_to(b, &err));
    assert_ok(a->ops->begin(a, &err));
    assert_ok(a->ops->xact_lock(a, PARLEY_LOCK_ADMINS, false, &got, &err));
    assert_true(got);
    assert_ok(a->ops->xact_lock(a, PARLEY_LOCK_ROUTING, false, &got, &err));
    assert_false(got); /* b's batch still holds it */
    assert_ok(a->ops->commit(a, &err));
    assert_ok(b->ops->commit(b, &err));
    b->ops->close(b);
}

/* lock_sessions locks the sessions it names until the batch ends; ids of
 * no session (or no id at all) are skipped, not errors. */
static void test_lock_sessions(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);
    parley_repository *a = fx->repo;
    const char *ids[] = {"bad id'}", "ses_1", "ses_2", "ses_none"};
    assert_ok(a->ops->begin(a, &err));
    assert_ok(a->ops->lock_sessions(a, ids, 4, &err));
    assert_ok(a->ops->lock_sessions(a, ids, 0, &err));
    if (one_writer_backend()) {
        assert_ok(a->ops->commit(a, &err));
        return;
    }
    /* another writer's store into ses_2 waits for a's batch: past its
     * lock timeout it is unavailable */
    parley_repository *b = open_repo(fx->url, false, 300);
    assert_ok(b->ops->begin(b, &err));
    parley_message m =
        make_message("msg_b1", "ses_2", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "hi");
    parley_message_store_result res;
    assert_status(PARLEY_E_UNAVAILABLE, b->messages->store(b, &m, &res, &err));
    assert_ok(b->ops->rollback(b, &err));
    assert_ok(a->ops->commit(a, &err));
    assert_ok(b->ops->begin(b, &err));
    assert_ok(b->messages->store(b, &m, &res, &err));
    assert_int_equal(res.outcome, PARLEY_MESSAGE_STORED);
    assert_ok(b->ops->commit(b, &err));
    parley_message_free(&res.previous);
    b->ops->close(b);
}

#endif
