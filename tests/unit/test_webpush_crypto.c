/* net/webpush_crypto.c: RFC 8291's appendix A example encrypts to exactly
 * its body and decrypts back; a VAPID JWT verifies with OpenSSL against
 * the public key (ES256 over header.claims, the claims as written);
 * base64url both ways; a payload too big for one record is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "net/webpush_crypto.h"

/* RFC 8291, appendix A */
static const char *const rfc_plaintext = "When I grow up, I want to be a watermelon";
static const char *const rfc_as_private = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
static const char *const rfc_as_public =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
static const char *const rfc_ua_private = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
static const char *const rfc_ua_public =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
static const char *const rfc_salt = "DGv6ra1nlYgDCS1FRnbzlw";
static const char *const rfc_auth = "BTBZMqHH6r4Tts7J_aSIgg";
static const char *const rfc_body =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
    "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qu"
    "lcy4a-fN";

static uint8_t *b64(const char *text, size_t want_len) {
    uint8_t *out = NULL;
    size_t len = 0;
    parley_error err = {0};
    assert_int_equal(parley_b64url_decode(text, &out, &len, &err), PARLEY_OK);
    if (want_len != 0) {
        assert_int_equal(len, want_len);
    }
    return out;
}

static void test_b64url(void **state) {
    (void)state;
    const uint8_t data[] = {0xfb, 0xff, 0x00, 'a'};
    for (size_t n = 0; n <= sizeof data; n++) {
        char *text = parley_b64url_encode(data, n);
        assert_null(strchr(text, '='));
        uint8_t *back = b64(text, n);
        assert_memory_equal(back, data, n);
        free(back);
        free(text);
    }
    char *text = parley_b64url_encode(data, 2);
    assert_string_equal(text, "-_8");
    free(text);
    uint8_t *out = NULL;
    size_t len = 0;
    parley_error err = {0};
    assert_int_equal(parley_b64url_decode("ab*c", &out, &len, &err), PARLEY_E_INVALID);
    assert_int_equal(parley_b64url_decode("abcde", &out, &len, &err), PARLEY_E_INVALID);
    assert_null(out);
}

static void test_rfc8291_example_encrypts_exactly(void **state) {
    (void)state;
    uint8_t *ua_public = b64(rfc_ua_public, 65);
    uint8_t *auth = b64(rfc_auth, 16);
    uint8_t *as_private = b64(rfc_as_private, 32);
    uint8_t *as_public = b64(rfc_as_public, 65);
    uint8_t *salt = b64(rfc_salt, 16);
    uint8_t derived[65];
    parley_error err = {0};
    assert_int_equal(parley_webpush_public_key(as_private, derived, &err), PARLEY_OK);
    assert_memory_equal(derived, as_public, 65);

    uint8_t *body = NULL;
    size_t body_len = 0;
    assert_int_equal(parley_webpush_encrypt_with(ua_public, auth, as_private, salt,
                                                 (const uint8_t *)rfc_plaintext,
                                                 strlen(rfc_plaintext), &body, &body_len, &err),
                     PARLEY_OK);
    char *text = parley_b64url_encode(body, body_len);
    assert_string_equal(text, rfc_body);
    free(text);
    free(body);
    free(ua_public);
    free(auth);
    free(as_private);
    free(as_public);
    free(salt);
}

static void test_rfc8291_example_decrypts(void **state) {
    (void)state;
    uint8_t *ua_private = b64(rfc_ua_private, 32);
    uint8_t *auth = b64(rfc_auth, 16);
    size_t body_len = 0;
    uint8_t *body = NULL;
    parley_error err = {0};
    assert_int_equal(parley_b64url_decode(rfc_body, &body, &body_len, &err), PARLEY_OK);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    assert_int_equal(
        parley_webpush_decrypt(ua_private, auth, body, body_len, &plain, &plain_len, &err),
        PARLEY_OK);
    assert_int_equal(plain_len, strlen(rfc_plaintext));
    assert_memory_equal(plain, rfc_plaintext, plain_len);
    free(plain);
    /* one bit changed in the ciphertext: the tag refuses it */
    body[body_len - 20] ^= 1;
    assert_int_equal(
        parley_webpush_decrypt(ua_private, auth, body, body_len, &plain, &plain_len, &err),
        PARLEY_E_INVALID);
    assert_null(plain);
    free(body);
    free(ua_private);
    free(auth);
}

