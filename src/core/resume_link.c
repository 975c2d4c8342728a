/*
 * resume_link.c - signing and checking the conversation link
 * (resume_link.h).
 */
#include "core/resume_link.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void hmac(const char *secret, const char *message, size_t len,
                 unsigned char out[crypto_auth_hmacsha256_BYTES]) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)message, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

static void mac(const char *secret, const char *session_id, int64_t expires_s,
                unsigned char out[crypto_auth_hmacsha256_BYTES]) {
    char message[160];
    int n = snprintf(message, sizeof message, "parley-resume:%s:%lld", session_id,
                     (long long)expires_s);
    hmac(secret, message,
         n < 0                        ? 0
         : (size_t)n < sizeof message ? (size_t)n
                                      : sizeof message - 1,
         out);
}

void parley_password_reset_token(const char *secret, const char *reset_id,
                                 char token_out[PARLEY_RESUME_SIG_SIZE]) {
    char message[160];
    int n = snprintf(message, sizeof message, "parley-password-reset:%s", reset_id);
    unsigned char raw[crypto_auth_hmacsha256_BYTES];
    hmac(secret, message,
         n < 0                        ? 0
         : (size_t)n < sizeof message ? (size_t)n
                                      : sizeof message - 1,
         raw);
    sodium_bin2hex(token_out, PARLEY_RESUME_SIG_SIZE, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

void parley_resume_link_sign(const char *secret, const char *session_id, int64_t expires_s,
                             char sig_out[PARLEY_RESUME_SIG_SIZE]) {
    unsigned char raw[crypto_auth_hmacsha256_BYTES];
    mac(secret, session_id, expires_s, raw);
    sodium_bin2hex(sig_out, PARLEY_RESUME_SIG_SIZE, raw, sizeof raw);
}

bool parley_resume_link_verify(const char *secret, const char *session_id, int64_t expires_s,
                               const char *sig, int64_t now_s) {
    unsigned char given[crypto_auth_hmacsha256_BYTES];
    size_t given_len = 0;
    if (sig == NULL || session_id == NULL || strlen(sig) != 2 * sizeof given ||
        sodium_hex2bin(given, sizeof given, sig, strlen(sig), NULL, &given_len, NULL) != 0 ||
        given_len != sizeof given) {
        return false;
    }
    unsigned char expected[crypto_auth_hmacsha256_BYTES];
    mac(secret, session_id, expires_s, expected);
    /* the signature first, in constant time; then the expiry */
    bool ok = sodium_memcmp(given, expected, sizeof expected) == 0;
    return ok && now_s <= expires_s;
}
