"""The fault catalogue (issue #7): every fault the reference server can inject, or a real
kill and restart of its process, met by the whole app over real sockets, each with what
the user sees. ``docs/reliability.md`` maps each fault to its test here.

No test sleeps for timing: each waits (``until``) on what the user would see, or on the
server's own record (its request counts and reply log).
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from textual.widgets import Collapsible, Static

from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.gates.ledger import Phase
from hoody_tui.launch import hoody_app
from hoody_tui.ui.app import HoodyApp
from hoody_tui.ui.screens.full_output import PAGE_CHARS, FullOutputScreen
from hoody_tui.ui.screens.job_detail import JobDetailScreen
from hoody_tui.ui.screens.loop import LoopScreen
from hoody_tui.ui.widgets.message_view import PartView

from .conftest import TOKEN
from .helpers import live_app, replies, until

REFSERVER = [sys.executable, "-m", "hoody_tui.refserver.cli"]


# --- helpers -------------------------------------------------------------------------


class RecordingApp(HoodyApp):
    """The app, plus the list of every connection state it was told about (Textual calls
    this handler and the app's own, so the app behaves exactly as shipped)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.states: list = []

    def on_connection_changed(self, message) -> None:
        self.states.append(message.state)


def recording_app(url: str, workspace: str, *, client: HoodyClient | None = None, **options) -> RecordingApp:
    options.setdefault("bell", False)
    options.setdefault("server_label", "faults")
    return hoody_app(url, workspace, client=client, app_class=RecordingApp, **options)  # type: ignore[return-value]


class WatchdogClient(HoodyClient):
    """The shipped client with a short heartbeat watchdog (75 s by default), so a stalled
    stream is noticed within the test."""

    def events(self, **options):
        options.setdefault("heartbeat_timeout", 0.5)
        return super().events(**options)


def connection_text(app: HoodyApp) -> str:
    return str(app.status_bar.query_one("#sb-connection", Static).render())


def notes(app: HoodyApp) -> list[str]:
    return [f"{n.title}: {n.text}" for n in app.notices]


def noted(app: HoodyApp, *words: str) -> bool:
    return any(all(w in note for w in words) for note in notes(app))


def phases(app: RecordingApp) -> list[str]:
    return [s.phase for s in app.states]


def hits(server, suffix: str) -> int:
    return server.call(server.state.hit_count, suffix)


def event_worker_finished(app: HoodyApp) -> bool:
    """The event worker ended (Textual forgets finished workers): nothing will reconnect."""
    return not any(w.name == "event worker" and not w.is_finished for w in app.workers)


async def open_gates(pilot, app: HoodyApp, gate_id: str) -> None:
    await pilot.press("4")
    await until(pilot, lambda: app.gates_view.detail.gate_id == gate_id)
    await until(pilot, app.gates_view.detail.settled)


def kind_cell(app: HoodyApp, gate_id: str) -> str:
    return app.gates_view.table.get_cell(gate_id, "kind").plain


# --- the stream dropped mid-event --------------------------------------------------


async def test_stream_cut_mid_event_reconnects_and_shows_the_gate_once(make_server):
    """The frame of a new permission request is cut in half and the connection ends: the
    half frame is never applied, the app reconnects (reconnecting, then live), the resync
    brings the gate, and it is listed exactly once."""
    server = make_server()
    sid = server.call(server.state.create_session, "Cut")["id"]
    app = recording_app(server.url, server.workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.store.sessions and phases(app)[-1:] == ["live"])
        server.set_faults(truncate_once=True)
        gate = server.call(server.state.raise_permission, sid, "bash", ["ls"], [], {"command": "ls"})
        await until(pilot, lambda: "reconnecting" in phases(app))
        await until(pilot, lambda: phases(app)[-1] == "live" and gate["id"] in app.store.permissions)
        again = server.call(server.state.raise_permission, sid, "bash", ["pwd"], [], {"command": "pwd"})
        await until(pilot, lambda: again["id"] in app.store.permissions)
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.table.row_count == 2)
        assert app.gates_view._keys == [gate["id"], again["id"]]
        assert app.status_bar.gates == 2
        assert "● live" in connection_text(app)
    reconnect = next(s for s in app.states if s.phase == "reconnecting")
    assert reconnect.attempt == 1 and "closed" in reconnect.reason
    assert hits(server, "/meta/events") == 2


