#include "core/model_json.h"

#include "core/ids.h"

json_t *parley_time_to_json(parley_time_ms t) {
    char text[PARLEY_TIME_TEXT_SIZE];
    parley_time_format(t, text);
    return json_string(text);
}

/* JSON null for NULL or empty strings (empty ids mean "none"). */
static json_t *string_or_null(const char *s) {
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* JSON null for an unset (0) time. */
static json_t *time_or_null(parley_time_ms t) {
    return t != 0 ? parley_time_to_json(t) : json_null();
}

json_t *parley_customer_to_json(const parley_customer *c) {
    return json_pack("{s:s, s:s?, s:o, s:b, s:o, s:o}", "id", c->id, "name", c->name, "email",
                     string_or_null(c->email), "verified", c->verified, "language",
                     string_or_null(c->language), "created_at", parley_time_to_json(c->created_at));
}

/* Presence is shown with the agent: status plus since when (null when it
 * never changed). */
json_t *parley_agent_to_json(const parley_agent *a) {
    json_t *obj =
        json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:o, s:b, s:o}", "id", a->id, "name", a->name,
                  "email", a->email, "role", parley_agent_role_name(a->role), "status",
                  parley_agent_status_name(a->status), "language", string_or_null(a->language),
                  "active", a->active, "created_at", parley_time_to_json(a->created_at));
    if (obj != NULL) {
        json_object_set_new(obj, "status_since",
                            a->status_since > 0 ? parley_time_to_json(a->status_since)
                                                : json_null());
    }
    return obj;
}

json_t *parley_bot_to_json(const parley_bot *b) {
    return json_pack("{s:s, s:s?, s:b, s:o}", "id", b->id, "name", b->name, "active", b->active,
                     "created_at", parley_time_to_json(b->created_at));
}

/* The routing fields of a session (core/routing.h), added to its JSON. */
static json_t *with_routing(json_t *obj, const parley_session *s) {
    if (obj != NULL) {
        json_object_set_new(obj, "team_id", string_or_null(s->team_id));
        json_object_set_new(obj, "assigned_at",
                            s->assigned_at > 0 && s->agent_id[0] != '\0'
                                ? parley_time_to_json(s->assigned_at)
                                : json_null());
    }
    return obj;
}

json_t *parley_session_to_json(const parley_session *s) {
    json_error_t error;
    json_t *strategies =
        s->strategies_json != NULL ? json_loads(s->strategies_json, 0, &error) : NULL;
    if (strategies == NULL) {
        strategies = json_array();
    }
    json_t *obj = with_routing(
        json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s, s:o, s:I, s:o, s:o, s:o, s:o}", "id", s->id,
                  "customer_id", s->customer_id, "agent_id", string_or_null(s->agent_id), "bot_id",
                  string_or_null(s->bot_id), "topic", s->topic, "status",
                  parley_session_status_name(s->status), "strategies", strategies, "last_seq",
                  (json_int_t)s->last_seq, "created_at", parley_time_to_json(s->created_at),
                  "updated_at", parley_time_to_json(s->updated_at), "closed_at",
                  time_or_null(s->closed_at), "first_response_at",
                  time_or_null(s->first_response_at)),
        s);
    /* labels are the team's own triage: parley_session_json_for() takes
     * them out again for a customer */
    json_t *labels = s->labels_json != NULL ? json_loads(s->labels_json, 0, &error) : NULL;
    if (obj != NULL) {
        json_object_set_new(obj, "labels", json_is_array(labels) ? labels : json_array());
    } else {
        json_decref(labels);
    }
    return obj;
}

json_t *parley_session_json_for(const parley_session *s, bool staff) {
    json_t *obj = parley_session_to_json(s);
    if (obj != NULL && !staff) {
        json_object_del(obj, "labels");
    }
    return obj;
}

