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

parley_participant *parley_participant_from_customer(parley_customer *record);
parley_participant *parley_participant_from_agent(parley_agent *record);
parley_participant *parley_participant_from_bot(parley_bot *record);

#endif
