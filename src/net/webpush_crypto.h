/*
 * webpush_crypto.h - the cryptography of web push, pure (no I/O): RFC 8291
 * message encryption (aes128gcm content coding of RFC 8188, ECDH P-256,
 * HKDF-SHA256) and RFC 8292 VAPID (an ES256 JWT), on OpenSSL 3's EVP APIs
 * only (docs/subsystems/notifications.md, "Web push").
 *
 * Ownership: every output buffer is malloc'd and the caller's (free()).
 * Keys go in and out as raw bytes: a P-256 private key is its 32-byte
 * scalar, a public key its 65-byte uncompressed point (0x04 || X || Y),
 * as the Push API hands them to a page (p256dh) and as VAPID's k= wants.
 *
 * Threads: any; no state is kept between calls.
 */
#ifndef PARLEY_WEBPUSH_CRYPTO_H
#define PARLEY_WEBPUSH_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define PARLEY_WEBPUSH_PUBLIC_KEY_LEN 65
#define PARLEY_WEBPUSH_PRIVATE_KEY_LEN 32
#define PARLEY_WEBPUSH_AUTH_LEN 16
#define PARLEY_WEBPUSH_SALT_LEN 16
/* The record size written in the header (one record: the whole message). */
#define PARLEY_WEBPUSH_RECORD_SIZE 4096
/* The largest plaintext one record can hold: rs - 16 (tag) - 1 (delimiter). */
#define PARLEY_WEBPUSH_PLAINTEXT_MAX (PARLEY_WEBPUSH_RECORD_SIZE - 17)

/* base64url without padding (RFC 4648 section 5), as web push writes keys.
 * encode: NUL-terminated, malloc'd. decode: accepts padding or not; NULL
 * out on a bad character. */
char *parley_b64url_encode(const uint8_t *data, size_t len);
parley_status parley_b64url_decode(const char *text, uint8_t **out, size_t *out_len,
                                   parley_error *err);

/* RFC 8291 with the application server's ephemeral key and the salt
 * given (the known-answer test's form): body = salt(16) || rs(4, 4096) ||
 * idlen(1, 65) || as_public(65) || AES-128-GCM(plaintext || 0x02) with
 * its tag. plaintext_len <= PARLEY_WEBPUSH_PLAINTEXT_MAX. */
parley_status parley_webpush_encrypt_with(const uint8_t ua_public[PARLEY_WEBPUSH_PUBLIC_KEY_LEN],
                                          const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                          const uint8_t as_private[PARLEY_WEBPUSH_PRIVATE_KEY_LEN],
                                          const uint8_t salt[PARLEY_WEBPUSH_SALT_LEN],
                                          const uint8_t *plaintext, size_t plaintext_len,
                                          uint8_t **body, size_t *body_len, parley_error *err);

/* The same with a fresh ephemeral key pair and a random salt (OpenSSL's
 * CSPRNG): what the push channel sends. */
parley_status parley_webpush_encrypt(const uint8_t ua_public[PARLEY_WEBPUSH_PUBLIC_KEY_LEN],
                                     const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                     const uint8_t *plaintext, size_t plaintext_len, uint8_t **body,
                                     size_t *body_len, parley_error *err);

/* The user agent's side (the tests'): decrypts a one-record aes128gcm
 * body with the subscription's private key and auth secret and strips
 * the padding. */
parley_status parley_webpush_decrypt(const uint8_t ua_private[PARLEY_WEBPUSH_PRIVATE_KEY_LEN],
                                     const uint8_t auth[PARLEY_WEBPUSH_AUTH_LEN],
                                     const uint8_t *body, size_t body_len, uint8_t **plaintext,
                                     size_t *plaintext_len, parley_error *err);

/* A new P-256 key pair (the VAPID key, generated at first start). */
parley_status parley_webpush_generate_key(uint8_t private_key[PARLEY_WEBPUSH_PRIVATE_KEY_LEN],
                                          uint8_t public_key[PARLEY_WEBPUSH_PUBLIC_KEY_LEN],
                                          parley_error *err);

/* The public key of a private scalar (checks a key read back from disk). */
parley_status parley_webpush_public_key(const uint8_t private_key[PARLEY_WEBPUSH_PRIVATE_KEY_LEN],
                                        uint8_t public_key[PARLEY_WEBPUSH_PUBLIC_KEY_LEN],
                                        parley_error *err);

/* RFC 8292: the VAPID JWT `header.claims.signature`, ES256 (the raw
 * r || s signature, 64 bytes, base64url), claims {"aud":aud,"exp":exp,
 * "sub":sub}. aud is the push service's origin (scheme://host[:port]),
 * sub a mailto: or https: URI; neither may hold '"' or '\\' or a control
 * character. */
parley_status parley_vapid_jwt(const uint8_t private_key[PARLEY_WEBPUSH_PRIVATE_KEY_LEN],
                               const char *aud, const char *sub, int64_t exp, char **jwt,
                               parley_error *err);

/* The origin of an https?:// endpoint URL ("https://push.example:8443"),
 * into out; PARLEY_E_INVALID when it is not one. */
parley_status parley_webpush_origin(const char *endpoint, char *out, size_t out_size,
                                    parley_error *err);

#endif
