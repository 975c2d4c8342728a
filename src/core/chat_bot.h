/*
 * chat_bot.h - the seed's ChatBot: the desk's automated participant.
 *
 * When the setting bot.enabled is on, every new customer session gets the
 * desk's bot attached (bot.id, or the built-in bot "bot_builtin" created on
 * first use) and the bot speaks first: bot.greeting, and bot.away_message
 * when bot.business_hours say the team is away. Each later customer message
 * in a session the desk's bot is attached to (and no agent has taken) is
 * one bot turn:
 *
 *   the customer's unit stores the message and emits an internal bot.turn
 *   event -> the executor publishes it only after that unit committed and
 *   the server queues a bot job (net/bot_jobs.c) -> the job's prepare step
 *   (pool thread, committed state) decides: a handoff keyword, a confident
 *   knowledge-base answer (score >= bot.min_confidence percent), or none ->
 *   its run step (the writer, its own unit) re-checks the session and
 *   stores the bot's reply or hands over.
 *
 * The customer's acknowledgement never waits for the bot, and a crash
 * between the two units loses at most the bot's reply, never the message.
 *
 * Handoff (asked for in en/es/fr/de/pt keywords, or after
 * bot.max_failed_attempts unanswered questions): outside business hours the
 * bot says bot.away_message first; then a system message
 * (bot.handoff_message), the session's bot_id is cleared (it stays waiting
 * for the agents' queue) and session.handoff {session_id, reason:
 * "requested"|"no_answer", bot_id, agents_available} goes to every agent
 * and the session's customer.
 *
 * Threads: worker threads with their own service (repository handle);
 * prepare outside any write transaction, the rest inside the caller's unit.
 */
#ifndef PARLEY_CHAT_BOT_H
#define PARLEY_CHAT_BOT_H

#include "core/chat_service.h"

#define PARLEY_BUILTIN_BOT_ID "bot_builtin"

/* In parley_chat_initiate's unit, before the session is stored: attaches
 * the desk's bot to s when the bot is enabled. */
parley_status parley_bot_on_session_start(parley_chat_service *svc, parley_session *s,
                                          parley_error *err);
/* After the session is stored: the greeting and, outside hours, the away
 * message (nothing when no bot is attached); s->last_seq follows. */
parley_status parley_bot_greet(parley_chat_service *svc, parley_session *s, parley_error *err);
/* In the unit that stored customer message m: queues a bot turn (an
 * internal PARLEY_EVENT_BOT_TURN) when a bot should answer it. */
parley_status parley_bot_note_customer_message(parley_chat_service *svc, const parley_session *s,
                                               const parley_message *m, parley_error *err);

typedef enum parley_bot_action {
    PARLEY_BOT_NOTHING = 0,
    PARLEY_BOT_ANSWER,
    PARLEY_BOT_NO_ANSWER,
    PARLEY_BOT_HANDOFF_REQUESTED
} parley_bot_action;

typedef struct parley_bot_turn {
    char session_id[PARLEY_ID_SIZE];
    int64_t seq; /* the customer's message */
    char bot_id[PARLEY_ID_SIZE];
    parley_bot_action action;
    char *reply; /* ANSWER: the entry's answer */
    char entry_id[PARLEY_ID_SIZE];
    double score;
} parley_bot_turn;

/* Decides the turn from committed state (pool thread, no transaction). */
parley_status parley_bot_turn_prepare(parley_chat_service *svc, parley_bot_turn *turn,
                                      parley_error *err);
/* Carries it out in the writer's unit after re-checking the session still
 * has this bot and no agent; *handed_off tells the caller the bot left. */
parley_status parley_bot_turn_apply(parley_chat_service *svc, parley_bot_turn *turn,
                                    bool *handed_off, parley_error *err);
void parley_bot_turn_free(parley_bot_turn *turn);

/* Does the customer ask for a person? Whole words, any case or accent. */
bool parley_bot_wants_human(const char *text);

#endif
