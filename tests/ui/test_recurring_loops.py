"""A server with recurring loops and tasks (a gateway's capabilities) through the App: the
loops panel lists each loop live and creates, pauses, runs and deletes them by keys; the
Loop column counts them; a session's tasks show above its stream; a gate's "always" says
it saves directories, and N is absent where a reject carries no message."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Input

from hoody_tui.api import parse_event
from hoody_tui.api.events import TasksUpdated
from hoody_tui.api.loops import RecurringLoop
from hoody_tui.api.tasks import Task
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.recurring import RecurringLoopsScreen, check_recurring_form, duration_ms, loop_cells

from ..fakes import GATEWAY_LIKE, FakeBackend
from .test_answer_screen import screen_text
from .test_backend_ui import footer_text, make_app, until

NOW = 1_796_000_000.0


def _backend() -> FakeBackend:
    backend = FakeBackend(capabilities=GATEWAY_LIKE)
    backend.add_session("s1", "Nightly build")
    backend.recurring["s1"] = {
        "loop_a": RecurringLoop(id="loop_a", session_id="s1", prompt="run the tests", interval="30m", max_runs=5,
                                runs=2, max_cost_usd=2.0, cost_usd=0.5, status="active", next_run_at=int((NOW + 600) * 1000)),
        "loop_b": RecurringLoop(id="loop_b", session_id="s1", prompt="check deps", interval="1d", runs=7,
                                paused=True, status="paused"),
    }
    return backend


def test_the_form_is_checked_before_anything_is_sent():
    errors, spec = check_recurring_form({"prompt": " ", "interval": "soon", "max_runs": "-1", "max_cost": "lots",
                                         "max_wall": "forever"})
    assert set(errors) == {"prompt", "interval", "max_runs", "max_cost", "max_wall"} and spec is None
    errors, spec = check_recurring_form({"prompt": "ping", "interval": "0m"})
    assert set(errors) == {"interval"}
    errors, spec = check_recurring_form({"prompt": "ping", "interval": "30m", "max_runs": "3", "max_cost": "$1.50",
                                         "max_wall": "2h", "stop_when": "DONE"})
    assert not errors and spec is not None
    assert (spec.interval, spec.max_runs, spec.max_cost_usd, spec.max_wall_ms, spec.stop_when) == ("30m", 3, 1.5,
                                                                                                  7_200_000, "DONE")
    assert duration_ms("90s") == 90_000 and duration_ms("1d") == 86_400_000 and duration_ms("1w") is None


def test_a_loops_row_says_runs_of_max_next_run_cost_of_cap_and_state():
    loop = RecurringLoop(id="l", prompt="p", interval="30m", max_runs=5, runs=2, max_cost_usd=2.0, cost_usd=0.5,
                         status="active", next_run_at=(NOW + 90) * 1000)
    assert loop_cells(loop, now=NOW) == ("active", "30m", "2/5", "in 1m", "$0.50 of $2.00", "p")
    paused = loop.model_copy(update={"paused": True})
    assert loop_cells(paused, now=NOW)[0] == "paused" and loop_cells(paused, now=NOW)[3] == "-"


async def test_the_loops_panel_creates_pauses_runs_and_deletes_by_keys():
    backend = _backend()
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, RecurringLoopsScreen))
        screen = app.screen
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 2)
        assert [str(k.value) for k in table.rows] == ["loop_a", "loop_b"]
        assert table.get_row("loop_a")[:3] == ["active", "30m", "2/5"] and table.get_row("loop_b")[0] == "paused"
        # The Loop column of the sessions list counts them.
        assert "⟳ 1 ‖ 1" in [str(c) for c in app.sessions_view.row_cells("s1")]

        # A new loop: a bad interval is refused in words, nothing sent; a good one is created.
        await pilot.press("n")
        await pilot.press(*"summarise the logs")
        screen.query_one("#recurring-interval", Input).value = "soon"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not backend.loop_calls
        assert "90s, 30m" in str(screen.query_one("#recurring-interval-error").render())
        screen.query_one("#recurring-interval", Input).value = "2h"
        screen.query_one("#recurring-max_runs", Input).value = "4"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: table.row_count == 3)
        assert backend.loop_calls[0] == ("create", "loop_3", {"prompt": "summarise the logs", "interval": "2h",
                                                               "max_runs": 4})

        # Pause the first, run it now (asked first), delete the second (asked first).
        await pilot.press("home", "p")
        await until(pilot, lambda: table.get_row("loop_a")[0] == "paused")
        assert backend.loop_calls[-1] == ("update", "loop_a", {"paused": True})
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: backend.loop_calls[-1] == ("run-now", "loop_a", {}))
        await pilot.press("down", "x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: table.row_count == 2)
        assert backend.loop_calls[-1] == ("delete", "loop_b", {}) and "loop_b" not in app.store.recurring["s1"]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RecurringLoopsScreen))


async def test_a_loop_changed_on_the_server_updates_the_open_panel():
    backend = _backend()
    backend.events_queue = asyncio.Queue()
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, RecurringLoopsScreen))
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 2)
        ran = backend.recurring["s1"]["loop_a"].model_copy(update={"runs": 3, "cost_usd": 0.75})
        from hoody_tui.api.events import RecurringLoopUpdated

        backend.events_queue.put_nowait(RecurringLoopUpdated(type="recurring_loop.updated", session_id="s1", loop=ran))
        await until(pilot, lambda: table.get_row("loop_a")[2] == "3/5")
        assert table.get_row("loop_a")[4] == "$0.75 of $2.00"


async def test_a_sessions_tasks_show_above_its_stream():
    backend = _backend()
    backend.events_queue = asyncio.Queue()
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        app.open_stream("s1")
        panel = app.stream_view.query_one("#stream-tasks")
        assert not panel.display
        backend.events_queue.put_nowait(TasksUpdated(type="tasks.updated", session_id="s1", tasks=[
            Task(tid="t1", status="running", title="npm test"), Task(tid="t2", status="completed", title="lint \x1b[31m")]))
        await until(pilot, lambda: panel.display)
        shown = screen_text(app)
        assert "tasks" in shown and "▶ npm test" in shown and "✓ lint" in shown and "\x1b" not in shown


async def test_always_says_it_saves_directories_and_n_with_a_message_is_absent():
    backend = _backend()
    backend.ask("gate_1", command="rm -rf build", always=["/home/dev/project/build"])
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == "gate_1")
        assert "Reject+msg" not in footer_text(app)
        body = " ".join(screen_text(app).split())
        assert "save access to these directories" in body and "/home/dev/project/build" in body
        assert "N reject with a message" not in body and "y/Enter allow once" in body
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("N")
        await pilot.pause()
        assert not backend.replies
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = " ".join(app.screen._question.split())
        assert "save access to these directories in the agent's settings" in asked and "/home/dev/project/build" in asked


def test_parse_event_is_untouched_by_store_only_records():
    # The records the gateway backend makes are not server event names: a server that
    # sent one would get an UnknownEvent, not a store change it did not mean.
    event = parse_event({"type": "tasks.updated", "properties": {"sessionID": "s1", "tasks": []}})
    assert type(event).__name__ == "UnknownEvent"
