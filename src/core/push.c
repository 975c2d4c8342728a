/*
 * push.c - web push subscriptions, the recipients' side (push.h).
 */
#include "core/push.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"

static parley_status invalid(parley_error *err, const char *message) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s", message);
}

/* base64url (padding allowed) decoding to exactly want bytes. */
static bool key_bytes(const char *text, uint8_t *out, size_t want) {
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '=') {
        len--;
    }
    size_t got = 0;
    return sodium_base642bin(out, want, text, len, NULL, &got, NULL,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
           got == want;
}

static bool endpoint_syntax_ok(const char *url) {
    size_t len = strlen(url);
    if (len == 0 || len > PARLEY_PUSH_ENDPOINT_MAX ||
        (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        return false;
    }
    for (const char *p = url; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\') {
            return false;
        }
    }
    return true;
}

parley_status parley_push_subscribe(parley_chat_service *svc, const parley_participant *caller,
                                    const json_t *in, parley_push_subscription_check check,
                                    void *check_ctx, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    if (st != PARLEY_OK) {
        return st;
    }
    const char *endpoint = json_string_value(json_object_get(in, "endpoint"));
    const json_t *keys = json_object_get(in, "keys");
    const char *p256dh = json_string_value(json_object_get(keys, "p256dh"));
    const char *auth = json_string_value(json_object_get(keys, "auth"));
    uint8_t key[65], secret[16];
    if (endpoint == NULL || !endpoint_syntax_ok(endpoint)) {
        return invalid(err, "endpoint: an http(s) URL of at most 1024 printable characters");
    }
    if (p256dh == NULL || !key_bytes(p256dh, key, sizeof key) || key[0] != 0x04) {
        return invalid(err, "keys.p256dh: an uncompressed P-256 point, base64url (65 bytes)");
    }
    if (auth == NULL || !key_bytes(auth, secret, sizeof secret)) {
        return invalid(err, "keys.auth: 16 bytes, base64url");
    }
    if (check != NULL && (st = check(check_ctx, endpoint, key, err)) != PARLEY_OK) {
        return st;
    }
    parley_participant_kind kind = parley_participant_kind_of(caller);
    parley_push_subscription existing;
    bool known = false;
    st = svc->repo->push->get_by_endpoint(svc->repo, endpoint, &existing, err);
    if (st == PARLEY_OK) {
        known = existing.recipient_kind == kind && strcmp(existing.recipient_id, caller->id) == 0;
        parley_push_subscription_free(&existing);
    } else if (st == PARLEY_E_NOT_FOUND) {
        st = PARLEY_OK;
    }
    int64_t count = 0;
    if (st == PARLEY_OK && !known &&
        (st = svc->repo->push->count(svc->repo, kind, caller->id, &count, err)) == PARLEY_OK &&
        count >= PARLEY_PUSH_SUBSCRIPTIONS_MAX) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "limit_reached",
                              "at most %d push subscriptions; remove one first",
                              PARLEY_PUSH_SUBSCRIPTIONS_MAX);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    parley_push_subscription s = {
        .recipient_kind = kind,
        .endpoint = (char *)(uintptr_t)endpoint,
        .p256dh = (char *)(uintptr_t)p256dh,
        .auth = (char *)(uintptr_t)auth,
        .created_at = parley_now_ms(),
    };
    parley_id_new("psb", s.id);
    snprintf(s.recipient_id, sizeof s.recipient_id, "%s", caller->id);
    if ((st = svc->repo->push->upsert(svc->repo, &s, err)) != PARLEY_OK) {
        return st;
    }
    /* the stored id (an endpoint seen before keeps its row's) */
    st = svc->repo->push->get_by_endpoint(svc->repo, endpoint, &existing, err);
    if (st != PARLEY_OK) {
        return st;
    }
    *out = json_pack("{s:s, s:s, s:o}", "id", existing.id, "endpoint", existing.endpoint,
                     "created_at", parley_time_to_json(existing.created_at));
    parley_push_subscription_free(&existing);
    return *out != NULL ? PARLEY_OK
                        : parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "out of memory");
}

parley_status parley_push_unsubscribe(parley_chat_service *svc, const parley_participant *caller,
                                      const json_t *in, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    if (st != PARLEY_OK) {
        return st;
    }
    const char *endpoint = json_string_value(json_object_get(in, "endpoint"));
    if (endpoint == NULL || !endpoint_syntax_ok(endpoint)) {
        return invalid(err, "endpoint: the subscription's http(s) URL");
    }
    st = svc->repo->push->remove(svc->repo, parley_participant_kind_of(caller), caller->id,
                                 endpoint, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "no push subscription of yours at that endpoint");
    }
    return st;
}
