/*
 * bus.c - what every cluster bus shares (bus.h): opening one by URL, the
 * after-commit subscriber that publishes, and handing received envelopes
 * to the hub.
 */
#include "net/cluster/bus.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "net/ws/hub.h"
#include "util/log.h"

parley_status parley_cluster_bus_open(const char *redis_url, uv_loop_t *loop, parley_hub *hub,
                                      parley_cluster_bus **out, parley_error *err) {
    *out = NULL;
    parley_cluster_bus *bus = NULL;
    if (redis_url == NULL || redis_url[0] == '\0') {
        bus = parley_cluster_bus_local_new();
    } else {
        parley_redis_url url;
        const char *why = "";
        if (!parley_redis_url_parse(redis_url, &url, &why)) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config", "--redis: %s", why);
        }
        bus = parley_cluster_bus_redis_new(&url, loop);
        if (bus != NULL) {
            hub->cluster = true;
        }
    }
    if (bus == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    bus->hub = hub;
    /* a node id per process: a restarted node is a new publisher */
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    char hex[sizeof raw * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    snprintf(bus->node_id, sizeof bus->node_id, "n_%s", hex);
    *out = bus;
    return PARLEY_OK;
}

static void on_event(void *ctx, const parley_event *event) {
    parley_cluster_bus *bus = ctx;
    bus->ops->publish(bus, event);
}

bool parley_cluster_bus_subscribe_events(parley_cluster_bus *bus, parley_event_registry *reg) {
    return parley_event_subscribe_after_commit(reg, PARLEY_EVENT_ALL, on_event, bus);
}

void parley_cluster_bus_receive(parley_cluster_bus *bus, const char *data, size_t len) {
    parley_cluster_envelope env;
    if (!parley_cluster_decode(data, len, &env)) {
        bus->stats.bad_envelope++;
        parley_log_warn("cluster bus: an undecodable message on a parley channel (%zu bytes)", len);
        return;
    }
    if (strcmp(env.node_id, bus->node_id) == 0) {
        parley_cluster_envelope_free(&env); /* ours: the local hub had it after commit */
        return;
    }
    bus->stats.received++;
    if (env.typing) {
        parley_hub_relay_local(bus->hub, env.head.session_id, env.public_text,
                               strlen(env.public_text));
        parley_cluster_envelope_free(&env);
        return;
    }
    parley_event_frames frames; /* takes the strings */
    parley_event_frames_init_rendered(&frames, env.public_text, env.staff_text);
    env.public_text = env.staff_text = NULL;
    parley_hub_publish_frames(bus->hub, &env.head, &frames);
    parley_event_frames_free(&frames);
    parley_cluster_envelope_free(&env);
}

bool parley_cluster_bus_listen(parley_cluster_bus *bus, const parley_cluster_topic *topic) {
    if (bus->topic_count >= PARLEY_CLUSTER_TOPICS_MAX) {
        return false;
    }
    bus->topics[bus->topic_count++] = *topic;
    return true;
}

void parley_cluster_bus_topic_message(parley_cluster_bus *bus, const char *channel,
                                      const char *data, size_t len) {
    for (int i = 0; i < bus->topic_count; i++) {
        if (strcmp(bus->topics[i].channel, channel) == 0) {
            bus->topics[i].on_message(bus->topics[i].ctx, data, len);
        }
    }
}

void parley_cluster_bus_topics_subscribed(parley_cluster_bus *bus) {
    for (int i = 0; i < bus->topic_count; i++) {
        if (bus->topics[i].on_subscribed != NULL) {
            bus->topics[i].on_subscribed(bus->topics[i].ctx);
        }
    }
}
