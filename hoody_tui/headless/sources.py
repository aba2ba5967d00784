"""The servers a headless command talks to: one per profile (or the one the flags name).

Each source is a connected backend behind its own
:class:`~hoody_tui.core.service.WorkspaceService` (decisions go through its gate desk,
audited as made from the command line). Sources are opened and listed concurrently; one
that fails is reported with its name and never stops the others from answering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..api.errors import HoodyError, Unauthorized
from ..backends import Connection, MissingWorkspace, connect
from ..core.backend import Backend
from ..core.service import WorkspaceService
from ..gates.audit import AuditLog
from ..store.changes import Gate
from ..store.state import WorkspaceStore
from .exits import CommandFailed, Exit, exit_for
from .output import say

__all__ = ["Source", "Sources", "SourceFailure"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """A source that could not do what was asked, said in one line."""

    source: str
    text: str
    code: Exit


@dataclass(slots=True)
class Source:
    name: str
    backend: Backend
    service: WorkspaceService
    listed: bool = False

    @property
    def store(self) -> WorkspaceStore:
        return self.service.store

    def failure(self, error: HoodyError) -> SourceFailure:
        text = str(error)
        if isinstance(error, Unauthorized):
            text = f"the server refused the {self.backend.capabilities.credential} ({error.message}); " \
                   f"{self.backend.capabilities.credential_help}"
        return SourceFailure(self.name, text, exit_for(error))

    async def list(self) -> None:
        """List sessions, statuses and pending gates into the store (raises HoodyError)."""
        snapshot = await self.backend.snapshot()
        self.store.resync(snapshot)
        self.listed = True


@dataclass(slots=True)
class Sources:
    """Every source of a command, in the order the person named them."""

    items: list[Source]
    failures: list[SourceFailure] = field(default_factory=list)
    several: bool = False

    @classmethod
    async def open(cls, connections: Sequence[Connection], *, audit: Path | None,
                   clock: Callable[[], float] = time.time) -> Sources:
        """Connect to each (probing ``auto`` servers); a source that cannot even be set up
        (no workspace for a hoody server) fails the command: that is a usage error."""
        async def one(connection: Connection) -> Source:
            name = connection.label or connection.url
            try:
                backend = await connect(connection)
            except MissingWorkspace as exc:
                raise CommandFailed(f"{name}: {exc}", Exit.USAGE) from None
            service = WorkspaceService(backend, audit=AuditLog(audit), clock=clock, via="cli",
                                       source=connection.label)
            return Source(name, backend, service)

        opened = await asyncio.gather(*(one(c) for c in connections), return_exceptions=True)
        items: list[Source] = []
        for result in opened:
            if isinstance(result, BaseException):
                for source in items:
                    await source.service.aclose()
                raise result
            items.append(result)
        return cls(items, several=len(items) > 1)

    async def each(self, work: Callable[[Source], Awaitable[T]]) -> list[tuple[Source, T]]:
        """Run ``work`` on every source at once; the ones that fail are noted (and said on
        stderr), the rest returned."""
        async def run(source: Source) -> tuple[Source, T] | SourceFailure:
            try:
                return source, await work(source)
            except HoodyError as exc:
                return source.failure(exc)

        done: list[tuple[Source, T]] = []
        for result in await asyncio.gather(*(run(s) for s in self.items)):
            if isinstance(result, SourceFailure):
                self.fail(result)
            else:
                done.append(result)
        return done

    def fail(self, failure: SourceFailure) -> None:
        self.failures.append(failure)
        say(f"{failure.source}: {failure.text}" if self.several else failure.text)

    async def list(self) -> list[Source]:
        """List every source; the listed ones (none: the command fails with the worst
        reason: an unauthorized source says 4, anything else 1)."""
        listed = [source for source, _ in await self.each(Source.list)]
        if not listed:
            raise CommandFailed("", self.worst())
        return listed

    def worst(self) -> Exit:
        codes = {f.code for f in self.failures}
        return Exit.UNAUTHORIZED if Exit.UNAUTHORIZED in codes else Exit.ERROR

    def find(self, gate_id: str) -> tuple[Source, Gate]:
        """The one listed source that has ``gate_id`` pending, with the gate."""
        found = [(s, gate) for s in self.items if s.listed and (gate := s.store.gate(gate_id)) is not None]
        if len(found) > 1:
            names = " and ".join(s.name for s, _ in found)
            raise CommandFailed(f"gate {gate_id} is pending in both {names}: pass --profile to say which one",
                                Exit.USAGE)
        if found:
            return found[0]
        if self.failures:  # it may be pending where we could not look
            unlisted = ", ".join(f.source for f in self.failures)
            raise CommandFailed(f"gate {gate_id} is not pending in what could be listed ({unlisted} could not be)",
                                self.worst())
        where = "" if not self.several else " in " + ", ".join(s.name for s in self.items)
        raise CommandFailed(f"no gate {gate_id} is pending{where}: it is unknown, or already decided", Exit.NO_GATE)

    async def aclose(self) -> None:
        for source in self.items:
            await source.service.aclose()
