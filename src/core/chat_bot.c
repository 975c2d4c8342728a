#include "core/chat_bot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/business_hours.h"
#include "core/ids.h"
#include "core/knowledge_base.h"
#include "core/model_json.h"
#include "core/settings.h"
#include "util/accept_language.h"
#include "util/text_similarity.h"

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

/* Normalised (folded, unaccented) words that ask for a person. */
static const char *const human_words[] = {
    /* en */ "agent",     "agents",         "human",      "humans",    "person",
    "operator",           "representative", "someone",
    /* es */ "agente",    "humano",         "persona",    "operador",  "asesor",
    /* fr */ "humain",    "personne",       "conseiller", "operateur",
    /* de */ "mensch",    "mitarbeiter",
    /* pt */ "atendente", "pessoa"};

bool parley_bot_wants_human_or(const char *text, const char *keyword) {
    char *norm = parley_tsim_normalize(text);
    bool wants = false;
    for (size_t i = 0; norm != NULL && !wants && i < sizeof human_words / sizeof human_words[0];
         i++) {
        wants = parley_tsim_has_word(norm, human_words[i]);
    }
    if (norm != NULL && !wants && keyword != NULL && keyword[0] != '\0') {
        char *word = parley_tsim_normalize(keyword);
        wants = word != NULL && word[0] != '\0' && parley_tsim_has_word(norm, word);
        free(word);
    }
    free(norm);
    return wants;
}

bool parley_bot_wants_human(const char *text) {
    return parley_bot_wants_human_or(text, NULL);
}

char *parley_bot_fill(const char *text, const char *company, const char *keyword) {
    static const char company_mark[] = "{company}";
    static const char keyword_mark[] = "{handoff_keyword}";
    size_t cl = strlen(company), kl = strlen(keyword);
    size_t cap = strlen(text) + 1, n = 0;
    for (const char *p = text; (p = strchr(p, '{')) != NULL; p++) {
        cap += cl + kl; /* generous: at most one of them per '{' */
    }
    char *out = malloc(cap);
    if (out == NULL) {
        return NULL;
    }
    for (const char *p = text; *p != '\0';) {
        if (strncmp(p, company_mark, sizeof company_mark - 1) == 0) {
            p += sizeof company_mark - 1;
            if (cl == 0 && *p == ' ') {
                p++;
            }
            memcpy(out + n, company, cl);
            n += cl;
        } else if (strncmp(p, keyword_mark, sizeof keyword_mark - 1) == 0) {
            p += sizeof keyword_mark - 1;
            memcpy(out + n, keyword, kl);
            n += kl;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

static const char *const text_keys[] = {"greeting", "away_message", "no_answer_message",
                                        "handoff_message"};

/* One language's texts: an object of known keys and strings. */
static parley_status check_texts(const char *lang, json_t *texts, parley_error *err) {
    if (!json_is_object(texts)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "bot.texts.%s must be an object", lang);
    }
    const char *key;
    json_t *text;
    json_object_foreach(texts, key, text) {
        bool known = false;
        for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++) {
            known = known || strcmp(key, text_keys[i]) == 0;
        }
        if (!known || !json_is_string(text) || json_string_length(text) > 1000) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "bot.texts.%s.%.32s: one of greeting, away_message, "
                                    "no_answer_message, handoff_message, a string of at most "
                                    "1000 bytes",
                                    lang, key);
        }
    }
    return PARLEY_OK;
}

parley_status parley_bot_texts_check(const json_t *value, parley_error *err) {
    if (!json_is_object(value)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "bot.texts must be an object of languages");
    }
    json_t *copy = json_deep_copy(value); /* jansson iterates non-const objects only */
    if (copy == NULL) {
        return nomem(err);
    }
    parley_status st = PARLEY_OK;
    const char *lang;
    json_t *texts;
    json_object_foreach(copy, lang, texts) {
        char primary[8];
        if (!parley_language_tag_primary(lang, primary, sizeof primary) ||
            strcmp(primary, lang) != 0) {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "bot.texts: \"%.16s\" is not a language code (2 or 3 "
                                  "lowercase letters: es, pt, fil)",
                                  lang);
        } else {
            st = check_texts(lang, texts, err);
        }
        if (st != PARLEY_OK) {
            break;
        }
    }
    json_decref(copy);
    return st;
}

