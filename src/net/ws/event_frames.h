/*
 * event_frames.h - the WebSocket text frames (JSON) of typed domain events
 * (core/event.h): the one place that knows what each event looks like on
 * the wire (docs/api.md, "WebSocket events"). The objects inside come from
 * core/model_json.c, so a message or session in a frame is the same as in
 * a REST answer.
 *
 * An event has at most two renderings: the staff view (agents' and
 * admins' connections) and the public view (the customer's connections
 * and a session's subscribers). They differ only for sessions with labels
 * (the team's own triage, never shown to customers); otherwise the two are
 * one string. The hub renders each view once per event, on first need,
 * not once per recipient.
 *
 * Threads: any thread (pure functions). Ownership: the caller frees the
 * returned strings (parley_event_frames_free) and JSON values.
 */
#ifndef PARLEY_EVENT_FRAMES_H
#define PARLEY_EVENT_FRAMES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/event.h"

/* The frame of the event for staff (staff = true) or for the public, as
 * a new JSON object; NULL when out of memory or when the event has no
 * frame (token.revoked closes connections instead). */
json_t *parley_event_frame_json(const parley_event *event, bool staff);

/* message.created {type, session_id, message} (live events and catch-up). */
json_t *parley_event_frame_message_created(const char *session_id, const parley_message *m);

/* Both views of one event, rendered lazily (parley_event_frames_get). */
typedef struct parley_event_frames {
    const parley_event *event;
    char *text[2]; /* [0] public, [1] staff; [1] may alias [0] */
    size_t len[2];
    bool tried[2];
} parley_event_frames;

void parley_event_frames_init(parley_event_frames *f, const parley_event *event);
/* Both views already rendered (the cluster bus: by the node that committed
 * the event); takes ownership of the strings (malloc'd, freed by
 * parley_event_frames_free); staff_text NULL: staff see the public one. */
void parley_event_frames_init_rendered(parley_event_frames *f, char *public_text, char *staff_text);
/* The view's frame text (rendered on the first call), or NULL when out of
 * memory or when the event has no frame. */
const char *parley_event_frames_get(parley_event_frames *f, bool staff, size_t *len);
void parley_event_frames_free(parley_event_frames *f);

#endif
