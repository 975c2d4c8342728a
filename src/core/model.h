/*
 * model.h - the seed's data models (CustomerData, SupportAgentData,
 * ChatSessionData, MessageData, SupportTicketData) plus feedback, bots and
 * auth tokens, as plain structs with no I/O.
 *
 * Ownership: every `char *` field is heap memory owned by the struct and
 * released by the matching parley_*_free(), which frees the fields but not
 * the struct itself (structs usually live on the stack or in a list). IDs
 * are fixed-size inline strings; an empty ID ("") means "none" (JSON null).
 * Lists own their items. Thread-safety: plain data; whoever holds a struct
 * owns it and may hand it to another thread.
 */
#ifndef PARLEY_MODEL_H
#define PARLEY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARLEY_ID_SIZE 40
/* Timestamps are milliseconds since the Unix epoch (UTC). */
typedef int64_t parley_time_ms;

typedef enum parley_participant_kind {
    PARLEY_PARTICIPANT_CUSTOMER = 0,
    PARLEY_PARTICIPANT_AGENT,
    PARLEY_PARTICIPANT_BOT,
    PARLEY_PARTICIPANT_SYSTEM
} parley_participant_kind;

typedef enum parley_agent_role { PARLEY_ROLE_AGENT = 0, PARLEY_ROLE_ADMIN } parley_agent_role;

typedef enum parley_agent_status {
    PARLEY_AGENT_OFFLINE = 0,
    PARLEY_AGENT_ONLINE,
    PARLEY_AGENT_BUSY
} parley_agent_status;

typedef enum parley_session_status {
    PARLEY_SESSION_WAITING = 0,
    PARLEY_SESSION_ACTIVE,
    PARLEY_SESSION_CLOSED
} parley_session_status;

typedef enum parley_message_type {
    PARLEY_MESSAGE_TEXT = 0,
    PARLEY_MESSAGE_IMAGE,
    PARLEY_MESSAGE_FILE
} parley_message_type;

typedef enum parley_ticket_status {
    PARLEY_TICKET_OPEN = 0,
    PARLEY_TICKET_IN_PROGRESS,
    PARLEY_TICKET_RESOLVED
} parley_ticket_status;

typedef enum parley_ticket_priority {
    PARLEY_PRIORITY_LOW = 0,
    PARLEY_PRIORITY_NORMAL,
    PARLEY_PRIORITY_HIGH,
    PARLEY_PRIORITY_URGENT
} parley_ticket_priority;

/* CustomerData */
typedef struct parley_customer {
    char id[PARLEY_ID_SIZE];
    char *name;
    char *email;      /* may be NULL */
    char *identifier; /* the site's own user id when verified; may be NULL */
    char *language;   /* BCP 47 tag or NULL */
    bool verified;
    parley_time_ms created_at;
} parley_customer;

/* SupportAgentData (admins are agents with role admin) */
typedef struct parley_agent {
    char id[PARLEY_ID_SIZE];
    char *name;
    char *email;
    char *language; /* may be NULL */
    parley_agent_role role;
    parley_agent_status status;
    bool active; /* false once deactivated */
    parley_time_ms created_at;
    parley_time_ms status_since; /* presence: when status last changed (0 = never set) */
} parley_agent;

/* ChatBot's stored identity */
typedef struct parley_bot {
    char id[PARLEY_ID_SIZE];
    char *name;
    bool active;
    parley_time_ms created_at;
} parley_bot;

/* ChatSessionData. strategies_json is the ordered chain as a JSON array
 * text, exactly as stored and returned. */
typedef struct parley_session {
    char id[PARLEY_ID_SIZE];
    char customer_id[PARLEY_ID_SIZE];
    char agent_id[PARLEY_ID_SIZE]; /* "" until assigned */
    char bot_id[PARLEY_ID_SIZE];   /* the bot attached to it, "" for none */
    char *topic;
    char *strategies_json;
    parley_session_status status;
    int64_t last_seq; /* seq of the newest stored message; 0 when none */
    parley_time_ms created_at;
    parley_time_ms updated_at;
    /* routing (core/routing.h) */
    char team_id[PARLEY_ID_SIZE];     /* the team it is routed to, "" for any agent */
    parley_time_ms queued_at;         /* when it last became waiting (0 = never queued) */
    parley_time_ms assigned_at;       /* when its current agent got it (0 = none) */
    char *labels_json;                /* its labels as a JSON array of names, sorted; NULL = none */
    parley_time_ms closed_at;         /* 0 until closed (reports' resolution time) */
    parley_time_ms first_response_at; /* the first agent message; 0 until then */
} parley_session;

