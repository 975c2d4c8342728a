#include "core/settings.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/business_hours.h"
#include "core/chat_bot.h"
#include "core/ids.h"
#include "core/strategy_policy.h"
#include "util/validate.h"

static const char *const routing_modes[] = {"manual", "round_robin", "least_busy", NULL};

/* The one list of run-time settings. Append new keys; a key's meaning
 * never changes once released (rename instead). */
static const parley_setting_spec registry[] = {
    {"routing.mode", PARLEY_SETTING_ENUM, "\"manual\"", 0, 0, routing_modes, NULL,
     "how waiting sessions reach agents: manual (agents pick), round_robin (in turn among "
     "online agents with room), least_busy (the online agent with the fewest open chats)"},
    {"routing.agent_capacity", PARLEY_SETTING_INT, "5", 1, 1000, NULL, NULL,
     "open chats an agent is given at most by auto-assignment"},
    {"routing.requeue_after_seconds", PARLEY_SETTING_INT, "120", 0, 86400, NULL, NULL,
     "an assigned agent who goes offline without answering loses the session back to the "
     "queue after this long; 0 = never"},
    {"presence.offline_grace_seconds", PARLEY_SETTING_INT, "30", 0, 3600, NULL, NULL,
     "an agent whose last socket closed is shown offline only after this long (a reload or "
     "a network blip is not a departure)"},
    /* the ChatBot (core/chat_bot.h) */
    {"bot.enabled", PARLEY_SETTING_BOOL, "false", 0, 0, NULL, NULL,
     "new customer sessions get the desk's bot attached: it greets, answers from the knowledge "
     "base and hands over to a human"},
    {"bot.id", PARLEY_SETTING_STRING, "\"\"", 0, 39, NULL, NULL,
     "the bot that speaks for the desk: \"\" = the built-in bot_builtin (created on first use), "
     "or the id of a bot made with POST /api/v1/bots"},
    {"bot.greeting", PARLEY_SETTING_STRING,
     "\"Hi! I'm the {company} assistant. Ask me a question, or type \\\"{handoff_keyword}\\\" "
     "to talk to an agent.\"",
     0, 1000, NULL, NULL,
     "the bot's first message in a new session (\"\" = none); in every bot text {company} "
     "is desk.company_name and {handoff_keyword} bot.handoff_keyword"},
    {"bot.handoff_keyword", PARLEY_SETTING_STRING, "\"human\"", 2, 40, NULL, NULL,
     "the word the greeting and the widget tell customers to type for a person; the bot also "
     "hands over on it (besides agent, human, persona, ... in en/es/fr/de/pt)"},
    {"bot.texts", PARLEY_SETTING_OBJECT, "{}", 0, 0, NULL, parley_bot_texts_check,
     "the bot's texts per customer language: {\"es\": {\"greeting\": ..., \"away_message\": "
     "..., \"no_answer_message\": ..., \"handoff_message\": ...}}; a text missing there is the "
     "English setting's"},
    {"desk.company_name", PARLEY_SETTING_STRING, "\"\"", 0, 100, NULL, NULL,
     "the company the desk answers for: the bot calls itself its assistant ({company})"},
    {"bot.away_message", PARLEY_SETTING_STRING,
     "\"Our team is away right now. Leave your question here and an agent will answer as soon "
     "as we are back.\"",
     0, 1000, NULL, NULL,
     "said once in a session, at its start or at handoff, when outside bot.business_hours and no "
     "agent is online"},
    {"bot.no_answer_message", PARLEY_SETTING_STRING,
     "\"Sorry, I don't know the answer to that yet. Could you rephrase it? You can also ask "
     "for an agent.\"",
     1, 1000, NULL, NULL, "the bot's reply when no knowledge-base entry is confident enough"},
    {"bot.handoff_message", PARLEY_SETTING_STRING,
     "\"A human agent will take over this conversation shortly.\"", 1, 1000, NULL, NULL,
     "the system message posted when the bot hands the session to the agents"},
    {"bot.business_hours", PARLEY_SETTING_OBJECT, "{}", 0, 0, NULL, parley_business_hours_check,
     "{timezone, days: {mon: [[\"09:00\", \"18:00\"]], ...}}: when agents are in; {} = always; "
     "a day not listed is closed"},
    {"bot.min_confidence", PARLEY_SETTING_INT, "20", 1, 100, NULL, NULL,
     "the knowledge-base match score (percent, 1..100) the bot needs to answer"},
    {"bot.max_failed_attempts", PARLEY_SETTING_INT, "2", 1, 20, NULL, NULL,
     "questions the bot could not answer in a session before it hands over to a human"},
    {"sessions.auto_close_idle_seconds", PARLEY_SETTING_INT, "0", 0, 31536000, NULL, NULL,
     "a waiting or active session with no message for this long is closed by the desk (with "
     "a system message and a feedback request); 0 = never"},
    /* the operator's message filters (core/strategy_policy.h) */
    {"strategies.policy", PARLEY_SETTING_OBJECT, "{}", 0, 0, NULL,
     parley_strategy_policy_check_shape,
     "{chain: [{name, ...options}], customer_options: {strategy: [option, ...]}}: the filter "
     "chain every new session gets whatever the customer sends (no chain = --default-strategies) "
     "and the options a customer may choose (default: the translation languages)"},
};

