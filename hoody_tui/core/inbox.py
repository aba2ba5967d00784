"""One inbox over several servers: a workspace service per source, read as one.

Each source (a profile: a server, its backend, its credential) keeps its own service,
store, event pump and gate desk, so one that is down, slow or refused never blanks,
blocks or slows the others: its pump waits alone, and what it listed last stays (marked
stale by the faces) until it is back. The inbox only reads across them: one gate queue
oldest first, the counts, and the keys that tell rows of different sources apart.

A row key is the item's own id for the first source (so one server alone is what it
always was) and ``<index>\\x1f<id>`` for the others: ids of two servers may be equal.
No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..events.items import ConnectionState
from ..store.changes import Gate
from ..store.state import WorkspaceStore
from .backend import Backend, Capabilities
from .background import cancel_and_wait
from .priority import InputPriority
from .publications import ConnectionUpdated, Notice, Publication, StoreUpdated
from .service import WorkspaceService

__all__ = ["Inbox", "Source", "SEPARATOR"]

log = logging.getLogger("hoody_tui.inbox")

SEPARATOR = "\x1f"
"""Between a source's index and an item's id in a row key (a control character: no
server's id holds one)."""


@dataclass(eq=False)
class Source:
    """One server (or workspace of it) in the inbox."""

    index: int
    name: str
    """The profile's name (``""`` for a single server opened without one)."""
    service: WorkspaceService
    connection: ConnectionState = field(default_factory=lambda: ConnectionState("connecting"))
    listed: bool = False
    """A listing of it has arrived: its rows are real (else it was never reached)."""

    @property
    def store(self) -> WorkspaceStore:
        return self.service.store

    @property
    def backend(self) -> Backend:
        return self.service.backend

    @property
    def capabilities(self) -> Capabilities:
        return self.service.backend.capabilities

    @property
    def live(self) -> bool:
        return self.connection.phase == "live"

    @property
    def stale(self) -> bool:
        """What it shows was listed before its connection went: kept, but maybe old."""
        return self.listed and not self.live

    @property
    def label(self) -> str:
        """What the person calls it: the profile's name, else the server."""
        return self.name or self.backend.server

    def __repr__(self) -> str:
        return f"Source({self.index}, {self.name!r}, {self.connection.phase})"


class Inbox:
    """Several workspace services read as one. ``subscribe`` gets each one's publications
    with the source they come from."""

    def __init__(self, services: Sequence[tuple[str, WorkspaceService]]) -> None:
        if not services:
            raise ValueError("an inbox needs at least one source")
        self.sources: tuple[Source, ...] = tuple(
            Source(index, name, service) for index, (name, service) in enumerate(services))
        self._subscriber: Callable[[Source, Publication], None] | None = None
        self.priority = InputPriority()
        """A key held up by no source's intake: one for all of them."""
        for source in self.sources:
            source.service.subscribe(self._publisher(source))
            source.service.priority = self.priority

    @classmethod
    def of(cls, service: WorkspaceService, name: str = "") -> Inbox:
        return cls([(name, service)])

    def __repr__(self) -> str:
        return f"Inbox({', '.join(repr(s) for s in self.sources)})"

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    @property
    def primary(self) -> Source:
        return self.sources[0]

    @property
    def several(self) -> bool:
        return len(self.sources) > 1

    # --- keys ------------------------------------------------------------------------------

    def key(self, source: Source, item_id: str) -> str:
        """The row key of ``item_id`` of ``source``."""
        return item_id if source.index == 0 else f"{source.index}{SEPARATOR}{item_id}"

    def split(self, key: str) -> tuple[Source, str]:
        """The source and the item id of a row key."""
        index, sep, item_id = key.partition(SEPARATOR)
        if sep and index.isdigit() and 0 < int(index) < len(self.sources):
            return self.sources[int(index)], item_id
        return self.sources[0], key

    # --- publications -------------------------------------------------------------------------

    def subscribe(self, publish: Callable[[Source, Publication], None]) -> None:
        self._subscriber = publish

    def _publisher(self, source: Source) -> Callable[[Publication], None]:
        def publish(publication: Publication) -> None:
            if isinstance(publication, ConnectionUpdated):
                source.connection = publication.state
            elif isinstance(publication, StoreUpdated) and publication.changes.resynced:
                source.listed = True
            if self._subscriber is not None:
                self._subscriber(source, publication)
        return publish

    # --- running ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep every source current, each on its own: one that fails for good (an error
        no retry mends) is said and left; the others go on."""
        async def follow(source: Source) -> None:
            try:
                await source.service.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one source's bug must not end the others'
                if not self.several:
                    raise
                log.exception("the event stream of %s failed", source.label)
                source.connection = ConnectionState("failed", reason=f"{type(exc).__name__}: {exc}")
                source.service.publish(ConnectionUpdated(source.connection))
                source.service.publish(Notice(f"{source.label}: its event stream failed ({exc}); the others go on",
                                              "error"))

        tasks = [asyncio.create_task(follow(s), name=f"hoody-source-{s.index}") for s in self.sources]
        try:
            await asyncio.gather(*tasks)
        finally:
            await cancel_and_wait(tasks)

    async def aclose(self) -> None:
        for source in self.sources:
            await source.service.aclose()

    # --- reading across sources ------------------------------------------------------------------

    def gates_in_order(self) -> list[tuple[Source, Gate]]:
        """Every pending gate of every source, oldest first: by the server's own time where
        it dates its gates, else by when this inbox first saw them."""
        if not self.several:
            source = self.primary
            return [(source, gate) for gate in source.store.gates_in_order()]
        dated: list[tuple[float, int, Source, Gate]] = []
        for source in self.sources:
            store = source.store
            for gate in store.gates_in_order():
                created = gate.time.created if gate.time else None
                seen = store.gate_seen.get(gate.id, 0.0)
                dated.append((float(created) if created else seen, store.gate_seq.get(gate.id, 0), source, gate))
        dated.sort(key=lambda item: (item[0], item[1]))
        return [(source, gate) for _, _, source, gate in dated]

    def gate(self, key: str) -> tuple[Source, Gate] | None:
        source, gate_id = self.split(key)
        gate = source.store.gate(gate_id)
        return (source, gate) if gate is not None else None

    def gate_count(self) -> int:
        return sum(len(s.store.permissions) + len(s.store.questions) for s in self.sources)

    def busy_count(self) -> int:
        return sum(s.store.busy_count() for s in self.sources)

    def active_jobs(self) -> int:
        return sum(s.store.active_jobs() for s in self.sources)

    def session_count(self) -> int:
        return sum(len(s.store.sessions) for s in self.sources)

    def any(self, capable: Callable[[Capabilities], bool]) -> bool:
        """Whether any source can do something (a view or key is offered if one can)."""
        return any(capable(s.capabilities) for s in self.sources)
