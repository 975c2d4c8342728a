/*
 * notifications_prefs.c - each user's notification preferences: which
 * events reach which channel, and quiet hours (notifications.h). Stored
 * as JSON text by repo->notifications->prefs_get/put; what is not stored
 * is the default: every event on every channel, no quiet hours, so a new
 * agent hears of waiting customers without configuring anything (a
 * channel may keep some events off by default: default_on in
 * core/notifications_channels.h; e-mail leaves session.waiting to in-app).
 *
 * The stored form is always the whole effective object, so a later
 * version's new event starts at its default:
 *   {"events": {"session.waiting": {"in_app": true}, ...},
 *    "quiet_hours": null | {"start": "22:00", "end": "07:00",
 *                           "utc_offset_minutes": 60}}
 *
 * Threads: the caller's worker thread. Ownership: results are the caller's.
 */
#include "core/notifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authorization.h"
#include "core/ids.h"

#define MINUTES_PER_DAY 1440

/* "HH:MM" -> minutes of the day; false when malformed. */
static bool parse_clock(const char *text, int *minutes) {
    if (text == NULL || strlen(text) != 5 || text[2] != ':') {
        return false;
    }
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (text[i] < '0' || text[i] > '9')) {
            return false;
        }
    }
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59) {
        return false;
    }
    *minutes = h * 60 + m;
    return true;
}

/* Only start, end and utc_offset_minutes. */
static bool quiet_keys_known(const json_t *value) {
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)(uintptr_t)value, key, member) {
        if (strcmp(key, "start") != 0 && strcmp(key, "end") != 0 &&
            strcmp(key, "utc_offset_minutes") != 0) {
            return false;
        }
    }
    return true;
}

static parley_status invalid(parley_error *err, const char *what) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "%s", what);
}

/* The defaults, with the channels this server has. */
json_t *parley_notify_prefs_defaults(const parley_notifier *nf) {
    json_t *events = json_object();
    for (int e = 0; e < PARLEY_NOTIFY_EVENT_COUNT; e++) {
        json_t *channels = json_object();
        const char *name = parley_notify_event_name((parley_notify_event)e);
        for (size_t c = 0; c < nf->channel_count; c++) {
            const parley_notify_channel *ch = nf->channels[c].channel;
            json_object_set_new(channels, ch->name,
                                json_boolean(ch->default_on == NULL || ch->default_on(name)));
        }
        json_object_set_new(events, parley_notify_event_name((parley_notify_event)e), channels);
    }
    return json_pack("{s:o, s:n}", "events", events, "quiet_hours");
}

static bool has_channel(const parley_notifier *nf, const char *name) {
    for (size_t c = 0; c < nf->channel_count; c++) {
        if (strcmp(nf->channels[c].channel->name, name) == 0) {
            return true;
        }
    }
    return false;
}

parley_status parley_notify_prefs_apply(const parley_notifier *nf, json_t *prefs,
                                        const json_t *change, parley_error *err) {
    if (!json_is_object(change)) {
        return invalid(err, "body: an object");
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)(uintptr_t)change, key, value) {
        if (strcmp(key, "events") == 0) {
            if (!json_is_object(value)) {
                return invalid(err, "events: an object of event -> {channel: true|false}");
            }
            const char *event;
            json_t *channels;
            json_object_foreach(value, event, channels) {
                parley_notify_event known;
                if (!parley_notify_event_from_name(event, &known)) {
                    return invalid(err, "events: unknown event");
                }
                if (!json_is_object(channels)) {
                    return invalid(err, "events: each an object of channel -> true|false");
                }
                json_t *stored = json_object_get(json_object_get(prefs, "events"), event);
                const char *channel;
                json_t *on;
                json_object_foreach(channels, channel, on) {
                    if (!has_channel(nf, channel)) {
                        return invalid(err, "events: unknown channel");
                    }
                    if (!json_is_boolean(on)) {
                        return invalid(err, "events: a channel is true or false");
                    }
                    json_object_set(stored, channel, on);
                }
            }
        } else if (strcmp(key, "quiet_hours") == 0) {
            int start, end;
            json_t *offset = json_object_get(value, "utc_offset_minutes");
            if (json_is_null(value)) {
                json_object_set_new(prefs, "quiet_hours", json_null());
                continue;
            }
            if (!json_is_object(value) || !quiet_keys_known(value) ||
                !parse_clock(json_string_value(json_object_get(value, "start")), &start) ||
                !parse_clock(json_string_value(json_object_get(value, "end")), &end) ||
                (offset != NULL && (!json_is_integer(offset) || json_integer_value(offset) < -840 ||
                                    json_integer_value(offset) > 840))) {
                return invalid(err, "quiet_hours: null or {start: \"HH:MM\", end: \"HH:MM\", "
                                    "utc_offset_minutes: -840..840}");
            }
            json_object_set_new(prefs, "quiet_hours",
                                json_pack("{s:O, s:O, s:I}", "start",
                                          json_object_get(value, "start"), "end",
                                          json_object_get(value, "end"), "utc_offset_minutes",
                                          offset != NULL ? json_integer_value(offset) : 0));
        } else {
            return invalid(err, "body: events and quiet_hours only");
        }
    }
    return PARLEY_OK;
}

