#include "net/http/json_request.h"

#include <stdio.h>
#include <string.h>

parley_status parley_json_parse_object(const char *body, size_t len, json_t **root,
                                       parley_error *err) {
    json_error_t json_err;
    *root = NULL;
    if (body == NULL || len == 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_json", "a JSON body is required");
    }
    json_t *value = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &json_err);
    if (value == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_json",
                                "malformed JSON at line %d column %d: %s", json_err.line,
                                json_err.column, json_err.text);
    }
    if (!json_is_object(value)) {
        json_decref(value);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "the body must be a JSON object");
    }
    *root = value;
    return PARLEY_OK;
}

parley_status parley_json_string(json_t *obj, const char *name, bool required, const char **out,
                                 parley_error *err) {
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return required ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                           "%s: required", name)
                        : PARLEY_OK;
    }
    if (!json_is_string(v)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s: must be a string",
                                name);
    }
    *out = json_string_value(v);
    return PARLEY_OK;
}

parley_status parley_json_integer(json_t *obj, const char *name, bool required, int64_t *out,
                                  bool *present, parley_error *err) {
    json_t *v = json_object_get(obj, name);
    if (present != NULL) {
        *present = false;
    }
    if (v == NULL || json_is_null(v)) {
        return required ? parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                           "%s: required", name)
                        : PARLEY_OK;
    }
    if (!json_is_integer(v)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: must be an integer", name);
    }
    *out = (int64_t)json_integer_value(v);
    if (present != NULL) {
        *present = true;
    }
    return PARLEY_OK;
}

parley_status parley_json_fields(json_t *obj, const parley_json_field *fields, size_t count,
                                 bool change, void *out, parley_error *err) {
    parley_status st = PARLEY_OK;
    for (size_t i = 0; st == PARLEY_OK && i < count; i++) {
        const parley_json_field *fl = &fields[i];
        void *at = (char *)out + fl->offset;
        bool required = fl->required && !change;
        st = fl->kind == PARLEY_JSON_INTEGER
                 ? parley_json_integer(obj, fl->name, required, at, NULL, err)
                 : parley_json_string(obj, fl->name, required, at, err);
    }
    return st;
}

parley_status parley_json_decode(const char *body, size_t len, json_t **root,
                                 const parley_json_field *fields, size_t count, bool change,
                                 void *out, parley_error *err) {
    parley_status st = parley_json_parse_object(body, len, root, err);
    if (st == PARLEY_OK) {
        st = parley_json_fields(*root, fields, count, change, out, err);
    }
    if (st != PARLEY_OK) {
        json_decref(*root);
        *root = NULL;
    }
    return st;
}

/* Parses and then runs a list of field reads, stopping at the first error;
 * on error *root is released. */
#define DECODE_BEGIN()                                                                             \
    memset(out, 0, sizeof *out);                                                                   \
    parley_status st = parley_json_parse_object(body, len, root, err);                             \
    if (st != PARLEY_OK) {                                                                         \
        return st;                                                                                 \
    }                                                                                              \
    json_t *obj = *root
#define DECODE_STEP(call)                                                                          \
    if (st == PARLEY_OK) {                                                                         \
        st = (call);                                                                               \
    }
#define DECODE_END()                                                                               \
    if (st != PARLEY_OK) {                                                                         \
        json_decref(*root);                                                                        \
        *root = NULL;                                                                              \
    }                                                                                              \
    return st

parley_status parley_decode_login(const char *body, size_t len, json_t **root,
                                  parley_login_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "email", true, &out->email, err));
    DECODE_STEP(parley_json_string(obj, "password", true, &out->password, err));
    DECODE_END();
}

parley_status parley_decode_agent(const char *body, size_t len, json_t **root,
                                  parley_agent_input *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "name", true, &out->name, err));
    DECODE_STEP(parley_json_string(obj, "email", true, &out->email, err));
    DECODE_STEP(parley_json_string(obj, "password", true, &out->password, err));
    DECODE_STEP(parley_json_string(obj, "role", false, &out->role, err));
    DECODE_STEP(parley_json_string(obj, "language", false, &out->language, err));
    DECODE_END();
}

