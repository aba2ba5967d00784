"""Recurring loops: create (with its validation), list, the one-intent PATCH (zero or
several intents rejected), run-now, runs on the interval, caps, delete."""

from __future__ import annotations

import pytest

from .helpers import wait_until


def _loop(http, sid, loop_id):
    items = http.get(f"/sessions/{sid}/loops", params={"limit": 0}).json()["items"]
    return next((item for item in items if item["id"] == loop_id), None)


def test_create_and_list_loops(http, sid):
    body = {"prompt": "Run the tests.", "interval": "2h", "max_runs": 3, "stop_when": "all green",
            "max_cost_usd": 1.5, "max_wall_ms": "10m"}
    made = http.post(f"/sessions/{sid}/loops", json=body)
    assert made.status_code == 200
    loop = made.json()
    for key in ("id", "session_id", "prompt", "interval", "max_runs", "runs", "stop_when", "max_cost_usd",
                "cost_usd", "max_wall_ms", "paused", "expires_at", "next_run_at", "last_run_at"):
        assert key in loop, key
    assert loop["session_id"] == sid and loop["runs"] == 0 and loop["max_wall_ms"] == 600000
    assert loop["paused"] is False and loop["next_run_at"] is not None and loop["last_run_at"] is None
    second = http.post(f"/sessions/{sid}/loops", json={"prompt": "Lint."}).json()
    assert second["interval"] == "30m", "many loops per session"
    page = http.get(f"/sessions/{sid}/loops", params={"limit": 1, "page": 2}).json()
    assert page["meta"] == {"page": 2, "limit": 1, "total": 2} and page["items"][0]["id"] == second["id"]


@pytest.mark.parametrize("body", [{}, {"prompt": ""}, {"prompt": "x", "interval": "soon"},
                                  {"prompt": "x", "max_runs": -1}, {"prompt": "x", "max_cost_usd": "lots"}])
def test_a_bad_loop_is_400(http, sid, body):
    response = http.post(f"/sessions/{sid}/loops", json=body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_patch_takes_exactly_one_intent(http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "x", "interval": "1h"}).json()
    url = f"/sessions/{sid}/loops/{loop['id']}"
    paused = http.patch(url, json={"paused": True}).json()
    assert paused["paused"] is True and paused["status"] == "paused" and paused["next_run_at"] is None
    resumed = http.patch(url, json={"paused": False}).json()
    assert resumed["paused"] is False and resumed["next_run_at"] is not None
    expiring = http.patch(url, json={"expires_in": "2h"}).json()
    assert expiring["expires_at"] is not None
    assert http.patch(url, json={"expires_in": "never"}).json()["expires_at"] is None
    budget = http.patch(url, json={"max_cost_usd": 2, "max_wall_ms": 5000}).json()
    assert budget["max_cost_usd"] == 2 and budget["max_wall_ms"] == 5000, "both budget keys are one intent"
    for bad in ({}, {"paused": True, "expires_in": "2h"}, {"paused": True, "max_cost_usd": 1}, {"colour": "red"},
                {"paused": "yes"}):
        response = http.patch(url, json=bad)
        assert response.status_code == 400, bad
        assert response.json()["code"] in ("invalid_intent", "invalid_request")
    assert http.patch(url, json={}).json()["code"] == "invalid_intent"
    assert http.patch(url, json={"paused": True, "expires_in": "2h"}).json()["code"] == "invalid_intent"


def test_run_now_fires_a_run_and_counts_it(http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "Check the build.", "interval": "1h"}).json()
    fired = http.post(f"/sessions/{sid}/loops/{loop['id']}/run-now")
    assert fired.status_code == 202
    job = fired.json()["job_id"]
    wait_until(lambda: _loop(http, sid, loop["id"])["runs"] == 1, "the run to be counted")
    after = _loop(http, sid, loop["id"])
    assert after["last_run_at"] is not None and after["cost_usd"] > 0
    view = http.get(f"/jobs/{job}").json()
    assert view["kind"] == "loop_run" and view["loop_id"] == loop["id"] and view["status"] == "completed"


def test_run_now_while_a_turn_runs_is_409(gw, http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "x", "interval": "1h"}).json()
    gw.call(gw.state.start_turn, sid, hold=True)
    busy = http.post(f"/sessions/{sid}/loops/{loop['id']}/run-now")
    assert busy.status_code == 409 and busy.json()["code"] == "turn_in_flight"
    gw.call(gw.state.release, sid)


def test_loops_fire_on_their_interval_until_max_runs(http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "Tick.", "interval": "1s", "max_runs": 2}).json()
    done = wait_until(lambda: (item := _loop(http, sid, loop["id"])) and item["status"] == "finished" and item,
                      "two runs on the interval")
    assert done["runs"] == 2 and done["stop_reason"] == "max_runs" and done["next_run_at"] is None


def test_stop_when_ends_a_loop(http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "Tick.", "interval": "1s",
                                                     "stop_when": "SUITE PASSES"}).json()
    done = wait_until(lambda: (item := _loop(http, sid, loop["id"])) and item["status"] == "finished" and item,
                      "the stop predicate")
    assert done["runs"] == 1 and done["stop_reason"] == "stop_when"


def test_delete_a_loop(http, sid):
    loop = http.post(f"/sessions/{sid}/loops", json={"prompt": "x"}).json()
    url = f"/sessions/{sid}/loops/{loop['id']}"
    assert http.delete(url).json() == {"ok": True, "id": loop["id"], "deleted": True}
    assert _loop(http, sid, loop["id"]) is None
    for response in (http.delete(url), http.patch(url, json={"paused": True}), http.post(f"{url}/run-now")):
        assert response.status_code == 404 and response.json()["code"] == "loop_not_found"
