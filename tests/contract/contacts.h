/*
 * contacts.h - the contract tests of the contacts aggregate
 * (core/store/contacts.h): a customer read as a contact with its sessions'
 * count and newest creation, the search (case-insensitive LIKE on name and
 * e-mail, '\' escaping), pages newest first, the edit (never the identifier
 * or the verified flag), and the oldest verified contact by e-mail.
 * Included by test_repository.c before its contract_tests[] (it uses that
 * file's fixture and builders); a file of its own so that file does not
 * grow.
 *
 * Each test owns its fixture; tests run on one thread.
 */
#ifndef PARLEY_CONTRACT_CONTACTS_H
#define PARLEY_CONTRACT_CONTACTS_H

#include "core/store/contacts.h"

static void add_contact(fixture *fx, const char *id, const char *name, const char *email,
                        bool verified, parley_time_ms created_at) {
    parley_customer c = {0};
    snprintf(c.id, sizeof c.id, "%s", id);
    c.name = lit(name);
    c.email = lit(email);
    c.verified = verified;
    c.created_at = created_at;
    assert_ok(fx->repo->accounts->customer_insert(fx->repo, &c, &err));
}

static void contact_page(fixture *fx, const char *pattern, int limit, const char *cursor,
                         parley_contact_list *out, char *next, size_t next_size) {
    parley_contact_filter filter = {.limit = limit};
    snprintf(filter.pattern, sizeof filter.pattern, "%s", pattern);
    snprintf(filter.cursor, sizeof filter.cursor, "%s", cursor);
    assert_ok(fx->repo->contacts->list(fx->repo, &filter, out, next, next_size, &err));
}

static void test_contacts_read_and_search(void **state) {
    fixture *fx = *state;
    add_contact(fx, "cus_1", "Ada Lovelace", "ada@example.com", false, 1000);
    add_contact(fx, "cus_2", "Bob 100% Sure", "BOB@Example.org", true, 2000);
    add_contact(fx, "cus_3", "Carol", NULL, false, 3000);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_CLOSED); /* created_at 3000 */
    add_session_spec(fx, (session_spec){"ses_2", "cus_1", "", "", PARLEY_SESSION_WAITING, 7000});

    parley_contact c = {0};
    assert_ok(fx->repo->contacts->get(fx->repo, "cus_1", &c, &err));
    assert_string_equal(c.name, "Ada Lovelace");
    assert_string_equal(c.email, "ada@example.com");
    assert_false(c.verified);
    assert_null(c.attributes_json);
    assert_int_equal(c.updated_at, 0);
    assert_int_equal(c.sessions, 2);
    assert_int_equal(c.last_seen_at, 7000);
    parley_contact_free(&c);
    assert_ok(fx->repo->contacts->get(fx->repo, "cus_3", &c, &err));
    assert_null(c.email);
    assert_int_equal(c.sessions, 0);
    assert_int_equal(c.last_seen_at, 0);
    parley_contact_free(&c);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->contacts->get(fx->repo, "cus_x", &c, &err));

    /* every contact, newest first, in pages */
    parley_contact_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    contact_page(fx, "", 2, "", &list, next, sizeof next);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, "cus_3");
    assert_string_equal(list.items[1].id, "cus_2");
    assert_string_not_equal(next, "");
    char cursor[PARLEY_ID_SIZE * 2];
    snprintf(cursor, sizeof cursor, "%s", next);
    parley_contact_list_free(&list);
    contact_page(fx, "", 2, cursor, &list, next, sizeof next);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "cus_1");
    assert_string_equal(next, "");
    parley_contact_list_free(&list);

    /* case-insensitive on name and e-mail */
    contact_page(fx, "%example.ORG%", 50, "", &list, next, sizeof next);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "cus_2");
    parley_contact_list_free(&list);
    contact_page(fx, "%lovelace%", 50, "", &list, next, sizeof next);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "cus_1");
    parley_contact_list_free(&list);
    /* '\' escapes the pattern's own characters */
    contact_page(fx, "%0\\%%", 50, "", &list, next, sizeof next);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "cus_2");
    parley_contact_list_free(&list);
    contact_page(fx, "%a\\_%", 50, "", &list, next, sizeof next);
    assert_int_equal(list.count, 0);
    parley_contact_list_free(&list);
}

static void test_contacts_update_and_by_email(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", "site-1"); /* Ada, no e-mail */
    add_contact(fx, "cus_2", "Vera", "vera@example.com", true, 2000);
    add_contact(fx, "cus_3", "Vera again", "VERA@example.com", true, 3000);
    add_contact(fx, "cus_4", "Not Vera", "vera@example.com", false, 500);

    parley_contact c = {0};
    assert_ok(fx->repo->contacts->get(fx->repo, "cus_1", &c, &err));
    free(c.name);
    c.name = strdup("Ada L.");
    c.email = strdup("ada@example.com");
    c.attributes_json = strdup("{\"plan\":\"gold\"}");
    c.verified = true; /* never written */
    c.updated_at = 9000;
    assert_ok(fx->repo->contacts->update(fx->repo, &c, &err));
    parley_contact_free(&c);
    assert_ok(fx->repo->contacts->get(fx->repo, "cus_1", &c, &err));
    assert_string_equal(c.name, "Ada L.");
    assert_string_equal(c.email, "ada@example.com");
    assert_string_equal(c.identifier, "site-1");
    assert_string_equal(c.attributes_json, "{\"plan\":\"gold\"}");
    assert_false(c.verified);
    assert_int_equal(c.updated_at, 9000);
    /* the customer's own read sees the edit */
    parley_customer cust = {0};
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_1", &cust, &err));
    assert_string_equal(cust.name, "Ada L.");
    parley_customer_free(&cust);
    snprintf(c.id, sizeof c.id, "cus_x");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->contacts->update(fx->repo, &c, &err));
    parley_contact_free(&c);

    /* the oldest verified one, whatever the case; unverified ones never */
    assert_ok(fx->repo->contacts->find_verified_by_email(fx->repo, "Vera@Example.COM", &c, &err));
    assert_string_equal(c.id, "cus_2");
    parley_contact_free(&c);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->contacts->find_verified_by_email(
                                          fx->repo, "nobody@example.com", &c, &err));
}

#endif
