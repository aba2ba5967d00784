"""Injected faults (options, the Python handle, ``/_control/faults``), the bounded
subscriber backlog, alternative shapes, and bearer auth."""

from __future__ import annotations

import json
import queue
import time

import httpx
import pytest

from hoody_tui.refserver import ServerConfig, start_in_thread

from .helpers import TIMEOUT, Api, Events, LineReader

MALFORMED_PREFIX = 'data: {"type":"message.part.updated","properties":{"part":{"id":'


def emit(srv, n, type_="test.tick"):
    for i in range(n):
        srv.call(srv.state.emit, {"type": type_, "properties": {"i": i}})


def data_lines(response):
    return (line for line in response.iter_lines() if line.startswith("data:"))


def test_drop_after_closes_each_connection_after_n_events(fresh):
    srv = fresh(scenario="none", drop_after=3)
    with httpx.Client(timeout=TIMEOUT) as client:
        for _ in range(2):  # every connection, not just the first
            with client.stream("GET", f"{srv.base}/meta/events") as response:
                lines = data_lines(response)
                assert "server.connected" in next(lines)
                emit(srv, 5)
                rest = list(lines)  # ends when the server closes the stream
            assert [json.loads(line[6:])["properties"]["i"] for line in rest] == [0, 1]


def test_malformed_every_inserts_invalid_frames(fresh):
    srv = fresh(scenario="none", malformed_every=2)
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{srv.base}/meta/events") as response:
        lines = data_lines(response)
        emit(srv, 3)
        got = [next(lines) for _ in range(6)]
    kinds = []
    for line in got:
        try:
            kinds.append(json.loads(line[6:])["type"])
        except json.JSONDecodeError:
            kinds.append("BAD")
    assert kinds == ["server.connected", "test.tick", "BAD", "test.tick", "test.tick", "BAD"]


def test_malformed_once_and_runtime_changes_through_the_handle(fresh):
    srv = fresh(scenario="none")
    with Events(f"{srv.base}/meta/events") as events:
        faults = srv.set_faults(malformed_once=True)
        assert faults["malformed_once"] is True
        emit(srv, 2)
        assert events.next().data.startswith(MALFORMED_PREFIX[6:])
        assert json.loads(events.next().data)["properties"] == {"i": 0}
        assert json.loads(events.next().data)["properties"] == {"i": 1}
    assert srv.set_faults()["malformed_once"] is False, "one-shot"
    with pytest.raises(ValueError, match="unknown fault"):
        srv.set_faults(explode=True)


def test_fail_routes_and_the_control_route(fresh):
    srv = fresh(scenario="none", control=True, fail_routes=[r"/sessions$"])
    api = Api(srv)
    failing = api.get("/sessions")
    assert failing.status_code == 500
    assert failing.json()["name"] == "UnknownError" and "Injected failure" in failing.json()["data"]["message"]
    assert api.get("/permissions").status_code == 200
    control = httpx.post(f"{srv.url}/_control/faults", json={"fail_routes": [], "delay_ms": 150})
    assert control.status_code == 200 and control.json()["delay_ms"] == 150
    started = time.monotonic()
    assert api.get("/sessions").status_code == 200
    assert time.monotonic() - started >= 0.15
    bad = httpx.post(f"{srv.url}/_control/faults", json={"drop_after": -1})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "faults"
    assert httpx.get(f"{srv.url}/_control/faults").json()["delay_ms"] == 150


def test_control_route_is_absent_unless_asked(fresh):
    srv = fresh(scenario="none")
    assert httpx.post(f"{srv.url}/_control/faults", json={}).status_code == 404


def test_stall_silences_the_stream_until_cleared(fresh):
    srv = fresh(scenario="none", heartbeat_interval=0.05)
    with LineReader(f"{srv.base}/meta/events") as reader:
        assert "server.connected" in reader.get()
        assert reader.get() == "" and reader.get() == ": heartbeat", "beats every 50 ms"
        srv.set_faults(stall=True)
        # Whatever was already on its way may still arrive; then nothing, heartbeats included.
        with pytest.raises(queue.Empty):
            for _ in range(100):
                reader.get(timeout=0.5)
        emit(srv, 1)
        srv.set_faults(stall=False)
        line = reader.get()
        while "test.tick" not in (line or "test.tick"):
            line = reader.get()
        assert line and json.loads(line[6:])["type"] == "test.tick"


