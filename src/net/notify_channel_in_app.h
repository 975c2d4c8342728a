/*
 * notify_channel_in_app.h - the in_app channel of the notification
 * service (core/notifications_channels.h): a notification is in the
 * recipient's inbox (GET /api/v1/notifications) from its commit on;
 * delivering it means a notification.created WebSocket frame to every
 * live connection of the recipient, and only theirs.
 *
 * deliver() runs on the delivery worker's thread: it renders the frame
 * and queues it for the loop thread (a mutex-guarded list and a
 * uv_async), which hands it to the hub (parley_hub_send_to_participant).
 * A recipient with no connection is delivered all the same: the inbox is
 * where they will see it.
 *
 * Threads: init and close on the loop thread; deliver from any one
 * thread. Ownership: the server embeds the context; queued frames are the
 * context's until sent or closed.
 */
#ifndef PARLEY_NOTIFY_CHANNEL_IN_APP_H
#define PARLEY_NOTIFY_CHANNEL_IN_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

#include "core/notifications_channels.h"
#include "net/ws/hub.h"

typedef struct parley_in_app_frame parley_in_app_frame;

typedef struct parley_in_app {
    uv_async_t wakeup;
    parley_hub *hub; /* borrowed, loop thread */
    pthread_mutex_t lock;
    parley_in_app_frame *head; /* queued for the loop, under lock */
    parley_in_app_frame *tail;
    bool closed; /* under lock: deliver() refuses (retried after a restart) */
    bool started;
} parley_in_app;

extern const parley_notify_channel parley_notify_channel_in_app;

parley_status parley_in_app_init(parley_in_app *in_app, uv_loop_t *loop, parley_hub *hub,
                                 parley_error *err);
/* Sends what is queued, refuses further deliveries, closes the handle. */
void parley_in_app_close(parley_in_app *in_app);

#endif
