#include "core/teams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "util/validate.h"

#define TEAM_NAME_MAX_CHARS 100
#define TEAM_TOPICS_MAX 50
#define TEAM_TOPIC_MAX_CHARS 100

static parley_status no_team(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such team");
}

/* topics must be an array of distinct-enough strings; stored as compact
 * JSON text. */
static parley_status check_topics(const json_t *topics, char **out, parley_error *err) {
    *out = NULL;
    if (!json_is_array(topics)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "topics: must be an array of strings");
    }
    if (json_array_size(topics) > TEAM_TOPICS_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "topics: at most %d",
                                TEAM_TOPICS_MAX);
    }
    size_t i;
    const json_t *topic;
    json_array_foreach(topics, i, topic) {
        parley_status st = parley_check_text("topics[]", json_string_value(topic), true, 1,
                                             TEAM_TOPIC_MAX_CHARS, err);
        if (st != PARLEY_OK || !json_is_string(topic)) {
            return st != PARLEY_OK ? st
                                   : parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                                      "topics[]: must be strings");
        }
    }
    *out = json_dumps(topics, JSON_COMPACT);
    return *out != NULL ? PARLEY_OK : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

static parley_status store_and_reload(parley_chat_service *svc, parley_status st, const char *id,
                                      parley_team *out, parley_error *err) {
    if (st == PARLEY_E_CONFLICT) {
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                "name: a team with this name exists");
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, id, out, err);
    }
    return st;
}

parley_status parley_team_create(parley_chat_service *svc, const parley_participant *caller,
                                 const char *name, const json_t *topics, parley_team *out,
                                 parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_ADMIN, err);
    if (st == PARLEY_OK) {
        st = parley_check_text("name", name, true, 1, TEAM_NAME_MAX_CHARS, err);
    }
    parley_team t = {0};
    if (st == PARLEY_OK) {
        static const char empty[] = "[]";
        if (topics == NULL) {
            t.topics_json = strdup(empty);
        } else {
            st = check_topics(topics, &t.topics_json, err);
        }
    }
    if (st == PARLEY_OK && (t.topics_json == NULL || (t.name = strdup(name)) == NULL)) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK) {
        parley_id_new("tea", t.id);
        t.created_at = parley_now_ms();
        st = svc->repo->desk->team_insert(svc->repo, &t, err);
        st = store_and_reload(svc, st, t.id, out, err);
    }
    parley_team_free(&t);
    return st;
}

parley_status parley_team_update(parley_chat_service *svc, const parley_participant *caller,
                                 const char *team_id, const char *name, const json_t *topics,
                                 parley_team *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_ADMIN, err);
    parley_team t = {0};
    if (st == PARLEY_OK && name != NULL) {
        st = parley_check_text("name", name, true, 1, TEAM_NAME_MAX_CHARS, err);
    }
    char *topics_json = NULL;
    if (st == PARLEY_OK && topics != NULL) {
        st = check_topics(topics, &topics_json, err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, team_id, &t, err);
        if (st == PARLEY_E_NOT_FOUND) {
            st = no_team(err);
        }
    }
    if (st == PARLEY_OK && name != NULL) {
        free(t.name);
        if ((t.name = strdup(name)) == NULL) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    if (st == PARLEY_OK && topics_json != NULL) {
        free(t.topics_json);
        t.topics_json = topics_json;
        topics_json = NULL;
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_update(svc->repo, &t, err);
        st = store_and_reload(svc, st, t.id, out, err);
    }
    free(topics_json);
    parley_team_free(&t);
    return st;
}

parley_status parley_team_delete(parley_chat_service *svc, const parley_participant *caller,
                                 const char *team_id, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_ADMIN, err);
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_delete(svc->repo, team_id, err);
        if (st == PARLEY_E_NOT_FOUND) {
            st = no_team(err);
        }
    }
    return st;
}

parley_status parley_team_get(parley_chat_service *svc, const parley_participant *caller,
                              const char *team_id, parley_team *out, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_LIST, err);
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, team_id, out, err);
        if (st == PARLEY_E_NOT_FOUND) {
            st = no_team(err);
        }
    }
    return st;
}

parley_status parley_teams_list(parley_chat_service *svc, const parley_participant *caller,
                                int limit, const char *cursor, parley_team_list *out,
                                char *next_cursor, size_t next_cursor_size, parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_LIST, err);
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_list(svc->repo, limit, cursor, out, next_cursor,
                                        next_cursor_size, err);
        if (st == PARLEY_E_INVALID) {
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
        }
    }
    return st;
}

static parley_status load_member_target(parley_chat_service *svc, const parley_participant *caller,
                                        const char *team_id, const char *agent_id,
                                        parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_TEAM_ADMIN, err);
    if (st == PARLEY_OK) {
        st = parley_check_text("agent_id", agent_id, true, 1, PARLEY_ID_SIZE - 1, err);
    }
    parley_team t = {0};
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, team_id, &t, err);
        parley_team_free(&t);
        if (st == PARLEY_E_NOT_FOUND) {
            st = no_team(err);
        }
    }
    return st;
}

parley_status parley_team_add_member(parley_chat_service *svc, const parley_participant *caller,
                                     const char *team_id, const char *agent_id, bool *added,
                                     parley_team *out, parley_error *err) {
    *added = false;
    parley_status st = load_member_target(svc, caller, team_id, agent_id, err);
    parley_agent a = {0};
    if (st == PARLEY_OK) {
        st = svc->repo->accounts->agent_get(svc->repo, agent_id, &a, err);
        bool usable = st == PARLEY_OK && a.active;
        parley_agent_free(&a);
        if (st == PARLEY_E_NOT_FOUND || (st == PARLEY_OK && !usable)) {
            st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
        }
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_member_add(svc->repo, team_id, agent_id, added, err);
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, team_id, out, err);
    }
    return st;
}

parley_status parley_team_remove_member(parley_chat_service *svc, const parley_participant *caller,
                                        const char *team_id, const char *agent_id, parley_team *out,
                                        parley_error *err) {
    parley_status st = load_member_target(svc, caller, team_id, agent_id, err);
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_member_remove(svc->repo, team_id, agent_id, err);
        if (st == PARLEY_E_NOT_FOUND) {
            st = parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                  "agent_id: not a member of this team");
        }
    }
    if (st == PARLEY_OK) {
        st = svc->repo->desk->team_get(svc->repo, team_id, out, err);
    }
    return st;
}
