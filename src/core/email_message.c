/*
 * email_message.c - templates, header checks, the RFC 2047 subject and the
 * multipart/alternative message of the e-mail channel (email_message.h).
 */
#include "core/email_message.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/strbuf.h"
#include "util/utf8.h"

#define NAME_MAX_BYTES 64
#define HEADER_MAX_BYTES 998
/* raw bytes per encoded-word: 45 -> 60 base64 characters, 72 with =?UTF-8?B? and ?= */
#define WORD_RAW_BYTES 45
#define BASE64_LINE 76

static void add_escaped(parley_strbuf *b, const char *s) {
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            parley_strbuf_puts(b, "&amp;");
            break;
        case '<':
            parley_strbuf_puts(b, "&lt;");
            break;
        case '>':
            parley_strbuf_puts(b, "&gt;");
            break;
        case '"':
            parley_strbuf_puts(b, "&quot;");
            break;
        case '\'':
            parley_strbuf_puts(b, "&#39;");
            break;
        default:
            parley_strbuf_add(b, s, 1);
        }
    }
}

static const char *var_value(const parley_email_var *vars, size_t count, const char *name,
                             size_t len) {
    for (size_t i = 0; i < count; i++) {
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0) {
            return vars[i].value != NULL ? vars[i].value : "";
        }
    }
    return "";
}

char *parley_email_render(const char *tmpl, const parley_email_var *vars, size_t var_count,
                          bool html) {
    parley_strbuf b = {0};
    const char *p = tmpl;
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *close = open != NULL ? strstr(open + 2, "}}") : NULL;
        if (close == NULL) {
            parley_strbuf_puts(&b, p);
            break;
        }
        parley_strbuf_add(&b, p, (size_t)(open - p));
        const char *name = open + 2;
        size_t len = (size_t)(close - name);
        while (len > 0 && *name == ' ') {
            name++;
            len--;
        }
        while (len > 0 && name[len - 1] == ' ') {
            len--;
        }
        const char *value = len <= NAME_MAX_BYTES ? var_value(vars, var_count, name, len) : "";
        if (html) {
            add_escaped(&b, value);
        } else {
            parley_strbuf_puts(&b, value);
        }
        p = close + 2;
    }
    return parley_strbuf_take(&b, NULL);
}

bool parley_email_address_ok(const char *address) {
    if (address == NULL) {
        return false;
    }
    size_t len = strlen(address);
    if (len < 3 || len > 254 || !parley_utf8_valid(address, len)) {
        return false;
    }
    const char *at = strchr(address, '@');
    if (at == NULL || at == address || at[1] == '\0' || strchr(at + 1, '@') != NULL) {
        return false;
    }
    for (const unsigned char *s = (const unsigned char *)address; *s != '\0'; s++) {
        if (*s <= ' ' || *s == 0x7F || strchr("<>()[],;:\\\"", *s) != NULL) {
            return false;
        }
    }
    return true;
}

bool parley_email_header_text_ok(const char *text) {
    if (text == NULL) {
        return false;
    }
    size_t len = strlen(text);
    if (len > HEADER_MAX_BYTES || !parley_utf8_valid(text, len)) {
        return false;
    }
    for (const unsigned char *s = (const unsigned char *)text; *s != '\0'; s++) {
        if ((*s < ' ' && *s != '\t') || *s == 0x7F) {
            return false;
        }
    }
    return true;
}

static bool plain_ascii(const char *text) {
    size_t len = strlen(text);
    if (len > 60) {
        return false;
    }
    for (const unsigned char *s = (const unsigned char *)text; *s != '\0'; s++) {
        if (*s < ' ' || *s > '~') {
            return false;
        }
    }
    /* "=?" could be read as the start of an encoded-word */
    return strstr(text, "=?") == NULL;
}

