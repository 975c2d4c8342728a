#include "core/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/authorization.h"
#include "util/csv.h"
#include "core/model_json.h"

static const char *const kind_names[] = {"first-response", "resolution", "agents",
                                         "csat",           "volume",     "hours"};

bool parley_report_kind_from_name(const char *name, parley_report_kind *out) {
    for (size_t i = 0; name != NULL && i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (parley_report_kind)i;
            return true;
        }
    }
    return false;
}

const char *parley_report_kind_name(parley_report_kind kind) {
    return (size_t)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}

int64_t parley_round_div(int64_t sum, int64_t count) {
    return count > 0 ? (2 * sum + count) / (2 * count) : 0;
}

/* nearest rank: the value at rank ceil(p * n / 100), 1-based */
static int64_t nearest_rank(const int64_t *sorted, size_t n, int p) {
    size_t rank = ((size_t)p * n + 99) / 100;
    return sorted[rank > 0 ? rank - 1 : 0];
}

void parley_duration_stats_compute(const int64_t *sorted, size_t n, parley_duration_stats *out) {
    memset(out, 0, sizeof *out);
    out->count = (int64_t)n;
    if (n == 0) {
        return;
    }
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += sorted[i];
    }
    out->avg_ms = parley_round_div(sum, (int64_t)n);
    out->median_ms = nearest_rank(sorted, n, 50);
    out->p90_ms = nearest_rank(sorted, n, 90);
}

typedef struct durations {
    int64_t *items;
    size_t count;
    size_t cap;
    bool failed;
} durations;

static void collect_duration(void *ctx, int64_t value) {
    durations *d = ctx;
    if (d->failed) {
        return;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap == 0 ? 64 : d->cap * 2;
        int64_t *grown = realloc(d->items, cap * sizeof *grown);
        if (grown == NULL) {
            d->failed = true;
            return;
        }
        d->items = grown;
        d->cap = cap;
    }
    /* a clock step backwards could make one negative: count it as 0 */
    d->items[d->count++] = value > 0 ? value : 0;
}

static json_t *ms_or_null(bool has, int64_t v) {
    return has ? json_integer((json_int_t)v) : json_null();
}

static json_t *report_header(parley_report_kind kind, const parley_report_range *range) {
    return json_pack(
        "{s:s, s:o, s:o, s:o, s:o}", "report", parley_report_kind_name(kind), "from",
        parley_time_to_json(range->from), "to", parley_time_to_json(range->to), "agent_id",
        range->agent_id[0] != '\0' ? json_string(range->agent_id) : json_null(), "team_id",
        range->team_id[0] != '\0' ? json_string(range->team_id) : json_null());
}

static parley_status duration_report(parley_repository *repo, parley_report_kind kind,
                                     const parley_report_range *range, json_t *report,
                                     parley_error *err) {
    durations d = {0};
    parley_status st = repo->reports->durations(repo,
                                                kind == PARLEY_REPORT_KIND_FIRST_RESPONSE
                                                    ? PARLEY_REPORT_FIRST_RESPONSE
                                                    : PARLEY_REPORT_RESOLUTION,
                                                range, collect_duration, &d, err);
    if (st == PARLEY_OK && d.failed) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK) {
        parley_duration_stats stats;
        parley_duration_stats_compute(d.items, d.count, &stats);
        bool has = stats.count > 0;
        json_object_set_new(report, "count", json_integer((json_int_t)stats.count));
        json_object_set_new(report, "avg_ms", ms_or_null(has, stats.avg_ms));
        json_object_set_new(report, "median_ms", ms_or_null(has, stats.median_ms));
        json_object_set_new(report, "p90_ms", ms_or_null(has, stats.p90_ms));
    }
    free(d.items);
    return st;
}

/* two decimals, rounded half up */
static json_t *rating_average(int64_t sum, int64_t count) {
    return count > 0 ? json_real((double)parley_round_div(sum * 100, count) / 100.0) : json_null();
}

