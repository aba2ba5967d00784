"""Permission requests and questions: rulesets, reply semantics (once / always / reject),
body forms, error shapes, and the replies log."""

from __future__ import annotations

import pytest

from .helpers import named_errors, tool_part_of


def prompt(api, session_id, text):
    response = api.post(f"/sessions/{session_id}/prompt_async", {"parts": [{"type": "text", "text": text}]})
    assert response.status_code == 204


def replies_for(server, request_id):
    return [r for r in server.call(lambda: list(server.state.replies)) if r["requestID"] == request_id]


def test_session_permissions_merge_agent_then_session_rules(api, session_id):
    rule = {"permission": "bash", "pattern": "rm -rf *", "action": "deny"}
    api.patch(f"/sessions/{session_id}", {"permission": [rule]})
    body = api.get(f"/sessions/{session_id}/permissions").json()
    assert set(body) == {"agent", "agentRuleset", "sessionRuleset", "effective"}
    assert body["agent"] == "build"
    assert body["sessionRuleset"] == [rule]
    assert body["effective"] == body["agentRuleset"] + [rule]  # the session rule is last, so it wins (C12)
    plan = api.get(f"/sessions/{session_id}/permissions", params={"agent": "plan"}).json()
    assert plan["agent"] == "plan"
    assert {"permission": "edit", "pattern": "*", "action": "deny"} in plan["agentRuleset"]
    assert api.get("/sessions/sess_nope/permissions").status_code == 404


def test_workspace_permission_config(api):
    body = api.get("/config/permission").json()
    assert set(body) == {"permission", "yolo", "tool_wake_policy"}
    assert body["permission"]["bash"] == "ask" and body["yolo"] is False


def test_once_lets_exactly_that_call_run(server, api, session_id, events):
    prompt(api, session_id, "please run `rm -rf build/`")
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    assert asked["permission"] == "bash"
    assert asked["patterns"] == ["rm -rf build/"] and asked["always"] == ["rm *"]
    assert asked["metadata"]["command"] == "rm -rf build/"
    assert set(asked["tool"]) == {"messageID", "callID"}
    assert asked in api.get("/permissions").json()
    # The tool waits, pending, until the reply.
    part = api.get(f"/sessions/{session_id}/messages/{asked['tool']['messageID']}/tools/{asked['tool']['callID']}")
    assert part.json()["state"]["status"] == "pending"

    assert api.post(f"/permissions/{asked['id']}/reply", {"reply": "once"}).json() is True
    assert events.wait_type("permission.replied", requestID=asked["id"])["properties"] == {
        "sessionID": session_id, "requestID": asked["id"], "reply": "once"}
    done = events.wait_for(lambda d: tool_part_of(d, "bash", "completed", session_id))["properties"]["part"]
    assert done["callID"] == asked["tool"]["callID"]
    events.wait_type("session.idle", sessionID=session_id)
    assert api.get(f"/sessions/{session_id}").json()["permission"] == []  # once persists nothing

    again = api.post(f"/permissions/{asked['id']}/reply", {"reply": "once"})
    assert again.status_code == 404
    assert named_errors(again.json()) == "Permission request not found"
    log = replies_for(server, asked["id"])
    assert [(r["kind"], r["body"], r["status"]) for r in log] == [
        ("permission.reply", {"reply": "once"}, 200), ("permission.reply", {"reply": "once"}, 404)]
    assert all(isinstance(r["time"], int) for r in log)


def test_always_persists_patterns_and_resolves_matching_requests(server, api, session_id, events):
    prompt(api, session_id, "`rm -rf build/`")
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    # Two more pending requests in the same session: one the grant covers, one it does not.
    covered = server.call(server.state.raise_permission, session_id, "bash", ["rm -rf tmp/"], ["rm *"],
                          {"command": "rm -rf tmp/"})
    other = server.call(server.state.raise_permission, session_id, "bash", ["git push --force"], ["git push *"])
    assert api.post(f"/permissions/{asked['id']}/reply", {"reply": "always"}).json() is True

    events.wait_type("permission.replied", requestID=covered["id"], reply="always")
    events.wait_for(lambda d: tool_part_of(d, "bash", "completed", session_id))
    events.wait_type("session.idle", sessionID=session_id)
    pending = {p["id"] for p in api.get("/permissions").json()}
    assert asked["id"] not in pending and covered["id"] not in pending and other["id"] in pending
    rules = api.get(f"/sessions/{session_id}/permissions").json()["sessionRuleset"]
    assert {"permission": "bash", "pattern": "rm *", "action": "allow"} in rules

    # The next matching call is not asked.
    prompt(api, session_id, "`rm -rf dist/`")
    done = events.wait_for(lambda d: tool_part_of(d, "bash", "completed", session_id)
                           or d["type"] == "permission.asked")
    assert done["type"] == "message.part.updated"
    assert done["properties"]["part"]["state"]["input"]["command"] == "rm -rf dist/"
    events.wait_type("session.idle", sessionID=session_id)
    api.post(f"/permissions/{other['id']}/reply", {"reply": "reject"})


