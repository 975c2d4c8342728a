#include "core/client_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Copies text[0..len) into buf (NUL-terminated) when it fits. */
static bool copy_text(const char *text, size_t len, char *buf, size_t size) {
    if (len >= size) {
        return false;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    return true;
}

static bool all_digits(const char *p, size_t len) {
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)p[i])) {
            return false;
        }
    }
    return true;
}

/* A bare address (no brackets, no port). */
static bool parse_bare(const char *buf, parley_ip_net *addr) {
    memset(addr, 0, sizeof *addr);
    if (strchr(buf, ':') == NULL) {
        if (inet_pton(AF_INET, buf, addr->addr) != 1) {
            return false;
        }
        addr->family = 4;
        addr->prefix = 32;
        return true;
    }
    uint8_t v6[16];
    if (inet_pton(AF_INET6, buf, v6) != 1) {
        return false;
    }
    if (memcmp(v6, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
        addr->family = 4;
        addr->prefix = 32;
        memcpy(addr->addr, v6 + 12, 4);
    } else {
        addr->family = 6;
        addr->prefix = 128;
        memcpy(addr->addr, v6, 16);
    }
    return true;
}

bool parley_ip_parse(const char *text, size_t len, parley_ip_net *addr,
                     char out[PARLEY_IP_TEXT_SIZE]) {
    char buf[PARLEY_IP_TEXT_SIZE];
    const char *start = text;
    size_t n = len;
    if (n > 0 && text[0] == '[') {
        /* [v6] or [v6]:port */
        const char *close = memchr(text, ']', len);
        if (close == NULL) {
            return false;
        }
        size_t rest = len - (size_t)(close - text) - 1;
        if (rest != 0 && (close[1] != ':' || !all_digits(close + 2, rest - 1) || rest - 1 > 5)) {
            return false;
        }
        start = text + 1;
        n = (size_t)(close - text) - 1;
        if (memchr(start, ':', n) == NULL) {
            return false; /* brackets hold IPv6 only */
        }
    } else {
        /* a single ':' is an IPv4 address with a port */
        const char *colon = memchr(text, ':', len);
        if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - text) - 1) == NULL) {
            size_t port_len = len - (size_t)(colon - text) - 1;
            if (!all_digits(colon + 1, port_len) || port_len > 5) {
                return false;
            }
            n = (size_t)(colon - text);
            if (memchr(text, '.', n) == NULL) {
                return false;
            }
        }
    }
    if (n == 0 || !copy_text(start, n, buf, sizeof buf) || !parse_bare(buf, addr)) {
        return false;
    }
    if (out != NULL) {
        if (addr->family == 4) {
            inet_ntop(AF_INET, addr->addr, out, PARLEY_IP_TEXT_SIZE);
        } else {
            inet_ntop(AF_INET6, addr->addr, out, PARLEY_IP_TEXT_SIZE);
        }
    }
    return true;
}

static void trim(const char **p, size_t *len) {
    while (*len > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t')) {
        (*len)--;
    }
}

