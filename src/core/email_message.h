/*
 * email_message.h - the e-mail channel's pure half (issue 14,
 * docs/subsystems/notifications.md "E-mail"): templates with {{variables}},
 * the header checks that keep user data out of the header section, the
 * RFC 2047 subject, and the whole RFC 5322 multipart/alternative message
 * (a text/plain and a text/html part, each base64). No I/O: the SMTP
 * transfer is net/notify_channel_email.c's.
 *
 * Threads: any; nothing is shared. Ownership: every char * returned is
 * the caller's (free()); inputs are borrowed.
 */
#ifndef PARLEY_EMAIL_MESSAGE_H
#define PARLEY_EMAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "util/error.h"

/* One template variable: {{name}} is replaced by value. */
typedef struct parley_email_var {
    const char *name;
    const char *value; /* NULL: "" */
} parley_email_var;

/* tmpl with every {{name}} replaced by its value (html: the value
 * HTML-escaped: & < > " ' ). An unknown {{name}} becomes "", a "{{" with
 * no "}}" stays as it is. NULL when out of memory. Fuzzed
 * (fuzz/fuzz_email_template.c). */
char *parley_email_render(const char *tmpl, const parley_email_var *vars, size_t var_count,
                          bool html);

/* An address fit for MAIL FROM / RCPT TO and a To: header: 3..254 bytes,
 * one '@' not at either end, printable ASCII or UTF-8 without spaces,
 * control characters (CR, LF) or any of <>()[],;:\" . */
bool parley_email_address_ok(const char *address);

/* A header value from outside (a subject): no CR, LF or other control
 * character, valid UTF-8, at most 998 bytes. */
bool parley_email_header_text_ok(const char *text);

/* The subject for the Subject: header: as it is when printable ASCII and
 * short, else RFC 2047 encoded-words (=?UTF-8?B?...?=, each at most 75
 * characters, never splitting a UTF-8 sequence) folded with CRLF SP.
 * NULL when out of memory. */
char *parley_email_encode_subject(const char *subject);

typedef struct parley_email_parts {
    const char *from_name; /* display name of From:, plain ASCII letters/digits/spaces; NULL none */
    const char *from;      /* address */
    const char *to;        /* address */
    const char *subject;   /* UTF-8 */
    const char *message_id; /* without <>: "<local>@<domain>" as it goes between them */
    const char *text;       /* the text/plain part, UTF-8 */
    const char *html;       /* the text/html part, UTF-8 */
    parley_time_ms date;    /* the Date: header */
} parley_email_parts;

/* The whole message, CRLF line ends: Date, Message-ID, From, To, Subject,
 * MIME-Version, Auto-Submitted, multipart/alternative with both parts.
 * PARLEY_E_INVALID when an address or the subject fails the checks above
 * (no header injection); PARLEY_E_NOMEM. */
parley_status parley_email_build(const parley_email_parts *parts, char **out, parley_error *err);

#endif
