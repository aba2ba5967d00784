"""Every HoodyClient method against the reference server, and every error it can meet."""

from __future__ import annotations

import asyncio
import http.server
import threading

import pytest

from hoody_tui.api import (
    Conflict,
    Invalid,
    Job,
    Loop,
    NotFound,
    PayloadError,
    PermissionRequest,
    RequestTimeout,
    ServerError,
    TextPart,
    ToolPart,
    Unauthorized,
    Unreachable,
)
from hoody_tui.backends.hoody import HoodyClient

from .conftest import TOKEN

pytestmark = pytest.mark.asyncio


async def test_health_needs_no_token(make_server):
    server = make_server(token=TOKEN)
    async with HoodyClient(server.url, server.workspace) as anonymous:
        assert (await anonymous.health()).status == "ok"
        with pytest.raises(Unauthorized) as exc:
            await anonymous.list_sessions()
    assert "bearer token" in str(exc.value).lower()
    async with HoodyClient(server.url, server.workspace, TOKEN) as authed:
        assert await authed.list_sessions() == []


async def test_wrong_token_is_unauthorized_and_never_shown(make_server):
    server = make_server(token=TOKEN)
    async with HoodyClient(server.url, server.workspace, "wrong-token-value") as c:
        with pytest.raises(Unauthorized) as exc:
            await c.pending_permissions()
        assert "wrong-token-value" not in str(exc.value) and "wrong-token-value" not in repr(exc.value)
        assert "wrong-token-value" not in repr(c)
        assert exc.value.status == 401


async def test_sessions_list_get_children_status(server, client, session):
    fork = server.call(server.state.create_session, "Fork", parent_id=session["id"])
    sessions = await client.list_sessions()
    assert {s.id for s in sessions} == {session["id"], fork["id"]}
    got = await client.get_session(session["id"])
    assert got.title == "Fix the login bug" and got.time.created
    children = await client.session_children(session["id"])
    assert [c.id for c in children] == [fork["id"]] and children[0].parent_id == session["id"]
    statuses = await client.session_statuses()
    assert all(s.type != "idle" for s in statuses.values())


async def test_unknown_session_is_not_found_with_the_server_message(client):
    with pytest.raises(NotFound) as exc:
        await client.get_session("sess_missing")
    assert exc.value.message == "Session not found"
    assert str(exc.value) == "reading session sess_missing: Session not found"


async def test_messages_with_after_cursor_get_message_and_tool_call(server, client, session):
    sid = session["id"]
    first = server.call(server.state.add_message, sid, "user", "Please fix it")
    second = server.call(server.state.add_message, sid, "assistant", "Done.")
    tool = server.call(server.state.add_part, second["info"]["id"], {
        "type": "tool", "callID": "call_1", "tool": "bash",
        "state": {"status": "completed", "input": {"command": "ls"}, "output": "a\nb\n", "title": "ls",
                  "metadata": {}, "time": {"start": 1, "end": 2}},
    })
    messages = await client.messages(sid)
    assert [m.info.id for m in messages] == [first["info"]["id"], second["info"]["id"]]
    assert isinstance(messages[0].parts[0], TextPart) and messages[0].parts[0].text == "Please fix it"
    later = await client.messages(sid, after=first["info"]["id"])
    assert [m.info.id for m in later] == [second["info"]["id"]]
    one = await client.get_message(sid, second["info"]["id"])
    assert one.info.role == "assistant" and one.info.is_complete
    part = await client.tool_call(sid, second["info"]["id"], "call_1")
    assert isinstance(part, ToolPart) and part.id == tool["id"] and part.state.output == "a\nb\n"
    with pytest.raises(NotFound):
        await client.tool_call(sid, second["info"]["id"], "call_nope")


async def test_summary_diff_todo_abort_prompt(server, client, session):
    sid = session["id"]
    summary = await client.session_summary(sid)
    assert summary.id == sid
    assert isinstance(await client.session_diff(sid), list)
    assert isinstance(await client.session_todo(sid), list)
    assert await client.abort(sid) is True
    assert await client.abort(sid) is True  # idempotent
    await client.prompt_async(sid, "Say hello")
    messages = await client.messages(sid)
    assert any(m.info.role == "user" for m in messages)


async def test_permission_reply_once_is_sent_once_with_the_documented_body(server, client, session):
    request = server.call(server.state.raise_permission, session["id"], "bash", ["rm -rf build"], ["rm -rf *"],
                          {"command": "rm -rf build"})
    pending = await client.pending_permissions()
    assert [p.id for p in pending] == [request["id"]]
    assert isinstance(pending[0], PermissionRequest) and pending[0].always == ["rm -rf *"]
    assert await client.reply_permission(request["id"], "once") is True
    replies = server.call(lambda: list(server.state.replies))
    assert [(r["requestID"], r["body"]) for r in replies] == [(request["id"], {"reply": "once"})]
    assert await client.pending_permissions() == []
    with pytest.raises(NotFound) as exc:  # answered: a second reply is refused
        await client.reply_permission(request["id"], "once")
    assert "Permission request not found" in str(exc.value)


