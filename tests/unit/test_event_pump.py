"""The event pump's publications, in order, from an injected source (no server, no Textual:
the pump reports through a plain callable, the one the workspace service gives it)."""

from __future__ import annotations

import asyncio

from hoody_tui.api import Job, Session, SessionStatus, parse_event
from hoody_tui.api.errors import ServerError
from hoody_tui.core.publications import ConnectionUpdated, Notice, StoreUpdated
from hoody_tui.core.pump import EventPump
from hoody_tui.events.items import ConnectionState, Malformed, Resync
from hoody_tui.store import Snapshot, WorkspaceStore


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


async def _source(items):
    for item in items:
        yield item


def _run(items, *, details=None, snapshot=None):
    store = WorkspaceStore()
    posted: list[object] = []

    async def listing() -> Snapshot:
        if snapshot is not None:
            return snapshot
        return Snapshot(sessions=[Session(id="s1", title="one")], statuses={"s1": SessionStatus(type="busy")},
                        permissions=[], questions=[])

    pump = EventPump(_source(items), store, posted.append, listing, details)
    asyncio.run(pump.run())
    return store, posted


def _kinds(posted):
    out = []
    for m in posted:
        if isinstance(m, ConnectionUpdated):
            out.append(f"connection:{m.state.phase}")
        elif isinstance(m, StoreUpdated):
            c = m.changes
            out.append("store:" + ",".join(sorted(k for k in ("sessions", "jobs", "loops", "permissions") if getattr(c, k)))
                       + (":resynced" if c.resynced else ""))
        elif isinstance(m, Notice):
            out.append(f"notice:{m.severity}")
    return out


def test_connect_resync_then_details_then_events_in_order():
    async def details(snapshot):
        assert [s.id for s in snapshot.sessions] == ["s1"]
        return [Job(id="j1", sessionID="s1", status="running")], {"s1": None}

    items = [ConnectionState("live"), Resync(reconnect=False),
             ev("session.status", sessionID="s1", status={"type": "idle"}),
             Malformed("frame is not valid JSON", "{"),
             ev("permission.asked", id="per_1", sessionID="s1", permission="bash")]
    store, posted = _run(items, details=details)
    assert _kinds(posted) == [
        "connection:live",
        "store:sessions:resynced",   # the workspace, shown at once
        "store:jobs",                # then the sessions' jobs (loops unchanged: none before, none now)
        "store:sessions",            # the events before the bad frame...
        "notice:warning",            # ...the bad frame, said so...
        "store:permissions",         # ...and the events after it
    ]
    assert store.status("s1").type == "idle" and "j1" in store.jobs and "per_1" in store.permissions


def test_a_failed_details_listing_is_a_warning_and_the_workspace_stays_shown():
    async def details(snapshot):
        raise ServerError("the server is busy", status=503, context="listing jobs")

    store, posted = _run([ConnectionState("live"), Resync(reconnect=True)], details=details)
    assert _kinds(posted) == ["connection:live", "store:sessions:resynced", "notice:warning"]
    assert "s1" in store.sessions


def test_a_failed_listing_is_tried_again_while_the_stream_stays_up():
    """The first listing fails; the pump tries again (with backoff, here made instant)
    without waiting for a reconnect, and says once that it failed and once that it is
    current again."""
    store = WorkspaceStore()
    posted: list[object] = []
    calls = []

    async def listing() -> Snapshot:
        calls.append(1)
        if len(calls) == 1:
            raise ServerError("the server is busy", status=503, context="listing sessions")
        return Snapshot(sessions=[Session(id="s1")], statuses={}, permissions=[], questions=[])

    async def source():
        yield ConnectionState("live")
        yield Resync(reconnect=False)
        while not store.sessions:  # the stream stays open, quiet, until the retry lands
            await asyncio.sleep(0.01)

    pump = EventPump(source(), store, posted.append, listing)
    pump.backoff.initial = pump.backoff.maximum = 0.0
    asyncio.run(pump.run())
    assert len(calls) == 2 and "s1" in store.sessions
    assert _kinds(posted) == ["connection:live", "notice:error", "notice:information", "store:sessions:resynced"]


