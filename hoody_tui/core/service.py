"""The workspace service: one connected server (or workspace of it), headless.

It holds what every face of hoody-tui needs for one server: the backend, the store that
events keep current, the gate ledger and :class:`~.decisions.GateDesk`, the event pump
and the audit log. Its commands (decide a gate, cancel jobs, start or stop a loop,
launch a CLI-agent run …) return an outcome with a sentence for the person; what
changes meanwhile is published through one callback (:mod:`.publications`).

The TUI is one face of it (the App bridges publications into Messages); a command line
or a test is another. It knows the backend only by its protocol, and never imports
Textual.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..api.cli_agent import CliAgentStarted
from ..api.errors import Conflict, HoodyError
from ..api.jobs import Job
from ..api.loops import Loop, RecurringLoop, RecurringLoopSpec
from ..api.permissions import SessionPermissions
from ..api.sessions import FileDiff, SessionSummary, Todo
from ..gates.audit import AuditLog
from ..gates.ledger import Decision, Ledger
from ..store.changes import Changes, Gate
from ..store.state import Snapshot, WorkspaceStore
from ..text import shorten
from .backend import Backend, Capabilities, JobStatusFilter, Unsupported
from .decisions import DecisionResult, GateDesk
from .priority import InputPriority
from .publications import GatesArrived, Publication, Publish, StoreUpdated
from .pump import EventPump

__all__ = ["WorkspaceService", "ActionResult", "EARLIER_PAGE", "JOBS_PAGE"]

T = TypeVar("T")

EARLIER_PAGE = 100
"""Messages added to a stream's history each time the person asks for earlier ones."""
JOBS_PAGE = 100


CANCEL_REFUSALS = {"already_terminal": "had already ended", "not_found": "was not found"}
"""A bulk cancel's reasons (the server's codes), in words."""


