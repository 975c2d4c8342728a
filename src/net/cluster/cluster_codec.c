/*
 * cluster_codec.c - the --redis URL, channels and envelopes of the cluster
 * bus (cluster_codec.h). Pure: fuzzed by fuzz/fuzz_cluster_codec.c.
 */
#include "net/cluster/cluster_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_int(const char *s, size_t n, int lo, int hi, int *out) {
    if (n == 0 || n > 5) {
        return false;
    }
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

bool parley_redis_url_parse(const char *text, parley_redis_url *out, const char **why) {
    memset(out, 0, sizeof *out);
    out->port = 6379;
    const char *unix_prefix = strncmp(text, "unix://", 7) == 0 ? text + 7
                              : strncmp(text, "unix:", 5) == 0 ? text + 5
                                                               : NULL;
    if (unix_prefix != NULL) {
        size_t n = strlen(unix_prefix);
        if (n == 0 || unix_prefix[0] != '/' || n >= sizeof out->path) {
            *why = "a unix socket needs an absolute path (unix:/path/to/redis.sock) of at "
                   "most 107 bytes";
            return false;
        }
        memcpy(out->path, unix_prefix, n + 1);
        return true;
    }
    if (strncmp(text, "redis://", 8) != 0) {
        *why = "expected redis://HOST[:PORT][/DB] or unix:/PATH";
        return false;
    }
    const char *host = text + 8;
    const char *end = host + strcspn(host, "/");
    const char *colon = NULL;
    if (host[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (close == NULL) {
            *why = "unclosed [ in the host";
            return false;
        }
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 != end && colon == NULL) {
            *why = "expected :PORT after ]";
            return false;
        }
        size_t n = (size_t)(close - host - 1);
        if (n == 0 || n >= sizeof out->host || memchr(host, '@', n + 1) != NULL) {
            *why = "bad host";
            return false;
        }
        memcpy(out->host, host + 1, n);
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        size_t n = (size_t)((colon != NULL ? colon : end) - host);
        if (n == 0 || n >= sizeof out->host || memchr(host, '@', n) != NULL) {
            *why = "bad host (credentials in the URL are not supported)";
            return false;
        }
        memcpy(out->host, host, n);
    }
    if (colon != NULL && !parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &out->port)) {
        *why = "the port must be 1..65535";
        return false;
    }
    if (*end == '/' && end[1] != '\0' && !parse_int(end + 1, strlen(end + 1), 0, 9999, &out->db)) {
        *why = "the database must be a number 0..9999";
        return false;
    }
    return true;
}

/* FNV-1a: the bucket of an id (stable across nodes and builds). */
static unsigned bucket_of(const char *id) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h % PARLEY_CLUSTER_BUCKETS;
}

void parley_cluster_session_channel(const char *session_id, char out[PARLEY_CLUSTER_CHANNEL_SIZE]) {
    snprintf(out, PARLEY_CLUSTER_CHANNEL_SIZE, "parley:s:%u", bucket_of(session_id));
}

void parley_cluster_channel_of(const parley_event *event, char out[PARLEY_CLUSTER_CHANNEL_SIZE]) {
    if (event->type == PARLEY_EVENT_TOKEN_REVOKED) {
        snprintf(out, PARLEY_CLUSTER_CHANNEL_SIZE, "parley:revoke");
    } else if (event->session_id[0] != '\0') {
        parley_cluster_session_channel(event->session_id, out);
    } else if (event->customer_id[0] != '\0') {
        parley_cluster_session_channel(event->customer_id, out);
    } else {
        snprintf(out, PARLEY_CLUSTER_CHANNEL_SIZE, "parley:agents");
    }
}

