/*
 * sqlite/schema.c - the migration steps of the SQLite schema.
 *
 * Ownership: static, read-only strings. Thread-safety: any thread.
 *
 * Conventions the repository code relies on:
 *  - enums are stored as their wire names (parley_*_name) so the database
 *    reads well in the sqlite3 shell; they carry no CHECK because adding an
 *    enum value would then need a table rebuild;
 *  - times are INTEGER milliseconds since the epoch (UTC);
 *  - an optional id ("" in the model) is stored as NULL so foreign keys hold;
 *  - sessions and tickets have an AUTOINCREMENT `position` (the rowid) that
 *    only grows, so list cursors stay valid even if rows are ever deleted;
 *  - tables are STRICT (SQLite 3.37+) so a wrong bind type fails loudly
 *    instead of being stored as something else.
 */
#include "storage/sqlite/schema.h"

#include <stddef.h>

static const char *const steps[] = {
    /* 1: the initial schema */
    "CREATE TABLE customers ("
    "    id          TEXT PRIMARY KEY NOT NULL,"
    "    name        TEXT NOT NULL,"
    "    email       TEXT,"
    "    identifier  TEXT,"
    "    language    TEXT,"
    "    verified    INTEGER NOT NULL CHECK (verified IN (0, 1)),"
    "    created_at  INTEGER NOT NULL"
    ") STRICT;"
    /* The site's own user id names one customer, so lookups by it are
     * unambiguous; a race between two first visits becomes a conflict. */
    "CREATE UNIQUE INDEX customers_identifier ON customers (identifier)"
    "    WHERE identifier IS NOT NULL;"

    "CREATE TABLE agents ("
    "    id            TEXT PRIMARY KEY NOT NULL,"
    "    name          TEXT NOT NULL,"
    "    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "    password_hash TEXT NOT NULL,"
    "    language      TEXT,"
    "    role          TEXT NOT NULL,"
    "    status        TEXT NOT NULL,"
    "    active        INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "    created_at    INTEGER NOT NULL"
    ") STRICT;"

    "CREATE TABLE bots ("
    "    id         TEXT PRIMARY KEY NOT NULL,"
    "    name       TEXT NOT NULL,"
    "    active     INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "    created_at INTEGER NOT NULL"
    ") STRICT;"

    /* owner_id has no foreign key: the owner is a customer, agent or bot. */
    "CREATE TABLE tokens ("
    "    token_hash   TEXT PRIMARY KEY NOT NULL,"
    "    owner_kind   TEXT NOT NULL,"
    "    owner_id     TEXT NOT NULL,"
    "    created_at   INTEGER NOT NULL,"
    "    last_used_at INTEGER NOT NULL,"
    "    expires_at   INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;"

    "CREATE TABLE sessions ("
    "    position        INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id              TEXT NOT NULL UNIQUE,"
    "    customer_id     TEXT NOT NULL REFERENCES customers (id),"
    "    agent_id        TEXT REFERENCES agents (id),"
    "    topic           TEXT,"
    "    strategies_json TEXT,"
    "    status          TEXT NOT NULL,"
    "    last_seq        INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),"
    "    created_at      INTEGER NOT NULL,"
    "    updated_at      INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX sessions_status ON sessions (status, position);"
    "CREATE INDEX sessions_customer ON sessions (customer_id, position);"

    /* UNIQUE (session_id, seq) doubles as the index message_list walks. */
    "CREATE TABLE messages ("
    "    id            TEXT PRIMARY KEY NOT NULL,"
    "    session_id    TEXT NOT NULL REFERENCES sessions (id),"
    "    seq           INTEGER NOT NULL CHECK (seq > 0),"
    "    sender_kind   TEXT NOT NULL,"
    "    sender_id     TEXT NOT NULL,"
    "    type          TEXT NOT NULL,"
    "    content       TEXT NOT NULL,"
    "    client_msg_id TEXT,"
    "    meta_json     TEXT,"
    "    created_at    INTEGER NOT NULL,"
    "    UNIQUE (session_id, seq)"
    ") STRICT;"
    /* Idempotent sends: a client retrying with the same id gets the stored
     * message back instead of a duplicate. */
    "CREATE UNIQUE INDEX messages_client_msg_id"
    "    ON messages (sender_kind, sender_id, client_msg_id)"
    "    WHERE client_msg_id IS NOT NULL;"

    "CREATE TABLE tickets ("
    "    position          INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id                TEXT NOT NULL UNIQUE,"
    "    session_id        TEXT NOT NULL REFERENCES sessions (id),"
    "    agent_id          TEXT REFERENCES agents (id),"
    "    issue_description TEXT,"
    "    status            TEXT NOT NULL,"
    "    created_at        INTEGER NOT NULL,"
    "    updated_at        INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX tickets_status ON tickets (status, position);"
    "CREATE INDEX tickets_session ON tickets (session_id);"

    "CREATE TABLE feedback ("
    "    id          TEXT PRIMARY KEY NOT NULL,"
    "    session_id  TEXT NOT NULL UNIQUE REFERENCES sessions (id),"
    "    customer_id TEXT NOT NULL REFERENCES customers (id),"
    "    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),"
    "    comment     TEXT,"
    "    created_at  INTEGER NOT NULL"
    ") STRICT;",

    /* 2: bots attached to sessions; the security audit log */
    "ALTER TABLE sessions ADD COLUMN bot_id TEXT REFERENCES bots (id);"
    "CREATE TABLE audit_log ("
    "    position    INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    at          INTEGER NOT NULL,"
    "    actor_kind  TEXT,"
    "    actor_id    TEXT,"
    "    action      TEXT NOT NULL,"
    "    target_id   TEXT,"
    "    ip          TEXT,"
    "    detail_json TEXT"
    ") STRICT;",

    /* 3: refused messages kept for review; the spam classifier's counts;
     * the text as sent when a strategy changed it */
    "ALTER TABLE messages ADD COLUMN original_content TEXT;"
    "CREATE TABLE flagged_messages ("
    "    position      INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id            TEXT NOT NULL UNIQUE,"
    "    session_id    TEXT NOT NULL REFERENCES sessions (id),"
    "    sender_kind   TEXT NOT NULL,"
    "    sender_id     TEXT NOT NULL,"
    "    type          TEXT NOT NULL,"
    "    content       TEXT NOT NULL,"
    "    client_msg_id TEXT,"
    "    meta_json     TEXT,"
    "    reason        TEXT NOT NULL,"
    "    reviewed_as   TEXT,"
    "    created_at    INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE spam_tokens ("
    "    token TEXT PRIMARY KEY,"
    "    spam  INTEGER NOT NULL CHECK (spam >= 0),"
    "    ham   INTEGER NOT NULL CHECK (ham >= 0)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE spam_totals ("
    "    id            INTEGER PRIMARY KEY CHECK (id = 1),"
    "    spam_messages INTEGER NOT NULL CHECK (spam_messages >= 0),"
    "    ham_messages  INTEGER NOT NULL CHECK (ham_messages >= 0)"
    ") STRICT;"
    "INSERT INTO spam_totals (id, spam_messages, ham_messages) VALUES (1, 0, 0);"
    "CREATE TABLE profanity_allowlist ("
    "    word       TEXT PRIMARY KEY,"
    "    added_by   TEXT,"
    "    created_at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;",

    /* 4: agents' spam/ham labels of delivered messages, so a label given
     * twice teaches the classifier once and a changed one is unlearnt */
    "CREATE TABLE message_labels ("
    "    message_id TEXT PRIMARY KEY REFERENCES messages (id),"
    "    label      TEXT NOT NULL CHECK (label IN ('spam', 'ham')),"
    "    labelled_by TEXT,"
    "    labelled_at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;",

    /* 5: desk settings admins change at run time (core/settings.h); a
     * missing key has its registry default */
    "CREATE TABLE settings ("
    "    key        TEXT PRIMARY KEY,"
    "    value_json TEXT NOT NULL,"
    "    updated_by TEXT,"
    "    updated_at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;",

    /* 6: the ChatBot's knowledge base (core/knowledge_base.h) and how many
     * questions it could not answer in each session (handoff after N) */
    "CREATE TABLE kb_entries ("
    "    position          INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id                TEXT NOT NULL UNIQUE,"
    "    question          TEXT NOT NULL,"
    "    answer            TEXT NOT NULL,"
    "    alternatives_json TEXT NOT NULL,"
    "    tags_json         TEXT NOT NULL,"
    "    created_by        TEXT,"
    "    created_at        INTEGER NOT NULL,"
    "    updated_at        INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE bot_session_state ("
    "    session_id      TEXT PRIMARY KEY REFERENCES sessions (id),"
    "    failed_attempts INTEGER NOT NULL CHECK (failed_attempts >= 0)"
    ") STRICT, WITHOUT ROWID;",
    /* 7: uploaded files (attachments): the bytes live on disk under
     * <data-dir>/uploads by content hash, this is who uploaded what. An
     * upload belongs to its uploader until one message references it
     * (message_id, session_id: set once, in the unit that stores it). */
    "CREATE TABLE uploads ("
    "    id            TEXT PRIMARY KEY,"
    "    sha256        TEXT NOT NULL,"
    "    size          INTEGER NOT NULL CHECK (size >= 0),"
    "    mime          TEXT NOT NULL,"
    "    name          TEXT NOT NULL,"
    "    uploader_kind TEXT NOT NULL,"
    "    uploader_id   TEXT NOT NULL,"
    "    created_at    INTEGER NOT NULL,"
    "    message_id    TEXT UNIQUE REFERENCES messages (id),"
    "    session_id    TEXT REFERENCES sessions (id)"
    ") STRICT;"
    "CREATE INDEX uploads_by_session ON uploads (session_id) WHERE session_id IS NOT NULL;",
    /* 8: presence and routing (core/presence.h, core/routing.h, core/teams.h):
     * an agent's presence since when and its place in the round-robin
     * rotation; a session's team, when it became waiting and when its agent
     * got it; teams with the topics they take and their members */
    "ALTER TABLE agents ADD COLUMN status_since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE agents ADD COLUMN last_assigned_seq INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE teams ("
    "    position    INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id          TEXT NOT NULL UNIQUE,"
    "    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "    topics_json TEXT NOT NULL,"
    "    created_at  INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE team_members ("
    "    team_id  TEXT NOT NULL REFERENCES teams (id),"
    "    agent_id TEXT NOT NULL REFERENCES agents (id),"
    "    PRIMARY KEY (team_id, agent_id)"
    ") STRICT, WITHOUT ROWID;"
    "ALTER TABLE sessions ADD COLUMN team_id TEXT REFERENCES teams (id);"
    "ALTER TABLE sessions ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN assigned_at INTEGER NOT NULL DEFAULT 0;"
    /* the queue position its customer was last told (queue.updated) */
    "ALTER TABLE sessions ADD COLUMN queue_position INTEGER NOT NULL DEFAULT 0;"
    /* sessions already waiting were queued when they were created */
    "UPDATE sessions SET queued_at = created_at WHERE status = 'waiting';"
    "UPDATE sessions SET assigned_at = updated_at WHERE status = 'active';"
    "CREATE INDEX sessions_agent ON sessions (agent_id, status);",
    /* 9: the agent tools (docs/subsystems/agent-tools.md): canned
     * responses, private notes, read receipts, labels, message search */
    /* owner_id NULL is team-wide; a shortcode is unique per owner scope */
    "CREATE TABLE canned_responses ("
    "    position   INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id         TEXT NOT NULL UNIQUE,"
    "    owner_id   TEXT REFERENCES agents (id),"
    "    shortcode  TEXT NOT NULL,"
    "    title      TEXT NOT NULL,"
    "    content    TEXT NOT NULL,"
    "    created_at INTEGER NOT NULL,"
    "    updated_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE UNIQUE INDEX canned_scope_shortcode"
    "    ON canned_responses (ifnull(owner_id, ''), shortcode);"
    /* notes are not messages: no seq, never in history, never indexed */
    "CREATE TABLE session_notes ("
    "    position    INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id          TEXT NOT NULL UNIQUE,"
    "    session_id  TEXT NOT NULL REFERENCES sessions (id),"
    "    author_kind TEXT NOT NULL,"
    "    author_id   TEXT NOT NULL,"
    "    content     TEXT NOT NULL,"
    "    created_at  INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX session_notes_session ON session_notes (session_id, position);"
    "CREATE TABLE read_receipts ("
    "    session_id       TEXT NOT NULL REFERENCES sessions (id),"
    "    participant_kind TEXT NOT NULL,"
    "    participant_id   TEXT NOT NULL,"
    "    last_read_seq    INTEGER NOT NULL CHECK (last_read_seq >= 0),"
    "    read_at          INTEGER NOT NULL,"
    "    PRIMARY KEY (session_id, participant_kind, participant_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE labels ("
    "    position   INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    name       TEXT NOT NULL UNIQUE,"
    "    color      TEXT NOT NULL,"
    "    created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE session_labels ("
    "    session_id TEXT NOT NULL REFERENCES sessions (id),"
    "    label      TEXT NOT NULL REFERENCES labels (name) ON DELETE CASCADE,"
    "    added_at   INTEGER NOT NULL,"
    "    PRIMARY KEY (session_id, label)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX session_labels_label ON session_labels (label, session_id);"
    /* The index keeps its own copy of the text (not external content):
     * messages has no INTEGER PRIMARY KEY, so its rowids may change on
     * VACUUM. Triggers keep it in step inside the writing transaction;
     * only delivered messages are indexed (refused ones live in
     * flagged_messages, notes in session_notes). */
    "CREATE VIRTUAL TABLE message_fts USING fts5("
    "    content, message_id UNINDEXED, session_id UNINDEXED,"
    "    tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE TRIGGER message_fts_insert AFTER INSERT ON messages BEGIN"
    "    INSERT INTO message_fts (content, message_id, session_id)"
    "        VALUES (new.content, new.id, new.session_id);"
    "END;"
    "CREATE TRIGGER message_fts_update AFTER UPDATE OF content ON messages BEGIN"
    "    UPDATE message_fts SET content = new.content WHERE message_id = old.id;"
    "END;"
    "CREATE TRIGGER message_fts_delete AFTER DELETE ON messages BEGIN"
    "    DELETE FROM message_fts WHERE message_id = old.id;"
    "END;"
    "INSERT INTO message_fts (content, message_id, session_id)"
    "    SELECT content, id, session_id FROM messages ORDER BY rowid;",
    /* 10: the support desk's tickets, session lifecycle and reports:
     * sessions remember when they closed and when an agent first
     * answered (reports read these instead of scanning messages); tickets
     * gain priority, subject and their customer (copied from the session
     * so a customer's list and the customer filter need no join);
     * staff-only notes on tickets */
    "ALTER TABLE sessions ADD COLUMN closed_at INTEGER;"
    "ALTER TABLE sessions ADD COLUMN first_response_at INTEGER;"
    "UPDATE sessions SET closed_at = updated_at WHERE status = 'closed';"
    "UPDATE sessions SET first_response_at = (SELECT min(m.created_at) FROM messages m"
    "    WHERE m.session_id = sessions.id AND m.sender_kind = 'agent');"
    "CREATE INDEX sessions_created ON sessions (created_at);"
    "ALTER TABLE tickets ADD COLUMN customer_id TEXT REFERENCES customers (id);"
    "ALTER TABLE tickets ADD COLUMN subject TEXT;"
    "ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';"
    "UPDATE tickets SET customer_id ="
    "    (SELECT s.customer_id FROM sessions s WHERE s.id = tickets.session_id);"
    "CREATE INDEX tickets_customer ON tickets (customer_id, position);"
    "CREATE INDEX tickets_agent ON tickets (agent_id, position);"
    "CREATE TABLE ticket_notes ("
    "    position   INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id         TEXT NOT NULL UNIQUE,"
    "    ticket_id  TEXT NOT NULL REFERENCES tickets (id),"
    "    author_id  TEXT NOT NULL,"
    "    body       TEXT NOT NULL,"
    "    created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, position);"
    "CREATE INDEX feedback_created ON feedback (created_at);",

    /* 11: the search index is filled in large batches by a periodic job
     * (and by every search, first), not by a trigger inside each
     * message's transaction: per-row FTS5 inserts in the group commit
     * cost the writer ~30 % of its throughput, batches of thousands cost
     * about a sixth of that per message (BENCHMARKS.md). search_progress
     * holds the last indexed messages rowid; messages are never deleted,
     * so a rowid at or below it is never assigned again. */
    "DROP TRIGGER message_fts_insert;"
    "CREATE TABLE search_progress ("
    "    id         INTEGER PRIMARY KEY CHECK (id = 1),"
    "    last_rowid INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO search_progress (id, last_rowid) SELECT 1, coalesce(max(rowid), 0) FROM messages;",

    /* 12: retention (core/retention.h): the indexes that let each purge
     * walk only what has expired, oldest first, and stop after a batch.
     * customers.started_session marks a customer who ever started a
     * session; a trigger sets it on the first session, so the partial
     * index of anonymous customers who never did holds only candidates
     * (not every customer since the beginning). tokens_owner serves "has
     * this customer a token" (and token_delete_by_owner); uploads_sha256
     * "does another upload share this file". */
    "CREATE INDEX tokens_expires ON tokens (expires_at);"
    "CREATE INDEX tokens_last_used ON tokens (last_used_at);"
    "CREATE INDEX tokens_owner ON tokens (owner_kind, owner_id);"
    "ALTER TABLE customers ADD COLUMN started_session INTEGER NOT NULL DEFAULT 0"
    "    CHECK (started_session IN (0, 1));"
    "UPDATE customers SET started_session = 1"
    "    WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.customer_id = customers.id);"
    "CREATE TRIGGER customers_started_session AFTER INSERT ON sessions BEGIN"
    "    UPDATE customers SET started_session = 1"
    "        WHERE id = new.customer_id AND started_session = 0;"
    "END;"
    "CREATE INDEX customers_never_started ON customers (created_at)"
    "    WHERE identifier IS NULL AND started_session = 0;"
    "CREATE INDEX audit_log_at ON audit_log (at);"
    "CREATE INDEX uploads_unattached ON uploads (created_at) WHERE message_id IS NULL;"
    "CREATE INDEX uploads_sha256 ON uploads (sha256);",
    /* 13: search is scoped before it touches the index (issue 9). The
     * index is rebuilt with a `scope` column holding two tokens per
     * message, 's' || hex(session_id) and 'c' || hex(customer_id), so a
     * per-session or per-customer search is an FTS5 AND the index
     * intersects (seeking through the common word's doclist), instead of
     * a walk of the whole posting list filtered afterwards. Its rowid is
     * the message's rowid, so the un-indexed tail (rowid > search_progress)
     * and the index page together by one cursor, and the content triggers
     * find their row by rowid instead of scanning the table. The rebuild
     * runs here, once (BENCHMARKS.md has its cost per million messages). */
    "DROP TRIGGER message_fts_update;"
    "DROP TRIGGER message_fts_delete;"
    "DROP TABLE message_fts;"
    "CREATE VIRTUAL TABLE message_fts USING fts5("
    "    content, scope, message_id UNINDEXED,"
    "    tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE TRIGGER message_fts_update AFTER UPDATE OF content ON messages BEGIN"
    "    UPDATE message_fts SET content = new.content WHERE rowid = old.rowid;"
    "END;"
    "CREATE TRIGGER message_fts_delete AFTER DELETE ON messages BEGIN"
    "    DELETE FROM message_fts WHERE rowid = old.rowid;"
    "END;"
    "INSERT INTO message_fts (rowid, content, scope, message_id)"
    "    SELECT m.rowid, m.content, 's' || hex(m.session_id) || ' c' || hex(s.customer_id), m.id"
    "    FROM messages m JOIN sessions s ON s.id = m.session_id"
    "    WHERE m.rowid <= (SELECT last_rowid FROM search_progress) ORDER BY m.rowid;",

    /* 14: the notification outbox (issue 14, notifications.md): written
     * in the unit of its cause, so a committed cause always has its
     * notifications and deliveries, and the delivery worker finds what is
     * left to send after a crash. dedupe_key makes one notification per
     * cause and recipient; idempotency_key one delivery per notification
     * and channel. deliveries_due holds only what the worker still has to
     * try. No foreign key to the recipient: it may be an agent or a
     * customer (recipient_kind says which). */
    "CREATE TABLE notifications ("
    "    position       INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id             TEXT NOT NULL UNIQUE,"
    "    recipient_kind TEXT NOT NULL,"
    "    recipient_id   TEXT NOT NULL,"
    "    event          TEXT NOT NULL,"
    "    session_id     TEXT,"
    "    ticket_id      TEXT,"
    "    title          TEXT NOT NULL,"
    "    body           TEXT NOT NULL,"
    "    dedupe_key     TEXT NOT NULL UNIQUE,"
    "    created_at     INTEGER NOT NULL,"
    "    read_at        INTEGER"
    ") STRICT;"
    "CREATE INDEX notifications_recipient ON notifications"
    "    (recipient_kind, recipient_id, position);"
    "CREATE INDEX notifications_unread ON notifications"
    "    (recipient_kind, recipient_id, position) WHERE read_at IS NULL;"
    "CREATE TABLE notification_deliveries ("
    "    position        INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id              TEXT NOT NULL UNIQUE,"
    "    notification_id TEXT NOT NULL REFERENCES notifications (id),"
    "    channel         TEXT NOT NULL,"
    "    state           TEXT NOT NULL,"
    "    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "    next_attempt_at INTEGER NOT NULL,"
    "    last_error      TEXT,"
    "    idempotency_key TEXT NOT NULL UNIQUE,"
    "    created_at      INTEGER NOT NULL,"
    "    updated_at      INTEGER NOT NULL,"
    "    sent_at         INTEGER"
    ") STRICT;"
    "CREATE INDEX deliveries_due ON notification_deliveries (next_attempt_at)"
    "    WHERE state IN ('pending', 'failed');"
    "CREATE INDEX deliveries_notification ON notification_deliveries (notification_id);"
    "CREATE TABLE notification_prefs ("
    "    recipient_kind TEXT NOT NULL,"
    "    recipient_id   TEXT NOT NULL,"
    "    prefs_json     TEXT NOT NULL,"
    "    updated_at     INTEGER NOT NULL,"
    "    PRIMARY KEY (recipient_kind, recipient_id)"
    ") STRICT, WITHOUT ROWID;",

    /* 15: fewer bytes written per message (issue 11, BENCHMARKS.md). Each
     * group commit writes every page it dirtied (to the WAL, and again at
     * the checkpoint), so what counts is how many distinct pages a batch
     * of inserts touches:
     *  - messages gets an explicit INTEGER PRIMARY KEY `position`: the
     *    rowid it always had (search_progress and the index point at it),
     *    now stable under VACUUM, so the search index can read the text
     *    from this table instead of keeping its own copy;
     *  - new message ids are time-ordered (core/ids.h
     *    parley_id_new_timed), so the id index grows at its end;
     *  - the client_msg_id index leads with the client's id: a client
     *    whose ids grow (counters, UUIDv7, ULIDs) appends to it; random
     *    ones cost what they did. Same rows, same uniqueness (an id's
     *    prefix names its kind; sender_kind is kept all the same);
     *  - message_fts becomes an external-content FTS5 table over the view
     *    message_fts_source (the text from messages, the scope tokens from
     *    the session): the index no longer stores every text a second
     *    time. Only indexed rows (position <= search_progress) may be
     *    'delete'd from it, hence the WHEN of the two triggers (messages
     *    are neither updated nor deleted today; the triggers keep the
     *    index right if they ever are).
     * A clustered layout (WITHOUT ROWID, PRIMARY KEY (session_id, seq))
     * was measured and wrote more per message: each insert then lands in
     * its session's run of whole rows (BENCHMARKS.md). */
    "CREATE TABLE messages_v14 ("
    "    position         INTEGER PRIMARY KEY,"
    "    id               TEXT NOT NULL UNIQUE,"
    "    session_id       TEXT NOT NULL REFERENCES sessions (id),"
    "    seq              INTEGER NOT NULL CHECK (seq > 0),"
    "    sender_kind      TEXT NOT NULL,"
    "    sender_id        TEXT NOT NULL,"
    "    type             TEXT NOT NULL,"
    "    content          TEXT NOT NULL,"
    "    client_msg_id    TEXT,"
    "    meta_json        TEXT,"
    "    created_at       INTEGER NOT NULL,"
    "    original_content TEXT,"
    "    UNIQUE (session_id, seq)"
    ") STRICT;"
    "INSERT INTO messages_v14 (position, id, session_id, seq, sender_kind, sender_id, type,"
    "    content, client_msg_id, meta_json, created_at, original_content)"
    "    SELECT rowid, id, session_id, seq, sender_kind, sender_id, type, content,"
    "    client_msg_id, meta_json, created_at, original_content FROM messages ORDER BY rowid;"
    "DROP TABLE message_fts;"
    "DROP TABLE messages;"
    "ALTER TABLE messages_v14 RENAME TO messages;"
    "CREATE UNIQUE INDEX messages_client_msg_id"
    "    ON messages (client_msg_id, sender_id, sender_kind)"
    "    WHERE client_msg_id IS NOT NULL;"
    "CREATE VIEW message_fts_source AS"
    "    SELECT m.position AS position, m.content AS content,"
    "    's' || hex(m.session_id) || ' c' || hex(s.customer_id) AS scope, m.id AS message_id"
    "    FROM messages m JOIN sessions s ON s.id = m.session_id;"
    "CREATE VIRTUAL TABLE message_fts USING fts5("
    "    content, scope, message_id UNINDEXED,"
    "    content = 'message_fts_source', content_rowid = 'position',"
    "    tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO message_fts (rowid, content, scope, message_id)"
    "    SELECT position, content, scope, message_id FROM message_fts_source"
    "    WHERE position <= (SELECT last_rowid FROM search_progress) ORDER BY position;"
    "CREATE TRIGGER message_fts_delete AFTER DELETE ON messages"
    "    WHEN old.position <= (SELECT last_rowid FROM search_progress) BEGIN"
    "    INSERT INTO message_fts (message_fts, rowid, content, scope, message_id)"
    "        VALUES ('delete', old.position, old.content, 's' || hex(old.session_id) || ' c' ||"
    "        hex((SELECT customer_id FROM sessions WHERE id = old.session_id)), old.id);"
    "END;"
    "CREATE TRIGGER message_fts_update AFTER UPDATE OF content ON messages"
    "    WHEN old.position <= (SELECT last_rowid FROM search_progress) BEGIN"
    "    INSERT INTO message_fts (message_fts, rowid, content, scope, message_id)"
    "        VALUES ('delete', old.position, old.content, 's' || hex(old.session_id) || ' c' ||"
    "        hex((SELECT customer_id FROM sessions WHERE id = old.session_id)), old.id);"
    "    INSERT INTO message_fts (rowid, content, scope, message_id)"
    "        VALUES (new.position, new.content, 's' || hex(new.session_id) || ' c' ||"
    "        hex((SELECT customer_id FROM sessions WHERE id = new.session_id)), new.id);"
    "END;",
    /* 16: password reset by e-mail (issue 14, notifications.md "Password
     * reset"): single-use, short-lived; only the token's SHA-256 is kept
     * (the token itself is derived from the random id under the server's
     * link secret, by the e-mail channel only). */
    "CREATE TABLE password_resets ("
    "    id          TEXT PRIMARY KEY,"
    "    token_hash  TEXT NOT NULL UNIQUE,"
    "    agent_id    TEXT NOT NULL REFERENCES agents (id),"
    "    created_at  INTEGER NOT NULL,"
    "    expires_at  INTEGER NOT NULL,"
    "    used_at     INTEGER"
    ") STRICT;"
    "CREATE INDEX password_resets_agent ON password_resets (agent_id);",

    /* 17: outgoing webhooks (issue 14, docs/subsystems/notifications.md).
     * A webhook's deliveries are rows of the outbox (a notification per
     * event with recipient_kind 'system' and recipient_id the webhook);
     * webhook_attempts keeps what the delivery row does not: each
     * attempt's HTTP status, error and duration. Attempts outlive their
     * webhook (the log), hence no foreign key. */
    "CREATE TABLE webhooks ("
    "    position    INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id          TEXT NOT NULL UNIQUE,"
    "    url         TEXT NOT NULL,"
    "    events      TEXT NOT NULL,"
    "    secret      TEXT NOT NULL,"
    "    description TEXT NOT NULL,"
    "    active      INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "    created_at  INTEGER NOT NULL,"
    "    updated_at  INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE webhook_attempts ("
    "    position    INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    delivery_id TEXT NOT NULL,"
    "    webhook_id  TEXT NOT NULL,"
    "    attempt     INTEGER NOT NULL,"
    "    status_code INTEGER NOT NULL,"
    "    error       TEXT,"
    "    duration_ms INTEGER NOT NULL,"
    "    at          INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, position);",

    /* 18: retention of the notification service's rows (issue 14,
     * operations.md "Retention"): the purges walk what qualifies oldest
     * first, so a pass costs what it deletes. */
    "CREATE INDEX notifications_created ON notifications (created_at);"
    "CREATE INDEX password_resets_expiry ON password_resets (expires_at);",

    /* 19: web push subscriptions (issue 14, docs/subsystems/notifications.md
     * "Web push"): one row per browser a recipient subscribed, keyed by the
     * push service's endpoint (one browser, one endpoint). */
    "CREATE TABLE push_subscriptions ("
    "    position       INTEGER PRIMARY KEY AUTOINCREMENT,"
    "    id             TEXT NOT NULL UNIQUE,"
    "    recipient_kind TEXT NOT NULL,"
    "    recipient_id   TEXT NOT NULL,"
    "    endpoint       TEXT NOT NULL UNIQUE,"
    "    p256dh         TEXT NOT NULL,"
    "    auth           TEXT NOT NULL,"
    "    created_at     INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX push_subscriptions_recipient ON push_subscriptions "
    "(recipient_kind, recipient_id, position);",

    /* 20: contacts (issue 15, docs/subsystems/contacts.md): a customer is
     * a contact; staff add custom attributes (a JSON object of strings)
     * and edit it (updated_at, 0 = never). A verified e-mail finds its
     * contact again, case-insensitively. */
    "ALTER TABLE customers ADD COLUMN attributes_json TEXT;"
    "ALTER TABLE customers ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX customers_email ON customers (email COLLATE NOCASE) WHERE email IS NOT NULL;",
};

int parley_sqlite_schema_step_count(void) {
    return (int)(sizeof steps / sizeof steps[0]);
}

const char *parley_sqlite_schema_step(int version) {
    if (version < 1 || version > parley_sqlite_schema_step_count()) {
        return NULL;
    }
    return steps[version - 1];
}