static void test_fresh_keys_round_trip_and_size_limit(void **state) {
    (void)state;
    uint8_t ua_private[32], ua_public[65];
    parley_error err = {0};
    assert_int_equal(parley_webpush_generate_key(ua_private, ua_public, &err), PARLEY_OK);
    assert_int_equal(ua_public[0], 0x04);
    const uint8_t auth[16] = {1, 2, 3};
    uint8_t plain[PARLEY_WEBPUSH_PLAINTEXT_MAX + 1];
    memset(plain, 'x', sizeof plain);
    uint8_t *body = NULL;
    size_t body_len = 0;
    assert_int_equal(parley_webpush_encrypt(ua_public, auth, plain, PARLEY_WEBPUSH_PLAINTEXT_MAX,
                                            &body, &body_len, &err),
                     PARLEY_OK);
    assert_int_equal(body_len, 86 + PARLEY_WEBPUSH_RECORD_SIZE);
    uint8_t *back = NULL;
    size_t back_len = 0;
    assert_int_equal(
        parley_webpush_decrypt(ua_private, auth, body, body_len, &back, &back_len, &err),
        PARLEY_OK);
    assert_int_equal(back_len, PARLEY_WEBPUSH_PLAINTEXT_MAX);
    assert_memory_equal(back, plain, back_len);
    free(back);
    free(body);
    assert_int_equal(
        parley_webpush_encrypt(ua_public, auth, plain, sizeof plain, &body, &body_len, &err),
        PARLEY_E_TOO_LARGE);
    assert_null(body);
    /* a p256dh that is not a point */
    ua_public[10] ^= 0xff;
    assert_int_not_equal(parley_webpush_encrypt(ua_public, auth, plain, 10, &body, &body_len, &err),
                         PARLEY_OK);
}

/* Verifies the JWT's ES256 signature with OpenSSL from the raw public key. */
static int verify_es256(const uint8_t pub[65], const char *jwt) {
    const char *last_dot = strrchr(jwt, '.');
    uint8_t *sig = b64(last_dot + 1, 64);
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    uint8_t *der = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_fromdata_init(pctx);
    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
             EVP_DigestVerify(md, der, (size_t)der_len, (const uint8_t *)jwt,
                              (size_t)(last_dot - jwt)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    free(sig);
    return ok;
}

static void test_vapid_jwt_verifies(void **state) {
    (void)state;
    uint8_t priv[32], pub[65];
    parley_error err = {0};
    assert_int_equal(parley_webpush_generate_key(priv, pub, &err), PARLEY_OK);
    char *jwt = NULL;
    assert_int_equal(parley_vapid_jwt(priv, "https://push.example.net", "mailto:ops@example.com",
                                      1765200000, &jwt, &err),
                     PARLEY_OK);
    assert_true(verify_es256(pub, jwt));
    /* the claims are the ones asked for */
    char *first_dot = strchr(jwt, '.');
    char *second_dot = strchr(first_dot + 1, '.');
    char *claims64 = strndup(first_dot + 1, (size_t)(second_dot - first_dot - 1));
    uint8_t *claims = NULL;
    size_t claims_len = 0;
    assert_int_equal(parley_b64url_decode(claims64, &claims, &claims_len, &err), PARLEY_OK);
    assert_int_equal(claims_len, strlen("{\"aud\":\"https://push.example.net\",\"exp\":1765200000,"
                                        "\"sub\":\"mailto:ops@example.com\"}"));
    assert_memory_equal(claims,
                        "{\"aud\":\"https://push.example.net\",\"exp\":1765200000,"
                        "\"sub\":\"mailto:ops@example.com\"}",
                        claims_len);
    free(claims);
    free(claims64);
    /* another key does not verify it; a changed claim does not either */
    uint8_t other_priv[32], other_pub[65];
    assert_int_equal(parley_webpush_generate_key(other_priv, other_pub, &err), PARLEY_OK);
    assert_false(verify_es256(other_pub, jwt));
    first_dot[2] ^= 1;
    assert_false(verify_es256(pub, jwt));
    free(jwt);
    assert_int_equal(parley_vapid_jwt(priv, "https://x\"", "mailto:a@b", 1, &jwt, &err),
                     PARLEY_E_INVALID);
}

static void test_origin(void **state) {
    (void)state;
    char out[128];
    parley_error err = {0};
    assert_int_equal(
        parley_webpush_origin("https://fcm.googleapis.com/fcm/send/abc", out, sizeof out, &err),
        PARLEY_OK);
    assert_string_equal(out, "https://fcm.googleapis.com");
    assert_int_equal(parley_webpush_origin("http://127.0.0.1:8123/push/x?y", out, sizeof out, &err),
                     PARLEY_OK);
    assert_string_equal(out, "http://127.0.0.1:8123");
    assert_int_equal(parley_webpush_origin("ftp://a/b", out, sizeof out, &err), PARLEY_E_INVALID);
    assert_int_equal(parley_webpush_origin("https:///b", out, sizeof out, &err), PARLEY_E_INVALID);
    assert_int_equal(parley_webpush_origin("https://u@h/b", out, sizeof out, &err),
                     PARLEY_E_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_rfc8291_example_encrypts_exactly),
        cmocka_unit_test(test_rfc8291_example_decrypts),
        cmocka_unit_test(test_fresh_keys_round_trip_and_size_limit),
        cmocka_unit_test(test_vapid_jwt_verifies),
        cmocka_unit_test(test_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
