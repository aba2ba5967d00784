"""Health, auth (C13: the kit-credential pair, never Bearer), the session list's
``{items, meta}`` pages and the summary's ``pending_gate``."""

from __future__ import annotations

import httpx

from hoody_tui.refserver.gateway.state import seeded_session_id

from .helpers import CLAIM, TIMEOUT, client, new_session

TOKEN = "gw-secret-123"


def test_health_needs_no_credential_and_every_other_route_the_claim_pair(fresh):
    srv = fresh(token=TOKEN)
    health = httpx.get(f"{srv.base}/health", timeout=TIMEOUT)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    bare = httpx.get(f"{srv.base}/sessions", timeout=TIMEOUT)
    assert bare.status_code == 401
    assert bare.json()["code"] == "unauthorized" and set(bare.json()) == {"error", "code"}
    assert TOKEN not in bare.text
    bearer = httpx.get(f"{srv.base}/sessions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=TIMEOUT)
    assert bearer.status_code == 401, "the gateway takes no Bearer"
    no_claim = httpx.get(f"{srv.base}/sessions", headers={"X-Hoody-Token": TOKEN}, timeout=TIMEOUT)
    assert no_claim.status_code == 401
    wrong = httpx.get(f"{srv.base}/sessions", headers={"X-Hoody-Token": "nope", "X-Hoody-Container-Claim": CLAIM},
                      timeout=TIMEOUT)
    assert wrong.status_code == 401
    with client(srv, TOKEN) as http:
        assert http.get("/sessions").status_code == 200


def test_without_a_token_the_gateway_trusts_the_network(gw, http):
    assert http.get("/sessions").status_code == 200


def test_sessions_are_pages_of_items_and_meta_newest_first(fresh):
    srv = fresh(sessions=5, scenario="idle")
    with client(srv) as http:
        first = http.get("/sessions", params={"limit": 2}).json()
        assert first["meta"] == {"page": 1, "limit": 2, "total": 5}
        assert [s["id"] for s in first["items"]] == [seeded_session_id(1, 4), seeded_session_id(1, 3)]
        third = http.get("/sessions", params={"limit": 2, "page": 3}).json()
        assert [s["id"] for s in third["items"]] == [seeded_session_id(1, 0)]
        everything = http.get("/sessions", params={"limit": 0}).json()
        assert len(everything["items"]) == 5 and everything["meta"]["limit"] == 0
        with_system = http.get("/sessions", params={"include_system": "true", "limit": 0}).json()
        assert with_system["meta"]["total"] == 6 and any(s["system"] for s in with_system["items"])
        created = new_session(http)
        assert http.get("/sessions").json()["items"][0]["id"] == created
        for bad in ({"page": 0}, {"limit": -1}, {"limit": "x"}):
            response = http.get("/sessions", params=bad)
            assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_the_summary_has_the_documented_keys_and_pending_gate_null_when_idle(http, sid):
    summary = http.get(f"/sessions/{sid}").json()
    for key in ("id", "title", "cwd", "model", "agent", "live", "turn_in_flight", "pending_gate", "created_at",
                "updated_at"):
        assert key in summary, key
    assert summary["live"] is True and summary["turn_in_flight"] is False and summary["pending_gate"] is None
    missing = http.get("/sessions/sess_nope")
    assert missing.status_code == 404 and missing.json() == {"error": "Session sess_nope not found",
                                                             "code": "session_not_found"}


def test_the_summary_pending_gate_of_a_confirm_and_of_a_question(gw, http, sid):
    response = http.post(f"/sessions/{sid}/messages", json={"text": "please run `rm -rf build/`"})
    assert response.status_code == 202 and set(response.json()) == {"job_id"}
    gate = _pending(http, sid)
    assert gate["type"] == "confirm" and gate["generation"] == 1 and gate["gate_id"].startswith("gate_")
    assert gate["tool"] == "bash" and gate["args"]["command"] == "rm -rf build/"
    assert gate["summary"] == "Run `rm -rf build/`"
    summary = http.get(f"/sessions/{sid}").json()
    assert summary["turn_in_flight"] is True and summary["job_id"] == response.json()["job_id"]
    assert http.post(f"/sessions/{sid}/confirm", json={"gate_id": gate["gate_id"], "generation": 1}).status_code == 200

    other = new_session(http)
    parked = gw.call(gw.state.park_gate, other, "question", question_text="Which DB?", options=["pg", "lite"])
    gate = http.get(f"/sessions/{other}").json()["pending_gate"]
    assert gate == parked
    assert gate["type"] == "question" and gate["question"] == "Which DB?" and gate["options"] == ["pg", "lite"]


def test_an_edit_gate_offers_persist_dirs_and_a_persisted_dir_is_not_asked_again(gw, http, sid):
    gate = gw.call(gw.state.park_gate, sid, tool="edit", args={"filePath": "/w/src/a.ts"}, summary="Edit a.ts",
                   dirs=["/w/src"])
    assert gate["dirs"] == ["/w/src"]
    reply = http.post(f"/sessions/{sid}/confirm", json={"gate_id": gate["gate_id"], "generation": gate["generation"],
                                                        "approved": True, "persist_dirs": True}).json()
    assert reply["persist_dirs"] is True and reply["dirs"] == ["/w/src"]
    assert gw.call(lambda: gw.state.session(sid).persisted_dirs) == ["/w/src"]


def test_create_attach_fork_close_and_delete(http):
    made = http.post("/sessions", json={"cwd": "/tmp/x", "model": "openai/gpt-5", "dir_scope": "full"}).json()
    sid = made["id"]
    assert made["cwd"] == "/tmp/x" and made["model"] == "openai/gpt-5" and made["dir_scope"] == "full"
    assert http.post("/sessions", json={"dir_scope": "moon"}).status_code == 400
    assert http.post("/sessions", json={"backend": "acp"}).status_code == 400
    assert http.post("/sessions", headers={"X-Hoody-Realm": "nope"}).json()["code"] == "invalid_realm"
    assert http.post("/sessions", headers={"X-Hoody-Cwd": "/from/header"}).json()["cwd"] == "/from/header"
    fork = http.post("/sessions", json={"fork": sid}).json()
    assert fork["id"] != sid and fork["title"].startswith("Fork of")

    assert http.post(f"/sessions/{sid}/close").status_code == 200
    assert http.get(f"/sessions/{sid}").json()["live"] is False
    not_live = http.post(f"/sessions/{sid}/messages", json={"text": "hi"})
    assert not_live.status_code == 404 and not_live.json()["code"] == "session_not_live"
    assert http.post("/sessions", json={"attach": sid}).json()["live"] is True
    assert http.delete(f"/sessions/{sid}").json()["hard"] is False
    assert http.get(f"/sessions/{sid}").json()["live"] is False
    assert http.delete(f"/sessions/{sid}", params={"hard": "true"}).status_code == 200
    assert http.get(f"/sessions/{sid}").status_code == 404
    assert http.post("/sessions", json={"attach": sid}).status_code == 404


def test_session_knobs_patch_and_echo(http, sid):
    assert http.patch(f"/sessions/{sid}/model", json={"model": "openai/gpt-5"}).json()["model"] == "openai/gpt-5"
    assert http.patch(f"/sessions/{sid}/effort", json={"effort": "high"}).json()["effort"] == "high"
    assert http.patch(f"/sessions/{sid}/effort", json={"effort": "max"}).status_code == 400
    assert http.patch(f"/sessions/{sid}/verbosity", json={"level": "terse"}).json()["verbosity"] == "terse"
    assert http.patch(f"/sessions/{sid}/hoody-env", json={"enabled": False}).json()["hoody_env"] is False
    assert http.patch(f"/sessions/{sid}/agent", json={}).status_code == 400
    events = http.get(f"/sessions/{sid}/replay").json()["events"]
    assert next(e["changes"] for e in events if e["type"] == "event.session_updated") == {"model": "openai/gpt-5"}


def _pending(http: httpx.Client, sid: str) -> dict:
    from .helpers import wait_until

    return wait_until(lambda: http.get(f"/sessions/{sid}").json()["pending_gate"], "a parked gate")
