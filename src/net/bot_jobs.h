/*
 * bot_jobs.h - runs the ChatBot's turns (core/chat_bot.h) as executor jobs.
 *
 * A customer's message in a session with the desk's bot emits an internal
 * bot.turn event in the unit that stores it. The executor publishes events
 * only after their batch commits, so when the server sees that event the
 * customer's message is durable and already acknowledged; the server then
 * submits one batched job here: its prepare step decides the reply on a
 * pool thread (knowledge-base search on committed state), its run step
 * stores it on the writer in a unit of its own. If the server stops or
 * crashes in between, the bot's reply is lost, never the customer's
 * message (the customer can ask again; an agent sees the session waiting).
 *
 * Threads: parley_bot_jobs_submit on the loop thread (inside publish).
 * Ownership: a job frees itself in its done callback.
 */
#ifndef PARLEY_BOT_JOBS_H
#define PARLEY_BOT_JOBS_H

#include "core/event.h"
#include "net/executor.h"

/* Queues the bot's turn for a committed PARLEY_EVENT_BOT_TURN event. */
void parley_bot_jobs_submit(parley_executor *ex, const parley_event *event);

#endif
