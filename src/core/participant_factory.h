/*
 * participant_factory.h - the seed's ChatParticipantFactory: makes the
 * right participant from a role and its stored data.
 *
 * Ownership: the returned participant takes ownership of the record passed
 * in (its heap fields move into the participant, and *record is zeroed).
 * Returns NULL when out of memory (the record is then freed).
 * Thread-safety: any thread.
 */
#ifndef PARLEY_PARTICIPANT_FACTORY_H
#define PARLEY_PARTICIPANT_FACTORY_H

#include "core/participant.h"
#include "core/repository.h"

parley_participant *parley_participant_from_customer(parley_customer *record);
parley_participant *parley_participant_from_agent(parley_agent *record);
parley_participant *parley_participant_from_bot(parley_bot *record);

/* The participant of a stored customer, agent or bot (kind and id), read
 * through repo. PARLEY_E_NOT_FOUND for none, for the system, and, when
 * active_only, for a deactivated agent or bot (err untouched by those
 * refusals); the repository's error otherwise; PARLEY_E_NOMEM with err. */
parley_status parley_participant_load(parley_repository *repo, parley_participant_kind kind,
                                      const char *id, bool active_only, parley_participant **out,
                                      parley_error *err);

#endif
