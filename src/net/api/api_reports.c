/* REST handlers for the desk's reports (JSON or CSV) and the ratings list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/model_json.h"
#include "net/api/api.h"

#define WEEK_MS (7LL * 24 * 60 * 60 * 1000)

/* ?from=&to= (default: the 7 days up to now); a date as `to` includes its
 * whole day. */
static bool read_range(parley_api_call *call, parley_time_ms *from, parley_time_ms *to) {
    bool has_from = false, has_to = false;
    if (!parley_api_query_time(call, "from", false, from, &has_from) ||
        !parley_api_query_time(call, "to", true, to, &has_to)) {
        return false;
    }
    if (!has_to) {
        *to = parley_now_ms();
    }
    if (!has_from) {
        *from = *to - WEEK_MS;
    }
    return *from < *to || parley_api_invalid(call, "from: must be before to");
}

void parley_api_list_feedback(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    parley_feedback_filter filter = {.limit = 50};
    bool has_from = false, has_to = false;
    if (!parley_api_query_id(call, "agent_id", filter.agent_id) ||
        !parley_api_query_time(call, "from", false, &filter.from, &has_from) ||
        !parley_api_query_time(call, "to", true, &filter.to, &has_to) ||
        !parley_api_read_paging(call, &filter.limit, filter.cursor, sizeof filter.cursor)) {
        return;
    }
    parley_feedback_list list = {0};
    char next[PARLEY_ID_SIZE * 2] = "";
    parley_status st = parley_chat_list_feedback(parley_facade_chat(f), call->caller, &filter,
                                                 &list, next, sizeof next, &err);
    /* each rating names the agent who had the session */
    json_t *items = st == PARLEY_OK ? json_array() : NULL;
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        const char *agent_id = list.items[i].agent_id;
        json_t *item = parley_feedback_to_json(&list.items[i]);
        json_object_set_new(item, "agent_id",
                            agent_id[0] != '\0' ? json_string(agent_id) : json_null());
        json_array_append_new(items, item);
    }
    parley_feedback_list_free(&list);
    parley_api_reply_page(call, st, "feedback", items, next, &err);
}

void parley_api_report(parley_api_call *call, parley_facade *f) {
    parley_error err = {0};
    const char *slash = strrchr(call->req->path, '/');
    parley_report_kind kind;
    if (slash == NULL || !parley_report_kind_from_name(slash + 1, &kind)) {
        parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "no such report");
        parley_api_reply_error(call, &err);
        return;
    }
    parley_report_range range = {0};
    char format[16] = "";
    bool bad = false;
    if (!read_range(call, &range.from, &range.to) ||
        !parley_api_query_id(call, "agent_id", range.agent_id) ||
        !parley_api_query_id(call, "team_id", range.team_id)) {
        return;
    }
    if (parley_http_query_param(call->req, "format", format, sizeof format, &bad) &&
        strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        bad = true;
    }
    if (bad) {
        parley_api_invalid(call, "format: must be json or csv");
        return;
    }
    json_t *report = NULL;
    parley_status st =
        parley_report_run(parley_facade_repository(f), call->caller, kind, &range, &report, &err);
    if (st != PARLEY_OK || strcmp(format, "csv") != 0) {
        parley_api_reply(call, st, 200, report, &err);
        return;
    }
    char *csv = parley_report_csv(kind, report);
    json_decref(report);
    if (csv == NULL) {
        parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
        parley_api_reply_error(call, &err);
        return;
    }
    parley_api_reply_bytes(call, csv, strlen(csv), "text/csv; charset=utf-8");
    snprintf(call->res.extra_headers, sizeof call->res.extra_headers,
             "Content-Disposition: attachment; filename=\"%s.csv\"\r\n",
             parley_report_kind_name(kind));
}
