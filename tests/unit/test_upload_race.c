/* Retention (core/retention.c) deleting an unattached upload and its file
 * while a message that references the same upload is on its way
 * (core/chat_service.c: prepared on a pool thread, stored on the writer),
 * against the real SQLite repository and the real file store.
 *
 * What must hold: no stored message ever names an upload whose file is
 * gone. Either the message's unit claims the upload first (then the row
 * is attached, retention keeps it and its file), or retention deleted it
 * first (then the send fails with the same clear 404 the prepare step
 * gives for an upload that does not exist, and stores nothing).
 *
 * Each step runs as the thread that owns it would: the prepare step in
 * autocommit, the store and the retention pass each as a writer unit
 * (BEGIN ... COMMIT, then the unit's after-commit actions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "core/retention.h"
#include "core/upload_service.h"
#include "fixture.h"
#include "storage/file_store.h"

#define HOUR_MS ((parley_time_ms)3600 * 1000)

typedef struct fixture {
    test_desk desk;
    char uploads[160]; /* the file store's root */
    parley_participant *alice;
    char session_id[PARLEY_ID_SIZE]; /* Alice's */
    parley_upload upload;            /* Alice's, not attached yet, its file stored */
} fixture;

static parley_error err;

static const char BYTES[] = "the minutes of the meeting, as plain text\n";

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    test_desk_open(&fx->desk, "upload-race", 0);
    snprintf(fx->uploads, sizeof fx->uploads, "%s/uploads", fx->desk.db.dir);
    parley_error_clear(&err);
    fx->alice = test_new_customer(&fx->desk.facade, "Alice");
    parley_session session = {0};
    test_start_session(&fx->desk, fx->alice, "billing", NULL, &session);
    snprintf(fx->session_id, sizeof fx->session_id, "%s", session.id);
    parley_session_free(&session);
    /* the upload as the server makes one: the file first, then its row */
    char sha256[PARLEY_SHA256_HEX_SIZE];
    assert_ok(parley_file_store_put(fx->uploads, BYTES, strlen(BYTES), sha256, &err));
    parley_upload_input in = {
        .sha256 = sha256, .size = (int64_t)strlen(BYTES), .mime = "text/plain", .name = "a.txt"};
    test_unit_begin(fx->desk.repo);
    assert_ok(parley_upload_record(test_chat(&fx->desk), fx->alice, &in, &fx->upload, &err));
    test_unit_end(fx->desk.repo, true);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    parley_upload_free(&fx->upload);
    parley_participant_free(fx->alice);
    test_desk_close(&fx->desk);
    free(fx);
    return 0;
}

static bool remove_file(void *ctx, const char *sha256) {
    fixture *fx = ctx;
    bool removed = false;
    assert_ok(parley_file_store_remove(fx->uploads, sha256, &removed, &err));
    return removed;
}

/* One retention pass on the writer, two hours after the upload (unattached
 * uploads go after one): its unit, then its after-commit actions. */
static parley_retention_counts retention_pass(fixture *fx) {
    parley_retention_policy policy = {
        .token_idle_timeout_s = 30 * 24 * 3600, .upload_max_age_s = 3600, .batch = 100};
    parley_retention_counts counts;
    test_unit_begin(fx->desk.repo);
    assert_ok(parley_facade_run_retention(&fx->desk.facade, &policy,
                                          fx->upload.created_at + 2 * HOUR_MS, remove_file, fx,
                                          &counts, &err));
    test_unit_end(fx->desk.repo, true);
    parley_after_commit done = {0};
    parley_facade_take_after_commit(&fx->desk.facade, &done);
    parley_after_commit_run(&done);
    parley_facade_drop_events(&fx->desk.facade);
    return counts;
}

/* A pass that must delete this many upload rows and files. */
static void expect_pass(fixture *fx, int64_t uploads, int64_t files) {
    parley_retention_counts counts = retention_pass(fx);
    assert_int_equal(counts.uploads, uploads);
    assert_int_equal(counts.files, files);
}

/* The id of the message that claimed the upload ("" while none did). */
static void claimed_by(fixture *fx, char out[PARLEY_ID_SIZE]) {
    parley_upload u = {0};
    assert_ok(fx->desk.repo->uploads->get(fx->desk.repo, fx->upload.id, &u, &err));
    snprintf(out, PARLEY_ID_SIZE, "%s", u.message_id);
    parley_upload_free(&u);
}

/* The pool's step: a message that is only the upload. */
static void prepare(fixture *fx, parley_message_draft *draft) {
    parley_message_input in = {.attachment_id = fx->upload.id, .client_msg_id = "c1"};
    assert_ok(parley_chat_prepare_send(test_chat(&fx->desk), fx->alice, fx->session_id, &in, draft,
                                       &err));
    assert_false(draft->same_unit); /* stored by another unit, later */
}

