/*
 * postgres/desk.c - the desk ops table (core/store/desk.h) on PostgreSQL:
 * presence, routing, the queue and teams. The same statements as
 * sqlite/desk.c, row for row (the column lists are storage/columns.h's).
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#include "storage/columns.h"

/* a team's members come along as one JSON array sorted bytewise, written
 * as SQLite's json_group_array writes it ("[]" when there are none) */
#define PG_TEAM_COLS                                                                               \
    "id, name, topics_json, created_at, position, coalesce((SELECT '[' || "                        \
    "string_agg(to_json(m.agent_id)::text, ',' ORDER BY m.agent_id COLLATE \"C\") || ']' FROM "    \
    "team_members m WHERE m.team_id = teams.id), '[]')"

const char *const parley_pg_desk_sql[PG_STMT_COUNT] = {
    [PG_AGENT_SET_PRESENCE] = "UPDATE agents SET status = $2, status_since = $3 WHERE id = $1",
    [PG_AGENT_NOTE_ASSIGNED] = "UPDATE agents SET last_assigned_seq = "
                               "(SELECT max(last_assigned_seq) FROM agents) + 1 WHERE id = $1",
    [PG_AGENT_LOADS] = "SELECT a.id, a.status, a.last_assigned_seq, (SELECT count(*) FROM "
                       "sessions s WHERE s.agent_id = a.id AND s.status = 'active') FROM agents a "
                       "WHERE a.active ORDER BY a.created_at, a.id COLLATE \"C\"",
    [PG_SESSION_SET_ROUTING] = "UPDATE sessions SET team_id = $2, queued_at = $3, "
                               "assigned_at = $4 WHERE id = $1",
    [PG_QUEUE_LIST] = "SELECT " PG_SESSION_COLS ", queue_position FROM sessions WHERE "
                      "status = 'waiting' AND bot_id IS NULL AND position > $1 "
                      "ORDER BY position LIMIT $2",
    /* an agent's answer is any message it sent since it got the session */
    [PG_REQUEUE_CANDIDATES] =
        "SELECT " PG_SESSION_COLS " FROM sessions WHERE sessions.status = 'active' AND "
        "sessions.assigned_at <= $1 AND sessions.agent_id IN (SELECT id FROM agents WHERE "
        "status = 'offline') AND NOT EXISTS (SELECT 1 FROM messages m WHERE "
        "m.session_id = sessions.id AND m.sender_kind = 'agent' AND "
        "m.sender_id = sessions.agent_id AND m.created_at >= sessions.assigned_at) "
        "ORDER BY sessions.position LIMIT 1000",
    /* trunc: the mean's integer part, as SQLite's double cast to int64 */
    [PG_QUEUE_AVERAGE_WAIT] = "SELECT count(*), trunc(avg(w))::bigint FROM (SELECT "
                              "assigned_at - queued_at AS w FROM sessions WHERE assigned_at > 0 "
                              "AND queued_at > 0 AND assigned_at >= queued_at "
                              "ORDER BY assigned_at DESC LIMIT $1) t",
    [PG_QUEUE_RANK] = "SELECT CASE WHEN s.status = 'waiting' AND s.bot_id IS NULL THEN (SELECT "
                      "count(*) FROM sessions q WHERE q.status = 'waiting' AND q.position <= "
                      "s.position AND q.bot_id IS NULL AND q.team_id IS NOT DISTINCT FROM "
                      "s.team_id) ELSE 0 END FROM sessions s WHERE s.id = $1",
    [PG_TEAM_INSERT] = "INSERT INTO teams (id, name, topics_json, created_at) "
                       "VALUES ($1, $2, $3, $4)",
    [PG_TEAM_GET] = "SELECT " PG_TEAM_COLS " FROM teams WHERE id = $1",
    [PG_TEAM_UPDATE] = "UPDATE teams SET name = $2, topics_json = $3 WHERE id = $1",
    [PG_TEAM_CLEAR_SESSIONS] = "UPDATE sessions SET team_id = NULL WHERE team_id = $1",
    [PG_TEAM_CLEAR_MEMBERS] = "DELETE FROM team_members WHERE team_id = $1",
    [PG_TEAM_DELETE] = "DELETE FROM teams WHERE id = $1",
    [PG_TEAM_LIST] = "SELECT " PG_TEAM_COLS " FROM teams WHERE position < $1 "
                     "ORDER BY position DESC LIMIT $2",
    [PG_TEAM_BY_TOPIC] = "SELECT id FROM teams WHERE EXISTS (SELECT 1 FROM "
                         "json_array_elements_text(topics_json::json) j(topic) WHERE "
                         "lower(j.topic) = lower($1)) ORDER BY position LIMIT 1",
    [PG_TEAM_MEMBER_ADD] = "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
    [PG_TEAM_MEMBER_REMOVE] = "DELETE FROM team_members WHERE team_id = $1 AND agent_id = $2",
    [PG_TEAM_HAS_MEMBER] = "SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND "
                           "agent_id = $2)::int",
    [PG_SESSION_SET_QUEUE_POSITION] = "UPDATE sessions SET queue_position = $2 WHERE id = $1",
};

