"""The app against the reference server over real HTTP and SSE: the dashboard fills in,
streams update, and gates decided with keys reach the server exactly once."""

from __future__ import annotations

import json

import pytest
from textual.widgets import ContentSwitcher

from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.gates.ledger import Phase
from hoody_tui.launch import hoody_app
from hoody_tui.ui.messages import StoreChanged
from hoody_tui.ui.screens.answer import AnswerScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.prompt import TextPromptScreen

from .helpers import live_app, replies, tool_parts, until

pytestmark = pytest.mark.asyncio


async def test_sessions_appear_live_and_the_status_bar_says_live(make_server):
    server = make_server(scenario="idle")
    ids = server.call(server.state.session_ids)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: set(app.sessions_view._keys) == set(ids))
        assert app.query_one("#sb-connection").has_class("-live")
        created = server.call(server.state.create_session, "Brand new")
        await until(pilot, lambda: created["id"] in app.sessions_view._keys)


async def test_stream_shows_text_as_it_arrives(server, session):
    sid = session["id"]
    server.call(server.state.add_message, sid, "user", "Hello agent")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        await pilot.press("enter")
        await until(pilot, lambda: len(app.stream_view.message_list._blocks) == 1)
        assert app.query_one(ContentSwitcher).current == "stream"
        message = server.call(server.state.add_message, sid, "assistant", "Working", completed=False)
        part_id = message["parts"][0]["id"]
        server.call(server.state.add_part, message["info"]["id"], {"id": part_id, "type": "text", "text": "Working on it"}, " on it")
        await until(pilot, lambda: any(
            getattr(p, "text", "") == "Working on it" for e in app.store.session_messages(sid) for p in e.parts.values()
        ))
        await until(pilot, lambda: len(app.stream_view.message_list._blocks) == 2)


async def _gate_for(pilot, app, server, sid, prompt):
    server.call(server.state.prompt, sid, prompt)
    await until(pilot, lambda: any(p.session_id == sid for p in app.store.permissions.values()))
    await pilot.press("4")
    await until(pilot, lambda: app.gates_view.detail.gate_id is not None)
    await until(pilot, app.gates_view.detail.settled)  # as a person would: read, then press
    return app.gates_view.detail.gate_id


async def test_allow_once_sends_one_reply_and_the_tool_runs(server, session, tmp_path):
    sid = session["id"]
    audit = tmp_path / "audit.jsonl"
    app = live_app(server, audit_log=audit)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        gate = await _gate_for(pilot, app, server, sid, "please run `rm -rf build/`")
        await pilot.press("y")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: any(p["state"]["status"] == "completed" for p in tool_parts(server, sid)))
    assert [(r["requestID"], r["body"]) for r in replies(server)] == [(gate, {"reply": "once"})]
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["gate"], record["decision"], record["outcome"], record["session"]) == (gate, "once", "ok", sid)
    assert record["subject"] == "rm -rf build/" and record["workspace"] == server.workspace


async def test_reject_with_a_message_ends_the_tool_in_error(server, session):
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        gate = await _gate_for(pilot, app, server, sid, "please run `git push --force origin main`")
        assert app.gates_view.risk(app.store.permissions[gate]).risky
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        await pilot.press(*"use a PR instead")
        await pilot.press("enter")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: any(p["state"]["status"] == "error" for p in tool_parts(server, sid)))
    (reply,) = replies(server)
    assert reply["body"] == {"reply": "reject", "message": "use a PR instead"}
    errored = [p for p in tool_parts(server, sid) if p["state"]["status"] == "error"]
    assert "use a PR instead" in errored[0]["state"]["error"]


