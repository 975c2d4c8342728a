/*
 * translation_apertium.c - see translation_apertium.h.
 */
/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) */
#define _GNU_SOURCE
#include "strategies/translation_apertium.h"
#include "strategies/translation_route.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/strbuf.h"

extern char **environ;

#define MAX_STAGES 32
#define END_MARK ".[]"
#define MAX_MODE_BYTES 65536
#define MAX_OUTPUT_BYTES (1u << 20)

/* ---- escaping ---- */

static bool is_special(unsigned char c) {
    return c != '\0' && strchr("[]^$\\/<>@{}*~#", c) != NULL;
}

char *parley_apertium_escape(const char *text) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        n += is_special(*p) ? 2 : 1;
    }
    char *out = malloc(n + 1);
    if (out == NULL) {
        return NULL;
    }
    char *w = out;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (is_special(*p)) {
            *w++ = '\\';
        }
        *w++ = (char)*p;
    }
    *w = '\0';
    return out;
}

static bool word_start(const char *out, const char *w) {
    return w == out || w[-1] == ' ' || w[-1] == '\n' || w[-1] == '\t' || w[-1] == '(' ||
           w[-1] == '"' || w[-1] == '\'';
}

char *parley_apertium_unescape(const char *text, size_t len, bool drop_hash, bool drop_star) {
    char *out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    char *w = out;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\0') {
            continue;
        }
        if (c == '\\' && i + 1 < len && text[i + 1] != '\0') {
            *w++ = text[++i];
            continue;
        }
        if (c == '@' || (c == '#' && drop_hash && word_start(out, w)) ||
            (c == '*' && drop_star && word_start(out, w))) {
            continue;
        }
        *w++ = c;
    }
    *w = '\0';
    return out;
}

/* ---- .mode files ---- */

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends one stage (text[a..b)) with " -z" after its program word and
 * $1/$2 replaced; false when the stage is not plain. */
static bool add_stage(parley_strbuf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && is_space(s[i])) {
        i++;
    }
    while (n > i && is_space(s[n - 1])) {
        n--;
    }
    if (i == n) {
        return false;
    }
    /* the program word: no quotes or dollars, to keep it simple */
    size_t w = i;
    while (w < n && !is_space(s[w])) {
        if (strchr("'\"$\\;&`<>()|", s[w]) != NULL) {
            return false;
        }
        w++;
    }
    parley_strbuf_add(b, s + i, w - i);
    /* already null-flushing (apertium-wblank-mode -z puts it first)? */
    bool has_z = w + 3 <= n && s[w] == ' ' && s[w + 1] == '-' && s[w + 2] == 'z' &&
                 (w + 3 == n || is_space(s[w + 3]));
    if (!has_z) {
        parley_strbuf_add(b, " -z", 3);
    }
    char quote = 0;
    for (size_t k = w; k < n; k++) {
        char c = s[k];
        if (quote) {
            if (c == quote) {
                quote = 0;
            }
            parley_strbuf_add(b, &c, 1);
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            parley_strbuf_add(b, &c, 1);
            continue;
        }
        if (c == '$') {
            if (k + 1 < n && s[k + 1] == '1') {
                parley_strbuf_add(b, "-n", 2);
                k++;
                continue;
            }
            if (k + 1 < n && s[k + 1] == '2') {
                k++;
                continue;
            }
            return false;
        }
        if (c == ';' || c == '&' || c == '`' || c == '<' || c == '>' || c == '\\' || c == '(' ||
            c == ')' || c == '\n' || c == '\r') {
            return false;
        }
        parley_strbuf_add(b, &c, 1);
    }
    return quote == 0;
}

