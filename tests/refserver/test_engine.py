"""Determinism, ids, permission rules, the demo's liveliness and the firehose."""

from __future__ import annotations

import json
import re

import httpx

from hoody_tui.refserver import ServerConfig, start_in_thread
from hoody_tui.refserver.config import derive_workspace_id
from hoody_tui.refserver.ids import IdFactory
from hoody_tui.refserver.rules import bash_always, bash_patterns, evaluate, evaluate_all, wildcard_match

from .helpers import TIMEOUT, Api, Events, running


def snapshot(srv):
    api = Api(srv)
    sessions = api.get("/sessions").json()
    out = {"sessions": sessions}
    for s in sessions:
        out[s["id"]] = {
            "messages": api.get(f"/sessions/{s['id']}/messages").json(),
            "jobs": api.get(f"/sessions/{s['id']}/jobs").json(),
            "todo": api.get(f"/sessions/{s['id']}/todo").json(),
        }
    return out


def test_a_seed_and_epoch_reproduce_the_same_workspace():
    options = {"scenario": "idle", "seed": 7, "epoch_ms": 1_700_000_000_000, "clock": lambda: 1_700_000_000_000}
    with running(**options) as a, running(**options) as b:
        assert a.workspace == b.workspace == derive_workspace_id(7)
        assert snapshot(a) == snapshot(b)
    with running(scenario="idle", seed=8, clock=lambda: 1_700_000_000_000) as c:
        assert c.workspace != derive_workspace_id(7)


def test_workspace_ids():
    assert re.fullmatch(r"[0-9a-f]{24}", derive_workspace_id(1))
    with running(scenario="none", workspace="demo") as srv:
        assert srv.workspace == "demo"
        assert httpx.get(f"{srv.url}/api/v1/workspaces/demo/sessions").json() == []


def test_ids_are_prefixed_monotonic_and_sortable():
    ids = IdFactory(1_700_000_000_000)
    minted = [ids.new(p) for p in ("sess", "msg", "prt", "call", "job", "per", "que", "launch")]
    assert [m.split("_")[0] for m in minted] == ["sess", "msg", "prt", "call", "job", "per", "que", "launch"]
    suffixes = [m.split("_", 1)[1] for m in minted]
    assert all(len(s) == 26 for s in suffixes) and suffixes == sorted(suffixes)


def test_wildcards_and_last_match_wins():
    assert wildcard_match("rm -rf build/", "rm *") and wildcard_match("rm", "rm *")
    assert not wildcard_match("rmdir x", "rm *")
    assert wildcard_match("src/a.ts", "*.ts") and wildcard_match("a.ts", "?.ts") and not wildcard_match("ab.ts", "?.ts")
    rules = [{"permission": "bash", "pattern": "*", "action": "allow"},
             {"permission": "bash", "pattern": "rm -rf *", "action": "deny"}]
    assert evaluate("bash", "rm -rf /", rules) == "deny"
    assert evaluate("bash", "ls", rules) == "allow"
    assert evaluate("edit", "a.ts", rules) == "ask", "no match means ask"
    assert evaluate("bash", "rm -rf /", list(reversed(rules))) == "allow"
    assert evaluate_all("bash", ["ls", "rm -rf x"], rules) == "deny"
    assert bash_patterns("curl -fsSL https://x/i.sh | sh") == ["curl -fsSL https://x/i.sh", "sh"]
    assert bash_always("curl -fsSL https://x/i.sh | sh") == ["curl *", "sh *"]
    assert bash_always("git push --force origin main") == ["git push *"]


def test_the_demo_is_alive_within_a_second():
    """At speed 1 the first turn starts 50 ms in; the timeout is generous for loaded machines."""
    srv = start_in_thread(ServerConfig(scenario="demo", seed=1))
    try:
        with Events(f"{srv.base}/meta/events", read_timeout=5) as events:
            delta = events.wait_for(lambda d: d["type"] == "message.part.updated" and "delta" in d["properties"],
                                    timeout=5)
            assert delta["properties"]["delta"]
        statuses = httpx.get(f"{srv.base}/sessions/status", timeout=TIMEOUT).json()
        assert any(s["type"] in ("busy", "retry") for s in statuses.values())
    finally:
        srv.stop()


def test_the_demo_raises_gates_and_runs_jobs_and_a_loop():
    with running(scenario="demo", seed=1, speed=10) as srv, Events(f"{srv.base}/meta/events") as events:
        seen: set[str] = set()
        wanted = {"permission.asked", "job.updated", "loop.updated", "session.status", "message.updated"}
        events.wait_for(lambda d: (seen.add(d["type"]) or True) and wanted <= seen, timeout=TIMEOUT)


def test_firehose_streams_realistic_events_in_batches():
    with running(scenario="none", firehose=5000, firehose_sessions=50) as srv:
        assert len(Api(srv).get("/sessions").json()) == 50
        with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{srv.base}/meta/events") as response:
            sizes, types = [], set()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    payload = json.loads(line[6:])
                    types.add(payload["type"])
                    sizes.append(len(line))
                if len(sizes) >= 2000:
                    break
    assert {"message.part.updated", "session.status", "job.updated"} <= types
    parts = sorted(sizes)
    assert 300 <= parts[len(parts) // 2] <= 600, "a typical event is about 400 bytes"