parley_status parley_decode_password_change(const char *body, size_t len, json_t **root,
                                            parley_password_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "current_password", true, &out->current_password, err));
    DECODE_STEP(parley_json_string(obj, "new_password", true, &out->new_password, err));
    DECODE_END();
}

parley_status parley_decode_password_reset(const char *body, size_t len, json_t **root,
                                           parley_password_body *out, parley_error *err) {
    DECODE_BEGIN();
    out->current_password = NULL;
    DECODE_STEP(parley_json_string(obj, "password", true, &out->new_password, err));
    DECODE_END();
}

/* A PATCH that silently ignored a field would answer 200 for a change it
 * never made: refuse what it does not know. */
static parley_status agent_changes_known(json_t *obj, parley_error *err) {
    static const char *const known[] = {"name", "language", "role", "active"};
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool found = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++) {
            found = strcmp(key, known[i]) == 0;
        }
        if (strcmp(key, "password") == 0) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "password: set it with POST /api/v1/agents/{id}/password "
                                    "(or POST /api/v1/me/password for your own)");
        }
        if (!found) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%.60s: not a field of an agent that can be changed", key);
        }
    }
    return PARLEY_OK;
}

parley_status parley_decode_agent_changes(const char *body, size_t len, json_t **root,
                                          parley_agent_changes *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(agent_changes_known(obj, err));
    DECODE_STEP(parley_json_string(obj, "name", false, &out->name, err));
    DECODE_STEP(parley_json_string(obj, "language", false, &out->language, err));
    DECODE_STEP(parley_json_string(obj, "role", false, &out->role, err));
    json_t *active = json_object_get(obj, "active");
    out->active = -1;
    if (st == PARLEY_OK && active != NULL && !json_is_null(active)) {
        if (!json_is_boolean(active)) {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "active: must be true or false");
        } else {
            out->active = json_is_true(active) ? 1 : 0;
        }
    }
    DECODE_END();
}

parley_status parley_decode_customer(const char *body, size_t len, json_t **root,
                                     parley_customer_input *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "name", true, &out->name, err));
    DECODE_STEP(parley_json_string(obj, "email", false, &out->email, err));
    DECODE_STEP(parley_json_string(obj, "identifier", false, &out->identifier, err));
    DECODE_STEP(parley_json_string(obj, "identifier_hash", false, &out->identifier_hash, err));
    DECODE_STEP(parley_json_string(obj, "language", false, &out->language, err));
    DECODE_END();
}

parley_status parley_decode_session(const char *body, size_t len, json_t **root,
                                    parley_session_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "topic", true, &out->topic, err));
    DECODE_STEP(parley_json_string(obj, "team_id", false, &out->team_id, err));
    json_t *strategies = json_object_get(obj, "strategies");
    if (st == PARLEY_OK && strategies != NULL && !json_is_null(strategies)) {
        if (!json_is_array(strategies)) {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "strategies: must be an array");
        } else {
            out->strategies_json = json_dumps(strategies, JSON_COMPACT);
            if (out->strategies_json == NULL) {
                st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            }
        }
    }
    DECODE_END();
}

parley_status parley_decode_assign(const char *body, size_t len, json_t **root,
                                   parley_assign_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "agent_id", true, &out->agent_id, err));
    DECODE_END();
}

parley_status parley_decode_attach_bot(const char *body, size_t len, json_t **root,
                                       parley_attach_bot_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "bot_id", false, &out->bot_id, err));
    DECODE_END();
}

parley_status parley_decode_message(const char *body, size_t len, json_t **root,
                                    parley_message_input *out, parley_error *err) {
    DECODE_BEGIN();
    /* content may be left out when attachment_id is given (the service
     * decides: it knows whether there is an attachment) */
    DECODE_STEP(parley_json_string(obj, "content", false, &out->content, err));
    DECODE_STEP(parley_json_string(obj, "type", false, &out->type, err));
    DECODE_STEP(parley_json_string(obj, "client_msg_id", false, &out->client_msg_id, err));
    DECODE_STEP(parley_json_string(obj, "attachment_id", false, &out->attachment_id, err));
    DECODE_END();
}

