"""Gates: every 409 of the contract in its situation, allow/deny/cancel, the
``auto_approve`` policy of ``prompt:sync``, and ``answer:assist``."""

from __future__ import annotations

from .helpers import Frames, wait_until


def _code(response) -> str:
    assert response.status_code == 409, response.text
    body = response.json()
    assert set(body) == {"error", "code"}, body
    return str(body["code"])


def _idle(http, sid) -> None:
    wait_until(lambda: not http.get(f"/sessions/{sid}").json()["turn_in_flight"], "the turn to end")


def test_no_pending_gate_when_nothing_is_parked(http, sid):
    assert _code(http.post(f"/sessions/{sid}/confirm", json={})) == "no_pending_gate"
    assert _code(http.post(f"/sessions/{sid}/answer", json={"answer": "x"})) == "no_pending_gate"


def test_stale_gate_on_a_generation_or_gate_id_mismatch(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid)
    wrong_gen = {"gate_id": gate["gate_id"], "generation": gate["generation"] + 1}
    assert _code(http.post(f"/sessions/{sid}/confirm", json=wrong_gen)) == "stale_gate"
    wrong_id = {"gate_id": "gate_other", "generation": gate["generation"]}
    assert _code(http.post(f"/sessions/{sid}/confirm", json=wrong_id)) == "stale_gate"
    assert http.get(f"/sessions/{sid}").json()["pending_gate"]["gate_id"] == gate["gate_id"], "still parked"


def test_gate_already_answered_when_the_race_is_lost(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid)
    echo = {"gate_id": gate["gate_id"], "generation": gate["generation"]}
    assert http.post(f"/sessions/{sid}/confirm", json=echo).status_code == 200
    assert _code(http.post(f"/sessions/{sid}/confirm", json=echo)) == "gate_already_answered"
    assert _code(http.post(f"/sessions/{sid}/confirm", json={"generation": gate["generation"]})) == \
        "gate_already_answered"


def test_gate_type_mismatch_both_ways(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid)
    echo = {"gate_id": gate["gate_id"], "generation": gate["generation"]}
    assert _code(http.post(f"/sessions/{sid}/answer", json={**echo, "answer": "yes"})) == "gate_type_mismatch"
    http.post(f"/sessions/{sid}/confirm", json=echo)
    _idle(http, sid)
    question = gw.call(gw.state.park_gate, sid, "question")
    assert question["generation"] == gate["generation"] + 1
    assert _code(http.post(f"/sessions/{sid}/confirm", json={"gate_id": question["gate_id"]})) == "gate_type_mismatch"


def test_turn_in_flight_while_a_turn_runs(gw, http, sid):
    gw.call(gw.state.start_turn, sid, hold=True)
    assert _code(http.post(f"/sessions/{sid}/messages", json={"text": "again"})) == "turn_in_flight"
    assert _code(http.post(f"/sessions/{sid}/prompt:sync", json={"text": "again"})) == "turn_in_flight"
    gw.call(gw.state.release, sid)
    _idle(http, sid)
    assert http.post(f"/sessions/{sid}/messages", json={"text": "now"}).status_code == 202


def test_gate_parked_while_a_gate_is_open(gw, http, sid):
    gw.call(gw.state.park_gate, sid, "question")
    assert _code(http.post(f"/sessions/{sid}/messages", json={"text": "hello?"})) == "gate_parked"


def test_allow_lets_the_turn_run_the_tool_and_finish(gw, http, sid):
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        job = http.post(f"/sessions/{sid}/messages", json={"text": "run `rm -rf build/`"}).json()["job_id"]
        request = frames.of_type("event.confirm_request")
        assert {"gate_id", "generation", "tool", "summary", "args"} <= set(request)
        reply = http.post(f"/sessions/{sid}/confirm", json={"gate_id": request["gate_id"],
                                                            "generation": request["generation"], "approved": True})
        assert reply.status_code == 200 and reply.json()["outcome"] == "approved"
        resolved = frames.of_type("event.gate_resolved")
        assert resolved["gate_id"] == request["gate_id"] and resolved["outcome"] == "approved"
        assert resolved["gate_type"] == "confirm"
        assert frames.of_type("event.tool_result")["ok"] is True
        done = frames.of_type("agent_done")
    assert done["ok"] is True and done["job_id"] == job
    assert http.get(f"/jobs/{job}").json()["status"] == "completed"


