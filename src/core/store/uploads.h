/*
 * store/uploads.h - the uploads aggregate: the metadata rows of stored
 * attachment files (the bytes are the file store's).
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->uploads at its parley_uploads_ops; callers write
 * repo->uploads->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/uploads.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_UPLOADS_H
#define PARLEY_STORE_UPLOADS_H

#include <stdbool.h>

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_uploads_ops {
    /* uploads (attachments): the metadata row of a stored file */
    parley_status (*insert)(parley_repository *repo, const parley_upload *u, parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_upload *out,
                         parley_error *err);
    /* Marks the upload as referenced by message_id in session_id, only if
     * uploader_id uploaded it and no message references it yet; otherwise
     * PARLEY_E_CONFLICT. Runs in the unit that inserts the message. */
    parley_status (*attach)(parley_repository *repo, const char *id, const char *uploader_id,
                            const char *message_id, const char *session_id, parley_error *err);
    /* whether any upload row names this content hash */
    parley_status (*hash_in_use)(parley_repository *repo, const char *sha256, bool *in_use,
                                 parley_error *err);
} parley_uploads_ops;

#endif
