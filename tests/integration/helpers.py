"""Waiting on the app without sleeping blindly: poll a condition between frames."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hoody_tui.launch import hoody_app
from hoody_tui.ui.app import HoodyApp


async def until(pilot, condition: Callable[[], object], *, timeout: float = 15.0, what: str = "condition") -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.05)


def live_app(server, **options) -> HoodyApp:
    options.setdefault("bell", False)
    return hoody_app(server.url, server.workspace, server_label="demo", **options)


def replies(server) -> list[dict]:
    return server.call(lambda: list(server.state.replies))


def tool_parts(server, session_id: str) -> list[dict]:
    """Every tool part the server holds for a session, as dicts."""

    def collect() -> list[dict]:
        rec = server.state.session(session_id)
        out = []
        for message_id in rec.message_ids:
            msg = server.state.messages[message_id]
            out += [p for p in msg.view()["parts"] if p.get("type") == "tool"]
        return out

    return server.call(collect)