def plural(count: int, noun: str) -> str:
    """``1 job``, ``3 jobs``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True, slots=True)
class ActionResult(Generic[T]):
    """How a command ended: ``ok`` with a sentence (and a value), or the error, said."""

    ok: bool
    text: str
    value: T | None = None
    error: HoodyError | None = None

    @classmethod
    def failed(cls, error: HoodyError, text: str | None = None) -> ActionResult[T]:
        return cls(False, text or str(error), None, error)


class _Arrivals:
    """Which gates are new to the person: touched by an update, pending, not seen before.
    Only the gates an update touched are looked at, never the whole queue (10,000 while
    events pour in)."""

    def __init__(self) -> None:
        self.known: set[str] = set()

    def new(self, changes: Changes, store: WorkspaceStore) -> tuple[Gate, ...]:
        known = self.known
        known.difference_update(changes.permissions_removed | changes.questions_removed)
        new: list[Gate] = []
        for gate_id in changes.permissions | changes.questions:
            if gate_id in known:
                continue
            gate = store.gate(gate_id)
            if gate is not None:
                new.append(gate)
        new.sort(key=lambda g: store.gate_seq.get(g.id, 0))
        if changes.resynced:
            known.clear()
            known.update(store.permissions, store.questions)
        else:
            known.update(g.id for g in new)
        return tuple(new)


class WorkspaceService:
    def __init__(
        self,
        backend: Backend,
        *,
        audit: AuditLog | None = None,
        publish: Publish | None = None,
        clock: Callable[[], float] = time.time,
        via: str = "tui",
        store: WorkspaceStore | None = None,
        source: str | None = None,
    ) -> None:
        self.backend = backend
        self.store = store or WorkspaceStore(clock=clock)
        self.ledger = Ledger()
        self.priority = InputPriority()
        """Steps the event intake aside while the person acts (shared by an inbox's sources)."""
        self.audit = audit or AuditLog(None)
        self.clock = clock
        self._subscriber = publish
        self.source = source
        """The name it goes by among several servers (a profile's), or ``None`` alone."""
        self.desk = GateDesk(backend, self.store, self.ledger, self.audit, self.publish, clock=clock, via=via,
                             source=source)
        self._arrivals = _Arrivals()
        self.pump: EventPump | None = None

    def __repr__(self) -> str:
        return f"WorkspaceService({self.backend!r})"

    @property
    def capabilities(self) -> Capabilities:
        return self.backend.capabilities

    # --- publishing ----------------------------------------------------------------------

    def subscribe(self, publish: Publish) -> None:
        """Send every publication to ``publish`` (one subscriber: the face showing this service)."""
        self._subscriber = publish

    def publish(self, publication: Publication) -> None:
        if self._subscriber is not None:
            self._subscriber(publication)

    def changed(self, changes: Changes) -> None:
        """Publish a change of the store made by a command (when there is one)."""
        if changes:
            self.publish(StoreUpdated(changes))

    def received(self, publication: Publication) -> None:
        """What the pump reports (or a test standing in for it) passes the gate bookkeeping
        first: gates decided elsewhere, replies settled by a listing, gates new to the person."""
        if isinstance(publication, StoreUpdated):
            changes = publication.changes
            store = self.store
            if changes.gone:
                self.desk.gates_gone(changes)
            if changes.resynced:
                self.desk.settle(set(store.permissions) | set(store.questions), changes.gone)
            arrived = self._arrivals.new(changes, store) if changes.gates or changes.resynced else ()
            self.publish(publication)
            if arrived:
                self.publish(GatesArrived(arrived, listed=changes.resynced))
            return
        self.publish(publication)

    # --- keeping the store current -------------------------------------------------------

    async def run(self) -> None:
        """List the workspace and follow its events until cancelled (resync on each reconnect)."""
        self.pump = EventPump(self.backend.events(), self.store, self.received, self._snapshot, self._details,
                              priority=self.priority)
        await self.pump.run()

    async def _snapshot(self) -> Snapshot:
        snapshot = await self.backend.snapshot()
        # A gate we answered is gone whatever a listing taken mid-reply says.
        absorbs = self.ledger.absorbs
        snapshot.permissions = [p for p in snapshot.permissions if not absorbs(p.id)]
        snapshot.questions = [q for q in snapshot.questions if not absorbs(q.id)]
        return snapshot

    async def _details(self, snapshot: Snapshot) -> tuple[list[Job], dict[str, Loop | None]]:
        return await self.backend.details(snapshot.sessions)

    # --- gates ---------------------------------------------------------------------------

    async def decide(self, decision: Decision) -> DecisionResult:
        return await self.desk.decide(decision)

    async def workspace_path(self) -> str | None:
        """The directory the agents work in (risk marks flag writes outside it), if known."""
        try:
            return await self.backend.workspace_path()
        except (HoodyError, Unsupported):
            return None

    async def session_rules(self, session_id: str) -> ActionResult[SessionPermissions]:
        try:
            return ActionResult(True, "", await self.backend.session_rules(session_id))
        except HoodyError as exc:
            return ActionResult.failed(exc, exc.message)

    # --- sessions ------------------------------------------------------------------------

    async def open_session(self, session_id: str) -> ActionResult[None]:
        """``session_id``'s stream is open: keep its whole history, and list it."""
        self.store.focus(session_id)
        return await self.load_messages(session_id)

    async def load_messages(self, session_id: str) -> ActionResult[None]:
        try:
            messages = await self.backend.messages(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.load_messages(session_id, messages))
        return ActionResult(True, "")

    async def load_earlier(self, session_id: str) -> ActionResult[None]:
        if not self.store.hidden_earlier(session_id):
            return ActionResult(True, "This is the whole conversation.")
        try:
            messages = await self.backend.messages(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.load_earlier(session_id, messages, EARLIER_PAGE))
        return ActionResult(True, "")

    async def abort(self, session_id: str) -> ActionResult[None]:
        title = self.session_title(session_id)
        try:
            await self.backend.abort(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        return ActionResult(True, f"Aborted the turn of “{title}”")

    async def todo(self, session_id: str) -> ActionResult[list[Todo]]:
        try:
            return ActionResult(True, "", await self.backend.todo(session_id))
        except HoodyError as exc:
            return ActionResult.failed(exc)

    async def diff(self, session_id: str) -> ActionResult[list[FileDiff]]:
        try:
            return ActionResult(True, "", await self.backend.diff(session_id))
        except HoodyError as exc:
            return ActionResult.failed(exc)

    async def summary(self, session_id: str) -> ActionResult[SessionSummary]:
        try:
            return ActionResult(True, "", await self.backend.summary(session_id))
        except HoodyError as exc:
            return ActionResult.failed(exc)

    def session_title(self, session_id: str, limit: int = 60) -> str:
        session = self.store.sessions.get(session_id)
        return shorten((session.title if session else None) or session_id, limit)

    # --- jobs ----------------------------------------------------------------------------

    async def jobs_page(self, session_id: str, status: JobStatusFilter, cursor: str | None) -> ActionResult[str]:
        """Load one page of a session's jobs into the store; the value is the next cursor
        (``None`` when there are no more pages)."""
        try:
            page = await self.backend.jobs_page(session_id, status=status, limit=JOBS_PAGE, cursor=cursor)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.add_jobs(page.jobs))
        return ActionResult(True, "", page.next_cursor if len(page.jobs) >= JOBS_PAGE else None)

    async def job_output(self, job_id: str) -> ActionResult[str]:
        job = self.store.jobs.get(job_id)
        if job is None or not job.session_id:
            return ActionResult(False, "This job has no session, so the server has no route to its output.")
        try:
            return ActionResult(True, "", await self.backend.job_output(job.session_id, job.id))
        except HoodyError as exc:
            return ActionResult.failed(exc)

    async def cancel_job(self, session_id: str, job_id: str) -> ActionResult[None]:
        try:
            result = await self.backend.cancel_job(session_id, job_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.add_jobs([result.job]))
        if result.cancelled:
            return ActionResult(True, f"Cancelled job {job_id}")
        return ActionResult(True, f"Job {job_id} had already ended ({result.job.status})")

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> ActionResult[None]:
        try:
            bulk = await self.backend.cancel_jobs(session_id, job_ids)
            fresh = [await self.backend.job(session_id, job_id) for job_id in list(job_ids)[:50]]
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.add_jobs(fresh))
        failures = ", ".join(f"{f.job_id} {CANCEL_REFUSALS.get(f.reason or '', f.reason or 'refused')}"
                             for f in bulk.failed)
        text = f"Cancelled {bulk.cancelled} of {plural(len(job_ids), 'job')}" + (
            f"; not cancelled: {failures}" if failures else "")
        return ActionResult(True, text)

    async def retry_job(self, session_id: str, job_id: str) -> ActionResult[None]:
        try:
            retried = await self.backend.retry_job(session_id, job_id)
            new_job = await self.backend.job(session_id, retried.job_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.add_jobs([new_job]))
        return ActionResult(True, f"Retrying {job_id} as new job {retried.job_id}")

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> ActionResult[None]:
        try:
            injected = await self.backend.inject_jobs(session_id, job_ids or None)
        except Conflict as exc:
            if exc.code == "loop_already_active":
                return ActionResult.failed(
                    exc, "A prompt loop is active on this session; stop the loop (l) before injecting job results.")
            return ActionResult.failed(exc)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        count = injected.injected or 0
        return ActionResult(True, injected.message or f"Injected the {'result' if count == 1 else 'results'} of "
                                                      f"{plural(count, 'finished job')} into the session")

    # --- loops ---------------------------------------------------------------------------

    async def refresh_loop(self, session_id: str) -> ActionResult[Loop]:
        try:
            loop = await self.backend.loop(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.set_loop(session_id, loop))
        return ActionResult(True, "", loop)

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> ActionResult[Loop]:
        try:
            loop = await self.backend.start_loop(session_id, prompt, iters)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.set_loop(session_id, loop))
        return ActionResult(True, f"Loop started: {iters} iterations.", loop)

    async def stop_loop(self, session_id: str) -> ActionResult[None]:
        try:
            await self.backend.stop_loop(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.set_loop(session_id, None))
        return ActionResult(True, "Loop stopped.")

    # --- recurring loops (a gateway's: many per session) ----------------------------------

    async def refresh_recurring(self, session_id: str) -> ActionResult[list[RecurringLoop]]:
        try:
            loops = await self.backend.recurring_loops(session_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.set_recurring(session_id, loops))
        return ActionResult(True, "", loops)

    async def create_recurring(self, session_id: str, spec: RecurringLoopSpec) -> ActionResult[RecurringLoop]:
        try:
            loop = await self.backend.create_recurring_loop(session_id, spec)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.put_recurring(session_id, loop))
        return ActionResult(True, f"Loop created: every {loop.interval or spec.interval}, “{shorten(loop.prompt, 40)}”.",
                            loop)

    async def pause_recurring(self, session_id: str, loop_id: str, paused: bool) -> ActionResult[RecurringLoop]:
        try:
            loop = await self.backend.update_recurring_loop(session_id, loop_id, {"paused": paused})
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.put_recurring(session_id, loop))
        return ActionResult(True, f"Loop {'paused' if paused else 'resumed'}: “{shorten(loop.prompt, 40)}”.", loop)

    async def run_recurring_now(self, session_id: str, loop_id: str) -> ActionResult[None]:
        try:
            await self.backend.run_recurring_loop_now(session_id, loop_id)
        except Conflict as exc:
            if exc.code in ("turn_in_flight", "gate_parked"):
                why = "a turn is running" if exc.code == "turn_in_flight" else "a gate is waiting for you (4)"
                return ActionResult.failed(exc, f"Not run now: {why} in this session; it runs at its next time.")
            return ActionResult.failed(exc)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        return ActionResult(True, "Loop run started.")

    async def delete_recurring(self, session_id: str, loop_id: str) -> ActionResult[None]:
        try:
            await self.backend.delete_recurring_loop(session_id, loop_id)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        self.changed(self.store.drop_recurring(session_id, loop_id))
        return ActionResult(True, "Loop deleted.")

    # --- CLI-agent runs ------------------------------------------------------------------

    async def start_cli_agent(
        self, session_id: str, agent: str, prompt: str, *, model: str | None, git: bool | None, timeout_ms: int | None
    ) -> ActionResult[CliAgentStarted]:
        try:
            started = await self.backend.start_cli_agent(
                session_id, agent, prompt, model=model, git=git, timeout_ms=timeout_ms)
        except HoodyError as exc:
            return ActionResult.failed(exc)
        return ActionResult(True, f"Started CLI-agent run {started.job_id}", started)

    def cli_agent_run(self, session_id: str, job_id: str) -> AsyncIterable[object]:
        return self.backend.cli_agent_run(session_id, job_id)

    # --- closing -------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self.desk.aclose()
        await self.backend.aclose()
