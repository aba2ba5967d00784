"""The workspace state store: everything the dashboard shows, kept current by events.

No Textual here. :meth:`WorkspaceStore.apply` folds one event in and records what
changed; :meth:`WorkspaceStore.resync` replaces state from REST listings after a
(re)connect (list-then-watch), reporting only real differences so the UI does not
flicker. Message history is bounded per session.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..api.events import (
    Event,
    JobUpdated,
    LoopUpdated,
    MessageRemoved,
    MessageUpdated,
    PartDelta,
    PartRemoved,
    PartUpdated,
    PermissionAsked,
    PermissionReplied,
    QuestionAsked,
    QuestionResolved,
    RecurringLoopDeleted,
    RecurringLoopUpdated,
    SessionDeleted,
    SessionDiffChanged,
    SessionErrored,
    SessionIdle,
    SessionStatusChanged,
    SessionUpdated,
    TasksUpdated,
    TodoUpdated,
    TurnEnded,
    VcsBranchUpdated,
)
from ..api.jobs import Job
from ..api.loops import Loop, RecurringLoop
from ..api.messages import Message, MessageWithParts, PartBase
from ..api.permissions import PermissionRequest
from ..api.questions import Question
from ..api.sessions import Session, SessionStatus, Todo
from ..api.tasks import Task
from .changes import Changes, Gate, GoneGate

__all__ = ["WorkspaceStore", "MessageEntry", "SessionStats", "Snapshot", "DEFAULT_MESSAGE_LIMIT"]

_ARRIVALS = itertools.count(1)
"""Gates in the order they were first seen, by every store of the process."""

DEFAULT_MESSAGE_LIMIT = 200
BACKGROUND_MESSAGE_LIMIT = 3
"""Messages kept for a session nobody is reading: its figures (cost, tokens, agent,
model, activity) are kept whole as events arrive, and its history is listed from the
server when its stream opens. What keeps memory flat however long the app runs."""
COST_MEMORY = 256
"""Recent messages per session whose cost is remembered, so an update replaces it."""
FINISHED_JOB_LIMIT = 1000
"""Finished jobs kept (the most recently finished); active jobs are always kept."""
"""Recent messages per session whose cost is remembered, so an update replaces it."""
_IDLE = SessionStatus(type="idle")
G = TypeVar("G", PermissionRequest, Question)


@dataclass(slots=True)
class MessageEntry:
    """One message and its parts in first-seen order."""

    info: Message
    parts: dict[str, PartBase] = field(default_factory=dict)

    def upsert_part(self, part: PartBase) -> None:
        self.parts[part.id] = part  # a dict keeps first-seen order on replace


@dataclass(slots=True)
class SessionStats:
    """Figures derived from a session's messages: who works in it, on what, at what cost."""

    agent: str | None = None
    model: str | None = None
    cost: float = 0.0
    tokens: int = 0
    last_activity: int | None = None
    # Per-message cost/tokens so an updated message replaces, not adds, its share; only
    # the most recent messages are remembered (older ones are not updated any more).
    _costs: OrderedDict[str, tuple[float, int]] = field(default_factory=OrderedDict, repr=False)

    def record(self, info: Message) -> None:
        if info.role == "assistant":
            if info.agent:
                self.agent = info.agent
            label = info.model_label
            if label:
                self.model = label
            cost = info.cost or 0.0
            tokens = info.tokens.total if info.tokens else 0
            old_cost, old_tokens = self._costs.get(info.id, (0.0, 0))
            self._costs[info.id] = (cost, tokens)
            self._costs.move_to_end(info.id)
            if len(self._costs) > COST_MEMORY:
                self._costs.popitem(last=False)
            self.cost += cost - old_cost
            self.tokens += tokens - old_tokens
        elif info.agent and self.agent is None:
            self.agent = info.agent
        stamp = (info.time.completed or info.time.created) if info.time else None
        if stamp and (self.last_activity is None or stamp > self.last_activity):
            self.last_activity = stamp