# --- the server killed and restarted with other state ------------------------------


class RefserverProcess:
    """``hoody-refserver`` in its own process, so it can be killed for real."""

    def __init__(self, log: Path, *args: str) -> None:
        self.log = log.open("a")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("HOODY_REFSERVER_TOKEN", None)
        self.proc = subprocess.Popen([*REFSERVER, *args], stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        banner = self.proc.stdout.readline()
        if " at " not in banner:
            self.stop()
            raise RuntimeError(f"hoody-refserver did not start: {banner!r} (see {log})")
        self.url = banner.split(" at ")[1].split(" ")[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    def pending(self, workspace: str) -> list[str]:
        response = httpx.get(f"{self.url}/api/v1/workspaces/{workspace}/permissions", timeout=10)
        return [p["id"] for p in response.json()]

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no goodbye, connections just die
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()
        self.log.close()


async def test_server_killed_and_restarted_with_other_gates(tmp_path):
    """SIGKILL the server, start another on the same port whose state differs (other
    sessions, other pending gates): the status bar goes reconnecting, then live; the gates
    view shows exactly the new gates, none of the vanished ones, none twice."""
    workspace = "restart-ws"
    common = ["--scenario", "none", "--workspace", workspace, "--speed", "5"]
    log = tmp_path / "refserver.log"
    first = RefserverProcess(log, *common, "--port", "0", "--seed", "1", "--pending-gates", "3")
    second = None
    try:
        old = first.pending(workspace)
        app = recording_app(first.url, workspace)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("4")
            await until(pilot, lambda: app.gates_view._keys == old)
            old_sessions = set(app.store.sessions)
            first.kill()
            await until(pilot, lambda: app.states and app.states[-1].phase == "reconnecting")
            assert "reconnecting" in connection_text(app)
            second = await asyncio.to_thread(
                RefserverProcess, log, *common, "--port", str(first.port), "--seed", "2", "--pending-gates", "2")
            new = await asyncio.to_thread(second.pending, workspace)
            await until(pilot, lambda: app.states[-1].phase == "live" and set(app.store.permissions) == set(new),
                        timeout=30)
            await until(pilot, lambda: sorted(app.gates_view._keys) == sorted(new))
            keys = app.gates_view._keys
            assert len(keys) == len(set(keys)) == 2 and not set(keys) & set(old)
            assert app.gates_view.table.row_count == 2 and app.status_bar.gates == 2
            assert not old_sessions & set(app.store.sessions)
            assert "● live" in connection_text(app)
        live_again = len(phases(app)) - 1 - phases(app)[::-1].index("reconnecting")
        assert phases(app)[:2] == ["connecting", "live"] and phases(app)[-1] == "live" and live_again < len(phases(app))
    finally:
        first.stop()
        if second is not None:
            second.stop()


# --- a stalled stream ---------------------------------------------------------------


async def test_a_stalled_stream_is_noticed_and_reconnected(make_server):
    """The server keeps the connection open but sends nothing, not even heartbeats: the
    watchdog gives up on it, the status bar says the stream stalled and reconnects, and
    once the server speaks again new state arrives."""
    server = make_server(heartbeat_interval=0.05)
    client = WatchdogClient(server.url, server.workspace)
    app = recording_app(server.url, server.workspace, client=client)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: phases(app)[-1:] == ["live"])
        server.set_faults(stall=True)
        await until(pilot, lambda: any(s.phase == "reconnecting" and "stalled" in (s.reason or "") for s in app.states))
        # Still stalled, each retry waits longer (nothing arrives to reset the backoff).
        await until(pilot, lambda: "stream stalled" in connection_text(app))
        server.set_faults(stall=False)
        created = server.call(server.state.create_session, "After the stall")
        await until(pilot, lambda: created["id"] in app.store.sessions)
        await until(pilot, lambda: "● live" in connection_text(app))
    assert hits(server, "/meta/events") >= 2


# --- slow replies -------------------------------------------------------------------


async def test_a_slow_reply_shows_sending_and_the_ui_stays_responsive(make_server):
    """The reply route holds every request until released: the gate shows "sending…",
    other keys keep working meanwhile, a second press sends nothing, and once the server
    answers the gate goes, with exactly one reply sent."""
    server = make_server(hold_routes=[r"/permissions/[^/]+/reply$"])
    sid = server.call(server.state.create_session, "Slow")["id"]
    gate = server.call(server.state.raise_permission, sid, "bash", ["make"], [], {"command": "make"})
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: gate["id"] in app.store.permissions)
        await open_gates(pilot, app, gate["id"])
        await pilot.press("y")
        await until(pilot, lambda: kind_cell(app, gate["id"]) == "sending…")
        assert app.ledger.state(gate["id"]).phase is Phase.SENDING
        await pilot.press("1")  # the UI answers keys while the reply is on its way
        assert app.current_view == "sessions"
        await pilot.press("4")
        assert app.current_view == "gates" and kind_cell(app, gate["id"]) == "sending…"
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")  # pressed again: nothing more is sent
        await until(pilot, lambda: noted(app, "already on its way"))
        assert replies(server) == [] and hits(server, "/reply") == 1
        server.set_faults(hold_routes=[])
        await until(pilot, lambda: gate["id"] not in app.store.permissions)
    assert [(r["requestID"], r["body"], r["status"]) for r in replies(server)] == [(gate["id"], {"reply": "once"}, 200)]


