"""A small world for driving the App over the fake backend: gates arrive and are answered
elsewhere as events on its live stream, exactly as a server would send them."""

from __future__ import annotations

import asyncio
from typing import Any

from hoody_tui.api import parse_event
from hoody_tui.events.items import Resync
from hoody_tui.ui.app import AppOptions, HoodyApp

from ..fakes import FULL, FakeBackend


class World:
    def __init__(self, *, settle: float = 0.0, capabilities=FULL, **options: Any) -> None:
        self.backend = FakeBackend(capabilities=capabilities)
        self.backend.events_queue = asyncio.Queue()
        self.backend.add_session("s1", "Fix the login bug")
        options.setdefault("bell", False)
        options.setdefault("view_refresh", 0)
        self.app = HoodyApp(AppOptions(server_label="fake", gate_settle=settle, **options), backend=self.backend)

    def _send(self, kind: str, **props: Any) -> None:
        assert self.backend.events_queue is not None
        self.backend.events_queue.put_nowait(parse_event({"type": kind, "properties": props}))

    def raise_permission(self, gate_id: str, command: str = "ls", **extra: Any) -> None:
        gate = self.backend.ask(gate_id, command=command, **extra)
        self._send("permission.asked", **gate.to_json_dict())

    def raise_question(self, gate_id: str, options: tuple[str, ...] = ("a", "b")) -> None:
        question = self.backend.ask_question(gate_id, options=options)
        self._send("question.asked", **question.to_json_dict())

    def decide_elsewhere(self, gate_id: str, reply: str = "reject") -> None:
        """Another client decides ``gate_id``; the server says so on the stream."""
        is_question = gate_id in self.backend.questions
        self.backend.answer_elsewhere(gate_id)
        if is_question:
            self._send("question.rejected", sessionID="s1", requestID=gate_id)
        else:
            self._send("permission.replied", sessionID="s1", requestID=gate_id, reply=reply)

    async def stale_listing(self, snapshot) -> None:
        """A reconnect whose listing was taken before what happened since (``snapshot``)."""
        self.backend.pinned = snapshot
        assert self.backend.events_queue is not None
        self.backend.events_queue.put_nowait(Resync(reconnect=True))

    def replies_sent(self) -> list[tuple[str, str]]:
        return [(r.gate_id, r.kind) for r in self.backend.replies]


async def until(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await pilot.pause(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
