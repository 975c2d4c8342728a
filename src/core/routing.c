#include "core/routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "core/queue_positions.h"
#include "core/queue_wait.h"
#include "core/settings.h"
#include "util/validate.h"

/* A queue longer than this is not read whole by one dispatch; the rest
 * waits for the next one (it only ever shrinks from the front). */
#define QUEUE_READ_MAX 10000
/* Assignments averaged for the estimated wait. */
#define WAIT_SAMPLE PARLEY_QUEUE_WAIT_SAMPLE

static parley_status nomem(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

parley_status parley_routing_place_new(parley_chat_service *svc, parley_session *s,
                                       const char *team_id, parley_error *err) {
    parley_status st = PARLEY_OK;
    if (team_id != NULL && team_id[0] != '\0') {
        parley_team t = {0};
        st = strlen(team_id) < PARLEY_ID_SIZE
                 ? svc->repo->desk->team_get(svc->repo, team_id, &t, err)
                 : PARLEY_E_NOT_FOUND;
        parley_team_free(&t);
        if (st == PARLEY_E_NOT_FOUND) {
            return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                    "team_id: no such team");
        }
        if (st != PARLEY_OK) {
            return st;
        }
        snprintf(s->team_id, sizeof s->team_id, "%s", team_id);
    } else {
        st = svc->repo->desk->team_find_by_topic(svc->repo, s->topic, s->team_id, err);
        if (st == PARLEY_E_NOT_FOUND) {
            parley_error_clear(err);
            s->team_id[0] = '\0';
            st = PARLEY_OK;
        }
        if (st != PARLEY_OK) {
            return st;
        }
    }
    s->queued_at = s->created_at;
    return svc->repo->desk->session_set_routing(svc->repo, s, err);
}

static parley_status on_session_created(void *ctx, parley_chat_service *svc, parley_event *e,
                                        parley_error *err) {
    (void)ctx;
    return parley_routing_place_new(svc, &e->session.session, e->session.asked_team_id, err);
}

bool parley_routing_subscribe(parley_event_registry *reg) {
    return parley_event_subscribe_in_unit(reg, PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED),
                                          on_session_created, NULL);
}

/* --- queue positions ------------------------------------------------------ */

/* Every entry's position (core/queue_positions.h), one pass over the
 * queue; *out owned by the caller (free), NULL for an empty queue. */
static parley_status positions_of(const parley_queue_list *q, const bool *gone, int **out,
                                  parley_error *err) {
    *out = NULL;
    if (q->count == 0) {
        return PARLEY_OK;
    }
    *out = malloc(q->count * sizeof **out);
    if (*out == NULL || !parley_queue_positions(q, gone, *out)) {
        free(*out);
        *out = NULL;
        return nomem(err);
    }
    return PARLEY_OK;
}

static int64_t wait_seconds(int position, int64_t avg_ms) {
    return (avg_ms * position + 999) / 1000;
}

static json_t *queue_json(int position, bool known, int64_t avg_ms) {
    return json_pack("{s:i, s:o}", "position", position, "estimated_wait_seconds",
                     known ? json_integer((json_int_t)wait_seconds(position, avg_ms))
                           : json_null());
}

/* The mean time-to-assignment: the in-memory figure (core/queue_wait.h),
 * seeded from the database by the first caller; without one (unit tests
 * of a bare service), the database's. */
static parley_status average_wait(parley_chat_service *svc, int64_t *avg_ms, bool *known,
                                  parley_error *err) {
    parley_queue_wait *w = svc->queue_wait;
    if (w != NULL && parley_queue_wait_seeded(w)) {
        *known = parley_queue_wait_mean(w, avg_ms);
        return PARLEY_OK;
    }
    parley_status st =
        svc->repo->desk->queue_average_wait(svc->repo, WAIT_SAMPLE, avg_ms, known, err);
    if (st == PARLEY_OK && w != NULL) {
        /* the query gives the mean of up to WAIT_SAMPLE: taken as a full
         * sample of it (the same mean; new assignments replace them) */
        parley_queue_wait_seed(w, *known ? WAIT_SAMPLE : 0, *avg_ms);
        *known = parley_queue_wait_mean(w, avg_ms);
    }
    return st;
}

typedef struct wait_sample {
    parley_queue_wait *w;
    int64_t wait_ms;
} wait_sample;

