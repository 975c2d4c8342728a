/*
 * store/messages.h - the messages aggregate: the delivered messages of a
 * session, stored with their seq in one call (store), read by seq range,
 * client id or id.
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

/* What messages->store did. Each is a result (the op returns PARLEY_OK),
 * never an error: an expected refusal must not be a statement that fails
 * (core/repository.h, "Expected conflicts are results"). */
typedef enum parley_message_store_outcome {
    PARLEY_MESSAGE_STORED,            /* inserted with the session's next seq */
    PARLEY_MESSAGE_DUPLICATE,         /* a retry: result.previous is the stored message */
    PARLEY_MESSAGE_OTHER_SESSION,     /* the sender used the client_msg_id in another session */
    PARLEY_MESSAGE_SESSION_CLOSED,    /* a closed session takes no more messages */
    PARLEY_MESSAGE_SESSION_NOT_FOUND, /* no such session */
} parley_message_store_outcome;

typedef struct parley_message_store_result {
    parley_message_store_outcome outcome;
    int64_t seq;             /* STORED: the seq the message got (now the session's last_seq) */
    parley_message previous; /* DUPLICATE: the stored message, unchanged (the caller frees
                              * it); zeroed for every other outcome */
} parley_message_store_result;

typedef struct parley_messages_ops {
    /* Stores a new message in one call: checks the session, looks up the
     * sender's client_msg_id, takes the session's next seq and inserts. The
     * first that applies, in this order, is the outcome:
     *
     *   SESSION_NOT_FOUND  no session m->session_id;
     *   DUPLICATE          m->client_msg_id is set and this sender (kind and
     *                      id) stored a message with it in this session:
     *                      out->previous is that message, unchanged (a retry
     *                      is answered even once the session is closed);
     *   OTHER_SESSION      the same, but the message is in another session;
     *   SESSION_CLOSED     the session's status is closed;
     *   STORED             sessions.last_seq + 1 becomes the message's seq
     *                      (m->seq is ignored; out->seq says it) and the
     *                      message is inserted as given otherwise.
     *
     * Only STORED writes. What stays with the caller: authorization (it
     * reads the session under the caller's rules first), and what follows
     * in the same unit (the attachment claim, first_response_at, a
     * waiting session's takeover, events).
     *
     * Seq is gapless: the op must run inside a transaction (a unit), whose
     * rollback gives the number back; outside one it is refused with
     * PARLEY_E_INTERNAL. An enum out of range is PARLEY_E_INVALID before
     * anything is written. Other errors are failures (unavailable,
     * storage) after which the caller rolls its unit back. On every error
     * out is zeroed.
     *
     * SQLite runs its prepared statements one after another (one writer
     * thread, so nothing can come between them). A server backend does it
     * in one round trip with no statement that fails on an expected
     * outcome, e.g. PostgreSQL: a function (or one statement of CTEs) that
     * locks the session row (SELECT status ... FOR UPDATE), looks the
     * client id up, then UPDATE sessions SET last_seq = last_seq + 1 ...
     * RETURNING last_seq and INSERT ... ON CONFLICT (sender_kind,
     * sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO
     * NOTHING; when a concurrent transaction stored the same client id
     * first, the insert does nothing, the function gives the seq back and
     * answers DUPLICATE or OTHER_SESSION from the row it reads. */
    parley_status (*store)(parley_repository *repo, const parley_message *m,
                           parley_message_store_result *out, parley_error *err);
    /* Inserts a message with the seq it carries, leaving sessions.last_seq
     * alone: for fixtures that plant a history (the service stores through
     * store). UNIQUE(session_id, seq) and UNIQUE(sender_kind, sender_id,
     * client_msg_id) -> PARLEY_E_CONFLICT */
    parley_status (*insert)(parley_repository *repo, const parley_message *m, parley_error *err);
    /* the prepare step's early look for a retry (read only) */
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
