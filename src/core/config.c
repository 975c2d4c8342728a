#include "core/config.h"

#include "core/email_message.h"
#include "util/client_addr.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(field, flag, env, def, help)                                                           \
    { flag, env, PARLEY_OPTION_STRING, offsetof(parley_config, field), def, 0, 0, 0, help }
#define INT(field, flag, env, def, lo, hi, help)                                                   \
    { flag, env, PARLEY_OPTION_INT, offsetof(parley_config, field), NULL, def, lo, hi, help }

static const parley_config_option options[] = {
    STR(listen, "--listen", "PARLEY_LISTEN", "127.0.0.1:8080",
        "address to serve on, HOST:PORT (port 0 picks a free port)"),
    STR(data_dir, "--data-dir", "PARLEY_DATA_DIR", "./parley-data",
        "directory of uploads and other data (and of the SQLite database unless --database "
        "says otherwise)"),
    STR(database, "--database", "PARLEY_DATABASE", NULL,
        "where the data lives, as a database URL: sqlite:PATH; default "
        "sqlite:<data-dir>/parley.db"),
    STR(redis, "--redis", "PARLEY_REDIS", NULL,
        "several nodes on one PostgreSQL database: the Redis that carries events between "
        "them, redis://HOST[:PORT][/DB] or unix:/PATH; unset: one node"),
    STR(web_dir, "--web-dir", "PARLEY_WEB_DIR", PARLEY_SOURCE_DIR "/web",
        "directory of the web pages (widget demo, agent console)"),
    STR(default_strategies, "--default-strategies", "PARLEY_DEFAULT_STRATEGIES", "[]",
        "JSON array: the initial strategy policy (setting strategies.policy overrides it)"),
    STR(site_secret, "--site-secret", "PARLEY_SITE_SECRET", NULL,
        "secret for verified customer identity (HMAC-SHA256)"),
    STR(durability, "--durability", "PARLEY_DURABILITY", "full",
        "full: commits survive power loss; normal: survive a crash of parleyd only"),
    STR(log_level, "--log-level", "PARLEY_LOG_LEVEL", "info",
        "least severe log lines written to stderr: error, warn, info or debug"),
    STR(allowed_origins, "--allowed-origins", "PARLEY_ALLOWED_ORIGINS", "",
        "comma-separated origins (https://shop.example.com) whose pages may call the API and "
        "open WebSockets; empty: this server's own origin only; * : any"),
    STR(frame_ancestors, "--frame-ancestors", "PARLEY_FRAME_ANCESTORS", "'self'",
        "CSP frame-ancestors of the web pages: who may embed them in a frame"),
    STR(translation_mode_dir, "--translation-mode-dir", "PARLEY_TRANSLATION_MODE_DIR",
        "/usr/share/apertium/modes",
        "directory of apertium's .mode files: the language pairs the translation strategy offers"),
    STR(libretranslate_url, "--libretranslate-url", "PARLEY_LIBRETRANSLATE_URL", NULL,
        "the LibreTranslate server sessions may translate with (http(s)://...); unset: the "
        "libretranslate backend is refused"),
    INT(seq_check_ms, "--seq-check-ms", "PARLEY_SEQ_CHECK_MS", 5000, 0, 3600000,
        "with --redis: how often a node compares, for the sessions it has live subscribers of, "
        "the database's last seq with what it delivered, and catches up a gap; 0: never"),
    INT(max_connections, "--max-connections", "PARLEY_MAX_CONNECTIONS", 10000, 1, 1000000,
        "open connections at most; more are answered 503"),
    INT(max_header_bytes, "--max-header-bytes", "PARLEY_MAX_HEADER_BYTES", 16384, 1024, 1048576,
        "request line and headers at most; more are answered 431"),
    INT(max_body_bytes, "--max-body-bytes", "PARLEY_MAX_BODY_BYTES", 1048576, 1024, 1073741824,
        "request body at most; more are answered 413"),
    INT(max_message_bytes, "--max-message-bytes", "PARLEY_MAX_MESSAGE_BYTES", 16384, 16, 1048576,
        "message content at most (UTF-8 bytes); more are answered 413"),
    INT(ws_max_frame_bytes, "--ws-max-frame-bytes", "PARLEY_WS_MAX_FRAME_BYTES", 65536, 125,
        16777216, "WebSocket frame payload at most; more close the socket with 1009"),
    INT(ws_max_message_bytes, "--ws-max-message-bytes", "PARLEY_WS_MAX_MESSAGE_BYTES", 65536, 125,
        16777216, "WebSocket message (all fragments) at most; more close with 1009"),
    INT(ws_max_pending_bytes, "--ws-max-pending-bytes", "PARLEY_WS_MAX_PENDING_BYTES", 1048576,
        65536, 1073741824,
        "unsent output per WebSocket at most; a slower client is closed (1008); an HTTP "
        "connection's pipelined requests wait while its unsent output is over it"),
    INT(ws_ping_interval_ms, "--ws-ping-interval-ms", "PARLEY_WS_PING_INTERVAL_MS", 30000, 100,
        3600000, "ping an idle WebSocket this often; two unanswered pings close it"),
    INT(idle_timeout_ms, "--idle-timeout-ms", "PARLEY_IDLE_TIMEOUT_MS", 60000, 100, 3600000,
        "close an idle keep-alive HTTP connection after this long"),
    INT(request_timeout_ms, "--request-timeout-ms", "PARLEY_REQUEST_TIMEOUT_MS", 30000, 100,
        3600000, "a started request must arrive whole within this time (408)"),
    INT(shutdown_timeout_ms, "--shutdown-timeout-ms", "PARLEY_SHUTDOWN_TIMEOUT_MS", 10000, 0,
        600000, "on SIGTERM, wait at most this long for in-flight requests"),
    INT(worker_threads, "--worker-threads", "PARLEY_WORKER_THREADS", 2, 1, 64,
        "database reader threads (one more thread does all writes, in batches)"),
    INT(batch_max, "--batch-max", "PARLEY_BATCH_MAX", 256, 1, 100000,
        "write requests in one group commit while the writer keeps up; under load the "
        "batch doubles up to 4096 and comes back down"),
    INT(require_verified_customers, "--require-verified-customers",
        "PARLEY_REQUIRE_VERIFIED_CUSTOMERS", 0, 0, 1,
        "1: only customers with a verified identity (needs --site-secret) may start sessions"),
    INT(token_idle_timeout_s, "--token-idle-timeout-s", "PARLEY_TOKEN_IDLE_TIMEOUT_S", 604800, 1,
        31536000, "a token unused this long stops working"),
    INT(token_lifetime_s, "--token-lifetime-s", "PARLEY_TOKEN_LIFETIME_S", 2592000, 1, 315360000,
        "a token stops working this long after it was issued"),
    INT(limit_customers_per_minute, "--limit-customers-per-minute",
        "PARLEY_LIMIT_CUSTOMERS_PER_MINUTE", 20, 0, 1000000,
        "new customers per client IP per minute (bursts up to the same number); 0 = no limit"),
    INT(limit_connections_per_minute, "--limit-connections-per-minute",
        "PARLEY_LIMIT_CONNECTIONS_PER_MINUTE", 600, 0, 10000000,
        "new connections per client IP per minute; 0 = no limit"),
    INT(limit_messages_per_minute, "--limit-messages-per-minute",
        "PARLEY_LIMIT_MESSAGES_PER_MINUTE", 120, 0, 10000000,
        "messages per participant per minute; 0 = no limit"),
    INT(limit_logins_per_minute, "--limit-logins-per-minute", "PARLEY_LIMIT_LOGINS_PER_MINUTE", 10,
        0, 100000,
        "login attempts per account per minute (five times that per client IP); 0 = no limit"),
    INT(password_memlimit_kib, "--password-memlimit-kib", "PARLEY_PASSWORD_MEMLIMIT_KIB", 65536,
        19456, 4194304, "argon2id memory per password hash (KiB)"),
    INT(translation_pool, "--translation-pool", "PARLEY_TRANSLATION_POOL", 2, 1, 64,
        "apertium pipelines kept running per language pair (started on first use)"),
    INT(translation_timeout_ms, "--translation-timeout-ms", "PARLEY_TRANSLATION_TIMEOUT_MS", 5000,
        100, 600000,
        "a translation taking longer is abandoned (the message keeps its original text) and the "
        "pipeline restarted"),
    STR(upload_types, "--upload-types", "PARLEY_UPLOAD_TYPES",
        "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
        "comma-separated MIME types an upload may have, as libmagic reads them from the bytes "
        "(the client's declared type is ignored); SVG and HTML are refused whatever this says"),
    INT(max_upload_bytes, "--max-upload-bytes", "PARLEY_MAX_UPLOAD_BYTES", 10485760, 1, 1073741824,
        "one uploaded file at most; more are answered 413"),
    INT(limit_uploads_per_minute, "--limit-uploads-per-minute", "PARLEY_LIMIT_UPLOADS_PER_MINUTE",
        20, 0, 1000000, "uploads per participant per minute; 0 = no limit"),
    /* retention (core/retention.h, docs/subsystems/operations.md#retention) */
    INT(retention_interval_s, "--retention-interval-s", "PARLEY_RETENTION_INTERVAL_S", 3600, 1,
        604800,
        "a retention pass (purge of expired tokens and password resets, old anonymous customers, "
        "audit entries, unattached uploads and notifications) runs this often; the first one a "
        "minute after start at most"),
    INT(retention_batch, "--retention-batch", "PARLEY_RETENTION_BATCH", 1000, 1, 100000,
        "rows each retention rule deletes per pass at most (the rest waits for the next pass, "
        "which comes within a second while a rule is behind)"),
    INT(retention_customers_s, "--retention-customers-s", "PARLEY_RETENTION_CUSTOMERS_S", 2592000,
        0, 3153600000,
        "anonymous customers who never started a session and hold no token are deleted this long "
        "after they were created; 0 = keep forever"),
    INT(retention_audit_s, "--retention-audit-s", "PARLEY_RETENTION_AUDIT_S", 31536000, 0,
        3153600000,
        "audit entries are deleted this long after they were written; 0 = keep forever"),
    INT(retention_uploads_s, "--retention-uploads-s", "PARLEY_RETENTION_UPLOADS_S", 86400, 0,
        3153600000,
        "uploads never attached to a message are deleted (with their file, unless another upload "
        "has the same bytes) this long after they were uploaded; 0 = keep forever"),
    INT(retention_notifications_s, "--retention-notifications-s",
        "PARLEY_RETENTION_NOTIFICATIONS_S", 7776000, 0, 3153600000,
        "notifications (read or not) with every delivery done (sent or dead), their deliveries "
        "and webhook attempts are deleted this long after they were created; 0 = keep forever"),
    /* the notification service's delivery (docs/subsystems/notifications.md) */
    INT(notify_delivery, "--notify-delivery", "PARLEY_NOTIFY_DELIVERY", 1, 0, 1,
        "1: a worker delivers notifications (in-app frames; later e-mail, push, webhooks); 0: "
        "notifications are still written with their deliveries, which wait until a start with 1"),
    INT(notify_max_attempts, "--notify-max-attempts", "PARLEY_NOTIFY_MAX_ATTEMPTS", 8, 1, 100,
        "a notification delivery that failed this many times is dead (kept in the delivery log)"),
    INT(notify_retry_base_ms, "--notify-retry-base-ms", "PARLEY_NOTIFY_RETRY_BASE_MS", 2000, 10,
        3600000,
        "a failed delivery is retried after about this long, twice as long after each failure "
        "(half of each wait is random jitter)"),
    INT(notify_retry_max_ms, "--notify-retry-max-ms", "PARLEY_NOTIFY_RETRY_MAX_MS", 3600000, 10,
        86400000, "no retry of a failed notification delivery waits longer than this"),
    /* the e-mail channel (docs/subsystems/notifications.md "E-mail") */
    STR(smtp_url, "--smtp-url", "PARLEY_SMTP_URL", NULL,
        "SMTP server of the e-mail channel, smtp://HOST:PORT or smtps://HOST:PORT (TLS from the "
        "start); unset: no e-mail channel"),
    INT(smtp_starttls, "--smtp-starttls", "PARLEY_SMTP_STARTTLS", 0, 0, 1,
        "1: smtp:// upgrades with STARTTLS and refuses to send without it"),
    STR(smtp_user, "--smtp-user", "PARLEY_SMTP_USER", NULL,
        "user name of SMTP AUTH; unset: no AUTH"),
    STR(smtp_password, "--smtp-password", "PARLEY_SMTP_PASSWORD", NULL,
        "password of SMTP AUTH (prefer the variable to the flag)"),
    STR(smtp_from, "--smtp-from", "PARLEY_SMTP_FROM", "parley@localhost",
        "the e-mails' sender address (From: and MAIL FROM)"),
    STR(smtp_ca_file, "--smtp-ca-file", "PARLEY_SMTP_CA_FILE", NULL,
        "PEM file of the CA certificates the SMTP server's certificate is verified with (TLS, "
        "STARTTLS); unset: the system's"),
    INT(smtp_timeout_ms, "--smtp-timeout-ms", "PARLEY_SMTP_TIMEOUT_MS", 30000, 100, 600000,
        "one SMTP transfer (connect to QUIT) takes at most this long, else the attempt fails"),
    STR(email_templates_dir, "--email-templates-dir", "PARLEY_EMAIL_TEMPLATES_DIR", NULL,
        "directory of the operator's e-mail templates (notification.txt, notification.html); "
        "a file not there uses the compiled-in default"),
    STR(public_url, "--public-url", "PARLEY_PUBLIC_URL", NULL,
        "the server's public base URL, for links in e-mails (https://chat.example.com); unset: "
        "http://<listen>"),
    STR(link_secret, "--link-secret", "PARLEY_LINK_SECRET", NULL,
        "HMAC-SHA256 key of the links that reopen a conversation; unset: a random one kept in "
        "<data-dir>/link.secret"),
    INT(link_ttl_s, "--link-ttl-s", "PARLEY_LINK_TTL_S", 604800, 60, 31536000,
        "a link that reopens a conversation works this long"),
    INT(password_reset_ttl_s, "--password-reset-ttl-s", "PARLEY_PASSWORD_RESET_TTL_S", 1800, 1,
        86400, "the link of a password reset e-mail works once, and this long"),
    /* outgoing webhooks (docs/subsystems/notifications.md, "Webhooks") */
    INT(webhooks_allow_private, "--webhooks-allow-private", "PARLEY_WEBHOOKS_ALLOW_PRIVATE", 0, 0,
        1,
        "1: webhooks may target loopback, private, link-local, CGNAT and other non-public "
        "addresses (a receiver on this host or the LAN); 0: refused (no SSRF through webhooks)"),
    INT(webhooks_timeout_ms, "--webhooks-timeout-ms", "PARLEY_WEBHOOKS_TIMEOUT_MS", 10000, 100,
        60000,
        "a webhook delivery attempt (connect, send, response) taking longer fails and is retried; "
        "connecting alone may take at most the half of it"),
    /* web push (docs/subsystems/notifications.md, "Web push") */
    INT(push, "--push", "PARLEY_PUSH", 1, 0, 1,
        "1: the web push channel is on (its VAPID key pair is made at the first start and kept "
        "in <data-dir>/vapid.key); 0: off"),
    STR(push_subject, "--push-subject", "PARLEY_PUSH_SUBJECT", NULL,
        "the VAPID subject push services may contact the operator at (mailto:... or https://...); "
        "unset: mailto:<--smtp-from>"),
    INT(push_allow_private, "--push-allow-private", "PARLEY_PUSH_ALLOW_PRIVATE", 0, 0, 1,
        "1: push endpoints may be loopback, private or other non-public addresses (a test push "
        "service); 0: refused (no SSRF through a subscription)"),
    INT(push_timeout_ms, "--push-timeout-ms", "PARLEY_PUSH_TIMEOUT_MS", 10000, 100, 60000,
        "one POST to a push service taking longer fails and is retried"),
    INT(push_ttl_s, "--push-ttl-s", "PARLEY_PUSH_TTL_S", 86400, 0, 2419200,
        "the TTL header: how long a push service keeps a message for a browser that is offline"),
    /* who may read /metrics and whose client address to believe (issue 9) */
    STR(metrics_listen, "--metrics-listen", "PARLEY_METRICS_LISTEN", NULL,
        "HOST:PORT of a second listener that serves only /metrics (keep it off the public "
        "network); unset: none"),
    STR(metrics_token, "--metrics-token", "PARLEY_METRICS_TOKEN", NULL,
        "bearer token /metrics requires (on the main listener, and on --metrics-listen too); "
        "with neither this nor --metrics-listen, /metrics answers 404; empty: unset"),
    STR(trusted_proxies, "--trusted-proxies", "PARLEY_TRUSTED_PROXIES", "",
        "comma-separated IPs or CIDRs (IPv4, IPv6) of reverse proxies whose Forwarded / "
        "X-Forwarded-For headers name the client; empty: the headers are ignored"),
    /* logs (issue 9): the format of every line, and the access log */
    STR(log_format, "--log-format", "PARLEY_LOG_FORMAT", "logfmt",
        "log line format: logfmt (key=value) or json (one object per line)"),
    STR(access_log, "--access-log", "PARLEY_ACCESS_LOG", "on",
        "on: one info line per HTTP request and per WebSocket session; off: none"),
    /* memory bounds (issue 9): output the clients have not read yet */
    INT(max_pending_bytes_total, "--max-pending-bytes-total", "PARLEY_MAX_PENDING_BYTES_TOTAL",
        268435456, 65536, 68719476736,
        "unsent output of all connections together at most; past it the connections with the "
        "most unsent output are dropped (down to 7/8 of it), and an HTTP response that still "
        "does not fit is answered 503"),
    INT(close_grace_ms, "--close-grace-ms", "PARLEY_CLOSE_GRACE_MS", 5000, 100, 600000,
        "a closing connection (after a WebSocket close frame or a last HTTP response) is "
        "dropped when the client has read nothing of its remaining output for this long"),
    INT(search_budget_ms, "--search-budget-ms", "PARLEY_SEARCH_BUDGET_MS", 250, 10, 60000,
        "a message search running longer is stopped and answered 422 search_too_broad"),
    INT(limit_searches_per_minute, "--limit-searches-per-minute",
        "PARLEY_LIMIT_SEARCHES_PER_MINUTE", 30, 0, 1000000,
        "message searches per customer per minute (staff are not limited); 0 = no limit"),
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

const parley_config_option *parley_config_options(size_t *count) {
    *count = OPTION_COUNT;
    return options;
}

static char **string_slot(parley_config *cfg, const parley_config_option *o) {
    return (char **)(void *)((char *)cfg + o->offset);
}

static int64_t *int_slot(parley_config *cfg, const parley_config_option *o) {
    return (int64_t *)(void *)((char *)cfg + o->offset);
}

void parley_config_defaults(parley_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const parley_config_option *o = &options[i];
        if (o->type == PARLEY_OPTION_STRING) {
            *string_slot(cfg, o) = o->default_text != NULL ? strdup(o->default_text) : NULL;
        } else {
            *int_slot(cfg, o) = o->default_int;
        }
    }
}

