/*
 * translation_detect.c - see translation_detect.h.
 */
#include "strategies/translation_detect.h"

#include "strategies/translation_stopwords.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <textcat.h>
#include <unistd.h>

static const char *const LANGS[] = {"en", "es", "fr", "pt", "ca"};
#define NLANGS (sizeof LANGS / sizeof LANGS[0])
#define MAX_LANGS 16
/* Only the first bytes matter for n-gram statistics. */
#define MAX_CLASSIFY_BYTES 2048

struct parley_langdetect {
    void *handle;
    pthread_mutex_t lock;
    const char *langs[MAX_LANGS];
    size_t nlangs;
    bool stopwords; /* every language has a stopword list: fast path on */
};

static const char *find_code(const char *const *langs, size_t n, const char *code) {
    if (code == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(code, langs[i]) == 0) {
            return langs[i];
        }
    }
    return NULL;
}

const char *parley_langdetect_supported(const char *code) {
    return find_code(LANGS, NLANGS, code);
}

parley_langdetect *parley_langdetect_create(const char *lm_dir) {
    return parley_langdetect_create_for(lm_dir, LANGS, NLANGS);
}

parley_langdetect *parley_langdetect_create_for(const char *lm_dir, const char *const *langs,
                                                size_t n) {
    if (n == 0 || n > MAX_LANGS) {
        return NULL;
    }
    if (lm_dir == NULL) {
        lm_dir = "/usr/share/libexttextcat";
    }
    char conf[] = "/tmp/parley-textcat-XXXXXX";
    int fd = mkstemp(conf);
    if (fd < 0) {
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(conf);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s.lm %s\n", langs[i], langs[i]);
    }
    fclose(f);
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s/", lm_dir);
    void *handle = special_textcat_Init(conf, prefix);
    unlink(conf);
    if (handle == NULL) {
        return NULL;
    }
    parley_langdetect *d = calloc(1, sizeof *d);
    if (d == NULL) {
        textcat_Done(handle);
        return NULL;
    }
    d->handle = handle;
    memcpy(d->langs, langs, n * sizeof *langs);
    d->nlangs = n;
    d->stopwords = true;
    for (size_t i = 0; i < n; i++) {
        d->stopwords = d->stopwords && parley_stopwords_covers(langs[i]);
    }
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void parley_langdetect_free(parley_langdetect *d) {
    if (d == NULL) {
        return;
    }
    textcat_Done(d->handle);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

const char *parley_langdetect_decided(void *detector, const char *text, const char *known) {
    bool decided = false;
    const char *code = parley_langdetect_detect(detector, text, 0, known, &decided);
    return decided ? code : NULL;
}

const char *parley_langdetect_detect(parley_langdetect *d, const char *text, size_t min_chars,
                                     const char *known, bool *detected) {
    known = find_code(d->langs, d->nlangs, known);
    if (detected != NULL) {
        *detected = false;
    }
    size_t len = strlen(text);
    if (len < min_chars) {
        return known;
    }
    if (len > MAX_CLASSIFY_BYTES) {
        len = MAX_CLASSIFY_BYTES;
    }
    /* the fast path: function words that leave no doubt decide (a known
     * language they contradict is left to exttextcat, as before) */
    if (d->stopwords) {
        const char *fast = parley_stopwords_decide(text, len, d->langs, d->nlangs);
        if (fast != NULL && (known == NULL || fast == known)) {
            if (detected != NULL) {
                *detected = true;
            }
            return fast;
        }
    }
    /* textcat_Classify reads past the size it is given, up to the NUL (found
     * by fuzz/fuzz_langdetect.c: the bytes after 2048 changed the answer),
     * so it gets a copy that ends where the cap says */
    char head[MAX_CLASSIFY_BYTES + 1];
    memcpy(head, text, len);
    head[len] = '\0';
    /* candidates in rank order, "[en][es]..." */
    const char *cands[8];
    size_t n = 0;
    pthread_mutex_lock(&d->lock);
    const char *res = textcat_Classify(d->handle, head, len);
    for (const char *p = res; p != NULL && *p == '[' && n < 8;) {
        const char *end = strchr(p, ']');
        if (end == NULL) {
            break;
        }
        char code[8];
        size_t cl = (size_t)(end - p - 1);
        if (cl < sizeof code) {
            memcpy(code, p + 1, cl);
            code[cl] = '\0';
            const char *s = find_code(d->langs, d->nlangs, code);
            if (s != NULL) {
                cands[n++] = s;
            }
        }
        p = end + 1;
    }
    pthread_mutex_unlock(&d->lock);
    if (n == 0) {
        return known;
    }
    for (size_t i = 0; known != NULL && i < n; i++) {
        if (cands[i] == known) {
            if (detected != NULL) {
                *detected = true;
            }
            return known;
        }
    }
    if (n > 3) {
        return known;
    }
    if (detected != NULL) {
        *detected = true;
    }
    return cands[0];
}
