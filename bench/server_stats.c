#include "server_stats.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* utime and stime are fields 14 and 15 of /proc/PID/stat, after the
 * parenthesised command name (which may hold spaces). */
static bool pb_read_cpu(long pid, double *out) {
    char path[64];
    char line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    const char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long long utime = 0, stime = 0;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) */
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                            &stime) != 2) {
        return false;
    }
    long hz = sysconf(_SC_CLK_TCK);
    *out = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
    return true;
}

/* The value of the line "name: N" (or "name N kB") of a /proc file. */
static bool pb_read_field(long pid, const char *file, const char *name, uint64_t *out) {
    char path[64];
    char line[256];
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    size_t len = strlen(name);
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned long long v = 0;
        if (strncmp(line, name, len) == 0 && line[len] == ':' &&
            sscanf(line + len + 1, " %llu", &v) == 1) {
            *out = v;
            found = true;
        }
    }
    fclose(f);
    return found;
}

void pb_server_sample_read(long pid, pb_server_sample *out) {
    memset(out, 0, sizeof *out);
    out->valid = pid > 0 && pb_read_cpu(pid, &out->cpu_s) &&
                 pb_read_field(pid, "io", "write_bytes", &out->write_bytes) &&
                 pb_read_field(pid, "status", "VmRSS", &out->rss_kb) &&
                 pb_read_field(pid, "status", "VmHWM", &out->hwm_kb);
}