# --- 401 and 403 ---------------------------------------------------------------------


async def test_401_says_token_rejected_with_how_to_fix_and_does_not_retry(make_server):
    server = make_server(token=TOKEN)
    bad = "wrong-token-value"
    app = recording_app(server.url, server.workspace, token=bad)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "token rejected" in connection_text(app))
        await until(pilot, lambda: noted(app, "Token rejected", "HOODY_TOKEN", "--token-file"))
        await until(pilot, lambda: event_worker_finished(app))  # the stream gave up: no more attempts
        assert app.query_one("#sb-connection").has_class("-down")
        shown = " ".join(notes(app)) + connection_text(app) + str(app.query_one("#sb-connection").tooltip)
        assert bad not in shown and TOKEN not in shown
    assert phases(app) == ["connecting", "unauthorized"]
    assert hits(server, "/meta/events") == 1


async def test_403_says_forbidden_with_what_to_do_and_does_not_retry(make_server):
    server = make_server(fail_routes=[r"/workspaces/(?!health)"], fail_status=403)
    app = recording_app(server.url, server.workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "forbidden" in connection_text(app))
        await until(pilot, lambda: noted(app, "Access forbidden", server.workspace, "--workspace", "Not retrying"))
        await until(pilot, lambda: event_worker_finished(app))
        assert app.query_one("#sb-connection").has_class("-down")
        assert "no access to this workspace" in connection_text(app)
    assert phases(app) == ["connecting", "forbidden"]
    assert hits(server, "/meta/events") == 1


async def test_a_wrong_workspace_id_is_final_and_said_with_what_to_check(make_server):
    """Issue 13.8: a 404 on the workspace's stream is not retried forever under "Cannot
    connect": the workspace is not there, and retrying cannot make it appear."""
    server = make_server()
    app = recording_app(server.url, "no-such-workspace")
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "workspace not found" in connection_text(app))
        await until(pilot, lambda: noted(app, "Workspace not found", "'no-such-workspace' not found on", "--workspace"))
        await until(pilot, lambda: event_worker_finished(app))
        assert not noted(app, "Cannot connect")
        empty = app.sessions_view.query_one(".view-empty")
        assert "Not connected yet" in str(empty.render()) and empty.display
    assert phases(app) == ["connecting", "failed"]
    assert hits(server, "/meta/events") == 1


# --- a session deleted while open (404) ---------------------------------------------