/* The bot that speaks for the desk: "" when none is usable. The built-in
 * one is created the first time a session needs it (create). */
static parley_status desk_bot(parley_repository *repo, bool create, char out[PARLEY_ID_SIZE],
                              parley_error *err) {
    out[0] = '\0';
    char *configured = parley_settings_string(repo, "bot.id");
    if (configured == NULL) {
        return nomem(err);
    }
    const char *id = configured[0] != '\0' ? configured : PARLEY_BUILTIN_BOT_ID;
    parley_bot bot = {0};
    parley_status st = repo->accounts->bot_get(repo, id, &bot, err);
    if (st == PARLEY_E_NOT_FOUND && create && configured[0] == '\0') {
        parley_error_clear(err);
        char name[] = "Parley Assistant";
        parley_bot b = {.name = name, .active = true, .created_at = parley_now_ms()};
        snprintf(b.id, sizeof b.id, "%s", PARLEY_BUILTIN_BOT_ID);
        st = repo->accounts->bot_insert(repo, &b, err);
        bot.active = st == PARLEY_OK;
    }
    if (st == PARLEY_E_NOT_FOUND) {
        /* bot.id names a bot that is gone: the desk has no bot, chats go
         * straight to the agents */
        parley_error_clear(err);
        st = PARLEY_OK;
    } else if (st == PARLEY_OK && bot.active) {
        snprintf(out, PARLEY_ID_SIZE, "%s", id);
    }
    parley_bot_free(&bot);
    free(configured);
    return st;
}

/* Can someone answer now? Inside bot.business_hours, or an active agent is
 * online whatever the hours say (issue 16: the bot said "away" while two
 * agents were online). */
static bool agents_in(parley_repository *repo) {
    json_t *hours = NULL;
    parley_error err = {0};
    if (parley_settings_get(repo, "bot.business_hours", &hours, &err) != PARLEY_OK) {
        return true;
    }
    bool open = parley_business_hours_open(hours, parley_now_ms() / 1000, NULL);
    json_decref(hours);
    if (open) {
        return true;
    }
    parley_agent_list agents = {0};
    if (repo->accounts->agent_list(repo, &agents, &err) != PARLEY_OK) {
        return false;
    }
    for (size_t i = 0; i < agents.count && !open; i++) {
        open = agents.items[i].active && agents.items[i].status == PARLEY_AGENT_ONLINE;
    }
    parley_agent_list_free(&agents);
    return open;
}

/* The customer's language (primary subtag) into buf, or "" . */
static void customer_language(parley_repository *repo, const parley_session *s, char *buf,
                              size_t size) {
    buf[0] = '\0';
    parley_customer c = {0};
    parley_error err = {0};
    if (repo->accounts->customer_get(repo, s->customer_id, &c, &err) == PARLEY_OK) {
        parley_language_tag_primary(c.language, buf, size);
        parley_customer_free(&c);
    }
}

/* The text of a bot setting ("bot.greeting", ...) for the customer's
 * language: bot.texts[lang][name] when there is one, else the setting's;
 * {company} and {handoff_keyword} filled in. NULL when out of memory. */
static char *bot_text(parley_repository *repo, const parley_session *s, const char *key) {
    const char *name = key + strlen("bot.");
    char lang[8];
    customer_language(repo, s, lang, sizeof lang);
    char *text = NULL;
    json_t *texts = NULL;
    parley_error err = {0};
    if (lang[0] != '\0' && parley_settings_get(repo, "bot.texts", &texts, &err) == PARLEY_OK) {
        const char *own = json_string_value(json_object_get(json_object_get(texts, lang), name));
        text = own != NULL ? strdup(own) : NULL;
    }
    json_decref(texts);
    if (text == NULL) {
        text = parley_settings_string(repo, key);
    }
    char *company = text != NULL ? parley_settings_string(repo, "desk.company_name") : NULL;
    char *keyword = company != NULL ? parley_settings_string(repo, "bot.handoff_keyword") : NULL;
    char *out = NULL;
    if (keyword != NULL) {
        out = parley_bot_fill(text, company, keyword);
    }
    free(text);
    free(company);
    free(keyword);
    return out;
}

/* Was the away message said in this session already (its 50 latest
 * messages)? */