static void collect_agent(void *ctx, const parley_agent_report_row *row) {
    json_t *agents = ctx;
    json_array_append_new(
        agents, json_pack("{s:s, s:s?, s:I, s:I, s:o, s:I, s:o, s:I}", "agent_id", row->agent_id,
                          "name", row->name, "handled", (json_int_t)row->handled, "closed",
                          (json_int_t)row->closed, "avg_first_response_ms",
                          ms_or_null(row->first_response_count > 0,
                                     parley_round_div(row->first_response_sum_ms,
                                                      row->first_response_count)),
                          "responded", (json_int_t)row->first_response_count, "csat_average",
                          rating_average(row->rating_sum, row->rating_count), "csat_count",
                          (json_int_t)row->rating_count));
}

/* ---- volume and hours ------------------------------------------------------- */

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)

typedef struct day_bucket {
    int64_t sessions;
    int64_t first_response_sum, first_response_count;
    int64_t resolution_sum, resolution_count;
} day_bucket;

typedef struct volume {
    int64_t first_day; /* days since the epoch */
    size_t day_count;
    day_bucket *days;
    int64_t hours[7][24]; /* [weekday, Monday 0][hour] */
} volume;

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void collect_session(void *ctx, const parley_report_session *row) {
    volume *v = ctx;
    int64_t day = floor_div(row->created_at, DAY_MS);
    if (day >= v->first_day && day < v->first_day + (int64_t)v->day_count) {
        day_bucket *b = &v->days[day - v->first_day];
        b->sessions++;
        if (row->first_response_at != 0) {
            b->first_response_sum += row->first_response_at > row->created_at
                                         ? row->first_response_at - row->created_at
                                         : 0;
            b->first_response_count++;
        }
        if (row->closed_at != 0) {
            b->resolution_sum +=
                row->closed_at > row->created_at ? row->closed_at - row->created_at : 0;
            b->resolution_count++;
        }
    }
    /* 1970-01-01 was a Thursday: Monday is 0 */
    int weekday = (int)((day % 7 + 7 + 3) % 7);
    int hour = (int)(floor_div(row->created_at, HOUR_MS) % 24 + 24) % 24;
    v->hours[weekday][hour]++;
}

static json_t *day_json(int64_t day, const day_bucket *b) {
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    char date[16] = "";
    if (gmtime_r(&t, &tm) != NULL) {
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    }
    return json_pack("{s:s, s:I, s:I, s:o, s:I, s:o}", "date", date, "sessions",
                     (json_int_t)b->sessions, "first_response_count",
                     (json_int_t)b->first_response_count, "avg_first_response_ms",
                     ms_or_null(b->first_response_count > 0,
                                parley_round_div(b->first_response_sum, b->first_response_count)),
                     "resolution_count", (json_int_t)b->resolution_count, "avg_resolution_ms",
                     ms_or_null(b->resolution_count > 0,
                                parley_round_div(b->resolution_sum, b->resolution_count)));
}

