"""The fault switches the fault catalogue (``tests/integration/test_faults.py``) drives:
errors of any status from ``fail_routes``, held replies, a frame cut mid-way, request
counts, pending gates at start-up, bulk gates and session deletion."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest

from hoody_tui.refserver import ServerConfig, start_in_thread

from .helpers import TIMEOUT, Api, Events, LineReader


def wait_for(condition, what: str, timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` (the server's own record) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.parametrize(("status", "code", "body"), [
    (403, None, {"name": "ForbiddenError", "data": {"message": "This token may not access this workspace"}}),
    (401, None, {"name": "UnauthorizedError", "data": {"message": "Missing or invalid bearer token"}}),
    (409, "gate_already_answered", {"error": "Injected conflict for {path}", "code": "gate_already_answered"}),
    (503, None, {"name": "UnknownError", "data": {"message": "Injected failure for {path}"}}),
    (404, None, {"name": "NotFoundError", "data": {"message": "Injected not-found for {path}"}}),
])
def test_fail_routes_answer_with_the_chosen_status_in_its_shape(fresh, status, code, body):
    srv = fresh(scenario="none", fail_routes=[r"/permissions$"], fail_status=status, fail_code=code)
    api = Api(srv)
    response = api.get("/permissions")
    path = f"{srv.prefix}/workspaces/{srv.workspace}/permissions"
    assert response.status_code == status
    assert response.json() == json.loads(json.dumps(body).replace("{path}", path))
    assert api.get("/sessions").status_code == 200, "only the matching routes fail"
    srv.set_faults(fail_status=500)
    assert api.get("/permissions").status_code == 500


def test_every_request_is_counted_by_path_refused_ones_too(fresh):
    srv = fresh(scenario="none", token="tok-123")
    for _ in range(3):
        assert httpx.get(f"{srv.base}/sessions", timeout=TIMEOUT).status_code == 401
    assert Api(srv, token="tok-123").get("/sessions").status_code == 200
    assert srv.call(srv.state.hit_count, "/sessions") == 4
    assert srv.call(srv.state.hit_count, "/meta/events") == 0


def test_a_held_route_answers_only_once_released(fresh):
    srv = fresh(scenario="none", hold_routes=[r"/sessions$"])
    answers: list[int] = []

    def ask() -> None:
        answers.append(httpx.get(f"{srv.base}/sessions", timeout=TIMEOUT).status_code)

    thread = threading.Thread(target=ask)
    thread.start()
    wait_for(lambda: srv.call(srv.state.hit_count, "/sessions") == 1, "the held request to arrive")
    assert Api(srv).get("/permissions").status_code == 200, "other routes are not held"
    assert thread.is_alive() and answers == []
    srv.set_faults(hold_routes=[])
    thread.join(TIMEOUT)
    assert answers == [200]


def test_truncate_once_cuts_the_next_frame_and_ends_that_connection(fresh):
    srv = fresh(scenario="none")
    with LineReader(f"{srv.base}/meta/events") as reader:
        assert "server.connected" in reader.get()
        srv.set_faults(truncate_once=True)
        srv.call(srv.state.emit, {"type": "test.cut", "properties": {"n": 1}})
        rest = []
        while (line := reader.get()) is not None:
            rest.append(line)
    assert rest[0] == "" and rest[1].startswith("data: {") and len(rest) == 2, rest
    with pytest.raises(json.JSONDecodeError):
        json.loads(rest[1][6:])
    assert srv.set_faults()["truncate_once"] is False, "one-shot"
    with Events(f"{srv.base}/meta/events") as events:  # the next connection is whole
        srv.call(srv.state.emit, {"type": "test.cut", "properties": {"n": 2}})
        assert events.wait_type("test.cut")["properties"] == {"n": 2}


def test_pending_gates_at_start_up(fresh):
    srv = fresh(scenario="none", pending_gates=3)
    pending = Api(srv).get("/permissions").json()
    assert [p["metadata"]["command"] for p in pending] == ["make step-1", "make step-2", "make step-3"]
    (session,) = Api(srv).get("/sessions").json()
    assert {p["sessionID"] for p in pending} == {session["id"]} and session["title"] == "Waiting for 3 decisions"


def test_bulk_permissions_and_session_removal(fresh):
    srv = fresh(scenario="none")
    sid = srv.call(srv.state.create_session, "Bulk")["id"]
    with Events(f"{srv.base}/meta/events") as events:
        ids = srv.call(srv.state.raise_permissions, sid, 250)
        assert len(set(ids)) == 250
        assert [p["id"] for p in Api(srv).get("/permissions").json()] == ids
        srv.call(srv.state.remove_session, sid)
        events.wait_type("session.deleted")
    assert Api(srv).get(f"/sessions/{sid}").status_code == 404
    assert Api(srv).get("/permissions").json() == []


def test_bad_fault_values_are_refused():
    for bad in ({"fail_status": 200}, {"fail_status": True}, {"fail_code": ""}, {"hold_routes": ["("]},
                {"truncate_once": "yes"}, {"pending_gates": -1}):
        with pytest.raises(ValueError):
            start_in_thread(ServerConfig(**bad))


def test_cli_has_pending_gates_and_fail_status():
    cmd = [sys.executable, "-m", "hoody_tui.refserver.cli"]
    help_text = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--pending-gates" in help_text and "--fail-status" in help_text
    bad = subprocess.run([*cmd, "--fail-status", "200"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "400-599" in bad.stderr