static void add_wait_sample(void *ctx) {
    wait_sample *ws = ctx;
    parley_queue_wait_add(ws->w, ws->wait_ms);
}

/* s was just assigned from the queue: its wait counts in the mean once the
 * unit commits (a rolled-back assignment never happened). */
static parley_status note_assignment(parley_chat_service *svc, const parley_session *s,
                                     parley_error *err) {
    if (svc->queue_wait == NULL || s->queued_at <= 0 || s->assigned_at < s->queued_at) {
        return PARLEY_OK;
    }
    wait_sample *ws = malloc(sizeof *ws);
    if (ws == NULL) {
        return nomem(err);
    }
    ws->w = svc->queue_wait;
    ws->wait_ms = s->assigned_at - s->queued_at;
    return parley_after_commit_add(&svc->after_commit, add_wait_sample, ws, free) ? PARLEY_OK
                                                                                  : nomem(err);
}

/* One session's place: counted by the repository (queue_rank) from the
 * index, not by reading the queue (every waiting session's row) to find
 * it; also past the first QUEUE_READ_MAX. */
parley_status parley_routing_queue_info(parley_chat_service *svc, const parley_session *s,
                                        json_t **out, parley_error *err) {
    *out = NULL;
    if (s->status != PARLEY_SESSION_WAITING || s->bot_id[0] != '\0') {
        *out = json_null();
        return PARLEY_OK;
    }
    int64_t position = 0;
    parley_status st = svc->repo->desk->queue_rank(svc->repo, s->id, &position, err);
    int64_t avg = 0;
    bool known = false;
    if (st == PARLEY_OK && position > 0) {
        st = average_wait(svc, &avg, &known, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    *out = position > 0 ? queue_json((int)position, known, avg) : json_null();
    return *out != NULL ? PARLEY_OK : nomem(err);
}

bool parley_routing_parse_queue_cursor(const char *cursor, int64_t *after) {
    *after = 0;
    if (cursor == NULL || cursor[0] == '\0') {
        return true;
    }
    /* digits only: strtoll would also take " 5", "+5" and clamp
     * 9999999999999999999 to INT64_MAX */
    int64_t v = 0;
    size_t len = 0;
    for (; cursor[len] != '\0'; len++) {
        if (cursor[len] < '0' || cursor[len] > '9' || len == 19) {
            return false;
        }
        int digit = cursor[len] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            return false;
        }
        v = v * 10 + digit;
    }
    if (v <= 0) {
        return false;
    }
    *after = v;
    return true;
}

parley_status parley_routing_list_queue(parley_chat_service *svc, const parley_participant *caller,
                                        int limit, const char *cursor, json_t **out,
                                        parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_QUEUE_READ, err);
    int64_t after = 0;
    if (st == PARLEY_OK && !parley_routing_parse_queue_cursor(cursor, &after)) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    /* positions count the whole queue, so it is read whole and paged here */
    parley_queue_list q = {0};
    st = svc->repo->desk->queue_list(svc->repo, 0, QUEUE_READ_MAX, &q, err);
    int64_t avg = 0;
    bool known = false;
    if (st == PARLEY_OK) {
        st = average_wait(svc, &avg, &known, err);
    }
    int *positions = NULL;
    if (st == PARLEY_OK) {
        st = positions_of(&q, NULL, &positions, err);
    }
    json_t *items = json_array();
    json_t *next = json_null();
    int taken = 0;
    for (size_t i = 0; st == PARLEY_OK && items != NULL && i < q.count; i++) {
        const parley_queue_entry *e = &q.items[i];
        if (e->position_key <= after) {
            continue;
        }
        if (taken == limit) {
            json_decref(next);
            char text[32];
            snprintf(text, sizeof text, "%lld", (long long)q.items[i - 1].position_key);
            next = json_string(text);
            break;
        }
        json_t *entry = queue_json(positions[i], known, avg);
        if (entry == NULL) {
            st = nomem(err);
            break;
        }
        json_object_set_new(entry, "session", parley_session_to_json(&e->session));
        json_object_set_new(entry, "waiting_since", parley_time_to_json(e->session.queued_at));
        json_object_set_new(entry, "team_id",
                            e->session.team_id[0] != '\0' ? json_string(e->session.team_id)
                                                          : json_null());
        json_array_append_new(items, entry);
        taken++;
    }
    free(positions);
    parley_queue_list_free(&q);
    if (st == PARLEY_OK && items == NULL) {
        st = nomem(err);
    }
    if (st != PARLEY_OK) {
        json_decref(items);
        json_decref(next);
        return st;
    }
    *out = json_pack("{s:o, s:o}", "queue", items, "next_cursor", next);
    return *out != NULL ? PARLEY_OK : nomem(err);
}