def test_a_slow_subscriber_is_dropped_not_waited_for(fresh):
    srv = fresh(scenario="none", subscriber_buffer=20)
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{srv.base}/meta/events") as response:
        lines = response.iter_lines()
        assert "server.connected" in next(lines)
        # 200 events published in one go overflow the 20-frame backlog at once.
        srv.call(lambda: [srv.state.emit({"type": "test.flood", "properties": {"i": i}}) for i in range(200)])
        assert srv.call(lambda: srv.state.bus.dropped_subscribers) == 1
        rest = list(lines)  # the server closed the connection
        assert len([line for line in rest if line.startswith("data:")]) <= 20
    with Events(f"{srv.base}/meta/events") as events:  # a new connection works normally
        emit(srv, 1)
        events.wait_type("test.tick")


def test_alt_shapes(fresh):
    srv = fresh(alt_shapes=True, sessions=3)
    api = Api(srv)
    sessions = api.get("/sessions", params={"limit": 2}).json()
    assert set(sessions) == {"items", "total", "cursor"}
    assert len(sessions["items"]) == 2 and sessions["total"] == 3 and sessions["cursor"] == sessions["items"][-1]["id"]
    last = api.get("/sessions", params={"cursor": sessions["cursor"]}).json()
    assert len(last["items"]) == 1 and last["cursor"] is None
    sid = sessions["items"][0]["id"]
    jobs = api.get(f"/sessions/{sid}/jobs").json()
    assert set(jobs) == {"items", "total", "cursor"}
    assert set(api.get("/permissions").json()) == {"items", "total", "cursor"}
    assert set(api.get(f"/sessions/{sid}/messages").json()) == {"items", "total", "cursor"}
    assert api.get("/sessions/sess_nope").json() == {"error": {"code": "NOT_FOUND", "message": "Session not found"}}
    invalid = api.post(f"/sessions/{sid}/loop", {"prompt": "x", "iters": 0}).json()
    assert invalid == {"error": {"code": "VALIDATION_ERROR", "message": "iters: Must be between 1 and 100"}}
    srv.call(srv.state.set_loop, sid, "x", 2)
    conflict = api.post(f"/sessions/{sid}/loop", {"prompt": "x", "iters": 2}).json()
    assert conflict == {"error": {"code": "LOOP_ALREADY_ACTIVE", "message": "A loop is already active on this session"}}
    assert api.get(f"/sessions/{sid}/loop").json()["iters"] == 2, "single objects are unchanged"


def test_bearer_auth(fresh):
    srv = fresh(scenario="none", token="s3cret-token")
    assert "s3cret" not in repr(srv.config)
    unauthorized = {"name": "UnauthorizedError", "data": {"message": "Missing or invalid bearer token"}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        response = httpx.get(f"{srv.base}/sessions", headers=headers)
        assert response.status_code == 401 and response.json() == unauthorized
    stream = httpx.get(f"{srv.base}/meta/events")
    assert stream.status_code == 401 and stream.headers["content-type"] == "application/json"
    assert httpx.get(f"{srv.url}/api/v1/workspaces/health").json() == {"status": "ok"}, "health needs no token"
    assert Api(srv, token="s3cret-token").get("/sessions").json() == []
    with Events(f"{srv.base}/meta/events", headers={"Authorization": "Bearer s3cret-token"}):
        pass


def test_bad_options_are_refused_before_starting():
    for bad in ({"prefix": "v2"}, {"scenario": "party"}, {"speed": 0}, {"heartbeat_style": "loud"},
                {"fail_routes": ["("]}, {"drop_after": 0}):
        with pytest.raises(ValueError):
            start_in_thread(ServerConfig(**bad))
