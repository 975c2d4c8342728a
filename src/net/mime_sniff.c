#include "net/mime_sniff.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t cookie; /* NULL when the database could not be loaded */

static void load(void) {
    /* the type only ("image/png"), no charset; compressed files are judged
     * as what they are, not what they contain */
    magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (m != NULL && magic_load(m, NULL) != 0) {
        parley_log_error("libmagic: %s", magic_error(m));
        magic_close(m);
        m = NULL;
    }
    cookie = m;
}

parley_status parley_mime_sniff(const void *data, size_t len, char out[PARLEY_MIME_SIZE],
                                parley_error *err) {
    out[0] = '\0';
    pthread_once(&once, load);
    if (cookie == NULL) {
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, "unavailable",
                                "file types cannot be recognised on this server");
    }
    pthread_mutex_lock(&lock);
    const char *type = magic_buffer(cookie, data, len);
    if (type != NULL) {
        snprintf(out, PARLEY_MIME_SIZE, "%s", type);
    }
    pthread_mutex_unlock(&lock);
    if (out[0] == '\0') {
        /* libmagic could not judge it: treat it as the unknown it is */
        snprintf(out, PARLEY_MIME_SIZE, "application/octet-stream");
    }
    return PARLEY_OK;
}
