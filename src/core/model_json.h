/*
 * model_json.h - the wire form (API.md) of every model, built with jansson.
 *
 * Ownership: each function returns a new reference the caller owns (NULL
 * only when out of memory). Thread-safety: any thread.
 */
#ifndef PARLEY_MODEL_JSON_H
#define PARLEY_MODEL_JSON_H

#include <jansson.h>

#include "core/model.h"
#include "core/participant.h"

/* A list's *_list_to_json is its items' wire form as one JSON array (NULL
 * when out of memory), defined by PARLEY_DEFINE_LIST_JSON. */
#define PARLEY_DEFINE_LIST_JSON(list_type, item_json)                                              \
    json_t *list_type##_to_json(const list_type *list) {                                           \
        json_t *items = json_array();                                                              \
        for (size_t i = 0; items != NULL && i < list->count; i++) {                                \
            json_array_append_new(items, item_json(&list->items[i]));                              \
        }                                                                                          \
        return items;                                                                              \
    }

/* GET /me: {type, id, name, ...kind-specific fields} */
json_t *parley_participant_to_json(const parley_participant *p);
json_t *parley_customer_to_json(const parley_customer *c);
json_t *parley_agent_to_json(const parley_agent *a);
json_t *parley_bot_to_json(const parley_bot *b);
json_t *parley_session_to_json(const parley_session *s);
/* The session as one viewer may see it: customers get it without labels. */
json_t *parley_session_json_for(const parley_session *s, bool staff);
json_t *parley_message_to_json(const parley_message *m);
json_t *parley_ticket_to_json(const parley_ticket *t);
json_t *parley_feedback_to_json(const parley_feedback *f);
/* staff only: never put one in a customer's frame */
json_t *parley_ticket_note_to_json(const parley_ticket_note *n);
/* {id, name, topics, created_at} and, for staff, agent_ids */
json_t *parley_team_to_json(const parley_team *t, bool with_members);
/* An RFC 3339 string value for a timestamp. */
json_t *parley_time_to_json(parley_time_ms t);

/* Lists, from PARLEY_DEFINE_LIST_JSON */
json_t *parley_agent_list_to_json(const parley_agent_list *list);
json_t *parley_bot_list_to_json(const parley_bot_list *list);
json_t *parley_message_list_to_json(const parley_message_list *list);
json_t *parley_ticket_list_to_json(const parley_ticket_list *list);
json_t *parley_ticket_note_list_to_json(const parley_ticket_note_list *list);

#endif
