/*
 * fuzz_http_headers.c - the header values net/http/http_cache.c reads
 * (X-Request-Id, If-None-Match, If-Modified-Since) and the escaping of a
 * value in a log line (util/log.c), since request ids and paths end up
 * there.
 *
 * Input layout: the bytes up to the first NUL are one header value (the
 * reader hands values on as C strings); every check runs on it. Nothing is
 * printed.
 *
 * Checks (trap on violation):
 *  - parley_request_id_valid agrees with the rule written out here: 1..128
 *    bytes of letters, digits and "-_.:+/=@~";
 *  - If-None-Match: an exact entity tag, its W/ form and "*" always match;
 *    a match on anything else means the value holds the tag's opaque text;
 *  - HTTP-date: what parses formats as IMF-fixdate (29 bytes) and parses
 *    back to the same time;
 *  - a log line with the value (and the value as msg) is one line ending
 *    in '\n'; in JSON it parses as an object whose field is the value when
 *    the value is valid UTF-8; in logfmt the field is the value itself or
 *    a JSON string literal that decodes to it;
 *  - Accept-Language: the language found is 2 or 3 lowercase letters that
 *    occur in the value (case aside), or nothing at all.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "fuzz_checks.h"
#include "net/http/http_cache.h"
#include "util/accept_language.h"

static bool reference_request_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > PARLEY_REQUEST_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=' ||
              c == '@' || c == '~')) {
            return false;
        }
    }
    return true;
}

static void check_etags(const char *value) {
    static const char etag[] = "\"7d46-6b161e8d.c26c2e9\"";
    CHECK(parley_http_etag_list_matches(etag, etag));
    CHECK(parley_http_etag_list_matches("W/\"7d46-6b161e8d.c26c2e9\"", etag));
    CHECK(parley_http_etag_list_matches("*", etag));
    if (parley_http_etag_list_matches(value, etag)) {
        CHECK(strstr(value, etag) != NULL || strchr(value, '*') != NULL);
    }
    /* the value as our own ETag: a list naming it exactly matches */
    if (parley_http_etag_list_matches(value, value)) {
        CHECK(strchr(value, '"') != NULL || strchr(value, '*') != NULL);
    }
}

static void check_date(const char *value) {
    time_t t = 0;
    if (!parley_http_date_parse(value, &t)) {
        return;
    }
    char text[32];
    parley_http_date_format(t, text);
    CHECK(strlen(text) == 29);
    time_t back = 0;
    CHECK(parley_http_date_parse(text, &back));
    CHECK(back == t);
    /* the conditional GET agrees with the comparison it stands for */
    CHECK(parley_http_not_modified(NULL, value, "\"x\"", t));
    CHECK(!parley_http_not_modified(NULL, value, "\"x\"", t + 1));
}

static void check_log_lines(const char *value) {
    parley_log_field field = PARLEY_LOG_STR("v", value);
    size_t len = 0;
    char *json = parley_log_format_line(PARLEY_LOG_JSON, PARLEY_LOG_INFO,
                                        "2024-05-01T00:00:00.000Z", value, &field, 1, &len);
    if (json == NULL) {
        return; /* out of memory */
    }
    CHECK(len > 0 && json[len - 1] == '\n' && memchr(json, '\n', len - 1) == NULL);
    json_error_t error;
    json_t *obj = json_loads(json, 0, &error);
    CHECK(obj != NULL && json_is_object(obj));
    const char *v = json_string_value(json_object_get(obj, "v"));
    CHECK(v != NULL);
    if (ref_utf8_valid((const uint8_t *)value, strlen(value), NULL)) {
        CHECK(strcmp(v, value) == 0);
        CHECK(strcmp(json_string_value(json_object_get(obj, "msg")), value) == 0);
    }
    json_decref(obj);
    free(json);

    char *text = parley_log_format_line(PARLEY_LOG_LOGFMT, PARLEY_LOG_INFO,
                                        "2024-05-01T00:00:00.000Z", "m", &field, 1, &len);
    if (text == NULL) {
        return;
    }
    CHECK(len > 0 && text[len - 1] == '\n' && memchr(text, '\n', len - 1) == NULL);
    static const char prefix[] = "ts=2024-05-01T00:00:00.000Z level=info msg=m v=";
    CHECK(strncmp(text, prefix, sizeof prefix - 1) == 0);
    char *out = text + sizeof prefix - 1;
    text[len - 1] = '\0';
    if (out[0] != '"') {
        CHECK(strcmp(out, value) == 0); /* bare: exactly the value */
        CHECK(strpbrk(out, " =\"\\") == NULL);
    } else {
        json_t *s = json_loads(out, JSON_DECODE_ANY, &error);
        CHECK(s != NULL && json_is_string(s));
        if (ref_utf8_valid((const uint8_t *)value, strlen(value), NULL)) {
            CHECK(strcmp(json_string_value(s), value) == 0);
        }
        json_decref(s);
    }
    free(text);
}

static void check_accept_language(const char *value) {
    char lang[8];
    bool found = parley_accept_language_primary(value, lang, sizeof lang);
    size_t n = strlen(lang);
    CHECK(found == (n > 0));
    if (!found) {
        return;
    }
    CHECK(n == 2 || n == 3);
    for (size_t i = 0; i < n; i++) {
        CHECK(lang[i] >= 'a' && lang[i] <= 'z');
    }
    bool occurs = false;
    for (const char *p = value; *p != '\0' && !occurs; p++) {
        occurs = strncasecmp(p, lang, n) == 0;
    }
    CHECK(occurs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *value = malloc(size + 1);
    if (value == NULL) {
        return 0;
    }
    memcpy(value, data, size);
    value[size] = '\0'; /* a C string: cut at the first NUL */
    CHECK(parley_request_id_valid(value) == reference_request_id(value));
    check_etags(value);
    check_date(value);
    check_log_lines(value);
    check_accept_language(value);
    free(value);
    return 0;
}
