/*
 * cluster_codec.h - the pure parts of the cluster bus (net/cluster/bus.h):
 * the --redis URL, the channel an event goes to, and the envelope an event
 * travels in between nodes (encode on the node that committed it, decode
 * on the others).
 *
 * The envelope is one compact JSON object (docs/subsystems/cluster.md):
 *   {"v":1,"n":NODE,"t":TYPE,"a":AUDIENCE,"s":SESSION,"c":CUSTOMER,
 *    "q":SEQ,"p":PUBLIC_FRAME,"f":STAFF_FRAME,"r":[TOKEN_HASH,OWNER,KEEP]}
 * where the frames are the WebSocket text frames the hub sends
 * (net/ws/event_frames.c), as strings: the receiving node delivers them as
 * they are, without re-rendering. "f" only when staff see another frame
 * than the public (a session with labels), "r" only for token.revoked, "p"
 * absent when the audience has no public part. TYPE is an event's wire
 * name or "typing" (a relayed typing frame, best-effort, no seq).
 *
 * Threads: any (pure functions). Ownership: the caller frees what encode
 * returns and the decoded envelope (parley_cluster_envelope_free).
 */
#ifndef PARLEY_CLUSTER_CODEC_H
#define PARLEY_CLUSTER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

/* --redis: redis://HOST[:PORT][/DB] or unix:PATH (unix:///PATH too) */
typedef struct parley_redis_url {
    char host[256]; /* "" for a unix socket */
    int port;       /* default 6379 */
    char path[108]; /* the unix socket's path, "" for TCP */
    int db;         /* default 0 */
} parley_redis_url;

/* False, with a reason in why (a static string), when text is not one. */
bool parley_redis_url_parse(const char *text, parley_redis_url *out, const char **why);

/* How many session buckets (channels parley:s:0 .. parley:s:N-1). */
#define PARLEY_CLUSTER_BUCKETS 16
#define PARLEY_CLUSTER_CHANNEL_SIZE 32
#define PARLEY_CLUSTER_NODE_SIZE 40

/* The channel of an event: parley:revoke for token.revoked, else the bucket
 * of its session (or of its customer when it has no session), else
 * parley:agents. */
void parley_cluster_channel_of(const parley_event *event, char out[PARLEY_CLUSTER_CHANNEL_SIZE]);
/* The channel of a session's bucket (typing frames). */
void parley_cluster_session_channel(const char *session_id, char out[PARLEY_CLUSTER_CHANNEL_SIZE]);

/* An event's envelope; NULL when out of memory or when nobody on another
 * node could hear it (no audience the hub serves). public_text/staff_text
 * are the rendered frames (NULL when the audience does not need that view;
 * staff_text NULL also when it equals the public one). */
char *parley_cluster_encode(const char *node_id, const parley_event *event, const char *public_text,
                            const char *staff_text);
/* A typing frame's envelope (NULL when out of memory). */
char *parley_cluster_encode_typing(const char *node_id, const char *session_id, const char *frame);

typedef struct parley_cluster_envelope {
    char node_id[PARLEY_CLUSTER_NODE_SIZE];
    bool typing;       /* else: head holds the event's routing fields */
    parley_event head; /* type, audience, session_id, customer_id, seq, revoked */
    char *public_text; /* owned, NULL when absent */
    char *staff_text;  /* owned, NULL when absent (staff see public_text) */
} parley_cluster_envelope;

/* Decodes len bytes (untrusted: anything on the channel). False when it is
 * not an envelope of this version; out is then empty. */
bool parley_cluster_decode(const char *data, size_t len, parley_cluster_envelope *out);
void parley_cluster_envelope_free(parley_cluster_envelope *env);

#endif
