/*
 * notify_channel_in_app.c - the in_app channel (notify_channel_in_app.h):
 * the notification.created frame, from the delivery worker to the
 * recipient's WebSockets through the loop thread.
 */
#include "net/notify_channel_in_app.h"

#include <stdlib.h>
#include <string.h>

#include "core/notifications.h"

struct parley_in_app_frame {
    struct parley_in_app_frame *next;
    bool staff;
    char recipient_id[PARLEY_ID_SIZE];
    size_t len;
    char text[]; /* the frame */
};

static bool in_app_reaches(parley_participant_kind kind) {
    return kind == PARLEY_PARTICIPANT_AGENT || kind == PARLEY_PARTICIPANT_CUSTOMER;
}

static parley_in_app_frame *render(const parley_notification *n, const parley_delivery *d) {
    json_t *frame = json_pack("{s:s, s:o, s:s}", "type", "notification.created", "notification",
                              parley_notification_to_json(n), "idempotency_key",
                              d->idempotency_key != NULL ? d->idempotency_key : "");
    char *text = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (text == NULL) {
        return NULL;
    }
    size_t len = strlen(text);
    parley_in_app_frame *f = calloc(1, sizeof *f + len + 1);
    if (f != NULL) {
        f->staff = n->recipient_kind == PARLEY_PARTICIPANT_AGENT;
        snprintf(f->recipient_id, sizeof f->recipient_id, "%s", n->recipient_id);
        f->len = len;
        memcpy(f->text, text, len + 1);
    }
    free(text);
    return f;
}

static parley_status in_app_deliver(void *ctx, const parley_notification *n,
                                    const parley_delivery *d, bool *permanent, parley_error *err) {
    parley_in_app *in_app = ctx;
    *permanent = false;
    parley_in_app_frame *f = render(n, d);
    if (f == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "in_app: out of memory");
    }
    pthread_mutex_lock(&in_app->lock);
    bool closed = in_app->closed;
    if (!closed) {
        if (in_app->tail != NULL) {
            in_app->tail->next = f;
        } else {
            in_app->head = f;
        }
        in_app->tail = f;
    }
    pthread_mutex_unlock(&in_app->lock);
    if (closed) {
        free(f);
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL, "in_app: shutting down");
    }
    uv_async_send(&in_app->wakeup);
    return PARLEY_OK;
}

const parley_notify_channel parley_notify_channel_in_app = {
    .name = "in_app",
    .reaches = in_app_reaches,
    .deliver = in_app_deliver,
};

/* Loop thread: every queued frame to its recipient's connections. */
static void send_queued(parley_in_app *in_app) {
    pthread_mutex_lock(&in_app->lock);
    parley_in_app_frame *f = in_app->head;
    in_app->head = in_app->tail = NULL;
    pthread_mutex_unlock(&in_app->lock);
    while (f != NULL) {
        parley_in_app_frame *next = f->next;
        parley_hub_send_to_participant(in_app->hub, f->staff, f->recipient_id, f->text, f->len);
        free(f);
        f = next;
    }
}

static void on_wakeup(uv_async_t *handle) {
    send_queued(handle->data);
}

parley_status parley_in_app_init(parley_in_app *in_app, uv_loop_t *loop, parley_hub *hub,
                                 parley_error *err) {
    memset(in_app, 0, sizeof *in_app);
    in_app->hub = hub;
    pthread_mutex_init(&in_app->lock, NULL);
    if (uv_async_init(loop, &in_app->wakeup, on_wakeup) != 0) {
        pthread_mutex_destroy(&in_app->lock);
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "in_app: uv_async_init failed");
    }
    in_app->wakeup.data = in_app;
    in_app->started = true;
    return PARLEY_OK;
}

static void on_closed(uv_handle_t *handle) {
    parley_in_app *in_app = handle->data;
    pthread_mutex_destroy(&in_app->lock);
}

void parley_in_app_close(parley_in_app *in_app) {
    if (!in_app->started) {
        return;
    }
    in_app->started = false;
    pthread_mutex_lock(&in_app->lock);
    in_app->closed = true;
    pthread_mutex_unlock(&in_app->lock);
    send_queued(in_app);
    uv_close((uv_handle_t *)&in_app->wakeup, on_closed);
}
