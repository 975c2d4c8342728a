/*
 * options.c - command-line parsing and the loopback check (see options.h).
 * Runs on the main thread before the loop starts.
 */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void pb_options_usage(FILE *out) {
    fputs("usage: parley-bench --url http://127.0.0.1:8080 --admin-email E --admin-password P\n"
          "                    --customers N --agents M --rate R --duration S [options]\n"
          "\n"
          "Drives a running parleyd over loopback: creates M agents and N customers (one\n"
          "session each) over HTTP, opens one WebSocket per customer and per agent, has\n"
          "each agent subscribe to its round-robin share of the sessions, then sends\n"
          "message.send frames from the customers at an aggregate open-loop rate of R/s and\n"
          "measures send->ack (customer socket) and send->deliver (agent socket) latency\n"
          "from the intended send time. Verifies every message is delivered exactly once,\n"
          "in seq order, per session.\n"
          "\n"
          "  --url URL                 http://HOST:PORT of parleyd; HOST must be loopback\n"
          "  --admin-email E           an existing admin (parleyd admin create ...)\n"
          "  --admin-password P\n"
          "  --customers N             customers, one session and one WebSocket each\n"
          "  --agents M                agents, one WebSocket each\n"
          "  --rate R                  aggregate target messages per second\n"
          "  --duration S              measured window, seconds\n"
          "  --warmup S                load before the window, excluded (default 2)\n"
          "  --drain S                 wait for acks/deliveries after the last send (default 5)\n"
          "  --message-bytes B         content size of each message (default 64, min 32)\n"
          "  --strategies JSON         chain the admin sets as the desk's strategy policy "
          "(default: server's)\n"
          "  --setup-concurrency K     parallel HTTP connections during setup (default 16)\n"
          "  --setup-timeout S         give up setup/connect after S seconds (default 120)\n"
          "  --server-pid PID          report the server's CPU, bytes written and RSS per\n"
          "                            delivered message (from /proc/PID; same user)\n"
          "  --json                    print one JSON object instead of text\n"
          "  --quiet                   no progress lines on stderr\n"
          "  --help\n"
          "\n"
          "Exit status: 0 every message delivered exactly once in seq order; 1 messages lost,\n"
          "unanswered, duplicated or out of order, or a socket lost during the run; 2 usage,\n"
          "setup or connection failure, or interrupted.\n",
          out);
}

static bool pb_parse_long(const char *s, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static bool pb_parse_double(const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static bool pb_is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
            return true;
        }
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            return in6->sin6_addr.s6_addr[12] == 127;
        }
    }
    return false;
}

/* Splits http://HOST[:PORT][/] and resolves HOST; refuses non-loopback. */
static bool pb_parse_url(pb_options *o, FILE *err) {
    const char *p = o->url;
    if (strncmp(p, "http://", 7) != 0) {
        fprintf(err, "parley-bench: --url must start with http:// (got \"%s\")\n", o->url);
        return false;
    }
    p += 7;
    const char *host_start = p;
    const char *host_end;
    if (*p == '[') {
        host_start = p + 1;
        host_end = strchr(host_start, ']');
        if (!host_end) {
            fprintf(err, "parley-bench: --url has an unterminated [IPv6] host\n");
            return false;
        }
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/");
        p = host_end;
    }
    size_t host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= sizeof o->host) {
        fprintf(err, "parley-bench: --url has an empty or overlong host\n");
        return false;
    }
    memcpy(o->host, host_start, host_len);
    o->host[host_len] = '\0';
    o->port = 80;
    if (*p == ':') {
        char port_text[8];
        size_t n = strcspn(p + 1, "/");
        long port = 0;
        if (n == 0 || n >= sizeof port_text) {
            fprintf(err, "parley-bench: --url has a bad port\n");
            return false;
        }
        memcpy(port_text, p + 1, n);
        port_text[n] = '\0';
        if (!pb_parse_long(port_text, 1, 65535, &port)) {
            fprintf(err, "parley-bench: --url has a bad port \"%s\"\n", port_text);
            return false;
        }
        o->port = (int)port;
        p += 1 + n;
    }
    if (*p != '\0' && strcmp(p, "/") != 0) {
        fprintf(err, "parley-bench: --url must not carry a path (got \"%s\")\n", p);
        return false;
    }

    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port_str[8];
    snprintf(port_str, sizeof port_str, "%d", o->port);
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(o->host, port_str, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(err, "parley-bench: cannot resolve \"%s\": %s\n", o->host, gai_strerror(rc));
        return false;
    }
    bool ok = true;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (!pb_is_loopback(ai->ai_addr)) {
            char text[INET6_ADDRSTRLEN] = "?";
            const void *a =
                ai->ai_family == AF_INET
                    ? (const void *)&((const struct sockaddr_in *)(const void *)ai->ai_addr)
                          ->sin_addr
                    : (const void *)&((const struct sockaddr_in6 *)(const void *)ai->ai_addr)
                          ->sin6_addr;
            inet_ntop(ai->ai_family, a, text, sizeof text);
            fprintf(err,
                    "parley-bench: refusing to send load to %s (%s): only loopback addresses "
                    "(127.0.0.0/8, ::1) are allowed\n",
                    o->host, text);
            ok = false;
            break;
        }
    }
    if (ok) {
        memcpy(&o->addr, res->ai_addr, res->ai_addrlen);
        if (res->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr,
                      o->addr_text, sizeof o->addr_text);
        } else {
            inet_ntop(AF_INET6,
                      &((const struct sockaddr_in6 *)(const void *)res->ai_addr)->sin6_addr,
                      o->addr_text, sizeof o->addr_text);
        }
    }
    freeaddrinfo(res);
    return ok;
}

