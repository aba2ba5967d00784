"""The one event worker: consume ``meta/events``, keep the store current, post Messages.

It drains whatever has arrived, applies it to the store as one batch and posts one
:class:`StoreChanged`; on every (re)connect it lists the workspace again (resync)
before applying what follows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Awaitable, Callable

from ..api.errors import HoodyError, Unauthorized
from ..api.events import Event
from ..events.items import ConnectionState, Malformed, Resync, StreamItem
from ..store.state import Snapshot, WorkspaceStore
from .messages import ConnectionChanged, StoreChanged, StreamNotice

__all__ = ["EventPump", "BATCH_MAX"]

log = logging.getLogger("hoody_tui.worker")

BATCH_MAX = 5000


class EventPump:
    """Reads ``source`` and reports through ``post`` (the app's ``post_message``)."""

    def __init__(
        self,
        source: AsyncIterable[StreamItem],
        store: WorkspaceStore,
        post: Callable[[object], object],
        snapshot: Callable[[], Awaitable[Snapshot]],
    ) -> None:
        self.source = source
        self.store = store
        self.post = post
        self.snapshot = snapshot
        self.malformed = 0

    async def run(self) -> None:
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()

        async def read() -> None:
            async for item in self.source:
                queue.put_nowait(item)

        reader = asyncio.create_task(read(), name="hoody-event-reader")
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    if queue.empty():
                        break
                    batch = []
                else:
                    batch = [getter.result()]
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
                self.post(ConnectionChanged(item))
            elif isinstance(item, Resync):
                await self._resync()
            elif isinstance(item, Malformed):
                self.malformed += 1
                log.warning("skipped a malformed event: %s", item.reason)
                self.post(StreamNotice(f"skipped a malformed event ({item.reason})"))
        if events:
            self._apply(events)

    def _apply(self, events: list[Event]) -> None:
        changes = self.store.apply_many(events)
        if changes:
            self.post(StoreChanged(changes))

    async def _resync(self) -> None:
        try:
            snapshot = await self.snapshot()
        except Unauthorized as exc:
            self.post(ConnectionChanged(ConnectionState("unauthorized", reason=exc.message)))
            return
        except HoodyError as exc:
            self.post(StreamNotice(f"could not list the workspace: {exc}", severity="error"))
            return
        self.post(StoreChanged(self.store.resync(snapshot)))
