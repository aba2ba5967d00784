"""The whole app against a real ``opencode serve`` (issue 16), driven with keys as a person
would: the session is listed, the permission its model asks for appears in the queue, and
``y`` / ``n`` / ``N`` / ``a`` do on opencode what the gate pane says they do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hoody_tui.backends import Connection, connect
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.prompt import TextPromptScreen

from .app_helpers import opencode_app, texts_in_store, until

pytestmark = pytest.mark.opencode


async def _gate(pilot, app, client, prompt: str) -> tuple[str, str]:
    """A new session whose model asks to run a command; its gate shown and read."""
    sid = client.create_session()["id"]
    await until(pilot, lambda: sid in app.store.sessions)
    client.prompt_async(sid, prompt)
    await until(pilot, lambda: any(p.session_id == sid for p in app.store.permissions.values()))
    await pilot.press("4")
    gate = next(p.id for p in app.store.permissions.values() if p.session_id == sid)
    await until(pilot, lambda: app.gates_view.detail.gate_id == gate)
    await until(pilot, app.gates_view.detail.settled)
    return sid, gate


async def test_allow_once_runs_the_call_and_the_stream_shows_the_final_text(opencode_server, opencode_client,
                                                                          tmp_path):
    audit = tmp_path / "audit.jsonl"
    app, sent = opencode_app(opencode_server, audit_log=audit)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.query_one("#sb-connection").has_class("-live"))
        sid, gate = await _gate(pilot, app, opencode_client, "run: echo allowed-once")
        request = app.store.permissions[gate]
        assert request.permission == "bash" and request.patterns == ["echo allowed-once"]
        assert request.command == "echo allowed-once" and request.always == ["echo *"]
        assert "Without a message the agent's turn stops" in " ".join(app.gates_view.detail.plain.split())
        await pilot.press("o")  # the call in its stream, then back to decide
        await until(pilot, lambda: app.current_view == "stream" and app.stream_view.session_id == sid)
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == gate)
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: "Final: allowed-once" in "".join(texts_in_store(app, sid)))
        await pilot.press("2")
        await until(pilot, lambda: app.stream_view.session_id == sid)
        finals = [e.info.id for e in app.store.session_messages(sid)
                  if any("Final: allowed-once" in getattr(p, "text", "") for p in e.parts.values())]
        await until(pilot, lambda: finals[0] in app.stream_view.message_list._blocks)
        await until(pilot, lambda: app.store.status(sid).type == "idle")
    assert [(s.path, s.body, s.status) for s in sent.replies()] == [
        (f"/permission/{gate}/reply", {"reply": "once"}, 200)]
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["gate"], record["decision"], record["outcome"]) == (gate, "once", "ok")
    assert record["subject"] == "echo allowed-once" and record["workspace"] == opencode_server.directory


async def test_reject_without_a_message_stops_the_turn(opencode_server, opencode_client, fake_model):
    app, sent = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        sid, gate = await _gate(pilot, app, opencode_client, "run: echo rejected-plain")
        await pilot.press("n")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: opencode_client.is_idle(sid) and app.store.status(sid).type == "idle")
        tools = [p for e in app.store.session_messages(sid) for p in e.parts.values() if p.type == "tool"]
        await until(pilot, lambda: any(getattr(p.state, "status", "") == "error" for e in app.store.session_messages(sid)
                                       for p in e.parts.values() if p.type == "tool"))
    assert tools
    assert [(s.body, s.status) for s in sent.replies()] == [({"reply": "reject"}, 200)]
    assert not any("Final: " in t for t in opencode_client.texts(sid))  # the model was not called again


async def test_reject_with_a_message_lets_the_agent_continue(opencode_server, opencode_client, fake_model):
    app, sent = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        sid, gate = await _gate(pilot, app, opencode_client, "run: echo rejected-with-reason")
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        assert "with one (N) the agent reads it and continues" in app.service.capabilities.reject_note()
        await pilot.press(*"use printf instead", "enter")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: any(t.startswith("Final: ") for t in texts_in_store(app, sid)))
    assert [(s.body, s.status) for s in sent.replies()] == [({"reply": "reject", "message": "use printf instead"}, 200)]
    assert any("use printf instead" in result for result in fake_model.tool_results())


async def test_always_lets_the_next_identical_call_run_without_asking(opencode_factory):
    server = opencode_factory()  # "always" changes the server's rules: a server of its own
    from .server import OpencodeClient

    with OpencodeClient(server) as client:
        app, sent = opencode_app(server)
        async with app.run_test(size=(120, 36)) as pilot:
            sid, gate = await _gate(pilot, app, client, "run: echo always-ok")
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")  # the confirmation that lists the patterns it persists ("echo *")
            await until(pilot, lambda: gate not in app.store.permissions)
            await until(pilot, lambda: "Final: always-ok" in "".join(texts_in_store(app, sid)))
            second = client.create_session()["id"]
            client.prompt_async(second, "run: echo always-ok")
            await until(pilot, lambda: "Final: always-ok" in "".join(texts_in_store(app, second))
                        or "Final: always-ok" in "".join(client.texts(second)))
            assert not any(p.session_id == second for p in app.store.permissions.values())
            assert client.permissions() == []
    assert [(s.body, s.status) for s in sent.replies()] == [({"reply": "always"}, 200)]


async def test_the_server_killed_and_restarted_the_app_reconnects_and_shows_the_new_state(opencode_factory):
    server = opencode_factory()
    from .server import OpencodeClient

    app, _ = opencode_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        with OpencodeClient(server) as client:
            before = client.create_session()["id"]
            await until(pilot, lambda: before in app.store.sessions)
        server.kill()
        await until(pilot, lambda: not app.query_one("#sb-connection").has_class("-live"))
        server.start()
        with OpencodeClient(server) as client:
            after = client.create_session()["id"]
            client.prompt_async(after, "run: echo after-restart")
            await until(pilot, lambda: any(p.session_id == after for p in app.store.permissions.values()), timeout=90)
        await until(pilot, lambda: app.query_one("#sb-connection").has_class("-live"))
        assert before in app.store.sessions and after in app.store.sessions


async def test_a_password_protected_server_with_the_right_password(opencode_factory):
    server = opencode_factory(password="correct horse")
    app, _ = opencode_app(server, password="correct horse", secrets=("correct horse",))
    from .server import OpencodeClient

    async with app.run_test(size=(120, 36)) as pilot:
        with OpencodeClient(server) as client:
            sid = client.create_session()["id"]
        await until(pilot, lambda: sid in app.store.sessions)
        assert app.query_one("#sb-connection").has_class("-live")


async def test_a_password_protected_server_with_a_wrong_password_says_so(opencode_factory):
    server = opencode_factory(password="correct horse")
    app, _ = opencode_app(server, password="wrong", secrets=("wrong",))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.query_one("#sb-connection").has_class("-down"))
        assert "password rejected" in str(app.query_one("#sb-connection").render())
        await until(pilot, lambda: any("rejected the password" in n.text for n in app.notices))
        said = " ".join(n.text for n in app.notices)
        assert "OPENCODE_SERVER_PASSWORD" in said
        assert "wrong" not in said and "correct horse" not in said


async def test_auto_recognises_opencode_and_names_its_directory(opencode_factory):
    server = opencode_factory(password="pw-auto")
    backend = await connect(Connection(server.url, token="pw-auto"))
    try:
        assert backend.kind == "opencode" and backend.scope == server.directory
    finally:
        await backend.aclose()
    # Without the password the Basic challenge alone says it is opencode.
    backend = await connect(Connection(server.url))
    try:
        assert backend.kind == "opencode"
    finally:
        await backend.aclose()


def test_connecting_then_running_the_app_in_a_new_event_loop_works(opencode_server):
    """The command line connects (probing, reading the directory) in one event loop and
    runs the app in another: nothing of the first may be reused by the second."""
    import asyncio

    backend = asyncio.run(connect(Connection(opencode_server.url)))
    assert backend.kind == "opencode" and backend.scope == opencode_server.directory

    async def use() -> None:
        try:
            snapshot = await backend.snapshot()
            assert isinstance(snapshot.sessions, list)
        finally:
            await backend.aclose()

    asyncio.run(use())


async def _question(pilot, app, client, prompt: str) -> tuple[str, str]:
    sid = client.create_session()["id"]
    await until(pilot, lambda: sid in app.store.sessions)
    client.prompt_async(sid, prompt)
    await until(pilot, lambda: any(q.session_id == sid for q in app.store.questions.values()))
    await pilot.press("4")
    gate = next(q.id for q in app.store.questions.values() if q.session_id == sid)
    await until(pilot, lambda: app.gates_view.detail.gate_id == gate)
    await until(pilot, app.gates_view.detail.settled)
    return sid, gate


async def test_a_question_is_answered_in_its_panel_and_the_turn_goes_on(opencode_server, opencode_client, fake_model):
    from hoody_tui.ui.screens.answer import AnswerScreen

    app, sent = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        sid, gate = await _question(pilot, app, opencode_client, "ask: Ship the release?")
        assert [o.label for o in app.store.questions[gate].questions[0].options] == ["Yes", "No"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AnswerScreen))
        await until(pilot, app.screen.ready)
        await pilot.press("down", "enter")  # "No"
        await until(pilot, lambda: gate not in app.store.questions)
        await until(pilot, lambda: any(t.startswith("Final: ") for t in texts_in_store(app, sid)))
    assert [(s.path, s.body, s.status) for s in sent.replies()] == [(f"/question/{gate}/reply", {"answers": [["No"]]}, 200)]
    assert any('"Ship the release?"="No"' in r for r in fake_model.tool_results())


async def test_a_question_rejected_with_n_asks_for_no_reason_opencode_would_drop(opencode_server, opencode_client):
    app, sent = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        sid, gate = await _question(pilot, app, opencode_client, "ask: Deploy now?")
        await pilot.press("n")
        await until(pilot, lambda: gate not in app.store.questions)
        assert not isinstance(app.screen, TextPromptScreen)
        await until(pilot, lambda: app.store.status(sid).type == "idle")
    assert [(s.path, s.body, s.status) for s in sent.replies()] == [(f"/question/{gate}/reject", None, 200)]


async def test_abort_with_a_permission_pending_drops_the_gate_opencode_keeps_listing(opencode_server, opencode_client):
    """opencode still lists a permission request after its session was aborted: the app
    drops it and says why, instead of offering a gate nothing can decide."""
    app, sent = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        sid, gate = await _gate(pilot, app, opencode_client, "run: echo never-runs")
        await pilot.press("o")  # to its stream, where A aborts the turn
        await until(pilot, lambda: app.current_view == "stream" and app.stream_view.session_id == sid)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: gate not in app.store.permissions)
        await until(pilot, lambda: any(n.text.startswith("Dropped, the turn ended") for n in app.notices))
        # opencode answers the abort after it has stopped the turn (and said so on the stream).
        await until(pilot, lambda: any(s.path.endswith("/abort") for s in sent.sent))
        still_listed = gate in [p["id"] for p in opencode_client.permissions()]
        # A fresh listing (what a reconnect does) does not bring it back either.
        snapshot = await app.service.backend.snapshot()
        assert gate not in [p.id for p in snapshot.permissions]
    assert [s.path for s in sent.sent if s.path.endswith("/abort")] == [f"/session/{sid}/abort"]
    assert not sent.replies()
    assert still_listed  # the quirk of opencode 1.18.33 this guards against


async def test_todo_and_diff_open_on_opencode(opencode_server, opencode_client):
    from hoody_tui.ui.screens.details import DetailsScreen

    sid = opencode_client.create_session()["id"]
    app, _ = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.store.sessions)
        app.open_stream(sid)
        await until(pilot, lambda: app.current_view == "stream")
        for key, title in (("t", "Todo"), ("d", "Diff")):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            assert app.screen._title.startswith(title)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DetailsScreen))


async def test_what_opencode_does_not_have_is_absent_not_dead(opencode_server, opencode_client):
    from hoody_tui.ui.help import help_rows
    from hoody_tui.ui.screens.loop import LoopScreen

    from ..ui.test_backend_ui import footer_text

    opencode_client.create_session()
    app, _ = opencode_app(opencode_server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app.sessions_view._keys))
        sections = dict(help_rows(app))
        assert "Jobs view" not in sections
        offered = {description for _, description, _ in sections["Sessions view"]}
        assert {"Open stream", "Abort", "Todo", "Diff"} <= offered
        assert not offered & {"Loop", "CLI agent", "Summary"}
        assert "Jobs" not in footer_text(app)
        await pilot.press("3", "l", "g", "s")
        await pilot.pause()
        assert app.current_view == "sessions" and app.screen is app.screen_stack[0]
        assert not isinstance(app.screen, LoopScreen)


async def test_a_workspace_directory_scopes_every_request(opencode_server, opencode_client, tmp_path):
    """One server, two projects: with --workspace the other directory, only its sessions."""
    other = tmp_path / "proj2"
    other.mkdir()
    # The same scripted model there: opencode reads the project's own opencode.json.
    (other / "opencode.json").write_text((Path(opencode_server.directory) / "opencode.json").read_text())
    from .server import OpencodeClient

    with OpencodeClient(opencode_server) as here, OpencodeClient(url=opencode_server.url, directory=str(other)) as there:
        mine = there.create_session()["id"]
        not_mine = here.create_session()["id"]
        app, sent = opencode_app(opencode_server, directory=str(other))
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: mine in app.store.sessions)
            there.prompt_async(mine, "run: echo in-proj2")
            await until(pilot, lambda: any(p.session_id == mine for p in app.store.permissions.values()))
            assert not_mine not in app.store.sessions
            assert app.service.backend.scope == str(other)
            await pilot.press("4")
            await until(pilot, lambda: app.gates_view.detail.gate_id is not None)
            await until(pilot, app.gates_view.detail.settled)
            await pilot.press("y")
            await until(pilot, lambda: "Final: in-proj2" in "".join(texts_in_store(app, mine)))
        assert [s.status for s in sent.replies()] == [200]