static parley_status volume_report(parley_repository *repo, parley_report_kind kind,
                                   const parley_report_range *range, json_t *report,
                                   parley_error *err) {
    volume v = {0};
    v.first_day = floor_div(range->from, DAY_MS);
    int64_t last_day = floor_div(range->to - 1, DAY_MS);
    if (kind == PARLEY_REPORT_KIND_VOLUME &&
        last_day - v.first_day + 1 > PARLEY_REPORT_VOLUME_DAYS_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed",
                                "from: the range covers at most %d days",
                                PARLEY_REPORT_VOLUME_DAYS_MAX);
    }
    /* the hours report needs no days */
    v.day_count = kind == PARLEY_REPORT_KIND_VOLUME ? (size_t)(last_day - v.first_day + 1) : 0;
    v.days = calloc(v.day_count + 1, sizeof *v.days);
    if (v.days == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    parley_status st = repo->reports->sessions(repo, range, collect_session, &v, err);
    json_t *rows = st == PARLEY_OK ? json_array() : NULL;
    if (rows != NULL && kind == PARLEY_REPORT_KIND_VOLUME) {
        for (size_t i = 0; i < v.day_count; i++) {
            json_array_append_new(rows, day_json(v.first_day + (int64_t)i, &v.days[i]));
        }
    } else if (rows != NULL) {
        for (int d = 0; d < 7; d++) {
            for (int h = 0; h < 24; h++) {
                json_array_append_new(rows, json_pack("{s:i, s:i, s:I}", "weekday", d, "hour", h,
                                                      "sessions", (json_int_t)v.hours[d][h]));
            }
        }
    }
    free(v.days);
    if (st == PARLEY_OK && rows == NULL) {
        st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    if (st == PARLEY_OK) {
        json_object_set_new(report, kind == PARLEY_REPORT_KIND_VOLUME ? "days" : "hours", rows);
    }
    return st;
}

parley_status parley_report_run(parley_repository *repo, const parley_participant *caller,
                                parley_report_kind kind, const parley_report_range *range,
                                json_t **out, parley_error *err) {
    *out = NULL;
    parley_status st = parley_authorize(caller, PARLEY_ACTION_REPORT_READ, err);
    if (st != PARLEY_OK) {
        return st;
    }
    json_t *report = report_header(kind, range);
    if (report == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    switch (kind) {
    case PARLEY_REPORT_KIND_FIRST_RESPONSE:
    case PARLEY_REPORT_KIND_RESOLUTION:
        st = duration_report(repo, kind, range, report, err);
        break;
    case PARLEY_REPORT_KIND_AGENTS: {
        json_t *agents = json_array();
        json_object_set_new(report, "agents", agents);
        st = repo->reports->agents(repo, range, collect_agent, agents, err);
        break;
    }
    case PARLEY_REPORT_KIND_VOLUME:
    case PARLEY_REPORT_KIND_HOURS:
        st = volume_report(repo, kind, range, report, err);
        break;
    case PARLEY_REPORT_KIND_CSAT: {
        int64_t counts[5];
        st = repo->reports->ratings(repo, range, counts, err);
        if (st == PARLEY_OK) {
            int64_t total = 0, sum = 0;
            json_t *dist = json_array();
            for (int r = 1; r <= 5; r++) {
                total += counts[r - 1];
                sum += counts[r - 1] * r;
                json_array_append_new(
                    dist, json_pack("{s:i, s:I}", "rating", r, "count", (json_int_t)counts[r - 1]));
            }
            json_object_set_new(report, "count", json_integer((json_int_t)total));
            json_object_set_new(report, "average", rating_average(sum, total));
            json_object_set_new(report, "distribution", dist);
        }
        break;
    }
    }
    if (st != PARLEY_OK) {
        json_decref(report);
        return st;
    }
    *out = report;
    return PARLEY_OK;
}

char *parley_report_csv(parley_report_kind kind, json_t *report) {
    static const char *const duration_cols[] = {"from",   "to",        "agent_id", "count",
                                                "avg_ms", "median_ms", "p90_ms"};
    static const char *const agent_cols[] = {
        "agent_id",  "name",         "handled",   "closed", "avg_first_response_ms",
        "responded", "csat_average", "csat_count"};
    static const char *const csat_cols[] = {"rating", "count"};
    static const char *const volume_cols[] = {"date",
                                              "sessions",
                                              "first_response_count",
                                              "avg_first_response_ms",
                                              "resolution_count",
                                              "avg_resolution_ms"};
    static const char *const hours_cols[] = {"weekday", "hour", "sessions"};
    switch (kind) {
    case PARLEY_REPORT_KIND_FIRST_RESPONSE:
    case PARLEY_REPORT_KIND_RESOLUTION: {
        json_t *rows = json_pack("[O]", report);
        char *csv = rows != NULL ? parley_csv_render(duration_cols, 7, rows) : NULL;
        json_decref(rows);
        return csv;
    }
    case PARLEY_REPORT_KIND_AGENTS:
        return parley_csv_render(agent_cols, 8, json_object_get(report, "agents"));
    case PARLEY_REPORT_KIND_CSAT:
        return parley_csv_render(csat_cols, 2, json_object_get(report, "distribution"));
    case PARLEY_REPORT_KIND_VOLUME:
        return parley_csv_render(volume_cols, 6, json_object_get(report, "days"));
    case PARLEY_REPORT_KIND_HOURS:
        return parley_csv_render(hours_cols, 3, json_object_get(report, "hours"));
    }
    return NULL;
}
