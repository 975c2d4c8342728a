/*
 * notify_channel_email.c - the email channel (notify_channel_email.h):
 * the recipient's address, the templates, the message, one SMTP transfer
 * with libcurl.
 */
#include "net/notify_channel_email.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/email_message.h"
#include "core/ids.h"
#include "core/notifications.h"
#include "core/repository.h"
#include "core/resume_link.h"
#include "storage/backend.h"
#include "util/log.h"

#define TEMPLATE_MAX_BYTES (256 * 1024)

const char parley_email_default_text[] = "Hello {{name}},\n"
                                         "\n"
                                         "{{title}}\n"
                                         "\n"
                                         "{{body}}\n"
                                         "\n"
                                         "Open it: {{link}}\n"
                                         "\n"
                                         "-- \n"
                                         "Sent by Parley. You get this e-mail because of your "
                                         "notification preferences or your conversation with "
                                         "us.\n";

const char parley_email_default_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>{{title}}</title></head>\n"
    "<body style=\"font-family: sans-serif; line-height: 1.5\">\n"
    "<p>Hello {{name}},</p>\n"
    "<h1 style=\"font-size: 1.2em\">{{title}}</h1>\n"
    "<blockquote style=\"white-space: pre-wrap\">{{body}}</blockquote>\n"
    "<p><a href=\"{{link}}\">Open it</a></p>\n"
    "<p style=\"color: #666; font-size: 0.9em\">Sent by Parley. You get this e-mail because of "
    "your notification preferences or your conversation with us.</p>\n"
    "</body></html>\n";

/* ---- the templates ------------------------------------------------------------- */

/* dir/name's text, else a copy of fallback; NULL out of memory or unreadable */
static char *load_template(const char *dir, const char *name, const char *fallback,
                           parley_error *err) {
    if (dir == NULL || dir[0] == '\0') {
        return strdup(fallback);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return strdup(fallback);
    }
    char *text = malloc(TEMPLATE_MAX_BYTES + 1);
    size_t n = text != NULL ? fread(text, 1, TEMPLATE_MAX_BYTES + 1, f) : 0;
    bool bad = ferror(f) != 0 || n > TEMPLATE_MAX_BYTES || memchr(text, '\0', n) != NULL;
    fclose(f);
    if (text == NULL || bad) {
        free(text);
        parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                         "--email-templates-dir: %s is unreadable, over 256 KiB or binary", path);
        return NULL;
    }
    text[n] = '\0';
    parley_log_info("notifications: e-mail template %s", path);
    return text;
}

parley_status parley_email_init(parley_email *email, const parley_config *config,
                                const char *database_url, const char *public_url,
                                parley_error *err) {
    memset(email, 0, sizeof *email);
    email->config = config;
    snprintf(email->database_url, sizeof email->database_url, "%s", database_url);
    email->durable = strcmp(config->durability, "full") == 0;
    snprintf(email->public_url, sizeof email->public_url, "%s", public_url);
    size_t len = strlen(email->public_url);
    while (len > 0 && email->public_url[len - 1] == '/') {
        email->public_url[--len] = '\0';
    }
    email->text_template = load_template(config->email_templates_dir, "notification.txt",
                                         parley_email_default_text, err);
    email->html_template = email->text_template == NULL
                               ? NULL
                               : load_template(config->email_templates_dir, "notification.html",
                                               parley_email_default_html, err);
    if (email->text_template == NULL || email->html_template == NULL) {
        parley_email_close(email);
        return err->status != PARLEY_OK
                   ? err->status
                   : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        parley_email_close(email);
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "e-mail: curl_global_init failed");
    }
    email->curl_ready = true;
    return PARLEY_OK;
}

void parley_email_close(parley_email *email) {
    if (email->repo != NULL) {
        email->repo->ops->close(email->repo);
        email->repo = NULL;
    }
    free(email->text_template);
    free(email->html_template);
    email->text_template = email->html_template = NULL;
    if (email->curl_ready) {
        curl_global_cleanup();
        email->curl_ready = false;
    }
}

