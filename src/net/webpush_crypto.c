/*
 * webpush_crypto.c - RFC 8291 (aes128gcm web push encryption) and RFC 8292
 * (VAPID ES256 JWT) on OpenSSL 3's EVP APIs (webpush_crypto.h). No
 * primitive is written here: ECDH is EVP_PKEY_derive, HKDF the "HKDF"
 * EVP_KDF, AES-128-GCM the EVP cipher, ECDSA EVP_DigestSign; the only
 * non-EVP calls are EC_POINT_mul (a public point from a scalar read back
 * from disk) and ECDSA_SIG (DER to JOSE's raw r || s).
 *
 * Ownership and threads: webpush_crypto.h.
 */
#include "net/webpush_crypto.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#define PUB_LEN PARLEY_WEBPUSH_PUBLIC_KEY_LEN
#define PRIV_LEN PARLEY_WEBPUSH_PRIVATE_KEY_LEN
#define HEADER_LEN (PARLEY_WEBPUSH_SALT_LEN + 4 + 1 + PUB_LEN)
#define TAG_LEN 16

static parley_status crypto_fail(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INTERNAL, "webpush_crypto", "webpush: %s failed", what);
}

/* ---- base64url ------------------------------------------------------------- */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *parley_b64url_encode(const uint8_t *data, size_t len) {
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1) {
            v |= (uint32_t)data[i + 1] << 8;
        }
        if (n > 2) {
            v |= data[i + 2];
        }
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        if (n > 1) {
            out[o++] = b64url_alphabet[(v >> 6) & 63];
        }
        if (n > 2) {
            out[o++] = b64url_alphabet[v & 63];
        }
    }
    out[o] = '\0';
    return out;
}

static int b64url_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-' || c == '+') {
        return 62;
    }
    if (c == '_' || c == '/') {
        return 63;
    }
    return -1;
}

parley_status parley_b64url_decode(const char *text, uint8_t **out, size_t *out_len,
                                   parley_error *err) {
    *out = NULL;
    *out_len = 0;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '=') {
        len--;
    }
    if (len % 4 == 1) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "not base64url: bad length");
    }
    uint8_t *buf = malloc(len / 4 * 3 + 3);
    if (buf == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "out of memory");
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(text[i]);
        if (v < 0) {
            free(buf);
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "not base64url: bad character");
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *out_len = o;
    return PARLEY_OK;
}

/* ---- keys ------------------------------------------------------------------ */

static EVP_PKEY *key_from_data(const uint8_t *priv, const uint8_t *pub) {
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *d = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (bld == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)) {
        goto done;
    }
    if (pub != NULL &&
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, PUB_LEN)) {
        goto done;
    }
    if (priv != NULL) {
        d = BN_bin2bn(priv, PRIV_LEN, NULL);
        if (d == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) {
            goto done;
        }
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) <= 0) {
        pkey = NULL;
    }
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

parley_status parley_webpush_public_key(const uint8_t private_key[PRIV_LEN],
                                        uint8_t public_key[PUB_LEN], parley_error *err) {
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *point = group != NULL ? EC_POINT_new(group) : NULL;
    BIGNUM *d = BN_bin2bn(private_key, PRIV_LEN, NULL);
    bool ok = point != NULL && d != NULL && !BN_is_zero(d) &&
              BN_cmp(d, EC_GROUP_get0_order(group)) < 0 &&
              EC_POINT_mul(group, point, d, NULL, NULL, NULL) == 1 &&
              EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, public_key, PUB_LEN,
                                 NULL) == PUB_LEN;
    BN_clear_free(d);
    EC_POINT_free(point);
    EC_GROUP_free(group);
    return ok ? PARLEY_OK
              : parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                 "webpush: not a P-256 private key");
}

static bool key_export(EVP_PKEY *pkey, uint8_t *priv, uint8_t *pub) {
    BIGNUM *d = NULL;
    size_t pub_len = 0;
    bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
              BN_bn2binpad(d, priv, PRIV_LEN) == PRIV_LEN &&
              EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, PUB_LEN,
                                              &pub_len) == 1 &&
              pub_len == PUB_LEN && pub[0] == 0x04;
    BN_clear_free(d);
    return ok;
}

parley_status parley_webpush_generate_key(uint8_t private_key[PRIV_LEN],
                                          uint8_t public_key[PUB_LEN], parley_error *err) {
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    bool ok = pkey != NULL && key_export(pkey, private_key, public_key);
    EVP_PKEY_free(pkey);
    return ok ? PARLEY_OK : crypto_fail(err, "key generation");
}