async def test_session_deleted_while_its_stream_is_open(make_server):
    """The session on screen is deleted on the server while its agent is mid-message: the
    stream view says it was deleted, the half-finished message (with its "…") is gone,
    and the session's keys say why they do nothing instead of sending requests."""
    server = make_server()
    sid = server.call(server.state.create_session, "Doomed")["id"]
    server.call(server.state.add_message, sid, "user", "Please refactor")
    server.call(server.state.add_message, sid, "assistant", "Working", completed=False)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        app.open_stream(sid)
        message_list = app.stream_view.message_list
        await until(pilot, lambda: len(message_list._blocks) == 2)
        server.call(server.state.remove_session, sid)
        await until(pilot, lambda: app.stream_view.deleted)
        title = str(app.stream_view.query_one("#stream-title", Static).render())
        assert "This session was deleted" in title
        assert "was deleted" in str(app.stream_view.query_one("#stream-empty", Static).render())
        assert not message_list._blocks
        await pilot.press("A")
        await until(pilot, lambda: noted(app, "This session was deleted"))
        await pilot.press("1")
        await until(pilot, lambda: sid not in app.sessions_view._keys)
    assert hits(server, "/abort") == 0


async def test_session_deleted_while_another_view_is_shown(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Doomed later")["id"]
    server.call(server.state.add_message, sid, "user", "Hi")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        app.open_stream(sid)
        await until(pilot, lambda: len(app.stream_view.message_list._blocks) == 1)
        await pilot.press("4")
        server.call(server.state.remove_session, sid)
        await until(pilot, lambda: sid not in app.store.sessions)
        await pilot.press("2")
        await until(pilot, lambda: app.stream_view.deleted)
        assert "This session was deleted" in str(app.stream_view.query_one("#stream-title", Static).render())


async def test_a_404_for_a_session_deleted_unseen_is_a_readable_notice(make_server):
    """The deletion's event has not reached us (the stream is stalled): asking for the
    session's todo meets the server's 404, shown as a sentence, nothing crashes."""
    server = make_server()
    sid = server.call(server.state.create_session, "Gone quietly")["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        server.set_faults(stall=True)
        server.call(server.state.remove_session, sid)
        await pilot.press("t")
        await until(pilot, lambda: noted(app, "Session not found"))
        assert sid in app.store.sessions  # we have not heard yet; the notice said what happened
        assert any(n.severity == "error" for n in app.notices)


# --- every 409 ------------------------------------------------------------------------


async def test_409_session_busy_on_loop_start_is_explained(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Busy")["id"]
    server.call(server.state.prompt, sid, "please run `make deploy`")  # the agent now waits at a gate
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys and any(
            p.session_id == sid for p in app.store.permissions.values()))
        app.open_stream(sid)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LoopScreen))
        await pilot.press(*"Fix everything")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "busy" in str(app.screen.query_one("#loop-result").render()))
        assert "wait until it is idle, or abort it" in str(app.screen.query_one("#loop-result").render())
    assert server.call(lambda: server.state.session(sid).loop) is None


async def _jobs_of(pilot, app, sid, *ids) -> None:
    await until(pilot, lambda: sid in app.sessions_view._keys)
    app.open_stream(sid)
    await pilot.press("3")
    await until(pilot, lambda: all(i in app.jobs_view._keys for i in ids))


def _select_job(app, job_id: str) -> None:
    app.jobs_view.table.move_cursor(row=app.jobs_view._keys.index(job_id), animate=False)


async def test_409_inject_while_a_loop_runs_is_explained(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Looping")["id"]
    done = server.call(server.state.add_job, sid, "completed", wake_policy="manual")
    server.call(server.state.set_loop, sid, "Keep going", 5)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, done["id"])
        _select_job(app, done["id"])
        await pilot.press("i")
        await until(pilot, lambda: noted(app, "A prompt loop is active on this session", "stop the loop (l)"))
    assert hits(server, "/jobs/inject") == 1


async def test_409_retry_of_a_job_that_is_not_retryable_any_more_is_explained(make_server):
    """Our copy says failed; the server's says completed (we have not heard): its 409
    reaches the user as the server's reason."""
    server = make_server()
    sid = server.call(server.state.create_session, "Stale job")["id"]
    job = server.call(server.state.add_job, sid, "failed", output="boom\n", error="exit 1")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, job["id"])
        server.call(lambda: server.state.jobs.records[job["id"]].info.__setitem__("status", "completed"))
        _select_job(app, job["id"])
        await pilot.press("r")
        await until(pilot, lambda: noted(app, "Only failed, expired, or cancelled jobs can be retried", "completed"))
    assert len(server.call(lambda: list(server.state.jobs.records))) == 1