/* ---- who and where ------------------------------------------------------------- */

static bool email_reaches(parley_participant_kind kind) {
    return kind == PARLEY_PARTICIPANT_AGENT || kind == PARLEY_PARTICIPANT_CUSTOMER;
}

/* the recipient's address and name (*address NULL: none) */
static parley_status recipient(parley_repository *repo, parley_participant_kind kind,
                               const char *id, char **address, char **name, parley_error *err) {
    *address = *name = NULL;
    parley_status st;
    if (kind == PARLEY_PARTICIPANT_AGENT) {
        parley_agent a = {0};
        st = repo->accounts->agent_get(repo, id, &a, err);
        if (st == PARLEY_OK && a.active) {
            *address = a.email;
            *name = a.name;
            a.email = a.name = NULL;
        }
        parley_agent_free(&a);
    } else if (kind == PARLEY_PARTICIPANT_CUSTOMER) {
        parley_customer c = {0};
        st = repo->accounts->customer_get(repo, id, &c, err);
        if (st == PARLEY_OK && c.email != NULL && c.email[0] != '\0') {
            *address = c.email;
            *name = c.name;
            c.email = c.name = NULL;
        }
        parley_customer_free(&c);
    } else {
        st = PARLEY_OK;
    }
    return st;
}

static bool email_reaches_recipient(parley_repository *repo, parley_participant_kind kind,
                                    const char *id) {
    char *address = NULL;
    char *name = NULL;
    parley_error err = {0};
    parley_status st = recipient(repo, kind, id, &address, &name, &err);
    bool ok = st == PARLEY_OK && parley_email_address_ok(address);
    free(address);
    free(name);
    return ok;
}

/* session.waiting stays in-app by default: it goes to every agent at once
 * and is stale within minutes */
static bool email_default_on(const char *event) {
    return strcmp(event, "session.waiting") != 0;
}

/* The link of the e-mail: for a password reset the page with its token,
 * for a customer the signed one that reopens the conversation in the
 * widget, for an agent the console. The link is sensitive: it is wiped
 * after the send (email_deliver). */
static void make_link(const parley_email *email, const parley_notification *n, char *out,
                      size_t size) {
    const char *secret = email->config->link_secret;
    if (strcmp(n->event, PARLEY_NOTIFY_PASSWORD_RESET_EVENT) == 0 && secret != NULL &&
        n->dedupe_key != NULL && strncmp(n->dedupe_key, "reset:", 6) == 0) {
        /* the token again from the reset's id: it is stored nowhere */
        char token[PARLEY_RESUME_SIG_SIZE];
        parley_password_reset_token(secret, n->dedupe_key + 6, token);
        snprintf(out, size, "%s/reset-password#token=%s", email->public_url, token);
        sodium_memzero(token, sizeof token);
    } else if (n->recipient_kind == PARLEY_PARTICIPANT_CUSTOMER && n->session_id[0] != '\0' &&
               secret != NULL) {
        int64_t expires = parley_now_ms() / 1000 + email->config->link_ttl_s;
        char sig[PARLEY_RESUME_SIG_SIZE];
        parley_resume_link_sign(secret, n->session_id, expires, sig);
        snprintf(out, size, "%s/demo#parley-resume=%s.%lld.%s", email->public_url, n->session_id,
                 (long long)expires, sig);
    } else if (n->session_id[0] != '\0') {
        snprintf(out, size, "%s/console#session=%s", email->public_url, n->session_id);
    } else {
        snprintf(out, size, "%s/console", email->public_url);
    }
}

/* ---- the transfer ---------------------------------------------------------------- */

typedef struct upload {
    const char *data;
    size_t len;
    size_t at;
} upload;

static size_t read_message(char *buffer, size_t size, size_t nitems, void *userdata) {
    upload *u = userdata;
    size_t room = size * nitems;
    size_t n = u->len - u->at < room ? u->len - u->at : room;
    memcpy(buffer, u->data + u->at, n);
    u->at += n;
    return n;
}

