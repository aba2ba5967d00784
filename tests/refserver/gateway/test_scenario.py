"""The seeded demo: sessions park confirm gates (and a question) soon after start, an
allowed confirm lets the turn finish, the demo loop fires, and ``pending_gates``."""

from __future__ import annotations

from hoody_tui.refserver.gateway.state import seeded_session_id

from .helpers import client, wait_until


def _gates(http):
    items = http.get("/sessions", params={"limit": 0}).json()["items"]
    return {s["id"]: s["pending_gate"] for s in items if s["pending_gate"]}


def test_the_demo_parks_gates_and_an_allowed_confirm_finishes_the_turn(fresh):
    srv = fresh(scenario="demo", sessions=5, seed=3)
    with client(srv) as http:
        gates = wait_until(lambda: (g := _gates(http)) and len(g) >= 3 and g, "three sessions to park a gate")
        kinds = {g["type"] for g in gates.values()}
        assert "confirm" in kinds
        wait_until(lambda: "question" in {g["type"] for g in _gates(http).values()}, "a question gate")
        sid, gate = next((k, g) for k, g in _gates(http).items() if g["type"] == "confirm")
        job = http.get(f"/sessions/{sid}").json()["job_id"]
        reply = http.post(f"/sessions/{sid}/confirm", json={"gate_id": gate["gate_id"], "generation": gate["generation"]})
        assert reply.status_code == 200
        wait_until(lambda: http.get(f"/jobs/{job}").json()["status"] == "completed", "the turn to finish")
        looped = seeded_session_id(3, 4)
        wait_until(lambda: http.get(f"/sessions/{looped}/loops").json()["items"][0]["runs"] >= 1,
                   "the demo loop to fire", timeout=20)


def test_the_same_seed_serves_the_same_session_ids(fresh):
    one, two = fresh(sessions=3, seed=9), fresh(sessions=3, seed=9)
    with client(one) as a, client(two) as b:
        ids = [s["id"] for s in a.get("/sessions").json()["items"]]
        assert ids == [s["id"] for s in b.get("/sessions").json()["items"]]
        assert ids[-1] == seeded_session_id(9, 0)


def test_pending_gates_are_parked_at_start_up(fresh):
    srv = fresh(scenario="none", pending_gates=2)
    with client(srv) as http:
        gates = _gates(http)
        assert len(gates) == 2 and {g["type"] for g in gates.values()} == {"confirm"}
