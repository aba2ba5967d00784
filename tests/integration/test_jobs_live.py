"""Jobs, loops and CLI-agent runs from the keyboard, against the reference server."""

from __future__ import annotations

import pytest

from hoody_tui.ui.screens.cli_agent import CliAgentScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.job_detail import JobDetailScreen
from hoody_tui.ui.screens.loop import LoopScreen

from .helpers import live_app, until

pytestmark = pytest.mark.asyncio


def _select(app, key: str) -> None:
    view = app.jobs_view
    view.table.move_cursor(row=view._keys.index(key), animate=False)


async def _jobs_of(pilot, app, sid, *ids):
    await until(pilot, lambda: sid in app.sessions_view._keys)
    await pilot.press("enter")  # the session's stream
    await pilot.press("3")  # its jobs, paged from the server
    await until(pilot, lambda: all(i in app.jobs_view._keys for i in ids))


async def test_read_a_failing_jobs_output_then_retry_it(server, session):
    sid = session["id"]
    failed = server.call(server.state.add_job, sid, "failed", output="npm ERR! 3 tests failed\n", error="exit code 1")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, failed["id"])
        _select(app, failed["id"])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("F")  # the full output from jobs/{id}/output
        await until(pilot, lambda: app.screen.full_output is not None)
        assert "3 tests failed" in app.screen.full_output
        await pilot.press("r")
        await until(pilot, lambda: any(j.id != failed["id"] and j.session_id == sid for j in app.store.jobs.values()))
        await pilot.press("escape")
    jobs = server.call(lambda: [j.info for j in server.state.jobs.records.values()])
    retried = [j for j in jobs if j["id"] != failed["id"]]
    assert len(retried) == 1 and retried[0]["input"] == failed["input"]


async def test_retry_is_refused_with_the_reason_for_a_completed_job(server, session):
    sid = session["id"]
    done = server.call(server.state.add_job, sid, "completed")
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, done["id"])
        _select(app, done["id"])
        await pilot.press("r")  # disabled: nothing is sent, and the reason is on screen
        await pilot.pause()
        hint = str(app.jobs_view.query_one(".view-hint").render())
        assert "r retry: unavailable, only failed, expired or cancelled jobs can be retried" in hint
    assert len(server.call(lambda: list(server.state.jobs.records))) == 1


async def test_cancel_a_running_job_after_confirming(server, session):
    sid = session["id"]
    running = server.call(server.state.add_job, sid, "running", run=False)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, running["id"])
        _select(app, running["id"])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: app.store.jobs[running["id"]].status == "cancelled")
    assert server.call(lambda: server.state.jobs.records[running["id"]].info["status"]) == "cancelled"


async def test_bulk_cancel_reports_what_could_not_be_cancelled(server, session):
    sid = session["id"]
    a = server.call(server.state.add_job, sid, "running", run=False)
    b = server.call(server.state.add_job, sid, "running", run=False)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await _jobs_of(pilot, app, sid, a["id"], b["id"])
        for job in (a, b):
            _select(app, job["id"])
            await pilot.press("space")
        # b ends before the bulk cancel reaches the server (we have not heard yet).
        server.call(server.state.jobs.cancel, sid, b["id"])
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: any("Cancelled 1 of 2" in n.text for n in app.notices))
        note = next(n.text for n in app.notices if "Cancelled 1 of 2" in n.text)
        assert f"not cancelled: {b['id']} had already ended" in note
        assert app.store.jobs[a["id"]].status == "cancelled"


async def test_start_a_loop_watch_it_and_stop_it(server, session):
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LoopScreen))
        await pilot.press(*"Run the tests and fix what fails")
        await pilot.press("tab", "backspace", "2")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: sid in app.store.loops)
        assert app.store.loops[sid].iters == 2
        await until(pilot, lambda: sid not in app.store.loops or app.store.loops[sid].iter >= 1, timeout=30)
        await pilot.press("ctrl+x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: sid not in app.store.loops)
    assert server.call(lambda: server.state.session(sid).loop) is None


async def test_loop_form_shows_a_conflict_in_words(server, session):
    sid = session["id"]
    server.call(server.state.set_loop, sid, "Already running", 5)
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.store.loops)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LoopScreen))
        assert app.screen.query_one("#loop-start").disabled  # a loop is active: start is off
        app.screen.store.loops.pop(sid)  # as if our copy were stale: the server still says 409
        app.screen.refresh_loop()
        await pilot.press(*"Another loop")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "already active" in str(app.screen.query_one("#loop-result").render()))


async def test_launch_a_cli_agent_run_and_watch_it_complete(server, session):
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, CliAgentScreen))
        await pilot.press(*"codex", "tab", *"Investigate the failing login test")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.job_id is not None)
        await until(pilot, lambda: ("job " in str(app.screen.query_one("#cli-status").render())
                    and ": completed" in str(app.screen.query_one("#cli-status").render())) or
                    ": failed" in str(app.screen.query_one("#cli-status").render()), timeout=30)
        job_id = app.screen.job_id
    assert server.call(lambda: server.state.jobs.records[job_id].info["status"]) in ("completed", "failed")
