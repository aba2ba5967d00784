"""Memory that stays flat (issue 15), counted, not timed: what a view switch, a malformed
frame or a reconnect leaves behind.

The figures (RSS per 100 view switches, per minute of a faulty firehose) are measured by
``python -m benchmarks --only soak``; these tests count live objects, so they hold on any
machine and fail at once if a leak comes back.
"""

from __future__ import annotations

import gc
from collections import Counter

from textual.dom import DOMNode

from hoody_tui.core.publications import StreamCounts
from hoody_tui.core.pump import EventPump
from hoody_tui.events.items import ConnectionState, Malformed, Resync
from hoody_tui.store.state import Snapshot, WorkspaceStore

from ..fakes import FULL, FakeBackend
from .world import World, until


def live_nodes() -> Counter[str]:
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects() if isinstance(o, DOMNode))


async def test_view_switches_leave_no_widgets_behind():
    """Each switch recomposes the footer; Textual's own footer kept every old key alive
    (a watcher it registers on itself): 1,800 dead keys and +28 MB after 20 round trips."""
    world = World(capabilities=FULL)
    world.backend.ask("per_1")
    app = world.app
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        for key in "34213421":  # warm up every view once
            await pilot.press(key)
            await pilot.pause()
        before = live_nodes()
        for _ in range(25):
            for key in "3421":
                await pilot.press(key)
                await pilot.pause()
        after = live_nodes()
    grown = {name: after[name] - before[name] for name in after if after[name] > before[name]}
    assert not grown, f"widgets left behind by 100 view switches: {grown}"


def test_malformed_frames_are_counted_and_said_once_a_minute():
    """A malformed frame every few events: one notice (then a summary a minute later),
    and a count the status bar shows, instead of a notice per frame."""
    import asyncio

    posted: list[object] = []

    async def source():
        yield ConnectionState("live")
        yield Resync()
        for n in range(200):
            yield Malformed("frame is not valid JSON", "{")
            if n % 50 == 0:
                yield ConnectionState("reconnecting", attempt=1, delay=0.0, reason="dropped")
                yield ConnectionState("live")

    async def listing() -> Snapshot:
        return Snapshot([], {}, [], [])

    pump = EventPump(source(), WorkspaceStore(), posted.append, listing)
    asyncio.run(pump.run())
    notices = [p for p in posted if type(p).__name__ == "Notice"]
    assert len(notices) == 1 and "more are counted in the status bar" in notices[0].text
    counts = [p for p in posted if isinstance(p, StreamCounts)]
    assert counts[-1] == StreamCounts(200, 4) and pump.malformed == 200 and pump.reconnects == 4


def test_the_fake_backend_is_quiet_by_default():
    assert FakeBackend().events_queue is None