async def test_permission_reject_with_message(server, client, session):
    request = server.call(server.state.raise_permission, session["id"], "edit", ["src/*.ts"])
    await client.reply_permission(request["id"], "reject", "not now")
    replies = server.call(lambda: list(server.state.replies))
    assert replies[-1]["body"] == {"reply": "reject", "message": "not now"}


async def test_invalid_reply_kind_never_leaves_the_client(server, client, session):
    request = server.call(server.state.raise_permission, session["id"])
    with pytest.raises(Invalid) as exc:
        await client.reply_permission(request["id"], "sometimes")  # type: ignore[arg-type]
    assert exc.value.status == 0 and exc.value.field_errors[0].field == "reply"
    assert server.call(lambda: list(server.state.replies)) == []


async def test_session_rulesets_and_config(server, client, session):
    rules = await client.session_permissions(session["id"])
    assert rules.agent and rules.effective == [*rules.agent_ruleset, *rules.session_ruleset]
    config = await client.permission_config()
    assert isinstance(config.permission, dict) and config.permission


async def test_questions_reply_and_reject(server, client, session):
    q1 = server.call(server.state.raise_question, session["id"], "Which DB?", ["postgres", "sqlite"])
    q2 = server.call(server.state.raise_question, session["id"], "Go on?", ["yes", "no"])
    listed = await client.questions()
    assert [q.id for q in listed] == [q1["id"], q2["id"]]
    assert [o.label for o in listed[0].questions[0].options] == ["postgres", "sqlite"]
    assert await client.reply_question(q1["id"], "postgres")
    assert await client.reject_question(q2["id"], "not applicable")
    replies = server.call(lambda: list(server.state.replies))
    assert [r["body"] for r in replies] == [{"answer": "postgres"}, {"reason": "not applicable"}]
    assert await client.questions() == []
    with pytest.raises(NotFound):
        await client.reply_question(q1["id"], "again")


async def test_question_reply_in_opencode_form(server, session):
    q = server.call(server.state.raise_question, session["id"], "Pick", ["a", "b"])
    async with HoodyClient(server.url, server.workspace, question_reply_form="answers") as c:
        await c.reply_question(q["id"], [["b"]])
    assert server.call(lambda: server.state.replies[-1]["body"]) == {"answers": [["b"]]}


async def test_jobs_pages_get_output_cancel_retry(server, client, session):
    sid = session["id"]
    for i in range(7):
        server.call(server.state.add_job, sid, "completed", output=f"out {i}")
    running = server.call(server.state.add_job, sid, "running")
    failed = server.call(server.state.add_job, sid, "failed")
    jobs = [job async for job in client.iter_jobs(sid, page_size=3)]
    assert len(jobs) == 9 and len({j.id for j in jobs}) == 9 and all(isinstance(j, Job) for j in jobs)
    page = await client.list_jobs_page(sid, status="active", limit=10)
    assert [j.id for j in page.jobs] == [running["id"]] and page.next_cursor is None
    got = await client.get_job(sid, running["id"])
    assert got.status == "running"
    assert isinstance(await client.job_output(sid, jobs[0].id), str)
    cancelled = await client.cancel_job(sid, running["id"])
    assert cancelled.cancelled and cancelled.job.status == "cancelled"
    again = await client.cancel_job(sid, running["id"])  # already terminal: 200, unchanged
    assert not again.cancelled or again.job.status == "cancelled"
    retried = await client.retry_job(sid, failed["id"])
    assert retried.retried_from == failed["id"] and retried.job_id != failed["id"]
    with pytest.raises(Conflict):  # completed jobs are not retryable
        await client.retry_job(sid, jobs[0].id)
    with pytest.raises(NotFound) as exc:
        await client.retry_job(sid, "job_missing")
    assert "job_missing" in str(exc.value)


async def test_bulk_cancel_reports_each_failure(server, client, session):
    sid = session["id"]
    a = server.call(server.state.add_job, sid, "running")
    done = server.call(server.state.add_job, sid, "completed")
    result = await client.cancel_jobs(sid, [a["id"], done["id"], "job_nope"])
    assert result.cancelled == 1
    assert {(f.job_id, f.reason) for f in result.failed} == {(done["id"], "already_terminal"), ("job_nope", "not_found")}
    with pytest.raises(Invalid):
        await client.cancel_jobs(sid, [])


async def test_retry_of_a_child_job_is_refused(server, client, session):
    sid = session["id"]
    parent = server.call(server.state.add_job, sid, "failed")
    child = server.call(server.state.add_job, sid, "failed", parent_id=parent["id"])
    with pytest.raises(Invalid) as exc:
        await client.retry_job(sid, child["id"])
    assert "parent" in str(exc.value).lower()


