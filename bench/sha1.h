/*
 * sha1.h - SHA-1, needed only to check the server's Sec-WebSocket-Accept
 * header during the WebSocket handshake (RFC 6455 section 4.2.2). libsodium
 * offers no SHA-1, and this is not used for anything security-relevant.
 *
 * Ownership: pure function over caller buffers. Threads: any.
 */
#ifndef PB_SHA1_H
#define PB_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define PB_SHA1_DIGEST_SIZE 20

void pb_sha1(const void *data, size_t len, uint8_t out[PB_SHA1_DIGEST_SIZE]);

#endif
