"""The records the gateway keeps: jobs, turns, background tasks and sessions."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..content import Topic
from .gates import GateBook
from .ring import EventRing

if TYPE_CHECKING:
    from .loops import LoopRec

__all__ = ["JobRec", "Turn", "TaskRec", "SessionRec", "TERMINAL"]

TERMINAL = frozenset({"completed", "failed", "cancelled"})


@dataclass(eq=False)
class JobRec:
    """An async job: a turn (``turn``), a loop run (``loop_run``) or a drafted answer
    (``answer_assist``). ``run_id`` stays null until the job leaves ``queued``."""

    id: str
    kind: str
    session_id: str | None
    created_at: int
    status: str = "queued"
    started_at: int | None = None
    finished_at: int | None = None
    run_id: str | None = None
    loop_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    turn: Turn | None = field(default=None, repr=False)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def view(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "status": self.status, "session_id": self.session_id,
            "run_id": self.run_id, "created_at": self.created_at, "started_at": self.started_at,
            "finished_at": self.finished_at, "error": self.error,
        }
        if self.loop_id is not None:
            view["loop_id"] = self.loop_id
        return view


@dataclass(eq=False)
class Turn:
    """The turn in a session's single serial slot."""

    job: JobRec
    text: str
    idx: int
    auto_approve: bool = False
    loop_id: str | None = None
    hold: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    """Set = a ``Hold`` step may go on (test driving)."""
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    cancel_requested: bool = False
    finished: bool = False
    ok: bool | None = None
    error: str | None = None
    reply: list[str] = field(default_factory=list)


@dataclass(eq=False)
class TaskRec:
    """A background (sub-agent) task; it survives ``POST …/cancel`` of its turn."""

    tid: str
    title: str
    created_at: int
    status: str = "running"
    entries: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {"tid": self.tid, "status": self.status, "title": self.title}

    def add_entry(self, now_ms: int, text: str) -> dict[str, Any]:
        entry = {"seq": len(self.entries) + 1, "text": text, "ts": now_ms}
        self.entries.append(entry)
        return entry


@dataclass(eq=False)
class SessionRec:
    id: str
    title: str
    cwd: str
    model: str
    agent: str
    created_at: int
    updated_at: int
    ring: EventRing
    topic: Topic
    rng: random.Random
    live: bool = True
    system: bool = False
    realm: str | None = None
    container: str | None = None
    tool_mode: str = "full"
    dir_scope: str = "home"
    backend: str = ""
    delegated_agent: str | None = None
    headless: bool = False
    effort: str = ""
    verbosity: str = "normal"
    hoody_env: bool = True
    gates: GateBook = field(default_factory=GateBook)
    turn: Turn | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, TaskRec] = field(default_factory=dict)
    loops: dict[str, LoopRec] = field(default_factory=dict)
    persisted_dirs: list[str] = field(default_factory=list)
    idle: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    assist: JobRec | None = None

    def __post_init__(self) -> None:
        self.idle.set()
