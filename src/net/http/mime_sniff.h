/*
 * mime_sniff.h - what an uploaded file really is, read from its bytes by
 * libmagic; the type a client declares is never trusted.
 *
 * libmagic's handle (magic_t) is not thread-safe, and loading its database
 * costs tens of milliseconds, so the process has one handle, loaded once
 * on first use, and a mutex around every lookup (a lookup is microseconds
 * next to the upload's fsync).
 *
 * Threads: any worker thread. Never the event-loop thread (the first call
 * reads the magic database from disk).
 */
#ifndef PARLEY_MIME_SNIFF_H
#define PARLEY_MIME_SNIFF_H

#include <stddef.h>

#include "util/error.h"
#include "core/model.h"

/* Writes the MIME type of data ("image/png", "text/html", ...) to out.
 * PARLEY_E_UNAVAILABLE when libmagic cannot be loaded. */
parley_status parley_mime_sniff(const void *data, size_t len, char out[PARLEY_MIME_SIZE],
                                parley_error *err);

#endif
