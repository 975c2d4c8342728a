/*
 * REST handlers for contacts (core/contacts.h, docs/subsystems/contacts.md):
 * list and search, one contact, its edit, and its earlier sessions and
 * tickets. Authorization: the route's action (router.c, contact.read /
 * contact.update: staff) and again in the services. Worker threads; the
 * edit runs on the writer (batched), the reads concurrently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/contacts.h"
#include "core/model_json.h"
#include "net/api/api.h"

/* ?ids= asks for these contacts by id (the console's session lists):
 * comma-separated, at most this many; unknown ids are left out. */
#define IDS_MAX 100
#define IDS_TEXT_SIZE (IDS_MAX * PARLEY_ID_SIZE)

static json_t *contact_list_json(const parley_contact_list *list) {
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list->count; i++) {
        json_array_append_new(items, parley_contact_to_json(&list->items[i]));
    }
    return items;
}

/* The contacts of a comma-separated list of ids, in its order. */
static void reply_by_ids(parley_api_call *call, parley_facade *f, char *ids) {
    parley_error err = {0};
    parley_status st = PARLEY_OK;
    json_t *items = json_array();
    int n = 0;
    char *save = NULL;
    for (char *id = strtok_r(ids, ",", &save); st == PARLEY_OK && id != NULL;
         id = strtok_r(NULL, ",", &save)) {
        if (++n > IDS_MAX || strlen(id) >= PARLEY_ID_SIZE) {
            json_decref(items);
            parley_api_invalid(call, "ids: at most %d ids", IDS_MAX);
            return;
        }
        parley_contact c = {0};
        st = parley_contacts_get(parley_facade_repository(f), call->caller, id, &c, &err);
        if (st == PARLEY_OK) {
            json_array_append_new(items, parley_contact_to_json(&c));
        } else if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(&err);
            st = PARLEY_OK;
        }
        parley_contact_free(&c);
    }
    parley_api_reply_page(call, st, "contacts", items, "", &err);
}

void parley_api_list_contacts(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char query[4 * PARLEY_CONTACT_QUERY_MAX + 1] = "";
    bool bad = false;
    char *ids = malloc(IDS_TEXT_SIZE);
    if (ids == NULL) {
        parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
        parley_api_reply_error(call, &err);
        return;
    }
    if (parley_http_query_param(call->req, "ids", ids, IDS_TEXT_SIZE, &bad) && !bad) {
        reply_by_ids(call, f, ids);
        free(ids);
        return;
    }
    free(ids);
    if (bad) {
        parley_api_invalid(call, "ids: at most %d ids", IDS_MAX);
        return;
    }
    if (parley_http_query_param(call->req, "q", query, sizeof query, &bad), bad) {
        parley_api_invalid(call, "q: at most %d characters", PARLEY_CONTACT_QUERY_MAX);
        return;
    }
    parley_api_page page;
    if (!parley_api_read_page(call, &page)) {
        return;
    }
    parley_contact_list list = {0};
    parley_status st =
        parley_contacts_list(parley_facade_repository(f), call->caller, query, page.limit,
                             page.cursor, &list, page.next, sizeof page.next, &err);
    parley_api_reply_page(call, st, "contacts", st == PARLEY_OK ? contact_list_json(&list) : NULL,
                          page.next, &err);
    parley_contact_list_free(&list);
}

void parley_api_get_contact(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_contact c = {0};
    parley_status st =
        parley_contacts_get(parley_facade_repository(f), call->caller, call->params[0], &c, &err);
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_contact_to_json(&c) : NULL, &err);
    parley_contact_free(&c);
}

/* A text field of a PATCH: absent leaves it, null clears it (when
 * nullable), a string sets it; anything else is refused. */
static bool patch_text(parley_api_call *call, json_t *root, const char *name, bool nullable,
                       bool *set, const char **out) {
    json_t *v = json_object_get(root, name);
    *set = v != NULL;
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    if (v == NULL || json_is_string(v) || (nullable && json_is_null(v))) {
        return true;
    }
    return parley_api_invalid(call, "%s: must be a string%s", name, nullable ? " or null" : "");
}

void parley_api_update_contact(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    json_t *root = NULL;
    parley_status st = parley_json_parse_object(call->req->body, call->req->body_len, &root, &err);
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    parley_contact_changes ch = {0};
    bool name_set = false;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "name") != 0 && strcmp(key, "email") != 0 && strcmp(key, "language") != 0 &&
            strcmp(key, "attributes") != 0) {
            parley_api_invalid(call, "%s: not a field of a contact one may edit", key);
            json_decref(root);
            return;
        }
    }
    ch.attributes = json_object_get(root, "attributes");
    if (!patch_text(call, root, "name", false, &name_set, &ch.name) ||
        !patch_text(call, root, "email", true, &ch.email_set, &ch.email) ||
        !patch_text(call, root, "language", true, &ch.language_set, &ch.language)) {
        json_decref(root);
        return;
    }
    parley_contact c = {0};
    st = parley_facade_update_contact(f, call->caller, call->params[0], &ch, &c, &err);
    parley_api_reply(call, st, 200, st == PARLEY_OK ? parley_contact_to_json(&c) : NULL, &err);
    parley_contact_free(&c);
    json_decref(root);
}

/* The route's contact id into a filter's (contact_exists checked it). */
static void copy_id(char out[PARLEY_ID_SIZE], const char *id) {
    size_t n = strnlen(id, PARLEY_ID_SIZE - 1);
    memcpy(out, id, n);
    out[n] = '\0';
}

/* 404 unless the contact exists (and the caller may read it). */
static bool contact_exists(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_contact c = {0};
    parley_status st =
        parley_contacts_get(parley_facade_repository(f), call->caller, call->params[0], &c, &err);
    parley_contact_free(&c);
    if (st != PARLEY_OK) {
        parley_api_reply_error(call, &err);
    }
    return st == PARLEY_OK;
}

void parley_api_contact_sessions(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_session_filter filter = {.status = -1};
    if (!contact_exists(call, f) ||
        !parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    copy_id(filter.customer_id, call->params[0]);
    parley_session_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    parley_status st = parley_chat_list_sessions(parley_facade_chat(f), call->caller, &filter,
                                                 &list, next, sizeof next, &err);
    json_t *items = st == PARLEY_OK ? json_array() : NULL;
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_array_append_new(items, parley_session_json_for(&list.items[i], true));
    }
    parley_session_list_free(&list);
    parley_api_reply_page(call, st, "sessions", items, next, &err);
}

void parley_api_contact_tickets(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_ticket_filter filter = {.status = -1, .limit = 50};
    if (!contact_exists(call, f) ||
        !parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    copy_id(filter.customer_id, call->params[0]);
    parley_ticket_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    parley_status st = parley_chat_list_tickets(parley_facade_chat(f), call->caller, &filter, &list,
                                                next, sizeof next, &err);
    parley_api_reply_page(call, st, "tickets", parley_ticket_list_to_json(&list), next, &err);
    parley_ticket_list_free(&list);
}