void parley_config_free(parley_config *cfg) {
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (options[i].type == PARLEY_OPTION_STRING) {
            free(*string_slot(cfg, &options[i]));
            *string_slot(cfg, &options[i]) = NULL;
        }
    }
}

static parley_status set_value(parley_config *cfg, const parley_config_option *o,
                               const char *source, const char *value, parley_error *err) {
    if (o->type == PARLEY_OPTION_STRING) {
        char *copy = strdup(value);
        if (copy == NULL) {
            return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
        free(*string_slot(cfg, o));
        *string_slot(cfg, o) = copy;
        return PARLEY_OK;
    }
    errno = 0;
    char *end = NULL;
    long long n = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || isspace((unsigned char)value[0])) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "%s: \"%.40s\" is not a whole number", source, value);
    }
    if (n < o->min || n > o->max) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "%s: %lld is out of range [%lld, %lld]", source, n,
                                (long long)o->min, (long long)o->max);
    }
    *int_slot(cfg, o) = (int64_t)n;
    return PARLEY_OK;
}

/* Checks that need more than one option or a fixed vocabulary. */
static parley_status validate(const parley_config *cfg, parley_error *err) {
    char host[256];
    int port;
    if (!parley_config_listen_address(cfg, host, sizeof host, &port)) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--listen: expected HOST:PORT with a port from 0 to 65535");
    }
    if (strcmp(cfg->durability, "full") != 0 && strcmp(cfg->durability, "normal") != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--durability: expected full or normal");
    }
    const char *levels[] = {"error", "warn", "info", "debug"};
    bool level_ok = false;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        level_ok = level_ok || strcmp(cfg->log_level, levels[i]) == 0;
    }
    if (!level_ok) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--log-level: expected error, warn, info or debug");
    }
    if (strcmp(cfg->log_format, "logfmt") != 0 && strcmp(cfg->log_format, "json") != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--log-format: expected logfmt or json");
    }
    if (strcmp(cfg->access_log, "on") != 0 && strcmp(cfg->access_log, "off") != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--access-log: expected on or off");
    }
    if (cfg->ws_max_frame_bytes > cfg->ws_max_message_bytes) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--ws-max-frame-bytes may not exceed --ws-max-message-bytes");
    }
    if (cfg->ws_max_pending_bytes > cfg->max_pending_bytes_total) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--ws-max-pending-bytes may not exceed --max-pending-bytes-total");
    }
    /* these two end up in response headers: no line breaks, no directive
     * separators may sneak in */
    const char *header_values[] = {cfg->frame_ancestors, cfg->allowed_origins};
    const char *header_flags[] = {"--frame-ancestors", "--allowed-origins"};
    for (size_t i = 0; i < 2; i++) {
        for (const char *p = header_values[i]; *p != '\0'; p++) {
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F || *p == ';') {
                return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                        "%s: only printable ASCII without ';' is allowed",
                                        header_flags[i]);
            }
        }
    }
    if (cfg->require_verified_customers &&
        (cfg->site_secret == NULL || cfg->site_secret[0] == '\0')) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--require-verified-customers needs --site-secret");
    }
    if (cfg->smtp_url != NULL && strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
        strncmp(cfg->smtp_url, "smtps://", 8) != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--smtp-url: expected smtp://HOST:PORT or smtps://HOST:PORT");
    }
    if (!parley_email_address_ok(cfg->smtp_from)) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--smtp-from: not a usable e-mail address");
    }
    if (cfg->frame_ancestors[0] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--frame-ancestors: must not be empty (use 'none' to forbid)");
    }
    for (const char *p = cfg->upload_types; *p != '\0'; p++) {
        /* MIME type names, commas between them: nothing else */
        if (!(isalnum((unsigned char)*p) || strchr("/.+-,_", *p) != NULL)) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "--upload-types: expected MIME types separated by commas");
        }
    }
    if (cfg->metrics_listen != NULL && cfg->metrics_listen[0] != '\0') {
        parley_config probe = {.listen = cfg->metrics_listen};
        if (!parley_config_listen_address(&probe, host, sizeof host, &port)) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "--metrics-listen: expected HOST:PORT with a port from 0 "
                                    "to 65535");
        }
    }
    if (cfg->metrics_token != NULL && cfg->metrics_token[0] != '\0') {
        /* compared with a bearer token: printable ASCII, no spaces, long
         * enough not to be guessed */
        size_t n = strlen(cfg->metrics_token);
        bool printable = true;
        for (const char *p = cfg->metrics_token; *p != '\0'; p++) {
            printable = printable && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7F;
        }
        if (n < 16 || n > 200 || !printable) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "--metrics-token: 16 to 200 printable ASCII characters "
                                    "without spaces");
        }
    }
    parley_trusted_proxies proxies;
    parley_status proxies_st = parley_trusted_proxies_parse(cfg->trusted_proxies, &proxies, err);
    parley_trusted_proxies_free(&proxies);
    if (proxies_st != PARLEY_OK) {
        return proxies_st;
    }
    if (cfg->data_dir[0] == '\0') {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--data-dir: must not be empty");
    }
    if (cfg->database != NULL && cfg->database[0] == '\0') {
        return parley_error_set(
            err, PARLEY_E_INVALID, "invalid_config",
            "--database: must not be empty (unset: sqlite:<data-dir>/parley.db)");
    }
    return PARLEY_OK;
}