#define REGISTRY_COUNT (sizeof registry / sizeof registry[0])

const parley_setting_spec *parley_settings_registry(size_t *count) {
    *count = REGISTRY_COUNT;
    return registry;
}

const parley_setting_spec *parley_settings_find(const char *key) {
    for (size_t i = 0; key != NULL && i < REGISTRY_COUNT; i++) {
        if (strcmp(registry[i].key, key) == 0) {
            return &registry[i];
        }
    }
    return NULL;
}

static const char *type_name(parley_setting_type type) {
    switch (type) {
    case PARLEY_SETTING_BOOL:
        return "boolean";
    case PARLEY_SETTING_INT:
        return "integer";
    case PARLEY_SETTING_STRING:
        return "string";
    case PARLEY_SETTING_ENUM:
        return "enum";
    case PARLEY_SETTING_OBJECT:
        return "object";
    }
    return "unknown";
}

parley_status parley_settings_check(const parley_setting_spec *spec, const json_t *value,
                                    parley_error *err) {
    switch (spec->type) {
    case PARLEY_SETTING_BOOL:
        if (json_is_boolean(value)) {
            return PARLEY_OK;
        }
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: must be true or false", spec->key);
    case PARLEY_SETTING_INT:
        if (json_is_integer(value) && json_integer_value(value) >= spec->min &&
            json_integer_value(value) <= spec->max) {
            return PARLEY_OK;
        }
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: must be an integer in %lld..%lld", spec->key,
                                (long long)spec->min, (long long)spec->max);
    case PARLEY_SETTING_STRING:
        if (!json_is_string(value)) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%s: must be a string", spec->key);
        }
        return parley_check_text(spec->key, json_string_value(value), false, (size_t)spec->min,
                                 (size_t)spec->max, err);
    case PARLEY_SETTING_ENUM:
        for (size_t i = 0; json_is_string(value) && spec->choices[i] != NULL; i++) {
            if (strcmp(json_string_value(value), spec->choices[i]) == 0) {
                return PARLEY_OK;
            }
        }
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "%s: must be one of the listed choices", spec->key);
    case PARLEY_SETTING_OBJECT:
        if (!json_is_object(value)) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%s: must be an object", spec->key);
        }
        return spec->check != NULL ? spec->check(value, err) : PARLEY_OK;
    }
    return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "%s: unknown type", spec->key);
}

static json_t *default_of(const parley_setting_spec *spec) {
    return json_loads(spec->default_json, JSON_DECODE_ANY, NULL);
}

