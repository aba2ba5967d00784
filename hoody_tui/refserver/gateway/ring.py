"""One session's event stream: numbered events (``seq`` from 1, per session), the
1024-event replay ring, and the connections (``Subscriber``) and in-process listeners
(``Listener``, reused from :mod:`..bus`) they fan out to.

Resuming after ``seq`` works while every event after it is still in the ring; a cursor
older than the ring's oldest event, or newer than the last event ever published (a
cursor from before a server restart), is a *gap*: the stream says ``lagged`` instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ..bus import Listener, Subscriber, dumps

__all__ = ["RING_SIZE", "Gap", "EventRing", "event_frame", "lagged_frame"]

RING_SIZE = 1024


def event_frame(event: dict[str, Any]) -> str:
    """``id: <seq>`` / ``event: <type>`` / ``data: <json>``."""
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {dumps(event)}\n\n"


@dataclass(frozen=True)
class Gap:
    """A resume cursor the ring cannot serve."""

    since: int
    min_seq: int
    max_seq: int

    def body(self, session_id: str) -> dict[str, Any]:
        return {"type": "lagged", "code": "replay_gap", "session_id": session_id, "since": self.since,
                "min_seq": self.min_seq, "max_seq": self.max_seq,
                "message": "Events after the requested seq were evicted from the replay ring; "
                           "resync with GET /sessions/{id}, then GET /sessions/{id}/replay"}


def lagged_frame(gap: Gap, session_id: str) -> str:
    """``event: lagged`` carrying the head seq as its id (a later reconnect resumes from there)."""
    return f"id: {gap.max_seq}\nevent: lagged\ndata: {dumps(gap.body(session_id))}\n\n"


class EventRing:
    """See the module docstring. All methods are synchronous (no await between a
    subscription and its replay, so no event falls in between)."""

    def __init__(self, session_id: str, size: int = RING_SIZE, subscriber_limit: int = 20000) -> None:
        self.session_id = session_id
        self.head = 0
        self.subscriber_limit = subscriber_limit
        self._ring: deque[tuple[dict[str, Any], str]] = deque(maxlen=size)
        self._subscribers: set[Subscriber] = set()
        self._listeners: set[Listener] = set()

    @property
    def min_seq(self) -> int:
        """The oldest seq still held (``head + 1`` when nothing is)."""
        return self._ring[0][0]["seq"] if self._ring else self.head + 1

    def publish(self, type_: str, now_ms: int, payload: dict[str, Any]) -> dict[str, Any]:
        self.head += 1
        event = {"type": type_, "seq": self.head, "session_id": self.session_id, "ts": now_ms, **payload}
        frame = event_frame(event)
        self._ring.append((event, frame))
        for subscriber in list(self._subscribers):
            subscriber.offer([frame])
            if subscriber.dropped:
                self._subscribers.discard(subscriber)
        for listener in list(self._listeners):
            if listener.predicate(event):
                listener.offer(event)
        return event

    def gap(self, since: int) -> Gap | None:
        if since > self.head or since + 1 < self.min_seq:
            return Gap(since, self.min_seq if self._ring else 0, self.head)
        return None

    def frames_after(self, since: int) -> list[str]:
        return [frame for event, frame in self._ring if event["seq"] > since]

    def events(self, low: int | None = None, high: int | None = None) -> list[dict[str, Any]]:
        return [event for event, _ in self._ring
                if (low is None or event["seq"] >= low) and (high is None or event["seq"] <= high)]

    def replay(self, low: int | None = None, high: int | None = None) -> dict[str, Any]:
        """``{"events", "min_seq", "max_seq"}`` (the ring's bounds; 0/0 when empty)."""
        return {"events": self.events(low, high), "min_seq": self.min_seq if self._ring else 0,
                "max_seq": self.head}

    def subscribe(self, since: int | None) -> tuple[Subscriber, list[str], Gap | None]:
        """A connection: the frames to replay first (after ``since``), or the gap."""
        subscriber = Subscriber(self.subscriber_limit)
        self._subscribers.add(subscriber)
        if since is None:
            return subscriber, [], None
        gap = self.gap(since)
        return subscriber, ([] if gap else self.frames_after(since)), gap

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        subscriber.close()

    def listen(self, predicate: Any = None, limit: int = 100000) -> Listener:
        listener = Listener(predicate or (lambda _event: True), limit)
        self._listeners.add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        listener.close()

    def close_all(self) -> None:
        for subscriber in list(self._subscribers):
            self.unsubscribe(subscriber)
        for listener in list(self._listeners):
            self.unlisten(listener)
