/*
 * store/contacts.h - the contacts aggregate: what the desk knows of a
 * customer (the customers row the pre-chat form wrote: name, e-mail,
 * language, verified flag) plus what staff add to it (custom attributes),
 * with how often and when the customer last chatted. A contact's id is its
 * customer's id (cus_...); the row is created by accounts->customer_insert
 * (store/accounts.h) and only read and edited here.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->contacts at its parley_contacts_ops (sqlite/contacts.c,
 * postgres/contacts.c). Ownership, threads, transactions and result codes
 * are the Repository's. parley_contact's char * fields are owned by the
 * struct and freed by parley_contact_free() (core/model.c); lists own their
 * items.
 *
 * Threads: any thread with its own handle. Read by the staff's API calls
 * (core/contacts.c) on worker threads, written by PATCH on the writer and
 * read by customer registration (core/account_service.c: a verified
 * e-mail finds its contact).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/contacts.c (and its ops table).
 */
#ifndef PARLEY_STORE_CONTACTS_H
#define PARLEY_STORE_CONTACTS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_contact {
    char id[PARLEY_ID_SIZE]; /* the customer's id */
    char *name;
    char *email;      /* may be NULL */
    char *identifier; /* the site's own user id when verified; may be NULL */
    char *language;   /* may be NULL */
    bool verified;
    parley_time_ms created_at;
    char *attributes_json;       /* a JSON object of strings; NULL = none ({}) */
    parley_time_ms updated_at;   /* last edit by staff; 0 = never */
    int64_t sessions;            /* how many sessions the customer started */
    parley_time_ms last_seen_at; /* the newest session's creation; 0 = none */
    int64_t position;            /* the list cursor's column */
} parley_contact;

PARLEY_DECLARE_LIST(parley_contact_list, parley_contact);

/* Defined in core/model.c with the other lists. */
void parley_contact_free(parley_contact *c);
parley_contact *parley_contact_list_push(parley_contact_list *list);
void parley_contact_list_free(parley_contact_list *list);

/* The search of a list: pattern is a LIKE pattern (core/contacts.c makes
 * it from the user's words, '\' escaping '%', '_' and itself) matched
 * case-insensitively against the name and the e-mail; "" = every
 * contact. Newest first. */
typedef struct parley_contact_filter {
    char pattern[2 * 4 * 200 + 3];   /* 200 code points of up to 4 bytes, escaped */
    int limit;                       /* 1..200 */
    char cursor[PARLEY_ID_SIZE * 2]; /* "" = the first page */
} parley_contact_filter;

typedef struct parley_contacts_ops {
    /* PARLEY_E_NOT_FOUND when there is no such customer */
    parley_status (*get)(parley_repository *repo, const char *id, parley_contact *out,
                         parley_error *err);
    /* newest first; *next_cursor_out gets "" on the last page */
    parley_status (*list)(parley_repository *repo, const parley_contact_filter *filter,
                          parley_contact_list *out, char *next_cursor_out, size_t next_cursor_size,
                          parley_error *err);
    /* Writes name, email, language, attributes_json and updated_at of c->id
     * (never the identifier or the verified flag); PARLEY_E_NOT_FOUND when
     * there is none. */
    parley_status (*update)(parley_repository *repo, const parley_contact *c, parley_error *err);
    /* The oldest verified contact with this e-mail (case-insensitive):
     * a verified customer who signs in again with a new identifier;
     * PARLEY_E_NOT_FOUND when there is none. */
    parley_status (*find_verified_by_email)(parley_repository *repo, const char *email,
                                            parley_contact *out, parley_error *err);
} parley_contacts_ops;

#endif