def test_reject_fails_the_tool_stops_the_turn_and_rejects_the_rest(server, api, session_id, events):
    prompt(api, session_id, "run `git push --force origin main` then `git status`")
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    sibling = server.call(server.state.raise_permission, session_id, "edit", ["src/a.ts"], ["*"])
    body = {"reply": "reject", "message": "no force pushes to main"}
    assert api.post(f"/permissions/{asked['id']}/reply", body).json() is True

    events.wait_type("permission.replied", requestID=sibling["id"], reply="reject")
    failed = events.wait_for(lambda d: tool_part_of(d, "bash", "error", session_id))["properties"]["part"]
    assert failed["callID"] == asked["tool"]["callID"]
    assert "no force pushes to main" in failed["state"]["error"]
    events.wait_type("session.idle", sessionID=session_id)
    assistant = api.get(f"/sessions/{session_id}/messages/{asked['tool']['messageID']}").json()
    assert assistant["info"]["time"]["completed"]
    bash_calls = [p for p in assistant["parts"] if p["type"] == "tool" and p["tool"] == "bash"]
    assert len(bash_calls) == 1, "the turn stopped: git status never ran"
    assert all(p["sessionID"] != session_id for p in api.get("/permissions").json())
    assert replies_for(server, asked["id"])[0]["body"] == body


@pytest.mark.parametrize(("body", "expect"), [({"approved": True}, "completed"),
                                              ({"approved": False, "reason": "not now"}, "error")])
def test_the_approved_body_form_is_accepted(api, session_id, events, body, expect):
    prompt(api, session_id, "`chmod -R 777 .`")
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    assert api.post(f"/permissions/{asked['id']}/reply", body).json() is True
    part = events.wait_for(lambda d: tool_part_of(d, "bash", expect, session_id))["properties"]["part"]
    if expect == "error":
        assert "not now" in part["state"]["error"]
    events.wait_type("session.idle", sessionID=session_id)


