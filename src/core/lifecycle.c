#include "core/lifecycle.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/settings.h"

void parley_lifecycle_notice(int64_t idle_seconds, char *out, size_t out_size) {
    bool minutes = idle_seconds % 60 == 0;
    int64_t n = minutes ? idle_seconds / 60 : idle_seconds;
    snprintf(out, out_size, "This conversation was closed after %" PRId64 " %s%s without activity.",
             n, minutes ? "minute" : "second", n == 1 ? "" : "s");
}

parley_status parley_lifecycle_close_idle(parley_chat_service *svc, parley_time_ms now,
                                          size_t *closed, parley_error *err) {
    *closed = 0;
    int64_t idle_seconds = parley_settings_int(svc->repo, PARLEY_SETTING_AUTO_CLOSE);
    if (idle_seconds <= 0) {
        return PARLEY_OK;
    }
    parley_session_list idle = {0};
    parley_status st = svc->repo->sessions->list_idle(svc->repo, now - idle_seconds * 1000,
                                                      PARLEY_LIFECYCLE_BATCH, &idle, err);
    if (st != PARLEY_OK) {
        return st;
    }
    char notice[128];
    parley_lifecycle_notice(idle_seconds, notice, sizeof notice);
    for (size_t i = 0; i < idle.count && st == PARLEY_OK; i++) {
        parley_session out = {0};
        st = parley_chat_close_by_desk(svc, idle.items[i].id, notice, &out, err);
        parley_session_free(&out);
        if (st == PARLEY_OK) {
            (*closed)++;
        }
    }
    parley_session_list_free(&idle);
    return st;
}
