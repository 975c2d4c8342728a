/*
 * store/tickets.h - the tickets aggregate: tickets, their internal notes and
 * the customers' feedback (ratings) of sessions.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->tickets at its parley_tickets_ops; callers write
 * repo->tickets->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/tickets.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_TICKETS_H
#define PARLEY_STORE_TICKETS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* Filters for list calls. Empty strings / negative values / zero bounds
 * mean "any". Cursors are opaque strings produced by a previous page
 * (next_cursor). */
typedef struct parley_ticket_filter {
    int status;                       /* parley_ticket_status, or -1 */
    char customer_id[PARLEY_ID_SIZE]; /* "" = any; else tickets of that customer's sessions */
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
    bool has_priority; /* false (zero) = any priority */
    parley_ticket_priority priority;
    char agent_id[PARLEY_ID_SIZE];   /* the assignee; "" = any */
    char session_id[PARLEY_ID_SIZE]; /* "" = any */
    parley_time_ms created_after;    /* inclusive; 0 = no bound */
    parley_time_ms created_before;   /* exclusive; 0 = no bound */
} parley_ticket_filter;

/* GET /feedback: ratings newest first, by creation time and the rated
 * session's agent. */
typedef struct parley_feedback_filter {
    char agent_id[PARLEY_ID_SIZE]; /* "" = any */
    parley_time_ms from;           /* inclusive; 0 = no bound */
    parley_time_ms to;             /* exclusive; 0 = no bound */
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
} parley_feedback_filter;

typedef struct parley_tickets_ops {
    /* takes the ticket's customer from its session when customer_id is "" */
    parley_status (*insert)(parley_repository *repo, const parley_ticket *t, parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_ticket *out,
                         parley_error *err);
    /* writes status, agent_id, issue_description, updated_at */
    parley_status (*update)(parley_repository *repo, const parley_ticket *t, parley_error *err);
    parley_status (*list)(parley_repository *repo, const parley_ticket_filter *filter,
                          parley_ticket_list *out, char *next_cursor_out, size_t next_cursor_size,
                          parley_error *err);
    /* internal notes of a ticket */
    parley_status (*note_insert)(parley_repository *repo, const parley_ticket_note *n,
                                 parley_error *err);
    /* newest first, cursor-paged */
    parley_status (*note_list)(parley_repository *repo, const char *ticket_id, int limit,
                               const char *cursor, parley_ticket_note_list *out,
                               char *next_cursor_out, size_t next_cursor_size, parley_error *err);
    /* feedback; one per session -> PARLEY_E_CONFLICT on the second */
    parley_status (*feedback_insert)(parley_repository *repo, const parley_feedback *f,
                                     parley_error *err);
    parley_status (*feedback_get_by_session)(parley_repository *repo, const char *session_id,
                                             parley_feedback *out, parley_error *err);
    /* newest first, cursor-paged; items carry the session's agent_id */
    parley_status (*feedback_list)(parley_repository *repo, const parley_feedback_filter *filter,
                                   parley_feedback_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err);
} parley_tickets_ops;

#endif
