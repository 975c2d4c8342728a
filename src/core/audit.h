/*
 * audit.h - the security audit log: logins and failed logins, logouts,
 * agent and bot changes. Admins read it through GET /api/v1/audit.
 *
 * Entries never hold secrets: no passwords, no tokens, and not even what
 * was typed into a failed login (people type passwords into the e-mail
 * field); a failed login names the account only when it exists.
 * Threads: called on worker threads with that thread's repository.
 */
#ifndef PARLEY_AUDIT_H
#define PARLEY_AUDIT_H

#include <jansson.h>

#include "core/participant.h"
#include "core/repository.h"

/* Appends an entry. actor may be NULL (anonymous or the command line);
 * detail (reference stolen) may be NULL. */
parley_status parley_audit_record(parley_repository *repo, const parley_participant *actor,
                                  const char *action, const char *target_id, const char *ip,
                                  json_t *detail, parley_error *err);

/* The wire form of an entry, and of a list of them (core/model_json.h). */
json_t *parley_audit_entry_to_json(const parley_audit_entry *e);
json_t *parley_audit_list_to_json(const parley_audit_list *list);

#endif
