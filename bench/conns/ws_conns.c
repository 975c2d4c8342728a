/*
 * ws_conns.c - parley-conns-bench: how parleyd's memory grows with idle
 * WebSockets (issue 11 B), and whether a node full of them still delivers.
 *
 * It makes one customer and one session over HTTP, then opens WebSockets
 * (that customer's token) from several loopback source addresses
 * (127.0.0.2, 127.0.0.3, ... so no one address runs out of ports), up to
 * each step of --steps or as many as the machine allows, and after each
 * step reads the server's VmRSS from /proc/PID/status. Then churn: each
 * round closes every other connection and opens as many again, and RSS is
 * read again. At the top, two more WebSockets subscribe to the session and
 * one sends --samples messages one at a time; the time from each send to
 * the message.created event on the other is the delivery latency (p50,
 * p99, max). Printed: one line per step with RSS and the slope per
 * connection since the first step, one per churn round, the latency line.
 *
 * The server's pings are answered (every socket is drained between steps),
 * so a long run is not closed for silence. Blocking sockets, one process,
 * no event loop: simple on purpose; the server is what is measured.
 *
 * Threads: one. Ownership: everything lives until exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
    const char *host;
    int port;
    int pid;
    long steps[32];
    int nsteps;
    int sources;
    int churn_rounds;
    int samples;
    int settle_ms;
} options;

static char g_token[256];
static char g_session[64];
static int *g_fds;
static long g_nfds;
static long g_next_source;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what) {
    fprintf(stderr, "parley-conns-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long rss_kib(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        die("read the server's /proc status");
    }
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return kib;
}

static int dial(const options *o, const char *source) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (source != NULL) {
        inet_pton(AF_INET, source, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            return -1;
        }
    }
    sa.sin_port = htons((uint16_t)o->port);
    inet_pton(AF_INET, o->host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0) {
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads an HTTP answer's head (and, with Content-Length, its body) into buf. */
static int read_http(int fd, char *buf, size_t cap) {
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL) {
            continue;
        }
        char *cl = strcasestr(buf, "content-length:");
        size_t body = cl != NULL && cl < end ? (size_t)strtol(cl + 15, NULL, 10) : 0;
        if (len >= (size_t)(end + 4 - buf) + body) {
            break;
        }
    }
    buf[len] = '\0';
    return atoi(buf + 9);
}

static int http_post(const options *o, const char *path, const char *token, const char *json,
                     char *out, size_t cap) {
    int fd = dial(o, NULL);
    if (fd < 0) {
        die("connect");
    }
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, o->host, token != NULL ? "Authorization: Bearer " : "",
                     token != NULL ? token : "", token != NULL ? "\r\n" : "", strlen(json), json);
    if (!write_all(fd, req, (size_t)n)) {
        die("write");
    }
    int status = read_http(fd, out, cap);
    close(fd);
    return status;
}

static void json_field(const char *json, const char *name, char *out, size_t cap) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(json, key);
    out[0] = '\0';
    if (p != NULL) {
        p += strlen(key);
        size_t i = 0;
        while (p[i] != '"' && p[i] != '\0' && i + 1 < cap) {
            out[i] = p[i];
            i++;
        }
        out[i] = '\0';
    }
}

static void setup(const options *o) {
    char buf[16384];
    int status =
        http_post(o, "/api/v1/customers", NULL, "{\"name\":\"conns bench\"}", buf, sizeof buf);
    char *body = strstr(buf, "\r\n\r\n");
    if (status != 201 && status != 200) {
        fprintf(stderr, "POST /api/v1/customers: %d\n%s\n", status, buf);
        exit(1);
    }
    json_field(body, "token", g_token, sizeof g_token);
    status =
        http_post(o, "/api/v1/sessions", g_token, "{\"topic\":\"conns bench\"}", buf, sizeof buf);
    body = strstr(buf, "\r\n\r\n");
    if (status != 201) {
        fprintf(stderr, "POST /api/v1/sessions: %d\n%s\n", status, buf);
        exit(1);
    }
    json_field(body, "id", g_session, sizeof g_session);
}

