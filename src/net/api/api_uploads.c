/* REST handlers for uploads (attachments) and session transcripts.
 *
 * POST /api/v1/uploads is a prepared job: the slow part (parsing the body,
 * sniffing the type, hashing, writing and fsyncing the file) runs on a pool
 * thread, and only the metadata row is written on the writer, so a 10 MiB
 * upload never holds up other sessions' commits. Downloads and transcripts
 * are concurrent (reads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "core/upload_service.h"
#include "net/api/api.h"
#include "net/http/mime_sniff.h"
#include "net/http/multipart.h"
#include "storage/file_store.h"

/* what the pool thread learnt of the stored file */
typedef struct prepared_upload {
    char sha256[PARLEY_SHA256_HEX_SIZE];
    int64_t size;
    char mime[PARLEY_MIME_SIZE];
    char name[PARLEY_UPLOAD_NAME_MAX + 1];
    const char *data; /* into the request body, which outlives the job */
    size_t len;
} prepared_upload;

static const parley_config *config_of(const parley_api_call *call) {
    return call->conn->server->config;
}

static void upload_root(const parley_api_call *call, char *out, size_t size) {
    snprintf(out, size, "%s/uploads", config_of(call)->data_dir);
}

static bool fail(parley_api_call *call, parley_error *err) {
    parley_api_reply_error(call, err);
    return false;
}

/* The file and its declared name: one part of a multipart/form-data body,
 * or the raw body with X-Filename or Content-Disposition naming it. The
 * declared Content-Type of either is not consulted: the bytes decide. */
static bool read_file(parley_api_call *call, const char **data, size_t *len, char **name,
                      size_t *name_len) {
    parley_error err = {0};
    parley_http_request *req = call->req;
    *name = NULL;
    *name_len = 0;
    bool is_multipart = false;
    char boundary[PARLEY_MULTIPART_BOUNDARY_MAX + 1];
    bool has_boundary = parley_multipart_boundary(req->content_type, &is_multipart, boundary);
    if (is_multipart) {
        if (!has_boundary) {
            return parley_api_invalid(call,
                                      "Content-Type: multipart/form-data needs a valid boundary");
        }
        parley_multipart_file file;
        if (parley_multipart_parse(req->body != NULL ? req->body : "", req->body_len, boundary,
                                   &file, &err) != PARLEY_OK) {
            return fail(call, &err);
        }
        *data = file.data;
        *len = file.len;
        *name = file.filename; /* handed over */
        *name_len = file.filename_len;
        return true;
    }
    *data = req->body != NULL ? req->body : "";
    *len = req->body_len;
    if (req->x_filename != NULL) {
        /* a header carries bytes; percent-encoding lets clients send any name */
        char *decoded = parley_percent_decode(req->x_filename, strlen(req->x_filename), false);
        if (decoded == NULL) {
            return parley_api_invalid(call, "X-Filename: malformed percent-encoding");
        }
        *name = decoded;
        *name_len = strlen(decoded);
    } else if (req->content_disposition != NULL) {
        size_t type_len = 0;
        bool has = false;
        if (!parley_disposition_filename(req->content_disposition, strlen(req->content_disposition),
                                         &type_len, name, name_len, &has)) {
            return parley_api_invalid(call, "Content-Disposition: malformed");
        }
    }
    return true;
}

/* A name for a file that came without one. */
static const char *fallback_name(const char *mime) {
    static const struct {
        const char *mime;
        const char *name;
    } names[] = {
        {"image/png", "image.png"},   {"image/jpeg", "image.jpg"},     {"image/gif", "image.gif"},
        {"image/webp", "image.webp"}, {"application/pdf", "file.pdf"}, {"text/plain", "file.txt"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(mime, names[i].mime) == 0) {
            return names[i].name;
        }
    }
    return "file";
}