bool parley_config_database_url(const parley_config *cfg, char *out, size_t out_size) {
    int n = cfg->database != NULL ? snprintf(out, out_size, "%s", cfg->database)
                                  : snprintf(out, out_size, "sqlite:%s/parley.db", cfg->data_dir);
    return n >= 0 && (size_t)n < out_size;
}

parley_status parley_config_parse(parley_config *cfg, int argc, const char *const *argv, int first,
                                  parley_env_lookup env, void *env_ctx, bool *help_requested,
                                  parley_error *err) {
    *help_requested = false;
    parley_status st;
    for (size_t i = 0; env != NULL && i < OPTION_COUNT; i++) {
        const char *value = env(options[i].env, env_ctx);
        if (value != NULL &&
            (st = set_value(cfg, &options[i], options[i].env, value, err)) != PARLEY_OK) {
            return st;
        }
    }
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *help_requested = true;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const parley_config_option *o = NULL;
        for (size_t k = 0; k < OPTION_COUNT; k++) {
            if (strlen(options[k].flag) == name_len &&
                strncmp(options[k].flag, arg, name_len) == 0) {
                o = &options[k];
                break;
            }
        }
        if (o == NULL) {
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "unknown option \"%.*s\" (see --help)",
                                    (int)(name_len > 60 ? 60 : name_len), arg);
        }
        const char *value = eq != NULL ? eq + 1 : NULL;
        if (value == NULL) {
            if (i + 1 >= argc) {
                return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                        "%s: needs a value", o->flag);
            }
            value = argv[++i];
        }
        if ((st = set_value(cfg, o, o->flag, value, err)) != PARLEY_OK) {
            return st;
        }
    }
    return validate(cfg, err);
}