/* The writer's step: one unit, kept only when the store succeeded. */
static parley_status store(fixture *fx, parley_message_draft *draft, parley_message *out) {
    bool duplicate = false;
    test_unit_begin(fx->desk.repo);
    parley_status st =
        parley_chat_store_prepared(test_chat(&fx->desk), fx->alice, draft, out, &duplicate, &err);
    test_unit_end(fx->desk.repo, st == PARLEY_OK);
    parley_facade_drop_events(&fx->desk.facade);
    parley_message_draft_free(draft);
    assert_false(duplicate);
    return st;
}

static bool file_there(const fixture *fx) {
    return parley_file_store_has(fx->uploads, fx->upload.sha256, fx->upload.size);
}

static size_t messages_stored(fixture *fx) {
    parley_message_list list = {0};
    parley_message_range range = {.limit = 50};
    assert_ok(fx->desk.repo->messages->list(fx->desk.repo, fx->session_id, &range, &list, &err));
    size_t n = list.count;
    parley_message_list_free(&list);
    return n;
}

/* Retention wins: between the prepare step and the store it deleted the
 * upload and its file. The send must fail, clearly, and store nothing. */
static void test_upload_purged_before_the_store_fails_the_send(void **state) {
    fixture *fx = *state;
    parley_message_draft draft;
    prepare(fx, &draft);
    expect_pass(fx, 1, 1);
    assert_false(file_there(fx));

    parley_message m = {0};
    assert_int_equal(store(fx, &draft, &m), PARLEY_E_NOT_FOUND);
    assert_int_equal(err.status, PARLEY_E_NOT_FOUND);
    assert_string_equal(err.code, "not_found");
    assert_non_null(strstr(err.message, "attachment_id"));
    /* the same answer the prepare step gives for an upload that is gone */
    parley_message_draft again;
    parley_message_input in = {.attachment_id = fx->upload.id};
    parley_error prepare_err = {0};
    assert_int_equal(parley_chat_prepare_send(test_chat(&fx->desk), fx->alice, fx->session_id, &in,
                                              &again, &prepare_err),
                     PARLEY_E_NOT_FOUND);
    assert_string_equal(err.message, prepare_err.message);
    /* nothing was stored: no message names the missing file */
    assert_int_equal(messages_stored(fx), 0);
    parley_session s = {0};
    assert_ok(fx->desk.repo->sessions->get(fx->desk.repo, fx->session_id, &s, &err));
    assert_int_equal(s.last_seq, 0); /* and the seq it took was given back */
    parley_session_free(&s);
}

/* The message wins: its unit claimed the upload, so retention leaves the
 * row and the file alone, and the message's file can be read. */
static void test_upload_claimed_first_keeps_its_file(void **state) {
    fixture *fx = *state;
    parley_message_draft draft;
    prepare(fx, &draft);
    parley_message m = {0};
    assert_ok(store(fx, &draft, &m));
    assert_int_equal(m.seq, 1);
    assert_non_null(strstr(m.meta_json, fx->upload.id));
    char message_id[PARLEY_ID_SIZE];
    snprintf(message_id, sizeof message_id, "%s", m.id);
    parley_message_free(&m);

    expect_pass(fx, 0, 0);
    char claimer[PARLEY_ID_SIZE];
    claimed_by(fx, claimer);
    assert_string_equal(claimer, message_id);
    char *data = NULL;
    size_t len = 0;
    assert_ok(
        parley_file_store_read(fx->uploads, fx->upload.sha256, fx->upload.size, &data, &len, &err));
    assert_int_equal(len, strlen(BYTES));
    assert_memory_equal(data, BYTES, len);
    free(data);
}

/* A send whose unit fails for another reason leaves the upload unattached:
 * retention may then take it with its file. */
static void test_upload_of_a_failed_send_is_purged_later(void **state) {
    fixture *fx = *state;
    parley_message_draft draft;
    prepare(fx, &draft);
    /* the session closed since the prepare step: the store is refused */
    parley_session closed = {0};
    test_unit_begin(fx->desk.repo);
    assert_ok(parley_chat_close(test_chat(&fx->desk), fx->alice, fx->session_id, &closed, &err));
    test_unit_end(fx->desk.repo, true);
    parley_facade_drop_events(&fx->desk.facade);
    parley_session_free(&closed);
    parley_message m = {0};
    assert_int_equal(store(fx, &draft, &m), PARLEY_E_CONFLICT);
    assert_string_equal(err.message, "the session is closed");
    char claimer[PARLEY_ID_SIZE];
    claimed_by(fx, claimer);
    assert_string_equal(claimer, ""); /* not claimed */
    expect_pass(fx, 1, 1);
    assert_false(file_there(fx));
}

int main(void) {
    static const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_upload_purged_before_the_store_fails_the_send),
        FIXTURE_TEST(test_upload_claimed_first_keeps_its_file),
        FIXTURE_TEST(test_upload_of_a_failed_send_is_purged_later),
    };
    return RUN_TESTS(tests);
}
