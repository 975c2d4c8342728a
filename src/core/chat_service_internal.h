/*
 * chat_service_internal.h - helpers shared by the ChatService's own files
 * (chat_service.c: sessions and messages; chat_tickets.c: tickets and
 * feedback). Not for other modules.
 *
 * Threads: pure helpers, the caller's thread. Ownership: none kept.
 */
#ifndef PARLEY_CHAT_SERVICE_INTERNAL_H
#define PARLEY_CHAT_SERVICE_INTERNAL_H

#include <stdio.h>

#include "core/authorization.h"
#include "core/chat_service.h"

#define ISSUE_MAX_CHARS 5000

static inline parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

static inline bool is_staff(const parley_participant *p) {
    return p->ops->is_staff(p);
}

/* Lists: staff see everything, customers only their own sessions'. */
static inline parley_status scope_list_to_caller(const parley_participant *caller,
                                                 parley_action action, char *customer_id,
                                                 size_t customer_id_size, parley_error *err) {
    parley_status st = parley_authorize(caller, action, err);
    if (st == PARLEY_OK && !is_staff(caller)) {
        snprintf(customer_id, customer_id_size, "%s", caller->id);
    }
    return st;
}

#endif
