/*
 * password.h - argon2id password hashing (libsodium's crypto_pwhash_str).
 *
 * The stored string encodes algorithm, parameters and salt, so parameters
 * can rise later without breaking old hashes. Passwords are never logged
 * and are wiped from the buffers this module owns.
 * Thread-safety: any thread; each call allocates memlimit_kib of memory
 * for its duration, so callers keep it off the event-loop thread.
 */
#ifndef PARLEY_PASSWORD_H
#define PARLEY_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define PARLEY_PASSWORD_MIN_LENGTH 8
#define PARLEY_PASSWORD_MAX_LENGTH 1024
#define PARLEY_PASSWORD_HASH_SIZE 128
/* OWASP's floor for argon2id: 19 MiB, 2 iterations. */
#define PARLEY_PASSWORD_MIN_MEMLIMIT_KIB 19456

/* Checks length rules; PARLEY_E_INVALID with a message when broken. */
parley_status parley_password_check_policy(const char *password, parley_error *err);

parley_status parley_password_hash(const char *password, int64_t memlimit_kib,
                                   char out[PARLEY_PASSWORD_HASH_SIZE], parley_error *err);

/* Constant-time verification; false for any mismatch or malformed hash. */
bool parley_password_verify(const char *password, const char *stored_hash);

/* A syntactically valid hash of a random password, verified against when the
 * e-mail is unknown so both failures cost the same time. */
const char *parley_password_dummy_hash(int64_t memlimit_kib);

#endif