/* ---- presence and routing ------------------------------------------------ */

ROW_READER(read_agent_load, parley_agent_load, AGENT_LOAD_COLUMNS)

/* A queued session (PG_SESSION_COLS) and the position it was last told. */
static void read_queue_entry(row_reader *rd, parley_queue_entry *e) {
    read_session(rd, &e->session);
    e->position_key = r_i64(rd, PG_SESSION_POSITION_COL);
    e->announced_position = r_i64(rd, 17);
}

ROW_LIST_TYPE(agent_load_rows, parley_agent_load, "agent", read_agent_load, parley_agent_load_free,
              parley_agent_load_list, 0);
ROW_LIST_TYPE(queue_rows, parley_queue_entry, "session", read_queue_entry, parley_queue_entry_free,
              parley_queue_list, PG_SESSION_POSITION_COL);
ROW_LIST_TYPE(session_rows, parley_session, "session", read_session, parley_session_free,
              parley_session_list, PG_SESSION_POSITION_COL);

static parley_status pq_agent_set_presence(parley_repository *repo, const char *agent_id,
                                           parley_agent_status status, parley_time_ms since,
                                           parley_error *err) {
    return write_params(as_pg(repo), PG_AGENT_SET_PRESENCE, true, "agent_set_presence", "agent",
                        PARAMS(p_id(agent_id), p_enum(agent_status_store(status)), p_i64(since)),
                        err);
}

static parley_status pq_agent_note_assigned(parley_repository *repo, const char *agent_id,
                                            parley_error *err) {
    return write_params(as_pg(repo), PG_AGENT_NOTE_ASSIGNED, true, "agent_note_assigned", "agent",
                        PARAMS(p_id(agent_id)), err);
}

static parley_status pq_agent_loads(parley_repository *repo, parley_agent_load_list *out,
                                    parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_AGENT_LOADS);
    return list_rows(&b, "agent_loads", &agent_load_rows, out, err);
}

static parley_status pq_session_set_routing(parley_repository *repo, const parley_session *s,
                                            parley_error *err) {
    return write_params(
        as_pg(repo), PG_SESSION_SET_ROUTING, true, "session_set_routing", "session",
        PARAMS(p_id(s->id), p_opt_id(s->team_id), p_i64(s->queued_at), p_i64(s->assigned_at)), err);
}

static parley_status pq_queue_list(parley_repository *repo, int64_t after, int limit,
                                   parley_queue_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_QUEUE_LIST);
    b_i64(&b, 1, after);
    b_int(&b, 2, limit < 1 ? 1 : limit > 10000 ? 10000 : limit);
    return list_rows(&b, "queue_list", &queue_rows, out, err);
}

static parley_status pq_requeue_candidates(parley_repository *repo, parley_time_ms assigned_before,
                                           parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_REQUEUE_CANDIDATES);
    b_i64(&b, 1, assigned_before);
    return list_rows(&b, "requeue_candidates", &session_rows, out, err);
}

static bool average_row(row_reader *rd, void *ctx) {
    int64_t *count_and_avg = ctx;
    count_and_avg[0] = r_i64(rd, 0);
    count_and_avg[1] = r_i64(rd, 1);
    return false;
}

static parley_status pq_queue_average_wait(parley_repository *repo, int sample, int64_t *avg_ms,
                                           bool *known, parley_error *err) {
    *avg_ms = 0;
    *known = false;
    binder b = bind_start(as_pg(repo), PG_QUEUE_AVERAGE_WAIT);
    b_int(&b, 1, sample);
    int64_t count_and_avg[2] = {0, 0};
    parley_status status = each_row(&b, "queue_average_wait", average_row, count_and_avg, err);
    if (status == PARLEY_OK && count_and_avg[0] > 0) {
        *known = true;
        *avg_ms = count_and_avg[1];
    }
    return status;
}

static bool rank_row(row_reader *rd, void *ctx) {
    *(int64_t *)ctx = r_i64(rd, 0);
    return false;
}

static parley_status pq_queue_rank(parley_repository *repo, const char *session_id,
                                   int64_t *position, parley_error *err) {
    *position = 0;
    binder b = bind_start(as_pg(repo), PG_QUEUE_RANK);
    b_params(&b, PARAMS(p_id(session_id)));
    return each_row(&b, "queue_rank", rank_row, position, err);
}

