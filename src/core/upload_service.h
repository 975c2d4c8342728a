/*
 * upload_service.h - the rules of uploaded files (attachments): which types
 * may be stored, how a file name is made safe, who may read an upload, and
 * the record of one in the repository.
 *
 * The bytes themselves are not the core's business: the net layer sniffs
 * their type (net/http/mime_sniff.h) and writes them to the content-addressed
 * store (storage/file_store.h) before it asks this service to record the
 * upload; the service decides whether the sniffed type is allowed.
 *
 * An upload belongs to its uploader until one message references it (the
 * message send claims it, chat_service.c); from then on whoever may read
 * that message's session may read the upload, and nobody else (404).
 *
 * Threads: functions taking a parley_chat_service run on that service's
 * worker thread; the pure helpers (type check, name sanitising, JSON) are
 * thread-safe.
 */
#ifndef PARLEY_UPLOAD_SERVICE_H
#define PARLEY_UPLOAD_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/chat_service.h"

/* A sanitised file name is at most this many bytes (UTF-8), NUL excluded. */
#define PARLEY_UPLOAD_NAME_MAX 200

/* Is mime (as sniffed) in the comma-separated allowlist? Types that can
 * carry script when opened in a browser (HTML, XHTML, SVG, XML) are never
 * allowed, whatever the list says. Case-insensitive, exact matches only. */
bool parley_upload_type_allowed(const char *allowlist, const char *mime);

/* Makes a client's file name safe to store and to put in a header: only
 * the last path component, valid UTF-8 only (bad bytes become '_'), no
 * control characters, none of " \ / : * ? < > | (each becomes '_'), no
 * leading dots or spaces, at most PARLEY_UPLOAD_NAME_MAX bytes cut at a
 * character boundary. An empty result becomes fallback ("file", or a
 * name derived from the type by the caller). out needs
 * PARLEY_UPLOAD_NAME_MAX + 1 bytes. */
void parley_upload_sanitize_name(const char *in, size_t len, const char *fallback,
                                 char out[PARLEY_UPLOAD_NAME_MAX + 1]);

/* What the net layer learnt of a stored file. */
typedef struct parley_upload_input {
    const char *sha256; /* hex of the stored bytes */
    int64_t size;
    const char *mime; /* sniffed */
    const char *name; /* sanitised */
} parley_upload_input;

/* Before any work on an upload: the role (upload.create) and the caller's
 * upload allowance (--limit-uploads-per-minute, 429): each upload costs
 * disk, so a participant may not fill it at line rate. */
parley_status parley_upload_admit(parley_chat_service *svc, const parley_participant *caller,
                                  parley_error *err);

/* Checks the role (upload.create), the size and the type against the
 * configuration, then records the upload as the caller's. 413
 * payload_too_large, 415 unsupported_media_type. */
parley_status parley_upload_check(const parley_config *config, const char *mime, int64_t size,
                                  parley_error *err);
parley_status parley_upload_record(parley_chat_service *svc, const parley_participant *caller,
                                   const parley_upload_input *in, parley_upload *out,
                                   parley_error *err);

/* One upload, if the caller may read it (its uploader before it is
 * attached; afterwards who may read its session); otherwise 404. */
parley_status parley_upload_get(parley_chat_service *svc, const parley_participant *caller,
                                const char *upload_id, parley_upload *out, parley_error *err);

/* For a message send: the caller's own upload, not yet attached, fitting
 * the message type (an image message needs an image). *type is set from
 * the upload when the sender gave none. */
parley_status parley_upload_for_message(parley_chat_service *svc, const parley_participant *caller,
                                        const char *upload_id, bool type_given,
                                        parley_message_type *type, parley_upload *out,
                                        parley_error *err);

/* {id, name, mime, size, sha256, url, message_id, session_id, created_at} */
json_t *parley_upload_to_json(const parley_upload *u);
/* The short form a message carries: {id, name, mime, size, url}. */
json_t *parley_attachment_to_json(const parley_upload *u);

#endif