static bool away_said(parley_repository *repo, const parley_session *s) {
    parley_message_list list = {0};
    parley_message_range range = {.after_seq = 0, .before_seq = s->last_seq + 1, .limit = 50};
    parley_error err = {0};
    bool said = false;
    if (repo->messages->list(repo, s->id, &range, &list, &err) == PARLEY_OK) {
        for (size_t i = 0; i < list.count && !said; i++) {
            const parley_message *m = &list.items[i];
            said = m->sender_kind == PARLEY_PARTICIPANT_BOT && m->meta_json != NULL &&
                   strstr(m->meta_json, "\"kind\":\"away\"") != NULL;
        }
    }
    parley_message_list_free(&list);
    return said;
}

/* Posts a setting's text as the bot ("" = say nothing); s->last_seq
 * follows, so the session returned to the caller counts the message. */
static parley_status say_setting(parley_chat_service *svc, parley_session *s, const char *key,
                                 const char *meta_json, parley_error *err) {
    char *text = bot_text(svc->repo, s, key);
    if (text == NULL) {
        return nomem(err);
    }
    parley_status st = PARLEY_OK;
    if (text[0] != '\0') {
        parley_message m = {0};
        st = parley_chat_post_as(svc, s->id, PARLEY_PARTICIPANT_BOT, s->bot_id, text, meta_json, &m,
                                 err);
        if (st == PARLEY_OK) {
            s->last_seq = m.seq;
            parley_message_free(&m);
        }
    }
    free(text);
    return st;
}

static parley_status greet(parley_chat_service *svc, parley_session *s, parley_error *err) {
    /* the keyword travels with the greeting so the widget's hint names the
     * same word (issue 16: the greeting said "agent", the widget "human") */
    char *keyword = parley_settings_string(svc->repo, "bot.handoff_keyword");
    json_t *meta = keyword != NULL ? json_pack("{s:{s:s, s:s}}", "bot", "kind", "greeting",
                                               "handoff_keyword", keyword)
                                   : NULL;
    char *meta_json = meta != NULL ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    free(keyword);
    if (meta_json == NULL) {
        return nomem(err);
    }
    parley_status st = say_setting(svc, s, "bot.greeting", meta_json, err);
    free(meta_json);
    if (st == PARLEY_OK && !agents_in(svc->repo)) {
        st = say_setting(svc, s, "bot.away_message", "{\"bot\":{\"kind\":\"away\"}}", err);
    }
    return st;
}

/* In the unit that created the session, before session.created is queued:
 * the desk's bot attaches (stored) and greets; the event's session shows
 * both (bot_id, last_seq counting the greeting). */
static parley_status on_session_created(void *ctx, parley_chat_service *svc, parley_event *e,
                                        parley_error *err) {
    (void)ctx;
    parley_session *s = &e->session.session;
    if (!parley_settings_bool(svc->repo, "bot.enabled")) {
        return PARLEY_OK;
    }
    parley_status st = desk_bot(svc->repo, true, s->bot_id, err);
    if (st != PARLEY_OK || s->bot_id[0] == '\0') {
        return st;
    }
    st = svc->repo->sessions->update(svc->repo, s, err);
    return st == PARLEY_OK ? greet(svc, s, err) : st;
}

bool parley_bot_subscribe(parley_event_registry *reg) {
    return parley_event_subscribe_in_unit(reg, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED),
                                          on_session_created, NULL);
}

bool parley_bot_wants_turn(const parley_event *e) {
    return e->type == PARLEY_EVENT_MESSAGE_CREATED && e->message.bot_id[0] != '\0' &&
           e->message.agent_id[0] == '\0' && e->message.session_status != PARLEY_SESSION_CLOSED &&
           e->message.message.sender_kind == PARLEY_PARTICIPANT_CUSTOMER;
}

/* Is this session still the desk bot's to answer in? */
static bool bot_may_speak(const parley_session *s, const char *bot_id) {
    return s->status != PARLEY_SESSION_CLOSED && s->agent_id[0] == '\0' && s->bot_id[0] != '\0' &&
           strcmp(s->bot_id, bot_id) == 0;
}

/* The answer in the customer's language when it is not the answer's own
 * (the knowledge base has one text per entry): the same routes as the
 * translation strategy; none, or no route, leaves it as written. */