void parley_config_print_help(FILE *out) {
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const parley_config_option *o = &options[i];
        fprintf(out, "  %s %s  (env %s)\n      %s", o->flag,
                o->type == PARLEY_OPTION_INT ? "N" : "VALUE", o->env, o->help);
        if (o->type == PARLEY_OPTION_INT) {
            fprintf(out, "; default %lld, range %lld..%lld\n", (long long)o->default_int,
                    (long long)o->min, (long long)o->max);
        } else if (o->default_text != NULL) {
            fprintf(out, "; default %s\n", o->default_text);
        } else {
            fprintf(out, "; default unset\n");
        }
    }
}

bool parley_config_listen_address(const parley_config *cfg, char *host, size_t host_size,
                                  int *port) {
    const char *colon = cfg->listen != NULL ? strrchr(cfg->listen, ':') : NULL;
    if (colon == NULL || colon == cfg->listen) {
        return false;
    }
    size_t host_len = (size_t)(colon - cfg->listen);
    if (host_len >= host_size) {
        return false;
    }
    const char *p = colon + 1;
    if (*p == '\0' || strlen(p) > 5) {
        return false;
    }
    int value = 0;
    for (; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        value = value * 10 + (*p - '0');
    }
    if (value > 65535) {
        return false;
    }
    memcpy(host, cfg->listen, host_len);
    host[host_len] = '\0';
    /* [::1]:8080 -> ::1 */
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    *port = value;
    return true;
}