/* One SMTP transfer; *permanent on a 5xx reply. */
static parley_status smtp_send(const parley_email *email, const char *to, const char *message,
                               bool *permanent, parley_error *err) {
    const parley_config *cfg = email->config;
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "e-mail: curl_easy_init failed");
    }
    char from[300];
    char rcpt[300];
    snprintf(from, sizeof from, "<%s>", cfg->smtp_from);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    upload u = {.data = message, .len = strlen(message)};
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, &u);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.len);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->smtp_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->smtp_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    if (cfg->smtp_starttls) {
        curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    }
    if (cfg->smtp_ca_file != NULL && cfg->smtp_ca_file[0] != '\0') {
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->smtp_ca_file);
    }
    if (cfg->smtp_user != NULL && cfg->smtp_user[0] != '\0') {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD,
                         cfg->smtp_password != NULL ? cfg->smtp_password : "");
    }
    CURLcode rc = rcpts != NULL ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) {
        return PARLEY_OK;
    }
    /* RFC 5321: 5yz is a permanent refusal, 4yz and no answer are transient */
    *permanent = reply >= 500 && reply < 600;
    return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "smtp: %s (reply %ld)",
                            curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc), reply);
}

static parley_status email_deliver(void *ctx, const parley_notification *n,
                                   const parley_delivery *d, bool *permanent, parley_error *err) {
    parley_email *email = ctx;
    *permanent = false;
    if (email->repo == NULL) {
        parley_storage_options so = {.durable = email->durable};
        parley_status st = parley_storage_open(email->database_url, &so, &email->repo, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    char *address = NULL;
    char *name = NULL;
    parley_status st =
        recipient(email->repo, n->recipient_kind, n->recipient_id, &address, &name, err);
    if (st == PARLEY_OK && !parley_email_address_ok(address)) {
        *permanent = true; /* gone, deactivated, or an address nothing can send to */
        st = parley_error_set(err, PARLEY_E_INVALID, NULL,
                              "e-mail: the recipient has no usable address");
    }
    char link[1024];
    make_link(email, n, link, sizeof link);
    parley_email_var vars[] = {
        {"name", name}, {"title", n->title}, {"body", n->body}, {"link", link}, {"event", n->event},
    };
    size_t var_count = sizeof vars / sizeof vars[0];
    char *text = NULL;
    char *html = NULL;
    char *message = NULL;
    if (st == PARLEY_OK) {
        text = parley_email_render(email->text_template, vars, var_count, false);
        html = parley_email_render(email->html_template, vars, var_count, true);
        if (text == NULL || html == NULL) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    if (st == PARLEY_OK) {
        /* the idempotency key makes the Message-ID: a repeat after a crash
         * between sending and recording has the same one */
        char message_id[PARLEY_ID_SIZE * 2 + 320];
        const char *domain = strchr(email->config->smtp_from, '@') + 1;
        snprintf(message_id, sizeof message_id, "%s@%s",
                 d->idempotency_key != NULL ? d->idempotency_key : d->id, domain);
        for (char *p = message_id; *p != '@'; p++) {
            if (*p == ':') {
                *p = '.';
            }
        }
        parley_email_parts parts = {.from_name = "Parley",
                                    .from = email->config->smtp_from,
                                    .to = address,
                                    .subject = n->title != NULL ? n->title : "",
                                    .message_id = message_id,
                                    .text = text,
                                    .html = html,
                                    .date = parley_now_ms()};
        st = parley_email_build(&parts, &message, err);
        if (st == PARLEY_E_INVALID) {
            *permanent = true;
        }
    }
    if (st == PARLEY_OK) {
        st = smtp_send(email, address, message, permanent, err);
    }
    if (message != NULL) {
        sodium_memzero(message, strlen(message));
    }
    sodium_memzero(link, sizeof link);
    free(message);
    free(text);
    free(html);
    free(address);
    free(name);
    return st;
}

const parley_notify_channel parley_notify_channel_email = {
    .name = "email",
    .reaches = email_reaches,
    .deliver = email_deliver,
    .reaches_recipient = email_reaches_recipient,
    .default_on = email_default_on,
};