parley_status parley_notify_prefs_load(parley_chat_service *svc, const parley_notifier *nf,
                                       parley_participant_kind kind, const char *id, json_t **out,
                                       parley_error *err) {
    *out = NULL;
    char *text = NULL;
    parley_status st = svc->repo->notifications->prefs_get(svc->repo, kind, id, &text, err);
    if (st != PARLEY_OK) {
        return st;
    }
    json_t *prefs = parley_notify_prefs_defaults(nf);
    json_t *stored = text != NULL ? json_loads(text, 0, NULL) : NULL;
    free(text);
    parley_error ignored = {0};
    /* what a user stored was valid when stored; a channel since removed
     * makes it fail here, and the defaults stand */
    if (stored != NULL && parley_notify_prefs_apply(nf, prefs, stored, &ignored) != PARLEY_OK) {
        json_decref(prefs);
        prefs = parley_notify_prefs_defaults(nf);
    }
    json_decref(stored);
    if (prefs == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    *out = prefs;
    return PARLEY_OK;
}

bool parley_notify_prefs_wants(const json_t *prefs, parley_notify_event event,
                               const char *channel) {
    json_t *on = json_object_get(
        json_object_get(json_object_get(prefs, "events"), parley_notify_event_name(event)),
        channel);
    return on == NULL || json_is_true(on);
}

parley_time_ms parley_notify_prefs_quiet_until(const json_t *prefs, parley_time_ms now) {
    json_t *quiet = json_object_get(prefs, "quiet_hours");
    int start, end;
    if (!json_is_object(quiet) ||
        !parse_clock(json_string_value(json_object_get(quiet, "start")), &start) ||
        !parse_clock(json_string_value(json_object_get(quiet, "end")), &end) || start == end) {
        return 0;
    }
    int64_t offset = json_integer_value(json_object_get(quiet, "utc_offset_minutes"));
    int64_t minute = now / 60000 + offset;
    int m = (int)(((minute % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY);
    bool quiet_now = start < end ? (m >= start && m < end) : (m >= start || m < end);
    if (!quiet_now) {
        return 0;
    }
    int wait = ((end - m) % MINUTES_PER_DAY + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    return (now / 60000 + wait) * 60000;
}

parley_status parley_notifications_prefs_get(parley_chat_service *svc, const parley_notifier *nf,
                                             const parley_participant *caller, json_t **out,
                                             parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    if (st == PARLEY_OK) {
        st = parley_notify_prefs_load(svc, nf, parley_participant_kind_of(caller), caller->id, out,
                                      err);
    }
    return st;
}

parley_status parley_notifications_prefs_update(parley_chat_service *svc, const parley_notifier *nf,
                                                const parley_participant *caller,
                                                const json_t *change, json_t **out,
                                                parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_NOTIFICATION_READ, err);
    json_t *prefs = NULL;
    if (st == PARLEY_OK) {
        st = parley_notify_prefs_load(svc, nf, parley_participant_kind_of(caller), caller->id,
                                      &prefs, err);
    }
    if (st == PARLEY_OK) {
        st = parley_notify_prefs_apply(nf, prefs, change, err);
    }
    char *text = st == PARLEY_OK ? json_dumps(prefs, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (st == PARLEY_OK && text == NULL) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK) {
        st = svc->repo->notifications->prefs_put(svc->repo, parley_participant_kind_of(caller),
                                                 caller->id, text, parley_now_ms(), err);
    }
    free(text);
    if (st != PARLEY_OK) {
        json_decref(prefs);
        return st;
    }
    *out = prefs;
    return PARLEY_OK;
}