char *parley_apertium_mode_command(const char *text, size_t len) {
    if (text == NULL || len == 0 || len > MAX_MODE_BYTES) {
        return NULL;
    }
    /* one logical line: trailing newlines are fine, others are not */
    while (len > 0 && is_space(text[len - 1])) {
        len--;
    }
    parley_strbuf b = {0};
    size_t start = 0;
    int stages = 0;
    char quote = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? text[i] : '|';
        if (i < len && c == '\0') {
            free(b.data);
            return NULL;
        }
        if (quote) {
            if (c == quote) {
                quote = 0;
            }
            if (i == len) {
                free(b.data);
                return NULL;
            }
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            continue;
        }
        if (c != '|') {
            continue;
        }
        if (++stages > MAX_STAGES) {
            free(b.data);
            return NULL;
        }
        if (stages > 1) {
            parley_strbuf_add(&b, " | ", 3);
        }
        if (!add_stage(&b, text + start, i - start)) {
            free(b.data);
            return NULL;
        }
        start = i + 1;
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

/* ---- languages ---- */

static const struct {
    const char *iso;
    const char *a3;
} LANGS[] = {{"en", "eng"}, {"es", "spa"}, {"fr", "fra"}, {"pt", "por"}, {"ca", "cat"}};

const char *parley_apertium_iso(const char *code, size_t len) {
    for (size_t i = 0; i < sizeof LANGS / sizeof LANGS[0]; i++) {
        if ((len == 2 && memcmp(code, LANGS[i].iso, 2) == 0) ||
            (len == 3 && memcmp(code, LANGS[i].a3, 3) == 0)) {
            return LANGS[i].iso;
        }
    }
    return NULL;
}

/* ---- pipelines ---- */

typedef struct pipeline {
    pid_t pid;  /* 0 when not running; also the process group */
    int in_fd;  /* we write */
    int out_fd; /* we read */
} pipeline;

typedef struct direction {
    char name[64];
    const char *src, *dst; /* ISO 639-1, static */
    char *command;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pipeline *slots;
    bool *busy;
} direction;

struct parley_apertium {
    direction *dirs;
    size_t count;
    int pool_size;
    int timeout_ms;
    pthread_mutex_t stats_lock;
    unsigned long restarts;
};

/* Pipe creation and spawning under one lock so no other pipeline inherits
 * our ends before they are marked close-on-exec. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pipeline_kill(pipeline *p) {
    if (p->pid > 0) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (p->in_fd >= 0) {
        close(p->in_fd);
    }
    if (p->out_fd >= 0) {
        close(p->out_fd);
    }
    p->pid = 0;
    p->in_fd = -1;
    p->out_fd = -1;
}

static bool pipeline_start(pipeline *p, const char *command) {
    int to_child[2], from_child[2];
    bool ok = false;
    pthread_mutex_lock(&spawn_lock);
    if (pipe(to_child) != 0) {
        pthread_mutex_unlock(&spawn_lock);
        return false;
    }
    if (pipe(from_child) != 0) {
        close(to_child[0]);
        close(to_child[1]);
        pthread_mutex_unlock(&spawn_lock);
        return false;
    }
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    fcntl(to_child[1], F_SETFL, fcntl(to_child[1], F_GETFL) | O_NONBLOCK);
    fcntl(from_child[0], F_SETFL, fcntl(from_child[0], F_GETFL) | O_NONBLOCK);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, to_child[0]);
    posix_spawn_file_actions_addclose(&fa, from_child[1]);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* the child (a shell, then apertium's stages) must not hold the
     * server's sockets, database or other pipelines open: a listener kept
     * by a child outlives a restart, a pipe kept open never sees EOF */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    char sh[] = "/bin/sh", dash_c[] = "-c";
    char *cmd = strdup(command);
    if (cmd != NULL) {
        char *argv[] = {sh, dash_c, cmd, NULL};
        pid_t pid;
        if (posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ) == 0) {
            p->pid = pid;
            p->in_fd = to_child[1];
            p->out_fd = from_child[0];
            ok = true;
        }
        free(cmd);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(to_child[0]);
    close(from_child[1]);
    if (!ok) {
        close(to_child[1]);
        close(from_child[0]);
    }
    pthread_mutex_unlock(&spawn_lock);
    return ok;
}

