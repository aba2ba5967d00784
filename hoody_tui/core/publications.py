"""What the workspace service tells whoever shows it (the TUI, a command, a test).

The service publishes these through one callback; the App turns each into a Textual
Message, a headless command prints or ignores them. Plain frozen dataclasses: no
Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..events.items import ConnectionState
from ..store.changes import Changes, Gate

__all__ = [
    "Publication",
    "Publish",
    "Severity",
    "StoreUpdated",
    "ConnectionUpdated",
    "Notice",
    "GatesArrived",
    "StreamCounts",
]

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class StoreUpdated:
    """The store changed; ``changes`` says which ids of which kinds."""

    changes: Changes


@dataclass(frozen=True, slots=True)
class ConnectionUpdated:
    """The live stream's connection state (latest wins)."""

    state: ConnectionState


@dataclass(frozen=True, slots=True)
class Notice:
    """Something worth one line to the person: an outcome settled later, a gate decided
    elsewhere, a listing that failed. ``topic`` groups notices (``gate``, ``stream``…)."""

    text: str
    severity: Severity = "information"
    topic: str = "stream"


@dataclass(frozen=True, slots=True)
class GatesArrived:
    """Gates that were not pending before, oldest first. ``listed``: they came with a
    resync (a listing after a (re)connect), not one by one as events."""

    gates: tuple[Gate, ...]
    listed: bool = False


@dataclass(frozen=True, slots=True)
class StreamCounts:
    """What the live stream has survived so far: frames skipped as malformed, reconnects."""

    malformed: int
    reconnects: int


Publication = StoreUpdated | ConnectionUpdated | Notice | GatesArrived | StreamCounts
Publish = Callable[[Publication], None]
