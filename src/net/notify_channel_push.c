/*
 * notify_channel_push.c - the web push channel (notify_channel_push.h).
 */
#include "net/notify_channel_push.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/push.h"
#include "net/pinned_transfer.h"
#include "net/webhook_target.h"
#include "storage/backend.h"
#include "util/log.h"

static bool push_reaches(parley_participant_kind kind) {
    return kind == PARLEY_PARTICIPANT_AGENT || kind == PARLEY_PARTICIPANT_CUSTOMER;
}

/* A recipient without a subscribed browser gets no delivery on it. */
static bool push_reaches_recipient(parley_repository *repo, parley_participant_kind kind,
                                   const char *id) {
    int64_t count = 0;
    parley_error err = {0};
    return repo->push->count(repo, kind, id, &count, &err) == PARLEY_OK && count > 0;
}

/* A password reset goes by e-mail only. */
static bool push_default_on(const char *event) {
    return strcmp(event, "password.reset") != 0;
}

/* ---- the payload --------------------------------------------------------------- */

/* The length of the longest prefix of s of at most max bytes that does not
 * split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max) {
    size_t len = strlen(s);
    if (len <= max) {
        return len;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80) {
        max--;
    }
    return max;
}

char *parley_push_payload(const parley_notification *n, size_t body_max) {
    const char *body = n->body != NULL ? n->body : "";
    char url[128];
    if (n->recipient_kind == PARLEY_PARTICIPANT_CUSTOMER) {
        snprintf(url, sizeof url, "/demo");
    } else if (n->session_id[0] != '\0') {
        snprintf(url, sizeof url, "/console#session=%s", n->session_id);
    } else {
        snprintf(url, sizeof url, "/console");
    }
    json_t *j = json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s}", "notification_id", n->id, "title",
                          n->title != NULL ? n->title : "", "body", body, utf8_cut(body, body_max),
                          "event", n->event, "session_id", n->session_id, "url", url);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* ---- one POST ------------------------------------------------------------------- */

static size_t discard(char *data, size_t size, size_t nmemb, void *userdata) {
    (void)data;
    size_t *seen = userdata;
    *seen += size * nmemb;
    return *seen > 64 * 1024 ? 0 : size * nmemb;
}

typedef enum outcome { SENT, GONE, RETRY, DEAD } outcome;

/* What one message says besides its body: its Urgency, and its Topic (the
 * notification's id: at most 32 base64url characters, RFC 8030 5.4). */
typedef struct message_headers {
    const char *urgency;
    const char *topic;
} message_headers;

static outcome post(parley_push_channel *ch, const char *endpoint,
                    const parley_webhook_target *target, const char *jwt, const uint8_t *body,
                    size_t body_len, const message_headers *mh, char *error, size_t error_size) {
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(error, error_size, "out of memory");
        return RETRY;
    }
    struct curl_slist *headers = NULL, *resolve = NULL;
    char line[1024], curl_error[CURL_ERROR_SIZE] = "";
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    headers = curl_slist_append(headers, "Content-Encoding: aes128gcm");
    headers = curl_slist_append(headers, "Expect:");
    snprintf(line, sizeof line, "TTL: %" PRId64, ch->ttl_s);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "Urgency: %s", mh->urgency);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "Topic: %s", mh->topic);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "Authorization: vapid t=%s, k=%s", jwt, ch->vapid_public_b64);
    headers = curl_slist_append(headers, line);
    size_t seen = 0;
    parley_pinned_transfer_setup(curl, endpoint, target, &ch->allow_private, (long)ch->timeout_ms,
                                 &resolve);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &seen);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
    if (status >= 200 && status < 300) {
        return SENT;
    }
    if (status == 0 || rc != CURLE_OK) {
        snprintf(error, error_size, "%.100s: %.150s", curl_easy_strerror(rc),
                 curl_error[0] != '\0' ? curl_error : "no detail");
        return RETRY;
    }
    snprintf(error, error_size, "push service: HTTP %ld", status);
    if (status == 404 || status == 410) {
        return GONE;
    }
    return status == 429 || status >= 500 ? RETRY : DEAD;
}

