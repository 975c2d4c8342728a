/*
 * notify_channel_webhook.c - the webhook channel (notify_channel_webhook.h).
 */
#include "net/notify_channel_webhook.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/ids.h"
#include "core/webhooks.h"
#include "net/pinned_transfer.h"
#include "net/webhook_target.h"
#include "storage/backend.h"
#include "util/log.h"

static bool webhook_reaches(parley_participant_kind kind) {
    return kind == PARLEY_PARTICIPANT_SYSTEM;
}

bool parley_webhook_sign(const char *secret, const char *timestamp, const char *body, char *out) {
    size_t ts_len = strlen(timestamp), body_len = strlen(body);
    unsigned char *signed_text = malloc(ts_len + 1 + body_len);
    if (signed_text == NULL) {
        return false;
    }
    memcpy(signed_text, timestamp, ts_len);
    signed_text[ts_len] = '.';
    memcpy(signed_text + ts_len + 1, body, body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    bool ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), signed_text, ts_len + 1 + body_len,
                   mac, &mac_len) != NULL &&
              mac_len == 32;
    free(signed_text);
    if (ok) {
        memcpy(out, "sha256=", 7);
        for (unsigned int i = 0; i < mac_len; i++) {
            snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
        }
    }
    return ok;
}

/* ---- one POST ---------------------------------------------------------------- */

typedef struct response {
    size_t bytes; /* seen so far */
    bool cut;     /* more than PARLEY_WEBHOOK_RESPONSE_MAX: the transfer was stopped */
    char excerpt[200];
    size_t excerpt_len;
} response;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
    response *r = userdata;
    size_t n = size * nmemb;
    if (r->bytes + n > PARLEY_WEBHOOK_RESPONSE_MAX) {
        r->cut = true;
        return 0; /* stops the transfer: no receiver needs to send us more */
    }
    size_t room = sizeof r->excerpt - 1 - r->excerpt_len;
    size_t take = n < room ? n : room;
    memcpy(r->excerpt + r->excerpt_len, data, take);
    r->excerpt_len += take;
    r->excerpt[r->excerpt_len] = '\0';
    r->bytes += n;
    return n;
}

typedef struct post_result {
    long status;
    char error[256];
} post_result;

static void post(parley_webhook_channel *ch, const parley_webhook *w,
                 const parley_webhook_target *target, const parley_notification *n,
                 const parley_delivery *d, post_result *out) {
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL, *resolve = NULL;
    char line[512], timestamp[24], signature[PARLEY_WEBHOOK_SIGNATURE_SIZE];
    char curl_error[CURL_ERROR_SIZE] = "";
    response body = {0};
    out->status = 0;
    snprintf(timestamp, sizeof timestamp, "%" PRId64, parley_now_ms() / 1000);
    if (curl == NULL || !parley_webhook_sign(w->secret, timestamp, n->body, signature)) {
        snprintf(out->error, sizeof out->error, "out of memory");
        curl_easy_cleanup(curl);
        return;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "User-Agent: Parley-Webhooks/" PARLEY_VERSION);
    headers = curl_slist_append(headers, "Expect:");
    snprintf(line, sizeof line, "X-Parley-Event: %s", n->event);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "X-Parley-Delivery: %s", d->idempotency_key);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "X-Parley-Timestamp: %s", timestamp);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "X-Parley-Signature: %s", signature);
    headers = curl_slist_append(headers, line);
    parley_pinned_transfer_setup(curl, w->url, target, &ch->allow_private, (long)ch->timeout_ms,
                                 &resolve);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, n->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(n->body));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->status >= 200 && out->status < 300 && (rc == CURLE_OK || body.cut)) {
        out->error[0] = '\0';
    } else if (rc != CURLE_OK && !body.cut) {
        snprintf(out->error, sizeof out->error, "%.100s: %.150s", curl_easy_strerror(rc),
                 curl_error[0] != '\0' ? curl_error : "no detail");
    } else {
        /* the status and the start of what the receiver said */
        for (size_t i = 0; i < body.excerpt_len; i++) {
            if ((unsigned char)body.excerpt[i] < 0x20) {
                body.excerpt[i] = ' ';
            }
        }
        snprintf(out->error, sizeof out->error, "HTTP %ld%s%s", out->status,
                 body.excerpt_len > 0 ? ": " : "", body.excerpt);
    }
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
}

