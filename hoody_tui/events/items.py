"""What an event stream yields besides events: connection state, resync, malformed frames.

These are plain frozen dataclasses so the state layer and the UI can match on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..api.events import Event

__all__ = ["Phase", "ConnectionState", "Resync", "Malformed", "Superseded", "StreamItem"]

Phase = Literal["connecting", "live", "reconnecting", "unauthorized", "forbidden", "failed", "closed"]


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Where the stream stands.

    ``reconnecting`` carries the attempt number, the delay before it, and why the last
    connection ended. ``unauthorized``/``forbidden``/``failed`` are final: the stream
    stops rather than retry (no retry storm on 401).
    """

    phase: Phase
    attempt: int = 0
    delay: float | None = None
    reason: str | None = None

    @property
    def final(self) -> bool:
        return self.phase in ("unauthorized", "forbidden", "failed", "closed")

    def describe(self) -> str:
        if self.phase == "reconnecting":
            text = f"reconnecting in {self.delay:.1f}s (attempt {self.attempt})" if self.delay is not None else "reconnecting"
            return f"{text}: {self.reason}" if self.reason else text
        return f"{self.phase}: {self.reason}" if self.reason else self.phase


@dataclass(frozen=True, slots=True)
class Resync:
    """The stream (re)connected: events may have been missed, so list state again and
    then apply the events that follow (list-then-watch)."""

    reconnect: bool = False


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that could not be read; it was skipped and counted."""

    reason: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Superseded:
    """``count`` events of the read were left out because later events of the same read
    replace what they said (a part's updates: see :mod:`hoody_tui.store.superseding`).
    Only a consumer that asked for it gets this (``SseStream.batches(supersede=...)``);
    it counts them as received and applied."""

    count: int


StreamItem = Event | ConnectionState | Resync | Malformed | Superseded
