#define _GNU_SOURCE /* memmem */

/*
 * fuzz_multipart.c - the upload body readers (net/http/multipart.c) and the
 * file-name sanitiser (core/upload_service.c).
 *
 * Input: up to the first '\n' (at most 200 bytes) is a Content-Type header
 * value, the rest a request body. Checks:
 *  - parley_multipart_boundary: a boundary it returns is 1..70 characters
 *    of RFC 2046 bchars (a space never last);
 *  - parley_multipart_parse with that boundary (or a fixed one): on
 *    success the file lies inside the body and is followed by the
 *    delimiter, its name is NUL-free and as long as it says; on failure
 *    the error is a 400 validation_failed with a UTF-8 message;
 *  - round trip: the body wrapped as the single file part of a well-formed
 *    multipart body (with a boundary it does not contain) parses back to
 *    exactly those bytes;
 *  - parley_disposition_filename on the body: a name, when found, has the
 *    length it says;
 *  - parley_upload_sanitize_name on the body: valid UTF-8, 1..200 bytes,
 *    no control or reserved characters, no leading dot or space.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/upload_service.h"
#include "fuzz_checks.h"
#include "net/http/multipart.h"

static void check_error(parley_status st, const parley_error *err) {
    CHECK(st == PARLEY_E_INVALID);
    CHECK(strcmp(err->code, "validation_failed") == 0);
    CHECK(err->message[0] != '\0');
    CHECK(ref_utf8_valid((const uint8_t *)err->message, strlen(err->message), NULL));
}

static void check_parse(const char *body, size_t len, const char *boundary) {
    parley_multipart_file f;
    parley_error err = {0};
    parley_status st = parley_multipart_parse(body, len, boundary, &f, &err);
    if (st != PARLEY_OK) {
        check_error(st, &err);
        CHECK(f.filename == NULL && f.data == NULL);
        return;
    }
    CHECK(f.data >= body && f.data + f.len <= body + len);
    size_t blen = strlen(boundary);
    size_t after = (size_t)(f.data - body) + f.len;
    CHECK(after + 4 + blen <= len);
    CHECK(memcmp(body + after, "\r\n--", 4) == 0);
    CHECK(memcmp(body + after + 4, boundary, blen) == 0);
    CHECK(f.filename != NULL);
    CHECK(strlen(f.filename) == f.filename_len);
    parley_multipart_file_free(&f);
}

static void check_round_trip(const uint8_t *data, size_t size) {
    /* a boundary the data does not contain (a random-looking one would do;
     * this one only needs checking) */
    const char *boundary = "fuzzBoundary0123456789";
    if (size > 0 && memmem(data, size, boundary, strlen(boundary)) != NULL) {
        return;
    }
    static const char head[] =
        "--fuzzBoundary0123456789\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
        "Content-Type: image/png\r\n\r\n";
    static const char tail[] = "\r\n--fuzzBoundary0123456789--\r\n";
    size_t total = sizeof head - 1 + size + sizeof tail - 1;
    char *body = malloc(total);
    if (body == NULL) {
        return;
    }
    memcpy(body, head, sizeof head - 1);
    if (size > 0) {
        memcpy(body + sizeof head - 1, data, size);
    }
    memcpy(body + sizeof head - 1 + size, tail, sizeof tail - 1);
    parley_multipart_file f;
    parley_error err = {0};
    /* the data may itself hold "\r\n--fuzzBoundary...": then the part ends
     * there, which memmem above excluded */
    CHECK(parley_multipart_parse(body, total, boundary, &f, &err) == PARLEY_OK);
    CHECK(f.len == size);
    CHECK(size == 0 || memcmp(f.data, data, size) == 0);
    CHECK(strcmp(f.filename, "f.bin") == 0);
    parley_multipart_file_free(&f);
    free(body);
}

static void check_sanitize(const char *s, size_t len) {
    char out[PARLEY_UPLOAD_NAME_MAX + 1];
    parley_upload_sanitize_name(s, len, "file", out);
    size_t n = strlen(out);
    CHECK(n >= 1 && n <= PARLEY_UPLOAD_NAME_MAX);
    CHECK(ref_utf8_valid((const uint8_t *)out, n, NULL));
    CHECK(out[0] != '.' && out[0] != ' ');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        CHECK(c >= 0x20 && c != 0x7F);
        CHECK(strchr("\"\\/:*?<>|", c) == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size < 200 ? size : 200);
    size_t ct_len = nl != NULL ? (size_t)(nl - in) : 0;
    char content_type[201];
    memcpy(content_type, in, ct_len);
    content_type[ct_len] = '\0';
    const char *body = nl != NULL ? nl + 1 : in;
    size_t body_len = size - (size_t)(body - in);

    bool is_multipart = false;
    char boundary[PARLEY_MULTIPART_BOUNDARY_MAX + 1];
    if (parley_multipart_boundary(content_type, &is_multipart, boundary)) {
        CHECK(is_multipart);
        size_t blen = strlen(boundary);
        CHECK(blen >= 1 && blen <= PARLEY_MULTIPART_BOUNDARY_MAX);
        CHECK(boundary[blen - 1] != ' ');
        check_parse(body, body_len, boundary);
    } else {
        check_parse(body, body_len, "X");
    }

    size_t type_len = 0, name_len = 0;
    char *name = NULL;
    bool has = false;
    if (parley_disposition_filename(body, body_len, &type_len, &name, &name_len, &has)) {
        CHECK(type_len > 0 && type_len <= body_len);
        CHECK(has == (name != NULL));
        CHECK(name == NULL || strlen(name) == name_len);
    } else {
        CHECK(name == NULL);
    }
    free(name);

    check_sanitize(body, body_len);
    check_round_trip((const uint8_t *)body, body_len);
    return 0;
}
