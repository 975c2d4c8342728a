#include "util/fd_limit.h"

#include <stdio.h>
#include <sys/resource.h>

/* The kernel's own ceiling for one process (an "unlimited" hard limit
 * still cannot exceed it). */
static rlim_t nr_open(void) {
    rlim_t value = 1u << 20;
    FILE *f = fopen("/proc/sys/fs/nr_open", "r");
    if (f != NULL) {
        unsigned long long v = 0;
        if (fscanf(f, "%llu", &v) == 1 && v > 0 && v < value) {
            value = (rlim_t)v;
        }
        fclose(f);
    }
    return value;
}

int parley_fd_limit_fit(parley_fd_limit *out) {
    out->before = out->soft = out->fit = INT64_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return -1;
    }
    out->before = rl.rlim_cur == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_cur;
    rlim_t want = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) {
        want = rl.rlim_cur;
    } else {
        struct rlimit raised = {.rlim_cur = want, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
            want = rl.rlim_cur;
        }
    }
    out->soft = want == RLIM_INFINITY ? INT64_MAX : (int64_t)want;
    if (out->soft == INT64_MAX) {
        return 0;
    }
    out->fit = out->soft > PARLEY_FD_RESERVE ? out->soft - PARLEY_FD_RESERVE : 1;
    return 0;
}
