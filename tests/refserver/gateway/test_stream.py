"""The per-session stream: ``id:``/``event:``/``data:`` frames, resume with ``since`` and
with ``Last-Event-ID`` from the 1024-event ring, ``lagged`` past it and ``GET …/replay``,
``event.replay`` for a non-live session, the stream faults, and a restart."""

from __future__ import annotations

import json

from hoody_tui.refserver.gateway.ring import RING_SIZE
from hoody_tui.refserver.gateway.state import seeded_session_id

from .helpers import Frames, client, wait_until


def test_frames_carry_id_event_and_data_with_type_seq_and_session(gw, http, sid):
    gw.call(gw.state.push_events, sid, 3)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        assert frames.response.headers["content-type"].startswith("text/event-stream")
        got = [frames.next() for _ in range(3)]
    assert [f.id for f in got] == ["1", "2", "3"]
    assert {f.event for f in got} == {"event.text_delta"}
    data = got[0].json
    assert data["type"] == "event.text_delta" and data["seq"] == 1 and data["session_id"] == sid


def test_resume_with_since_replays_only_what_came_after(gw, http, sid):
    gw.call(gw.state.push_events, sid, 10)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=7") as frames:
        assert [frames.next().id for _ in range(3)] == ["8", "9", "10"]
        gw.call(gw.state.push_events, sid, 1)
        assert frames.next().id == "11", "then the live events"


def test_resume_with_last_event_id_which_wins_over_since(gw, http, sid):
    gw.call(gw.state.push_events, sid, 6)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=1", headers={"Last-Event-ID": "4"}) as frames:
        assert [frames.next().id for _ in range(2)] == ["5", "6"]
    assert http.get(f"/sessions/{sid}/stream", headers={"Last-Event-ID": "x"}).status_code == 400


def test_without_a_cursor_the_stream_starts_live(gw, http, sid):
    gw.call(gw.state.push_events, sid, 5)
    with Frames(f"{gw.base}/sessions/{sid}/stream") as frames:
        gw.call(gw.state.push_events, sid, 1)
        assert frames.next().id == "6"


def test_a_gap_past_the_ring_is_lagged_then_replay_serves_the_ring(gw, http, sid):
    head = gw.call(gw.state.push_events, sid, RING_SIZE + 100)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=5") as frames:
        lagged = frames.next()
        assert lagged.event == "lagged" and lagged.id == str(head)
        body = lagged.json
        assert body["code"] == "replay_gap" and body["min_seq"] == head - RING_SIZE + 1 and body["max_seq"] == head
        gw.call(gw.state.push_events, sid, 1)
        assert frames.next().id == str(head + 1), "after lagged, live events go on"
    replay = http.get(f"/sessions/{sid}/replay").json()
    assert replay["min_seq"] == head + 1 - RING_SIZE + 1 and replay["max_seq"] == head + 1
    assert len(replay["events"]) == RING_SIZE
    assert [e["seq"] for e in replay["events"][:2]] == [replay["min_seq"], replay["min_seq"] + 1]
    window = http.get(f"/sessions/{sid}/replay", params={"min_seq": head - 1, "max_seq": head}).json()
    assert [e["seq"] for e in window["events"]] == [head - 1, head]
    # The oldest cursor the ring still serves is min_seq - 1.
    with Frames(f"{gw.base}/sessions/{sid}/stream?since={replay['min_seq'] - 1}") as frames:
        assert frames.next().id == str(replay["min_seq"])


def test_a_cursor_from_the_future_is_a_gap_too(gw, http, sid):
    gw.call(gw.state.push_events, sid, 2)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=99") as frames:
        assert frames.next().json["code"] == "replay_gap"


def test_a_non_live_session_sends_event_replay_on_attach_and_has_no_replay_route(gw, http, sid):
    gw.call(gw.state.push_events, sid, 2)
    http.post(f"/sessions/{sid}/close")
    response = http.get(f"/sessions/{sid}/replay")
    assert response.status_code == 404 and response.json()["code"] == "session_not_live"
    with Frames(f"{gw.base}/sessions/{sid}/stream") as frames:
        first = frames.next()
        assert first.event == "event.replay" and [e["seq"] for e in first.json["events"]] == [1, 2]


def test_a_turn_streams_deltas_tool_events_and_agent_done(gw, http, sid):
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        job = http.post(f"/sessions/{sid}/messages", json={"text": "run `git status` please"}).json()["job_id"]
        seen = []
        while not seen or seen[-1].event != "agent_done":
            seen.append(frames.next())
    kinds = [f.event for f in seen]
    assert kinds[0] == "event.turn_started" and seen[0].json["job_id"] == job
    assert "event.text_delta" in kinds and "event.tool_call" in kinds and "event.tool_result" in kinds
    assert "event.confirm_request" not in kinds, "a safe command needs no confirm"
    assert seen[-1].json == {**seen[-1].json, "job_id": job, "ok": True}
    assert [int(f.id) for f in seen] == list(range(1, len(seen) + 1))


