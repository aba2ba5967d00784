"""Health, sessions, messages and prompting: happy paths and error shapes."""

from __future__ import annotations

import httpx

from hoody_tui.refserver import content

from .helpers import Api, named_errors, run_turn


def test_health_needs_no_workspace_and_answers_on_both_prefixes(server):
    for prefix in ("/api/v1", "/api/v1/agent"):
        response = httpx.get(f"{server.url}{prefix}/workspaces/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_prefix_option_mounts_only_the_chosen_prefix(fresh):
    srv = fresh(prefix="agent", scenario="none")
    assert httpx.get(f"{srv.url}/api/v1/agent/workspaces/{srv.workspace}/sessions").json() == []
    missing = httpx.get(f"{srv.url}/api/v1/workspaces/{srv.workspace}/sessions")
    assert missing.status_code == 404
    assert named_errors(missing.json()).startswith("Route not found")


def test_unknown_workspace_and_session_are_404_named_errors(server, api):
    response = httpx.get(f"{server.url}/api/v1/workspaces/ffffffffffffffffffffffff/sessions")
    assert response.status_code == 404
    assert response.json() == {"name": "NotFoundError", "data": {"message": "Workspace not found"}}
    response = api.get("/sessions/sess_missing")
    assert response.status_code == 404
    assert response.json() == {"name": "NotFoundError", "data": {"message": "Session not found"}}


def test_wrong_method_is_a_json_405(api):
    response = api.http.put("/sessions")
    assert response.status_code == 405
    assert response.json()["name"] == "MethodNotAllowedError"


def test_idle_scenario_holds_sessions_one_of_them_a_fork(fresh):
    srv = fresh(sessions=5)
    sessions = Api(srv).get("/sessions").json()
    assert len(sessions) == 5
    keys = {"id", "projectID", "directory", "parentID", "title", "version", "time", "permission", "summary"}
    assert all(keys <= set(s) for s in sessions)
    forks = [s for s in sessions if s["parentID"]]
    assert len(forks) == 1 and forks[0]["parentID"] in {s["id"] for s in sessions}
    created = [s["time"]["created"] for s in sessions]
    assert created == sorted(created, reverse=True), "newest first"


def test_session_list_pages_with_limit_and_cursor(fresh):
    srv = fresh(sessions=5)
    api = Api(srv)
    everything = [s["id"] for s in api.get("/sessions").json()]
    first = api.get("/sessions", params={"limit": 2}).json()
    second = api.get("/sessions", params={"limit": 2, "cursor": first[-1]["id"]}).json()
    rest = api.get("/sessions", params={"cursor": second[-1]["id"]}).json()
    assert [s["id"] for s in first + second + rest] == everything
    bad = api.get("/sessions", params={"limit": "zero"})
    assert bad.status_code == 400
    assert bad.json() == {"data": {}, "errors": [{"field": "limit", "message": "Must be an integer at least 1"}],
                          "success": False}


def test_none_scenario_is_an_empty_workspace(fresh):
    srv = fresh(scenario="none")
    api = Api(srv)
    assert api.get("/sessions").json() == []
    assert api.get("/permissions").json() == []
    assert api.get("/questions").json() == []
    assert api.get("/sessions/status").json() == {}


def test_status_map_lists_only_non_idle_sessions(server, api, session_id):
    state = server.state
    server.call(lambda: state.set_status(state.session(session_id), {"type": "retry", "attempt": 2,
                                                                      "message": "rate limited", "next": 1}))
    statuses = api.get("/sessions/status").json()
    assert statuses[session_id] == {"type": "retry", "attempt": 2, "message": "rate limited", "next": 1}
    assert all(s["type"] != "idle" for s in statuses.values())
    server.call(lambda: state.set_status(state.session(session_id), {"type": "idle"}))
    assert session_id not in api.get("/sessions/status").json()


def test_get_patch_delete_session(api, session_id, events):
    assert api.get(f"/sessions/{session_id}").json()["title"] == "test session"
    rules = [{"permission": "bash", "pattern": "git push *", "action": "deny"}]
    patched = api.patch(f"/sessions/{session_id}", {"title": "renamed", "permission": rules}).json()
    assert patched["title"] == "renamed" and patched["permission"] == rules
    assert events.wait_type("session.updated")["properties"]["info"]["title"] == "renamed"
    bad = api.patch(f"/sessions/{session_id}", {"title": "", "permission": [{"action": "maybe"}]})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"title", "permission"}
    assert api.delete(f"/sessions/{session_id}").json() is True
    assert events.wait_type("session.deleted")["properties"]["info"]["id"] == session_id
    assert api.get(f"/sessions/{session_id}").status_code == 404
    assert api.delete(f"/sessions/{session_id}").status_code == 404