/* ---- RFC 8291 ---------------------------------------------------------------- */

static bool ecdh(const uint8_t *priv, const uint8_t *priv_pub, const uint8_t *peer_pub,
                 uint8_t secret[32]) {
    EVP_PKEY *mine = key_from_data(priv, priv_pub);
    EVP_PKEY *peer = key_from_data(NULL, peer_pub);
    EVP_PKEY_CTX *ctx = mine != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL) : NULL;
    size_t len = 32;
    bool ok = ctx != NULL && peer != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
              EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, secret, &len) == 1 &&
              len == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(mine);
    return ok;
}

/* HKDF-SHA256 (RFC 5869) with the "HKDF" EVP_KDF. OSSL_PARAM wants
 * writable pointers: the inputs are copied to the stack (at most 32, 16
 * and 160 bytes here). */
static bool hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
    uint8_t salt_copy[32], ikm_copy[32], info_copy[160];
    char digest[] = "SHA256";
    if (salt_len > sizeof salt_copy || ikm_len > sizeof ikm_copy || info_len > sizeof info_copy) {
        return false;
    }
    memcpy(salt_copy, salt, salt_len);
    memcpy(ikm_copy, ikm, ikm_len);
    memcpy(info_copy, info, info_len);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_copy, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy, info_len),
        OSSL_PARAM_construct_end(),
    };
    bool ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    OPENSSL_cleanse(ikm_copy, sizeof ikm_copy);
    return ok;
}

/* The content encryption key and nonce of RFC 8291 section 3.4:
 * IKM = HKDF(auth, ecdh, "WebPush: info" 0 ua_public as_public, 32), then
 * CEK = HKDF(salt, IKM, "Content-Encoding: aes128gcm" 0, 16) and
 * NONCE = HKDF(salt, IKM, "Content-Encoding: nonce" 0, 12) (one record:
 * its sequence number 0 leaves the nonce as is). */
static bool derive_keys(const uint8_t secret[32], const uint8_t *auth, const uint8_t *ua_public,
                        const uint8_t *as_public, const uint8_t *salt, uint8_t cek[16],
                        uint8_t nonce[12]) {
    static const char key_info[] = "WebPush: info"; /* sizeof counts the 0 */
    static const char cek_info[] = "Content-Encoding: aes128gcm";
    static const char nonce_info[] = "Content-Encoding: nonce";
    uint8_t info[sizeof key_info + 2 * PUB_LEN];
    memcpy(info, key_info, sizeof key_info);
    memcpy(info + sizeof key_info, ua_public, PUB_LEN);
    memcpy(info + sizeof key_info + PUB_LEN, as_public, PUB_LEN);
    uint8_t ikm[32];
    bool ok = hkdf(auth, PARLEY_WEBPUSH_AUTH_LEN, secret, 32, info, sizeof info, ikm, 32) &&
              hkdf(salt, PARLEY_WEBPUSH_SALT_LEN, ikm, 32, (const uint8_t *)cek_info,
                   sizeof cek_info, cek, 16) &&
              hkdf(salt, PARLEY_WEBPUSH_SALT_LEN, ikm, 32, (const uint8_t *)nonce_info,
                   sizeof nonce_info, nonce, 12);
    OPENSSL_cleanse(ikm, sizeof ikm);
    return ok;
}

