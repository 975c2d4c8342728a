/*
 * ids.h - identifiers, bearer-token secrets and clocks.
 *
 * IDs are "<prefix>_<26 base32 chars>" made of 128 random bits from
 * libsodium's CSPRNG, so they are unguessable and never collide in practice.
 * Thread-safety: every function is safe on any thread once
 * parley_crypto_init() has succeeded (it is called once at start).
 */
#ifndef PARLEY_IDS_H
#define PARLEY_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"

/* Initialises libsodium; false when the CSPRNG is unusable. */
bool parley_crypto_init(void);

/* Writes a new random id with the given short prefix ("cus", "ses", ...). */
void parley_id_new(const char *prefix, char out[PARLEY_ID_SIZE]);

/* Like parley_id_new, same length and alphabet, but time-ordered: the first
 * 10 digits are the current time in milliseconds (48 bits), the other 16
 * are 80 random bits. Ids made later sort after (within a millisecond, in
 * any order), so an index keyed by them grows at its end instead of
 * dirtying a random page per insert (messages, issue 11). */
void parley_id_new_timed(const char *prefix, char out[PARLEY_ID_SIZE]);

/* A bearer token secret: "pt_" + 43 base64url chars (256 random bits). */
#define PARLEY_TOKEN_SIZE 64
void parley_token_new(char out[PARLEY_TOKEN_SIZE]);

/* SHA-256 of a token secret as 64 lowercase hex digits; the only form in
 * which tokens are stored. */
void parley_token_hash(const char *token, char out[PARLEY_TOKEN_HASH_SIZE]);

/* Wall clock in ms since the epoch (UTC). */
parley_time_ms parley_now_ms(void);

/* Formats as RFC 3339 UTC with milliseconds: 2026-11-24T05:49:19.123Z.
 * out must hold at least PARLEY_TIME_TEXT_SIZE bytes. */
#define PARLEY_TIME_TEXT_SIZE 32
void parley_time_format(parley_time_ms t, char out[PARLEY_TIME_TEXT_SIZE]);

#endif
