#include "core/upload_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/authorization.h"
#include "core/ids.h"
#include "core/model_json.h"
#include "util/validate.h"

/* Opened by a browser, these run script in the page's origin; no list may
 * allow them (the download also carries CSP sandbox, but defence in depth). */
static const char *const never_allowed[] = {
    "text/html",       "application/xhtml+xml", "image/svg+xml",          "text/xml",
    "application/xml", "text/javascript",       "application/javascript",
};

bool parley_upload_type_allowed(const char *allowlist, const char *mime) {
    if (allowlist == NULL || mime == NULL || mime[0] == '\0') {
        return false;
    }
    for (size_t i = 0; i < sizeof never_allowed / sizeof never_allowed[0]; i++) {
        if (strcasecmp(mime, never_allowed[i]) == 0) {
            return false;
        }
    }
    size_t mime_len = strlen(mime);
    const char *p = allowlist;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
        while (len > 0 && p[len - 1] == ' ') {
            len--;
        }
        if (len == mime_len && strncasecmp(p, mime, len) == 0) {
            return true;
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return false;
}

void parley_upload_sanitize_name(const char *in, size_t len, const char *fallback,
                                 char out[PARLEY_UPLOAD_NAME_MAX + 1]) {
    size_t o = 0;
    if (in != NULL) {
        /* only the last path component: "C:\\x\\a.png" and "../../a.png" are "a.png" */
        size_t start = 0;
        for (size_t i = 0; i < len; i++) {
            if (in[i] == '/' || in[i] == '\\') {
                start = i + 1;
            }
        }
        const unsigned char *s = (const unsigned char *)in + start;
        size_t n = len - start;
        for (size_t i = 0; i < n;) {
            size_t seq = parley_utf8_sequence((const char *)s + i, n - i);
            const char *piece = (const char *)s + i;
            char repl = '_';
            size_t piece_len = seq;
            if (seq == 0) {
                piece = &repl; /* a stray byte */
                piece_len = 1;
                seq = 1;
            } else if (seq == 1 && (s[i] < 0x20 || s[i] == 0x7F || strchr("\"\\/:*?<>|", s[i]))) {
                piece = &repl;
            } else if (seq == 1 && o == 0 && (s[i] == '.' || s[i] == ' ')) {
                i += seq; /* no hidden files, no leading blanks */
                continue;
            }
            if (o + piece_len > PARLEY_UPLOAD_NAME_MAX) {
                break; /* cut at a character boundary */
            }
            memcpy(out + o, piece, piece_len);
            o += piece_len;
            i += seq;
        }
        while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.')) {
            o--; /* "a.png. " would be "a.png" on some systems anyway */
        }
    }
    out[o] = '\0';
    if (o == 0) {
        snprintf(out, PARLEY_UPLOAD_NAME_MAX + 1, "%s", fallback != NULL ? fallback : "file");
    }
}

parley_status parley_upload_check(const parley_config *config, const char *mime, int64_t size,
                                  parley_error *err) {
    if (size > config->max_upload_bytes) {
        return parley_error_set(err, PARLEY_E_TOO_LARGE, "payload_too_large",
                                "file: at most %lld bytes", (long long)config->max_upload_bytes);
    }
    if (size == 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "file: must not be empty");
    }
    if (!parley_upload_type_allowed(config->upload_types, mime)) {
        return parley_error_set(err, PARLEY_E_UNSUPPORTED_TYPE, "unsupported_media_type",
                                "file: its content is %.100s, which may not be uploaded (allowed: "
                                "%.300s)",
                                mime != NULL ? mime : "unknown", config->upload_types);
    }
    return PARLEY_OK;
}

parley_status parley_upload_admit(parley_chat_service *svc, const parley_participant *caller,
                                  parley_error *err) {
    parley_status st = parley_authorize(caller, PARLEY_ACTION_UPLOAD_CREATE, err);
    if (st == PARLEY_OK && svc->limits != NULL) {
        st = parley_limits_take(svc->limits->uploads_by_participant, caller->id, "uploads", err);
    }
    return st;
}

