/* Uploads' pure rules: the type allowlist (script types never), file-name
 * sanitising, the multipart/form-data reader and Content-Disposition
 * parameters, and the content-addressed file store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/upload_service.h"
#include "net/http/multipart.h"
#include "storage/file_store.h"

static const char *const ALLOW = "image/png, image/jpeg,application/pdf,text/plain";

static void test_type_allowlist(void **state) {
    (void)state;
    assert_true(parley_upload_type_allowed(ALLOW, "image/png"));
    assert_true(parley_upload_type_allowed(ALLOW, "image/jpeg")); /* spaces around entries */
    assert_true(parley_upload_type_allowed(ALLOW, "IMAGE/PNG"));
    assert_false(parley_upload_type_allowed(ALLOW, "image/pn"));
    assert_false(parley_upload_type_allowed(ALLOW, "image/gif"));
    assert_false(parley_upload_type_allowed(ALLOW, ""));
    assert_false(parley_upload_type_allowed(ALLOW, NULL));
    /* script-capable types stay out even when listed */
    const char *risky = "text/html,image/svg+xml,application/xhtml+xml,text/xml,image/png";
    assert_false(parley_upload_type_allowed(risky, "text/html"));
    assert_false(parley_upload_type_allowed(risky, "image/svg+xml"));
    assert_false(parley_upload_type_allowed(risky, "application/xhtml+xml"));
    assert_false(parley_upload_type_allowed(risky, "text/xml"));
    assert_true(parley_upload_type_allowed(risky, "image/png"));
}

static void expect_name(const char *in, const char *want) {
    char out[PARLEY_UPLOAD_NAME_MAX + 1];
    parley_upload_sanitize_name(in, in != NULL ? strlen(in) : 0, "file", out);
    assert_string_equal(out, want);
}

static void test_sanitize_name(void **state) {
    (void)state;
    expect_name("photo.png", "photo.png");
    expect_name("../../etc/passwd", "passwd");
    expect_name("C:\\Users\\me\\cv.pdf", "cv.pdf");
    expect_name(".htaccess", "htaccess");
    expect_name("  . spaced.txt . ", "spaced.txt");
    expect_name("a\"b*c?d<e>f|g:h.txt", "a_b_c_d_e_f_g_h.txt");
    expect_name("tab\there\x01.txt", "tab_here_.txt");
    expect_name("r\xc3\xa9sum\xc3\xa9.pdf", "r\xc3\xa9sum\xc3\xa9.pdf"); /* UTF-8 kept */
    expect_name("bad\xff\xc3(.pdf", "bad__(.pdf");                       /* stray bytes */
    expect_name("\xed\xa0\x80.txt", "___.txt");                          /* a surrogate */
    expect_name("", "file");
    expect_name(NULL, "file");
    expect_name("/", "file");
    expect_name("...", "file");
    /* 300 bytes: cut to 200, never inside a character */
    char long_name[301];
    memset(long_name, 'x', 199);
    strcpy(long_name + 199, "\xc3\xa9\xc3\xa9tail");
    char out[PARLEY_UPLOAD_NAME_MAX + 1];
    parley_upload_sanitize_name(long_name, strlen(long_name), "file", out);
    assert_int_equal(strlen(out), 199);
}

