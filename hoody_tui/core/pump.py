"""The event pump: read a backend's live events, keep the store current, publish what changed.

It drains whatever has arrived, applies it to the store as one batch and publishes one
:class:`~.publications.StoreUpdated`; on every (re)connect it lists the workspace again
(resync) before applying what follows. No Textual here: it reports through a callback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable

from ..api.errors import HoodyError, Unauthorized
from ..api.events import Event
from ..api.jobs import Job
from ..api.loops import Loop
from ..events.backoff import Backoff
from ..events.items import ConnectionState, Malformed, Resync, StreamItem
from ..store.state import Snapshot, WorkspaceStore
from .publications import ConnectionUpdated, Notice, Publish, StoreUpdated

__all__ = ["EventPump", "BATCH_MAX"]

log = logging.getLogger("hoody_tui.pump")

BATCH_MAX = 2000
QUEUE_MAX = 4000
YIELD_EVERY = 0.004
"""Longest the reader holds the event loop, in seconds."""


class EventPump:
    """Reads ``source`` and reports through ``publish``."""

    def __init__(
        self,
        source: AsyncIterable[StreamItem],
        store: WorkspaceStore,
        publish: Publish,
        snapshot: Callable[[], Awaitable[Snapshot]],
        details: Callable[[Snapshot], Awaitable[tuple[list[Job], dict[str, Loop | None]]]] | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.post = publish
        self.snapshot = snapshot
        self.details = details
        self.malformed = 0
        # A listing that failed is tried again with backoff while the stream stays up
        # (a reconnect lists again anyway): the monotonic time of the next try, if any.
        self.backoff = Backoff(initial=1.0, maximum=30.0)
        self.resync_due: float | None = None
        self._resync_failures = 0

    async def run(self) -> None:
        # Bounded: when the store falls behind, reading waits (the socket pushes back on
        # the server) instead of parsing ahead into a backlog. Measured before: 31,000
        # parsed events waiting under a firehose, 130,000 live objects, and full garbage
        # collections of up to 480 ms.
        queue: asyncio.Queue[StreamItem] = asyncio.Queue(maxsize=QUEUE_MAX)

        async def read() -> None:
            # While bytes keep arriving, reading never has to wait, so it would hold the
            # loop for hundreds of ms (measured: 130-180 ms steps under a firehose). Give
            # the loop back every few ms so frames and keys go on; view updates are paced
            # by the app, so this does not mean more repaints.
            clock = time.monotonic
            turn = clock() + YIELD_EVERY
            async for item in self.source:
                if queue.full():
                    await queue.put(item)
                    turn = clock() + YIELD_EVERY
                    continue
                queue.put_nowait(item)
                if clock() >= turn:
                    await asyncio.sleep(0)
                    turn = clock() + YIELD_EVERY

        reader = asyncio.create_task(read(), name="hoody-event-reader")
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                wait = None if self.resync_due is None else max(0.0, self.resync_due - time.monotonic())
                await asyncio.wait({getter, reader}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                if self.resync_due is not None and time.monotonic() >= self.resync_due:
                    await self._resync()  # the retry of a failed listing is due
                # (Checked after that await: an item may have arrived meanwhile.)
                if getter.done():
                    batch = [getter.result()]
                elif reader.done():
                    getter.cancel()
                    if queue.empty():
                        break
                    batch = []
                else:
                    getter.cancel()
                    continue
                while len(batch) < BATCH_MAX and not queue.empty():
                    batch.append(queue.get_nowait())
                await self.handle(batch)
            error = reader.exception()
            if error is not None:
                raise error
        finally:
            reader.cancel()

    async def handle(self, batch: list[StreamItem]) -> None:
        events: list[Event] = []
        for item in batch:
            if isinstance(item, Event):
                events.append(item)
                continue
            # Apply what came before a state change or resync first, in order.
            if events:
                self._apply(events)
                events = []
            if isinstance(item, ConnectionState):
                self.post(ConnectionUpdated(item))
            elif isinstance(item, Resync):
                await self._resync()
            elif isinstance(item, Malformed):
                self.malformed += 1
                log.warning("skipped a malformed event: %s", item.reason)
                self.post(Notice(f"skipped a malformed event ({item.reason})", "warning"))
        if events:
            self._apply(events)

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