char *parley_email_encode_subject(const char *subject) {
    if (plain_ascii(subject)) {
        return strdup(subject);
    }
    parley_strbuf b = {0};
    size_t len = strlen(subject);
    size_t at = 0;
    while (at < len || at == 0) {
        /* as many whole UTF-8 sequences as fit in one word */
        size_t take = 0;
        while (at + take < len) {
            size_t seq = parley_utf8_sequence(subject + at + take, len - at - take);
            if (seq == 0) {
                seq = 1;
            }
            if (take + seq > WORD_RAW_BYTES) {
                break;
            }
            take += seq;
        }
        char word[sodium_base64_ENCODED_LEN(WORD_RAW_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(word, sizeof word, (const unsigned char *)subject + at, take,
                          sodium_base64_VARIANT_ORIGINAL);
        parley_strbuf_printf(&b, "%s=?UTF-8?B?%s?=", at > 0 ? "\r\n " : "", word);
        at += take;
        if (take == 0) {
            break;
        }
    }
    return parley_strbuf_take(&b, NULL);
}

/* text as base64 in lines of 76 characters, CRLF after each */
static void add_base64_body(parley_strbuf *b, const char *text) {
    size_t len = strlen(text);
    /* 57 raw bytes make one 76-character line */
    for (size_t at = 0; at < len; at += 57) {
        size_t n = len - at < 57 ? len - at : 57;
        char line[BASE64_LINE + 1];
        sodium_bin2base64(line, sizeof line, (const unsigned char *)text + at, n,
                          sodium_base64_VARIANT_ORIGINAL);
        parley_strbuf_puts(b, line);
        parley_strbuf_puts(b, "\r\n");
    }
}

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "e-mail: %s", what);
}

static bool display_name_ok(const char *name) {
    if (strlen(name) > 64) {
        return false;
    }
    for (const char *s = name; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == ' ' || *s == '-' || *s == '.')) {
            return false;
        }
    }
    return true;
}

parley_status parley_email_build(const parley_email_parts *parts, char **out, parley_error *err) {
    *out = NULL;
    if (!parley_email_address_ok(parts->from)) {
        return invalid(err, "the sender's address is not usable");
    }
    if (!parley_email_address_ok(parts->to)) {
        return invalid(err, "the recipient's address is not usable");
    }
    if (!parley_email_header_text_ok(parts->subject)) {
        return invalid(err, "the subject has control characters or is too long");
    }
    if (parts->from_name != NULL && !display_name_ok(parts->from_name)) {
        return invalid(err, "the sender's name may have letters, digits, spaces, - and . only");
    }
    if (!parley_email_header_text_ok(parts->message_id) || strchr(parts->message_id, ' ') ||
        strchr(parts->message_id, '<') || strchr(parts->message_id, '>')) {
        return invalid(err, "the Message-ID is malformed");
    }
    char *subject = parley_email_encode_subject(parts->subject);
    if (subject == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    char date[64];
    time_t secs = (time_t)(parts->date / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    unsigned char random[12];
    randombytes_buf(random, sizeof random);
    char boundary[3 + 2 * sizeof random + 8];
    char hex[2 * sizeof random + 1];
    sodium_bin2hex(hex, sizeof hex, random, sizeof random);
    /* "=_" never occurs in base64 text: the parts cannot contain it */
    snprintf(boundary, sizeof boundary, "=_p%s", hex);

    parley_strbuf b = {0};
    parley_strbuf_printf(&b, "Date: %s\r\n", date);
    parley_strbuf_printf(&b, "Message-ID: <%s>\r\n", parts->message_id);
    if (parts->from_name != NULL && parts->from_name[0] != '\0') {
        parley_strbuf_printf(&b, "From: %s <%s>\r\n", parts->from_name, parts->from);
    } else {
        parley_strbuf_printf(&b, "From: <%s>\r\n", parts->from);
    }
    parley_strbuf_printf(&b, "To: <%s>\r\n", parts->to);
    parley_strbuf_printf(&b, "Subject: %s\r\n", subject);
    parley_strbuf_puts(&b, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    parley_strbuf_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
                         boundary);
    parley_strbuf_printf(&b,
                         "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n",
                         boundary);
    add_base64_body(&b, parts->text != NULL ? parts->text : "");
    parley_strbuf_printf(&b,
                         "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n",
                         boundary);
    add_base64_body(&b, parts->html != NULL ? parts->html : "");
    parley_strbuf_printf(&b, "--%s--\r\n", boundary);
    free(subject);
    *out = parley_strbuf_take(&b, NULL);
    return *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}