/* Writes data and a NUL, reads up to the answer's NUL. */
static parley_apertium_result pipeline_request(pipeline *p, const char *data, int timeout_ms,
                                               char **answer, size_t *answer_len) {
    size_t to_write = strlen(data) + 1; /* with the NUL */
    size_t written = 0;
    parley_strbuf out = {0};
    int64_t deadline = now_ms() + timeout_ms;
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    parley_apertium_result r = PARLEY_APERTIUM_FAILED;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            r = PARLEY_APERTIUM_TIMEOUT;
            break;
        }
        struct pollfd fds[2] = {{.fd = p->out_fd, .events = POLLIN},
                                {.fd = written < to_write ? p->in_fd : -1, .events = POLLOUT}};
        int n = poll(fds, 2, (int)left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (n == 0) {
            r = PARLEY_APERTIUM_TIMEOUT;
            break;
        }
        if (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t w = write(p->in_fd, data + written, to_write - written);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                break;
            }
            if (w > 0) {
                written += (size_t)w;
            }
        }
        if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            char buf[4096];
            ssize_t got = read(p->out_fd, buf, sizeof buf);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                break; /* died */
            }
            if (got > 0) {
                char *nul = memchr(buf, '\0', (size_t)got);
                parley_strbuf_add(&out, buf, nul ? (size_t)(nul - buf) : (size_t)got);
                if (out.failed || out.len > MAX_OUTPUT_BYTES) {
                    break;
                }
                if (nul != NULL) {
                    if (written < to_write || nul + 1 != buf + got) {
                        break; /* out of step: restart to be safe */
                    }
                    r = PARLEY_APERTIUM_OK;
                    break;
                }
            }
        }
    }
    /* swallow a SIGPIPE raised while blocked, then restore the mask */
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != PARLEY_APERTIUM_OK) {
        free(out.data);
        return r;
    }
    if (out.data == NULL) {
        out.data = strdup("");
        if (out.data == NULL) {
            return PARLEY_APERTIUM_FAILED;
        }
    }
    *answer = out.data;
    *answer_len = out.len;
    return PARLEY_APERTIUM_OK;
}

/* ---- the pool ---- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = malloc(MAX_MODE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_MODE_BYTES + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0 || n > MAX_MODE_BYTES) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static bool add_direction(parley_apertium *ap, const char *dir, const char *file) {
    size_t flen = strlen(file);
    if (flen < 6 || flen >= 64 || strcmp(file + flen - 5, ".mode") != 0) {
        return true;
    }
    size_t stem = flen - 5;
    const char *dash = memchr(file, '-', stem);
    if (dash == NULL || memchr(file, '_', stem) != NULL) {
        return true;
    }
    const char *src = parley_apertium_iso(file, (size_t)(dash - file));
    const char *dst = parley_apertium_iso(dash + 1, stem - (size_t)(dash - file) - 1);
    if (src == NULL || dst == NULL || strcmp(src, dst) == 0) {
        return true;
    }
    for (size_t i = 0; i < ap->count; i++) {
        if (strcmp(ap->dirs[i].src, src) == 0 && strcmp(ap->dirs[i].dst, dst) == 0) {
            return true; /* eco-fr-es and the like are skipped above; keep the first */
        }
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path) {
        return true;
    }
    size_t len = 0;
    char *text = read_file(path, &len);
    if (text == NULL) {
        return true;
    }
    char *command = parley_apertium_mode_command(text, len);
    free(text);
    if (command == NULL) {
        return true;
    }
    direction *dirs = realloc(ap->dirs, (ap->count + 1) * sizeof *dirs);
    if (dirs == NULL) {
        free(command);
        return false;
    }
    ap->dirs = dirs;
    direction *d = &dirs[ap->count];
    memset(d, 0, sizeof *d);
    memcpy(d->name, file, stem);
    d->name[stem] = '\0';
    d->src = src;
    d->dst = dst;
    d->command = command;
    d->slots = calloc((size_t)ap->pool_size, sizeof *d->slots);
    d->busy = calloc((size_t)ap->pool_size, sizeof *d->busy);
    if (d->slots == NULL || d->busy == NULL) {
        free(d->slots);
        free(d->busy);
        free(command);
        return false;
    }
    for (int i = 0; i < ap->pool_size; i++) {
        d->slots[i].in_fd = -1;
        d->slots[i].out_fd = -1;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    ap->count++;
    return true;
}

