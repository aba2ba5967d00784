"""A fake Backend: an agent server held in memory, for testing the workspace service and
the App without a network. It implements the whole protocol; what it was asked to do is
recorded (``replies``), and a test can make any reply fail the way a server can."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hoody_tui.api.errors import Conflict, HoodyError, NotFound, ServerError
from hoody_tui.api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from hoody_tui.api.loops import Loop, RecurringLoop, RecurringLoopSpec
from hoody_tui.api.messages import MessageWithParts
from hoody_tui.api.permissions import PermissionRequest, SessionPermissions
from hoody_tui.api.questions import Question
from hoody_tui.api.sessions import FileDiff, Session, SessionStatus, SessionSummary, Todo
from hoody_tui.core.backend import Capabilities, Unsupported
from hoody_tui.events.items import ConnectionState, Resync, StreamItem
from hoody_tui.store.state import Snapshot

__all__ = ["FakeBackend", "Reply", "FULL", "MINIMAL"]

FULL = Capabilities(questions=True, jobs=True, loops="directive", cli_agent=True, rulesets=True, todo=True,
                    diff=True, summary=True, abort=True)
GATEWAY_LIKE = Capabilities(questions=True, jobs=True, loops="recurring", cli_agent=False, rulesets=False, todo=False,
                            diff=False, summary=False, abort=True, gate_generation=True, tasks=True, persist_dirs=True,
                            reject_message=False, question_reject=False)
MINIMAL = Capabilities(questions=True, jobs=False, loops="none", cli_agent=False, rulesets=False, todo=False,
                       diff=False, summary=False, abort=True, reject_effect="stops-turn-unless-message")


@dataclass(frozen=True)
class Reply:
    gate_id: str
    kind: str  # once | always | reject | answer | reject-question
    message: str | None = None
    answer: Any = None
    generation: int | None = None
    accepted: bool = True


@dataclass
class FakeBackend:
    capabilities: Capabilities = FULL
    kind: str = "fake"
    server: str = "fake://server"
    scope: str = "ws"
    sessions: dict[str, Session] = field(default_factory=dict)
    permissions: dict[str, PermissionRequest] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    fail: dict[str, HoodyError] = field(default_factory=dict)
    """gate id -> the error its next reply raises (the reply is then not applied)."""
    listing_fails: bool = False
    pinned: Snapshot | None = None
    """A listing taken earlier, delivered by the next snapshot() (a stale listing)."""
    events_queue: asyncio.Queue[StreamItem] | None = None
    recurring: dict[str, dict[str, RecurringLoop]] = field(default_factory=dict)
    loop_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    history: dict[str, list[MessageWithParts]] = field(default_factory=dict)
    """What messages() lists for a session."""

    # --- the test's hands on the server --------------------------------------------------

    def add_session(self, session_id: str, title: str = "") -> Session:
        session = Session(id=session_id, title=title or session_id)
        self.sessions[session_id] = session
        return session

    def ask(self, gate_id: str, session_id: str = "s1", command: str = "ls", **extra: Any) -> PermissionRequest:
        request = PermissionRequest(id=gate_id, sessionID=session_id, permission="bash", patterns=[command],
                                    metadata={"command": command}, **extra)
        self.permissions[gate_id] = request
        return request

    def ask_question(self, gate_id: str, session_id: str = "s1", options: Sequence[str] = ("a", "b")) -> Question:
        question = Question.model_validate({"id": gate_id, "sessionID": session_id, "questions": [
            {"question": "Which?", "options": [{"label": o} for o in options]}]})
        self.questions[gate_id] = question
        return question

    def answer_elsewhere(self, gate_id: str) -> None:
        self.permissions.pop(gate_id, None)
        self.questions.pop(gate_id, None)

    # --- the protocol ----------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        if self.listing_fails:
            raise ServerError("listing failed", status=503, context="listing")
        if self.pinned is not None:
            pinned, self.pinned = self.pinned, None
            return pinned
        return Snapshot(list(self.sessions.values()), {k: SessionStatus(type="busy") for k in ()},
                        list(self.permissions.values()), list(self.questions.values()))

    async def details(self, sessions: Sequence[Session]) -> tuple[list[Job], dict[str, Loop | None]]:
        return [], {}

    async def events(self) -> AsyncIterator[StreamItem]:  # type: ignore[override]
        yield ConnectionState("live")
        yield Resync()
        queue = self.events_queue
        if queue is None:
            return
        while True:
            yield await queue.get()

    async def messages(self, session_id: str) -> list[MessageWithParts]:
        return list(self.history.get(session_id, []))

    async def workspace_path(self) -> str | None:
        return "/work/project"

    async def session_rules(self, session_id: str) -> SessionPermissions:
        if not self.capabilities.rulesets:
            raise Unsupported("rulesets")
        return SessionPermissions()

    async def todo(self, session_id: str) -> list[Todo]:
        return []

    async def diff(self, session_id: str) -> list[FileDiff]:
        return []

    async def summary(self, session_id: str) -> SessionSummary:
        return SessionSummary()

    def _reply(self, gate_id: str, reply: Reply) -> None:
        error = self.fail.pop(gate_id, None)
        if error is not None:
            self.replies.append(replace(reply, accepted=False))
            if getattr(error, "arrived", False):
                self.answer_elsewhere(gate_id)  # the reply arrived; its answer was lost
            raise error
        if gate_id not in self.permissions and gate_id not in self.questions:
            self.replies.append(replace(reply, accepted=False))
            raise NotFound(f"gate {gate_id} not found", status=404, context="replying")
        self.replies.append(reply)
        self.answer_elsewhere(gate_id)

    async def reply_permission(self, gate_id: str, reply: Any, message: str | None = None, *,
                               generation: int | None = None) -> None:
        await asyncio.sleep(0)
        self._reply(gate_id, Reply(gate_id, reply, message, generation=generation))

    async def answer_question(self, gate_id: str, answer: Any, *, generation: int | None = None) -> None:
        await asyncio.sleep(0)
        self._reply(gate_id, Reply(gate_id, "answer", answer=answer, generation=generation))

    async def reject_question(self, gate_id: str, reason: str | None = None, *, generation: int | None = None) -> None:
        await asyncio.sleep(0)
        self._reply(gate_id, Reply(gate_id, "reject-question", reason, generation=generation))

    async def pending_gate_ids(self) -> set[str]:
        if self.listing_fails:
            raise ServerError("listing failed", status=503, context="listing")
        return set(self.permissions) | set(self.questions)

    async def abort(self, session_id: str) -> None:
        return None

    async def jobs_page(self, session_id: str, *, status: Any, limit: int, cursor: str | None) -> JobPage:
        return JobPage(jobs=[], nextCursor=None)

    async def job(self, session_id: str, job_id: str) -> Job:
        raise NotFound("no such job", status=404, context="reading a job")

    async def job_output(self, session_id: str, job_id: str) -> str:
        return ""

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        raise Conflict("no", status=409, context="cancelling")

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        return BulkCancelResult()

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        raise Conflict("no", status=409, context="retrying")

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> InjectResult:
        return InjectResult()

    async def loop(self, session_id: str) -> Loop | None:
        return None

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> Loop:
        raise Unsupported("loops")

    async def stop_loop(self, session_id: str) -> None:
        return None

    async def start_cli_agent(self, session_id: str, agent: str, prompt: str, **options: Any) -> Any:
        raise Unsupported("CLI-agent runs")

    async def cli_agent_run(self, session_id: str, job_id: str) -> AsyncIterator[object]:  # type: ignore[override]
        return
        yield

    # --- recurring loops (offered when capabilities.loops == "recurring") -----------------

    async def recurring_loops(self, session_id: str) -> list[RecurringLoop]:
        return list(self.recurring.get(session_id, {}).values())

    async def create_recurring_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        if self.capabilities.loops != "recurring":
            raise Unsupported("the fake backend has no recurring loops")
        loops = self.recurring.setdefault(session_id, {})
        loop = RecurringLoop(id=f"loop_{len(loops) + 1}", session_id=session_id, prompt=spec.prompt,
                             interval=spec.interval, max_runs=spec.max_runs, stop_when=spec.stop_when,
                             max_cost_usd=spec.max_cost_usd, max_wall_ms=spec.max_wall_ms, status="active")
        loops[loop.id] = loop
        self.loop_calls.append(("create", loop.id, spec.model_dump(exclude_none=True)))
        return loop

    async def update_recurring_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        loop = self.recurring[session_id][loop_id]
        self.loop_calls.append(("update", loop_id, dict(intent)))
        updated = loop.model_copy(update=dict(intent))
        self.recurring[session_id][loop_id] = updated
        return updated

    async def run_recurring_loop_now(self, session_id: str, loop_id: str) -> None:
        self.loop_calls.append(("run-now", loop_id, {}))

    async def delete_recurring_loop(self, session_id: str, loop_id: str) -> None:
        self.loop_calls.append(("delete", loop_id, {}))
        del self.recurring[session_id][loop_id]

    async def aclose(self) -> None:
        return None