/* ---- teams --------------------------------------------------------------- */

ROW_READER(read_team, parley_team, TEAM_READ_COLUMNS)
ROW_BINDER(bind_team, parley_team, TEAM_COLUMNS)
ROW_LIST_TYPE(team_rows, parley_team, "team", read_team, parley_team_free, parley_team_list,
              TEAM_POSITION_COL);

WRITE_ROW_OP(team_insert, parley_team, PG_TEAM_INSERT, false, "team", bind_team)

GET_BY_KEY_OP(team_get, parley_team, PG_TEAM_GET, team_rows)

static parley_status pq_team_update(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    return write_params(as_pg(repo), PG_TEAM_UPDATE, true, "team_update", "team",
                        PARAMS(p_id(t->id), p_text(t->name), p_text(t->topics_json)), err);
}

/* Its sessions and members let go of it first; only the last step must
 * find the team. */
static parley_status pq_team_delete(parley_repository *repo, const char *id, parley_error *err) {
    static const struct {
        enum pg_stmt_id stmt;
        bool must_change;
    } steps[] = {
        {PG_TEAM_CLEAR_SESSIONS, false}, {PG_TEAM_CLEAR_MEMBERS, false}, {PG_TEAM_DELETE, true}};
    parley_status status = PARLEY_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && status == PARLEY_OK; i++) {
        status = write_params(as_pg(repo), steps[i].stmt, steps[i].must_change, "team_delete",
                              "team", PARAMS(p_id(id)), err);
    }
    return status;
}

LIST_PAGE_OP(team_list, parley_team_list, PG_TEAM_LIST, team_rows)

static parley_status pq_team_find_by_topic(parley_repository *repo, const char *topic,
                                           char team_id_out[PARLEY_ID_SIZE], parley_error *err) {
    team_id_out[0] = '\0';
    binder b = bind_start(as_pg(repo), PG_TEAM_BY_TOPIC);
    b_text(&b, 1, topic);
    parley_status status = PARLEY_OK;
    PGresult *res = parley_pg_run(&b, "team_find_by_topic", &status, err);
    if (res == NULL) {
        return status;
    }
    if (PQntuples(res) == 0) {
        status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "team not found");
    } else {
        row_reader rd = reader_start(res, 0);
        r_fixed(&rd, 0, team_id_out, PARLEY_ID_SIZE);
        status = reader_finish(&rd, "team_find_by_topic", err);
    }
    PQclear(res);
    if (status != PARLEY_OK) {
        team_id_out[0] = '\0';
    }
    return status;
}

static parley_status pq_team_member_add(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *added, parley_error *err) {
    return write_changed(as_pg(repo), PG_TEAM_MEMBER_ADD, "team_member_add", "member",
                         PARAMS(p_id(team_id), p_id(agent_id)), added, err);
}

static parley_status pq_team_member_remove(parley_repository *repo, const char *team_id,
                                           const char *agent_id, parley_error *err) {
    return write_params(as_pg(repo), PG_TEAM_MEMBER_REMOVE, true, "team_member_remove", "member",
                        PARAMS(p_id(team_id), p_id(agent_id)), err);
}

static parley_status pq_team_has_member(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_TEAM_HAS_MEMBER);
    b_params(&b, PARAMS(p_id(team_id), p_id(agent_id)));
    return get_flag(&b, "team_has_member", "member", out, err);
}

static parley_status pq_session_set_queue_position(parley_repository *repo, const char *session_id,
                                                   int64_t position, parley_error *err) {
    return write_params(as_pg(repo), PG_SESSION_SET_QUEUE_POSITION, true,
                        "session_set_queue_position", "session",
                        PARAMS(p_id(session_id), p_i64(position)), err);
}

const parley_desk_ops parley_pg_desk_ops = {
    .agent_set_presence = pq_agent_set_presence,
    .agent_note_assigned = pq_agent_note_assigned,
    .agent_loads = pq_agent_loads,
    .session_set_routing = pq_session_set_routing,
    .queue_list = pq_queue_list,
    .requeue_candidates = pq_requeue_candidates,
    .queue_average_wait = pq_queue_average_wait,
    .queue_rank = pq_queue_rank,
    .team_insert = pq_team_insert,
    .team_get = pq_team_get,
    .team_update = pq_team_update,
    .team_delete = pq_team_delete,
    .team_list = pq_team_list,
    .team_find_by_topic = pq_team_find_by_topic,
    .team_member_add = pq_team_member_add,
    .team_member_remove = pq_team_member_remove,
    .team_has_member = pq_team_has_member,
    .session_set_queue_position = pq_session_set_queue_position,
};