/* ---- the channel ------------------------------------------------------------------ */

static void record(parley_webhook_channel *ch, const parley_delivery *d, const char *webhook_id,
                   long status, const char *error, parley_time_ms started) {
    parley_webhook_attempt a = {0};
    snprintf(a.delivery_id, sizeof a.delivery_id, "%s", d->id);
    snprintf(a.webhook_id, sizeof a.webhook_id, "%s", webhook_id);
    a.attempt = d->attempts + 1;
    a.status_code = (int)status;
    a.error = error != NULL && error[0] != '\0' ? (char *)(uintptr_t)error : NULL;
    a.at = parley_now_ms();
    a.duration_ms = a.at - started;
    parley_error err = {0};
    if (ch->repo->webhooks->attempt_insert(ch->repo, &a, &err) != PARLEY_OK) {
        parley_log_warn("webhooks: recording an attempt of %s failed: %s", d->id, err.message);
    }
}

static parley_status webhook_deliver(void *ctx, const parley_notification *n,
                                     const parley_delivery *d, bool *permanent, parley_error *err) {
    parley_webhook_channel *ch = ctx;
    *permanent = false;
    if (ch->repo == NULL) {
        parley_storage_options so = {.durable = ch->durable};
        parley_status st = parley_storage_open(ch->database_url, &so, &ch->repo, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    if (ch->repo->webhooks == NULL) {
        *permanent = true;
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL,
                                "webhooks: this storage backend has none");
    }
    parley_time_ms started = parley_now_ms();
    parley_webhook w;
    parley_status st = ch->repo->webhooks->get(ch->repo, n->recipient_id, &w, err);
    if (st == PARLEY_E_NOT_FOUND) {
        *permanent = true;
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "the webhook was deleted");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    parley_webhook_target target;
    post_result result = {0};
    if (!w.active) {
        *permanent = true;
        st = parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "the webhook is inactive");
    } else if ((st = parley_webhook_target_resolve(w.url, ch->allow_private, &target, err)) !=
               PARLEY_OK) {
        /* refused now (the name resolves elsewhere than when it was
         * written) or not resolvable: a refused address stays refused */
        *permanent = st == PARLEY_E_INVALID && strstr(err->message, "cannot resolve") == NULL;
        char reason[sizeof err->message + 16];
        snprintf(reason, sizeof reason, "refused: %s", err->message);
        record(ch, d, w.id, 0, reason, started);
        st = parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "%s", reason);
    } else {
        post(ch, &w, &target, n, d, &result);
        record(ch, d, w.id, result.status, result.error, started);
        if (result.error[0] != '\0') {
            st = parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "%s", result.error);
        }
    }
    parley_webhook_free(&w);
    return st;
}

const parley_notify_channel parley_notify_channel_webhook = {
    .name = PARLEY_WEBHOOK_CHANNEL,
    .reaches = webhook_reaches,
    .deliver = webhook_deliver,
};

parley_status parley_webhook_channel_init(parley_webhook_channel *ch, const parley_config *cfg,
                                          const char *database_url, parley_error *err) {
    memset(ch, 0, sizeof *ch);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "webhooks: curl_global_init failed");
    }
    ch->durable = strcmp(cfg->durability, "full") == 0;
    ch->allow_private = cfg->webhooks_allow_private != 0;
    ch->timeout_ms = cfg->webhooks_timeout_ms;
    if ((ch->database_url = strdup(database_url)) == NULL) {
        curl_global_cleanup();
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return PARLEY_OK;
}

void parley_webhook_channel_close(parley_webhook_channel *ch) {
    if (ch->database_url == NULL) {
        return; /* never initialised */
    }
    if (ch->repo != NULL) {
        ch->repo->ops->close(ch->repo);
        ch->repo = NULL;
    }
    free(ch->database_url);
    ch->database_url = NULL;
    curl_global_cleanup();
}
