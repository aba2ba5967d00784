"""Textual Messages: how the workspace service and the workers report to the widgets.

The App turns each of the service's publications into one of these (see
:mod:`hoody_tui.core.publications`); workers report their outcome with
:class:`ActionDone` / :class:`ActionFailed`. Widgets never call HTTP. A message that
only says "this changed, redraw" can replace an older one still waiting in the queue
(``can_replace``), taking its ids along, so a UI that falls behind catches up in one
step instead of replaying every batch.
"""

from __future__ import annotations

from textual.message import Message

from ..core.publications import (
    ConnectionUpdated,
    Notice,
    Publication,
    Severity,
    StoreUpdated,
)
from ..core.publications import (
    GatesArrived as GatesArrivedPublication,
)
from ..core.publications import (
    StreamCounts as StreamCountsPublication,
)
from ..events.items import ConnectionState
from ..store.changes import Changes, Gate

__all__ = [
    "ConnectionChanged", "StoreChanged", "StreamNotice", "GatesArrived", "StreamCounts", "ActionDone", "ActionFailed",
    "from_publication",
]


class ConnectionChanged(Message):
    """The workspace stream's connection state (latest wins)."""

    def __init__(self, state: ConnectionState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged)


class StoreChanged(Message):
    """The store changed; ``changes`` says which ids of which kinds. Merges with a
    pending one so the UI redraws once per frame however many batches arrived."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, StoreChanged):
            self.changes = message.changes.merge(self.changes)
            return True
        return False


class StreamNotice(Message):
    """Something worth one line to the person (a skipped frame, a resync failure, a gate
    decided elsewhere): shown in the flash line."""

    def __init__(self, text: str, *, severity: Severity = "warning", topic: str = "stream") -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.topic = topic


class GatesArrived(Message):
    """Gates new to the person, oldest first (``listed``: with a resync)."""

    def __init__(self, gates: tuple[Gate, ...], *, listed: bool = False) -> None:
        super().__init__()
        self.gates = gates
        self.listed = listed

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, GatesArrived):
            self.gates = message.gates + self.gates
            self.listed = self.listed or message.listed
            return True
        return False


class StreamCounts(Message):
    """Malformed frames skipped and reconnects so far (latest wins)."""

    def __init__(self, malformed: int, reconnects: int) -> None:
        super().__init__()
        self.malformed = malformed
        self.reconnects = reconnects

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StreamCounts)


class ActionDone(Message):
    """A user action's request succeeded; ``text`` says what happened."""

    def __init__(self, action: str, text: str) -> None:
        super().__init__()
        self.action = action
        self.text = text


class ActionFailed(Message):
    """A user action's request failed; ``text`` is the readable reason."""

    def __init__(self, action: str, text: str) -> None:
        super().__init__()
        self.action = action
        self.text = text


def from_publication(publication: Publication) -> Message:
    """The Message the widgets handle for one of the workspace service's publications."""
    if isinstance(publication, StoreUpdated):
        return StoreChanged(publication.changes)
    if isinstance(publication, ConnectionUpdated):
        return ConnectionChanged(publication.state)
    if isinstance(publication, GatesArrivedPublication):
        return GatesArrived(publication.gates, listed=publication.listed)
    if isinstance(publication, StreamCountsPublication):
        return StreamCounts(publication.malformed, publication.reconnects)
    if isinstance(publication, Notice):
        return StreamNotice(publication.text, severity=publication.severity, topic=publication.topic)
    raise TypeError(f"not a publication: {publication!r}")