json_t *parley_message_to_json(const parley_message *m) {
    json_t *obj = NULL;
    /* strategy additions go first so the core fields always win */
    if (m->meta_json != NULL) {
        json_error_t error;
        obj = json_loads(m->meta_json, 0, &error);
        if (!json_is_object(obj)) {
            json_decref(obj);
            obj = NULL;
        }
    }
    if (obj == NULL) {
        obj = json_object();
    }
    json_t *core = json_pack(
        "{s:s, s:s, s:I, s:{s:s, s:o}, s:s, s:s?, s:o}", "id", m->id, "session_id", m->session_id,
        "seq", (json_int_t)m->seq, "sender", "type", parley_participant_kind_name(m->sender_kind),
        "id", string_or_null(m->sender_id), "type", parley_message_type_name(m->type), "content",
        m->content, "created_at", parley_time_to_json(m->created_at));
    if (obj == NULL || core == NULL) {
        json_decref(obj);
        json_decref(core);
        return NULL;
    }
    json_object_update(obj, core);
    json_decref(core);
    if (m->client_msg_id != NULL) {
        json_object_set_new(obj, "client_msg_id", json_string(m->client_msg_id));
    }
    return obj;
}

json_t *parley_ticket_to_json(const parley_ticket *t) {
    return json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:s?, s:s, s:s, s:o, s:o}", "id", t->id, "session_id",
        t->session_id, "agent_id", string_or_null(t->agent_id), "customer_id",
        string_or_null(t->customer_id), "subject", string_or_null(t->subject), "issue_description",
        t->issue_description, "status", parley_ticket_status_name(t->status), "priority",
        parley_ticket_priority_name(t->priority), "created_at", parley_time_to_json(t->created_at),
        "updated_at", parley_time_to_json(t->updated_at));
}

json_t *parley_ticket_note_to_json(const parley_ticket_note *n) {
    return json_pack("{s:s, s:s, s:s, s:s?, s:o}", "id", n->id, "ticket_id", n->ticket_id,
                     "author_id", n->author_id, "body", n->body, "created_at",
                     parley_time_to_json(n->created_at));
}

json_t *parley_feedback_to_json(const parley_feedback *f) {
    return json_pack("{s:s, s:s, s:s, s:i, s:o, s:o}", "id", f->id, "session_id", f->session_id,
                     "customer_id", f->customer_id, "rating", f->rating, "comment",
                     string_or_null(f->comment), "created_at", parley_time_to_json(f->created_at));
}

json_t *parley_participant_to_json(const parley_participant *p) {
    json_t *obj = NULL;
    switch (p->ops->kind) {
    case PARLEY_PARTICIPANT_AGENT:
        obj = parley_agent_to_json(&((const parley_agent_participant *)p)->agent);
        break;
    case PARLEY_PARTICIPANT_CUSTOMER:
        obj = parley_customer_to_json(&((const parley_customer_participant *)p)->customer);
        break;
    case PARLEY_PARTICIPANT_BOT:
        obj = parley_bot_to_json(&((const parley_bot_participant *)p)->bot);
        break;
    case PARLEY_PARTICIPANT_SYSTEM:
        obj = json_pack("{s:s}", "id", p->id);
        break;
    }
    if (obj != NULL) {
        json_object_set_new(obj, "type", json_string(parley_participant_kind_name(p->ops->kind)));
    }
    return obj;
}

json_t *parley_team_to_json(const parley_team *t, bool with_members) {
    json_error_t error;
    json_t *topics = t->topics_json != NULL ? json_loads(t->topics_json, 0, &error) : NULL;
    json_t *obj = json_pack("{s:s, s:s?, s:o, s:o}", "id", t->id, "name", t->name, "topics",
                            topics != NULL ? topics : json_array(), "created_at",
                            parley_time_to_json(t->created_at));
    if (obj != NULL && with_members) {
        json_t *members =
            t->agent_ids_json != NULL ? json_loads(t->agent_ids_json, 0, &error) : NULL;
        json_object_set_new(obj, "agent_ids", members != NULL ? members : json_array());
    }
    return obj;
}

PARLEY_DEFINE_LIST_JSON(parley_agent_list, parley_agent_to_json)
PARLEY_DEFINE_LIST_JSON(parley_bot_list, parley_bot_to_json)
PARLEY_DEFINE_LIST_JSON(parley_message_list, parley_message_to_json)
PARLEY_DEFINE_LIST_JSON(parley_ticket_list, parley_ticket_to_json)
PARLEY_DEFINE_LIST_JSON(parley_ticket_note_list, parley_ticket_note_to_json)