/* --- dispatch ------------------------------------------------------------- */

static parley_status back_to_queue(parley_chat_service *svc, parley_session *s, const char *note,
                                   parley_error *err) {
    s->status = PARLEY_SESSION_WAITING;
    s->agent_id[0] = '\0';
    s->assigned_at = 0;
    s->queued_at = parley_now_ms();
    parley_status st = parley_chat_store_routed_session(svc, s, NULL, err);
    if (st == PARLEY_OK) {
        /* its customer hears its new place from the next dispatch */
        st = svc->repo->desk->session_set_queue_position(svc->repo, s->id, 0, err);
    }
    if (st == PARLEY_OK && note != NULL) {
        st = parley_chat_post_system_message(svc, s->id, note, NULL, NULL, err);
    }
    return st;
}

static parley_status requeue_silent(parley_chat_service *svc, int *count, parley_error *err) {
    int64_t after_s = parley_settings_int(svc->repo, "routing.requeue_after_seconds");
    if (after_s <= 0) {
        return PARLEY_OK; /* 0 = never */
    }
    parley_session_list list = {0};
    parley_status st = svc->repo->desk->requeue_candidates(
        svc->repo, parley_now_ms() - after_s * 1000, &list, err);
    for (size_t i = 0; st == PARLEY_OK && i < list.count; i++) {
        st = back_to_queue(svc, &list.items[i],
                           "Your agent is unavailable; you are back in the queue.", err);
        (*count)++;
    }
    parley_session_list_free(&list);
    return st;
}

typedef enum mode { MODE_MANUAL, MODE_ROUND_ROBIN, MODE_LEAST_BUSY } mode;

static mode read_mode(parley_chat_service *svc) {
    char *name = parley_settings_string(svc->repo, "routing.mode");
    mode m = MODE_MANUAL;
    if (name != NULL && strcmp(name, "round_robin") == 0) {
        m = MODE_ROUND_ROBIN;
    } else if (name != NULL && strcmp(name, "least_busy") == 0) {
        m = MODE_LEAST_BUSY;
    }
    free(name);
    return m;
}

/* Is a better than b for this mode? Agents given a session least recently
 * come first in both modes (that is the rotation of round_robin and the
 * "idle longest" tie-break of least_busy); list order breaks exact ties. */
static bool better(mode m, const parley_agent_load *a, const parley_agent_load *b) {
    if (m == MODE_LEAST_BUSY && a->active_chats != b->active_chats) {
        return a->active_chats < b->active_chats;
    }
    return a->last_assigned_seq < b->last_assigned_seq;
}

static parley_status pick_agent(parley_chat_service *svc, mode m, parley_agent_load_list *agents,
                                int64_t capacity, const parley_session *s, parley_agent_load **out,
                                parley_error *err) {
    *out = NULL;
    for (size_t i = 0; i < agents->count; i++) {
        parley_agent_load *a = &agents->items[i];
        if (a->status != PARLEY_AGENT_ONLINE || a->active_chats >= capacity) {
            continue;
        }
        if (*out != NULL && !better(m, a, *out)) {
            continue;
        }
        if (s->team_id[0] != '\0') {
            bool member = false;
            parley_status st =
                svc->repo->desk->team_has_member(svc->repo, s->team_id, a->id, &member, err);
            if (st != PARLEY_OK) {
                return st;
            }
            if (!member) {
                continue;
            }
        }
        *out = a;
    }
    return PARLEY_OK;
}

static int64_t max_seq(const parley_agent_load_list *agents) {
    int64_t max = 0;
    for (size_t i = 0; i < agents->count; i++) {
        if (agents->items[i].last_assigned_seq > max) {
            max = agents->items[i].last_assigned_seq;
        }
    }
    return max;
}