/* A label's name: 1..48 bytes (core/agent_tools.c checks the characters). */
#define PARLEY_LABEL_NAME_SIZE 49

/* MessageData. meta_json is a JSON object text with what strategies added
 * (flags, language, translations, ...), merged into the message's JSON;
 * NULL when nothing was added. */
typedef struct parley_message {
    char id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    int64_t seq;
    parley_participant_kind sender_kind;
    char sender_id[PARLEY_ID_SIZE];
    parley_message_type type;
    char *content;
    char *client_msg_id; /* may be NULL */
    char *meta_json;     /* may be NULL */
    /* the text as sent, when a strategy changed it; shown to admins only */
    char *original_content;
    parley_time_ms created_at;
} parley_message;

/* SupportTicketData */
typedef struct parley_ticket {
    char id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    char agent_id[PARLEY_ID_SIZE];    /* the assignee ("" = nobody) */
    char customer_id[PARLEY_ID_SIZE]; /* the linked session's customer */
    char *subject;                    /* may be NULL */
    char *issue_description;
    parley_ticket_status status;
    parley_ticket_priority priority;
    parley_time_ms created_at;
    parley_time_ms updated_at;
} parley_ticket;

/* An internal note on a ticket: staff only, never shown to customers. */
typedef struct parley_ticket_note {
    char id[PARLEY_ID_SIZE];
    char ticket_id[PARLEY_ID_SIZE];
    char author_id[PARLEY_ID_SIZE];
    char *body;
    parley_time_ms created_at;
} parley_ticket_note;

/* The Feedback enhancement: one rating per session. */
typedef struct parley_feedback {
    char id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    char customer_id[PARLEY_ID_SIZE];
    char agent_id[PARLEY_ID_SIZE]; /* the session's agent; filled by feedback_list only */
    int rating;                    /* 1..5 */
    char *comment;                 /* may be NULL */
    parley_time_ms created_at;
} parley_feedback;

/* A bearer token as stored: only the SHA-256 of the secret, never the
 * secret itself. */
#define PARLEY_TOKEN_HASH_SIZE 65 /* 64 hex digits + NUL */
typedef struct parley_token {
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
    parley_participant_kind owner_kind;
    char owner_id[PARLEY_ID_SIZE];
    parley_time_ms created_at;
    parley_time_ms last_used_at;
    parley_time_ms expires_at; /* absolute lifetime end */
} parley_token;

/* One security-relevant action, as the audit log keeps it. */
typedef struct parley_audit_entry {
    int64_t position; /* ascending id, assigned by the store */
    parley_time_ms at;
    bool has_actor; /* false for anonymous actions (a failed login) */
    parley_participant_kind actor_kind;
    char actor_id[PARLEY_ID_SIZE];
    char action[48]; /* "login", "login_failed", "agent.update", ... */
    char target_id[PARLEY_ID_SIZE];
    char ip[64];
    char *detail_json; /* JSON object text or NULL; never secrets */
} parley_audit_entry;

/* A message a strategy refused, kept for admin review and never delivered
 * (message.seq is 0: it never entered the conversation). */
typedef struct parley_flagged_message {
    parley_message message;
    int64_t position;    /* ascending id, assigned by the store */
    char reason[48];     /* the refusal code: spam_detected, profanity_detected, ... */
    char reviewed_as[8]; /* "" until an agent marks it: "spam" or "ham" */
} parley_flagged_message;

/* A team (department): sessions of its topics go to its members only.
 * topics_json and agent_ids_json are JSON array texts. */
typedef struct parley_team {
    char id[PARLEY_ID_SIZE];
    char *name;
    char *topics_json;    /* ["billing", ...] */
    char *agent_ids_json; /* members, read-only (team_member_add/remove) */
    parley_time_ms created_at;
    int64_t position; /* ascending, for cursors */
} parley_team;

/* One waiting session in queue order (core/routing.h). */
typedef struct parley_queue_entry {
    parley_session session;
    int64_t position_key;       /* the session's ascending store position: queue order, cursors */
    int64_t announced_position; /* last told to its customer (queue.updated); 0 = never */
} parley_queue_entry;