@dataclass(slots=True)
class Snapshot:
    """What a resync lists from REST: the workspace-wide lists, and optionally more."""

    sessions: list[Session]
    statuses: dict[str, SessionStatus]
    permissions: list[PermissionRequest]
    questions: list[Question]
    jobs: list[Job] | None = None
    loops: dict[str, Loop | None] | None = None
    recurring: dict[str, list[RecurringLoop]] | None = None
    """The recurring loops of the listed sessions (a gateway's), replacing what was held."""


class WorkspaceStore:
    def __init__(self, *, message_limit: int = DEFAULT_MESSAGE_LIMIT,
                 background_limit: int = BACKGROUND_MESSAGE_LIMIT, job_limit: int = FINISHED_JOB_LIMIT,
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.message_limit = message_limit
        self.background_limit = min(background_limit, message_limit)
        # The session whose stream is open: it keeps up to message_limit messages.
        self.focused: str | None = None
        self.sessions: dict[str, Session] = {}
        self.sessions_revision = 0
        """Bumped whenever a session is added, replaced or removed: what is derived from
        all of them (the views' title labels) is kept until it moves."""
        self.statuses: dict[str, SessionStatus] = {}
        self.stats: dict[str, SessionStats] = {}
        self.messages: dict[str, OrderedDict[str, MessageEntry]] = {}
        # Per-session history bounds (raised when the user loads earlier messages) and
        # how many messages the server had at the last listing.
        self.message_limits: dict[str, int] = {}
        self.message_totals: dict[str, int] = {}
        self.permissions: dict[str, PermissionRequest] = {}
        self.questions: dict[str, Question] = {}
        self.jobs: dict[str, Job] = {}
        self.loops: dict[str, Loop] = {}
        # The gateway's recurring loops (many per session), by session then loop id.
        self.recurring: dict[str, dict[str, RecurringLoop]] = {}
        # A session's background tasks (the gateway's), as last reported.
        self.tasks: dict[str, list[Task]] = {}
        self.todos: dict[str, list[Todo]] = {}
        self.last_errors: dict[str, str] = {}
        self.branch: str | None = None
        self.events_applied = 0
        # When each gate was first seen: a counter shared by every store of the process
        # (the queue is oldest first across permissions and questions, and across the
        # stores of several servers), and the wall clock in ms (to order gates of servers
        # that do not date them against the ones that do).
        self.gate_seq: dict[str, int] = {}
        self.gate_seen: dict[str, float] = {}
        # Derived counts, recomputed on the first read after a change (None = stale).
        self._gate_counts: tuple[dict[str, int], dict[str, float]] | None = None
        self._active_jobs: int | None = None
        self.job_limit = job_limit
        self._finished: OrderedDict[str, None] = OrderedDict()  # finished job ids, oldest first

    # --- reading -------------------------------------------------------------------------

    def agent_of(self, session_id: str) -> str | None:
        """Who works in a session: the latest message's agent, else the session's own."""
        stats = self.stats.get(session_id)
        session = self.sessions.get(session_id)
        return (stats.agent if stats else None) or (session.agent if session else None)

    def status(self, session_id: str) -> SessionStatus:
        return self.statuses.get(session_id, _IDLE)

    def children(self, session_id: str) -> list[Session]:
        return [s for s in self.sessions.values() if s.parent_id == session_id]

    def gate_count(self, session_id: str) -> int:
        return self._gate_tallies()[0].get(session_id, 0)

    def waiting_since(self, session_id: str) -> float | None:
        """When the oldest gate of a session was asked (epoch ms: the server's time, else
        when it was first seen here); ``None`` when none waits."""
        return self._gate_tallies()[1].get(session_id)

    def _gate_tallies(self) -> tuple[dict[str, int], dict[str, float]]:
        # Counted once per change of the gate tables, not once per session row: with
        # 10,000 gates and 1,000 sessions, counting per row was 10 M steps a repaint.
        tallies = self._gate_counts
        if tallies is None:
            counts: dict[str, int] = {}
            since: dict[str, float] = {}
            for table in (self.permissions, self.questions):
                for gate in table.values():
                    key = gate.session_id or ""
                    counts[key] = counts.get(key, 0) + 1
                    asked = (gate.time.created if gate.time else None) or self.gate_seen.get(gate.id)
                    if asked is not None and (key not in since or asked < since[key]):
                        since[key] = asked
            tallies = self._gate_counts = (counts, since)
        return tallies

    def busy_count(self) -> int:
        return len(self.statuses)  # only sessions that are not idle are held

    def active_jobs(self) -> int:
        if self._active_jobs is None:
            self._active_jobs = sum(1 for j in self.jobs.values() if not j.is_terminal)
        return self._active_jobs

    def session_messages(self, session_id: str) -> list[MessageEntry]:
        return list(self.messages.get(session_id, {}).values())

    # --- applying events -----------------------------------------------------------------

    def apply_many(self, events: Iterable[Event]) -> Changes:
        changes = Changes()
        for event in events:
            self._apply(event, changes)
        return changes

    def apply_into(self, events: Iterable[Event], changes: Changes) -> None:
        """Apply ``events`` in order, recording what changed in ``changes``."""
        for event in events:
            self._apply(event, changes)

    def apply(self, event: Event) -> Changes:
        changes = Changes()
        self._apply(event, changes)
        return changes

    def _apply(self, event: Event, changes: Changes) -> None:
        self.events_applied += 1
        if isinstance(event, PartDelta):
            self._append_delta(event, changes)
        elif isinstance(event, PartUpdated):
            self._upsert_part(event.part, changes)
        elif isinstance(event, MessageUpdated):
            self._upsert_message(event.info, changes)
        elif isinstance(event, SessionStatusChanged):
            self._set_status(event.session_id, event.status, changes)
        elif isinstance(event, SessionIdle):
            self._set_status(event.session_id, _IDLE, changes)
        elif isinstance(event, JobUpdated):
            self._put_job(_merge_job(self.jobs.get(event.job.id), event.job), changes)
        elif isinstance(event, PermissionAsked):
            self._add_gate(self.permissions, event.request, changes.permissions)
        elif isinstance(event, PermissionReplied):
            gone = self._drop_gate(self.permissions, event.request_id, changes.permissions_removed)
            if gone is not None:
                changes.gone[gone.id] = GoneGate(gone, "replied", event.reply)
        elif isinstance(event, QuestionAsked):
            self._add_gate(self.questions, event.question, changes.questions)
        elif isinstance(event, QuestionResolved):
            question = self._drop_gate(self.questions, event.request_id, changes.questions_removed)
            if question is not None:
                rejected = event.type.endswith("rejected")
                changes.gone[question.id] = GoneGate(question, "rejected" if rejected else "replied",
                                                 None if rejected else _answers_text(event.answers))
        elif isinstance(event, SessionUpdated):
            self.sessions[event.info.id] = event.info
            self.sessions_revision += 1
            changes.sessions.add(event.info.id)
        elif isinstance(event, SessionDeleted):
            self._remove_session(event.session_id, changes)
        elif isinstance(event, MessageRemoved):
            entries = self.messages.get(event.session_id)
            if entries is not None and entries.pop(event.message_id, None) is not None:
                changes.messages.add(event.session_id)
        elif isinstance(event, PartRemoved):
            self._remove_part(event, changes)
        elif isinstance(event, LoopUpdated):
            if event.loop is None:
                self.loops.pop(event.session_id, None)
            else:
                self.loops[event.session_id] = event.loop
            changes.loops.add(event.session_id)
            changes.sessions.add(event.session_id)
        elif isinstance(event, TodoUpdated):
            self.todos[event.session_id] = list(event.todos)
            changes.todos.add(event.session_id)
        elif isinstance(event, SessionErrored):
            message = event.error.message if event.error else "error"
            if event.session_id:
                self.last_errors[event.session_id] = message
                changes.sessions.add(event.session_id)
            changes.errors.append((event.session_id, message))
        elif isinstance(event, SessionDiffChanged):
            changes.diffs.add(event.session_id)
        elif isinstance(event, RecurringLoopUpdated):
            self.recurring.setdefault(event.session_id, {})[event.loop.id] = event.loop
            changes.loops.add(event.session_id)
            changes.sessions.add(event.session_id)
        elif isinstance(event, RecurringLoopDeleted):
            if self.recurring.get(event.session_id, {}).pop(event.loop_id, None) is not None:
                changes.loops.add(event.session_id)
                changes.sessions.add(event.session_id)
        elif isinstance(event, TasksUpdated):
            self.tasks[event.session_id] = list(event.tasks)
            changes.tasks.add(event.session_id)
        elif isinstance(event, TurnEnded):
            self._end_turn(event.session_id, changes)
        elif isinstance(event, VcsBranchUpdated):
            self.branch = event.branch
            changes.branch = True
        # Anything else (heartbeats, LSP, unknown types) changes nothing we show.

    def _seen_gate(self, gate_id: str) -> None:
        if gate_id not in self.gate_seq:
            self.gate_seq[gate_id] = next(_ARRIVALS)
            self.gate_seen[gate_id] = self.clock() * 1000

    def _add_gate(self, table: dict[str, G], gate: G, changed: set[str]) -> None:
        table[gate.id] = gate
        self._gate_counts = None
        self._seen_gate(gate.id)
        changed.add(gate.id)

    def _drop_gate(self, table: dict[str, G], gate_id: str, removed: set[str]) -> G | None:
        gate = table.pop(gate_id, None)
        if gate is not None:
            self._gate_counts = None
            if gate_id not in self.permissions and gate_id not in self.questions:
                self.gate_seq.pop(gate_id, None)  # a question may share a permission's id
                self.gate_seen.pop(gate_id, None)
            removed.add(gate_id)
        return gate

    def remove_gate(self, gate_id: str) -> Changes:
        """Drop a gate we know is answered (our reply succeeded, or it was answered elsewhere)."""
        changes = Changes()
        self._drop_gate(self.permissions, gate_id, changes.permissions_removed)
        self._drop_gate(self.questions, gate_id, changes.questions_removed)
        return changes

    def gate(self, gate_id: str) -> PermissionRequest | Question | None:
        """The pending gate ``gate_id``, a permission request or a question."""
        return self.permissions.get(gate_id) or self.questions.get(gate_id)

    def gates_in_order(self) -> list[PermissionRequest | Question]:
        """Every pending gate, oldest first: in the order first seen (listings come oldest first)."""
        gates: list[PermissionRequest | Question] = [*self.permissions.values(), *self.questions.values()]
        return sorted(gates, key=lambda g: self.gate_seq.get(g.id, 0))

    def _set_status(self, session_id: str, status: SessionStatus, changes: Changes) -> None:
        if status.type == "idle":
            if self.statuses.pop(session_id, None) is None:
                return
        else:
            if self.statuses.get(session_id) == status:
                return
            self.statuses[session_id] = status
            self.last_errors.pop(session_id, None)
        changes.sessions.add(session_id)

    def _entries(self, session_id: str) -> OrderedDict[str, MessageEntry]:
        entries = self.messages.get(session_id)
        if entries is None:
            entries = self.messages[session_id] = OrderedDict()
        return entries

    def limit_of(self, session_id: str | None) -> int:
        """How many messages the store keeps for ``session_id``."""
        if session_id is not None and session_id == self.focused:
            return self.message_limits.get(session_id, self.message_limit)
        return self.background_limit

    def focus(self, session_id: str | None) -> None:
        """``session_id``'s stream is open (None: none is): it keeps a full history; the
        session that had the focus goes back to keeping its last few messages."""
        old, self.focused = self.focused, session_id
        if old is not None and old != session_id:
            self.message_limits.pop(old, None)
            entries = self.messages.get(old)
            if entries is not None:
                self._trim(entries, old)

    def _trim(self, entries: OrderedDict[str, MessageEntry], session_id: str | None = None) -> None:
        limit = self.limit_of(session_id)
        while len(entries) > limit:
            entries.popitem(last=False)

    def _upsert_message(self, info: Message, changes: Changes) -> None:
        session_id = info.session_id
        if not session_id:
            return
        entries = self._entries(session_id)
        entry = entries.get(info.id)
        if entry is None:
            entries[info.id] = MessageEntry(info)
            self._trim(entries, session_id)
        else:
            entry.info = info
        self.stats.setdefault(session_id, SessionStats()).record(info)
        changes.messages.add(session_id)
        changes.sessions.add(session_id)

    def _upsert_part(self, part: PartBase, changes: Changes) -> None:
        session_id, message_id = part.session_id, part.message_id
        if not session_id or not message_id:
            return
        entries = self._entries(session_id)
        entry = entries.get(message_id)
        if entry is None:
            # A part can arrive before its message: hold it under a placeholder.
            entry = entries[message_id] = MessageEntry(Message(id=message_id, sessionID=session_id))
            self._trim(entries, session_id)
        entry.upsert_part(part)
        changes.messages.add(session_id)

    def _append_delta(self, event: PartDelta, changes: Changes) -> None:
        """Text arriving piecewise: append to the part it names. A delta for a part not
        (or no longer) held is dropped: the part's next full update carries the text."""
        if not event.session_id or not event.message_id or not event.delta:
            return
        entries = self.messages.get(event.session_id)
        entry = entries.get(event.message_id) if entries is not None else None
        part = entry.parts.get(event.part_id) if entry is not None else None
        current = getattr(part, event.field_name, None) if part is not None else None
        if part is None or entry is None or not isinstance(current, str):
            return
        entry.parts[part.id] = part.model_copy(update={event.field_name: current + event.delta})
        changes.messages.add(event.session_id)

    def _end_turn(self, session_id: str, changes: Changes) -> None:
        """The session's turn ended: a gate it still has can no longer be decided."""
        self._set_status(session_id, _IDLE, changes)
        stale: list[Gate] = [g for g in self.gates_in_order() if g.session_id == session_id]
        for gate in stale:
            if isinstance(gate, PermissionRequest):
                self._drop_gate(self.permissions, gate.id, changes.permissions_removed)
            else:
                self._drop_gate(self.questions, gate.id, changes.questions_removed)
            changes.gone[gate.id] = GoneGate(gate, "turn-ended")

    def _remove_part(self, event: PartRemoved, changes: Changes) -> None:
        if not event.session_id:
            return
        entries = self.messages.get(event.session_id)
        if not entries:
            return
        message = entries.get(event.message_id) if event.message_id else None
        targets = [message] if message is not None else list(entries.values())
        for entry in targets:
            if entry.parts.pop(event.part_id, None) is not None:
                changes.messages.add(event.session_id)
                return

    def _remove_session(self, session_id: str, changes: Changes) -> None:
        if self.sessions.pop(session_id, None) is not None:
            self.sessions_revision += 1
        self.message_limits.pop(session_id, None)
        self.message_totals.pop(session_id, None)
        self.statuses.pop(session_id, None)
        self.stats.pop(session_id, None)
        self.messages.pop(session_id, None)
        self.loops.pop(session_id, None)
        self.recurring.pop(session_id, None)
        self.tasks.pop(session_id, None)
        self.todos.pop(session_id, None)
        self.last_errors.pop(session_id, None)
        for gate_id in [k for k, g in self.permissions.items() if g.session_id == session_id]:
            if (p := self._drop_gate(self.permissions, gate_id, changes.permissions_removed)) is not None:
                changes.gone[gate_id] = GoneGate(p, "session-deleted")
        for gate_id in [k for k, g in self.questions.items() if g.session_id == session_id]:
            if (q := self._drop_gate(self.questions, gate_id, changes.questions_removed)) is not None:
                changes.gone[gate_id] = GoneGate(q, "session-deleted")
        self._active_jobs = None
        for job_id in [k for k, j in self.jobs.items() if j.session_id == session_id]:
            del self.jobs[job_id]
            self._finished.pop(job_id, None)
            changes.jobs.add(job_id)
        changes.sessions_removed.add(session_id)

    # --- messages loaded over REST -------------------------------------------------------

    def load_messages(self, session_id: str, messages: Iterable[MessageWithParts]) -> Changes:
        """Fold in messages listed over REST (oldest first), e.g. when a stream opens."""
        changes = Changes()
        messages = list(messages)
        self.message_totals[session_id] = len(messages)
        # The whole history is listed: its figures are counted again from it, exactly.
        if messages:
            self.stats[session_id] = SessionStats()
        for item in messages:
            info = item.info if item.info.session_id else item.info.model_copy(update={"session_id": session_id})
            self._upsert_message(info, changes)
            entry = self._entries(session_id).get(item.info.id)
            if entry is not None:
                # The server's order of parts; one known only from live events keeps its place after.
                listed = {part.id: part for part in item.parts}
                entry.parts = {**listed, **{k: v for k, v in entry.parts.items() if k not in listed}}
        # Live events may have brought newer messages first: keep the list in time order.
        entries = self._entries(session_id)
        ordered = sorted(entries.values(), key=lambda e: ((e.info.time.created if e.info.time else None) or 0, e.info.id))
        self.messages[session_id] = OrderedDict((e.info.id, e) for e in ordered)
        self._trim(self.messages[session_id], session_id)
        changes.messages.add(session_id)
        return changes

    def hidden_earlier(self, session_id: str) -> int:
        """How many older messages the server has that the store does not hold."""
        return max(0, self.message_totals.get(session_id, 0) - len(self.messages.get(session_id, ())))

    def load_earlier(self, session_id: str, messages: Iterable[MessageWithParts], count: int) -> Changes:
        """Keep up to ``count`` more of the oldest messages (the user scrolled back)."""
        held = len(self.messages.get(session_id, ()))
        self.message_limits[session_id] = max(self.message_limits.get(session_id, self.message_limit), held + count)
        return self.load_messages(session_id, messages)

    def replace_message(self, session_id: str, item: MessageWithParts) -> Changes:
        """A message stream's snapshot: the message and exactly these parts."""
        changes = Changes()
        self._upsert_message(item.info.model_copy(update={"session_id": session_id}), changes)
        entry = self._entries(session_id).get(item.info.id)
        if entry is not None:
            entry.parts = {part.id: part for part in item.parts}
        changes.messages.add(session_id)
        return changes

    def add_jobs(self, jobs: Iterable[Job]) -> Changes:
        """Jobs listed over REST (a page, a refresh of one job)."""
        changes = Changes()
        for job in jobs:
            if self.jobs.get(job.id) != job:
                self._put_job(job, changes)
        return changes

    def _put_job(self, job: Job, changes: Changes) -> None:
        """Add or replace a job. Finished jobs are kept up to ``job_limit``, the oldest
        finished going first: active ones are always kept, and a session's whole history
        is paged from the server by the jobs view."""
        active = self._active_jobs
        if active is not None:  # kept counted (it is read on every paced update)
            before = self.jobs.get(job.id)
            self._active_jobs = active + (not job.is_terminal) - (before is not None and not before.is_terminal)
        self.jobs[job.id] = job
        changes.jobs.add(job.id)
        finished = self._finished
        if job.is_terminal:
            finished[job.id] = None
            finished.move_to_end(job.id)
            while len(finished) > self.job_limit:
                old, _ = finished.popitem(last=False)
                if self.jobs.pop(old, None) is not None:
                    changes.jobs.add(old)
        else:
            finished.pop(job.id, None)

    def set_loop(self, session_id: str, loop: Loop | None) -> Changes:
        changes = Changes()
        if self.loops.get(session_id) != loop:
            if loop is None:
                self.loops.pop(session_id, None)
            else:
                self.loops[session_id] = loop
            changes.loops.add(session_id)
            changes.sessions.add(session_id)
        return changes

    def set_recurring(self, session_id: str, loops: Iterable[RecurringLoop]) -> Changes:
        """The session's recurring loops, all of them (a listing)."""
        changes = Changes()
        fresh = {loop.id: loop for loop in loops}
        if self.recurring.get(session_id, {}) != fresh:
            self.recurring[session_id] = fresh
            changes.loops.add(session_id)
            changes.sessions.add(session_id)
        return changes

    def put_recurring(self, session_id: str, loop: RecurringLoop) -> Changes:
        return self.apply(RecurringLoopUpdated(type="recurring_loop.updated", session_id=session_id, loop=loop))

    def drop_recurring(self, session_id: str, loop_id: str) -> Changes:
        return self.apply(RecurringLoopDeleted(type="recurring_loop.deleted", session_id=session_id, loop_id=loop_id))

    # --- resync --------------------------------------------------------------------------

    def resync(self, snapshot: Snapshot) -> Changes:
        """Replace the listed state with ``snapshot``, reporting only what differs.

        Sessions, statuses and gates are replaced wholesale (a gate missing from the
        listing was answered while we were away; a new one appears). Messages, stats
        and jobs of sessions that still exist are kept: the streams refresh them.
        """
        changes = Changes(resynced=True)
        self._gate_counts = None
        self._active_jobs = None
        listed = {s.id: s for s in snapshot.sessions}
        for session_id in list(self.sessions):
            if session_id not in listed:
                self._remove_session(session_id, changes)
        for session_id, session in listed.items():
            if self.sessions.get(session_id) != session:
                self.sessions[session_id] = session
                self.sessions_revision += 1
                changes.sessions.add(session_id)
        statuses = {k: v for k, v in snapshot.statuses.items() if v.type != "idle"}
        for session_id in set(self.statuses) | set(statuses):
            if self.statuses.get(session_id) != statuses.get(session_id):
                changes.sessions.add(session_id)
        self.statuses = statuses
        _replace_gates(self.permissions, snapshot.permissions, changes.permissions, changes.permissions_removed, changes.gone)
        _replace_gates(self.questions, snapshot.questions, changes.questions, changes.questions_removed, changes.gone)
        for gate_id in list(self.gate_seq):
            if gate_id not in self.permissions and gate_id not in self.questions:
                del self.gate_seq[gate_id]
                self.gate_seen.pop(gate_id, None)
        for gate_id in [*(p.id for p in snapshot.permissions), *(q.id for q in snapshot.questions)]:
            self._seen_gate(gate_id)
        if snapshot.recurring is not None:
            for session_id, loops in snapshot.recurring.items():
                fresh = {loop.id: loop for loop in loops}
                if self.recurring.get(session_id, {}) != fresh:
                    self.recurring[session_id] = fresh
                    changes.loops.add(session_id)
                    changes.sessions.add(session_id)
        if snapshot.jobs is not None or snapshot.loops is not None:
            changes.merge(self.apply_details(snapshot.jobs or [], snapshot.loops or {}))
        return changes

    def apply_details(self, jobs: list[Job], loops: dict[str, Loop | None]) -> Changes:
        """The per-session part of a resync (listed after the workspace is shown): active
        jobs are added or updated, and each listed session's loop is replaced."""
        changes = Changes()
        for job in jobs:
            if self.jobs.get(job.id) != job:
                self._put_job(job, changes)
        for session_id, loop in loops.items():
            changes.merge(self.set_loop(session_id, loop))
        return changes


def _replace_gates(current: dict[str, G], listed: list[G], changed: set[str], removed: set[str],
                   gone: dict[str, GoneGate]) -> None:
    fresh = {item.id: item for item in listed}
    for gate_id in [k for k in current if k not in fresh]:
        gone[gate_id] = GoneGate(current.pop(gate_id), "listing")
        removed.add(gate_id)
    for gate_id, item in fresh.items():
        if current.get(gate_id) != item:
            changed.add(gate_id)
        current[gate_id] = item
    # Keep arrival order for the ones we had; new ones go after them (dict order).


def _answers_text(answers: Any) -> str | None:
    """The answers a ``question.replied`` event carries, as one readable line."""
    if isinstance(answers, str):
        return answers or None
    if isinstance(answers, list):
        groups = [", ".join(str(a) for a in group) if isinstance(group, list) else str(group) for group in answers]
        return "; ".join(g for g in groups if g) or None
    return None


def _merge_job(old: Job | None, new: Job) -> Job:
    """A job event may carry only some fields; keep what it leaves out."""
    if old is None:
        return new
    if new.model_fields_set >= old.model_fields_set and new.__pydantic_extra__ == old.__pydantic_extra__:
        # Nothing of the old one is left out: the merge would be ``new`` field for field
        # (the common case, a whole job each time; a copy cost ~5 us a job event).
        return new
    update = {name: getattr(new, name) for name in new.model_fields_set}
    return old.model_copy(update=update)
