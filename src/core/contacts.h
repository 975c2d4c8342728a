/*
 * contacts.h - the desk's contacts (docs/subsystems/contacts.md): who a
 * customer is as the staff see it (name, e-mail, language, verified flag,
 * custom attributes, how often and when she chatted), searched by name or
 * e-mail and edited by staff. A contact is its customer (same id); the
 * rows are the contacts aggregate's (core/store/contacts.h).
 *
 * Who may: staff (agents and admins) read and edit every contact, as they
 * see every session (authorization.h: contact.read, contact.update);
 * customers and bots get PARLEY_E_FORBIDDEN. Auditing an edit is the
 * facade's (parley_facade_update_contact).
 *
 * Threads: any thread with its own repository handle; an update runs in
 * the caller's unit (the writer's batch).
 */
#ifndef PARLEY_CONTACTS_H
#define PARLEY_CONTACTS_H

#include <jansson.h>

#include "core/participant.h"
#include "core/repository.h"

/* Custom attributes: at most this many keys, each 1..64 bytes of
 * [A-Za-z0-9_.-], each value a string of at most 1,000 bytes. */
#define PARLEY_CONTACT_ATTRIBUTES_MAX 50
#define PARLEY_CONTACT_ATTRIBUTE_KEY_MAX 64
#define PARLEY_CONTACT_ATTRIBUTE_VALUE_MAX 1000
/* a search: at most this many bytes of words */
#define PARLEY_CONTACT_QUERY_MAX 200

/* Absent (NULL) fields stay as they are. email_set with email NULL clears
 * the e-mail; language likewise. attributes is merged key by key: a string
 * sets the key, null removes it (borrowed; an object or NULL). */
typedef struct parley_contact_changes {
    const char *name;
    bool email_set;
    const char *email;
    bool language_set;
    const char *language;
    json_t *attributes; /* borrowed */
} parley_contact_changes;

/* A page of contacts, newest first, whose name or e-mail contains query
 * (case-insensitive; NULL or "" = all). */
parley_status parley_contacts_list(parley_repository *repo, const parley_participant *caller,
                                   const char *query, int limit, const char *cursor,
                                   parley_contact_list *out, char *next_cursor,
                                   size_t next_cursor_size, parley_error *err);

parley_status parley_contacts_get(parley_repository *repo, const parley_participant *caller,
                                  const char *id, parley_contact *out, parley_error *err);

/* Checks and applies changes; *out is the contact after them. */
parley_status parley_contacts_update(parley_repository *repo, const parley_participant *caller,
                                     const char *id, const parley_contact_changes *changes,
                                     parley_contact *out, parley_error *err);

/* The wire form (docs/openapi.yaml, Contact); NULL when out of memory. */
json_t *parley_contact_to_json(const parley_contact *c);

#endif
