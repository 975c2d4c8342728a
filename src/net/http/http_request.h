/*
 * http_request.h - one parsed HTTP/1.1 request and the response it gets.
 *
 * Ownership: a request is built by its connection (http_conn.c) while
 * parsing and handed whole to the router; from then on whoever handles it
 * owns it and frees it with parley_http_request_free(). Strings are
 * NUL-terminated heap copies. Threads: built on the loop thread, may be read
 * on a worker thread while a job owns it.
 */
#ifndef PARLEY_HTTP_REQUEST_H
#define PARLEY_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct parley_http_request {
    int method;  /* enum http_method */
    char *url;   /* raw request target */
    char *path;  /* percent-decoded path (no query) */
    char *query; /* raw query string without '?', or NULL */
    /* headers the server acts on; others are not kept */
    char *authorization;
    char *content_type;
    char *upgrade;
    char *connection;
    char *origin;
    char *host;
    char *sec_websocket_key;
    char *sec_websocket_version;
    /* uploads: the file name a raw-body upload declares */
    char *x_filename;
    char *content_disposition;
    /* reverse proxies' client addresses; repeated lines joined with ","
     * (read only from --trusted-proxies, util/client_addr.h) */
    char *forwarded;
    char *x_forwarded_for;
    /* request id and conditional GET (net/http/http_cache.h) */
    char *x_request_id;
    char *if_none_match;
    char *if_modified_since;
    /* the customer's language when POST /api/v1/customers names none
     * (util/accept_language.h) */
    char *accept_language;
    char *body;
    size_t body_len;
    bool keep_alive;
    bool is_upgrade;
} parley_http_request;

void parley_http_request_free(parley_http_request *req);

/* Looks up a query parameter (percent-decoded into out). Returns false when
 * absent; an over-long value is truncated and reported as absent-invalid via
 * *too_long when not NULL. */
bool parley_http_query_param(const parley_http_request *req, const char *name, char *out,
                             size_t out_size, bool *too_long);

/* The bearer token of the Authorization header, or NULL. */
const char *parley_http_bearer_token(const parley_http_request *req);

/* Percent-decodes src[0..len) into a new heap string; NULL when malformed
 * (bad escape or an encoded NUL). '+' stays '+' unless plus_is_space. */
char *parley_percent_decode(const char *src, size_t len, bool plus_is_space);

/* A ready-to-send response. */
typedef struct parley_http_response {
    int status;
    const char *content_type; /* static string */
    char *body;               /* heap, owned */
    size_t body_len;
    /* "Name: value\r\n" lines; room for a download's Content-Type and
     * Content-Disposition with an RFC 5987-encoded file name */
    char extra_headers[2048];
    bool close; /* close the connection after sending */
    /* HEAD and 304: Content-Length says body_len, no body is sent (body may
     * be NULL then) */
    bool omit_body;
    /* static string; NULL = "no-store" (API answers); downloads say "private" */
    const char *cache_control;
} parley_http_response;

void parley_http_response_free(parley_http_response *res);

/* {"error":{"code":..., "message":...}} with the status mapped from err and
 * what parley_error_public (util/error.h) lets a client read: internal
 * texts become fixed messages, 429 and every 503 get Retry-After (appended
 * to res->extra_headers, so set other headers first or append too). */
void parley_http_response_error(parley_http_response *res, const parley_error *err);
/* Same from parts, for errors the HTTP layer itself detects (message must
 * be public text); a 503 gets the default Retry-After. */
void parley_http_response_error_code(parley_http_response *res, int status, const char *code,
                                     const char *message);

/* The HTTP status for a core status. */
int parley_http_status_for(parley_status status);
const char *parley_http_reason(int status);

/* Serialises status line, headers and body into one buffer (heap, *out). */
bool parley_http_response_serialize(const parley_http_response *res, bool keep_alive, char **out,
                                    size_t *out_len);

#endif
