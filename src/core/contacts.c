/* contacts.c - the desk's contacts: search, read, edit (contacts.h). */
#include "core/contacts.h"

#include <stdlib.h>
#include <string.h>

#include "core/account_service.h"
#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "util/validate.h"

/* The user's words as a LIKE pattern: %words%, with '\' escaping the
 * pattern's own characters (store/contacts.h). */
static parley_status make_pattern(const char *query, char *out, size_t size, parley_error *err) {
    out[0] = '\0';
    if (query == NULL || query[0] == '\0') {
        return PARLEY_OK;
    }
    parley_status st = parley_check_text("q", query, false, 1, PARLEY_CONTACT_QUERY_MAX, err);
    if (st != PARLEY_OK) {
        return st;
    }
    size_t n = 0;
    out[n++] = '%';
    for (const char *c = query; *c != '\0' && n + 3 < size; c++) {
        if (*c == '%' || *c == '_' || *c == '\\') {
            out[n++] = '\\';
        }
        out[n++] = *c;
    }
    out[n++] = '%';
    out[n] = '\0';
    return PARLEY_OK;
}

parley_status parley_contacts_list(parley_repository *repo, const parley_participant *caller,
                                   const char *query, int limit, const char *cursor,
                                   parley_contact_list *out, char *next_cursor,
                                   size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_contact_filter filter = {.limit = limit};
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CONTACT_READ, err);
    if (st == PARLEY_OK) {
        st = make_pattern(query, filter.pattern, sizeof filter.pattern, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    snprintf(filter.cursor, sizeof filter.cursor, "%s", cursor != NULL ? cursor : "");
    return repo->contacts->list(repo, &filter, out, next_cursor, next_cursor_size, err);
}

parley_status parley_contacts_get(parley_repository *repo, const parley_participant *caller,
                                  const char *id, parley_contact *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CONTACT_READ, err);
    return st != PARLEY_OK ? st : repo->contacts->get(repo, id, out, err);
}

static bool attribute_key_valid(const char *key) {
    size_t len = strlen(key);
    if (len == 0 || len > PARLEY_CONTACT_ATTRIBUTE_KEY_MAX) {
        return false;
    }
    for (const char *c = key; *c != '\0'; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* The stored attributes with changes merged in, as new JSON text in *out
 * (NULL when none is left). */
static parley_status merge_attributes(const char *stored, json_t *changes, char **out,
                                      parley_error *err) {
    *out = NULL;
    if (!json_is_object(changes)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "attributes: must be an object");
    }
    json_t *merged = stored != NULL ? json_loads(stored, 0, NULL) : NULL;
    if (!json_is_object(merged)) {
        json_decref(merged);
        merged = json_object();
    }
    if (merged == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    const char *key;
    json_t *value;
    parley_status st = PARLEY_OK;
    json_object_foreach(changes, key, value) {
        if (!attribute_key_valid(key)) {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "attributes: a key is 1..%d of A-Z a-z 0-9 _ . -",
                                  PARLEY_CONTACT_ATTRIBUTE_KEY_MAX);
            break;
        }
        if (json_is_null(value)) {
            json_object_del(merged, key);
            continue;
        }
        if (!json_is_string(value) ||
            (st = parley_check_text("attributes", json_string_value(value), true, 0,
                                    PARLEY_CONTACT_ATTRIBUTE_VALUE_MAX, err)) != PARLEY_OK) {
            if (st == PARLEY_OK) {
                st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                      "attributes: a value is a string or null");
            }
            break;
        }
        json_object_set(merged, key, value);
    }
    if (st == PARLEY_OK && json_object_size(merged) > PARLEY_CONTACT_ATTRIBUTES_MAX) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "attributes: at most %d keys", PARLEY_CONTACT_ATTRIBUTES_MAX);
    }
    if (st == PARLEY_OK && json_object_size(merged) > 0) {
        *out = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
        if (*out == NULL) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    json_decref(merged);
    return st;
}

static parley_status check_changes(const parley_contact_changes *ch, parley_error *err) {
    parley_status st = parley_check_text("name", ch->name, false, 1, 200, err);
    if (st == PARLEY_OK && ch->email_set) {
        st = parley_check_email(ch->email, false, err);
    }
    if (st == PARLEY_OK && ch->language_set) {
        st = parley_check_text("language", ch->language, false, 2, 35, err);
    }
    return st;
}

/* Replaces *field with a copy of value (NULL stays NULL). */
static bool replace_text(char **field, const char *value) {
    char *copy = value != NULL ? strdup(value) : NULL;
    if (value != NULL && copy == NULL) {
        return false;
    }
    free(*field);
    *field = copy;
    return true;
}

parley_status parley_contacts_update(parley_repository *repo, const parley_participant *caller,
                                     const char *id, const parley_contact_changes *changes,
                                     parley_contact *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = parley_authorize(caller, PARLEY_ACTION_CONTACT_UPDATE, err);
    if (st != PARLEY_OK || (st = check_changes(changes, err)) != PARLEY_OK) {
        return st;
    }
    parley_contact c = {0};
    if ((st = repo->contacts->get(repo, id, &c, err)) != PARLEY_OK) {
        return st;
    }
    bool ok = (changes->name == NULL || replace_text(&c.name, changes->name)) &&
              (!changes->email_set || replace_text(&c.email, changes->email)) &&
              (!changes->language_set || replace_text(&c.language, changes->language));
    if (!ok) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK && changes->attributes != NULL) {
        char *merged = NULL;
        st = merge_attributes(c.attributes_json, changes->attributes, &merged, err);
        if (st == PARLEY_OK) {
            free(c.attributes_json);
            c.attributes_json = merged;
        }
    }
    if (st == PARLEY_OK) {
        c.updated_at = parley_now_ms();
        st = repo->contacts->update(repo, &c, err);
    }
    if (st != PARLEY_OK) {
        parley_contact_free(&c);
        return st;
    }
    *out = c;
    return PARLEY_OK;
}

json_t *parley_contact_to_json(const parley_contact *c) {
    json_t *attributes =
        c->attributes_json != NULL ? json_loads(c->attributes_json, 0, NULL) : NULL;
    if (!json_is_object(attributes)) {
        json_decref(attributes);
        attributes = json_object();
    }
    return json_pack(
        "{s:s, s:s?, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:I, s:o}", "id", c->id, "name", c->name,
        "email", c->email != NULL ? json_string(c->email) : json_null(), "identifier",
        c->identifier != NULL ? json_string(c->identifier) : json_null(), "language",
        c->language != NULL ? json_string(c->language) : json_null(), "verified", c->verified,
        "attributes", attributes, "created_at", parley_time_to_json(c->created_at), "updated_at",
        c->updated_at != 0 ? parley_time_to_json(c->updated_at) : json_null(), "sessions_count",
        (json_int_t)c->sessions, "last_seen_at",
        c->last_seen_at != 0 ? parley_time_to_json(c->last_seen_at) : json_null());
}
