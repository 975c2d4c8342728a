"""Shared helpers of test_routing.py and test_presence.py: a desk reset
between tests (every open session closed, every agent offline, manual
mode) so each test sees only its own queue."""

from parley_harness import all_pages, make_agent, make_customer, make_session


def put_presence(server, token, status):
    return server.client(token).request("PUT", "/api/v1/agents/me/presence", {"status": status})


def set_settings(server, admin_token, **values):
    body = {k.replace("__", "."): v for k, v in values.items()}
    r = server.client(admin_token).patch("/api/v1/settings", body)
    assert r.status == 200, r.body
    return r.body


def open_sessions(server, token):
    out = []
    for status in ("waiting", "active"):
        out.extend(all_pages(server.client(token), f"/api/v1/sessions?status={status}&limit=200",
                             "sessions"))
    return out


def reset_desk(server, admin_token, agent_tokens):
    """Manual mode, defaults, every given agent offline, every open session
    closed: the next test starts with an empty queue."""
    set_settings(server, admin_token, **{"routing.mode": "manual", "routing.agent_capacity": 5,
                                         "routing.requeue_after_seconds": 120,
                                         "presence.offline_grace_seconds": 30})
    for token in agent_tokens:
        r = put_presence(server, token, "offline")
        assert r.status == 200, r.body
    for s in open_sessions(server, admin_token):
        r = server.client(admin_token).post(f"/api/v1/sessions/{s['id']}/close")
        assert r.status == 200, r.body


def online_agents(server, admin_token, n, status="online"):
    """n new agents with the given presence; returns [(agent, token)]."""
    out = []
    for _ in range(n):
        agent, token, _, _ = make_agent(server, admin_token)
        r = put_presence(server, token, status)
        assert r.status == 200, r.body
        out.append((agent, token))
    return out


def new_session(server, topic=None, **fields):
    customer, token = make_customer(server)
    return make_session(server, token, topic=topic, **fields), token