/* A WebSocket after its 101, or -1. */
static int ws_open(const options *o) {
    char source[32];
    snprintf(source, sizeof source, "127.0.0.%ld", 2 + (g_next_source++ % o->sources));
    int fd = dial(o, source);
    if (fd < 0) {
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/ws?token=%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     g_token, o->host, o->port);
    char buf[1024];
    if (!write_all(fd, req, (size_t)n) || read_http(fd, buf, sizeof buf) != 101) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One masked client frame (the key is zero: masking is XOR with it). */
static bool ws_send(int fd, uint8_t opcode, const char *payload, size_t len) {
    uint8_t head[8] = {(uint8_t)(0x80 | opcode)};
    size_t hl;
    if (len < 126) {
        head[1] = (uint8_t)(0x80 | len);
        hl = 2;
    } else {
        head[1] = 0x80 | 126;
        head[2] = (uint8_t)(len >> 8);
        head[3] = (uint8_t)len;
        hl = 4;
    }
    memset(head + hl, 0, 4);
    char frame[4096];
    if (hl + 4 + len > sizeof frame) {
        return false;
    }
    memcpy(frame, head, hl + 4);
    memcpy(frame + hl + 4, payload, len);
    return write_all(fd, frame, hl + 4 + len);
}

/* Reads what arrived on fd without waiting; answers pings. Returns false
 * when the server closed the socket. If want is set, copies the first text
 * frame containing it into text (a blocking read then). */
static bool ws_drain(int fd, bool wait, const char *want, char *text, size_t cap) {
    static uint8_t buf[1 << 16];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, wait ? 5000 : 0) <= 0) {
            return !wait;
        }
        ssize_t n = recv(fd, buf, 2, MSG_WAITALL);
        if (n != 2) {
            return false;
        }
        uint8_t op = buf[0] & 0x0f;
        uint64_t len = buf[1] & 0x7f;
        if (len == 126) {
            if (recv(fd, buf, 2, MSG_WAITALL) != 2) {
                return false;
            }
            len = ((uint64_t)buf[0] << 8) | buf[1];
        } else if (len == 127) {
            return false;
        }
        if (len > sizeof buf || (len > 0 && recv(fd, buf, len, MSG_WAITALL) != (ssize_t)len)) {
            return false;
        }
        if (op == 0x9) {
            ws_send(fd, 0xA, (const char *)buf, len);
        } else if (op == 0x8) {
            return false;
        } else if (op == 0x1 && want != NULL && len < cap) {
            memcpy(text, buf, len);
            text[len] = '\0';
            if (strstr(text, want) != NULL) {
                return true;
            }
        }
    }
}

static void drain_all(void) {
    for (long i = 0; i < g_nfds; i++) {
        if (g_fds[i] >= 0 && !ws_drain(g_fds[i], false, NULL, NULL, 0)) {
            close(g_fds[i]);
            g_fds[i] = -1;
        }
    }
}

static long open_count(void) {
    long n = 0;
    for (long i = 0; i < g_nfds; i++) {
        n += g_fds[i] >= 0;
    }
    return n;
}