static void test_boundary(void **state) {
    (void)state;
    char b[PARLEY_MULTIPART_BOUNDARY_MAX + 1];
    bool mp = false;
    assert_true(parley_multipart_boundary("multipart/form-data; boundary=abc123", &mp, b));
    assert_true(mp);
    assert_string_equal(b, "abc123");
    assert_true(
        parley_multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", &mp, b));
    assert_string_equal(b, "a b:c");
    assert_false(parley_multipart_boundary("multipart/form-data", &mp, b));
    assert_true(mp); /* multipart, but no boundary: a 400, not a raw upload */
    assert_false(parley_multipart_boundary("multipart/form-data; boundary=", &mp, b));
    assert_false(parley_multipart_boundary("multipart/form-data; boundary=\"ends \"", &mp, b));
    char too_long[120];
    snprintf(too_long, sizeof too_long, "multipart/form-data; boundary=%071d", 0);
    assert_false(parley_multipart_boundary(too_long, &mp, b));
    assert_false(parley_multipart_boundary("image/png", &mp, b));
    assert_false(mp);
    assert_false(parley_multipart_boundary("multipart/form-dataX; boundary=a", &mp, b));
    assert_false(mp);
    assert_false(parley_multipart_boundary(NULL, &mp, b));
}

static parley_status parse(const char *body, parley_multipart_file *f, parley_error *err) {
    return parley_multipart_parse(body, strlen(body), "XX", f, err);
}

static void test_multipart_parse(void **state) {
    (void)state;
    parley_multipart_file f;
    parley_error err = {0};
    const char *ok = "--XX\r\n"
                     "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
                     "ignored\r\n"
                     "--XX\r\n"
                     "content-disposition: form-data; name=\"file\"; filename=\"a\\\"b.txt\"\r\n"
                     "Content-Type: text/html\r\n\r\n"
                     "line one\r\n--XY not the end\r\n"
                     "--XX--\r\n"
                     "epilogue";
    assert_int_equal(parse(ok, &f, &err), PARLEY_OK);
    assert_int_equal(f.len, strlen("line one\r\n--XY not the end"));
    assert_memory_equal(f.data, "line one\r\n--XY not the end", f.len);
    assert_string_equal(f.filename, "a\"b.txt");
    parley_multipart_file_free(&f);

    const char *ext = "--XX\r\nContent-Disposition: form-data; name=f; filename=\"x\"; "
                      "filename*=UTF-8''%E2%82%AC.pdf\r\n\r\n\r\n--XX--";
    assert_int_equal(parse(ext, &f, &err), PARLEY_OK);
    assert_string_equal(f.filename, "\xe2\x82\xac.pdf");
    assert_int_equal(f.len, 0);
    parley_multipart_file_free(&f);

    static const struct {
        const char *body;
        const char *says;
    } bad[] = {
        {"preamble\r\n--XX\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\nx\r\n"
         "--XX--",
         "start"},
        {"--XX\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\nx", "closing"},
        {"--XX\r\nContent-Disposition: form-data; name=f\r\n\r\nx\r\n--XX--", "no file part"},
        {"--XX\r\nContent-Disposition: form-data; name=a; filename=a\r\n\r\n1\r\n"
         "--XX\r\nContent-Disposition: form-data; name=b; filename=b\r\n\r\n2\r\n--XX--",
         "more than one"},
        {"--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n--XX--", "no Content-Disposition"},
        {"--XX\r\nContent-Disposition: attachment; filename=a\r\n\r\nx\r\n--XX--", "form-data"},
        {"--XX\r\nContent-Disposition: form-data; filename=\"open\r\n\r\nx\r\n--XX--", "malformed"},
        {"--XX\r\nno colon here\r\n\r\nx\r\n--XX--", "Name: value"},
        {"--XX\nContent-Disposition: form-data; name=f; filename=a\n\nx\n--XX--", "CRLF"},
        {"--XX\r\nContent-Disposition: form-data; name=f; filename=a; filename=b\r\n\r\nx\r\n"
         "--XX--",
         "malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parley_error e = {0};
        assert_int_equal(parse(bad[i].body, &f, &e), PARLEY_E_INVALID);
        assert_string_equal(e.code, "validation_failed");
        if (strstr(e.message, bad[i].says) == NULL) {
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, e.message, bad[i].says);
        }
        assert_null(f.filename);
    }
}

static void test_disposition(void **state) {
    (void)state;
    size_t type_len = 0, len = 0;
    char *name = NULL;
    bool has = false;
    const char *v = "attachment; filename=\"report.pdf\"";
    assert_true(parley_disposition_filename(v, strlen(v), &type_len, &name, &len, &has));
    assert_true(has);
    assert_int_equal(type_len, 10);
    assert_string_equal(name, "report.pdf");
    free(name);
    v = "inline";
    assert_true(parley_disposition_filename(v, strlen(v), &type_len, &name, &len, &has));
    assert_false(has);
    assert_null(name);
    v = "attachment; filename*=ISO-8859-1''%E9.txt";
    assert_false(parley_disposition_filename(v, strlen(v), &type_len, &name, &len, &has));
    v = "attachment; filename*=UTF-8''%00.txt";
    assert_false(parley_disposition_filename(v, strlen(v), &type_len, &name, &len, &has));
    v = "attachment filename=a";
    assert_false(parley_disposition_filename(v, strlen(v), &type_len, &name, &len, &has));
}

static void test_file_store(void **state) {
    (void)state;
    char root[] = "/tmp/parley-file-store-XXXXXX";
    assert_non_null(mkdtemp(root));
    char hex[PARLEY_SHA256_HEX_SIZE];
    parley_error err = {0};
    assert_int_equal(parley_file_store_put(root, "abc", 3, hex, &err), PARLEY_OK);
    /* SHA-256("abc") */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char path[512];
    snprintf(path, sizeof path, "%s/ba/78/%s", root, hex);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3);
    /* the same bytes again: the same file, no second copy, no temp left */
    assert_int_equal(parley_file_store_put(root, "abc", 3, hex, &err), PARLEY_OK);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(parley_file_store_read(root, hex, 3, &data, &len, &err), PARLEY_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "abc", 3);
    free(data);
    /* a recorded size that does not match is refused, a missing file is 404 */
    assert_int_equal(parley_file_store_read(root, hex, 4, &data, &len, &err), PARLEY_E_STORAGE);
    char missing[PARLEY_SHA256_HEX_SIZE];
    memset(missing, '0', PARLEY_SHA256_HEX_SIZE - 1);
    missing[PARLEY_SHA256_HEX_SIZE - 1] = '\0';
    assert_int_equal(parley_file_store_read(root, missing, 3, &data, &len, &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(parley_file_store_read(root, "../../etc/passwd", 3, &data, &len, &err),
                     PARLEY_E_STORAGE);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ba/78", root);
    unlink(path);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/ba", root);
    rmdir(dir);
    assert_int_equal(rmdir(root), 0); /* nothing else was left behind */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_allowlist), cmocka_unit_test(test_sanitize_name),
        cmocka_unit_test(test_boundary),       cmocka_unit_test(test_multipart_parse),
        cmocka_unit_test(test_disposition),    cmocka_unit_test(test_file_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
