#include "core/password.h"

#include "util/validate.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

parley_status parley_password_check_policy(const char *password, parley_error *err) {
    size_t bytes = password != NULL ? strlen(password) : 0;
    if (bytes > PARLEY_PASSWORD_MAX_LENGTH) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "password: at most %d bytes are allowed",
                                PARLEY_PASSWORD_MAX_LENGTH);
    }
    if (!parley_utf8_valid(password != NULL ? password : "", bytes)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "password: not valid UTF-8");
    }
    /* the minimum is in characters, as people count them */
    size_t length = parley_utf8_length(password != NULL ? password : "", bytes);
    if (length < PARLEY_PASSWORD_MIN_LENGTH) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "password: at least %d characters are required",
                                PARLEY_PASSWORD_MIN_LENGTH);
    }
    return PARLEY_OK;
}

parley_status parley_password_hash(const char *password, int64_t memlimit_kib,
                                   char out[PARLEY_PASSWORD_HASH_SIZE], parley_error *err) {
    if (memlimit_kib < PARLEY_PASSWORD_MIN_MEMLIMIT_KIB) {
        memlimit_kib = PARLEY_PASSWORD_MIN_MEMLIMIT_KIB;
    }
    char hashed[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hashed, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE, (size_t)memlimit_kib * 1024u,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "password hashing ran out of memory");
    }
    snprintf(out, PARLEY_PASSWORD_HASH_SIZE, "%s", hashed);
    return PARLEY_OK;
}

bool parley_password_verify(const char *password, const char *stored_hash) {
    if (password == NULL || stored_hash == NULL) {
        return false;
    }
    return crypto_pwhash_str_verify(stored_hash, password, strlen(password)) == 0;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PARLEY_PASSWORD_HASH_SIZE];
static int64_t dummy_memlimit_kib;

static void make_dummy_hash(void) {
    unsigned char random[24];
    char password[64];
    randombytes_buf(random, sizeof random);
    sodium_bin2hex(password, sizeof password, random, sizeof random);
    if (parley_password_hash(password, dummy_memlimit_kib, dummy_hash, NULL) != PARLEY_OK) {
        dummy_hash[0] = '\0';
    }
    sodium_memzero(password, sizeof password);
}

const char *parley_password_dummy_hash(int64_t memlimit_kib) {
    dummy_memlimit_kib = memlimit_kib;
    pthread_once(&dummy_once, make_dummy_hash);
    return dummy_hash;
}
