/*
 * transcript.h - a session's conversation as one downloadable document:
 * every delivered message in seq order with its time, its sender's name
 * and kind, its text, its translations and its attachment (name, type,
 * size, link), as plain text or JSON.
 *
 * What is never in it: messages a strategy refused (they are not in the
 * conversation: flagged_messages), and the text as sent before a strategy
 * changed it (original_content, an admin-only view).
 *
 * Who may have it: the session's customer and staff (transcript.read);
 * others get 404 for sessions outside their scope.
 *
 * Threads: runs on a worker thread with that thread's service (reads only).
 * Ownership: *out is a malloc'd buffer the caller frees.
 */
#ifndef PARLEY_TRANSCRIPT_H
#define PARLEY_TRANSCRIPT_H

#include <stddef.h>

#include "core/chat_service.h"

typedef enum parley_transcript_format {
    PARLEY_TRANSCRIPT_TXT = 0,
    PARLEY_TRANSCRIPT_JSON
} parley_transcript_format;

/* "txt" / "json" -> format; false for anything else. */
bool parley_transcript_format_from_name(const char *name, parley_transcript_format *out);

parley_status parley_chat_transcript(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, parley_transcript_format format,
                                     char **out, size_t *out_len, parley_session *session_out,
                                     parley_error *err);

#endif