parley_status parley_decode_ticket(const char *body, size_t len, json_t **root,
                                   parley_ticket_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
    DECODE_STEP(parley_json_string(obj, "issue_description", true, &out->issue_description, err));
    DECODE_END();
}

parley_status parley_decode_ticket_patch(const char *body, size_t len, json_t **root,
                                         parley_ticket_patch_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "status", true, &out->status, err));
    DECODE_END();
}

parley_status parley_decode_feedback(const char *body, size_t len, json_t **root,
                                     parley_feedback_body *out, parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_integer(obj, "rating", true, &out->rating, NULL, err));
    DECODE_STEP(parley_json_string(obj, "comment", false, &out->comment, err));
    DECODE_END();
}

parley_status parley_decode_label(const char *body, size_t len, json_t **root,
                                  parley_label_body *out, parley_error *err) {
    DECODE_BEGIN();
    json_t *flag = json_object_get(obj, "is_spam");
    if (!json_is_boolean(flag)) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "is_spam: required, true or false");
    } else {
        out->is_spam = json_is_true(flag);
    }
    DECODE_END();
}

parley_status parley_decode_bot(const char *body, size_t len, json_t **root, parley_bot_body *out,
                                parley_error *err) {
    DECODE_BEGIN();
    DECODE_STEP(parley_json_string(obj, "name", true, &out->name, err));
    DECODE_END();
}

parley_status parley_decode_ws_frame(const char *text, size_t len, json_t **root,
                                     parley_ws_frame *out,
                                     char client_msg_id_out[PARLEY_CLIENT_MSG_ID_COPY_SIZE],
                                     parley_error *err) {
    const char *body = text;
    client_msg_id_out[0] = '\0';
    DECODE_BEGIN();
    const char *type = NULL;
    json_t *cmid = json_object_get(obj, "client_msg_id");
    if (json_is_string(cmid)) {
        snprintf(client_msg_id_out, PARLEY_CLIENT_MSG_ID_COPY_SIZE, "%s", json_string_value(cmid));
    }
    DECODE_STEP(parley_json_string(obj, "type", true, &type, err));
    if (st == PARLEY_OK) {
        if (strcmp(type, "subscribe") == 0) {
            out->type = PARLEY_WS_SUBSCRIBE;
            DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
            DECODE_STEP(parley_json_integer(obj, "after_seq", false, &out->after_seq, NULL, err));
            if (st == PARLEY_OK && out->after_seq < 0) {
                st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                      "after_seq: must not be negative");
            }
        } else if (strcmp(type, "unsubscribe") == 0) {
            out->type = PARLEY_WS_UNSUBSCRIBE;
            DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
        } else if (strcmp(type, "message.send") == 0) {
            out->type = PARLEY_WS_MESSAGE_SEND;
            DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
            DECODE_STEP(parley_json_string(obj, "content", false, &out->message.content, err));
            DECODE_STEP(parley_json_string(obj, "message_type", false, &out->message.type, err));
            DECODE_STEP(
                parley_json_string(obj, "attachment_id", false, &out->message.attachment_id, err));
            DECODE_STEP(
                parley_json_string(obj, "client_msg_id", false, &out->message.client_msg_id, err));
        } else if (strcmp(type, "typing") == 0) {
            out->type = PARLEY_WS_TYPING;
            DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
        } else if (strcmp(type, "ping") == 0) {
            out->type = PARLEY_WS_PING;
        } else if (strcmp(type, "presence") == 0) {
            out->type = PARLEY_WS_PRESENCE;
            DECODE_STEP(parley_json_string(obj, "status", true, &out->status, err));
        } else if (strcmp(type, "read") == 0) {
            out->type = PARLEY_WS_READ;
            DECODE_STEP(parley_json_string(obj, "session_id", true, &out->session_id, err));
            DECODE_STEP(parley_json_integer(obj, "seq", true, &out->seq, NULL, err));
        } else {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "type: unknown frame type \"%.40s\"", type);
        }
    }
    DECODE_END();
}