async def test_410_retry_of_a_job_whose_tool_is_gone_is_explained(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Old tool")["id"]
    job = server.call(server.state.add_job, sid, "failed", tool="legacy_tool", error="exit 1")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, job["id"])
        _select_job(app, job["id"])
        await pilot.press("r")
        await until(pilot, lambda: noted(app, "the tool that produced this job is no longer available"))


@pytest.mark.parametrize("code", ["turn_in_flight", "gate_parked", "gate_type_mismatch"])
async def test_409_refusing_a_gate_reply_is_explained_and_the_gate_kept(make_server, code):
    """A 409 that means "not now" (not "already answered"): the user reads why, the gate
    stays, and a later decision goes through."""
    server = make_server(fail_routes=[r"/permissions/[^/]+/reply$"], fail_status=409, fail_code=code)
    sid = server.call(server.state.create_session, "Refused")["id"]
    gate = server.call(server.state.raise_permission, sid, "bash", ["ls"], [], {"command": "ls"})
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: gate["id"] in app.store.permissions)
        await open_gates(pilot, app, gate["id"])
        await pilot.press("y")
        await until(pilot, lambda: noted(app, "Not accepted", "Injected conflict"))
        assert gate["id"] in app.store.permissions and app.ledger.state(gate["id"]) is None
        assert kind_cell(app, gate["id"]) == "permission"
        server.set_faults(fail_routes=[])
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        await until(pilot, lambda: gate["id"] not in app.store.permissions)
    assert [r["status"] for r in replies(server)] == [200]
    assert hits(server, "/reply") == 2


@pytest.mark.parametrize("code", ["no_pending_gate", "stale_gate", "gate_already_answered"])
async def test_409_gate_already_handled_drops_the_gate_and_says_so(make_server, code):
    server = make_server(fail_routes=[r"/permissions/[^/]+/reply$"], fail_status=409, fail_code=code)
    sid = server.call(server.state.create_session, "Raced")["id"]
    gate = server.call(server.state.raise_permission, sid, "bash", ["ls"], [], {"command": "ls"})
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: gate["id"] in app.store.permissions)
        await open_gates(pilot, app, gate["id"])
        await pilot.press("y")
        await until(pilot, lambda: noted(app, "Decided elsewhere before your reply arrived"))
        await until(pilot, lambda: gate["id"] not in app.gates_view._keys)
    assert hits(server, "/reply") == 1


# --- 5xx on the event stream ---------------------------------------------------------


async def test_5xx_on_the_event_stream_backs_off_says_so_and_recovers(make_server):
    """The event stream answers 503: the app retries with growing delays (one request per
    attempt, no storm), the status bar says what fails and when the next try is, and once
    the server is healthy again it goes live."""
    server = make_server(fail_routes=[r"/meta/events$"], fail_status=503)
    app = recording_app(server.url, server.workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sum(s.phase == "reconnecting" for s in app.states) >= 3)
        retries = [s for s in app.states if s.phase == "reconnecting"]
        assert [s.attempt for s in retries[:3]] == [1, 2, 3]
        assert all("HTTP 503" in s.reason for s in retries)
        # Default backoff 0.5 s doubling, with at most half of it random.
        for state in retries[:3]:
            base = 0.5 * 2 ** (state.attempt - 1)
            assert base / 2 <= state.delay <= base
        assert hits(server, "/meta/events") in (3, 4)  # one request per attempt
        text = connection_text(app)
        assert "server error (HTTP 503)" in text and "attempt" in text
        assert noted(app, "Cannot connect", "HTTP 503")
        server.set_faults(fail_routes=[])
        await until(pilot, lambda: phases(app)[-1] == "live", timeout=30)
        assert "● live" in connection_text(app)


# --- malformed and truncated frames, unknown events -----------------------------------