async def test_always_after_confirm_stops_the_next_matching_ask(server, session):
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        gate = await _gate_for(pilot, app, server, sid, "please run `make deploy`")
        always = app.store.permissions[gate].always
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")  # the confirmation listing the patterns
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: any(p["state"]["status"] == "completed" for p in tool_parts(server, sid)))
        asked_before = len(replies(server))
        server.call(server.state.prompt, sid, "please run `make deploy` again")
        await until(pilot, lambda: sum(p["state"]["status"] == "completed" for p in tool_parts(server, sid)) >= 2)
        assert not app.store.permissions  # not asked again
    assert replies(server)[0]["body"] == {"reply": "always"} and asked_before == 1
    rules = server.call(server.state.get_session, sid)["permission"]
    assert any(r["pattern"] in always and r["action"] == "allow" for r in rules)


async def test_question_answered_in_its_panel_and_a_view_key_answers_nothing(server, session):
    """Issue 13.1: ``2`` on a question shown in the gates view goes to the stream and
    sends nothing; the question is answered only in its own panel (Enter, then ↓ Enter)."""
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        server.call(server.state.prompt, sid, "ask: Which database? [postgres | sqlite]")
        await until(pilot, lambda: bool(app.store.questions))
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id in app.store.questions)
        await until(pilot, app.gates_view.detail.settled)
        gate = app.gates_view.detail.gate_id
        await pilot.press("2")  # a view key: it navigates, and decides nothing
        await until(pilot, lambda: app.current_view == "stream")
        assert gate in app.store.questions and app.ledger.state(gate) is None
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == gate)
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AnswerScreen))
        await until(pilot, app.screen.ready)
        await pilot.press("down", "enter")
        await until(pilot, lambda: gate not in app.store.questions)
    assert [r["body"] for r in replies(server)] == [{"answer": "sqlite"}]


async def test_question_rejected_with_a_reason(server, session):
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        server.call(server.state.prompt, sid, "ask: Deploy now? [yes | no]")
        await until(pilot, lambda: bool(app.store.questions))
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id in app.store.questions)
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        await pilot.press(*"later", "enter")
        await until(pilot, lambda: not app.store.questions)
    assert [r["body"] for r in replies(server)] == [{"reason": "later"}]


async def test_a_gate_answered_elsewhere_is_dropped_and_said_so(server, session):
    """The app has not heard yet that another client answered: its reply gets a 404,
    it says so and drops the gate; nothing is retried."""
    request = server.call(server.state.raise_permission, session["id"], "bash", ["ls"], [], {"command": "ls"})
    app = hoody_app(server.url, server.workspace, bell=False, start_worker=False)
    async with app.run_test(size=(120, 36)) as pilot:
        async with HoodyClient(server.url, server.workspace) as other:
            listed = await other.pending_permissions()
            app.post_message(StoreChanged(app.store.resync(await _snapshot(other))))
            await other.reply_permission(request["id"], "reject", "elsewhere")
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == request["id"])
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        await until(pilot, lambda: request["id"] not in app.store.permissions)
        assert any("decided elsewhere" in n.text.lower() for n in app.notices)
    assert [r["status"] for r in replies(server)] == [200, 404]
    assert listed and listed[0].id == request["id"]


async def test_a_failed_reply_is_checked_then_offered_again(make_server):
    server = make_server(fail_routes=[r"/permissions/.*/reply"])
    session = server.call(server.state.create_session, "S")
    request = server.call(server.state.raise_permission, session["id"], "bash", ["ls"], [], {"command": "ls"})
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: request["id"] in app.store.permissions)
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == request["id"])
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        # 500: the fate is unknown until a listing shows the gate still pending.
        await until(pilot, lambda: (s := app.ledger.state(request["id"])) is not None and s.phase is Phase.FAILED)
        assert "press again" in app.ledger.state(request["id"]).note
        server.set_faults(fail_routes=[])
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        await until(pilot, lambda: request["id"] not in app.store.permissions)
    statuses = [r["status"] for r in replies(server) if r["requestID"] == request["id"]]
    assert statuses[-1] == 200


async def _snapshot(client):
    from hoody_tui.backends.hoody.listing import fetch_snapshot

    return await fetch_snapshot(client)