/* "a.b.c.d", "v6", "a.b.c.d/n", "v6/n" (no brackets, no port). */
static bool parse_net(const char *text, size_t len, parley_ip_net *net) {
    char buf[PARLEY_IP_TEXT_SIZE];
    const char *slash = memchr(text, '/', len);
    size_t addr_len = slash != NULL ? (size_t)(slash - text) : len;
    if (addr_len == 0 || !copy_text(text, addr_len, buf, sizeof buf) || !parse_bare(buf, net)) {
        return false;
    }
    if (slash == NULL) {
        return true;
    }
    size_t plen = len - addr_len - 1;
    char digits[8];
    if (!all_digits(slash + 1, plen) || !copy_text(slash + 1, plen, digits, 4)) {
        return false;
    }
    int prefix = atoi(digits);
    if (net->family == 4 && memchr(text, ':', addr_len) != NULL) {
        prefix -= 96; /* ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
    }
    if (prefix < 0 || prefix > (net->family == 4 ? 32 : 128)) {
        return false;
    }
    net->prefix = prefix;
    return true;
}

parley_status parley_trusted_proxies_parse(const char *text, parley_trusted_proxies *out,
                                           parley_error *err) {
    out->nets = NULL;
    out->count = 0;
    if (text == NULL) {
        return PARLEY_OK;
    }
    const char *p = text;
    size_t whole = strlen(text);
    trim(&p, &whole);
    if (whole == 0) {
        return PARLEY_OK;
    }
    parley_ip_net *nets = calloc(PARLEY_TRUSTED_PROXIES_MAX, sizeof *nets);
    if (nets == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    size_t count = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        const char *entry = p;
        trim(&entry, &len);
        if (count == PARLEY_TRUSTED_PROXIES_MAX) {
            free(nets);
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "--trusted-proxies: more than %d entries",
                                    PARLEY_TRUSTED_PROXIES_MAX);
        }
        if (len == 0 || !parse_net(entry, len, &nets[count])) {
            free(nets);
            return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                    "--trusted-proxies: \"%.*s\" is not an IP address or CIDR",
                                    (int)(len > 60 ? 60 : len), entry);
        }
        count++;
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    out->nets = nets;
    out->count = count;
    return PARLEY_OK;
}

void parley_trusted_proxies_free(parley_trusted_proxies *tp) {
    if (tp != NULL) {
        free(tp->nets);
        tp->nets = NULL;
        tp->count = 0;
    }
}

static bool net_contains(const parley_ip_net *net, const parley_ip_net *addr) {
    if (net->family != addr->family) {
        return false;
    }
    int full = net->prefix / 8;
    int bits = net->prefix % 8;
    if (memcmp(net->addr, addr->addr, (size_t)full) != 0) {
        return false;
    }
    if (bits == 0) {
        return true;
    }
    uint8_t mask = (uint8_t)(0xFF << (8 - bits));
    return (net->addr[full] & mask) == (addr->addr[full] & mask);
}

static bool contains_addr(const parley_trusted_proxies *tp, const parley_ip_net *addr) {
    for (size_t i = 0; i < tp->count; i++) {
        if (net_contains(&tp->nets[i], addr)) {
            return true;
        }
    }
    return false;
}

bool parley_trusted_proxies_contains(const parley_trusted_proxies *tp, const char *ip) {
    parley_ip_net addr;
    return tp != NULL && tp->count > 0 && ip != NULL &&
           parley_ip_parse(ip, strlen(ip), &addr, NULL) && contains_addr(tp, &addr);
}

/* The hops of a header, left to right: [start, len) pairs into the text. */
typedef struct hop {
    const char *start;
    size_t len;
} hop;

/* X-Forwarded-For: "client, proxy1, proxy2". Returns the number of hops
 * kept: the rightmost `max` of them. */
static size_t split_xff(const char *text, hop *hops, size_t max) {
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        trim(&s, &len);
        if (n == max) {
            memmove(hops, hops + 1, (max - 1) * sizeof *hops);
            n--;
        }
        hops[n].start = s;
        hops[n].len = len;
        n++;
        if (comma == NULL) {
            return n;
        }
        p = comma + 1;
    }
}

/* The value of one forwarded-pair: a token or a quoted-string (RFC 7230
 * 3.2.6), unquoted into buf. Advances *p past it. False when malformed. */
static bool forwarded_value(const char **p, char *buf, size_t size, size_t *out_len) {
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        s++;
        while (*s != '"') {
            if (*s == '\0') {
                return false;
            }
            if (*s == '\\') {
                s++;
                if (*s == '\0') {
                    return false;
                }
            }
            if (n + 1 >= size) {
                return false;
            }
            buf[n++] = *s++;
        }
        s++;
    } else {
        while (*s != '\0' && *s != ';' && *s != ',' && *s != ' ' && *s != '\t') {
            if (n + 1 >= size) {
                return false;
            }
            buf[n++] = *s++;
        }
    }
    buf[n] = '\0';
    *out_len = n;
    *p = s;
    return true;
}