async def test_malformed_frames_are_skipped_with_a_notice_and_the_state_is_right(make_server):
    """Every event is followed by a frame of cut-off JSON: each bad frame is skipped with
    a notice, and every good event around it is applied."""
    server = make_server(malformed_every=1)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.status_bar.connection.phase == "live")
        made = [server.call(server.state.create_session, f"S{i}")["id"] for i in range(3)]
        await until(pilot, lambda: all(sid in app.sessions_view._keys for sid in made))
        await until(pilot, lambda: noted(app, "skipped a malformed event", "not valid JSON"))
        assert len(app.sessions_view._keys) == 3
        assert "● live" in connection_text(app)


async def test_unknown_event_types_change_nothing_and_alarm_nobody(make_server):
    server = make_server()
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.status_bar.connection.phase == "live")
        server.call(server.state.emit, {"type": "brand.new.kind", "properties": {"x": [1, 2], "y": None}})
        server.call(server.state.emit, {"type": "session.teleported", "properties": {"sessionID": "sess_nope"}})
        server.call(server.state.emit, {"type": "", "properties": "not even an object"})
        created = server.call(server.state.create_session, "After the unknowns")
        await until(pilot, lambda: created["id"] in app.sessions_view._keys)
        assert list(app.store.sessions) == [created["id"]]
        assert not any(n.severity == "error" for n in app.notices)
        assert not noted(app, "brand.new.kind") and "● live" in connection_text(app)


# --- a 10 MB tool output ---------------------------------------------------------------


def big_output(lines: int = 200_000) -> str:
    return "".join(f"line {i:07d} " + "x" * 40 + "\n" for i in range(1, lines + 1)) + "THE END\n"


async def test_a_10mb_tool_output_is_cut_with_a_way_to_read_it_all(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Noisy")["id"]
    output = big_output()
    assert len(output) > 10_000_000
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        app.open_stream(sid)
        message = server.call(server.state.add_message, sid, "assistant", "Running the build")
        server.call(server.state.add_part, message["info"]["id"], {
            "type": "tool", "callID": "call_big", "tool": "bash",
            "state": {"status": "completed", "input": {"command": "make verbose"}, "output": output,
                      "title": "make verbose", "metadata": {}, "time": {"start": 1, "end": 2}},
        })
        await until(pilot, lambda: app.stream_view.message_list.find_call("call_big") is not None, timeout=30)
        view: PartView = app.stream_view.message_list.find_call("call_big")
        await until(pilot, lambda: bool(view.query(".tool-body")))
        body = str(view.query_one(".tool-body", Static).render())
        assert "line 0000001" in body and "THE END" not in body
        assert "more characters not shown: press v on this call to read all of it" in body
        # Still answering keys: leave the view and come back.
        await pilot.press("1")
        await until(pilot, lambda: app.current_view == "sessions")  # a 10 MB part does not stall the keys
        await pilot.press("2")
        await until(pilot, lambda: app.current_view == "stream")
        view.query_one(Collapsible).query_one("CollapsibleTitle").focus()
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, FullOutputScreen))
        screen: FullOutputScreen = app.screen
        assert screen.text == output and len(screen.pages) > 100
        assert "".join(output[a:b] for a, b in screen.pages) == output
        assert screen.page_text.startswith("line 0000001") and len(screen.page_text) <= PAGE_CHARS + 2_000
        await pilot.press("G")
        assert screen.page == len(screen.pages) - 1 and screen.page_text.endswith("THE END\n")
        await pilot.press("p")
        assert screen.page == len(screen.pages) - 2
        assert "page" in str(screen.query_one("#full-output-title", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, FullOutputScreen) and app.current_view == "stream"


async def test_a_10mb_job_output_is_cut_with_a_way_to_read_it_all(make_server):
    server = make_server()
    sid = server.call(server.state.create_session, "Noisy job")["id"]
    output = big_output()
    job = server.call(server.state.add_job, sid, "completed", output=output)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, job["id"])
        _select_job(app, job["id"])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("v")  # fetches jobs/{id}/output, then pages through it
        await until(pilot, lambda: isinstance(app.screen, FullOutputScreen), timeout=30)
        screen: FullOutputScreen = app.screen
        assert screen.text == output
        await pilot.press("G")
        assert screen.page_text.endswith("THE END\n")
        await pilot.press("escape")
        assert isinstance(app.screen, JobDetailScreen)
        shown = str(app.screen.query_one("#job-output", Static).render())
        assert "earlier characters not shown: v reads all of it" in shown and "THE END" in shown