static int cmp_dirent(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

parley_apertium *parley_apertium_create(const char *mode_dir, int pool_size, int timeout_ms) {
    parley_apertium *ap = calloc(1, sizeof *ap);
    if (ap == NULL) {
        return NULL;
    }
    ap->pool_size = pool_size < 1 ? 1 : pool_size > 64 ? 64 : pool_size;
    ap->timeout_ms = timeout_ms < 1 ? 1 : timeout_ms;
    pthread_mutex_init(&ap->stats_lock, NULL);
    DIR *d = opendir(mode_dir);
    if (d == NULL) {
        return ap;
    }
    char **names = NULL;
    size_t n = 0;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        char **grown = realloc(names, (n + 1) * sizeof *names);
        char *copy = strdup(e->d_name);
        if (grown == NULL || copy == NULL) {
            free(copy);
            if (grown != NULL) {
                names = grown;
            }
            ok = false;
            break;
        }
        names = grown;
        names[n++] = copy;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof *names, cmp_dirent);
    }
    for (size_t i = 0; i < n; i++) {
        if (ok) {
            ok = add_direction(ap, mode_dir, names[i]);
        }
        free(names[i]);
    }
    free(names);
    if (!ok) {
        parley_apertium_free(ap);
        return NULL;
    }
    return ap;
}

void parley_apertium_free(parley_apertium *ap) {
    if (ap == NULL) {
        return;
    }
    for (size_t i = 0; i < ap->count; i++) {
        direction *d = &ap->dirs[i];
        for (int k = 0; k < ap->pool_size; k++) {
            pipeline_kill(&d->slots[k]);
        }
        free(d->slots);
        free(d->busy);
        free(d->command);
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->cond);
    }
    free(ap->dirs);
    pthread_mutex_destroy(&ap->stats_lock);
    free(ap);
}

size_t parley_apertium_pair_count(const parley_apertium *ap) {
    return ap->count;
}

const char *parley_apertium_pair_name(const parley_apertium *ap, size_t i) {
    return i < ap->count ? ap->dirs[i].name : NULL;
}

static direction *find_direction(const parley_apertium *ap, const char *src, const char *dst) {
    for (size_t i = 0; i < ap->count; i++) {
        if (strcmp(ap->dirs[i].src, src) == 0 && strcmp(ap->dirs[i].dst, dst) == 0) {
            return &ap->dirs[i];
        }
    }
    return NULL;
}

static bool has_direction(const void *ctx, const char *src, const char *dst) {
    return find_direction(ctx, src, dst) != NULL;
}

/* The route from src to dst over the installed directions: English is the
 * first pivot tried (LANGS' order), then the others. */
static parley_route route(const parley_apertium *ap, const char *src, const char *dst) {
    const char *candidates[sizeof LANGS / sizeof LANGS[0]];
    for (size_t i = 0; i < sizeof LANGS / sizeof LANGS[0]; i++) {
        candidates[i] = LANGS[i].iso;
    }
    return parley_translation_route(src, dst, has_direction, ap, candidates,
                                    sizeof LANGS / sizeof LANGS[0]);
}

bool parley_apertium_supports(const parley_apertium *ap, const char *src, const char *dst) {
    return route(ap, src, dst).kind != PARLEY_ROUTE_NONE;
}

unsigned long parley_apertium_restarts(parley_apertium *ap) {
    pthread_mutex_lock(&ap->stats_lock);
    unsigned long n = ap->restarts;
    pthread_mutex_unlock(&ap->stats_lock);
    return n;
}