parley_status parley_settings_get(parley_repository *repo, const char *key, json_t **value,
                                  parley_error *err) {
    *value = NULL;
    const parley_setting_spec *spec = parley_settings_find(key);
    if (spec == NULL) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no setting %s", key);
    }
    char *text = NULL;
    parley_status st = repo->settings->get(repo, key, &text, err);
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        st = PARLEY_OK;
    }
    if (st != PARLEY_OK) {
        return st;
    }
    json_t *stored = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    parley_error ignored = {0};
    if (stored != NULL && parley_settings_check(spec, stored, &ignored) == PARLEY_OK) {
        *value = stored;
        return PARLEY_OK;
    }
    json_decref(stored);
    *value = default_of(spec);
    return *value != NULL ? PARLEY_OK
                          : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

int64_t parley_settings_int(parley_repository *repo, const char *key) {
    json_t *value = NULL;
    parley_error ignored = {0};
    (void)parley_settings_get(repo, key, &value, &ignored);
    int64_t n = json_integer_value(value);
    json_decref(value);
    return n;
}

bool parley_settings_bool(parley_repository *repo, const char *key) {
    json_t *value = NULL;
    parley_error ignored = {0};
    (void)parley_settings_get(repo, key, &value, &ignored);
    bool b = json_is_true(value);
    json_decref(value);
    return b;
}

char *parley_settings_string(parley_repository *repo, const char *key) {
    json_t *value = NULL;
    parley_error ignored = {0};
    (void)parley_settings_get(repo, key, &value, &ignored);
    const char *s = json_string_value(value);
    char *copy = strdup(s != NULL ? s : "");
    json_decref(value);
    return copy;
}

parley_status parley_settings_all(parley_repository *repo, json_t **out, parley_error *err) {
    json_t *all = json_object();
    if (all == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < REGISTRY_COUNT; i++) {
        json_t *value = NULL;
        parley_status st = parley_settings_get(repo, registry[i].key, &value, err);
        if (st != PARLEY_OK) {
            json_decref(all);
            return st;
        }
        json_object_set_new(all, registry[i].key, value);
    }
    *out = all;
    return PARLEY_OK;
}

json_t *parley_settings_describe(void) {
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i < REGISTRY_COUNT; i++) {
        const parley_setting_spec *spec = &registry[i];
        json_t *d = json_pack("{s:s, s:o, s:s}", "type", type_name(spec->type), "default",
                              default_of(spec), "description", spec->help);
        if (d == NULL) {
            continue;
        }
        if (spec->type == PARLEY_SETTING_INT) {
            json_object_set_new(d, "minimum", json_integer(spec->min));
            json_object_set_new(d, "maximum", json_integer(spec->max));
        } else if (spec->type == PARLEY_SETTING_STRING) {
            json_object_set_new(d, "max_length", json_integer(spec->max));
        } else if (spec->type == PARLEY_SETTING_ENUM) {
            json_t *choices = json_array();
            for (size_t c = 0; spec->choices[c] != NULL; c++) {
                json_array_append_new(choices, json_string(spec->choices[c]));
            }
            json_object_set_new(d, "choices", choices);
        }
        json_object_set_new(out, spec->key, d);
    }
    return out;
}

parley_status parley_settings_update(parley_repository *repo, const parley_participant *actor,
                                     const char *ip, json_t *patch, parley_error *err) {
    if (!json_is_object(patch) || json_object_size(patch) == 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "body: an object of one or more settings");
    }
    const char *key;
    json_t *value;
    json_object_foreach(patch, key, value) {
        const parley_setting_spec *spec = parley_settings_find(key);
        if (spec == NULL) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "%s: no such setting", key);
        }
        parley_status st = parley_settings_check(spec, value, err);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    parley_time_ms now = parley_now_ms();
    json_object_foreach(patch, key, value) {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        parley_status st = text != NULL
                               ? repo->settings->put(repo, key, text, actor->id, now, err)
                               : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        free(text);
        if (st != PARLEY_OK) {
            return st;
        }
    }
    return parley_audit_record(repo, actor, "settings.update", NULL, ip, json_deep_copy(patch),
                               err);
}