def test_a_key_waiting_stops_the_reader_after_the_batch_in_hand(monkeypatch):
    """A hold that begins while the reader has batches at hand (a key queued) gives the loop
    back after the batch in hand, not at the end of the reader's slice."""
    from hoody_tui.core import pump as pump_module
    from hoody_tui.core.priority import InputPriority

    monkeypatch.setattr(pump_module, "YIELD_EVERY", 60.0)  # the slice alone would never end here
    order: list[str] = []
    priority = InputPriority()

    async def source():
        loop = asyncio.get_running_loop()
        for i in range(3):
            order.append(f"batch {i}")
            if i == 0:
                priority.begin(0.05)  # a key is queued while the reader is at work
                loop.call_soon(order.append, "a turn of the loop")
            yield ev("session.status", sessionID="s1", status={"type": "busy"})

    async def listing() -> Snapshot:
        return Snapshot(sessions=[], statuses={}, permissions=[], questions=[])

    asyncio.run(EventPump(source(), WorkspaceStore(), lambda _: None, listing, priority=priority).run())
    assert order == ["batch 0", "a turn of the loop", "batch 1", "batch 2"]


def test_a_key_waiting_ends_a_step_of_applying_a_batch_early(monkeypatch):
    """Applying a long batch: with a key waiting, what is applied so far is published and
    the loop given back after the slice in hand, not after the whole step's budget."""
    from hoody_tui.core import pump as pump_module
    from hoody_tui.core.priority import InputPriority

    monkeypatch.setattr(pump_module, "APPLY_BUDGET", 60.0)
    events = [ev("session.status", sessionID=f"s{i}", status={"type": "busy"}) for i in range(200)]

    def published(hold: bool) -> list[int]:
        priority = InputPriority()
        posted: list[StoreUpdated] = []

        async def listing() -> Snapshot:
            return Snapshot(sessions=[], statuses={}, permissions=[], questions=[])

        async def run() -> None:
            pump = EventPump(_source([]), WorkspaceStore(), posted.append, listing, priority=priority)
            if hold:
                priority.begin(0.05)
            await pump.handle(list(events))

        asyncio.run(run())
        return [len(p.changes.sessions) for p in posted]

    assert published(hold=False) == [200]
    assert published(hold=True) == [pump_module.APPLY_SLICE, 200 - pump_module.APPLY_SLICE]


def test_a_gathered_read_is_queued_whole_and_applied_in_one_step(monkeypatch):
    """A read that comes after the stream was quiet (a gathered stream: every 40 ms) starts
    a new slice: its batches are queued in one step and the pump applies them together (one
    publication a read), instead of stepping aside after the read's first batch as if the
    last slice had run on all that while."""
    from hoody_tui.core import pump as pump_module

    class Clock:
        now = 100.0

        def monotonic(self) -> float:
            return self.now

    clock = Clock()
    monkeypatch.setattr(pump_module, "time", clock)  # the pump's clock, moved by the source

    class Gathered:
        async def batches(self, supersede=None):
            yield [ConnectionState("live"), Resync(reconnect=False)]
            for read in range(3):
                await asyncio.sleep(0)  # the read waits for the stream (the loop has its turns)
                clock.now += 0.04
                for step in range(3):  # one read, three steps of frames, back to back
                    yield [ev("session.status", sessionID="s1", status={"type": "busy" if step % 2 else "idle"}),
                           ev("session.updated", info={"id": "s1", "title": f"read {read} step {step}"})]

    store = WorkspaceStore()
    posted: list[object] = []

    async def listing() -> Snapshot:
        return Snapshot(sessions=[Session(id="s1", title="one")], statuses={}, permissions=[], questions=[])

    asyncio.run(EventPump(Gathered(), store, posted.append, listing).run())  # type: ignore[arg-type]
    updates = [m for m in posted if isinstance(m, StoreUpdated) and not m.changes.resynced]
    assert len(updates) == 3  # one a read (six before: the read's first step, then the rest)
    assert store.sessions["s1"].title == "read 2 step 2"