/* The options that take a value: text ones point into argv, numbers must
 * be within [lo, hi] (whole numbers for long fields). */
typedef struct pb_text_option {
    const char *name;
    size_t offset; /* of its const char * in pb_options */
} pb_text_option;

typedef struct pb_number_option {
    const char *name;
    size_t offset; /* of its long or double in pb_options */
    bool whole;    /* a long, else a double */
    double lo, hi;
} pb_number_option;

static const pb_text_option pb_text_options[] = {
    {"--url", offsetof(pb_options, url)},
    {"--admin-email", offsetof(pb_options, admin_email)},
    {"--admin-password", offsetof(pb_options, admin_password)},
    {"--strategies", offsetof(pb_options, strategies)},
};

static const pb_number_option pb_number_options[] = {
    {"--customers", offsetof(pb_options, customers), true, 1, 1000000},
    {"--agents", offsetof(pb_options, agents), true, 1, 100000},
    {"--rate", offsetof(pb_options, rate), false, 0.001, 10000000.0},
    {"--duration", offsetof(pb_options, duration_s), false, 0.1, 86400.0},
    {"--warmup", offsetof(pb_options, warmup_s), false, 0.0, 86400.0},
    {"--drain", offsetof(pb_options, drain_s), false, 0.0, 3600.0},
    {"--setup-timeout", offsetof(pb_options, setup_timeout_s), false, 1.0, 86400.0},
    {"--message-bytes", offsetof(pb_options, message_bytes), true, 32, 1000000},
    {"--setup-concurrency", offsetof(pb_options, setup_concurrency), true, 1, 1024},
    {"--server-pid", offsetof(pb_options, server_pid), true, 1, 2147483647},
};

/* Stores val into the option called name: 1 done, 0 a bad value, -1 no
 * such option. */
static int pb_set_option(pb_options *o, const char *name, const char *val) {
    char *base = (char *)o;
    for (size_t i = 0; i < sizeof pb_text_options / sizeof pb_text_options[0]; i++) {
        if (strcmp(pb_text_options[i].name, name) == 0) {
            *(const char **)(void *)(base + pb_text_options[i].offset) = val;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof pb_number_options / sizeof pb_number_options[0]; i++) {
        const pb_number_option *n = &pb_number_options[i];
        if (strcmp(n->name, name) == 0) {
            void *field = base + n->offset;
            return n->whole ? pb_parse_long(val, (long)n->lo, (long)n->hi, field)
                            : pb_parse_double(val, n->lo, n->hi, field);
        }
    }
    return -1;
}

bool pb_options_parse(pb_options *o, int argc, char **argv, bool *help, FILE *err) {
    memset(o, 0, sizeof *o);
    o->customers = -1;
    o->agents = -1;
    o->rate = -1;
    o->duration_s = -1;
    o->warmup_s = 2;
    o->drain_s = 5;
    o->setup_timeout_s = 120;
    o->message_bytes = 64;
    o->setup_concurrency = 16;
    *help = false;

    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *val = NULL;
        char name[64];
        const char *eq = strchr(flag, '=');
        if (strncmp(flag, "--", 2) != 0) {
            fprintf(err, "parley-bench: unexpected argument \"%s\" (see --help)\n", flag);
            return false;
        }
        if (eq) {
            size_t n = (size_t)(eq - flag);
            if (n >= sizeof name) {
                fprintf(err, "parley-bench: unknown option \"%s\"\n", flag);
                return false;
            }
            memcpy(name, flag, n);
            name[n] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", flag);
        }
        if (strcmp(name, "--help") == 0) {
            *help = true;
            return true;
        }
        if (strcmp(name, "--json") == 0 || strcmp(name, "--quiet") == 0) {
            if (val) {
                fprintf(err, "parley-bench: %s takes no value\n", name);
                return false;
            }
            if (strcmp(name, "--json") == 0) {
                o->json = true;
            } else {
                o->quiet = true;
            }
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(err, "parley-bench: %s needs a value\n", name);
                return false;
            }
            val = argv[++i];
        }
        int set = pb_set_option(o, name, val);
        if (set < 0) {
            fprintf(err, "parley-bench: unknown option \"%s\" (see --help)\n", name);
            return false;
        }
        if (set == 0) {
            fprintf(err, "parley-bench: bad value \"%s\" for %s (see --help)\n", val, name);
            return false;
        }
    }

    const char *missing = !o->url              ? "--url"
                          : !o->admin_email    ? "--admin-email"
                          : !o->admin_password ? "--admin-password"
                          : o->customers < 0   ? "--customers"
                          : o->agents < 0      ? "--agents"
                          : o->rate < 0        ? "--rate"
                          : o->duration_s < 0  ? "--duration"
                                               : NULL;
    if (missing) {
        fprintf(err, "parley-bench: %s is required (see --help)\n", missing);
        return false;
    }
    if (o->strategies) {
        json_error_t jerr;
        json_t *v = json_loads(o->strategies, 0, &jerr);
        bool is_array = json_is_array(v);
        json_decref(v);
        if (!is_array) {
            fprintf(err, "parley-bench: --strategies must be a JSON array, e.g. "
                         "'[{\"name\":\"spam\"}]'\n");
            return false;
        }
    }
    double total = o->rate * (o->warmup_s + o->duration_s);
    if (total > 20000000.0) {
        fprintf(err,
                "parley-bench: rate x (warmup + duration) = %.0f messages is too many "
                "(limit 20000000)\n",
                total);
        return false;
    }
    return pb_parse_url(o, err);
}
