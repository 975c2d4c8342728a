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
    [ST_TEAM_HAS_MEMBER] = "SELECT 1 FROM team_members WHERE team_id = ?1 AND agent_id = ?2",
    [ST_SESSION_SET_QUEUE_POSITION] = "UPDATE sessions SET queue_position = ?2 WHERE id = ?1",
};

/* ---- presence and routing ------------------------------------------------ */

static parley_status sq_agent_set_presence(parley_repository *repo, const char *agent_id,
                                           parley_agent_status status, parley_time_ms since,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_SET_PRESENCE);
    b_id(&b, 1, agent_id);
    b_enum(&b, 2, agent_status_store(status));
    b_i64(&b, 3, since);
    return exec_write(r, &b, true, "agent_set_presence", "agent", err);
}

static parley_status sq_agent_note_assigned(parley_repository *repo, const char *agent_id,
                                            parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_NOTE_ASSIGNED);
    b_id(&b, 1, agent_id);
    return exec_write(r, &b, true, "agent_note_assigned", "agent", err);
}

static parley_status sq_agent_loads(parley_repository *repo, parley_agent_load_list *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_AGENT_LOADS];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_agent_load *a = parley_agent_load_list_push(out);
        if (a == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "agent_loads: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        r_id(&rd, 0, a->id);
        a->status = agent_status_load(&rd, 1);
        a->last_assigned_seq = r_i64(&rd, 2);
        a->active_chats = r_i64(&rd, 3);
        if ((status = reader_finish(&rd, "agent_loads", err)) != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "agent_loads", err);
    }
    if (status != PARLEY_OK) {
        parley_agent_load_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_session_set_routing(parley_repository *repo, const parley_session *s,
                                            parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_SET_ROUTING);
    b_id(&b, 1, s->id);
    b_opt_id(&b, 2, s->team_id);
    b_i64(&b, 3, s->queued_at);
    b_i64(&b, 4, s->assigned_at);
    return exec_write(r, &b, true, "session_set_routing", "session", err);
}

static parley_status sq_queue_list(parley_repository *repo, int64_t after, int limit,
                                   parley_queue_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_QUEUE_LIST);
    b_i64(&b, 1, after);
    b_int(&b, 2, limit < 1 ? 1 : limit > 10000 ? 10000 : limit);
    parley_status status = bind_check(r, &b, "queue_list", err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_queue_entry *e = parley_queue_list_push(out);
        if (e == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "queue_list: out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, &e->session);
        e->position_key = r_i64(&rd, SESSION_POSITION_COL);
        e->announced_position = r_i64(&rd, 17);
        status = reader_finish(&rd, "queue_list", err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "queue_list", err);
    }
    if (status != PARLEY_OK) {
        parley_queue_list_free(out);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_requeue_candidates(parley_repository *repo, parley_time_ms assigned_before,
                                           parley_session_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_REQUEUE_CANDIDATES);
    b_i64(&b, 1, assigned_before);
    parley_status status = bind_check(r, &b, "requeue_candidates", err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_session *s = parley_session_list_push(out);
        if (s == NULL) {
            status =
                parley_error_set(err, PARLEY_E_NOMEM, NULL, "requeue_candidates: out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, s);
        status = reader_finish(&rd, "requeue_candidates", err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "requeue_candidates", err);
    }
    if (status != PARLEY_OK) {
        parley_session_list_free(out);
    }
    stmt_done(b.st);
    return status;
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

/* ---- teams --------------------------------------------------------------- */

#define TEAM_POSITION_COL 4
static void read_team(row_reader *rd, parley_team *t) {
    r_id(rd, 0, t->id);
    t->name = r_text(rd, 1);
    t->topics_json = r_text(rd, 2);
    t->created_at = r_i64(rd, 3);
    t->position = r_i64(rd, 4);
    t->agent_ids_json = r_text(rd, 5);
}

static parley_status sq_team_insert(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_INSERT);
    b_id(&b, 1, t->id);
    b_text(&b, 2, t->name);
    b_text(&b, 3, t->topics_json);
    b_i64(&b, 4, t->created_at);
    return exec_write(r, &b, false, "team_insert", "team", err);
}

static parley_status sq_team_get(parley_repository *repo, const char *id, parley_team *out,
                                 parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TEAM_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "team_get", "team", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_team(&rd, out);
        if ((status = reader_finish(&rd, "team_get", err)) != PARLEY_OK) {
            parley_team_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_team_update(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_UPDATE);
    b_id(&b, 1, t->id);
    b_text(&b, 2, t->name);
    b_text(&b, 3, t->topics_json);
    return exec_write(r, &b, true, "team_update", "team", err);
}

static parley_status sq_team_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_CLEAR_SESSIONS);
    b_id(&b, 1, id);
    parley_status status = exec_write(r, &b, false, "team_delete", "team", err);
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_TEAM_CLEAR_MEMBERS);
        b_id(&b, 1, id);
        status = exec_write(r, &b, false, "team_delete", "team", err);
    }
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_TEAM_DELETE);
        b_id(&b, 1, id);
        status = exec_write(r, &b, true, "team_delete", "team", err);
    }
    return status;
}

