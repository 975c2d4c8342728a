/*
 * webhook_target.c - the SSRF rule of outgoing webhooks (webhook_target.h).
 */
#include "net/webhook_target.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- addresses ------------------------------------------------------------ */

static const char *v4_refusal(uint32_t a) { /* host order */
    static const struct {
        uint32_t net;
        int bits;
        const char *why;
    } ranges[] = {
        {0x00000000u, 8, "unspecified"}, /* 0.0.0.0/8: "this network" */
        {0x0A000000u, 8, "private"},     /* 10/8 */
        {0x64400000u, 10, "CGNAT"},      /* 100.64/10 */
        {0x7F000000u, 8, "loopback"},    /* 127/8 */
        {0xA9FE0000u, 16, "link-local"}, /* 169.254/16, 169.254.169.254 metadata */
        {0xAC100000u, 12, "private"},    /* 172.16/12 */
        {0xC0000000u, 24, "reserved"},   /* 192.0.0/24: IETF protocol assignments */
        {0xC0A80000u, 16, "private"},    /* 192.168/16 */
        {0xC6120000u, 15, "reserved"},   /* 198.18/15: benchmarking */
        {0xE0000000u, 4, "multicast"},   /* 224/4 */
        {0xF0000000u, 4, "reserved"},    /* 240/4 and the broadcast address */
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - ranges[i].bits);
        if ((a & mask) == ranges[i].net) {
            return ranges[i].why;
        }
    }
    return NULL;
}

static uint32_t v4_at(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static const char *v6_refusal(const unsigned char *b) {
    static const unsigned char zero[16] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
        return b[15] == 0 ? "unspecified" : "loopback";
    }
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
        return v4_refusal(v4_at(b + 12)); /* an IPv4 address in IPv6 clothes */
    }
    if (memcmp(b, zero, 12) == 0) {
        return "reserved"; /* ::a.b.c.d, IPv4-compatible (deprecated) */
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        return v4_refusal(v4_at(b + 2)); /* 6to4 2002::/16 embeds an IPv4 address */
    }
    if ((b[0] & 0xFE) == 0xFC) {
        return "private"; /* fc00::/7 unique local */
    }
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) {
        return "link-local"; /* fe80::/10 */
    }
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) {
        return "private"; /* fec0::/10 site-local (deprecated) */
    }
    if (b[0] == 0xFF) {
        return "multicast";
    }
    if (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero, 6) == 0) {
        return "reserved"; /* 100::/64 discard-only */
    }
    return NULL;
}

const char *parley_webhook_address_refusal(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_refusal(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_refusal(in6->sin6_addr.s6_addr);
    }
    return "reserved"; /* no other family is a webhook's */
}

/* ---- URLs ------------------------------------------------------------------ */

static parley_status refuse(parley_error *err, const char *message) {
    return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "url: %s", message);
}

parley_status parley_webhook_target_parse(const char *url, parley_webhook_target *out,
                                          parley_error *err) {
    memset(out, 0, sizeof *out);
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    parley_status st = PARLEY_OK;
    if (u == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        st = refuse(err, "not a valid URL");
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        st = refuse(err, "the scheme must be http or https");
    } else {
        size_t len = strlen(host);
        const char *h = host;
        if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
            h = host + 1;
            len -= 2;
        }
        if (len == 0 || len >= sizeof out->host) {
            st = refuse(err, "the host is empty or too long");
        } else {
            memcpy(out->host, h, len);
            out->host[len] = '\0';
            out->port = atoi(port);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return st;
}

static void address_text(const struct sockaddr *sa, char *out, size_t size) {
    char text[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, text,
                  sizeof text);
        snprintf(out, size, "[%s]", text);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, text,
                  sizeof text);
        snprintf(out, size, "%s", text);
    }
}

parley_status parley_webhook_target_resolve(const char *url, bool allow_private,
                                            parley_webhook_target *out, parley_error *err) {
    parley_status st = parley_webhook_target_parse(url, out, err);
    if (st != PARLEY_OK) {
        return st;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo numeric = hints;
    struct addrinfo *res = NULL;
    numeric.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(out->host, NULL, &numeric, &res) == 0) {
        out->host_is_ip = true;
    } else if (getaddrinfo(out->host, NULL, &hints, &res) != 0 || res == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "url: cannot resolve the host %s", out->host);
    }
    for (const struct addrinfo *ai = res; ai != NULL && st == PARLEY_OK; ai = ai->ai_next) {
        const char *why = parley_webhook_address_refusal(ai->ai_addr);
        char text[sizeof out->address];
        address_text(ai->ai_addr, text, sizeof text);
        if (why != NULL && !allow_private) {
            char reason[sizeof out->host + sizeof text + 16];
            snprintf(reason, sizeof reason, "%s resolves to %s", out->host, text);
            st = parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                  "url: %s, a %s address: webhooks may not target loopback, "
                                  "private, link-local, CGNAT, multicast or reserved addresses "
                                  "(--webhooks-allow-private allows them)",
                                  out->host_is_ip ? out->host : reason, why);
        } else if (out->address[0] == '\0') {
            snprintf(out->address, sizeof out->address, "%s", text);
        }
    }
    freeaddrinfo(res);
    if (st == PARLEY_OK && !out->host_is_ip) {
        snprintf(out->resolve, sizeof out->resolve, "%s:%d:%s", out->host, out->port, out->address);
    }
    return st;
}