def test_deny_ends_the_turn(gw, http, sid):
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        job = http.post(f"/sessions/{sid}/messages", json={"text": "run `rm -rf build/`"}).json()["job_id"]
        request = frames.of_type("event.confirm_request")
        http.post(f"/sessions/{sid}/confirm", json={"gate_id": request["gate_id"], "approved": False})
        assert frames.of_type("event.gate_resolved")["outcome"] == "denied"
        done = frames.of_type("agent_done")
    assert done["ok"] is False and "denied" in done["error"].lower()
    assert http.get(f"/jobs/{job}").json()["status"] == "failed"


def test_a_question_answered_lets_the_turn_finish(gw, http, sid):
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        http.post(f"/sessions/{sid}/messages", json={"text": "ask: Which database? [postgres | sqlite]"})
        question = frames.of_type("event.user_question")
        assert question["question"] == "Which database?" and question["options"] == ["postgres", "sqlite"]
        assert http.post(f"/sessions/{sid}/answer", json={"answer": "", "text": "sqlite"}).status_code == 200
        assert frames.of_type("event.gate_resolved")["answer"] == "sqlite"
        assert frames.of_type("agent_done")["ok"] is True
    assert http.post(f"/sessions/{sid}/answer", json={}).status_code == 400


def test_cancel_stops_the_turn_and_cancels_its_gate(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid)
    with Frames(f"{gw.base}/sessions/{sid}/stream", headers={"Last-Event-ID": "0"}) as frames:
        reply = http.post(f"/sessions/{sid}/cancel").json()
        assert reply["cancelled"] is True
        resolved = frames.of_type("event.gate_resolved")
        assert resolved["outcome"] == "cancelled" and resolved["gate_id"] == gate["gate_id"]
        assert frames.of_type("agent_done")["error"] == "cancelled"
    assert http.get(f"/jobs/{reply['job_id']}").json()["status"] == "cancelled"
    summary = http.get(f"/sessions/{sid}").json()
    assert summary["turn_in_flight"] is False and summary["pending_gate"] is None
    assert _code(http.post(f"/sessions/{sid}/confirm", json={"gate_id": gate["gate_id"]})) == "no_pending_gate"
    assert http.post(f"/sessions/{sid}/cancel").json()["cancelled"] is False, "idempotent"


def test_prompt_sync_returns_the_pending_gate_or_the_result(gw, http, sid):
    parked = http.post(f"/sessions/{sid}/prompt:sync", json={"text": "run `rm -rf build/`"}).json()
    assert parked["pending_gate"]["type"] == "confirm"
    http.post(f"/sessions/{sid}/confirm", json={"gate_id": parked["pending_gate"]["gate_id"]})
    _idle(http, sid)
    auto = http.post(f"/sessions/{sid}/prompt:sync", headers={"X-Hoody-Gate-Policy": "auto_approve"},
                     json={"text": "run `rm -rf build/`"}).json()
    assert auto["ok"] is True and "pending_gate" not in auto
    asked = http.post(f"/sessions/{sid}/prompt:sync?policy=auto_approve", json={"text": "ask: Sure? [yes | no]"})
    assert asked.json()["pending_gate"]["type"] == "question", "auto_approve never answers questions"
    bad = http.post(f"/sessions/{sid}/prompt:sync?policy=yolo", json={"text": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_gate_policy"


def test_answer_assist_drafts_a_suggestion_without_answering(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid, "question", options=["pnpm", "npm"])
    with Frames(f"{gw.base}/sessions/{sid}/stream?since=0") as frames:
        accepted = http.post(f"/sessions/{sid}/answer:assist", json={"gen": gate["generation"]})
        assert accepted.status_code == 202
        suggestion = frames.of_type("event.question_suggestion")
    assert suggestion == {**suggestion, "gen": gate["generation"], "suggestion": "pnpm"}
    job = accepted.json()["job_id"]
    assert http.get(f"/jobs/{job}/result").json()["result"]["suggestion"] == "pnpm"
    assert http.get(f"/sessions/{sid}").json()["pending_gate"]["gate_id"] == gate["gate_id"], "still parked"