void parley_api_prepare_upload(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    if (parley_upload_admit(parley_facade_chat(f), call->caller, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    const char *data = NULL;
    size_t len = 0;
    char *name = NULL;
    size_t name_len = 0;
    if (!read_file(call, &data, &len, &name, &name_len)) {
        return;
    }
    prepared_upload *pu = calloc(1, sizeof *pu);
    parley_status st =
        pu != NULL ? PARLEY_OK : parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
    if (st == PARLEY_OK) {
        /* refuse what is too big before spending a hash on it */
        st = parley_upload_check(config_of(call), "text/plain", (int64_t)len, &err);
        if (st == PARLEY_E_UNSUPPORTED_TYPE) {
            st = PARLEY_OK; /* only the size was asked here */
            parley_error_clear(&err);
        }
    }
    if (st == PARLEY_OK) {
        st = parley_mime_sniff(data, len, pu->mime, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_upload_check(config_of(call), pu->mime, (int64_t)len, &err);
    }
    if (st == PARLEY_OK) {
        parley_upload_sanitize_name(name, name_len, fallback_name(pu->mime), pu->name);
        pu->size = (int64_t)len;
        pu->data = data;
        pu->len = len;
        char root[4096];
        upload_root(call, root, sizeof root);
        st = parley_file_store_put(root, data, len, pu->sha256, &err);
        if (st != PARLEY_OK) {
            parley_log_error("upload could not be stored: %s", err.message);
            parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable",
                             "the file could not be stored; retry");
        }
    }
    free(name);
    if (st != PARLEY_OK) {
        free(pu);
        parley_api_reply_error(call, &err);
        return;
    }
    call->prepared = pu;
    call->prepared_free = free;
}

void parley_api_create_upload(parley_api_call *call, parley_facade *f) {
    if (call->prepared == NULL) {
        parley_api_prepare_upload(call, f);
        if (call->prepared == NULL) {
            return;
        }
    }
    const prepared_upload *pu = call->prepared;
    parley_error err = {0};
    parley_upload u = {0};
    parley_upload_input in = {
        .sha256 = pu->sha256, .size = pu->size, .mime = pu->mime, .name = pu->name};
    if (parley_upload_record(parley_facade_chat(f), call->caller, &in, &u, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    /* Retention (core/retention.h) removes a file once no committed row
     * names its hash, on this thread between batches. An upload of the
     * same bytes whose prepare step found the file just before that
     * would record a row without a file: put it back (rare, so the write
     * on the writer is acceptable). From here on this row protects it. */
    char root[4096];
    upload_root(call, root, sizeof root);
    if (!parley_file_store_has(root, pu->sha256, pu->size)) {
        char hex[PARLEY_SHA256_HEX_SIZE];
        if (parley_file_store_put(root, pu->data, pu->len, hex, &err) != PARLEY_OK) {
            parley_log_error("upload could not be stored: %s", err.message);
            parley_upload_free(&u);
            parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable",
                             "the file could not be stored; retry");
            parley_api_reply_error(call, &err);
            return;
        }
    }
    parley_api_reply_json(call, 201, parley_upload_to_json(&u));
    parley_upload_free(&u);
}

/* Content-Disposition: attachment with the name twice (RFC 6266): an ASCII
 * fallback in filename= for old clients, and the exact UTF-8 name
 * percent-encoded in filename*= (RFC 5987). */
static void add_disposition(parley_http_response *res, const char *name) {
    char ascii[PARLEY_UPLOAD_NAME_MAX + 1];
    char encoded[3 * PARLEY_UPLOAD_NAME_MAX + 1];
    size_t a = 0, e = 0;
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p) != NULL;
        /* one '_' per non-ASCII character, not per byte of it */
        if (a < PARLEY_UPLOAD_NAME_MAX && (*p & 0xC0) != 0x80) {
            ascii[a++] =
                *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\' && *p != '%' ? (char)*p : '_';
        }
        if (e + 3 < sizeof encoded) {
            if (plain) {
                encoded[e++] = (char)*p;
            } else {
                encoded[e++] = '%';
                encoded[e++] = hex[*p >> 4];
                encoded[e++] = hex[*p & 15];
            }
        }
    }
    ascii[a] = '\0';
    encoded[e] = '\0';
    size_t used = strlen(res->extra_headers);
    snprintf(res->extra_headers + used, sizeof res->extra_headers - used,
             "Content-Disposition: attachment; filename=\"%s\"; filename*=UTF-8''%s\r\n", ascii,
             encoded);
}

void parley_api_get_upload(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_upload u = {0};
    if (parley_upload_get(parley_facade_chat(f), call->caller, call->params[0], &u, &err) !=
        PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    char root[4096];
    upload_root(call, root, sizeof root);
    char *data = NULL;
    size_t len = 0;
    /* the HTTP layer sends one buffer; a file is at most --max-upload-bytes */
    parley_status st = parley_file_store_read(root, u.sha256, u.size, &data, &len, &err);
    if (st != PARLEY_OK) {
        parley_log_error("upload %s could not be read: %s", u.id, err.message);
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable",
                         "the file cannot be read right now");
        parley_upload_free(&u);
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_bytes(call, data, len, NULL); /* the sniffed type goes in the headers below */
    parley_http_response *res = &call->res;
    res->cache_control = "private, max-age=300";
    /* the type is what libmagic read (an allowed one); sandbox keeps even a
     * file a browser renders from running script in this origin */
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Content-Type: %s\r\nContent-Security-Policy: sandbox\r\n", u.mime);
    add_disposition(res, u.name != NULL ? u.name : "file");
    parley_upload_free(&u);
}

void parley_api_get_transcript(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    char name[16] = "txt";
    bool bad = false;
    parley_transcript_format format = PARLEY_TRANSCRIPT_TXT;
    if ((parley_http_query_param(call->req, "format", name, sizeof name, &bad) &&
         !parley_transcript_format_from_name(name, &format)) ||
        bad) {
        parley_api_invalid(call, "format: must be txt or json");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    parley_session session = {0};
    if (parley_chat_transcript(parley_facade_chat(f), call->caller, call->params[0], format, &text,
                               &len, &session, &err) != PARLEY_OK) {
        parley_api_reply_error(call, &err);
        return;
    }
    bool json = format == PARLEY_TRANSCRIPT_JSON;
    parley_api_reply_bytes(call, text, len,
                           json ? "application/json" : "text/plain; charset=utf-8");
    char file[PARLEY_ID_SIZE + 24];
    snprintf(file, sizeof file, "transcript-%s.%s", session.id, json ? "json" : "txt");
    add_disposition(&call->res, file);
    parley_session_free(&session);
}
