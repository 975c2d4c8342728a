/*
 * options.h - parley-bench command line: parsing, validation and the
 * loopback-only target address.
 *
 * Ownership: a pb_options points into argv for its strings (argv outlives
 * the run) and owns nothing else; there is nothing to free.
 * Threads: filled once by main() before the libuv loop starts; read-only
 * afterwards (all on the one loop thread).
 */
#ifndef PB_OPTIONS_H
#define PB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

typedef struct pb_options {
    const char *url;
    const char *admin_email;
    const char *admin_password;
    const char *strategies; /* raw JSON array for POST /sessions, or NULL */
    long customers;
    long agents;
    double rate;       /* aggregate messages per second */
    double duration_s; /* measured window */
    double warmup_s;   /* excluded from the figures */
    double drain_s;    /* wait for stragglers after the last send */
    double setup_timeout_s;
    long message_bytes; /* content length of every message */
    long setup_concurrency;
    long server_pid; /* 0: none; else read its CPU, writes and RSS from /proc */
    bool json;
    bool quiet;

    /* Derived from url. */
    char host[256]; /* as written, for the Host header */
    int port;
    struct sockaddr_storage addr; /* resolved, verified loopback */
    char addr_text[64];
} pb_options;

/*
 * Parses argv into opts, resolves the --url host and checks that every
 * address it resolves to is a loopback address. On failure writes a message
 * to err_out and returns false. *help is set for --help.
 */
bool pb_options_parse(pb_options *opts, int argc, char **argv, bool *help, FILE *err_out);

void pb_options_usage(FILE *out);

#endif