def test_fork_children_summary_todo_and_diff(server, api, session_id):
    msg = server.call(server.state.add_message, session_id, "user", "first")
    fork = api.post(f"/sessions/{session_id}/fork", {"messageID": msg["info"]["id"]}).json()
    assert fork["parentID"] == session_id and fork["id"] != session_id
    assert [c["id"] for c in api.get(f"/sessions/{session_id}/children").json()] == [fork["id"]]
    forked = api.get(f"/sessions/{fork['id']}/messages").json()
    assert [m["parts"][0]["text"] for m in forked] == ["first"]
    assert api.post(f"/sessions/{session_id}/fork", {"messageID": "msg_nope"}).status_code == 404

    summary = api.get(f"/sessions/{session_id}/summary").json()
    assert {"id", "title", "status", "messageCount", "time", "summary"} <= set(summary)
    assert summary["messageCount"] == 1

    state = server.state
    rec_diff = content.file_diff("src/utils/format.ts")
    filediff = {k: rec_diff[k] for k in ("file", "before", "after", "additions", "deletions")}
    server.call(lambda: state.add_diff(state.session(session_id), msg["info"]["id"], filediff))
    assert api.get(f"/sessions/{session_id}/diff").json() == [filediff]
    assert api.get(f"/sessions/{session_id}/diff", params={"messageID": msg["info"]["id"]}).json() == [filediff]
    assert api.get(f"/sessions/{session_id}/diff", params={"messageID": "msg_other"}).json() == []
    assert api.get(f"/sessions/{session_id}").json()["summary"]["files"] == 1

    todos = [{"id": "t1", "content": "write tests", "status": "in_progress", "priority": "high"}]
    server.call(lambda: state.set_todos(state.session(session_id), todos))
    assert api.get(f"/sessions/{session_id}/todo").json() == todos


def test_messages_are_oldest_first_with_after_and_limit(server, api, session_id):
    ids = [server.call(server.state.add_message, session_id, "user", f"m{i}")["info"]["id"] for i in range(4)]
    listed = api.get(f"/sessions/{session_id}/messages").json()
    assert [m["info"]["id"] for m in listed] == ids
    assert set(listed[0]) == {"info", "parts"}
    assert listed[0]["parts"][0]["text"] == "m0"
    after = api.get(f"/sessions/{session_id}/messages", params={"after": ids[1]}).json()
    assert [m["info"]["id"] for m in after] == ids[2:]
    limited = api.get(f"/sessions/{session_id}/messages", params={"after": ids[0], "limit": 2}).json()
    assert [m["info"]["id"] for m in limited] == ids[1:3]
    one = api.get(f"/sessions/{session_id}/messages/{ids[0]}").json()
    assert one["info"]["id"] == ids[0]
    missing = api.get(f"/sessions/{session_id}/messages/msg_missing")
    assert missing.status_code == 404
    assert named_errors(missing.json()) == "Message not found in this session"


def test_tool_call_lookup(server, api, session_id):
    done = run_turn(server, session_id, "run `git status` please")
    tool = next(p for p in done["parts"] if p["type"] == "tool")
    assert tool["state"]["status"] == "completed"  # git status is allowed by the build agent
    mid = done["info"]["id"]
    assert api.get(f"/sessions/{session_id}/messages/{mid}/tools/{tool['callID']}").json() == tool
    for path in (f"/sessions/{session_id}/messages/{mid}/tools/call_nope",
                 f"/sessions/{session_id}/messages/msg_nope/tools/{tool['callID']}"):
        response = api.get(path)
        assert response.status_code == 404
        assert named_errors(response.json()) == "Tool call not found for this message"
    other = server.call(server.state.create_session, "other")["id"]
    assert api.get(f"/sessions/{other}/messages/{mid}/tools/{tool['callID']}").status_code == 404


