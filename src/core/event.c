#include "core/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/queue.h"

static const char *const type_names[PARLEY_EVENT_TYPE_COUNT] = {
    [PARLEY_EVENT_MESSAGE_CREATED] = "message.created",
    [PARLEY_EVENT_SESSION_CREATED] = "session.created",
    [PARLEY_EVENT_SESSION_UPDATED] = "session.updated",
    [PARLEY_EVENT_TICKET_UPDATED] = "ticket.updated",
    [PARLEY_EVENT_SETTINGS_UPDATED] = "settings.updated",
    [PARLEY_EVENT_TOKEN_REVOKED] = "token.revoked",
    [PARLEY_EVENT_SESSION_HANDOFF] = "session.handoff",
    [PARLEY_EVENT_PRESENCE_UPDATED] = "presence.updated",
    [PARLEY_EVENT_QUEUE_UPDATED] = "queue.updated",
    [PARLEY_EVENT_NOTE_CREATED] = "note.created",
    [PARLEY_EVENT_SESSION_READ] = "session.read",
    [PARLEY_EVENT_TICKET_CREATED] = "ticket.created",
    [PARLEY_EVENT_TICKET_NOTE_CREATED] = "ticket.note_created",
    [PARLEY_EVENT_FEEDBACK_REQUESTED] = "feedback.requested",
};

const char *parley_event_type_name(parley_event_type type) {
    return (unsigned)type < PARLEY_EVENT_TYPE_COUNT ? type_names[type] : "unknown";
}

parley_event *parley_event_new(parley_event_type type, unsigned audience, const char *session_id,
                               const char *customer_id) {
    parley_event *event = calloc(1, sizeof *event);
    if (event != NULL) {
        event->type = type;
        event->audience = audience;
        snprintf(event->session_id, sizeof event->session_id, "%s", session_id ? session_id : "");
        snprintf(event->customer_id, sizeof event->customer_id, "%s",
                 customer_id ? customer_id : "");
    }
    return event;
}

void parley_event_free(parley_event *event) {
    if (event == NULL) {
        return;
    }
    switch (event->type) {
    case PARLEY_EVENT_MESSAGE_CREATED:
        parley_message_free(&event->message.message);
        break;
    case PARLEY_EVENT_SESSION_CREATED:
    case PARLEY_EVENT_SESSION_UPDATED:
        parley_session_free(&event->session.session);
        break;
    case PARLEY_EVENT_TICKET_CREATED:
    case PARLEY_EVENT_TICKET_UPDATED:
        parley_ticket_free(&event->ticket);
        break;
    case PARLEY_EVENT_TICKET_NOTE_CREATED:
        parley_ticket_note_free(&event->ticket_note);
        break;
    case PARLEY_EVENT_NOTE_CREATED:
        free(event->note.content);
        break;
    case PARLEY_EVENT_SETTINGS_UPDATED:
        json_decref(event->settings);
        break;
    default:
        break; /* fixed-size payloads */
    }
    free(event);
}

void parley_event_queue_move(parley_event_queue *dst, parley_event_queue *src) {
    dst->count += src->count;
    src->count = 0;
    PARLEY_QUEUE_SPLICE(dst, src);
}

void parley_event_queue_clear(parley_event_queue *queue) {
    parley_event *event = queue->head;
    while (event != NULL) {
        parley_event *next = event->next;
        parley_event_free(event);
        event = next;
    }
    memset(queue, 0, sizeof *queue);
}

/* --- the registry ------------------------------------------------------------ */

void parley_event_registry_init(parley_event_registry *reg) {
    memset(reg, 0, sizeof *reg);
}

static bool add(parley_event_registry *reg, parley_event_subscriber *list, size_t *count,
                parley_event_subscriber sub) {
    if (reg->sealed || *count == PARLEY_EVENT_SUBSCRIBERS_MAX || sub.types == 0) {
        return false;
    }
    list[(*count)++] = sub;
    return true;
}

bool parley_event_subscribe_in_unit(parley_event_registry *reg, unsigned types,
                                    parley_event_in_unit_fn fn, void *ctx) {
    return fn != NULL && add(reg, reg->in_unit, &reg->in_unit_count,
                             (parley_event_subscriber){.types = types, .in_unit = fn, .ctx = ctx});
}

bool parley_event_subscribe_after_commit(parley_event_registry *reg, unsigned types,
                                         parley_event_after_commit_fn fn, void *ctx) {
    return fn != NULL &&
           add(reg, reg->after_commit, &reg->after_commit_count,
               (parley_event_subscriber){.types = types, .after_commit = fn, .ctx = ctx});
}

void parley_event_registry_seal(parley_event_registry *reg) {
    reg->sealed = true;
}

parley_status parley_event_emit(const parley_event_registry *reg, parley_chat_service *svc,
                                parley_event_queue *queue, parley_event *event, parley_error *err) {
    if (event == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory building an event");
    }
    unsigned bit = PARLEY_EVENT_BIT(event->type);
    for (size_t i = 0; reg != NULL && i < reg->in_unit_count; i++) {
        const parley_event_subscriber *sub = &reg->in_unit[i];
        if (sub->types & bit) {
            parley_status st = sub->in_unit(sub->ctx, svc, event, err);
            if (st != PARLEY_OK) {
                parley_event_free(event);
                return st;
            }
        }
    }
    if (event->type == PARLEY_EVENT_SESSION_CREATED) {
        event->session.asked_team_id = NULL; /* borrowed from the emitter */
        event->session.policy = NULL;
    }
    PARLEY_QUEUE_PUSH(queue, event);
    queue->count++;
    return PARLEY_OK;
}

void parley_event_deliver_after_commit(const parley_event_registry *reg,
                                       const parley_event *event) {
    unsigned bit = PARLEY_EVENT_BIT(event->type);
    for (size_t i = 0; reg != NULL && i < reg->after_commit_count; i++) {
        const parley_event_subscriber *sub = &reg->after_commit[i];
        if (sub->types & bit) {
            sub->after_commit(sub->ctx, event);
        }
    }
}
