/*
 * lifecycle.h - the desk's own session rules over time: idle sessions are
 * closed after the `sessions.auto_close_idle_seconds` setting (0 = never).
 *
 * The server's timer runs parley_lifecycle_close_idle as a batched job on
 * the writer, so the scan and the closes are one unit and see every
 * committed message. Each close posts a system message, emits
 * session.updated and asks the customer for feedback (chat_service.h).
 *
 * Threads: the writer thread, with its chat service.
 */
#ifndef PARLEY_LIFECYCLE_H
#define PARLEY_LIFECYCLE_H

#include <stddef.h>

#include "core/chat_service.h"

/* Sessions closed per run at most; the next tick takes the rest. */
#define PARLEY_LIFECYCLE_BATCH 50

#define PARLEY_SETTING_AUTO_CLOSE "sessions.auto_close_idle_seconds"

/* Closes the sessions idle longer than the setting at time now; *closed
 * gets how many. */
parley_status parley_lifecycle_close_idle(parley_chat_service *svc, parley_time_ms now,
                                          size_t *closed, parley_error *err);

/* "closed after 2 minutes without activity" (minutes when whole, else
 * seconds), for the system message; out holds at least 96 bytes. */
void parley_lifecycle_notice(int64_t idle_seconds, char *out, size_t out_size);

#endif