def test_prompt_async_runs_a_turn(api, session_id, events):
    body = {"model": {"providerID": "anthropic", "modelID": "claude-sonnet-4.5"}, "agent": "build",
            "parts": [{"type": "text", "text": "show me `git log --oneline -5`"}]}
    response = api.post(f"/sessions/{session_id}/prompt_async", body)
    assert response.status_code == 204 and response.content == b""
    assert events.wait_type("session.status", sessionID=session_id)["properties"]["status"] == {"type": "busy"}
    delta = events.wait_for(lambda d: d["type"] == "message.part.updated" and "delta" in d["properties"])
    assert delta["properties"]["part"]["sessionID"] == session_id
    events.wait_type("session.idle", sessionID=session_id)
    messages = api.get(f"/sessions/{session_id}/messages").json()
    assert [m["info"]["role"] for m in messages] == ["user", "assistant"]
    assistant = messages[1]
    assert assistant["info"]["time"]["completed"] and assistant["info"]["finish"] == "stop"
    assert assistant["info"]["tokens"]["input"] > 0 and assistant["info"]["cost"] > 0
    types = [p["type"] for p in assistant["parts"]]
    assert types[0] == "step-start" and "step-finish" in types and "reasoning" in types and "text" in types


def test_prompt_bodies_are_validated(api, session_id):
    for body in ({}, {"parts": []}, {"parts": [{"type": "text"}]}, {"parts": [{"type": "text", "text": "x"}],
                                                                  "model": "gpt"}):
        response = api.post(f"/sessions/{session_id}/prompt_async", body)
        assert response.status_code == 400, body
        assert response.json()["success"] is False and response.json()["errors"]
    not_json = api.post(f"/sessions/{session_id}/prompt_async", content=b"{oops",
                        headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["errors"] == [{"field": "body", "message": "Must be valid JSON"}]


def test_post_message_answers_with_the_finished_assistant_message(api, session_id):
    response = api.post(f"/sessions/{session_id}/message", {"parts": [{"type": "text", "text": "run `npm test`"}]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"info", "parts"}
    assert body["info"]["role"] == "assistant" and body["info"]["time"]["completed"]


def test_abort_stops_a_waiting_turn_and_is_idempotent(server, api, session_id, events):
    api.post(f"/sessions/{session_id}/prompt_async", {"parts": [{"type": "text", "text": "`rm -rf build/`"}]})
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    assert api.post(f"/sessions/{session_id}/abort").json() is True
    replied = events.wait_type("permission.replied", requestID=asked["id"])["properties"]
    assert replied == {"sessionID": session_id, "requestID": asked["id"], "reply": "reject"}
    error = events.wait_type("session.error", sessionID=session_id)["properties"]["error"]
    assert error["name"] == "MessageAbortedError"
    events.wait_type("session.idle", sessionID=session_id)
    assistant = api.get(f"/sessions/{session_id}/messages").json()[-1]
    assert assistant["info"]["error"]["name"] == "MessageAbortedError"
    tool = next(p for p in assistant["parts"] if p["type"] == "tool")
    assert tool["state"]["status"] == "error" and tool["state"]["error"] == "Tool execution aborted"
    assert api.get("/permissions").json() == [] or all(p["sessionID"] != session_id
                                                      for p in api.get("/permissions").json())
    assert api.post(f"/sessions/{session_id}/abort").json() is True


def test_uncaught_errors_are_json_500s(server, api, session_id):
    state = server.state

    def boom(rec):
        raise RuntimeError("kaboom")

    server.call(setattr, state, "summary", boom)
    try:
        response = api.get(f"/sessions/{session_id}/summary")
    finally:
        server.call(delattr, state, "summary")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "UnknownError", "data": {"message": "RuntimeError: kaboom"}}
