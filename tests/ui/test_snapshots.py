"""Every screen pinned as an SVG snapshot, in a dark and a light theme, at 120x36.

Deterministic: a fixed clock, a fixed scenario posted as the worker's own Messages,
no server (so no host or port on screen), no cursor blink. Review a changed SVG
with `pytest --snapshot-report` before `--snapshot-update`.
"""

from __future__ import annotations

import pytest

from hoody_tui.events.items import ConnectionState
from hoody_tui.launch import hoody_app
from hoody_tui.ui.app import HoodyApp
from hoody_tui.ui.messages import ConnectionChanged, StoreChanged

from .scenario import NOW, rules_loaded, workspace_events

THEMES = ("textual-dark", "textual-light")
SIZE = (120, 36)


def make_app(theme: str) -> HoodyApp:
    return hoody_app("http://127.0.0.1:9", "demo", server_label="demo", theme=theme, bell=False,
                     gate_notices=False, view_refresh=0, start_worker=False, clock=lambda: NOW)


async def loaded(pilot) -> None:
    app = pilot.app
    app.post_message(ConnectionChanged(ConnectionState("live")))
    rules_loaded(app)
    app.post_message(StoreChanged(app.store.apply_many(workspace_events())))
    await pilot.pause()


async def gates_settled(pilot, *keys: str) -> None:
    """Open the gates, move, and wait (as a person reads) before deciding keys."""
    import asyncio

    await loaded(pilot)
    await pilot.press("4")
    for key in keys:
        async with asyncio.timeout(5):
            while not pilot.app.gates_view.detail.settled():
                await pilot.pause(0.05)
        await pilot.press(key)
    await pilot.pause()


@pytest.mark.parametrize("theme", THEMES)
def test_sessions(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded)


@pytest.mark.parametrize("theme", THEMES)
def test_stream(snap_compare, theme):
    async def open_stream(pilot):
        await loaded(pilot)
        await pilot.press("down", "enter")  # s1, the session with a conversation
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=open_stream)


@pytest.mark.parametrize("theme", THEMES)
def test_jobs(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded, press=["3"])


@pytest.mark.parametrize("theme", THEMES)
def test_gates(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded, press=["4"])


@pytest.mark.parametrize("theme", THEMES)
def test_help(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded, press=["question_mark"])


def test_sessions_at_80x24(snap_compare):
    assert snap_compare(make_app("textual-dark"), terminal_size=(80, 24), run_before=loaded)


def test_gates_at_80x24(snap_compare):
    assert snap_compare(make_app("textual-dark"), terminal_size=(80, 24), run_before=loaded, press=["4"])


@pytest.mark.parametrize("theme", THEMES)
def test_gates_question_selected(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded, press=["4", "down"])


@pytest.mark.parametrize("theme", THEMES)
def test_gates_edit_diff_selected(snap_compare, theme):
    assert snap_compare(make_app(theme), terminal_size=SIZE, run_before=loaded, press=["4", "down", "down"])


def test_always_confirm_lists_patterns(snap_compare):
    async def run_before(pilot):
        await gates_settled(pilot, "down", "a")

    assert snap_compare(make_app("textual-dark"), terminal_size=SIZE, run_before=run_before)


def test_job_detail(snap_compare):
    assert snap_compare(make_app("textual-dark"), terminal_size=SIZE, run_before=loaded, press=["3", "enter"])


def test_loop_panel_with_active_loop(snap_compare):
    assert snap_compare(make_app("textual-dark"), terminal_size=SIZE, run_before=loaded, press=["down", "down", "l"])


def test_loop_form_field_errors_as_typed(snap_compare):
    async def invalid(pilot):
        await loaded(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"Run the tests", "tab", "backspace", *"500")
        await pilot.pause()

    assert snap_compare(make_app("textual-dark"), terminal_size=SIZE, run_before=invalid)


def test_cli_agent_form(snap_compare):
    assert snap_compare(make_app("textual-light"), terminal_size=SIZE, run_before=loaded, press=["g", *"codex"])
