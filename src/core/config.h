/*
 * config.h - every setting of parleyd, from flags or PARLEY_* variables.
 *
 * Each option is one row of a table (config.c) that gives its flag, its
 * environment variable, its type, its bounds and its help text, so --help,
 * the environment and validation can never drift apart. Precedence: flag,
 * then environment, then default.
 *
 * Ownership: a parley_config owns its strings; free with
 * parley_config_free(). Thread-safety: filled once at start on the main
 * thread, read-only afterwards (any thread may read).
 */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

typedef struct parley_config {
    char *listen;             /* HOST:PORT, default 127.0.0.1:8080 */
    char *data_dir;           /* default ./parley-data */
    char *database;           /* database URL (sqlite:PATH); NULL = sqlite:<data_dir>/parley.db */
    char *redis;              /* --redis URL (net/cluster/bus.h); NULL = one node, no bus */
    char *web_dir;            /* static pages; default the source tree's web/ */
    char *default_strategies; /* JSON array text, default []: the initial strategy policy */
    char *site_secret;        /* verified customer identity; NULL = off */
    char *durability;         /* "full" or "normal" */
    char *log_level;          /* error, warn, info, debug */
    char *allowed_origins; /* comma-separated origins for CORS and WebSockets; "" = same origin */
    char *frame_ancestors; /* CSP frame-ancestors of the pages */
    char *translation_mode_dir; /* apertium .mode files */
    char *libretranslate_url;   /* the only LibreTranslate URL sessions may use; NULL = none */

    int64_t
        seq_check_ms; /* --redis: the periodic last_seq check (net/cluster/seq_check.h); 0 = off */
    int64_t max_connections;
    int64_t max_header_bytes;
    int64_t max_body_bytes;
    int64_t max_message_bytes;
    int64_t ws_max_frame_bytes;
    int64_t ws_max_message_bytes;
    int64_t ws_max_pending_bytes;
    int64_t ws_ping_interval_ms;
    int64_t idle_timeout_ms;
    int64_t request_timeout_ms;
    int64_t shutdown_timeout_ms;
    int64_t worker_threads;
    int64_t batch_max;
    int64_t require_verified_customers; /* 1: only verified customers start sessions */
    int64_t token_idle_timeout_s;
    int64_t token_lifetime_s;
    int64_t password_memlimit_kib;
    int64_t limit_customers_per_minute;   /* per client IP; 0 = off */
    int64_t limit_connections_per_minute; /* per client IP; 0 = off */
    int64_t limit_messages_per_minute;    /* per participant; 0 = off */
    int64_t limit_logins_per_minute;      /* per account (5x per IP); 0 = off */
    int64_t translation_pool;             /* apertium pipelines per language pair */
    int64_t translation_timeout_ms;       /* per apertium request; a stuck pipeline restarts */
    char *upload_types;                   /* comma-separated MIME types uploads may have */
    int64_t max_upload_bytes;             /* one uploaded file at most */
    int64_t limit_uploads_per_minute;     /* per participant; 0 = off */
    /* retention (core/retention.h): the operator's schedule and rules */
    int64_t retention_interval_s;      /* a purge pass this often */
    int64_t retention_batch;           /* rows per rule per pass at most */
    int64_t retention_customers_s;     /* never-started anonymous customers; 0 = keep */
    int64_t retention_audit_s;         /* audit entries; 0 = keep */
    int64_t retention_uploads_s;       /* uploads never attached (and files); 0 = keep */
    int64_t retention_notifications_s; /* delivered notifications and their log; 0 = keep */
    char *metrics_listen;              /* a /metrics-only listener; NULL = none */
    char *metrics_token;               /* bearer token /metrics needs; NULL = none */
    char *trusted_proxies;             /* IPs/CIDRs whose forwarding headers count */
    int64_t max_pending_bytes_total;   /* unsent output of all connections together */
    int64_t close_grace_ms;            /* a closing connection that reads nothing is dropped */
    char *log_format;                  /* "logfmt" or "json" */
    char *access_log;                  /* "on" or "off" */
    int64_t search_budget_ms;          /* wall time one message search may take */
    int64_t limit_searches_per_minute; /* message searches per customer; 0 = off */
    /* the notification service's delivery (docs/subsystems/notifications.md) */
    int64_t notify_delivery;      /* 1: the delivery worker runs; 0: deliveries wait */
    int64_t notify_max_attempts;  /* a delivery is dead after this many failed attempts */
    int64_t notify_retry_base_ms; /* the first retry's backoff, doubling after */
    int64_t notify_retry_max_ms;  /* the longest backoff */
    /* the e-mail channel (net/notify_channel_email.h); smtp_url NULL = off */
    char *smtp_url;        /* smtp://HOST:PORT or smtps://HOST:PORT */
    int64_t smtp_starttls; /* 1: STARTTLS required on smtp:// */
    char *smtp_user;       /* NULL: no AUTH */
    char *smtp_password;
    char *smtp_from;           /* the sender's address */
    char *smtp_ca_file;        /* CA certificates to verify the server with; NULL = the system's */
    int64_t smtp_timeout_ms;   /* one whole SMTP transfer at most */
    char *email_templates_dir; /* the operator's templates; NULL = the compiled-in ones */
    char *public_url;          /* base of the links in e-mails; NULL = http://<listen> */
    char *link_secret;  /* HMAC key of the conversation links; NULL = <data-dir>/link.secret */
    int64_t link_ttl_s; /* a conversation link works this long */
    int64_t password_reset_ttl_s; /* a password reset e-mail's token works this long */
    /* outgoing webhooks (docs/subsystems/notifications.md) */
    int64_t webhooks_allow_private; /* 1: non-public targets allowed (tests, LAN receivers) */
    int64_t webhooks_timeout_ms;    /* one attempt's total time */
    /* web push (net/notify_channel_push.h; notifications.md "Web push") */
    int64_t push;               /* 1: the web_push channel is on (a VAPID key in data_dir) */
    char *push_subject;         /* the VAPID sub (mailto: or https:); NULL = mailto:<smtp_from> */
    int64_t push_allow_private; /* 1: push endpoints may be non-public addresses (tests) */
    int64_t push_timeout_ms;    /* one POST to a push service at most */
    int64_t push_ttl_s;         /* the TTL header: how long a push service keeps a message */
} parley_config;

