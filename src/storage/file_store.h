/*
 * file_store.h - uploaded files on disk, addressed by content:
 * <root>/ab/cd/<sha256 hex> (root is <data-dir>/uploads).
 *
 * The same bytes are stored once (a second upload of them finds the file
 * already there). A file appears whole or not at all: it is written to a
 * temporary file in its final directory, fsynced, then renamed into place,
 * and the directory is fsynced so the rename survives a power loss.
 *
 * Ownership: read hands the caller a malloc'd buffer. Threads: any worker
 * thread (plain file I/O, no shared state; rename makes concurrent puts of
 * the same content safe). Never on the event-loop thread.
 */
#ifndef PARLEY_FILE_STORE_H
#define PARLEY_FILE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "core/model.h"

/* The SHA-256 of data as 64 lowercase hex digits. */
void parley_file_store_hash(const void *data, size_t len, char hex[PARLEY_SHA256_HEX_SIZE]);

/* Stores data under its hash (computed here, written to hex). */
parley_status parley_file_store_put(const char *root, const void *data, size_t len,
                                    char hex[PARLEY_SHA256_HEX_SIZE], parley_error *err);

/* Reads the whole file of that hash; PARLEY_E_NOT_FOUND when it is gone,
 * PARLEY_E_STORAGE when it is not what its name says (size mismatch). */
parley_status parley_file_store_read(const char *root, const char *hex, int64_t expected_size,
                                     char **data, size_t *len, parley_error *err);

/* Removes the file of that hash; one already gone is fine (PARLEY_OK,
 * *removed false). Only for a hash no upload row names any more, after
 * the deletion of the last such row committed (core/retention.h): the
 * caller owns that check, this only unlinks. */
parley_status parley_file_store_remove(const char *root, const char *hex, bool *removed,
                                       parley_error *err);

/* Whether the file of that hash is there with that size. */
bool parley_file_store_has(const char *root, const char *hex, int64_t size);

#endif
