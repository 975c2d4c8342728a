#include "core/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

parley_status parley_event_emit(parley_event_queue *queue, parley_event_type type,
                                unsigned audience, const char *session_id, const char *customer_id,
                                int64_t seq, json_t *frame, parley_error *err) {
    parley_event *event = calloc(1, sizeof *event);
    char *text = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (event == NULL || text == NULL) {
        free(event);
        free(text);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory building an event");
    }
    event->type = type;
    event->audience = audience;
    snprintf(event->session_id, sizeof event->session_id, "%s", session_id ? session_id : "");
    snprintf(event->customer_id, sizeof event->customer_id, "%s", customer_id ? customer_id : "");
    event->seq = seq;
    event->frame = text;
    event->frame_len = strlen(text);
    if (queue->tail != NULL) {
        queue->tail->next = event;
    } else {
        queue->head = event;
    }
    queue->tail = event;
    queue->count++;
    return PARLEY_OK;
}

void parley_event_queue_move(parley_event_queue *dst, parley_event_queue *src) {
    if (src->head == NULL) {
        return;
    }
    if (dst->tail != NULL) {
        dst->tail->next = src->head;
    } else {
        dst->head = src->head;
    }
    dst->tail = src->tail;
    dst->count += src->count;
    memset(src, 0, sizeof *src);
}

void parley_event_queue_clear(parley_event_queue *queue) {
    parley_event *event = queue->head;
    while (event != NULL) {
        parley_event *next = event->next;
        free(event->frame);
        free(event);
        event = next;
    }
    memset(queue, 0, sizeof *queue);
}
