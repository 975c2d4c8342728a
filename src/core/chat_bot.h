/*
 * chat_bot.h - the seed's ChatBot: the desk's automated participant.
 *
 * When the setting bot.enabled is on, every new customer session gets the
 * desk's bot attached (bot.id, or the built-in bot "bot_builtin" created on
 * first use) and the bot speaks first: bot.greeting, and bot.away_message
 * when the desk is away: bot.business_hours say so and no agent is online
 * (an online agent answers whatever the hours say). The away message is
 * said at most once in a session.
 *
 * Texts (issue 16): each is the customer's language's from bot.texts
 * (their profile language, e.g. {"es": {"greeting": ...}}), else the
 * English setting; {company} becomes desk.company_name (with the space
 * after it when that is empty) and {handoff_keyword} bot.handoff_keyword. Each later customer
 * message in a session the desk's bot is attached to (and no agent has taken) is one bot turn:
 *
 *   the customer's unit stores the message and emits message.created ->
 *   the executor delivers it only after that unit committed, and the bot's
 *   after-commit subscriber (net/desk/bot_jobs.c, asking parley_bot_wants_turn)
 *   queues a bot job -> the job's prepare step
 *   (pool thread, committed state) decides: a handoff keyword, a confident
 *   knowledge-base answer (score >= bot.min_confidence percent), or none ->
 *   its run step (the writer, its own unit) re-checks the session and
 *   stores the bot's reply or hands over.
 *
 * The customer's acknowledgement never waits for the bot, and a crash
 * between the two units loses at most the bot's reply, never the message.
 *
 * Handoff (asked for in en/es/fr/de/pt keywords or bot.handoff_keyword, or
 * after bot.max_failed_attempts unanswered questions): when the desk is
 * away (outside business hours and no agent online) and the away message
 * was not said in this session yet, the bot says it first; then a system
 * message
 * (bot.handoff_message), the session's bot_id is cleared (it stays waiting
 * for the agents' queue) and session.handoff {session_id, reason:
 * "requested"|"no_answer", bot_id, agents_available} goes to every agent
 * and the session's customer.
 *
 * chat_service.c does not call the bot: the bot hears of new sessions and
 * customer messages through the event registry (core/event.h).
 *
 * Threads: worker threads with their own service (repository handle);
 * prepare outside any write transaction, the rest inside the caller's unit;
 * parley_bot_wants_turn on any thread (a pure function of the event).
 */
#ifndef PARLEY_CHAT_BOT_H
#define PARLEY_CHAT_BOT_H

#include "core/chat_service.h"

#define PARLEY_BUILTIN_BOT_ID "bot_builtin"

/* Subscribes the ChatBot in unit to session.created (core/event.h): when
 * the bot is enabled, the desk's bot is attached to the new session and
 * says the greeting and, outside hours, the away message, inside the unit
 * that creates the session (the event's session shows bot_id and the
 * greeting in last_seq). False when the registry is sealed or full. Called
 * once at start by whoever builds the registry (net/server.c). */
bool parley_bot_subscribe(parley_event_registry *reg);
/* Should the bot take a turn on this committed event? message.created from
 * a customer in a session with a bot and no agent, not closed. The server's
 * after-commit subscriber (net/desk/bot_jobs.c) asks it and runs the turn. */
bool parley_bot_wants_turn(const parley_event *e);

/* The setting bot.texts' check (core/settings.c): an object whose keys are
 * language tags (2-3 letters, optionally -region) and whose values are
 * objects of greeting / away_message / no_answer_message /
 * handoff_message strings (at most 1000 bytes each). */
parley_status parley_bot_texts_check(const json_t *value, parley_error *err);

/* Does text ask for a person: one of the built-in words in en/es/fr/de/pt,
 * or keyword (bot.handoff_keyword; may be NULL)? Folded, unaccented,
 * whole words. */
bool parley_bot_wants_human_or(const char *text, const char *keyword);

/* text with every "{company}" replaced by company and "{handoff_keyword}"
 * by keyword; an empty company takes the one space after its placeholder
 * with it ("the {company} assistant" -> "the assistant"). Malloc'd; NULL
 * when out of memory. Pure. */
char *parley_bot_fill(const char *text, const char *company, const char *keyword);

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
    /* ANSWER to a customer in another language (issue 16): the answer
     * translated through the translation strategy's routes
     * (strategies->translate_text), or NULL; the reply stays the original */
    char *translated;
    char translated_from[8];
    char translated_to[8];
    char translated_pair[160];
} parley_bot_turn;

/* Decides the turn from committed state (pool thread, no transaction);
 * an answer for a customer whose language is not the answer's is
 * translated here (apertium takes milliseconds: never on the writer). */
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