def test_drop_after_cuts_the_stream_after_n_events(fresh):
    srv = fresh(drop_after=3)
    with client(srv) as http:
        sid = http.post("/sessions").json()["id"]
        srv.call(srv.state.push_events, sid, 10)
        with Frames(f"{srv.base}/sessions/{sid}/stream?since=0") as frames:
            assert [f.id for f in frames.rest()] == ["1", "2", "3"]
        srv.set_faults(drop_after=None)
        with Frames(f"{srv.base}/sessions/{sid}/stream?since=3") as frames:
            assert frames.next().id == "4", "the client resumes where the cut left it"


def test_faults_switch_at_runtime_through_control(fresh):
    srv = fresh(control=True)
    with client(srv) as http:
        control = http.base_url.copy_with(path="/_control/faults")
        assert http.post(control, json={"fail_routes": ["/sessions$"], "fail_status": 503}).status_code == 200
        failed = http.get("/sessions")
        assert failed.status_code == 503 and failed.json()["code"] == "store_unavailable"
        assert http.get("/health").status_code == 200
        assert http.post(control, json={"fail_routes": []}).status_code == 200
        assert http.get("/sessions").status_code == 200
        assert http.post(control, json={"bogus": 1}).status_code == 400


def test_control_routes_park_gates_hold_turns_and_push_events(fresh):
    srv = fresh(control=True)
    with client(srv) as http:
        root = "/_control/sessions"
        sid = http.post(http.base_url.copy_with(path=root), json={"title": "ctl"}).json()["id"]
        gate = http.post(http.base_url.copy_with(path=f"{root}/{sid}/gate"), json={"type": "question"}).json()
        assert gate["type"] == "question"
        assert http.get(f"/sessions/{sid}").json()["pending_gate"]["gate_id"] == gate["gate_id"]
        http.post(f"/sessions/{sid}/answer", json={"answer": "pg", "gate_id": gate["gate_id"]})
        wait_until(lambda: not http.get(f"/sessions/{sid}").json()["turn_in_flight"], "the turn to end")
        job = http.post(http.base_url.copy_with(path=f"{root}/{sid}/turn"), json={}).json()
        assert http.get(f"/jobs/{job['id']}").json()["status"] in ("queued", "running")
        assert http.post(http.base_url.copy_with(path=f"{root}/{sid}/release")).json() == {"released": True}
        wait_until(lambda: http.get(f"/jobs/{job['id']}").json()["status"] == "completed", "the held turn to end")
        head = http.post(http.base_url.copy_with(path=f"{root}/{sid}/events"), json={"count": 5}).json()["head"]
        assert head == http.get(f"/sessions/{sid}/replay").json()["max_seq"]


def test_a_restart_on_the_same_port_serves_new_gates_and_seqs(fresh):
    srv = fresh(sessions=2)
    sid = seeded_session_id(1, 0)
    with client(srv) as http:
        old = srv.call(srv.state.park_gate, sid)
        srv.call(srv.state.push_events, sid, 20)
        head = http.get(f"/sessions/{sid}/replay").json()["max_seq"]
    port = srv.port
    srv2 = srv.restart(pending_gates=2)
    try:
        assert srv2.port == port
        with client(srv2) as http:
            new = http.get(f"/sessions/{sid}").json()["pending_gate"]
            assert new is not None and new["gate_id"] != old["gate_id"]
            assert http.get(f"/sessions/{seeded_session_id(1, 1)}").json()["pending_gate"] is not None
            with Frames(f"{srv2.base}/sessions/{sid}/stream", headers={"Last-Event-ID": str(head)}) as frames:
                assert frames.next().json["code"] == "replay_gap", "the old cursor is past the new head"
            stale = http.post(f"/sessions/{sid}/confirm", json={"gate_id": old["gate_id"],
                                                                "generation": old["generation"]})
            assert stale.status_code == 409 and stale.json()["code"] == "stale_gate"
    finally:
        srv2.stop()


def test_prompt_stream_streams_the_turn_and_closes_at_agent_done(gw, http, sid):
    url = f"{gw.base}/sessions/{sid}/prompt:stream?policy=auto_approve"
    with Frames(url, method="POST", body={"text": "do `rm -rf build/`"}) as frames:
        got = frames.rest()
    kinds = [f.event for f in got]
    assert kinds[0] == "event.turn_started" and kinds[-1] == "agent_done"
    resolved = next(f.json for f in got if f.event == "event.gate_resolved")
    assert resolved["outcome"] == "approved" and resolved["auto"] is True
    assert json.loads(got[-1].data)["ok"] is True