typedef enum parley_option_type { PARLEY_OPTION_STRING, PARLEY_OPTION_INT } parley_option_type;

/* One row of the settings table; flag "--listen" <-> variable "PARLEY_LISTEN". */
typedef struct parley_config_option {
    const char *flag;
    const char *env;
    parley_option_type type;
    size_t offset;            /* of the field in parley_config */
    const char *default_text; /* strings: the default (NULL = unset) */
    int64_t default_int;
    int64_t min;
    int64_t max;
    const char *help;
} parley_config_option;

/* The settings table (static, read-only): for --help, and for the fuzz
 * target's range checks, so no copy of the bounds can go stale. */
const parley_config_option *parley_config_options(size_t *count);

/* Fills cfg with the defaults. */
void parley_config_defaults(parley_config *cfg);

/* The environment lookup used by parley_config_parse: getenv in parleyd,
 * a fake in tests and the fuzz target. */
typedef const char *(*parley_env_lookup)(const char *name, void *ctx);

/*
 * Applies PARLEY_* variables (via env, may be NULL) and then argv[first..argc)
 * to cfg, which must hold defaults. Accepts "--flag value" and "--flag=value".
 * Sets *help_requested when --help is seen. Returns PARLEY_E_INVALID with a
 * message naming the flag or variable for unknown flags, missing values,
 * non-numbers and out-of-range values.
 */
parley_status parley_config_parse(parley_config *cfg, int argc, const char *const *argv, int first,
                                  parley_env_lookup env, void *env_ctx, bool *help_requested,
                                  parley_error *err);

/* Writes the option table as help text (flag, variable, default, meaning). */
void parley_config_print_help(FILE *out);

void parley_config_free(parley_config *cfg);

/* The database URL: cfg->database, or sqlite:<data_dir>/parley.db when it
 * is unset. False when it does not fit in out (out is then truncated). The
 * scheme is checked when storage opens it (storage/backend.h). */
bool parley_config_database_url(const parley_config *cfg, char *out, size_t out_size);

/* Splits cfg->listen into host and port; false when malformed. */
bool parley_config_listen_address(const parley_config *cfg, char *host, size_t host_size,
                                  int *port);

#endif
