/*
 * fuzz_json_request.c - every request-body decoder of net/http/json_request.c and
 * the WebSocket frame decoder on the same bytes, and the strategy chain
 * builder (core/strategy.c) on the bytes as a string with an empty registry.
 *
 * Invariants checked (trap on violation):
 *  - every decoder agrees with parley_json_parse_object on whether the body
 *    is a JSON object: when that fails, each decoder fails with the same
 *    code; when it succeeds, none says invalid_json;
 *  - on success *root is an object and every required field is a string
 *    (valid UTF-8, no NUL); on failure *root is NULL and err names
 *    invalid_json or validation_failed;
 *  - every error reaches the client as a 400 / an error frame
 *    (check_error_reaches_client in fuzz_checks.h);
 *  - the session body's strategies_json is a JSON array text, and building a
 *    chain from it with no strategies registered fails unless it is empty;
 *  - chain_build on the raw input leaves *head NULL (nothing is registered,
 *    so the only success is an empty list) and fails with validation_failed.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strategy.h"
#include "fuzz_checks.h"
#include "net/http/json_request.h"

typedef struct decode_outcome {
    parley_status object_status; /* of parley_json_parse_object */
    char object_code[PARLEY_ERROR_CODE_SIZE];
} decode_outcome;

/* Common checks after one decoder ran; releases root. */
static void check_decoded(const decode_outcome *ref, parley_status st, json_t *root,
                          const parley_error *err) {
    if (st == PARLEY_OK) {
        CHECK(ref->object_status == PARLEY_OK);
        CHECK(json_is_object(root));
        json_decref(root);
        return;
    }
    CHECK(root == NULL);
    CHECK(err->status == st);
    if (st == PARLEY_E_NOMEM) {
        return;
    }
    CHECK(st == PARLEY_E_INVALID);
    CHECK(is_json_error_code(err));
    if (ref->object_status != PARLEY_OK) {
        CHECK(strcmp(err->code, ref->object_code) == 0);
    } else {
        CHECK(strcmp(err->code, "invalid_json") != 0);
    }
    check_error_reaches_client(err);
}

static void check_empty_registry_chain(const char *strategies_json, bool expect_ok) {
    parley_strategy_registry registry = {0};
    parley_strategy *head = (parley_strategy *)(uintptr_t)1; /* must be overwritten */
    parley_error err = {0};
    parley_status st = parley_strategy_chain_build(&registry, strategies_json, &head, &err);
    CHECK(head == NULL);
    if (st == PARLEY_OK) {
        CHECK(expect_ok);
    } else {
        CHECK(!expect_ok);
        CHECK(st == PARLEY_E_INVALID && strcmp(err.code, "validation_failed") == 0);
        check_error_reaches_client(&err);
    }
    parley_strategy_chain_free(head);
}

