"""What applying events changed, so widgets update by diff instead of redrawing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..api.permissions import PermissionRequest
from ..api.questions import Question

__all__ = ["Changes", "GoneGate", "Gate"]

Gate = PermissionRequest | Question
"""A pending gate: a permission request or a question."""


@dataclass(frozen=True, slots=True)
class GoneGate:
    """A gate that left the queue without a decision of ours being the cause we know of:
    the server said it was replied to, a listing no longer had it, its session went, or
    its session's turn ended (aborted, or idle) while the server still listed it."""

    gate: Gate
    how: Literal["replied", "rejected", "listing", "session-deleted", "turn-ended"]
    reply: str | None = None
    """The server's word on the decision, when it says (``once``, ``reject``, the answers)."""


@dataclass(slots=True)
class Changes:
    """Ids touched by one batch of events or one resync, per kind.

    ``*_removed`` sets hold ids that are gone; the plain sets hold ids that were added
    or updated. A widget looks only at the kinds it shows.
    """

    sessions: set[str] = field(default_factory=set)
    sessions_removed: set[str] = field(default_factory=set)
    # Session ids whose message list or parts changed.
    messages: set[str] = field(default_factory=set)
    permissions: set[str] = field(default_factory=set)
    permissions_removed: set[str] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)
    questions_removed: set[str] = field(default_factory=set)
    jobs: set[str] = field(default_factory=set)
    loops: set[str] = field(default_factory=set)
    todos: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    diffs: set[str] = field(default_factory=set)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    gone: dict[str, GoneGate] = field(default_factory=dict)
    """Gates removed by the server's word (an event or a listing), with how they went."""
    branch: bool = False
    resynced: bool = False

    def __bool__(self) -> bool:
        return any(
            (self.sessions, self.sessions_removed, self.messages, self.permissions,
             self.permissions_removed, self.questions, self.questions_removed, self.jobs,
             self.loops, self.todos, self.tasks, self.diffs, self.errors, self.gone, self.branch, self.resynced)
        )

    @property
    def gates(self) -> bool:
        return bool(self.permissions or self.permissions_removed or self.questions or self.questions_removed)

    def merge(self, other: Changes) -> Changes:
        for name in self.__slots__:
            mine = getattr(self, name)
            theirs = getattr(other, name)
            if isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, dict):
                mine.update(theirs)
            elif theirs:
                setattr(self, name, True)
        return self
