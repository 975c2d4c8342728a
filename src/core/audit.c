#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/ids.h"
#include "core/model_json.h"

parley_status parley_audit_record(parley_repository *repo, const parley_participant *actor,
                                  const char *action, const char *target_id, const char *ip,
                                  json_t *detail, parley_error *err) {
    parley_audit_entry e = {0};
    e.at = parley_now_ms();
    if (actor != NULL) {
        e.has_actor = true;
        e.actor_kind = parley_participant_kind_of(actor);
        snprintf(e.actor_id, sizeof e.actor_id, "%s", actor->id);
    }
    snprintf(e.action, sizeof e.action, "%s", action);
    snprintf(e.target_id, sizeof e.target_id, "%s", target_id != NULL ? target_id : "");
    snprintf(e.ip, sizeof e.ip, "%s", ip != NULL ? ip : "");
    e.detail_json = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    parley_status st = repo->audit->insert(repo, &e, err);
    free(e.detail_json);
    return st;
}

json_t *parley_audit_entry_to_json(const parley_audit_entry *e) {
    json_error_t error;
    json_t *detail = e->detail_json != NULL ? json_loads(e->detail_json, 0, &error) : NULL;
    json_t *actor = e->has_actor
                        ? json_pack("{s:s, s:s}", "type",
                                    parley_participant_kind_name(e->actor_kind), "id", e->actor_id)
                        : json_null();
    return json_pack("{s:I, s:o, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)e->position, "at",
                     parley_time_to_json(e->at), "actor", actor, "action", e->action, "target_id",
                     e->target_id[0] != '\0' ? json_string(e->target_id) : json_null(), "ip",
                     e->ip[0] != '\0' ? json_string(e->ip) : json_null(), "detail",
                     detail != NULL ? detail : json_object());
}

PARLEY_DEFINE_LIST_JSON(parley_audit_list, parley_audit_entry_to_json)
