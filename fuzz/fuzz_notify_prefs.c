/*
 * fuzz_notify_prefs.c - a user's notification preferences
 * (core/notifications_prefs.c): the check of a PUT
 * /api/v1/notifications/preferences body and what the outbox reads back.
 *
 * The input is a JSON value applied to the defaults of a server with the
 * in_app channel. Checks:
 *  - a refusal is 400 validation_failed that reaches the client;
 *  - an accepted change was an object of only "events" (known event ->
 *    object of in_app -> boolean) and "quiet_hours" (null, or an object of
 *    only "start" and "end", exactly "HH:MM" with HH 00-23 and MM 00-59,
 *    and an optional integer utc_offset_minutes in -840..840);
 *  - the result keeps every event, each wanted exactly as the change said
 *    (else on), and survives a round trip through its own text;
 *  - at 16 instants over two days, parley_notify_prefs_quiet_until agrees
 *    with a reference: 0 outside the window (or without one, or with
 *    start == end), else the next minute boundary at which the local
 *    minute is `end`, within 24 h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/notifications.h"
#include "fuzz_checks.h"

static bool reaches_all(parley_participant_kind kind) {
    (void)kind;
    return true;
}
static const parley_notify_channel in_app = {.name = "in_app", .reaches = reaches_all};
static const parley_notify_channel_binding channels[] = {{&in_app, NULL}};
static const parley_notifier nf = {NULL, channels, 1};

static int clock_of(const json_t *v) {
    const char *s = json_string_value(v);
    CHECK(s != NULL && strlen(s) == 5 && s[2] == ':');
    int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
    CHECK(s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '5' &&
          s[4] >= '0' && s[4] <= '9' && h <= 23 && m <= 59);
    return h * 60 + m;
}

static void check_accepted(const json_t *change, const json_t *prefs) {
    CHECK(json_is_object(change));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)change, k, v) {
        CHECK(strcmp(k, "events") == 0 || strcmp(k, "quiet_hours") == 0);
    }
    json_t *events = json_object_get(change, "events");
    CHECK(events == NULL || json_is_object(events));
    for (int e = 0; e < PARLEY_NOTIFY_EVENT_COUNT; e++) {
        const char *name = parley_notify_event_name((parley_notify_event)e);
        json_t *said = json_object_get(json_object_get(events, name), "in_app");
        CHECK(said == NULL || json_is_boolean(said));
        CHECK(parley_notify_prefs_wants(prefs, (parley_notify_event)e, "in_app") ==
              (said == NULL || json_is_true(said)));
    }
    json_object_foreach(events, k, v) {
        parley_notify_event known;
        CHECK(parley_notify_event_from_name(k, &known));
        CHECK(json_is_object(v));
        const char *ch;
        json_t *on;
        json_object_foreach(v, ch, on) {
            CHECK(strcmp(ch, "in_app") == 0 && json_is_boolean(on));
        }
    }
    json_t *quiet = json_object_get(change, "quiet_hours");
    if (json_is_object(quiet)) {
        json_object_foreach(quiet, k, v) {
            CHECK(strcmp(k, "start") == 0 || strcmp(k, "end") == 0 ||
                  strcmp(k, "utc_offset_minutes") == 0);
        }
        clock_of(json_object_get(quiet, "start"));
        clock_of(json_object_get(quiet, "end"));
        json_t *off = json_object_get(quiet, "utc_offset_minutes");
        CHECK(off == NULL || (json_is_integer(off) && json_integer_value(off) >= -840 &&
                              json_integer_value(off) <= 840));
    } else {
        CHECK(quiet == NULL || json_is_null(quiet));
    }
}

static parley_time_ms ref_quiet_until(const json_t *prefs, parley_time_ms now) {
    json_t *q = json_object_get(prefs, "quiet_hours");
    if (!json_is_object(q)) {
        return 0;
    }
    int start = clock_of(json_object_get(q, "start")), end = clock_of(json_object_get(q, "end"));
    int64_t off = json_integer_value(json_object_get(q, "utc_offset_minutes"));
    if (start == end) {
        return 0;
    }
    /* walk minute by minute: the plain definition */
    int64_t minute = now / 60000;
    int m = (int)(((minute + off) % 1440 + 1440) % 1440);
    bool in = start < end ? (m >= start && m < end) : (m >= start || m < end);
    if (!in) {
        return 0;
    }
    for (int i = 1; i <= 1440; i++) {
        if ((((minute + i + off) % 1440) + 1440) % 1440 == end) {
            return (minute + i) * 60000;
        }
    }
    CHECK(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *change = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (change == NULL) {
        return 0;
    }
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of the input: the start time */
    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * 1099511628211ULL;
    }
    parley_time_ms start = (946684800LL + (int64_t)(h % 3155760000ULL)) * 1000 + (int64_t)(h % 997);

    json_t *prefs = parley_notify_prefs_defaults(&nf);
    CHECK(prefs != NULL);
    parley_error err = {0};
    parley_status st = parley_notify_prefs_apply(&nf, prefs, change, &err);
    if (st != PARLEY_OK) {
        CHECK(st == PARLEY_E_INVALID);
        CHECK(strcmp(err.code, "validation_failed") == 0);
        check_error_reaches_client(&err);
    } else {
        check_accepted(change, prefs);
        /* what is stored reads back the same */
        char *text = json_dumps(prefs, JSON_COMPACT);
        json_t *again = parley_notify_prefs_defaults(&nf);
        json_t *stored = json_loads(text, 0, NULL);
        CHECK(parley_notify_prefs_apply(&nf, again, stored, &err) == PARLEY_OK);
        CHECK(json_equal(again, prefs));
        json_decref(stored);
        json_decref(again);
        free(text);
        for (int i = 0; i < 16; i++) {
            parley_time_ms t = start + (int64_t)i * 10799000; /* ~3 h apart */
            CHECK(parley_notify_prefs_quiet_until(prefs, t) == ref_quiet_until(prefs, t));
        }
    }
    json_decref(prefs);
    json_decref(change);
    return 0;
}