static bool aes_gcm(bool encrypt, const uint8_t cek[16], const uint8_t nonce[12], const uint8_t *in,
                    size_t in_len, uint8_t *out, uint8_t tag[TAG_LEN]) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int fin = 0;
    bool ok = ctx != NULL && in_len <= INT32_MAX &&
              EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, cek, nonce, encrypt ? 1 : 0) == 1 &&
              EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) == 1;
    if (ok && !encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    }
    ok = ok && EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == in_len;
    if (ok && encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

parley_status parley_webpush_encrypt_with(const uint8_t ua_public[PUB_LEN],
                                          const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                          const uint8_t as_private[PRIV_LEN],
                                          const uint8_t salt[PARLEY_WEBPUSH_SALT_LEN],
                                          const uint8_t *plaintext, size_t plaintext_len,
                                          uint8_t **body, size_t *body_len, parley_error *err) {
    *body = NULL;
    *body_len = 0;
    if (plaintext_len > PARLEY_WEBPUSH_PLAINTEXT_MAX) {
        return parley_error_set(err, PARLEY_E_TOO_LARGE, "payload_too_large",
                                "webpush: a payload of %zu bytes is over the %d a record holds",
                                plaintext_len, PARLEY_WEBPUSH_PLAINTEXT_MAX);
    }
    uint8_t as_public[PUB_LEN];
    if (parley_webpush_public_key(as_private, as_public, err) != PARLEY_OK) {
        return err->status;
    }
    uint8_t secret[32], cek[16], nonce[12];
    if (!ecdh(as_private, as_public, ua_public, secret)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "webpush: the subscription's p256dh is not a P-256 point");
    }
    bool ok = derive_keys(secret, auth, ua_public, as_public, salt, cek, nonce);
    OPENSSL_cleanse(secret, sizeof secret);
    size_t record_len = plaintext_len + 1;
    uint8_t *record = malloc(record_len);
    uint8_t *out = malloc(HEADER_LEN + record_len + TAG_LEN);
    if (record == NULL || out == NULL) {
        free(record);
        free(out);
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "out of memory");
    }
    if (plaintext_len > 0) {
        memcpy(record, plaintext, plaintext_len);
    }
    record[plaintext_len] = 0x02; /* the last record's padding delimiter */
    memcpy(out, salt, PARLEY_WEBPUSH_SALT_LEN);
    out[16] = (uint8_t)(PARLEY_WEBPUSH_RECORD_SIZE >> 24);
    out[17] = (uint8_t)(PARLEY_WEBPUSH_RECORD_SIZE >> 16);
    out[18] = (uint8_t)(PARLEY_WEBPUSH_RECORD_SIZE >> 8);
    out[19] = (uint8_t)(PARLEY_WEBPUSH_RECORD_SIZE & 0xff);
    out[20] = PUB_LEN;
    memcpy(out + 21, as_public, PUB_LEN);
    ok = ok && aes_gcm(true, cek, nonce, record, record_len, out + HEADER_LEN,
                       out + HEADER_LEN + record_len);
    OPENSSL_cleanse(cek, sizeof cek);
    free(record);
    if (!ok) {
        free(out);
        return crypto_fail(err, "encryption");
    }
    *body = out;
    *body_len = HEADER_LEN + record_len + TAG_LEN;
    return PARLEY_OK;
}

parley_status parley_webpush_encrypt(const uint8_t ua_public[PUB_LEN],
                                     const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                     const uint8_t *plaintext, size_t plaintext_len, uint8_t **body,
                                     size_t *body_len, parley_error *err) {
    uint8_t as_private[PRIV_LEN], as_public[PUB_LEN], salt[PARLEY_WEBPUSH_SALT_LEN];
    if (parley_webpush_generate_key(as_private, as_public, err) != PARLEY_OK) {
        return err->status;
    }
    if (RAND_bytes(salt, sizeof salt) != 1) {
        OPENSSL_cleanse(as_private, sizeof as_private);
        return crypto_fail(err, "RAND_bytes");
    }
    parley_status st = parley_webpush_encrypt_with(ua_public, auth, as_private, salt, plaintext,
                                                   plaintext_len, body, body_len, err);
    OPENSSL_cleanse(as_private, sizeof as_private);
    return st;
}

parley_status parley_webpush_decrypt(const uint8_t ua_private[PRIV_LEN],
                                     const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                     const uint8_t *body, size_t body_len, uint8_t **plaintext,
                                     size_t *plaintext_len, parley_error *err) {
    *plaintext = NULL;
    *plaintext_len = 0;
    if (body_len < HEADER_LEN + TAG_LEN + 1 || body[20] != PUB_LEN) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "webpush: not an aes128gcm body with a P-256 key id");
    }
    uint32_t rs =
        (uint32_t)body[16] << 24 | (uint32_t)body[17] << 16 | (uint32_t)body[18] << 8 | body[19];
    size_t record_len = body_len - HEADER_LEN - TAG_LEN;
    if (record_len + TAG_LEN > rs) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "webpush: more than one record");
    }
    uint8_t ua_public[PUB_LEN];
    if (parley_webpush_public_key(ua_private, ua_public, err) != PARLEY_OK) {
        return err->status;
    }
    const uint8_t *as_public = body + 21;
    uint8_t secret[32], cek[16], nonce[12], tag[TAG_LEN];
    if (!ecdh(ua_private, ua_public, as_public, secret)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "webpush: the key id is not a P-256 point");
    }
    bool ok = derive_keys(secret, auth, ua_public, as_public, body, cek, nonce);
    OPENSSL_cleanse(secret, sizeof secret);
    uint8_t *record = malloc(record_len);
    if (record == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "out of memory");
    }
    memcpy(tag, body + body_len - TAG_LEN, TAG_LEN);
    ok = ok && aes_gcm(false, cek, nonce, body + HEADER_LEN, record_len, record, tag);
    OPENSSL_cleanse(cek, sizeof cek);
    size_t end = record_len;
    while (ok && end > 0 && record[end - 1] == 0) {
        end--;
    }
    if (!ok || end == 0 || record[end - 1] != 0x02) {
        free(record);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "webpush: the body does not decrypt (or no 0x02 delimiter)");
    }
    *plaintext = record;
    *plaintext_len = end - 1;
    return PARLEY_OK;
}

