/*
 * json_request.h - decodes request bodies and WebSocket frames (JSON, via
 * jansson) into the core's input structs, checking JSON types only; the
 * services check values.
 *
 * Ownership: each decoder parses into *root, which the caller must
 * json_decref(); the decoded struct's strings point into *root and live as
 * long as it does. Threads: any.
 * Errors: not JSON -> invalid_json; JSON of the wrong shape or type ->
 * validation_failed naming the field.
 */
#ifndef PARLEY_JSON_REQUEST_H
#define PARLEY_JSON_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/account_service.h"
#include "core/chat_service.h"

/* Parses body as a JSON object. */
parley_status parley_json_parse_object(const char *body, size_t len, json_t **root,
                                       parley_error *err);

/* Optional/required typed fields; a present JSON null counts as absent. */
parley_status parley_json_string(json_t *obj, const char *name, bool required, const char **out,
                                 parley_error *err);
parley_status parley_json_integer(json_t *obj, const char *name, bool required, int64_t *out,
                                  bool *present, parley_error *err);

/* One field of a body decoded by table: its JSON name, whether it must be
 * present, and where it goes in the output struct (a const char * for a
 * string, an int64_t for an integer; strings point into the root). */
typedef enum parley_json_kind { PARLEY_JSON_STRING = 0, PARLEY_JSON_INTEGER } parley_json_kind;
typedef struct parley_json_field {
    const char *name;
    bool required;
    size_t offset;
    parley_json_kind kind;
} parley_json_field;
#define PARLEY_JSON_TEXT(type, member, name, required)                                             \
    { name, required, offsetof(type, member), PARLEY_JSON_STRING }
#define PARLEY_JSON_INT(type, member, name, required)                                              \
    { name, required, offsetof(type, member), PARLEY_JSON_INTEGER }
/* a table and its length, as the two arguments the functions below take */
#define PARLEY_JSON_FIELDS(table) (table), sizeof(table) / sizeof((table)[0])

/* Reads count fields of obj into out in order, stopping at the first error;
 * a change (PATCH) reads every field as optional. */
parley_status parley_json_fields(json_t *obj, const parley_json_field *fields, size_t count,
                                 bool change, void *out, parley_error *err);
/* parley_json_parse_object, then parley_json_fields; on error *root is
 * released and NULL. An absent string is NULL; an absent integer keeps the
 * value out had. */
parley_status parley_json_decode(const char *body, size_t len, json_t **root,
                                 const parley_json_field *fields, size_t count, bool change,
                                 void *out, parley_error *err);

typedef struct parley_login_body {
    const char *email;
    const char *password;
} parley_login_body;

/* POST /me/password and POST /agents/{id}/password */
typedef struct parley_password_body {
    const char *current_password; /* the change only */
    const char *new_password;     /* "new_password" (change) or "password" (reset) */
} parley_password_body;

typedef struct parley_session_body {
    const char *topic;
    char *strategies_json; /* heap (re-serialised) or NULL; caller frees */
    const char *team_id;   /* NULL = routed by topic */
} parley_session_body;

typedef struct parley_assign_body {
    const char *agent_id;
} parley_assign_body;

typedef struct parley_attach_bot_body {
    const char *bot_id; /* NULL (absent or null) detaches */
} parley_attach_bot_body;

typedef struct parley_ticket_body {
    const char *session_id;
    const char *issue_description;
} parley_ticket_body;

typedef struct parley_ticket_patch_body {
    const char *status;
} parley_ticket_patch_body;

typedef struct parley_feedback_body {
    int64_t rating;
    const char *comment;
} parley_feedback_body;

typedef struct parley_label_body {
    bool is_spam;
} parley_label_body;

parley_status parley_decode_label(const char *body, size_t len, json_t **root,
                                  parley_label_body *out, parley_error *err);

typedef struct parley_bot_body {
    const char *name;
} parley_bot_body;

parley_status parley_decode_login(const char *body, size_t len, json_t **root,
                                  parley_login_body *out, parley_error *err);
parley_status parley_decode_agent(const char *body, size_t len, json_t **root,
                                  parley_agent_input *out, parley_error *err);
parley_status parley_decode_password_change(const char *body, size_t len, json_t **root,
                                            parley_password_body *out, parley_error *err);
parley_status parley_decode_password_reset(const char *body, size_t len, json_t **root,
                                           parley_password_body *out, parley_error *err);
/* PATCH /agents/{id}: every field optional; active must be a boolean; any
 * other field is refused (a password names the endpoint that sets it) */
parley_status parley_decode_agent_changes(const char *body, size_t len, json_t **root,
                                          parley_agent_changes *out, parley_error *err);
parley_status parley_decode_customer(const char *body, size_t len, json_t **root,
                                     parley_customer_input *out, parley_error *err);
parley_status parley_decode_session(const char *body, size_t len, json_t **root,
                                    parley_session_body *out, parley_error *err);
parley_status parley_decode_assign(const char *body, size_t len, json_t **root,
                                   parley_assign_body *out, parley_error *err);
parley_status parley_decode_attach_bot(const char *body, size_t len, json_t **root,
                                       parley_attach_bot_body *out, parley_error *err);
parley_status parley_decode_message(const char *body, size_t len, json_t **root,
                                    parley_message_input *out, parley_error *err);
parley_status parley_decode_ticket(const char *body, size_t len, json_t **root,
                                   parley_ticket_body *out, parley_error *err);
parley_status parley_decode_ticket_patch(const char *body, size_t len, json_t **root,
                                         parley_ticket_patch_body *out, parley_error *err);
parley_status parley_decode_feedback(const char *body, size_t len, json_t **root,
                                     parley_feedback_body *out, parley_error *err);
parley_status parley_decode_bot(const char *body, size_t len, json_t **root, parley_bot_body *out,
                                parley_error *err);

/* A client WebSocket frame. */
typedef enum parley_ws_frame_type {
    PARLEY_WS_SUBSCRIBE = 0,
    PARLEY_WS_UNSUBSCRIBE,
    PARLEY_WS_MESSAGE_SEND,
    PARLEY_WS_TYPING,
    PARLEY_WS_PING,
    PARLEY_WS_PRESENCE, /* an agent sets its presence: {type:"presence", status} */
    PARLEY_WS_READ      /* a read receipt: session_id, seq */
} parley_ws_frame_type;

typedef struct parley_ws_frame {
    parley_ws_frame_type type;
    const char *session_id;
    int64_t after_seq;
    parley_message_input message; /* message.send */
    const char *status;           /* presence */
    int64_t seq;                  /* read */
} parley_ws_frame;

/* Decodes a frame. The frame's client_msg_id (when it is a string) is
 * copied to client_msg_id_out even on error, so the error reply can echo it. */
#define PARLEY_CLIENT_MSG_ID_COPY_SIZE 513 /* 128 characters of up to 4 bytes */
parley_status parley_decode_ws_frame(const char *text, size_t len, json_t **root,
                                     parley_ws_frame *out,
                                     char client_msg_id_out[PARLEY_CLIENT_MSG_ID_COPY_SIZE],
                                     parley_error *err);

#endif
