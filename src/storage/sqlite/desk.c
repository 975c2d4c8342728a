/*
 * sqlite/desk.c - the desk ops table (core/store/desk.h) on SQLite:
 * presence, routing, the queue and teams.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

#include "storage/columns.h"

const char *const parley_sqlite_desk_sql[ST_COUNT] = {
    [ST_AGENT_SET_PRESENCE] = "UPDATE agents SET status = ?2, status_since = ?3 WHERE id = ?1",
    [ST_AGENT_NOTE_ASSIGNED] = "UPDATE agents SET last_assigned_seq = "
                               "(SELECT max(last_assigned_seq) FROM agents) + 1 WHERE id = ?1",
    [ST_AGENT_LOADS] = "SELECT a.id, a.status, a.last_assigned_seq, (SELECT count(*) FROM "
                       "sessions s WHERE s.agent_id = a.id AND s.status = 'active') FROM agents a "
                       "WHERE a.active = 1 ORDER BY a.created_at, a.id",
    [ST_SESSION_SET_ROUTING] = "UPDATE sessions SET team_id = ?2, queued_at = ?3, "
                               "assigned_at = ?4 WHERE id = ?1",
    [ST_QUEUE_LIST] = "SELECT " SESSION_COLS ", queue_position FROM sessions WHERE "
                      "status = 'waiting' AND "
                      "bot_id IS NULL AND position > ?1 ORDER BY position LIMIT ?2",
    /* an agent's answer is any message it sent since it got the session */
    [ST_REQUEUE_CANDIDATES] =
        "SELECT " SESSION_COLS " FROM sessions WHERE sessions.status = 'active' AND "
        "sessions.assigned_at <= ?1 AND sessions.agent_id IN (SELECT id FROM agents WHERE "
        "status = 'offline') AND NOT EXISTS (SELECT 1 FROM messages m WHERE "
        "m.session_id = sessions.id AND m.sender_kind = 'agent' AND "
        "m.sender_id = sessions.agent_id AND m.created_at >= sessions.assigned_at) "
        "ORDER BY sessions.position LIMIT 1000",
    [ST_QUEUE_AVERAGE_WAIT] = "SELECT count(*), avg(w) FROM (SELECT assigned_at - queued_at AS w "
                              "FROM sessions WHERE assigned_at > 0 AND queued_at > 0 AND "
                              "assigned_at >= queued_at ORDER BY assigned_at DESC LIMIT ?1)",
    [ST_QUEUE_RANK] = "SELECT CASE WHEN s.status = 'waiting' AND s.bot_id IS NULL THEN (SELECT "
                      "count(*) FROM sessions q WHERE q.status = 'waiting' AND q.position <= "
                      "s.position AND q.bot_id IS NULL AND q.team_id IS s.team_id) ELSE 0 END "
                      "FROM sessions s WHERE s.id = ?1",
    [ST_TEAM_INSERT] = "INSERT INTO teams (id, name, topics_json, created_at) "
                       "VALUES (?1, ?2, ?3, ?4)",
    [ST_TEAM_GET] = "SELECT " TEAM_COLS " FROM teams WHERE id = ?1",
    [ST_TEAM_UPDATE] = "UPDATE teams SET name = ?2, topics_json = ?3 WHERE id = ?1",
    [ST_TEAM_CLEAR_SESSIONS] = "UPDATE sessions SET team_id = NULL WHERE team_id = ?1",
    [ST_TEAM_CLEAR_MEMBERS] = "DELETE FROM team_members WHERE team_id = ?1",
    [ST_TEAM_DELETE] = "DELETE FROM teams WHERE id = ?1",
    [ST_TEAM_LIST] = "SELECT " TEAM_COLS " FROM teams WHERE position < ?1 "
                     "ORDER BY position DESC LIMIT ?2",
    [ST_TEAM_BY_TOPIC] = "SELECT id FROM teams WHERE EXISTS (SELECT 1 FROM json_each(topics_json) "
                         "j WHERE lower(j.value) = lower(?1)) ORDER BY position LIMIT 1",
    [ST_TEAM_MEMBER_ADD] = "INSERT INTO team_members (team_id, agent_id) VALUES (?1, ?2) "
                           "ON CONFLICT DO NOTHING",
    [ST_TEAM_MEMBER_REMOVE] = "DELETE FROM team_members WHERE team_id = ?1 AND agent_id = ?2",
    [ST_TEAM_HAS_MEMBER] = "SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = ?1 AND "
                           "agent_id = ?2)",
    [ST_SESSION_SET_QUEUE_POSITION] = "UPDATE sessions SET queue_position = ?2 WHERE id = ?1",
};

