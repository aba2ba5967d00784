"""The event pump: read a backend's live events, keep the store current, publish what changed.

It drains whatever has arrived, applies it to the store as one batch and publishes one
:class:`~.publications.StoreUpdated`; on every (re)connect it lists the workspace again
(resync) before applying what follows. No Textual here: it reports through a callback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import cast

from ..api.errors import HoodyError, Unauthorized
from ..api.events import Event
from ..api.jobs import Job
from ..api.loops import Loop
from ..events.backoff import Backoff
from ..events.items import ConnectionState, Malformed, Resync, StreamItem, Superseded
from ..store.changes import Changes
from ..store.state import Snapshot, WorkspaceStore
from ..store.superseding import plan_supersession
from .priority import InputPriority
from .publications import ConnectionUpdated, Notice, Publish, StoreUpdated, StreamCounts

__all__ = ["EventPump", "BATCH_MAX"]

log = logging.getLogger("hoody_tui.pump")

MALFORMED_WINDOW = 60.0
"""Malformed frames are said at most once a minute (counted meanwhile)."""
BATCH_MAX = 2000
QUEUE_MAX = 4000
YIELD_EVERY = 0.002
"""Longest the reader holds the event loop, in seconds."""
FRESH_AFTER = 0.01
"""A batch this long after the last one starts a new slice of YIELD_EVERY."""
APPLY_SLICE = 64
"""Events applied to the store between two looks at the clock (and at a key waiting)."""
APPLY_BUDGET = 0.002
"""Longest one step of applying a batch holds the event loop, in seconds: what is applied
so far is published and the loop is given back (a key waits behind at most this much of
the pump; measured before, a batch of 2,000 events under a 10,000/s firehose held the
loop for 20-35 ms at a time)."""


class EventPump:
    """Reads ``source`` and reports through ``publish``."""

    def __init__(
        self,
        source: AsyncIterable[StreamItem],
        store: WorkspaceStore,
        publish: Publish,
        snapshot: Callable[[], Awaitable[Snapshot]],
        details: Callable[[Snapshot], Awaitable[tuple[list[Job], dict[str, Loop | None]]]] | None = None,
        priority: InputPriority | None = None,
    ) -> None:
        self.source = source
        self.priority = priority or InputPriority()
        self.store = store
        self.post = publish
        self.snapshot = snapshot
        self.details = details
        self.malformed = 0
        self.reconnects = 0
        self._unsaid = 0  # malformed frames since the last notice
        self._say_after = 0.0  # monotonic time from which the next notice may be said
        # A listing that failed is tried again with backoff while the stream stays up
        # (a reconnect lists again anyway): the monotonic time of the next try, if any.
        self.backoff = Backoff(initial=1.0, maximum=30.0)
        self.resync_due: float | None = None
        self._resync_failures = 0

    def _batches(self) -> AsyncIterator[list[StreamItem]]:
        """The source's items a list at a time: all that one read of the connection brought,
        when the source can say (an SSE stream), else one item per list. A part's updates
        that a later one of the same read replaces are left out (the store's rule,
        :mod:`~hoody_tui.store.superseding`): the source counts them in a Superseded item."""
        batches = getattr(self.source, "batches", None)
        if callable(batches):
            return cast("AsyncIterator[list[StreamItem]]", batches(supersede=plan_supersession))
        return _one_at_a_time(self.source)

    async def run(self) -> None:
        # Bounded: when the store falls behind, reading waits (the socket pushes back on
        # the server) instead of parsing ahead into a backlog. Measured before: 31,000
        # parsed events waiting under a firehose, 130,000 live objects, and full garbage
        # collections of up to 480 ms. The reader hands on what each read brought as one
        # list, and the end of the stream as None: one queue step per read, not per event
        # with a task and a wait set up for each (~3 ms a second of the loop's time at 100
        # updates a second, one per read).
        queue: asyncio.Queue[list[StreamItem] | None] = asyncio.Queue()
        room = asyncio.Event()
        waiting = 0  # items in the queue

        async def read() -> None:
            nonlocal waiting
            # While bytes keep arriving, reading never has to wait, so it would hold the
            # loop for hundreds of ms (measured: 130-180 ms steps under a firehose). Give
            # the loop back every few ms so frames and keys go on; view updates are paced
            # by the app, so this does not mean more repaints.
            clock = time.monotonic
            step_aside = self.priority.step_aside
            held = self.priority.held
            turn = clock() + YIELD_EVERY
            done = clock()  # when the last batch was queued
            try:
                async for batch in self._batches():
                    if not batch:
                        continue
                    now = clock()
                    if now - done > FRESH_AFTER:
                        # The stream had nothing for a while (a gathered read comes every
                        # 40 ms): the loop had its turns meanwhile, so this is a new slice.
                        # Counted from the last one, every such read stepped aside after
                        # its first batch, and the pump woke twice a read. (Not any gap
                        # over the slice: on a slow machine one step of parsing under a
                        # flood may take that long, and the reader must still yield.)
                        turn = now + YIELD_EVERY
                    while waiting >= QUEUE_MAX:
                        room.clear()
                        await room.wait()
                        turn = clock() + YIELD_EVERY
                    waiting += len(batch)
                    queue.put_nowait(batch)
                    # A key queued meanwhile is not kept waiting for the rest of the slice:
                    # traced at 10,000 events/s, a key reached the app 6.4 ms after it was
                    # pressed (median), behind the reader's and the pump's 2 ms slices.
                    if clock() >= turn or held():
                        await step_aside()  # (for longer while the person acts: a key first)
                        turn = clock() + YIELD_EVERY
                    done = clock()
            finally:
                queue.put_nowait(None)  # after all it read: what came before the end is applied

        reader = asyncio.create_task(read(), name="hoody-event-reader")
        try:
            ended = False
            while not ended:
                if self.resync_due is None:
                    first = await queue.get()
                else:
                    try:
                        first = await asyncio.wait_for(queue.get(), max(0.0, self.resync_due - time.monotonic()))
                    except TimeoutError:
                        first = []
                    if time.monotonic() >= self.resync_due:
                        await self._resync()  # the retry of a failed listing is due
                if first is None:
                    ended = True
                    batch: list[StreamItem] = []
                else:
                    batch = first
                    # (Taken after that await: more may have arrived meanwhile.)
                    while len(batch) < BATCH_MAX and not queue.empty():
                        more = queue.get_nowait()
                        if more is None:
                            ended = True
                            break
                        if batch is first:
                            batch = list(first)
                        batch.extend(more)
                waiting -= len(batch)
                if waiting < QUEUE_MAX:
                    room.set()
                if not batch:
                    continue
                if self.priority.held():
                    await self.priority.step_aside()
                await self.handle(batch)
            await reader
        finally:
            reader.cancel()

    async def handle(self, batch: list[StreamItem]) -> None:
        events: list[Event] = []
        for item in batch:
            if isinstance(item, Event):
                events.append(item)
                continue
            if isinstance(item, Superseded):
                # What they said is in the store with the event that replaced them.
                self.store.events_applied += item.count
                continue
            # Apply what came before a state change or resync first, in order.
            if events:
                self._apply(events)
                events = []
            if isinstance(item, ConnectionState):
                self.post(ConnectionUpdated(item))
                if item.phase == "reconnecting":
                    self.reconnects += 1
                    self.post(StreamCounts(self.malformed, self.reconnects))
            elif isinstance(item, Resync):
                await self._resync()
            elif isinstance(item, Malformed):
                self._malformed(item)
        if events:
            await self._apply_in_steps(events)

    async def _apply_in_steps(self, events: list[Event]) -> None:
        """Apply ``events`` in order, publishing and giving the loop back whenever a step
        has taken APPLY_BUDGET or a key waits (a batch that fits in one step is published once)."""
        clock = time.monotonic
        held = self.priority.held
        store = self.store
        changes = Changes()
        deadline = clock() + APPLY_BUDGET
        for start in range(0, len(events), APPLY_SLICE):
            store.apply_into(events[start:start + APPLY_SLICE], changes)
            if (clock() >= deadline or held()) and start + APPLY_SLICE < len(events):
                if changes:
                    self.post(StoreUpdated(changes))
                    changes = Changes()
                await self.priority.step_aside()
                deadline = clock() + APPLY_BUDGET
        if changes:
            self.post(StoreUpdated(changes))

    def _malformed(self, item: Malformed) -> None:
        """Counted, and said at most once a minute; the detail goes to the log (file)."""
        self.malformed += 1
        self._unsaid += 1
        log.info("skipped a malformed event (%s): %r", item.reason, item.raw)
        self.post(StreamCounts(self.malformed, self.reconnects))
        now = time.monotonic()
        if now < self._say_after:
            return
        if self._unsaid == 1:
            text = f"skipped a malformed event ({item.reason}); more are counted in the status bar"
        else:
            text = f"skipped {self._unsaid} malformed events in the last minute (the log file has each)"
        self.post(Notice(text, "warning"))
        self._unsaid = 0
        self._say_after = now + MALFORMED_WINDOW

    def _apply(self, events: list[Event]) -> None:
        changes = self.store.apply_many(events)
        if changes:
            self.post(StoreUpdated(changes))

    async def _resync(self) -> None:
        """List the workspace and replace the store's view of it: sessions, statuses and
        gates first (shown at once), then the per-session jobs and loops."""
        try:
            snapshot = await self.snapshot()
        except Unauthorized as exc:
            self.post(ConnectionUpdated(ConnectionState("unauthorized", reason=exc.message)))
            return
        except HoodyError as exc:
            self._resync_failures += 1
            delay = self.backoff.delay(self._resync_failures)
            self.resync_due = time.monotonic() + delay
            log.info("listing the workspace failed (%s); trying again in %.1fs", exc, delay)
            if self._resync_failures == 1:  # said once; the retries go on quietly
                self.post(Notice(f"could not list the workspace: {exc}. Trying again.", "error"))
            return
        if self._resync_failures:
            self.post(Notice("the workspace is listed again: what is shown is current", "information"))
        self._resync_failures = 0
        self.resync_due = None
        self.post(StoreUpdated(self.store.resync(snapshot)))
        if self.details is None:
            return
        try:
            jobs, loops = await self.details(snapshot)
        except HoodyError as exc:
            self.post(Notice(f"could not list the sessions' jobs and loops: {exc}", "warning"))
            return
        changes = self.store.apply_details(jobs, loops)
        if changes:
            self.post(StoreUpdated(changes))


async def _one_at_a_time(source: AsyncIterable[StreamItem]) -> AsyncIterator[list[StreamItem]]:
    async for item in source:
        yield [item]
