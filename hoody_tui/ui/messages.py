"""Textual Messages: how the workspace service and the workers report to the widgets.

The App turns each of the service's publications into one of these (see
:mod:`hoody_tui.core.publications`); workers report their outcome with
:class:`ActionDone` / :class:`ActionFailed`. Widgets never call HTTP. A message that
only says "this changed, redraw" can replace an older one still waiting in the queue
(``can_replace``), taking its ids along, so a UI that falls behind catches up in one
step instead of replaying every batch.

Each message of a source's service carries the source's index in the inbox
(:class:`~hoody_tui.core.inbox.Inbox`); 0, the default, is the first (or only) one.
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
    "Batch", "merge_batch", "ConnectionChanged", "StoreChanged", "StreamNotice", "GatesArrived", "StreamCounts", "ActionDone", "ActionFailed",
    "from_publication",
]


Batch = dict[int, Changes]
"""What changed in the store of each source (by its index in the inbox)."""


def merge_batch(older: Batch, newer: Batch, *, copy: bool = False) -> Batch:
    """``newer`` folded into ``older`` (which is changed and returned); with ``copy``, the
    changes of ``newer`` are never the ones held (nor changed later)."""
    for index, changes in newer.items():
        held = older.get(index)
        if held is None:
            older[index] = Changes().merge(changes) if copy else changes
        else:
            held.merge(changes)
    return older


class ConnectionChanged(Message):
    """A source's stream connection state (latest wins, per source)."""

    def __init__(self, state: ConnectionState, source: int = 0) -> None:
        super().__init__()
        self.state = state
        self.source = source

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged) and message.source == self.source


class StoreChanged(Message):
    """A source's store changed; ``changes`` says which ids of which kinds. Merges with
    a pending one so the UI redraws once per frame however many batches arrived."""

    def __init__(self, changes: Changes, source: int = 0) -> None:
        super().__init__()
        self.batch: Batch = {source: changes}

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, StoreChanged):
            self.batch = merge_batch(message.batch, self.batch)
            return True
        return False


class StreamNotice(Message):
    """Something worth one line to the person (a skipped frame, a resync failure, a gate
    decided elsewhere): shown in the flash line."""

    def __init__(self, text: str, *, severity: Severity = "warning", topic: str = "stream", source: int = 0) -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.topic = topic
        self.source = source


class GatesArrived(Message):
    """Gates new to the person in one source, oldest first (``listed``: with a resync)."""

    def __init__(self, gates: tuple[Gate, ...], *, listed: bool = False, source: int = 0) -> None:
        super().__init__()
        self.gates = gates
        self.listed = listed
        self.source = source

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, GatesArrived) and message.source == self.source:
            self.gates = message.gates + self.gates
            self.listed = self.listed or message.listed
            return True
        return False


class StreamCounts(Message):
    """A source's malformed frames skipped and reconnects so far (latest wins)."""

    def __init__(self, malformed: int, reconnects: int, source: int = 0) -> None:
        super().__init__()
        self.malformed = malformed
        self.reconnects = reconnects
        self.source = source

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StreamCounts) and message.source == self.source


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


def from_publication(publication: Publication, source: int = 0) -> Message:
    """The Message the widgets handle for one of a source's service's publications."""
    if isinstance(publication, StoreUpdated):
        return StoreChanged(publication.changes, source)
    if isinstance(publication, ConnectionUpdated):
        return ConnectionChanged(publication.state, source)
    if isinstance(publication, GatesArrivedPublication):
        return GatesArrived(publication.gates, listed=publication.listed, source=source)
    if isinstance(publication, StreamCountsPublication):
        return StreamCounts(publication.malformed, publication.reconnects, source)
    if isinstance(publication, Notice):
        return StreamNotice(publication.text, severity=publication.severity, topic=publication.topic, source=source)
    raise TypeError(f"not a publication: {publication!r}")