# --- 10,000 pending gates ------------------------------------------------------------


async def test_10000_pending_gates_are_all_listed_and_the_first_decided_once(make_server):
    """5,000 gates are pending at start-up (the listing) and 5,000 more arrive as events:
    all 10,000 are counted and listed, the first can be decided at once, and exactly one
    reply is sent for it."""
    server = make_server()
    sid = server.call(server.state.create_session, "Many asks")["id"]
    first = server.call(server.state.raise_permissions, sid, 5000)
    app = live_app(server, gate_notices=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.store.permissions) == 5000, timeout=60)
        later = server.call(server.state.raise_permissions, sid, 5000)
        await until(pilot, lambda: app.status_bar.gates == 10000, timeout=60)
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.table.row_count == 10000, timeout=60)
        assert app.gates_view._keys == first + later
        assert "Gates 10000 pending" in str(app.gates_view.query_one(".view-title", Static).render())
        assert "gates 10000" in str(app.status_bar.query_one("#sb-gates", Static).render())
        await until(pilot, lambda: app.gates_view.detail.gate_id == first[0])
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")
        await until(pilot, lambda: first[0] not in app.store.permissions, timeout=30)
        await until(pilot, lambda: app.gates_view.table.row_count == 9999 and app.status_bar.gates == 9999)
        assert app.gates_view.detail.gate_id == first[1]  # the next one slid under the cursor
        await pilot.press("j")  # and the list still moves
        assert app.gates_view.selected_key == first[2]
        app.gates_view.table.move_cursor(row=9998, animate=False)
        await until(pilot, lambda: app.gates_view.table.get_row(later[-1])[-1] == "echo 5000")
    assert [(r["requestID"], r["body"]) for r in replies(server)] == [(first[0], {"reply": "once"})]


# --- connection refused and DNS failure at start-up ------------------------------------


@pytest.mark.parametrize("where", ["refused", "dns"])
async def test_unreachable_at_start_up_says_why_keeps_retrying_and_q_quits(refused_url, where):
    url, reason = (refused_url, "connection refused") if where == "refused" else (
        "http://nonexistent.invalid:4096", "host name not found")
    app = recording_app(url, "ws")
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: noted(app, "Cannot connect", reason, "Still trying", "q quits"))
        await until(pilot, lambda: sum(s.phase == "reconnecting" for s in app.states) >= 2)
        attempts = [s.attempt for s in app.states if s.phase == "reconnecting"]
        assert attempts[:2] == [1, 2]
        await until(pilot, lambda: f"attempt {app.states[-1].attempt}" in connection_text(app))
        text = connection_text(app)
        assert reason in text and "reconnecting" in text
        await pilot.press("q")
    assert app.return_code == 0 and app._exception is None


def test_hoody_tui_in_a_terminal_quits_cleanly_on_q_while_unreachable(tmp_path):
    """The real command in a pseudo-terminal, pointed at a port nothing serves: it starts,
    shows why it cannot connect, and ``q`` ends it with status 0 and no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOODY_", "XDG_"))}
    env.update(TERM="xterm-256color", HOME=str(tmp_path), COLUMNS="120", LINES="36")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real entry point
        os.execve(sys.executable, [sys.executable, "-c", "import sys; from hoody_tui.cli import main; sys.exit(main())",
                                   "--url", "http://127.0.0.1:1", "--workspace", "w", "--no-bell"], env)
    output = b""
    status = None

    def read_until(predicate, seconds: float) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while not predicate() and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    return
                if not chunk:
                    return
                output += chunk

    try:
        read_until(lambda: b"connection refused" in output, 60)
        assert b"connection refused" in output, output[-2000:]
        os.write(fd, b"q")
        read_until(lambda: False, 30)  # to the end of the output
        deadline = time.monotonic() + 30
        while status is None and time.monotonic() < deadline:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
            else:
                read_until(lambda: False, 0.2)
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None and os.waitstatus_to_exitcode(status) == 0
    assert b"Traceback" not in output
