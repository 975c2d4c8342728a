/*
 * store/messages.h - the messages aggregate: the delivered messages of a
 * session, by seq range, client id or id.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->messages at its parley_messages_ops; callers write
 * repo->messages->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/messages.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_MESSAGES_H
#define PARLEY_STORE_MESSAGES_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* Message range: seq > after_seq and (before_seq <= 0 or seq < before_seq),
 * ascending, at most limit. When only before_seq is given the newest
 * `limit` messages before it are returned, still in ascending order. */
typedef struct parley_message_range {
    int64_t after_seq;
    int64_t before_seq;
    int limit;
} parley_message_range;

typedef struct parley_messages_ops {
    /* messages; UNIQUE(session_id, seq) and UNIQUE(sender_kind, sender_id,
     * client_msg_id) -> PARLEY_E_CONFLICT */
    parley_status (*insert)(parley_repository *repo, const parley_message *m, parley_error *err);
    parley_status (*find_by_client_id)(parley_repository *repo, parley_participant_kind sender_kind,
                                       const char *sender_id, const char *client_msg_id,
                                       parley_message *out, parley_error *err);
    parley_status (*list)(parley_repository *repo, const char *session_id,
                          const parley_message_range *range, parley_message_list *out,
                          parley_error *err);
    /* messages by id (training, moderation) */
    parley_status (*get)(parley_repository *repo, const char *id, parley_message *out,
                         parley_error *err);
} parley_messages_ops;

#endif