/* Forwarded: `for=1.2.3.4;proto=https, for="[2001:db8::1]:80"`. For each
 * element, the for= value unquoted into vals (or "" when it has none or is
 * malformed: such a hop stops the walk). Returns the number of elements
 * kept, the rightmost `max`. A malformed header gives one empty hop. */
static size_t split_forwarded(const char *text, char vals[][PARLEY_IP_TEXT_SIZE], size_t max) {
    size_t n = 0;
    const char *p = text;
    for (;;) {
        char value[PARLEY_IP_TEXT_SIZE] = "";
        bool bad = false;
        /* one element: pairs separated by ';' */
        for (;;) {
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            const char *name = p;
            while (*p != '\0' && *p != '=' && *p != ';' && *p != ',') {
                p++;
            }
            if (*p != '=') {
                bad = bad || p != name; /* a name without a value */
            } else {
                size_t name_len = (size_t)(p - name);
                while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t')) {
                    name_len--;
                }
                p++;
                char v[PARLEY_IP_TEXT_SIZE];
                size_t vlen = 0;
                if (!forwarded_value(&p, v, sizeof v, &vlen)) {
                    /* unreadable: skip to the next element */
                    bad = true;
                    while (*p != '\0' && *p != ',') {
                        p++;
                    }
                } else if (name_len == 3 && strncasecmp(name, "for", 3) == 0) {
                    if (value[0] != '\0') {
                        bad = true; /* two for= in one element */
                    }
                    memcpy(value, v, vlen + 1);
                }
                while (*p == ' ' || *p == '\t') {
                    p++;
                }
            }
            if (*p == ';') {
                p++;
                continue;
            }
            if (*p != ',' && *p != '\0') {
                bad = true;
                while (*p != '\0' && *p != ',') {
                    p++;
                }
            }
            break;
        }
        if (n == max) {
            memmove(vals, vals + 1, (max - 1) * sizeof vals[0]);
            n--;
        }
        snprintf(vals[n], PARLEY_IP_TEXT_SIZE, "%s", bad ? "" : value);
        n++;
        if (*p != ',') {
            return n;
        }
        p++;
    }
}

void parley_client_addr(const parley_trusted_proxies *tp, const char *peer_ip,
                        const char *forwarded, const char *x_forwarded_for,
                        char out[PARLEY_IP_TEXT_SIZE]) {
    snprintf(out, PARLEY_IP_TEXT_SIZE, "%s", peer_ip != NULL ? peer_ip : "");
    parley_ip_net addr;
    if (tp == NULL || tp->count == 0 || peer_ip == NULL ||
        !parley_ip_parse(peer_ip, strlen(peer_ip), &addr, NULL) || !contains_addr(tp, &addr)) {
        return; /* not a proxy of ours: its headers mean nothing */
    }
    bool use_forwarded = forwarded != NULL && forwarded[0] != '\0';
    if (!use_forwarded && (x_forwarded_for == NULL || x_forwarded_for[0] == '\0')) {
        return;
    }
    char vals[PARLEY_FORWARDED_MAX_HOPS][PARLEY_IP_TEXT_SIZE];
    hop hops[PARLEY_FORWARDED_MAX_HOPS];
    size_t n = use_forwarded ? split_forwarded(forwarded, vals, PARLEY_FORWARDED_MAX_HOPS)
                             : split_xff(x_forwarded_for, hops, PARLEY_FORWARDED_MAX_HOPS);
    /* right to left: the nearest hop first */
    for (size_t i = n; i-- > 0;) {
        const char *text = use_forwarded ? vals[i] : hops[i].start;
        size_t len = use_forwarded ? strlen(vals[i]) : hops[i].len;
        char canonical[PARLEY_IP_TEXT_SIZE];
        if (len == 0 || !parley_ip_parse(text, len, &addr, canonical)) {
            return; /* unknown or garbage: the nearest trusted hop it is */
        }
        snprintf(out, PARLEY_IP_TEXT_SIZE, "%s", canonical);
        if (!contains_addr(tp, &addr)) {
            return; /* the first untrusted address: the client */
        }
    }
    /* every hop was a trusted proxy: the leftmost is the best we know */
}
