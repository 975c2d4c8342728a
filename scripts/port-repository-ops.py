#!/usr/bin/env python3
"""port-repository-ops.py - rewrites calls of the old single Repository ops
table (repo->ops->session_get) into the per-aggregate form
(repo->sessions->get), for branches written against the old repository.h.

Usage: scripts/port-repository-ops.py FILE...   (rewrites in place)
       scripts/port-repository-ops.py --list    (prints the map)

The map (TABLES below) is also the record of where every op went; an op it
does not know, or one that is gone (GONE: its work is now part of another
op), is left alone and reported, to be placed by hand.
"""
# old op name -> (table field, new member name)
TABLES = {
 'accounts': ['customer_insert','customer_get','customer_find_by_identifier','agent_insert','agent_get','agent_get_by_email','agent_list','agent_count','agent_update','agent_count_active_admins','bot_insert','bot_get','bot_list','bot_update','token_insert','token_get','token_touch','token_delete','token_delete_by_owner'],
 'sessions': ['session_insert','session_get','session_update','session_list','session_set_first_response','session_list_idle'],
 'messages': ['message_insert','message_find_by_client_id','message_list','message_get'],
 'tickets': ['ticket_insert','ticket_get','ticket_update','ticket_list','ticket_note_insert','ticket_note_list','feedback_insert','feedback_get_by_session','feedback_list'],
 'desk': ['agent_set_presence','agent_note_assigned','agent_loads','session_set_routing','queue_list','requeue_candidates','queue_average_wait','team_insert','team_get','team_update','team_delete','team_list','team_find_by_topic','team_member_add','team_member_remove','team_has_member','session_set_queue_position'],
 'tools': ['canned_insert','canned_get','canned_update','canned_delete','canned_list','note_insert','note_list','read_mark','unread_count','read_list','label_insert','label_get','label_delete','label_list','session_label_add','session_label_remove'],
 'kb': ['kb_insert','kb_get','kb_update','kb_delete','kb_list','kb_load','bot_failures_add'],
 'strategy_stores': ['flagged_insert','flagged_get','flagged_list','flagged_review','message_label_get','message_label_set','spam_token_add','spam_totals_add','spam_load','allowlist_add','allowlist_remove','allowlist_load'],
 'reports': ['report_durations','report_agents','report_ratings'],
 'search': ['search_index_catch_up','message_search'],
 'retention': ['retention_purge_tokens','retention_purge_customers','retention_purge_audit','retention_purge_uploads'],
 'audit': ['audit_insert','audit_list'],
 'uploads': ['upload_insert','upload_get','upload_attach','upload_hash_in_use'],
 'settings': ['setting_get','setting_put'],
}
# old ops with no op of their own any more: a call is left alone and
# reported with where its work went, to be rewritten by hand
GONE = {
 'session_next_seq': 'messages->store (one call: the session check, the client id, the seq and the insert)',
}
PREFIX = {'sessions':'session_','messages':'message_','tickets':'ticket_','kb':'kb_','reports':'report_','audit':'audit_','uploads':'upload_','settings':'setting_','search':'search_','retention':'retention_'}
SPECIAL = {'message_search':'messages'}
MAP = {}
for t, ops in TABLES.items():
    for o in ops:
        n = SPECIAL.get(o)
        if n is None:
            p = PREFIX.get(t)
            n = o[len(p):] if p and o.startswith(p) else o
        assert o not in MAP
        MAP[o] = (t, n)
LIFECYCLE = ['name','close','begin','commit','rollback','savepoint','release','rollback_to']

import re
import sys

CALL = re.compile(r'->ops->([a-z_]+)\b')


def port(path):
    text = open(path).read()
    unknown = set()

    def sub(m):
        name = m.group(1)
        if name in GONE:
            unknown.add(name)
            return m.group(0)
        if name in MAP:
            table, new = MAP[name]
            return '->%s->%s' % (table, new)
        if name not in LIFECYCLE:
            unknown.add(name)
        return m.group(0)

    new_text = CALL.sub(sub, text)
    if new_text != text:
        open(path, 'w').write(new_text)
    return unknown


def main(argv):
    if argv[1:] == ['--list']:
        for old, (table, new) in MAP.items():
            print('%-30s %s->%s' % (old, table, new))
        for old, where in GONE.items():
            print('%-30s gone: %s' % (old, where))
        return 0
    for path in argv[1:]:
        for name in sorted(port(path)):
            if name in GONE:
                print('%s: ->ops->%s is gone; left alone: use %s' % (path, name, GONE[name]))
            else:
                # other ops tables (participants, strategies) also use ->ops->
                print('%s: ->ops->%s is not a Repository op of the map; left alone' % (path, name))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