/* ---- RFC 8292 ---------------------------------------------------------------- */

static bool claim_ok(const char *s) {
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) {
            return false;
        }
    }
    return true;
}

/* ES256 over data: EVP_DigestSign gives a DER ECDSA-Sig-Value; JOSE wants
 * r || s, each 32 bytes big-endian. */
static bool es256(const uint8_t *priv, const char *data, uint8_t sig[64]) {
    uint8_t pub[PUB_LEN];
    parley_error ignored = {0};
    if (parley_webpush_public_key(priv, pub, &ignored) != PARLEY_OK) {
        return false;
    }
    EVP_PKEY *pkey = key_from_data(priv, pub);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    bool ok = pkey != NULL && md != NULL &&
              EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
              EVP_DigestSign(md, der, &der_len, (const uint8_t *)data, strlen(data)) == 1;
    ECDSA_SIG *es = NULL;
    if (ok) {
        const uint8_t *p = der;
        es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        ok = es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
             BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
    }
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return ok;
}

parley_status parley_vapid_jwt(const uint8_t private_key[PRIV_LEN], const char *aud,
                               const char *sub, int64_t exp, char **jwt, parley_error *err) {
    *jwt = NULL;
    if (!claim_ok(aud) || !claim_ok(sub)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "vapid: aud and sub may not hold quotes, backslashes or controls");
    }
    static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
    size_t claims_size = strlen(aud) + strlen(sub) + 64;
    char *claims = malloc(claims_size);
    if (claims == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, "out_of_memory", "out of memory");
    }
    snprintf(claims, claims_size, "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", aud,
             (long long)exp, sub);
    char *h64 = parley_b64url_encode((const uint8_t *)header, strlen(header));
    char *c64 = parley_b64url_encode((const uint8_t *)claims, strlen(claims));
    free(claims);
    char *out = NULL;
    char *s64 = NULL;
    if (h64 != NULL && c64 != NULL) {
        size_t size = strlen(h64) + strlen(c64) + 2 + 88;
        out = malloc(size);
        if (out != NULL) {
            snprintf(out, size, "%s.%s", h64, c64);
            uint8_t sig[64];
            if (es256(private_key, out, sig) && (s64 = parley_b64url_encode(sig, 64)) != NULL) {
                strcat(out, ".");
                strcat(out, s64);
            } else {
                free(out);
                out = NULL;
            }
        }
    }
    free(h64);
    free(c64);
    free(s64);
    if (out == NULL) {
        return crypto_fail(err, "the VAPID signature");
    }
    *jwt = out;
    return PARLEY_OK;
}

parley_status parley_webpush_origin(const char *endpoint, char *out, size_t out_size,
                                    parley_error *err) {
    const char *rest = NULL;
    if (strncmp(endpoint, "https://", 8) == 0) {
        rest = endpoint + 8;
    } else if (strncmp(endpoint, "http://", 7) == 0) {
        rest = endpoint + 7;
    }
    size_t host_len = rest != NULL ? strcspn(rest, "/?#") : 0;
    size_t len = (size_t)(rest - endpoint) + host_len;
    if (rest == NULL || host_len == 0 || len >= out_size || memchr(rest, '@', host_len) != NULL ||
        !claim_ok(endpoint)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "endpoint: an http(s) URL with a host is required");
    }
    memcpy(out, endpoint, len);
    out[len] = '\0';
    return PARLEY_OK;
}