static parley_status assign_queued(parley_chat_service *svc, parley_queue_list *q, bool *gone,
                                   int *count, parley_error *err) {
    mode m = read_mode(svc);
    if (m == MODE_MANUAL) {
        return PARLEY_OK;
    }
    int64_t capacity = parley_settings_int(svc->repo, "routing.agent_capacity");
    parley_agent_load_list agents = {0};
    parley_status st = svc->repo->desk->agent_loads(svc->repo, &agents, err);
    for (size_t i = 0; st == PARLEY_OK && i < q->count; i++) {
        parley_session *s = &q->items[i].session;
        parley_agent_load *a = NULL;
        if ((st = pick_agent(svc, m, &agents, capacity, s, &a, err)) != PARLEY_OK || a == NULL) {
            continue;
        }
        snprintf(s->agent_id, sizeof s->agent_id, "%s", a->id);
        s->status = PARLEY_SESSION_ACTIVE;
        s->assigned_at = parley_now_ms();
        st = parley_chat_store_routed_session(svc, s, NULL, err);
        if (st == PARLEY_OK) {
            st = svc->repo->desk->agent_note_assigned(svc->repo, a->id, err);
        }
        if (st == PARLEY_OK) {
            st = note_assignment(svc, s, err);
        }
        a->last_assigned_seq = max_seq(&agents) + 1;
        a->active_chats++;
        gone[i] = true;
        (*count)++;
    }
    parley_agent_load_list_free(&agents);
    return st;
}

/* queue.updated to each waiting customer whose position is not the one
 * last announced: someone ahead was assigned, left or came back, or the
 * session is new. Every path that changes the queue emits session.created
 * or session.updated, which runs a dispatch, so none is missed. */
static parley_status announce_positions(parley_chat_service *svc, const parley_queue_list *q,
                                        const bool *gone, parley_error *err) {
    int64_t avg = 0;
    bool known = false;
    int *positions = NULL;
    parley_status st = average_wait(svc, &avg, &known, err);
    if (st == PARLEY_OK) {
        st = positions_of(q, gone, &positions, err);
    }
    for (size_t i = 0; st == PARLEY_OK && i < q->count; i++) {
        if (gone != NULL && gone[i]) {
            continue;
        }
        int now = positions[i];
        if (now == q->items[i].announced_position) {
            continue;
        }
        const parley_session *s = &q->items[i].session;
        st = svc->repo->desk->session_set_queue_position(svc->repo, s->id, now, err);
        if (st != PARLEY_OK) {
            break;
        }
        parley_event *e = parley_event_new(PARLEY_EVENT_QUEUE_UPDATED, PARLEY_AUDIENCE_CUSTOMER,
                                           s->id, s->customer_id);
        if (e != NULL) {
            e->queue.position = now;
            e->queue.wait_known = known;
            e->queue.wait_seconds = wait_seconds(now, avg);
        }
        st = parley_chat_emit(svc, e, err);
    }
    free(positions);
    return st;
}

parley_status parley_routing_dispatch(parley_chat_service *svc, parley_dispatch_result *out,
                                      parley_error *err) {
    memset(out, 0, sizeof *out);
    bool locked = false;
    parley_status st =
        svc->repo->ops->xact_lock(svc->repo, PARLEY_LOCK_ROUTING, false, &locked, err);
    if (st != PARLEY_OK || !locked) {
        out->busy = st == PARLEY_OK;
        return st;
    }
    parley_queue_list q = {0};
    if (svc->queue_wait != NULL && !parley_queue_wait_seeded(svc->queue_wait)) {
        /* seeded before this pass assigns: its assignments count once,
         * after the commit */
        int64_t avg = 0;
        bool known = false;
        st = average_wait(svc, &avg, &known, err);
    }
    if (st == PARLEY_OK) {
        st = requeue_silent(svc, &out->requeued, err);
    }
    /* the queue as it stands, re-queued sessions back at their places */
    if (st == PARLEY_OK) {
        st = svc->repo->desk->queue_list(svc->repo, 0, QUEUE_READ_MAX, &q, err);
    }
    bool *gone = NULL;
    if (st == PARLEY_OK && q.count > 0 && (gone = calloc(q.count, sizeof *gone)) == NULL) {
        st = nomem(err);
    }
    if (st == PARLEY_OK && q.count > 0) {
        st = assign_queued(svc, &q, gone, &out->assigned, err);
    }
    if (st == PARLEY_OK) {
        st = announce_positions(svc, &q, gone, err);
    }
    free(gone);
    parley_queue_list_free(&q);
    return st;
}

/* --- transfer and unassign ------------------------------------------------ */