parley_status parley_upload_record(parley_chat_service *svc, const parley_participant *caller,
                                   const parley_upload_input *in, parley_upload *out,
                                   parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = parley_authorize(caller, PARLEY_ACTION_UPLOAD_CREATE, err);
    if (st == PARLEY_OK) {
        st = parley_upload_check(svc->config, in->mime, in->size, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    parley_id_new("upl", out->id);
    snprintf(out->sha256, sizeof out->sha256, "%s", in->sha256);
    out->size = in->size;
    snprintf(out->mime, sizeof out->mime, "%s", in->mime);
    out->name = strdup(in->name);
    out->uploader_kind = parley_participant_kind_of(caller);
    snprintf(out->uploader_id, sizeof out->uploader_id, "%s", caller->id);
    out->created_at = parley_now_ms();
    if (out->name == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    st = svc->repo->uploads->insert(svc->repo, out, err);
    if (st != PARLEY_OK) {
        parley_upload_free(out);
    }
    return st;
}

static parley_status no_such_upload(parley_error *err) {
    return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "no such upload");
}

static bool uploaded_by(const parley_upload *u, const parley_participant *caller) {
    return u->uploader_kind == parley_participant_kind_of(caller) &&
           strcmp(u->uploader_id, caller->id) == 0;
}

parley_status parley_upload_get(parley_chat_service *svc, const parley_participant *caller,
                                const char *upload_id, parley_upload *out, parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = parley_authorize(caller, PARLEY_ACTION_UPLOAD_READ, err);
    if (st != PARLEY_OK) {
        return st;
    }
    st = svc->repo->uploads->get(svc->repo, upload_id, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        return no_such_upload(err);
    }
    if (st != PARLEY_OK || uploaded_by(out, caller)) {
        return st;
    }
    if (out->session_id[0] == '\0') {
        /* not attached yet: nobody but its uploader knows it exists */
        parley_upload_free(out);
        return no_such_upload(err);
    }
    /* readable by whoever may read its session (the one scope helper) */
    parley_session session = {0};
    st = parley_chat_load_session_for(svc, caller, PARLEY_ACTION_UPLOAD_READ, out->session_id,
                                      &session, err);
    if (st == PARLEY_OK) {
        parley_session_free(&session);
    }
    if (st != PARLEY_OK) {
        parley_upload_free(out);
        return st == PARLEY_E_NOT_FOUND ? no_such_upload(err) : st;
    }
    return PARLEY_OK;
}

parley_status parley_upload_for_message(parley_chat_service *svc, const parley_participant *caller,
                                        const char *upload_id, bool type_given,
                                        parley_message_type *type, parley_upload *out,
                                        parley_error *err) {
    memset(out, 0, sizeof *out);
    parley_status st = svc->repo->uploads->get(svc->repo, upload_id, out, err);
    if (st == PARLEY_E_NOT_FOUND || (st == PARLEY_OK && !uploaded_by(out, caller))) {
        /* another's upload is not revealed to exist */
        parley_upload_free(out);
        return parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found",
                                "attachment_id: no such upload of yours");
    }
    if (st != PARLEY_OK) {
        return st;
    }
    bool is_image = strncmp(out->mime, "image/", 6) == 0;
    if (out->message_id[0] != '\0') {
        st = parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                              "attachment_id: this upload is already attached to a message");
    } else if (!type_given) {
        *type = is_image ? PARLEY_MESSAGE_IMAGE : PARLEY_MESSAGE_FILE;
    } else if (*type == PARLEY_MESSAGE_TEXT) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "attachment_id: only image and file messages carry an attachment");
    } else if (*type == PARLEY_MESSAGE_IMAGE && !is_image) {
        st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                              "attachment_id: an image message needs an image upload (this one "
                              "is %.100s)",
                              out->mime);
    }
    if (st != PARLEY_OK) {
        parley_upload_free(out);
    }
    return st;
}

static json_t *url_of(const parley_upload *u) {
    char url[PARLEY_ID_SIZE + 32];
    snprintf(url, sizeof url, "/api/v1/uploads/%s", u->id);
    return json_string(url);
}

json_t *parley_attachment_to_json(const parley_upload *u) {
    return json_pack("{s:s, s:s, s:s, s:I, s:o}", "id", u->id, "name",
                     u->name != NULL ? u->name : "", "mime", u->mime, "size", (json_int_t)u->size,
                     "url", url_of(u));
}

json_t *parley_upload_to_json(const parley_upload *u) {
    json_t *obj = parley_attachment_to_json(u);
    if (obj == NULL) {
        return NULL;
    }
    json_object_set_new(obj, "sha256", json_string(u->sha256));
    json_object_set_new(obj, "message_id",
                        u->message_id[0] != '\0' ? json_string(u->message_id) : json_null());
    json_object_set_new(obj, "session_id",
                        u->session_id[0] != '\0' ? json_string(u->session_id) : json_null());
    json_object_set_new(obj, "created_at", parley_time_to_json(u->created_at));
    return obj;
}
