/*
 * fuzz_settings.c - the run-time settings' values (core/settings.h:
 * parley_settings_check over the registry, as PATCH /api/v1/settings and
 * the stored-value reader use it; bot.business_hours brings
 * core/business_hours.h's check with it).
 *
 * Byte 0 picks a registered key; the rest is the value as JSON text (any
 * JSON value, as jansson reads a patch's member). Checks:
 *  - every default passes its own check (once);
 *  - an accepted value has the key's type and bounds: a boolean; an
 *    integer in min..max; a string of valid UTF-8 without control
 *    characters other than tab/newline/CR, min..max code points long (so
 *    the bot never posts an empty no-answer or handoff message); one of
 *    an enum's choices; an object;
 *  - a refusal is 400 validation_failed naming the key, and reaches the
 *    client (fuzz_checks.h);
 *  - what is accepted reads back accepted: the value written as the
 *    repository stores it (json_dumps) and read back as
 *    parley_settings_get does (json_loads, JSON_DECODE_ANY) passes the
 *    check again - otherwise a stored setting would silently read as its
 *    default.
 */
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "fuzz_checks.h"

static void check_accepted(const parley_setting_spec *spec, const json_t *v) {
    switch (spec->type) {
    case PARLEY_SETTING_BOOL:
        CHECK(json_is_boolean(v));
        break;
    case PARLEY_SETTING_INT:
        CHECK(json_is_integer(v));
        CHECK(json_integer_value(v) >= spec->min && json_integer_value(v) <= spec->max);
        break;
    case PARLEY_SETTING_STRING: {
        CHECK(json_is_string(v));
        const char *s = json_string_value(v);
        size_t len = json_string_length(v), chars = 0;
        CHECK(strlen(s) == len);
        CHECK(ref_utf8_valid((const uint8_t *)s, len, &chars));
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            CHECK(!((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F));
        }
        CHECK((int64_t)chars >= spec->min && (int64_t)chars <= spec->max);
        break;
    }
    case PARLEY_SETTING_ENUM: {
        CHECK(json_is_string(v));
        bool found = false;
        for (size_t i = 0; spec->choices[i] != NULL; i++) {
            found = found || strcmp(spec->choices[i], json_string_value(v)) == 0;
        }
        CHECK(found);
        break;
    }
    case PARLEY_SETTING_OBJECT:
        CHECK(json_is_object(v));
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t count = 0;
    const parley_setting_spec *reg = parley_settings_registry(&count);
    static bool once;
    if (!once) {
        once = true;
        for (size_t i = 0; i < count; i++) {
            json_t *d = json_loads(reg[i].default_json, JSON_DECODE_ANY, NULL);
            parley_error err = {0};
            CHECK(d != NULL && parley_settings_check(&reg[i], d, &err) == PARLEY_OK);
            CHECK(parley_settings_find(reg[i].key) == &reg[i]);
            json_decref(d);
        }
    }
    if (size < 1) {
        return 0;
    }
    const parley_setting_spec *spec = &reg[data[0] % count];
    json_t *v = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return 0;
    }
    parley_error err = {0};
    parley_status st = parley_settings_check(spec, v, &err);
    if (st == PARLEY_OK) {
        check_accepted(spec, v);
        char *stored = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        CHECK(stored != NULL);
        json_t *back = json_loads(stored, JSON_DECODE_ANY, NULL);
        CHECK(back != NULL);
        parley_error err2 = {0};
        CHECK(parley_settings_check(spec, back, &err2) == PARLEY_OK);
        CHECK(json_equal(v, back));
        json_decref(back);
        free(stored);
    } else {
        CHECK(st == PARLEY_E_INVALID || st == PARLEY_E_NOMEM);
        if (st == PARLEY_E_INVALID) {
            CHECK(strcmp(err.code, "validation_failed") == 0);
            CHECK(strncmp(err.message, spec->key, strlen(spec->key)) == 0);
            check_error_reaches_client(&err);
        }
    }
    json_decref(v);
    return 0;
}