/* One subscription: its keys, its target, its JWT, the POST. */
static outcome send_one(parley_push_channel *ch, const parley_push_subscription *s,
                        const uint8_t *plain, size_t plain_len, const message_headers *mh,
                        char *error, size_t error_size) {
    parley_error err = {0};
    uint8_t *p256dh = NULL, *auth = NULL, *body = NULL;
    size_t p256dh_len = 0, auth_len = 0, body_len = 0;
    char origin[PARLEY_PUSH_ENDPOINT_MAX + 1];
    char *jwt = NULL;
    parley_webhook_target target;
    outcome out = DEAD;
    if (parley_b64url_decode(s->p256dh, &p256dh, &p256dh_len, &err) != PARLEY_OK ||
        parley_b64url_decode(s->auth, &auth, &auth_len, &err) != PARLEY_OK ||
        p256dh_len != PARLEY_WEBPUSH_PUBLIC_KEY_LEN || auth_len != PARLEY_WEBPUSH_AUTH_LEN) {
        snprintf(error, error_size, "the subscription's keys are not usable");
    } else if (parley_webpush_origin(s->endpoint, origin, sizeof origin, &err) != PARLEY_OK) {
        snprintf(error, error_size, "%s", err.message);
    } else if (parley_webhook_target_resolve(s->endpoint, ch->allow_private, &target, &err) !=
               PARLEY_OK) {
        snprintf(error, error_size, "refused: %s", err.message);
        out = strstr(err.message, "cannot resolve") != NULL ? RETRY : DEAD;
    } else if (parley_webpush_encrypt(p256dh, auth, plain, plain_len, &body, &body_len, &err) !=
               PARLEY_OK) {
        snprintf(error, error_size, "%s", err.message);
    } else if (body_len > PARLEY_PUSH_BODY_MAX) {
        snprintf(error, error_size,
                 "payload too large: %zu bytes encrypted, a push service takes at most %d",
                 body_len, PARLEY_PUSH_BODY_MAX);
    } else if (parley_vapid_jwt(ch->vapid_private, origin, ch->subject,
                                parley_now_ms() / 1000 + PARLEY_VAPID_TTL_S, &jwt,
                                &err) != PARLEY_OK) {
        snprintf(error, error_size, "%s", err.message);
    } else {
        out = post(ch, s->endpoint, &target, jwt, body, body_len, mh, error, error_size);
    }
    free(jwt);
    free(body);
    free(p256dh);
    free(auth);
    return out;
}

static const char *urgency_of(const char *event) {
    static const char *const high[] = {"session.waiting", "message.away", "reply.offline",
                                       "session.assigned"};
    for (size_t i = 0; i < sizeof high / sizeof high[0]; i++) {
        if (strcmp(event, high[i]) == 0) {
            return "high";
        }
    }
    return "normal";
}