static void *push_team(void *list) {
    return parley_team_list_push(list);
}
static void read_team_item(row_reader *rd, void *item) {
    read_team(rd, item);
}
static void free_team_list(void *list) {
    parley_team_list_free(list);
}

static const page_kind team_page = {ST_TEAM_LIST, TEAM_POSITION_COL, push_team, read_team_item,
                                    free_team_list};

static parley_status sq_team_list(parley_repository *repo, int limit, const char *cursor,
                                  parley_team_list *out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *c = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &team_page, "team_list", NULL, "", 1, c, strlen(c) + 1, limit,
                     out, next_cursor_out, next_cursor_size, err);
}

static parley_status sq_team_find_by_topic(parley_repository *repo, const char *topic,
                                           char team_id_out[PARLEY_ID_SIZE], parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    team_id_out[0] = '\0';
    binder b = bind_start(r, ST_TEAM_BY_TOPIC);
    b_text(&b, 1, topic);
    parley_status status = fetch_one(r, &b, "team_find_by_topic", "team", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        r_id(&rd, 0, team_id_out);
        status = reader_finish(&rd, "team_find_by_topic", err);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_team_member_add(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *added, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *added = false;
    binder b = bind_start(r, ST_TEAM_MEMBER_ADD);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    parley_status status = exec_write(r, &b, false, "team_member_add", "member", err);
    if (status == PARLEY_OK) {
        *added = sqlite3_changes(r->db) > 0;
    }
    return status;
}

static parley_status sq_team_member_remove(parley_repository *repo, const char *team_id,
                                           const char *agent_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_MEMBER_REMOVE);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    return exec_write(r, &b, true, "team_member_remove", "member", err);
}

static parley_status sq_team_has_member(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = false;
    binder b = bind_start(r, ST_TEAM_HAS_MEMBER);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    parley_status status = fetch_one(r, &b, "team_has_member", "member", err);
    if (status == PARLEY_OK) {
        *out = true;
    } else if (status == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        status = PARLEY_OK;
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_session_set_queue_position(parley_repository *repo, const char *session_id,
                                                   int64_t position, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_SET_QUEUE_POSITION);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, position);
    return exec_write(r, &b, true, "session_set_queue_position", "session", err);
}

const parley_desk_ops parley_sqlite_desk_ops = {
    .agent_set_presence = sq_agent_set_presence,
    .agent_note_assigned = sq_agent_note_assigned,
    .agent_loads = sq_agent_loads,
    .session_set_routing = sq_session_set_routing,
    .queue_list = sq_queue_list,
    .requeue_candidates = sq_requeue_candidates,
    .queue_average_wait = sq_queue_average_wait,
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
