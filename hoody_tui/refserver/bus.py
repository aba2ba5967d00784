"""The workspace event bus behind ``meta/events`` and the per-resource streams.

Publishing is synchronous and never blocks: each event is serialised once, numbered
(``seq``), kept in a ring buffer (for ``Last-Event-ID`` replay) and offered to

- every :class:`Subscriber` (one per ``meta/events`` connection) as a rendered SSE frame;
- every :class:`Listener` (message and CLI-agent streams) whose predicate wants it, as a
  private copy of the event dict.

Both have a bounded backlog. One that falls too far behind is closed (its connection is
dropped) instead of growing without bound or slowing the agents down.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import orjson

__all__ = ["EventBus", "Subscriber", "Listener", "dumps", "RING_SIZE"]

RING_SIZE = 1024


def dumps(value: Any) -> str:
    """Compact JSON text (UTF-8, no spaces), as every frame and event carries it."""
    return orjson.dumps(value).decode()


class _Backlog:
    """A bounded backlog with a wake-up event; closed (and emptied) when it overflows."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pending = 0
        self.closed = False
        self.dropped = False
        self._wake = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    def _overflow(self) -> None:
        self.dropped = True
        self.close()

    async def wait(self, timeout: float | None) -> bool:
        """Wait until something is queued or the backlog is closed; False on timeout."""
        if self.pending or self.closed:
            return True
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Subscriber(_Backlog):
    """One ``meta/events`` connection: batches of rendered frames, at most ``limit`` frames."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self._batches: deque[list[str]] = deque()

    def offer(self, frames: list[str]) -> None:
        if self.closed:
            return
        if self.pending + len(frames) > self.limit:
            self._batches.clear()
            self.pending = 0
            self._overflow()
            return
        self._batches.append(frames)
        self.pending += len(frames)
        self._wake.set()

    def drain(self) -> list[str]:
        """Every queued frame, oldest first."""
        frames: list[str] = []
        while self._batches:
            frames.extend(self._batches.popleft())
        self.pending = 0
        if not self.closed:
            self._wake.clear()
        return frames


class Listener(_Backlog):
    """An in-process consumer: copies of the events its predicate accepts."""

    def __init__(self, predicate: Callable[[dict[str, Any]], bool], limit: int) -> None:
        super().__init__(limit)
        self.predicate = predicate
        self._events: deque[dict[str, Any]] = deque()

    def offer(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        if self.pending >= self.limit:
            self._events.clear()
            self.pending = 0
            self._overflow()
            return
        self._events.append(event)
        self.pending += 1
        self._wake.set()

    def drain(self) -> list[dict[str, Any]]:
        events = list(self._events)
        self._events.clear()
        self.pending = 0
        if not self.closed:
            self._wake.clear()
        return events


class EventBus:
    """Numbers, stores and fans out workspace events (see the module docstring)."""

    def __init__(self, *, event_ids: bool, subscriber_limit: int = 20000, ring_size: int = RING_SIZE) -> None:
        self.event_ids = event_ids
        self.subscriber_limit = subscriber_limit
        self.seq = 0
        self._ring: deque[tuple[int, str]] = deque(maxlen=ring_size)
        self._subscribers: set[Subscriber] = set()
        self._listeners: set[Listener] = set()
        self.dropped_subscribers = 0

    # --- publishing ------------------------------------------------------------------

    def _frame(self, seq: int, payload: str) -> str:
        if self.event_ids:
            return f"id: {seq}\ndata: {payload}\n\n"
        return f"data: {payload}\n\n"

    def publish(self, event: dict[str, Any]) -> int:
        """Publish one ``{"type","properties"}`` event; return its sequence number."""
        payload = dumps(event)
        self.seq += 1
        frame = self._frame(self.seq, payload)
        self._ring.append((self.seq, frame))
        self._fan_out([frame])
        if self._listeners:
            copy = orjson.loads(payload)  # one private snapshot, shared read-only by listeners
            for listener in list(self._listeners):
                if listener.predicate(copy):
                    listener.offer(copy)
        return self.seq

    def publish_payloads(self, payloads: Iterable[str]) -> None:
        """Publish pre-serialised events as one batch (the firehose). Listeners skip them."""
        frames = []
        for payload in payloads:
            self.seq += 1
            frame = self._frame(self.seq, payload)
            self._ring.append((self.seq, frame))
            frames.append(frame)
        if frames:
            self._fan_out(frames)

    def _fan_out(self, frames: list[str]) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(frames)
            if subscriber.dropped:
                self._subscribers.discard(subscriber)
                self.dropped_subscribers += 1

    # --- subscribing -----------------------------------------------------------------

    def subscribe(self, last_event_id: str | None = None) -> tuple[Subscriber, list[str], int]:
        """Register a connection. Returns it, the frames to replay (events after
        ``last_event_id`` still in the ring, only with event ids on) and the id the
        connection's first frame should carry."""
        subscriber = Subscriber(self.subscriber_limit)
        self._subscribers.add(subscriber)
        replay: list[str] = []
        start_id = self.seq
        if self.event_ids and last_event_id is not None:
            try:
                last = int(last_event_id.strip())
            except ValueError:
                last = -1
            if 0 <= last <= self.seq:
                start_id = last
                replay = [frame for seq, frame in self._ring if seq > last]
        return subscriber, replay, start_id

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        subscriber.close()

    def listen(self, predicate: Callable[[dict[str, Any]], bool], limit: int = 10000) -> Listener:
        listener = Listener(predicate, limit)
        self._listeners.add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        listener.close()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def close_all(self) -> None:
        """End every stream (server shutdown)."""
        for subscriber in list(self._subscribers):
            self.unsubscribe(subscriber)
        for listener in list(self._listeners):
            self.unlisten(listener)