/* json_loads(text, 0) is an empty array: the one success with no strategies. */
static bool is_empty_array_text(const char *text) {
    json_error_t json_err;
    json_t *v = json_loads(text, 0, &json_err);
    bool empty = json_is_array(v) && json_array_size(v) == 0;
    json_decref(v);
    return empty;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    parley_error err;
    json_t *root;
    decode_outcome ref = {0};

    memset(&err, 0, sizeof err);
    ref.object_status = parley_json_parse_object(body, size, &root, &err);
    if (ref.object_status == PARLEY_OK) {
        CHECK(json_is_object(root));
        json_decref(root);
    } else {
        CHECK(root == NULL);
        memcpy(ref.object_code, err.code, sizeof ref.object_code);
    }

#define RUN_DECODER(fn, type, required_checks)                                                     \
    do {                                                                                           \
        type out;                                                                                  \
        memset(&out, 0x5A, sizeof out);                                                            \
        memset(&err, 0, sizeof err);                                                               \
        root = (json_t *)(uintptr_t)1;                                                             \
        parley_status st_ = fn(body, size, &root, &out, &err);                                     \
        if (st_ == PARLEY_OK) {                                                                    \
            required_checks;                                                                       \
        }                                                                                          \
        check_decoded(&ref, st_, root, &err);                                                      \
    } while (0)

#define REQUIRED(field)                                                                            \
    do {                                                                                           \
        CHECK((field) != NULL);                                                                    \
        check_json_text(field);                                                                    \
    } while (0)

    RUN_DECODER(parley_decode_login, parley_login_body, {
        REQUIRED(out.email);
        REQUIRED(out.password);
    });
    RUN_DECODER(parley_decode_agent, parley_agent_input, {
        REQUIRED(out.name);
        REQUIRED(out.email);
        REQUIRED(out.password);
        check_json_text(out.role);
        check_json_text(out.language);
    });
    RUN_DECODER(parley_decode_customer, parley_customer_input, {
        REQUIRED(out.name);
        check_json_text(out.email);
        check_json_text(out.identifier);
        check_json_text(out.identifier_hash);
        check_json_text(out.language);
    });
    RUN_DECODER(parley_decode_assign, parley_assign_body, { REQUIRED(out.agent_id); });
    RUN_DECODER(parley_decode_message, parley_message_input, {
        /* content may be absent when an attachment stands for it */
        check_json_text(out.content);
        check_json_text(out.type);
        check_json_text(out.client_msg_id);
        check_json_text(out.attachment_id);
    });
    RUN_DECODER(parley_decode_ticket, parley_ticket_body, {
        REQUIRED(out.session_id);
        REQUIRED(out.issue_description);
    });
    RUN_DECODER(parley_decode_ticket_patch, parley_ticket_patch_body, { REQUIRED(out.status); });
    RUN_DECODER(parley_decode_feedback, parley_feedback_body, { check_json_text(out.comment); });
    RUN_DECODER(parley_decode_bot, parley_bot_body, { REQUIRED(out.name); });

    /* the session body: strategies_json is heap and must be freed even
     * though root is released by check_decoded */
    {
        parley_session_body out;
        memset(&out, 0x5A, sizeof out);
        memset(&err, 0, sizeof err);
        root = (json_t *)(uintptr_t)1;
        parley_status st = parley_decode_session(body, size, &root, &out, &err);
        char *strategies = NULL;
        if (st == PARLEY_OK) {
            REQUIRED(out.topic);
            strategies = out.strategies_json;
            if (strategies != NULL) {
                json_error_t json_err;
                json_t *list = json_loads(strategies, 0, &json_err);
                CHECK(json_is_array(list));
                bool empty = json_array_size(list) == 0;
                json_decref(list);
                check_empty_registry_chain(strategies, empty);
            }
        }
        check_decoded(&ref, st, root, &err);
        free(strategies);
    }

    /* the WebSocket frame decoder */
    {
        parley_ws_frame frame;
        char client_msg_id[PARLEY_CLIENT_MSG_ID_COPY_SIZE];
        memset(&frame, 0x5A, sizeof frame);
        memset(client_msg_id, 0x5A, sizeof client_msg_id);
        memset(&err, 0, sizeof err);
        root = (json_t *)(uintptr_t)1;
        parley_status st = parley_decode_ws_frame(body, size, &root, &frame, client_msg_id, &err);
        check_ws_frame(st, root, &frame, client_msg_id, &err);
        if (st == PARLEY_OK) {
            CHECK(ref.object_status == PARLEY_OK);
        } else if (st == PARLEY_E_INVALID && ref.object_status != PARLEY_OK) {
            CHECK(strcmp(err.code, ref.object_code) == 0);
        }
        json_decref(root);
    }

    /* the strategy chain builder on the input as a C string (stops at the
     * first NUL, as a string from the config or the database would) */
    char *text = malloc(size + 1);
    if (text != NULL) {
        memcpy(text, data, size);
        text[size] = '\0';
        check_empty_registry_chain(text, is_empty_array_text(text));
        free(text);
    }
    return 0;
}