/* ---- presence and routing ------------------------------------------------ */

/* AGENT_LOAD_COLUMNS (storage/columns.h): ST_AGENT_LOADS's columns. */
ROW_READER(read_agent_load, parley_agent_load, AGENT_LOAD_COLUMNS)

/* A queued session (SESSION_COLS) and the position it was last told. */
static void read_queue_entry(row_reader *rd, parley_queue_entry *e) {
    read_session(rd, &e->session);
    e->position_key = r_i64(rd, SESSION_POSITION_COL);
    e->announced_position = r_i64(rd, 17);
}

ROW_LIST_TYPE(agent_load_rows, parley_agent_load, "agent", read_agent_load, parley_agent_load_free,
              parley_agent_load_list, 0);
ROW_LIST_TYPE(queue_rows, parley_queue_entry, "session", read_queue_entry, parley_queue_entry_free,
              parley_queue_list, SESSION_POSITION_COL);
ROW_LIST_TYPE(session_rows, parley_session, "session", read_session, parley_session_free,
              parley_session_list, SESSION_POSITION_COL);

static parley_status sq_agent_set_presence(parley_repository *repo, const char *agent_id,
                                           parley_agent_status status, parley_time_ms since,
                                           parley_error *err) {
    return write_params(as_sqlite(repo), ST_AGENT_SET_PRESENCE, true, "agent_set_presence", "agent",
                        PARAMS(p_id(agent_id), p_enum(agent_status_store(status)), p_i64(since)),
                        err);
}

static parley_status sq_agent_note_assigned(parley_repository *repo, const char *agent_id,
                                            parley_error *err) {
    return write_params(as_sqlite(repo), ST_AGENT_NOTE_ASSIGNED, true, "agent_note_assigned",
                        "agent", PARAMS(p_id(agent_id)), err);
}

static parley_status sq_agent_loads(parley_repository *repo, parley_agent_load_list *out,
                                    parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_AGENT_LOADS);
    return list_rows(as_sqlite(repo), &b, "agent_loads", &agent_load_rows, out, err);
}

static parley_status sq_session_set_routing(parley_repository *repo, const parley_session *s,
                                            parley_error *err) {
    return write_params(
        as_sqlite(repo), ST_SESSION_SET_ROUTING, true, "session_set_routing", "session",
        PARAMS(p_id(s->id), p_opt_id(s->team_id), p_i64(s->queued_at), p_i64(s->assigned_at)), err);
}

static parley_status sq_queue_list(parley_repository *repo, int64_t after, int limit,
                                   parley_queue_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_QUEUE_LIST);
    b_i64(&b, 1, after);
    b_int(&b, 2, limit < 1 ? 1 : limit > 10000 ? 10000 : limit);
    return list_rows(as_sqlite(repo), &b, "queue_list", &queue_rows, out, err);
}

static parley_status sq_requeue_candidates(parley_repository *repo, parley_time_ms assigned_before,
                                           parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_REQUEUE_CANDIDATES);
    b_i64(&b, 1, assigned_before);
    return list_rows(as_sqlite(repo), &b, "requeue_candidates", &session_rows, out, err);
}