/* An agent as the dispatcher sees it: presence and load. */
typedef struct parley_agent_load {
    char id[PARLEY_ID_SIZE];
    parley_agent_status status;
    int64_t active_chats;      /* sessions active with this agent */
    int64_t last_assigned_seq; /* rotation: higher = given a session more recently; 0 = never */
} parley_agent_load;

/* Growable lists; items owned by the list. */
#define PARLEY_DECLARE_LIST(name, type)                                                            \
    typedef struct name {                                                                          \
        type *items;                                                                               \
        size_t count;                                                                              \
        size_t capacity;                                                                           \
    } name

PARLEY_DECLARE_LIST(parley_agent_list, parley_agent);
PARLEY_DECLARE_LIST(parley_bot_list, parley_bot);
PARLEY_DECLARE_LIST(parley_audit_list, parley_audit_entry);
PARLEY_DECLARE_LIST(parley_flagged_list, parley_flagged_message);
PARLEY_DECLARE_LIST(parley_session_list, parley_session);
PARLEY_DECLARE_LIST(parley_message_list, parley_message);
PARLEY_DECLARE_LIST(parley_ticket_list, parley_ticket);
PARLEY_DECLARE_LIST(parley_team_list, parley_team);
PARLEY_DECLARE_LIST(parley_queue_list, parley_queue_entry);
PARLEY_DECLARE_LIST(parley_agent_load_list, parley_agent_load);
PARLEY_DECLARE_LIST(parley_ticket_note_list, parley_ticket_note);
PARLEY_DECLARE_LIST(parley_feedback_list, parley_feedback);

/* The end of a call that built a model in `value`: on success it is handed
 * to *out, otherwise released with free_fn. Evaluates to st, so a service
 * ends with `return PARLEY_HAND_OVER(st, ticket, out, parley_ticket_free);` */
#define PARLEY_HAND_OVER(st, value, out, free_fn)                                                  \
    ((st) == PARLEY_OK ? (*(out) = (value), PARLEY_OK) : (free_fn(&(value)), (st)))

/* strdup that keeps NULL as NULL and clears *ok when out of memory: for a
 * model's owned strings. */
char *parley_model_strdup(const char *s, bool *ok);

void parley_customer_free(parley_customer *c);
void parley_agent_free(parley_agent *a);
void parley_bot_free(parley_bot *b);
void parley_session_free(parley_session *s);
void parley_message_free(parley_message *m);
void parley_ticket_free(parley_ticket *t);
void parley_feedback_free(parley_feedback *f);
void parley_team_free(parley_team *t);
void parley_queue_entry_free(parley_queue_entry *e);
void parley_agent_load_free(parley_agent_load *a);
void parley_ticket_note_free(parley_ticket_note *n);

/* Deep copies; return false when out of memory (dst is then left zeroed). */
bool parley_session_copy(parley_session *dst, const parley_session *src);
bool parley_message_copy(parley_message *dst, const parley_message *src);
bool parley_ticket_copy(parley_ticket *dst, const parley_ticket *src);
bool parley_ticket_note_copy(parley_ticket_note *dst, const parley_ticket_note *src);

/* Appends a zeroed slot and returns it, or NULL when out of memory. The
 * caller fills the slot; the list owns it from then on. */
parley_agent *parley_agent_list_push(parley_agent_list *list);
parley_bot *parley_bot_list_push(parley_bot_list *list);
parley_audit_entry *parley_audit_list_push(parley_audit_list *list);
parley_flagged_message *parley_flagged_list_push(parley_flagged_list *list);
parley_session *parley_session_list_push(parley_session_list *list);
parley_message *parley_message_list_push(parley_message_list *list);
parley_ticket *parley_ticket_list_push(parley_ticket_list *list);
parley_team *parley_team_list_push(parley_team_list *list);
parley_queue_entry *parley_queue_list_push(parley_queue_list *list);
parley_agent_load *parley_agent_load_list_push(parley_agent_load_list *list);
parley_ticket_note *parley_ticket_note_list_push(parley_ticket_note_list *list);
parley_feedback *parley_feedback_list_push(parley_feedback_list *list);

