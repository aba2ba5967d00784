"""The layout holds on a phone-sized screen (60x30 cells), as web mode shows it: every
view keeps its status bar, rows and footer on screen, and every panel that opens over
them fits inside the screen (a panel wider than the screen loses its right edge: its
border, the end of each line, the input's end)."""

from __future__ import annotations

import pytest
from textual.containers import Container
from textual.screen import ModalScreen

from ..integration.helpers import live_app, until

pytestmark = pytest.mark.asyncio

PHONE = (60, 30)


def _fits(app) -> None:
    """The screen's widgets, and a modal's panel, lie inside the 60x30 screen."""
    width, height = PHONE
    screen = app.screen
    if isinstance(screen, ModalScreen):
        panel = next(w for w in screen.children if isinstance(w, Container) or w.id)
        assert panel.outer_size.width <= width and panel.outer_size.height <= height, (
            f"{type(screen).__name__}'s panel #{panel.id} is {panel.outer_size} on a {width}x{height} screen")
        return
    for widget in (app.status_bar, app.flash, app.switcher):
        region = widget.region
        assert region.right <= width and region.bottom <= height, (widget, region)
    assert app.switcher.region.height >= 10


async def test_every_view_and_panel_fits_at_60x30(make_server):
    server = make_server()
    session = server.call(server.state.create_session, "Fix the login bug")
    sid = session["id"]
    app = live_app(server)
    async with app.run_test(size=PHONE) as pilot:
        await until(pilot, lambda: sid in app.sessions_view._keys)
        _fits(app)
        server.call(server.state.prompt, sid, "please run `rm -rf build/`")
        await until(pilot, lambda: bool(app.store.permissions))
        for key in ("2", "3", "4"):
            await pilot.press(key)
            await pilot.pause()
            _fits(app)
        await until(pilot, lambda: app.gates_view.detail.gate_id is not None)
        await until(pilot, app.gates_view.detail.settled)
        for key, screen_name in (("N", "TextPromptScreen"), ("a", "ConfirmScreen"), ("question_mark", "HelpScreen")):
            await pilot.press(key)
            await until(pilot, lambda name=screen_name: type(app.screen).__name__ == name)
            await pilot.pause()
            _fits(app)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ModalScreen))
            await until(pilot, app.gates_view.detail.settled)
        await pilot.press("1")
        await pilot.pause()
        for key, screen_name in (("l", "LoopScreen"), ("g", "CliAgentScreen")):
            await pilot.press(key)
            await until(pilot, lambda name=screen_name: type(app.screen).__name__ == name)
            await pilot.pause()
            _fits(app)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ModalScreen))