static void translate_answer(parley_chat_service *svc, parley_bot_turn *turn) {
    const parley_strategy_registry *reg = svc->strategies;
    if (reg == NULL || reg->translate_text == NULL) {
        return;
    }
    parley_session s = {0};
    parley_error err = {0};
    if (svc->repo->sessions->get(svc->repo, turn->session_id, &s, &err) != PARLEY_OK) {
        return;
    }
    char lang[8];
    customer_language(svc->repo, &s, lang, sizeof lang);
    parley_session_free(&s);
    const char *from = NULL;
    if (lang[0] != '\0') {
        turn->translated = reg->translate_text(reg->translate_ctx, NULL, lang, turn->reply, &from,
                                               turn->translated_pair, sizeof turn->translated_pair);
    }
    if (turn->translated != NULL) {
        snprintf(turn->translated_from, sizeof turn->translated_from, "%s", from);
        snprintf(turn->translated_to, sizeof turn->translated_to, "%s", lang);
    }
}

/* The meta of a knowledge-base answer: why the bot spoke and, when it was
 * translated, the translation as the strategy records one. */
static char *answer_meta(const parley_bot_turn *turn) {
    json_t *meta =
        json_pack("{s:{s:s, s:s, s:f}}", "bot", "kind", "answer", "kb_entry_id", turn->entry_id,
                  "confidence", (double)(long)(turn->score * 1000.0 + 0.5) / 1000.0);
    if (meta != NULL && turn->translated != NULL) {
        json_object_set_new(meta, "language", json_string(turn->translated_from));
        json_object_set_new(meta, "translations",
                            json_pack("{s:s}", turn->translated_to, turn->translated));
        json_object_set_new(meta, "translation",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "translated", "from",
                                      turn->translated_from, "to", turn->translated_to, "backend",
                                      "apertium", "pair", turn->translated_pair));
    }
    char *text = meta != NULL ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    return text;
}

parley_status parley_bot_turn_prepare(parley_chat_service *svc, parley_bot_turn *turn,
                                      parley_error *err) {
    turn->action = PARLEY_BOT_NOTHING;
    parley_repository *repo = svc->repo;
    if (!parley_settings_bool(repo, "bot.enabled")) {
        return PARLEY_OK;
    }
    char desk[PARLEY_ID_SIZE];
    parley_session s = {0};
    parley_status st = desk_bot(repo, false, desk, err);
    if (st == PARLEY_OK) {
        st = repo->sessions->get(repo, turn->session_id, &s, err);
    }
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        return PARLEY_OK;
    }
    /* only the desk's own bot is driven here: a bot attached by hand
     * answers with its own token */
    if (st != PARLEY_OK || desk[0] == '\0' || !bot_may_speak(&s, desk)) {
        parley_session_free(&s);
        return st;
    }
    snprintf(turn->bot_id, sizeof turn->bot_id, "%s", desk);
    parley_session_free(&s);
    parley_message_list msgs = {0};
    parley_message_range range = {.after_seq = turn->seq - 1, .before_seq = 0, .limit = 1};
    st = repo->messages->list(repo, turn->session_id, &range, &msgs, err);
    if (st != PARLEY_OK || msgs.count != 1 || msgs.items[0].seq != turn->seq ||
        msgs.items[0].sender_kind != PARLEY_PARTICIPANT_CUSTOMER) {
        parley_message_list_free(&msgs);
        return st;
    }
    const char *text = msgs.items[0].content;
    char *keyword = parley_settings_string(repo, "bot.handoff_keyword");
    bool wants_human = parley_bot_wants_human_or(text, keyword);
    free(keyword);
    if (wants_human) {
        turn->action = PARLEY_BOT_HANDOFF_REQUESTED;
    } else {
        st = parley_kb_best(repo, text, &turn->reply, turn->entry_id, &turn->score, err);
        int64_t min = parley_settings_int(repo, "bot.min_confidence");
        bool confident =
            st == PARLEY_OK && turn->reply != NULL && turn->score * 100.0 >= (double)min;
        turn->action = confident ? PARLEY_BOT_ANSWER : PARLEY_BOT_NO_ANSWER;
    }
    if (turn->action == PARLEY_BOT_ANSWER) {
        translate_answer(svc, turn);
    }
    parley_message_list_free(&msgs);
    return st;
}