/* One hop; text is plain (unescaped) UTF-8. */
static parley_apertium_result translate_direct(parley_apertium *ap, direction *d, const char *text,
                                               char **out) {
    /* The text ends with ".[]", as apertium-destxt ends every text: a
     * stage waits for what follows the last word (lt-proc -b after a "$",
     * the tagger after an escaped "\^" at the very end, which hung the
     * pipeline until the timeout), and the dot and empty superblank make
     * every stage flush. They come back at the end of the answer and are
     * dropped there. */
    char *plain = parley_apertium_escape(text);
    char *escaped = plain != NULL ? malloc(strlen(plain) + sizeof END_MARK) : NULL;
    if (escaped == NULL) {
        free(plain);
        return PARLEY_APERTIUM_FAILED;
    }
    strcpy(escaped, plain);
    strcat(escaped, END_MARK);
    free(plain);
    int64_t deadline = now_ms() + ap->timeout_ms;
    pthread_mutex_lock(&d->lock);
    int slot = -1;
    while (slot < 0) {
        for (int k = 0; k < ap->pool_size; k++) {
            if (!d->busy[k]) {
                slot = k;
                break;
            }
        }
        if (slot >= 0) {
            break;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            pthread_mutex_unlock(&d->lock);
            free(escaped);
            return PARLEY_APERTIUM_TIMEOUT;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
    }
    d->busy[slot] = true;
    pthread_mutex_unlock(&d->lock);

    pipeline *p = &d->slots[slot];
    parley_apertium_result r = PARLEY_APERTIUM_FAILED;
    char *answer = NULL;
    size_t answer_len = 0;
    if (p->pid > 0 || pipeline_start(p, d->command)) {
        r = pipeline_request(p, escaped, ap->timeout_ms, &answer, &answer_len);
        if (r != PARLEY_APERTIUM_OK) {
            pipeline_kill(p);
            pthread_mutex_lock(&ap->stats_lock);
            ap->restarts++;
            pthread_mutex_unlock(&ap->stats_lock);
        }
    }
    free(escaped);

    pthread_mutex_lock(&d->lock);
    d->busy[slot] = false;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);

    if (r != PARLEY_APERTIUM_OK) {
        return r;
    }
    size_t mark = strlen(END_MARK);
    if (answer_len >= mark && memcmp(answer + answer_len - mark, END_MARK, mark) == 0) {
        answer_len -= mark;
    }
    *out = parley_apertium_unescape(answer, answer_len, strchr(text, '#') == NULL,
                                    strchr(text, '*') == NULL);
    free(answer);
    return *out != NULL ? PARLEY_APERTIUM_OK : PARLEY_APERTIUM_FAILED;
}

parley_apertium_result parley_apertium_translate(parley_apertium *ap, const char *src,
                                                 const char *dst, const char *text, char **out,
                                                 char *pair_out, size_t pair_size) {
    *out = NULL;
    direction *d = find_direction(ap, src, dst);
    if (d != NULL) {
        if (pair_out != NULL) {
            snprintf(pair_out, pair_size, "%s", d->name);
        }
        return translate_direct(ap, d, text, out);
    }
    parley_route r0 = route(ap, src, dst);
    if (r0.kind != PARLEY_ROUTE_PIVOT) {
        return PARLEY_APERTIUM_UNSUPPORTED;
    }
    const char *m = r0.via;
    direction *first = find_direction(ap, src, m);
    direction *second = find_direction(ap, m, dst);
    if (pair_out != NULL) {
        snprintf(pair_out, pair_size, "%s+%s", first->name, second->name);
    }
    char *middle = NULL;
    parley_apertium_result r = translate_direct(ap, first, text, &middle);
    if (r != PARLEY_APERTIUM_OK) {
        return r;
    }
    r = translate_direct(ap, second, middle, out);
    free(middle);
    return r;
}
