/*
 * notify_channel_email.h - the email channel of the notification service
 * (core/notifications_channels.h, docs/subsystems/notifications.md
 * "E-mail"): one SMTP transfer with libcurl per delivery (smtp:// or
 * smtps://, STARTTLS when --smtp-starttls is 1, AUTH with --smtp-user and
 * --smtp-password), a multipart/alternative message (core/email_message.h)
 * from the operator's templates or the compiled-in ones.
 *
 * Who gets what: agents the events their preferences turn on (every one
 * but session.waiting by default); a customer who left the agent's reply
 * (reply.offline), when she gave an address, with the signed link that
 * reopens the conversation (core/resume_link.h). A recipient without an
 * address gets no e-mail delivery at all (reaches_recipient).
 *
 * Errors: a refused connection, a timeout and an SMTP 4xx are retried by
 * the worker with backoff; an SMTP 5xx (RFC 5321: permanent) or an
 * unusable address makes the delivery dead at once.
 *
 * Threads: init and close on the loop thread (before the worker starts,
 * after it stopped); deliver on the delivery worker's thread only, never
 * the loop: it blocks for the whole transfer (--smtp-timeout-ms at most).
 * The channel's own database connection (the recipient's address, name)
 * is opened there on first use. Ownership: the server embeds the context;
 * it borrows the config's strings (the config outlives the server).
 */
#ifndef PARLEY_NOTIFY_CHANNEL_EMAIL_H
#define PARLEY_NOTIFY_CHANNEL_EMAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/notifications_channels.h"

typedef struct parley_email {
    const parley_config *config; /* borrowed */
    char database_url[1024];     /* the worker thread's connection */
    bool durable;
    char public_url[512];    /* base of links, no trailing '/' */
    char *text_template;     /* owned */
    char *html_template;     /* owned */
    parley_repository *repo; /* worker thread; NULL until first use */
    bool curl_ready;
} parley_email;

extern const parley_notify_channel parley_notify_channel_email;

/* Reads the templates (the operator's directory, else the defaults) and
 * readies libcurl. public_url: the base of links ("http://host:port"
 * when the operator named none). */
parley_status parley_email_init(parley_email *email, const parley_config *config,
                                const char *database_url, const char *public_url,
                                parley_error *err);
/* After the worker stopped: closes the connection, frees the templates. */
void parley_email_close(parley_email *email);

/* The compiled-in templates (docs/subsystems/notifications.md lists their
 * variables). */
extern const char parley_email_default_text[];
extern const char parley_email_default_html[];

#endif