def test_bad_reply_bodies_are_400_with_field_errors(server, api, session_id):
    request = server.call(server.state.raise_permission, session_id, "bash", ["ls"])
    url = f"/permissions/{request['id']}/reply"
    cases = [
        ({"reply": "sometimes"}, [{"field": "reply", "message": "Must be one of: once, always, reject"}]),
        ({"approved": "yes"}, [{"field": "approved", "message": "Must be a boolean"}]),
        ({}, [{"field": "reply", "message": "Required: one of once, always, reject"}]),
        ({"reply": "once", "message": 5}, [{"field": "message", "message": "Must be a string"}]),
        ([1, 2], [{"field": "body", "message": "Must be a JSON object"}]),
    ]
    for body, errors in cases:
        response = api.post(url, body)
        assert response.status_code == 400, body
        assert response.json() == {"data": {}, "errors": errors, "success": False}
    not_json = api.post(url, content=b"once", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert request in api.get("/permissions").json(), "a bad body answers nothing"
    assert [r["status"] for r in replies_for(server, request["id"])] == [400] * 6
    assert replies_for(server, request["id"])[-1]["body"] == "once"  # logged as received
    missing = api.post("/permissions/per_unknown/reply", {"reply": "once"})
    assert missing.status_code == 404 and named_errors(missing.json()) == "Permission request not found"


def test_raised_permission_has_the_documented_shape(server, api, session_id, events):
    request = server.call(server.state.raise_permission, session_id, "edit", ["*.ts", "*.tsx"], [],
                          {"filepath": "/home/user/project/src/index.ts"},
                          {"messageID": "msg_xyz789", "callID": "call_456abc"})
    assert set(request) == {"id", "sessionID", "permission", "patterns", "metadata", "always", "tool"}
    assert request["id"].startswith("per_")
    assert events.wait_type("permission.asked", id=request["id"])["properties"] == request
    no_tool = server.call(server.state.raise_permission, session_id, "bash", ["rm -rf *", "sudo *"], ["npm install *"])
    assert "tool" not in no_tool
    for r in (request, no_tool):
        api.post(f"/permissions/{r['id']}/reply", {"reply": "reject"})


def test_questions_reply_reject_and_errors(server, api, session_id, events):
    q = server.call(server.state.raise_question, session_id, "Which Node version?", ["22 LTS", "20 LTS"])
    assert q["id"].startswith("que_") and q["questions"][0]["options"][0] == {"label": "22 LTS", "description": ""}
    assert events.wait_type("question.asked", id=q["id"])["properties"] == q
    assert q in api.get("/questions").json()
    assert api.post(f"/questions/{q['id']}/reply", {"answer": "22 LTS"}).json() is True
    assert events.wait_type("question.replied", requestID=q["id"])["properties"] == {
        "sessionID": session_id, "requestID": q["id"], "answers": [["22 LTS"]]}
    again = api.post(f"/questions/{q['id']}/reply", {"answer": "22 LTS"})
    assert again.status_code == 404 and again.json()["name"] == "NotFoundError"

    q2 = server.call(server.state.raise_question, session_id, "Pick", ["a", "b"], multiple=True)
    assert api.post(f"/questions/{q2['id']}/reply", {"answers": "a"}).status_code == 400
    assert api.post(f"/questions/{q2['id']}/reply", {"answers": [["a", "b"]]}).json() is True
    assert events.wait_type("question.replied", requestID=q2["id"])["properties"]["answers"] == [["a", "b"]]

    q3 = server.call(server.state.raise_question, session_id, "Proceed?")
    advice = api.post(f"/questions/{q3['id']}/consult", {"model": "gpt-4"}).json()
    assert "answer" in advice and q3 in api.get("/questions").json(), "consulting does not answer"
    assert api.post(f"/questions/{q3['id']}/reject", {"reason": "Not applicable"}).json() is True
    assert events.wait_type("question.rejected", requestID=q3["id"])["properties"]["sessionID"] == session_id
    assert api.post(f"/questions/{q3['id']}/reject", {}).status_code == 404
    assert api.post("/questions/que_unknown/consult", {}).status_code == 404
    kinds = [(r["kind"], r["status"]) for r in server.call(lambda: list(server.state.replies))
             if r["requestID"] in (q["id"], q2["id"], q3["id"])]
    assert kinds == [("question.reply", 200), ("question.reply", 404), ("question.reply", 400),
                     ("question.reply", 200), ("question.reject", 200), ("question.reject", 404)]


def test_an_agent_waits_for_its_question(api, session_id, events):
    prompt(api, session_id, "ask: Which database? [postgres | sqlite]")
    asked = events.wait_type("question.asked", sessionID=session_id)["properties"]
    assert asked["questions"][0]["question"] == "Which database?"
    assert [o["label"] for o in asked["questions"][0]["options"]] == ["postgres", "sqlite"]
    running = api.get(f"/sessions/{session_id}/messages/{asked['tool']['messageID']}/tools/{asked['tool']['callID']}")
    assert running.json()["tool"] == "question" and running.json()["state"]["status"] == "running"
    api.post(f"/questions/{asked['id']}/reply", {"answers": [["sqlite"]]})
    done = events.wait_for(lambda d: tool_part_of(d, "question", "completed", session_id))["properties"]["part"]
    assert done["state"]["metadata"]["answers"] == [["sqlite"]]
    events.wait_type("session.idle", sessionID=session_id)


def test_rejecting_an_agents_question_ends_its_turn(api, session_id, events):
    prompt(api, session_id, "ask: Deploy now? [yes | no]")
    asked = events.wait_type("question.asked", sessionID=session_id)["properties"]
    api.post(f"/questions/{asked['id']}/reject", {"reason": "later"})
    failed = events.wait_for(lambda d: tool_part_of(d, "question", "error", session_id))["properties"]["part"]
    assert "later" in failed["state"]["error"]
    events.wait_type("session.idle", sessionID=session_id)


def test_a_deny_rule_fails_the_tool_without_asking(api, session_id, events):
    api.patch(f"/sessions/{session_id}", {"permission": [{"permission": "bash", "pattern": "docker *",
                                                          "action": "deny"}]})
    prompt(api, session_id, "`docker system prune -af`")
    first = events.wait_for(lambda d: tool_part_of(d, "bash", "error", session_id) or d["type"] == "permission.asked")
    assert first["type"] == "message.part.updated"
    assert "prevents you from using this specific tool call" in first["properties"]["part"]["state"]["error"]
    events.wait_type("session.idle", sessionID=session_id)
