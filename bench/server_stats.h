/*
 * server_stats.h - what the server under test spent, read from /proc for
 * --server-pid: user+system CPU and bytes the kernel accounted as written
 * to storage (write_bytes in /proc/PID/io: the WAL, the database file and
 * checkpoints, counted when the page cache is dirtied), and resident
 * memory. The bench divides the differences over load + drain by the
 * messages delivered, which makes runs of different lengths and rates
 * comparable (BENCHMARKS.md "What parley-bench measures").
 *
 * Ownership: plain values, nothing to free. Threads: the bench's loop
 * thread only. The process must be readable by the bench's user (same
 * user, or ptrace allowed); an unreadable field reads as valid = false.
 */
#ifndef PB_SERVER_STATS_H
#define PB_SERVER_STATS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pb_server_sample {
    bool valid;
    double cpu_s;         /* utime + stime, seconds */
    uint64_t write_bytes; /* /proc/PID/io write_bytes */
    uint64_t rss_kb;      /* VmRSS */
    uint64_t hwm_kb;      /* VmHWM: peak RSS */
} pb_server_sample;

/* Reads the three files of pid; out->valid is false if any is unreadable. */
void pb_server_sample_read(long pid, pb_server_sample *out);

#endif