static parley_status sq_queue_average_wait(parley_repository *repo, int sample, int64_t *avg_ms,
                                           bool *known, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *avg_ms = 0;
    *known = false;
    binder b = bind_start(r, ST_QUEUE_AVERAGE_WAIT);
    b_int(&b, 1, sample);
    parley_status status = fetch_one(r, &b, "queue_average_wait", "average", err);
    if (status == PARLEY_OK && sqlite3_column_int64(b.st, 0) > 0) {
        *known = true;
        *avg_ms = (int64_t)sqlite3_column_double(b.st, 1);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_queue_rank(parley_repository *repo, const char *session_id,
                                   int64_t *position, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *position = 0;
    binder b = bind_start(r, ST_QUEUE_RANK);
    b_params(&b, PARAMS(p_id(session_id)));
    parley_status status = fetch_one(r, &b, "queue_rank", "session", err);
    if (status == PARLEY_OK) {
        *position = sqlite3_column_int64(b.st, 0);
    } else if (status == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        status = PARLEY_OK;
    }
    stmt_done(b.st);
    return status;
}

/* ---- teams --------------------------------------------------------------- */

/* TEAM_COLS: TEAM_READ_COLUMNS (storage/columns.h) */
ROW_READER(read_team, parley_team, TEAM_READ_COLUMNS)
ROW_BINDER(bind_team, parley_team, TEAM_COLUMNS)

ROW_LIST_TYPE(team_rows, parley_team, "team", read_team, parley_team_free, parley_team_list,
              TEAM_POSITION_COL);

WRITE_ROW_OP(team_insert, parley_team, ST_TEAM_INSERT, false, "team", bind_team)

GET_BY_KEY_OP(team_get, parley_team, ST_TEAM_GET, team_rows)

static parley_status sq_team_update(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    return write_params(as_sqlite(repo), ST_TEAM_UPDATE, true, "team_update", "team",
                        PARAMS(p_id(t->id), p_text(t->name), p_text(t->topics_json)), err);
}

/* Its sessions and members let go of it first; only the last step must
 * find the team. */
static parley_status sq_team_delete(parley_repository *repo, const char *id, parley_error *err) {
    static const struct {
        enum stmt_id stmt;
        bool must_change;
    } steps[] = {
        {ST_TEAM_CLEAR_SESSIONS, false}, {ST_TEAM_CLEAR_MEMBERS, false}, {ST_TEAM_DELETE, true}};
    parley_status status = PARLEY_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && status == PARLEY_OK; i++) {
        status = write_params(as_sqlite(repo), steps[i].stmt, steps[i].must_change, "team_delete",
                              "team", PARAMS(p_id(id)), err);
    }
    return status;
}

LIST_PAGE_OP(team_list, parley_team_list, ST_TEAM_LIST, team_rows)

static void read_team_id(row_reader *rd, void *out) {
    r_id(rd, 0, out);
}

static parley_status sq_team_find_by_topic(parley_repository *repo, const char *topic,
                                           char team_id_out[PARLEY_ID_SIZE], parley_error *err) {
    team_id_out[0] = '\0';
    binder b = bind_start(as_sqlite(repo), ST_TEAM_BY_TOPIC);
    b_text(&b, 1, topic);
    return get_value(as_sqlite(repo), &b, "team_find_by_topic", "team", read_team_id, team_id_out,
                     err);
}

static parley_status sq_team_member_add(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *added, parley_error *err) {
    return write_changed(as_sqlite(repo), ST_TEAM_MEMBER_ADD, "team_member_add", "member",
                         PARAMS(p_id(team_id), p_id(agent_id)), added, err);
}

static parley_status sq_team_member_remove(parley_repository *repo, const char *team_id,
                                           const char *agent_id, parley_error *err) {
    return write_params(as_sqlite(repo), ST_TEAM_MEMBER_REMOVE, true, "team_member_remove",
                        "member", PARAMS(p_id(team_id), p_id(agent_id)), err);
}

static parley_status sq_team_has_member(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_TEAM_HAS_MEMBER);
    b_params(&b, PARAMS(p_id(team_id), p_id(agent_id)));
    return get_flag(as_sqlite(repo), &b, "team_has_member", "member", out, err);
}

static parley_status sq_session_set_queue_position(parley_repository *repo, const char *session_id,
                                                   int64_t position, parley_error *err) {
    return write_params(as_sqlite(repo), ST_SESSION_SET_QUEUE_POSITION, true,
                        "session_set_queue_position", "session",
                        PARAMS(p_id(session_id), p_i64(position)), err);
}

const parley_desk_ops parley_sqlite_desk_ops = {
    .agent_set_presence = sq_agent_set_presence,
    .agent_note_assigned = sq_agent_note_assigned,
    .agent_loads = sq_agent_loads,
    .session_set_routing = sq_session_set_routing,
    .queue_list = sq_queue_list,
    .requeue_candidates = sq_requeue_candidates,
    .queue_average_wait = sq_queue_average_wait,
    .queue_rank = sq_queue_rank,
    .team_insert = sq_team_insert,
    .team_get = sq_team_get,
    .team_update = sq_team_update,
    .team_delete = sq_team_delete,
    .team_list = sq_team_list,
    .team_find_by_topic = sq_team_find_by_topic,
    .team_member_add = sq_team_member_add,
    .team_member_remove = sq_team_member_remove,
    .team_has_member = sq_team_has_member,
    .session_set_queue_position = sq_session_set_queue_position,
};
