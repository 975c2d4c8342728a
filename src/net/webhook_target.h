/*
 * webhook_target.h - where an outgoing webhook may connect (no SSRF;
 * docs/subsystems/notifications.md, "Webhooks: which targets").
 *
 * A webhook's URL is parsed (libcurl's URL API), its host resolved here
 * (getaddrinfo) and every address it resolves to classified: loopback,
 * private (RFC 1918, fc00::/7, fec0::/10), link-local (169.254/16 with the
 * cloud metadata address, fe80::/10), unspecified, multicast, CGNAT
 * (100.64/10) and reserved ranges are refused, as are IPv4 addresses
 * wrapped in IPv6 (mapped, compatible, NAT64, 6to4) that are. Unless the
 * operator allows them (--webhooks-allow-private), a URL with ANY such
 * address is refused. The caller then connects to the checked address
 * only (CURLOPT_RESOLVE pins it; net/notify_channel_webhook.c also checks
 * every socket it opens), so a name that resolves differently a moment
 * later (DNS rebinding) cannot reach a refused address.
 *
 * Threads: any; getaddrinfo blocks (the API's pool threads and the
 * delivery worker call it, never the loop thread or the writer).
 * Ownership: plain values.
 */
#ifndef PARLEY_WEBHOOK_TARGET_H
#define PARLEY_WEBHOOK_TARGET_H

#include <stdbool.h>
#include <sys/socket.h>

#include "util/error.h"

typedef struct parley_webhook_target {
    char host[256];    /* as in the URL, without IPv6 brackets */
    bool host_is_ip;   /* an IP literal: nothing to resolve or pin */
    int port;          /* the URL's, or the scheme's default */
    char address[64];  /* the checked address connected to ("[v6]" bracketed) */
    char resolve[384]; /* the CURLOPT_RESOLVE entry "host:port:address" ("" for an IP literal) */
} parley_webhook_target;

/* Why an address may not be a webhook's target ("loopback", "private",
 * "link-local", "unspecified", "multicast", "CGNAT", "reserved"), or NULL
 * when it is a public address. */
const char *parley_webhook_address_refusal(const struct sockaddr *sa);

/* Parses url (http or https only) into out's host and port, resolving
 * nothing (fuzz/fuzz_webhook_target.c). PARLEY_E_INVALID
 * (validation_failed) when it is not such a URL. */
parley_status parley_webhook_target_parse(const char *url, parley_webhook_target *out,
                                          parley_error *err);

/* Parses url (http or https only), resolves its host and checks every
 * address (unless allow_private). PARLEY_E_INVALID (validation_failed)
 * with the reason ("url: 127.0.0.1 is a loopback address ...") when it
 * may not be reached or cannot be resolved. */
parley_status parley_webhook_target_resolve(const char *url, bool allow_private,
                                            parley_webhook_target *out, parley_error *err);

#endif