async def test_loop_get_start_conflict_stop_and_inject_conflict(server, client, session):
    sid = session["id"]
    assert await client.get_loop(sid) is None
    loop = await client.start_loop(sid, "Run the tests", 3)
    assert isinstance(loop, Loop) and loop.iters == 3 and loop.iter == 0
    with pytest.raises(Conflict) as exc:
        await client.start_loop(sid, "Again", 2)
    assert exc.value.code in ("loop_already_active", "session_busy")
    with pytest.raises(Conflict) as exc:
        await client.inject_jobs(sid)
    assert exc.value.code == "loop_already_active"
    assert await client.stop_loop(sid) is True
    assert await client.stop_loop(sid) is True  # idempotent
    assert await client.get_loop(sid) is None


async def test_loop_limits_are_checked_before_sending_and_by_the_server(server, client, session):
    sid = session["id"]
    with pytest.raises(Invalid) as exc:
        await client.start_loop(sid, "x", 101)
    assert exc.value.status == 0 and exc.value.field_errors[0].field == "iters"
    # The server's own 400 body, field errors included, reads the same way.
    path = await client.session_path(sid, "loop")
    with pytest.raises(Invalid) as exc:
        await client._request("POST", path, context="starting a loop", json_body={"prompt": "", "iters": 0})
    assert exc.value.status == 400
    assert {f.field for f in exc.value.field_errors} == {"prompt", "iters"}


async def test_inject_after_jobs(server, client, session):
    sid = session["id"]
    done = server.call(server.state.add_job, sid, "completed", wake_policy="manual")
    result = await client.inject_jobs(sid, [done["id"]])
    assert result.injected + result.failed == 1


async def test_cli_agent_start_and_stream_to_complete(server, client, session):
    started = await client.start_cli_agent(session["id"], "codex", "Investigate the login test", timeout_ms=60000)
    assert started.status == "queued" and started.session_id == session["id"]
    kinds = []
    async with asyncio.timeout(30):
        async for item in client.cli_agent_stream(session["id"], started.job_id):
            kinds.append(type(item).__name__)
    assert kinds[:3] == ["ConnectionState", "ConnectionState", "CliAgentSnapshot"]
    assert "CliAgentComplete" in kinds and kinds[-1] == "ConnectionState"


async def test_meta_agents_paths_vcs(client):
    agents = await client.agents()
    assert agents and all(a.name for a in agents)
    paths = await client.paths()
    assert paths.worktree and paths.directory
    assert (await client.vcs()).branch


async def test_auto_prefix_and_agent_prefix(make_server):
    server = make_server(prefix="agent")
    async with HoodyClient(server.url, server.workspace, api_prefix="auto") as c:
        assert await c.list_sessions() == []
        assert c.api_prefix == "/api/v1/agent"
    async with HoodyClient(server.url + "/api/v1/agent", server.workspace) as c:
        assert c.api_prefix == "/api/v1/agent" and await c.list_sessions() == []


async def test_alternative_envelopes_and_error_bodies(make_server):
    server = make_server(alt_shapes=True)
    session = server.call(server.state.create_session, "Alt")
    for _i in range(3):
        server.call(server.state.add_job, session["id"], "completed")
    async with HoodyClient(server.url, server.workspace) as c:
        assert [s.id for s in await c.list_sessions()] == [session["id"]]
        assert len([j async for j in c.iter_jobs(session["id"], page_size=2)]) == 3
        with pytest.raises(NotFound) as exc:
            await c.get_session("sess_missing")
        assert exc.value.code == "NOT_FOUND"


async def test_server_error_after_retries(make_server):
    server = make_server(fail_routes=[r"/sessions$"])
    async with HoodyClient(server.url, server.workspace, retry_delay=0.01) as c:
        with pytest.raises(ServerError) as exc:
            await c.list_sessions()
        assert exc.value.status == 500


async def test_slow_server_times_out_readably(make_server):
    server = make_server(delay_ms=1500)
    async with HoodyClient(server.url, server.workspace, timeout=0.3, get_retries=0) as c:
        with pytest.raises(RequestTimeout) as exc:
            await c.list_sessions()
    assert "timed out" in str(exc.value)


async def test_unreachable_server(refused_url):
    async with HoodyClient(refused_url, "w", get_retries=0) as c:
        with pytest.raises(Unreachable) as exc:
            await c.list_sessions()
    assert "connection refused" in str(exc.value)


async def test_a_non_json_body_is_a_payload_error():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html>surprise</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        async with HoodyClient(f"http://127.0.0.1:{httpd.server_address[1]}", "w") as c:
            with pytest.raises(PayloadError) as exc:
                await c.list_sessions()
        assert "not JSON" in str(exc.value)
    finally:
        httpd.shutdown()