static parley_status push_deliver(void *ctx, const parley_notification *n, const parley_delivery *d,
                                  bool *permanent, parley_error *err) {
    parley_push_channel *ch = ctx;
    *permanent = false;
    if (ch->repo == NULL) {
        parley_storage_options so = {.durable = ch->durable};
        parley_status st = parley_storage_open(ch->database_url, &so, &ch->repo, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    parley_push_subscription_list subs;
    parley_status st =
        ch->repo->push->list(ch->repo, n->recipient_kind, n->recipient_id, &subs, err);
    if (st != PARLEY_OK) {
        return st;
    }
    /* the body text is cut so the payload fits a push service's 4096 bytes
     * (86 of header, 16 of tag, 1 of padding delimiter); a payload still
     * too large (a very long title) is refused before sending */
    char *payload = parley_push_payload(n, 1024);
    if (payload == NULL) {
        parley_push_subscription_list_free(&subs);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    size_t sent = 0, retry = 0, gone = 0;
    char error[300] = "", last_error[300] = "no push subscription";
    const message_headers mh = {.urgency = urgency_of(n->event), .topic = n->id};
    for (size_t i = 0; i < subs.count; i++) {
        const char *sub_id = subs.items[i].id;
        if (parley_push_progress_taken(&ch->progress, d->id, sub_id)) {
            sent++; /* an earlier attempt of this delivery reached it */
            continue;
        }
        outcome o = send_one(ch, &subs.items[i], (const uint8_t *)payload, strlen(payload), &mh,
                             error, sizeof error);
        if (o == SENT) {
            sent++;
            (void)parley_push_progress_note(&ch->progress, d->id, sub_id);
            continue;
        }
        snprintf(last_error, sizeof last_error, "%s", error);
        if (o == RETRY) {
            retry++;
        } else if (o == GONE) {
            gone++;
            parley_error rm = {0};
            if (ch->repo->push->remove_id(ch->repo, subs.items[i].id, &rm) == PARLEY_OK) {
                parley_log_info("web push: subscription %s removed (%s)", subs.items[i].id, error);
            }
        }
    }
    free(payload);
    parley_push_subscription_list_free(&subs);
    if (retry > 0) {
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "%s", last_error);
    }
    /* sent or dead: the worker does not come back to it */
    parley_push_progress_forget(&ch->progress, d->id);
    if (sent > 0) {
        return PARLEY_OK;
    }
    *permanent = true;
    return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "%s%s", last_error,
                            gone > 0 ? " (subscription removed)" : "");
}

const parley_notify_channel parley_notify_channel_push = {
    .name = PARLEY_PUSH_CHANNEL,
    .reaches = push_reaches,
    .deliver = push_deliver,
    .reaches_recipient = push_reaches_recipient,
    .default_on = push_default_on,
};

/* ---- the VAPID key --------------------------------------------------------------- */

static parley_status load_or_make_key(parley_push_channel *ch, const char *data_dir,
                                      parley_error *err) {
    char path[1024], text[64] = "";
    snprintf(path, sizeof path, "%s/vapid.key", data_dir);
    mkdir(data_dir, 0700);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    parley_status st = PARLEY_OK;
    if (fd >= 0) {
        ssize_t got = read(fd, text, sizeof text - 1);
        close(fd);
        text[got > 0 ? got : 0] = '\0';
        text[strcspn(text, "\r\n")] = '\0';
        uint8_t *priv = NULL;
        size_t len = 0;
        if (parley_b64url_decode(text, &priv, &len, err) != PARLEY_OK ||
            len != PARLEY_WEBPUSH_PRIVATE_KEY_LEN) {
            st = PARLEY_E_INVALID;
        } else {
            memcpy(ch->vapid_private, priv, len);
            OPENSSL_cleanse(priv, len);
            st = parley_webpush_public_key(ch->vapid_private, ch->vapid_public, err);
        }
        free(priv);
    } else if (errno == ENOENT) {
        st = parley_webpush_generate_key(ch->vapid_private, ch->vapid_public, err);
        char *b64 = st == PARLEY_OK
                        ? parley_b64url_encode(ch->vapid_private, PARLEY_WEBPUSH_PRIVATE_KEY_LEN)
                        : NULL;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (b64 == NULL || fd < 0 || write(fd, b64, strlen(b64)) != (ssize_t)strlen(b64) ||
            fsync(fd) != 0) {
            st = PARLEY_E_INVALID;
        }
        if (fd >= 0) {
            close(fd);
        }
        if (b64 != NULL) {
            OPENSSL_cleanse(b64, strlen(b64));
            free(b64);
        }
        if (st == PARLEY_OK) {
            parley_log_info("web push: a new VAPID key pair, kept in %s", path);
        }
    } else {
        st = PARLEY_E_INVALID;
    }
    OPENSSL_cleanse(text, sizeof text);
    if (st != PARLEY_OK) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "%s: cannot read or write the VAPID key (a base64url P-256 "
                                "private key)",
                                path);
    }
    char *pub = parley_b64url_encode(ch->vapid_public, PARLEY_WEBPUSH_PUBLIC_KEY_LEN);
    if (pub == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    snprintf(ch->vapid_public_b64, sizeof ch->vapid_public_b64, "%s", pub);
    free(pub);
    return PARLEY_OK;
}

parley_status parley_push_channel_init(parley_push_channel *ch, const parley_config *cfg,
                                       const char *database_url, parley_error *err) {
    memset(ch, 0, sizeof *ch);
    parley_status st = load_or_make_key(ch, cfg->data_dir, err);
    if (st != PARLEY_OK) {
        return st;
    }
    char subject[300];
    if (cfg->push_subject != NULL && cfg->push_subject[0] != '\0') {
        snprintf(subject, sizeof subject, "%s", cfg->push_subject);
    } else {
        snprintf(subject, sizeof subject, "mailto:%s", cfg->smtp_from);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "web push: curl_global_init failed");
    }
    ch->durable = strcmp(cfg->durability, "full") == 0;
    ch->allow_private = cfg->push_allow_private != 0;
    ch->timeout_ms = cfg->push_timeout_ms;
    ch->ttl_s = cfg->push_ttl_s;
    ch->subject = strdup(subject);
    ch->database_url = strdup(database_url);
    if (ch->subject == NULL || ch->database_url == NULL) {
        free(ch->subject);
        free(ch->database_url);
        ch->database_url = NULL;
        curl_global_cleanup();
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    return PARLEY_OK;
}

void parley_push_channel_close(parley_push_channel *ch) {
    if (ch->database_url == NULL) {
        return; /* never initialised */
    }
    if (ch->repo != NULL) {
        ch->repo->ops->close(ch->repo);
        ch->repo = NULL;
    }
    parley_push_progress_clear(&ch->progress);
    OPENSSL_cleanse(ch->vapid_private, sizeof ch->vapid_private);
    free(ch->subject);
    free(ch->database_url);
    ch->subject = NULL;
    ch->database_url = NULL;
    curl_global_cleanup();
}
