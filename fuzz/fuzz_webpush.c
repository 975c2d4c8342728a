/*
 * fuzz_webpush.c - web push's parsers and cryptography
 * (net/webpush_crypto.c): base64url, an aes128gcm body from the network
 * side (what the decrypting side reads), the endpoint's origin, and
 * encryption round trips.
 *
 * Byte 0 mod 4 chooses:
 * 0: the rest is base64url text. Checks: a decoded value encodes and
 *    decodes back to itself; the output is at most 3/4 of the input.
 * 1: the rest is an aes128gcm body, decrypted with a fixed subscription
 *    key. Checks: nothing but a clean refusal or a plaintext shorter than
 *    the body (a forgery cannot pass GCM's tag).
 * 2: the rest is an endpoint URL. Checks: an origin is a prefix of the URL,
 *    http(s), with no path, query or fragment.
 * 3: the rest is a plaintext. Checks: with a fixed key it encrypts (when
 *    it fits one record) to a body 103 bytes longer that decrypts to it,
 *    and a VAPID JWT is made for any aud/sub without quotes, or refused.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/webpush_crypto.h"

/* RFC 8291 appendix A's user agent keys */
static const char ua_private_b64[] = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
static const char ua_public_b64[] =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
static const uint8_t auth[16] = {5,  48,  89,  50,  161, 199, 234, 190,
                                 19, 182, 206, 201, 253, 164, 136, 130};

static uint8_t *decoded(const char *text, size_t want) {
    uint8_t *out = NULL;
    size_t len = 0;
    parley_error err = {0};
    CHECK(parley_b64url_decode(text, &out, &len, &err) == PARLEY_OK && len == want);
    return out;
}

static void base64url(const char *text, size_t len) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    parley_error err = {0};
    if (parley_b64url_decode(text, &out, &out_len, &err) != PARLEY_OK) {
        CHECK(out == NULL);
        return;
    }
    CHECK(out_len <= len * 3 / 4);
    char *again = parley_b64url_encode(out, out_len);
    CHECK(again != NULL);
    uint8_t *back = NULL;
    size_t back_len = 0;
    CHECK(parley_b64url_decode(again, &back, &back_len, &err) == PARLEY_OK);
    CHECK(back_len == out_len && (out_len == 0 || memcmp(back, out, out_len) == 0));
    free(back);
    free(again);
    free(out);
}

static void decrypt(const uint8_t *body, size_t len) {
    uint8_t *priv = decoded(ua_private_b64, 32);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    parley_error err = {0};
    if (parley_webpush_decrypt(priv, auth, body, len, &plain, &plain_len, &err) == PARLEY_OK) {
        CHECK(plain_len < len);
    } else {
        CHECK(plain == NULL);
    }
    free(plain);
    free(priv);
}

static void origin(const char *url) {
    char out[256];
    parley_error err = {0};
    if (parley_webpush_origin(url, out, sizeof out, &err) != PARLEY_OK) {
        return;
    }
    size_t n = strlen(out);
    CHECK(strncmp(url, out, n) == 0);
    CHECK(strncmp(out, "http://", 7) == 0 || strncmp(out, "https://", 8) == 0);
    CHECK(strpbrk(out + 8, "/?#") == NULL);
}

static void round_trip(const uint8_t *plain, size_t len) {
    uint8_t *priv = decoded(ua_private_b64, 32);
    uint8_t *pub = decoded(ua_public_b64, 65);
    uint8_t *body = NULL, *back = NULL;
    size_t body_len = 0, back_len = 0;
    parley_error err = {0};
    parley_status st = parley_webpush_encrypt(pub, auth, plain, len, &body, &body_len, &err);
    CHECK((st == PARLEY_OK) == (len <= PARLEY_WEBPUSH_PLAINTEXT_MAX));
    if (st == PARLEY_OK) {
        CHECK(body_len == len + 103);
        CHECK(parley_webpush_decrypt(priv, auth, body, body_len, &back, &back_len, &err) ==
              PARLEY_OK);
        CHECK(back_len == len && (len == 0 || memcmp(back, plain, len) == 0));
    }
    size_t text_len = 0;
    char *text = fuzz_text(plain, len, &text_len);
    char *jwt = NULL;
    if (parley_vapid_jwt(priv, text, "mailto:ops@example.com", 1, &jwt, &err) == PARLEY_OK) {
        CHECK(strchr(text, '"') == NULL && strchr(text, '\\') == NULL);
        CHECK(strchr(jwt, '.') != strrchr(jwt, '.'));
    }
    free(jwt);
    free(text);
    free(back);
    free(body);
    free(pub);
    free(priv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    size_t len = 0;
    switch (data[0] % 4) {
    case 0: {
        char *text = fuzz_text(data + 1, size - 1, &len);
        base64url(text, len);
        free(text);
        break;
    }
    case 1:
        decrypt(data + 1, size - 1);
        break;
    case 2: {
        char *text = fuzz_text(data + 1, size - 1, &len);
        origin(text);
        free(text);
        break;
    }
    default:
        round_trip(data + 1, size - 1);
        break;
    }
    return 0;
}