static parley_status handoff(parley_chat_service *svc, parley_session *s, const char *reason,
                             parley_error *err) {
    bool open = agents_in(svc->repo);
    char bot_id[PARLEY_ID_SIZE];
    snprintf(bot_id, sizeof bot_id, "%s", s->bot_id);
    parley_status st = PARLEY_OK;
    if (!open && !away_said(svc->repo, s)) {
        st = say_setting(svc, s, "bot.away_message", "{\"bot\":{\"kind\":\"away\"}}", err);
    }
    char *text = st == PARLEY_OK ? bot_text(svc->repo, s, "bot.handoff_message") : NULL;
    if (st == PARLEY_OK && text == NULL) {
        st = nomem(err);
    }
    if (st == PARLEY_OK) {
        char meta[96];
        snprintf(meta, sizeof meta, "{\"handoff\":{\"reason\":\"%s\"}}", reason);
        parley_message m = {0};
        st = parley_chat_post_system_message(svc, s->id, text, meta, &m, err);
        s->last_seq = st == PARLEY_OK ? m.seq : s->last_seq;
        parley_message_free(&m);
    }
    free(text);
    if (st == PARLEY_OK) {
        /* the session stays waiting: the agents' queue takes it from here */
        s->bot_id[0] = '\0';
        s->updated_at = parley_now_ms();
        st = svc->repo->sessions->update(svc->repo, s, err);
    }
    if (st == PARLEY_OK) {
        /* like every session.updated: the customer's copy has no labels */
        st = parley_chat_emit_session_event(svc, PARLEY_EVENT_SESSION_UPDATED, s,
                                            PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER, err);
    }
    if (st == PARLEY_OK) {
        parley_event *e = parley_event_new(PARLEY_EVENT_SESSION_HANDOFF,
                                           PARLEY_AUDIENCE_AGENTS | PARLEY_AUDIENCE_CUSTOMER, s->id,
                                           s->customer_id);
        if (e != NULL) {
            snprintf(e->handoff.reason, sizeof e->handoff.reason, "%s", reason);
            snprintf(e->handoff.bot_id, sizeof e->handoff.bot_id, "%s", bot_id);
            e->handoff.agents_available = open;
        }
        st = parley_chat_emit(svc, e, err);
    }
    return st;
}

parley_status parley_bot_turn_apply(parley_chat_service *svc, parley_bot_turn *turn,
                                    bool *handed_off, parley_error *err) {
    *handed_off = false;
    if (turn->action == PARLEY_BOT_NOTHING) {
        return PARLEY_OK;
    }
    parley_session s = {0};
    parley_status st = svc->repo->sessions->get(svc->repo, turn->session_id, &s, err);
    if (st != PARLEY_OK || !bot_may_speak(&s, turn->bot_id)) {
        /* handed over, closed or taken by an agent since: the bot is quiet */
        parley_session_free(&s);
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(err);
            st = PARLEY_OK;
        }
        return st;
    }
    switch (turn->action) {
    case PARLEY_BOT_ANSWER: {
        char *meta = answer_meta(turn);
        st = meta == NULL ? nomem(err)
                          : parley_chat_post_as(svc, s.id, PARLEY_PARTICIPANT_BOT, s.bot_id,
                                                turn->reply, meta, NULL, err);
        free(meta);
        break;
    }
    case PARLEY_BOT_NO_ANSWER: {
        int64_t failed = 0;
        st = svc->repo->kb->bot_failures_add(svc->repo, s.id, 1, &failed, err);
        if (st == PARLEY_OK &&
            failed >= parley_settings_int(svc->repo, "bot.max_failed_attempts")) {
            st = handoff(svc, &s, "no_answer", err);
            *handed_off = st == PARLEY_OK;
        } else if (st == PARLEY_OK) {
            char meta[96];
            snprintf(meta, sizeof meta,
                     "{\"bot\":{\"kind\":\"no_answer\",\"failed_attempts\":%lld}}",
                     (long long)failed);
            st = say_setting(svc, &s, "bot.no_answer_message", meta, err);
        }
        break;
    }
    case PARLEY_BOT_HANDOFF_REQUESTED:
        st = handoff(svc, &s, "requested", err);
        *handed_off = st == PARLEY_OK;
        break;
    case PARLEY_BOT_NOTHING:
        break;
    }
    parley_session_free(&s);
    return st;
}

void parley_bot_turn_free(parley_bot_turn *turn) {
    free(turn->reply);
    turn->reply = NULL;
    free(turn->translated);
    turn->translated = NULL;
}