static parley_status transfer_to_agent(parley_chat_service *svc, parley_session *s,
                                       const char *agent_id, const char *actor_id,
                                       parley_error *err) {
    parley_agent agent = {0};
    parley_status st = strlen(agent_id) < PARLEY_ID_SIZE
                           ? svc->repo->accounts->agent_get(svc->repo, agent_id, &agent, err)
                           : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_E_NOT_FOUND || (st == PARLEY_OK && !agent.active)) {
        parley_agent_free(&agent);
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such agent");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    if (strcmp(s->agent_id, agent_id) == 0 && s->status == PARLEY_SESSION_ACTIVE) {
        parley_agent_free(&agent);
        return parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                "agent_id: the session is already with this agent");
    }
    /* a transfer hands work to a colleague: it respects their capacity,
     * read under the routing lock (another writer's dispatch waits) */
    bool locked = false;
    st = svc->repo->ops->xact_lock(svc->repo, PARLEY_LOCK_ROUTING, true, &locked, err);
    int64_t capacity = parley_settings_int(svc->repo, "routing.agent_capacity");
    parley_agent_load_list loads = {0};
    if (st == PARLEY_OK) {
        st = svc->repo->desk->agent_loads(svc->repo, &loads, err);
    }
    for (size_t i = 0; st == PARLEY_OK && i < loads.count; i++) {
        if (strcmp(loads.items[i].id, agent_id) == 0 && loads.items[i].active_chats >= capacity) {
            st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "agent_id: the agent already has %lld active chats (capacity)",
                                  (long long)capacity);
        }
    }
    parley_agent_load_list_free(&loads);
    bool from_queue = s->status == PARLEY_SESSION_WAITING;
    if (st == PARLEY_OK) {
        snprintf(s->agent_id, sizeof s->agent_id, "%s", agent_id);
        s->status = PARLEY_SESSION_ACTIVE;
        s->assigned_at = parley_now_ms();
        st = parley_chat_store_routed_session(svc, s, actor_id, err);
    }
    if (st == PARLEY_OK && from_queue) {
        st = note_assignment(svc, s, err);
    }
    if (st == PARLEY_OK) {
        char note[300];
        snprintf(note, sizeof note, "The chat was transferred to %.200s.",
                 agent.name != NULL ? agent.name : "another agent");
        st = parley_chat_post_system_message(svc, s->id, note, NULL, NULL, err);
    }
    parley_agent_free(&agent);
    return st;
}

static parley_status transfer_to_team(parley_chat_service *svc, parley_session *s,
                                      const char *team_id, parley_error *err) {
    parley_team team = {0};
    parley_status st = strlen(team_id) < PARLEY_ID_SIZE
                           ? svc->repo->desk->team_get(svc->repo, team_id, &team, err)
                           : PARLEY_E_NOT_FOUND;
    if (st == PARLEY_E_NOT_FOUND) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such team");
    }
    if (st == PARLEY_OK) {
        snprintf(s->team_id, sizeof s->team_id, "%s", team.id);
        char note[300];
        snprintf(note, sizeof note,
                 "The chat was transferred to the %.200s team; the next free agent will answer.",
                 team.name != NULL ? team.name : "");
        st = back_to_queue(svc, s, note, err);
    }
    parley_team_free(&team);
    return st;
}

parley_status parley_routing_transfer(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, const char *agent_id,
                                      const char *team_id, parley_session *out, parley_error *err) {
    parley_session s = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_TRANSFER,
                                                    session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    bool to_agent = agent_id != NULL && agent_id[0] != '\0';
    bool to_team = team_id != NULL && team_id[0] != '\0';
    if (to_agent == to_team) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "agent_id, team_id: give exactly one");
    } else if (s.status == PARLEY_SESSION_CLOSED) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
    } else {
        st = to_agent ? transfer_to_agent(svc, &s, agent_id, caller->id, err)
                      : transfer_to_team(svc, &s, team_id, err);
    }
    return PARLEY_HAND_OVER(st, s, out, parley_session_free);
}

parley_status parley_routing_unassign(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, parley_session *out,
                                      parley_error *err) {
    parley_session s = {0};
    parley_status st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_SESSION_UNASSIGN,
                                                    session_id, &s, err);
    if (st != PARLEY_OK) {
        return st;
    }
    if (s.status != PARLEY_SESSION_ACTIVE) {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                              "the session is not assigned to an agent");
    } else {
        st = back_to_queue(svc, &s, "Your agent stepped away; you are back in the queue.", err);
    }
    return PARLEY_HAND_OVER(st, s, out, parley_session_free);
}