static void settle(const options *o) {
    drain_all();
    usleep((useconds_t)o->settle_ms * 1000);
    drain_all();
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void delivery(const options *o) {
    int a = ws_open(o), b = ws_open(o);
    if (a < 0 || b < 0) {
        printf("delivery: no WebSocket left for the probe (close a few: lower the last step)\n");
        return;
    }
    char frame[512], text[65536];
    int n =
        snprintf(frame, sizeof frame, "{\"type\":\"subscribe\",\"session_id\":\"%s\"}", g_session);
    ws_send(a, 1, frame, (size_t)n);
    ws_send(b, 1, frame, (size_t)n);
    ws_drain(a, true, "subscribed", text, sizeof text);
    ws_drain(b, true, "subscribed", text, sizeof text);
    double *lat = calloc((size_t)o->samples, sizeof *lat);
    int got = 0;
    for (int i = 0; i < o->samples; i++) {
        char id[32];
        snprintf(id, sizeof id, "probe-%d-%d", (int)getpid(), i);
        n = snprintf(frame, sizeof frame,
                     "{\"type\":\"message.send\",\"session_id\":\"%s\",\"content\":\"%s\","
                     "\"client_msg_id\":\"%s\"}",
                     g_session, id, id);
        double t0 = now_ms();
        ws_send(a, 1, frame, (size_t)n);
        if (!ws_drain(b, true, id, text, sizeof text)) {
            break;
        }
        lat[got++] = now_ms() - t0;
        ws_drain(a, true, id, text, sizeof text); /* a's own copy or ack */
    }
    qsort(lat, (size_t)got, sizeof *lat, cmp_double);
    if (got == 0) {
        printf("delivery: nothing delivered\n");
    } else {
        printf("delivery at %ld connections: %d messages, send->event p50 %.2f ms, p99 %.2f "
               "ms, max %.2f ms\n",
               open_count(), got, lat[got / 2], lat[(got * 99) / 100], lat[got - 1]);
    }
    free(lat);
    close(a);
    close(b);
}

static void parse_steps(options *o, const char *s) {
    o->nsteps = 0;
    while (*s != '\0' && o->nsteps < 32) {
        char *end;
        o->steps[o->nsteps++] = strtol(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s != '\0') {
            break;
        }
    }
}

int main(int argc, char **argv) {
    options o = {.host = "127.0.0.1",
                 .port = 8080,
                 .sources = 4,
                 .churn_rounds = 3,
                 .samples = 1000,
                 .settle_ms = 1500};
    parse_steps(&o, "0,1000,2000,5000,10000,15000");
    /* each option takes a value: two arguments a step */
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--port") == 0) {
            o.port = atoi(v);
        } else if (strcmp(argv[i], "--pid") == 0) {
            o.pid = atoi(v);
        } else if (strcmp(argv[i], "--steps") == 0) {
            parse_steps(&o, v);
        } else if (strcmp(argv[i], "--sources") == 0) {
            o.sources = atoi(v);
        } else if (strcmp(argv[i], "--churn-rounds") == 0) {
            o.churn_rounds = atoi(v);
        } else if (strcmp(argv[i], "--samples") == 0) {
            o.samples = atoi(v);
        } else if (strcmp(argv[i], "--settle-ms") == 0) {
            o.settle_ms = atoi(v);
        } else {
            fprintf(stderr, "usage: parley-conns-bench --pid PID [--port 8080] [--steps "
                            "0,1000,...] [--sources 4] [--churn-rounds 3] [--samples 1000] "
                            "[--settle-ms 1500]\n");
            return 2;
        }
    }
    if (o.pid <= 0 || o.sources < 1 || o.nsteps < 1) {
        fprintf(stderr, "parley-conns-bench: --pid is required\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    long top = o.steps[o.nsteps - 1];
    g_fds = malloc((size_t)(top + 1) * sizeof *g_fds);
    setup(&o);
    printf("parley-conns-bench: server pid %d, fd limit here %ld, %d source addresses\n", o.pid,
           (long)rl.rlim_cur, o.sources);
    printf("%10s %12s %14s\n", "websockets", "rss_kib", "kib_per_conn");
    long base_rss = -1;
    long base_n = 0;
    bool full = false;
    for (int s = 0; s < o.nsteps && !full; s++) {
        while (g_nfds < o.steps[s]) {
            int fd = ws_open(&o);
            if (fd < 0) {
                printf("(the machine stopped at %ld: %s)\n", open_count(), strerror(errno));
                full = true;
                break;
            }
            g_fds[g_nfds++] = fd;
            if (g_nfds % 1000 == 0) {
                drain_all();
            }
        }
        settle(&o);
        long n = open_count();
        long rss = rss_kib(o.pid);
        if (base_rss < 0) {
            base_rss = rss;
            base_n = n;
        }
        double slope = n > base_n ? (double)(rss - base_rss) / (double)(n - base_n) : 0.0;
        printf("%10ld %12ld %14.2f\n", n, rss, slope);
        fflush(stdout);
    }
    for (int r = 1; r <= o.churn_rounds; r++) {
        long closed = 0;
        for (long i = r % 2; i < g_nfds; i += 2) {
            if (g_fds[i] >= 0) {
                close(g_fds[i]);
                g_fds[i] = -1;
                closed++;
            }
        }
        settle(&o);
        long mid = rss_kib(o.pid);
        long reopened = 0;
        for (long i = 0; i < g_nfds; i++) {
            if (g_fds[i] < 0 && (g_fds[i] = ws_open(&o)) >= 0) {
                reopened++;
            }
        }
        settle(&o);
        long n = open_count();
        long rss = rss_kib(o.pid);
        printf("churn %d: closed %ld (rss %ld KiB with %ld open), reopened %ld -> %ld open, rss "
               "%ld KiB, %.2f KiB/conn over the first step\n",
               r, closed, mid, n - reopened, reopened, n, rss,
               n > base_n ? (double)(rss - base_rss) / (double)(n - base_n) : 0.0);
        fflush(stdout);
    }
    delivery(&o);
    return 0;
}
