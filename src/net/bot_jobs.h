/*
 * bot_jobs.h - runs the ChatBot's turns (core/chat_bot.h) as executor jobs.
 *
 * The ChatBot's after-commit subscriber (core/event.h): for each committed
 * message.created that the bot should answer (parley_bot_wants_turn: from
 * a customer, in a session with the bot and no agent), it submits one
 * batched job. Events are delivered only after their batch commits, so
 * the customer's message is durable and already acknowledged; the job's
 * prepare step decides the reply on a pool thread (knowledge-base search
 * on committed state), its run step stores it on the writer in a unit of
 * its own. If the server stops or crashes in between, the bot's reply is
 * lost, never the customer's message (the customer can ask again; an
 * agent sees the session waiting).
 *
 * Threads: the subscriber runs on the loop thread (after commit).
 * Ownership: a job frees itself in its done callback; the subscription
 * borrows *executor (the server's pointer, set once the executor starts).
 */
#ifndef PARLEY_BOT_JOBS_H
#define PARLEY_BOT_JOBS_H

#include "core/event.h"
#include "net/executor.h"

/* Subscribes the bot's turns after commit to message.created. */
bool parley_bot_jobs_subscribe(parley_event_registry *reg, parley_executor **executor);

#endif