static char *dump(json_t *obj) {
    char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

char *parley_cluster_encode(const char *node_id, const parley_event *event, const char *public_text,
                            const char *staff_text) {
    bool revoke = event->type == PARLEY_EVENT_TOKEN_REVOKED;
    if (!revoke && public_text == NULL && staff_text == NULL) {
        return NULL;
    }
    json_t *obj =
        json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:I}", "v", 1, "n", node_id, "t",
                  parley_event_type_name(event->type), "a", (int)event->audience, "s",
                  event->session_id, "c", event->customer_id, "q", (json_int_t)event->seq);
    if (obj == NULL) {
        return NULL;
    }
    bool ok = true;
    if (public_text != NULL) {
        ok = json_object_set_new(obj, "p", json_string(public_text)) == 0;
    }
    if (ok && staff_text != NULL) {
        ok = json_object_set_new(obj, "f", json_string(staff_text)) == 0;
    }
    if (ok && revoke) {
        ok = json_object_set_new(obj, "r",
                                 json_pack("[s,s,s]", event->revoked.token_hash,
                                           event->revoked.owner_id,
                                           event->revoked.keep_token_hash)) == 0;
    }
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return dump(obj);
}

char *parley_cluster_encode_typing(const char *node_id, const char *session_id, const char *frame) {
    return dump(json_pack("{s:i, s:s, s:s, s:s, s:s}", "v", 1, "n", node_id, "t", "typing", "s",
                          session_id, "p", frame));
}

/* Copies the string member key of obj into out (size bytes, NUL
 * included); absent = "" when optional. */
static bool copy_str(json_t *obj, const char *key, char *out, size_t size, bool optional) {
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        out[0] = '\0';
        return optional;
    }
    if (!json_is_string(v) || json_string_length(v) >= size ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        return false;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool dup_str(json_t *obj, const char *key, char **out) {
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return false;
    }
    *out = strdup(json_string_value(v));
    return *out != NULL;
}

static bool type_by_name(const char *name, parley_event_type *out) {
    for (int t = 0; t < PARLEY_EVENT_TYPE_COUNT; t++) {
        if (strcmp(parley_event_type_name((parley_event_type)t), name) == 0) {
            *out = (parley_event_type)t;
            return true;
        }
    }
    return false;
}

static bool decode_revocation(json_t *root, parley_event_revocation *r) {
    json_t *arr = json_object_get(root, "r");
    if (!json_is_array(arr) || json_array_size(arr) != 3) {
        return false;
    }
    char *fields[3] = {r->token_hash, r->owner_id, r->keep_token_hash};
    size_t sizes[3] = {sizeof r->token_hash, sizeof r->owner_id, sizeof r->keep_token_hash};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) >= sizes[i] ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            return false;
        }
        memcpy(fields[i], json_string_value(v), json_string_length(v) + 1);
    }
    return true;
}

static bool decode_into(json_t *root, parley_cluster_envelope *out) {
    char type[32];
    json_t *v = json_object_get(root, "v");
    if (!json_is_object(root) || !json_is_integer(v) || json_integer_value(v) != 1 ||
        !copy_str(root, "n", out->node_id, sizeof out->node_id, false) ||
        !copy_str(root, "t", type, sizeof type, false) ||
        !copy_str(root, "s", out->head.session_id, sizeof out->head.session_id, true) ||
        !copy_str(root, "c", out->head.customer_id, sizeof out->head.customer_id, true) ||
        !dup_str(root, "p", &out->public_text) || !dup_str(root, "f", &out->staff_text)) {
        return false;
    }
    if (strcmp(type, "typing") == 0) {
        out->typing = true;
        return out->head.session_id[0] != '\0' && out->public_text != NULL;
    }
    json_t *a = json_object_get(root, "a");
    json_t *q = json_object_get(root, "q");
    if (!type_by_name(type, &out->head.type) || !json_is_integer(a) || json_integer_value(a) < 0 ||
        json_integer_value(a) > 0xffff || !json_is_integer(q) || json_integer_value(q) < 0) {
        return false;
    }
    out->head.audience = (unsigned)json_integer_value(a);
    out->head.seq = (int64_t)json_integer_value(q);
    if (out->head.type == PARLEY_EVENT_TOKEN_REVOKED) {
        return decode_revocation(root, &out->head.revoked);
    }
    return out->public_text != NULL || out->staff_text != NULL;
}

bool parley_cluster_decode(const char *data, size_t len, parley_cluster_envelope *out) {
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    bool ok = root != NULL && decode_into(root, out);
    json_decref(root);
    if (!ok) {
        parley_cluster_envelope_free(out);
    }
    return ok;
}

void parley_cluster_envelope_free(parley_cluster_envelope *env) {
    free(env->public_text);
    free(env->staff_text);
    memset(env, 0, sizeof *env);
}
