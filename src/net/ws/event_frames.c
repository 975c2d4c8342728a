#include "net/ws/event_frames.h"

#include <stdlib.h>
#include <string.h>

#include "core/model_json.h"

json_t *parley_event_frame_message_created(const char *session_id, const parley_message *m) {
    return json_pack("{s:s, s:s, s:o}", "type", "message.created", "session_id", session_id,
                     "message", parley_message_to_json(m));
}

static json_t *note_json(const parley_event *e) {
    const parley_event_note *n = &e->note;
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "id", n->id, "session_id", e->session_id,
                     "author", "type", parley_participant_kind_name(n->author_kind), "id",
                     n->author_id, "content", n->content, "created_at",
                     parley_time_to_json(n->created_at));
}

static json_t *queue_json(const parley_event_queue_position *q) {
    return json_pack("{s:i, s:o}", "position", q->position, "estimated_wait_seconds",
                     q->wait_known ? json_integer((json_int_t)q->wait_seconds) : json_null());
}

json_t *parley_event_frame_json(const parley_event *e, bool staff) {
    const char *type = parley_event_type_name(e->type);
    switch (e->type) {
    case PARLEY_EVENT_MESSAGE_CREATED:
        return parley_event_frame_message_created(e->session_id, &e->message.message);
    case PARLEY_EVENT_SESSION_CREATED:
    case PARLEY_EVENT_SESSION_UPDATED: {
        /* labels are the team's triage: staff see them when there are any,
         * customers never; without labels everyone gets the same frame */
        const parley_session *s = &e->session.session;
        return json_pack("{s:s, s:o}", "type", type, "session",
                         parley_session_json_for(s, staff && s->labels_json != NULL));
    }
    case PARLEY_EVENT_TICKET_CREATED:
    case PARLEY_EVENT_TICKET_UPDATED:
        return json_pack("{s:s, s:o}", "type", type, "ticket", parley_ticket_to_json(&e->ticket));
    case PARLEY_EVENT_TICKET_NOTE_CREATED:
        return json_pack("{s:s, s:s, s:o}", "type", type, "ticket_id", e->ticket_note.ticket_id,
                         "note", parley_ticket_note_to_json(&e->ticket_note));
    case PARLEY_EVENT_NOTE_CREATED:
        return json_pack("{s:s, s:s, s:o}", "type", type, "session_id", e->session_id, "note",
                         note_json(e));
    case PARLEY_EVENT_SESSION_READ:
        return json_pack("{s:s, s:s, s:{s:s, s:s}, s:I}", "type", type, "session_id", e->session_id,
                         "participant", "type", parley_participant_kind_name(e->read.kind), "id",
                         e->read.participant_id, "last_read_seq",
                         (json_int_t)e->read.last_read_seq);
    case PARLEY_EVENT_PRESENCE_UPDATED:
        return json_pack("{s:s, s:s, s:s, s:o}", "type", type, "agent_id", e->presence.agent_id,
                         "status", parley_agent_status_name(e->presence.status), "since",
                         parley_time_to_json(e->presence.since));
    case PARLEY_EVENT_QUEUE_UPDATED:
        return json_pack("{s:s, s:s, s:o}", "type", type, "session_id", e->session_id, "queue",
                         queue_json(&e->queue));
    case PARLEY_EVENT_SETTINGS_UPDATED:
        return json_pack("{s:s, s:O}", "type", type, "settings", e->settings);
    case PARLEY_EVENT_FEEDBACK_REQUESTED:
        return json_pack("{s:s, s:s}", "type", type, "session_id", e->session_id);
    case PARLEY_EVENT_SESSION_HANDOFF:
        return json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", type, "session_id", e->session_id,
                         "reason", e->handoff.reason, "bot_id", e->handoff.bot_id,
                         "agents_available", e->handoff.agents_available);
    case PARLEY_EVENT_TOKEN_REVOKED: /* closes connections: no frame */
    case PARLEY_EVENT_TYPE_COUNT:
        break;
    }
    return NULL;
}

/* Do the two views of this event differ? Only a session with labels. */
static bool views_differ(const parley_event *e) {
    return (e->type == PARLEY_EVENT_SESSION_CREATED || e->type == PARLEY_EVENT_SESSION_UPDATED) &&
           e->session.session.labels_json != NULL;
}

void parley_event_frames_init(parley_event_frames *f, const parley_event *event) {
    memset(f, 0, sizeof *f);
    f->event = event;
}

void parley_event_frames_init_rendered(parley_event_frames *f, char *public_text,
                                       char *staff_text) {
    memset(f, 0, sizeof *f); /* event NULL: nothing left to render */
    f->text[0] = public_text;
    f->text[1] = staff_text;
    for (int view = 0; view < 2; view++) {
        f->tried[view] = true;
        f->len[view] = f->text[view] != NULL ? strlen(f->text[view]) : 0;
    }
}

const char *parley_event_frames_get(parley_event_frames *f, bool staff, size_t *len) {
    if (f->event == NULL) { /* rendered elsewhere */
        int view = staff && f->text[1] != NULL ? 1 : 0;
        *len = f->len[view];
        return f->text[view];
    }
    int view = staff && views_differ(f->event) ? 1 : 0;
    if (!f->tried[view]) {
        f->tried[view] = true;
        json_t *frame = parley_event_frame_json(f->event, view == 1);
        f->text[view] = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
        f->len[view] = f->text[view] != NULL ? strlen(f->text[view]) : 0;
        json_decref(frame);
    }
    *len = f->len[view];
    return f->text[view];
}

void parley_event_frames_free(parley_event_frames *f) {
    free(f->text[0]);
    free(f->text[1]);
    memset(f, 0, sizeof *f);
}
