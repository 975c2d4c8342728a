#include "core/ids.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool parley_crypto_init(void) {
    return sodium_init() >= 0;
}

/* Crockford base32: no I, L, O, U, so ids read back unambiguously. */
static const char base32_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* IDs are made for every message, so their randomness is drawn from the
 * CSPRNG in bulk (one call per 256 IDs) instead of one system call each.
 * The bytes are the CSPRNG's own output, used once; tokens keep drawing
 * directly. */
static void id_random(unsigned char *out, size_t n) {
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t available;
    if (available < n) {
        randombytes_buf(pool, sizeof pool);
        available = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - available, n);
    sodium_memzero(pool + sizeof pool - available, n);
    available -= n;
}

/* Writes the bytes as base32 digits after "<prefix>_" (and the time digits
 * before them when there are any), 5 bits at a time, and terminates. */
static void id_write(const char *prefix, const char *time_digits, const unsigned char *random,
                     size_t n, char out[PARLEY_ID_SIZE]) {
    size_t pos = (size_t)snprintf(out, PARLEY_ID_SIZE, "%s_%s", prefix, time_digits);
    if (pos >= PARLEY_ID_SIZE) {
        pos = PARLEY_ID_SIZE - 1;
    }
    unsigned int buffer = 0;
    int bits = 0;
    for (size_t i = 0; i < n && pos + 1 < PARLEY_ID_SIZE; i++) {
        buffer = (buffer << 8) | random[i];
        bits += 8;
        while (bits >= 5 && pos + 1 < PARLEY_ID_SIZE) {
            out[pos++] = base32_alphabet[(buffer >> (bits - 5)) & 31u];
            bits -= 5;
        }
    }
    if (bits > 0 && pos + 1 < PARLEY_ID_SIZE) {
        out[pos++] = base32_alphabet[(buffer << (5 - bits)) & 31u];
    }
    out[pos] = '\0';
}

void parley_id_new(const char *prefix, char out[PARLEY_ID_SIZE]) {
    /* 128 bits -> 26 base32 digits */
    unsigned char random[16];
    id_random(random, sizeof random);
    id_write(prefix, "", random, sizeof random, out);
}

void parley_id_new_timed(const char *prefix, char out[PARLEY_ID_SIZE]) {
    /* 48 bits of milliseconds -> 10 digits (the top 2 of 50 bits are 0
     * until the year 10889), then 80 random bits -> 16 digits */
    uint64_t ms = (uint64_t)parley_now_ms() & ((UINT64_C(1) << 48) - 1);
    char time_digits[11];
    for (int i = 9; i >= 0; i--) {
        time_digits[i] = base32_alphabet[ms & 31u];
        ms >>= 5;
    }
    time_digits[10] = '\0';
    unsigned char random[10];
    id_random(random, sizeof random);
    id_write(prefix, time_digits, random, sizeof random, out);
}

void parley_token_new(char out[PARLEY_TOKEN_SIZE]) {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    memcpy(out, "pt_", 3);
    sodium_bin2base64(out + 3, PARLEY_TOKEN_SIZE - 3, random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
}

void parley_token_hash(const char *token, char out[PARLEY_TOKEN_HASH_SIZE]) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, PARLEY_TOKEN_HASH_SIZE, digest, sizeof digest);
}

parley_time_ms parley_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (parley_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void parley_time_format(parley_time_ms t, char out[PARLEY_TIME_TEXT_SIZE]) {
    time_t seconds = (time_t)(t / 1000);
    int millis = (int)(t % 1000);
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    struct tm tm;
    gmtime_r(&seconds, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, PARLEY_TIME_TEXT_SIZE, "%s.%03dZ", date, millis);
}
