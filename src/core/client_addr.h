/*
 * client_addr.h - whose address a request comes from, behind reverse
 * proxies the operator trusts (--trusted-proxies).
 *
 * Pure parsing, no I/O: the trusted-proxy list ("10.0.0.1, 10.1.0.0/16,
 * ::1, fd00::/8") and the forwarding headers, RFC 7239 `Forwarded` (its
 * for= parameters) and the de-facto `X-Forwarded-For`. Only when the TCP
 * peer is a trusted proxy are the headers read at all; they are walked
 * right to left (the last hop was appended by the proxy nearest to us)
 * past every trusted address, and the first untrusted one is the client.
 * An entry that is not an address ("unknown", an obfuscated "_name",
 * garbage) stops the walk: the client is then the nearest trusted hop, so
 * a forged or broken header can never pick an arbitrary key for a per-IP
 * limit. Forwarded wins when both headers are present.
 *
 * Ownership: a parley_trusted_proxies owns its array; free it with
 * parley_trusted_proxies_free. Threads: parsed once at start, then read
 * only (any thread).
 */
#ifndef PARLEY_CLIENT_ADDR_H
#define PARLEY_CLIENT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Room for any address's text (INET6_ADDRSTRLEN is 46). */
#define PARLEY_IP_TEXT_SIZE 64
/* Entries of --trusted-proxies at most. */
#define PARLEY_TRUSTED_PROXIES_MAX 256
/* Hops of a forwarding header examined at most, from the right. */
#define PARLEY_FORWARDED_MAX_HOPS 32

/* One address or network. IPv4 is kept as IPv4 (an IPv4-mapped IPv6
 * address, ::ffff:a.b.c.d, is read as a.b.c.d everywhere). */
typedef struct parley_ip_net {
    int family;       /* 4 or 6 */
    uint8_t addr[16]; /* network byte order; first 4 bytes for IPv4 */
    int prefix;       /* 0..32 or 0..128 */
} parley_ip_net;

typedef struct parley_trusted_proxies {
    parley_ip_net *nets;
    size_t count;
} parley_trusted_proxies;

/* Parses a comma-separated list of IPs and CIDRs (spaces around entries
 * allowed; "" is the empty list). Bad input -> PARLEY_E_INVALID naming the
 * entry; out is then empty. */
parley_status parley_trusted_proxies_parse(const char *text, parley_trusted_proxies *out,
                                           parley_error *err);
void parley_trusted_proxies_free(parley_trusted_proxies *tp);

/* True when ip (text, as the socket layer gives it) is in the list. */
bool parley_trusted_proxies_contains(const parley_trusted_proxies *tp, const char *ip);

/* Parses one address: IPv4, IPv6, "[IPv6]", and either with a ":port"
 * ("1.2.3.4:80", "[::1]:80"). Writes its canonical text (inet_ntop, IPv4
 * for a mapped address) to out when out is not NULL. */
bool parley_ip_parse(const char *text, size_t len, parley_ip_net *addr,
                     char out[PARLEY_IP_TEXT_SIZE]);

/* The client's address for per-IP limits and the audit log: peer_ip when
 * it is not a trusted proxy (or no header says more), else what the
 * headers say (see above). forwarded and x_forwarded_for may be NULL. */
void parley_client_addr(const parley_trusted_proxies *tp, const char *peer_ip,
                        const char *forwarded, const char *x_forwarded_for,
                        char out[PARLEY_IP_TEXT_SIZE]);

#endif