void parley_agent_list_free(parley_agent_list *list);
void parley_bot_list_free(parley_bot_list *list);
void parley_audit_list_free(parley_audit_list *list);
void parley_audit_entry_free(parley_audit_entry *e);
void parley_flagged_list_free(parley_flagged_list *list);
void parley_flagged_message_free(parley_flagged_message *f);
void parley_session_list_free(parley_session_list *list);
void parley_message_list_free(parley_message_list *list);
void parley_ticket_list_free(parley_ticket_list *list);
void parley_team_list_free(parley_team_list *list);
void parley_queue_list_free(parley_queue_list *list);
void parley_agent_load_list_free(parley_agent_load_list *list);
void parley_ticket_note_list_free(parley_ticket_note_list *list);
void parley_feedback_list_free(parley_feedback_list *list);

/* An uploaded file (attachment). The bytes live in the file store by
 * content hash; this is the record of who uploaded what. It belongs to its
 * uploader until one message references it (message_id, session_id). */
#define PARLEY_SHA256_HEX_SIZE 65 /* 64 hex digits + NUL */
#define PARLEY_MIME_SIZE 128
typedef struct parley_upload {
    char id[PARLEY_ID_SIZE];
    char sha256[PARLEY_SHA256_HEX_SIZE];
    int64_t size;
    char mime[PARLEY_MIME_SIZE]; /* sniffed from the bytes, never the client's word */
    char *name;                  /* the sanitised original file name */
    parley_participant_kind uploader_kind;
    char uploader_id[PARLEY_ID_SIZE];
    char message_id[PARLEY_ID_SIZE]; /* "" until a message references it */
    char session_id[PARLEY_ID_SIZE]; /* that message's session */
    parley_time_ms created_at;
} parley_upload;

void parley_upload_free(parley_upload *u);

/* One message a search found (store/search.h): what the API shows of it,
 * and a snippet of its text with \x02 / \x03 around the matched words
 * (raw text, not escaped: core/search_query.h makes it HTML). */
typedef struct parley_search_hit {
    char message_id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    int64_t seq;
    parley_participant_kind sender_kind;
    char sender_id[PARLEY_ID_SIZE];
    parley_message_type type;
    parley_time_ms created_at;
    char *snippet;
} parley_search_hit;

PARLEY_DECLARE_LIST(parley_search_hit_list, parley_search_hit);
void parley_search_hit_free(parley_search_hit *h);
parley_search_hit *parley_search_hit_list_push(parley_search_hit_list *list);
void parley_search_hit_list_free(parley_search_hit_list *list);

/* Enum <-> wire-name conversions. *_from_name returns false for unknown
 * names and leaves *out untouched. */
const char *parley_participant_kind_name(parley_participant_kind kind);
bool parley_participant_kind_from_name(const char *name, parley_participant_kind *out);
const char *parley_agent_role_name(parley_agent_role role);
bool parley_agent_role_from_name(const char *name, parley_agent_role *out);
const char *parley_agent_status_name(parley_agent_status status);
bool parley_agent_status_from_name(const char *name, parley_agent_status *out);
const char *parley_session_status_name(parley_session_status status);
bool parley_session_status_from_name(const char *name, parley_session_status *out);
const char *parley_message_type_name(parley_message_type type);
bool parley_message_type_from_name(const char *name, parley_message_type *out);
const char *parley_ticket_status_name(parley_ticket_status status);
bool parley_ticket_status_from_name(const char *name, parley_ticket_status *out);
const char *parley_ticket_priority_name(parley_ticket_priority priority);
bool parley_ticket_priority_from_name(const char *name, parley_ticket_priority *out);

/* A knowledge-base entry the ChatBot answers from (core/knowledge_base.h):
 * alternatives_json and tags_json are JSON arrays of strings as stored. */
typedef struct parley_kb_entry {
    char id[PARLEY_ID_SIZE];
    int64_t position; /* ascending, assigned by the store: list order */
    char *question;
    char *answer;
    char *alternatives_json;
    char *tags_json;
    char created_by[PARLEY_ID_SIZE];
    parley_time_ms created_at;
    parley_time_ms updated_at;
} parley_kb_entry;

PARLEY_DECLARE_LIST(parley_kb_list, parley_kb_entry);
void parley_kb_entry_free(parley_kb_entry *e);
parley_kb_entry *parley_kb_list_push(parley_kb_list *list);
void parley_kb_list_free(parley_kb_list *list);

#endif
