"""The in-container gateway ``hoody-agent-d`` (contract §2) as a :class:`~hoody_tui.core.backend.Backend`.

What differs from the workspace API, and is handled here:

- no workspace: the capability URL is the whole address; sessions are listed in pages;
- one stream per session (:mod:`.streams` multiplexes them), numbered by ``seq``, resumed
  from a 1024-event ring; its events are the gateway's own (:mod:`.mapping` turns them
  into the store's records);
- a gate has a ``generation`` and a reply echoes the one that was on screen; 409
  ``no_pending_gate``/``stale_gate``/``gate_already_answered`` mean "decided elsewhere"
  (the ledger's ``GATEWAY_GONE_CODES``); ``gate_type_mismatch`` is a bug and logged so;
- "always" persists the gate's directories (``persist_dirs``); a deny ends the turn and
  carries no message; a question cannot be rejected (there is no route);
- no message history route: a session's messages are what its replay ring still holds;
- jobs are the turns and loop runs seen on the streams, refreshed by ``GET /jobs/{id}``;
- loops are recurring (many per session), changed one intent at a time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, NoReturn

import httpx

from ...api import errors as E
from ...api.events import Event
from ...api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from ...api.loops import Loop, RecurringLoop, RecurringLoopSpec
from ...api.messages import MessageWithParts
from ...api.permissions import PermissionRequest, SessionPermissions
from ...api.questions import Question
from ...api.sessions import FileDiff, Session, SessionStatus, SessionSummary, Todo
from ...core.backend import Capabilities, JobStatusFilter, PermissionReply, Unsupported
from ...events.backoff import Backoff
from ...events.items import StreamItem
from ...store.state import Snapshot
from ..absent import NoCliAgent, NoDirectiveLoop, absent
from .client import GatewayClient
from .mapping import (
    SessionMapper,
    WireJob,
    WireSummary,
    fold_messages,
    gate_of,
    job_of,
    parse_frame,
    session_of,
    status_of,
)
from .streams import (
    MAX_STREAMS,
    RELIST_INTERVAL,
    SUMMARY_CONCURRENCY,
    Book,
    HeldGate,
    Multiplexer,
    gather_bounded,
)

__all__ = ["GatewayBackend", "CAPABILITIES", "GatewayUnsupported", "probe", "SERVICE", "LOOP_INTENTS"]

log = logging.getLogger("hoody_tui.backends.gateway")

SERVICE = "hoody-agent-d"
CAPABILITIES = Capabilities(
    questions=True,
    jobs=True,
    loops="recurring",
    cli_agent=False,
    rulesets=False,
    todo=False,
    diff=False,
    summary=False,
    abort=True,
    message_history=True,
    gate_generation=True,
    reject_effect="stops-turn",
    reject_rejects_siblings=False,
    tasks=True,
    persist_dirs=True,
    reject_message=False,  # a deny carries no message to the agent
    question_reject=False,  # there is no reject route: answer it, or abort the turn
    question_reject_reason=False,
    credential="token",
    credential_help="set HOODY_TOKEN or use --token-file (sent as X-Hoody-Token with X-Hoody-Container-Claim; "
                    "HOODY_CONTAINER_CLAIM names the claim)",
)
LOOP_INTENTS = {"paused": "paused", "expires_in": "expires_in", "max_cost_usd": "budget", "max_wall_ms": "budget"}


class GatewayUnsupported(E.Invalid, Unsupported):
    """What the gateway cannot carry (a reject's message, rejecting a question). Also an
    :class:`~hoody_tui.api.errors.Invalid`, so a decision that reaches it anyway is
    settled as refused (unlocked and said), never left locked."""

    def __init__(self, message: str, *, context: str | None = None) -> None:
        super().__init__(message, status=0, context=context)


class GatewayBackend(NoDirectiveLoop, NoCliAgent):
    absent_as = "the gateway"
    kind = "gateway"
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: GatewayClient,
        *,
        label: str | None = None,
        max_streams: int = MAX_STREAMS,
        relist_interval: float = RELIST_INTERVAL,
        summary_concurrency: int = SUMMARY_CONCURRENCY,
        backoff: Backoff | None = None,
        stream_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.server = client.base_url
        self.scope = ""
        self.label = label or client.base_url
        self.book = Book()
        self.max_streams = max_streams
        self.relist_interval = relist_interval
        self.summary_concurrency = summary_concurrency
        self.backoff = backoff
        self.stream_options = dict(stream_options or {})

    def __repr__(self) -> str:
        return f"GatewayBackend({self.client!r})"

    # --- reading ---------------------------------------------------------------------

    async def _summaries(self) -> list[WireSummary]:
        """Every live session's summary (the listing's own items when they carry the live
        state, else ``GET /sessions/{id}``, a few at a time)."""
        listed = [s for s in await self.client.list_sessions() if s.live]

        async def read(summary: WireSummary) -> WireSummary | None:
            if {"turn_in_flight", "pending_gate"} <= summary.model_fields_set:
                return summary
            try:
                return await self.client.get_session(summary.id)
            except E.NotFound:  # gone since the listing
                return None

        got = await gather_bounded(self.summary_concurrency, [read(s) for s in listed])
        return [s for s in got if isinstance(s, WireSummary)]

    def _learn(self, summaries: Sequence[WireSummary]) -> None:
        """The server's word on every live session's pending gate replaces what was held."""
        live = {s.id for s in summaries}
        for sid in [sid for sid in self.book.mappers if sid not in live]:
            self.book.forget(sid)
        self.book.gates = {k: g for k, g in self.book.gates.items() if g.session_id in live}
        for summary in summaries:
            self.book.mapper(summary.id).adopt(summary)
            for gate_id in self.book.held_in(summary.id):
                del self.book.gates[gate_id]
            if summary.pending_gate is not None:
                self.book.resolved.pop(summary.pending_gate.gate_id, None)
                self.book.hold(gate_of(summary.pending_gate, summary.id))

    async def snapshot(self) -> Snapshot:
        summaries = await self._summaries()
        self._learn(summaries)

        async def loops(sid: str) -> tuple[str, list[RecurringLoop] | None]:
            try:
                return sid, await self.client.loops(sid)
            except E.NotFound:
                return sid, []
            except E.HoodyError as exc:
                log.info("session %s: could not list its loops (%s)", sid, exc)
                return sid, None

        listed = await gather_bounded(self.summary_concurrency, [loops(s.id) for s in summaries])
        recurring = {sid: items for sid, items in listed if items is not None}
        sessions: list[Session] = []
        statuses: dict[str, SessionStatus] = {}
        permissions: list[PermissionRequest] = []
        questions: list[Question] = []
        for summary in summaries:
            sessions.append(session_of(summary))
            statuses[summary.id] = status_of(summary)
            if summary.pending_gate is not None:
                gate = gate_of(summary.pending_gate, summary.id)
                if isinstance(gate, PermissionRequest):
                    permissions.append(gate)
                else:
                    questions.append(gate)
        return Snapshot(sessions, statuses, permissions, questions, recurring=recurring)

    async def details(self, sessions: Sequence[Session]) -> tuple[list[Job], dict[str, Loop | None]]:
        """The turn and loop-run jobs in flight that the streams named, as they are now."""
        wanted = {s.id for s in sessions}
        active = [job for sid, mapper in self.book.mappers.items() if sid in wanted
                  for job in mapper.jobs.values() if not job.is_terminal]
        jobs = await gather_bounded(self.summary_concurrency, [self._refresh(j) for j in active])
        return [j for j in jobs if isinstance(j, Job)], {}

    def events(self) -> AsyncIterator[StreamItem]:
        mux = Multiplexer(self.client, self.book, max_streams=self.max_streams, relist_interval=self.relist_interval,
                          summary_concurrency=self.summary_concurrency, backoff=self.backoff,
                          stream_options=self.stream_options)
        return mux.run()

    async def messages(self, session_id: str) -> list[MessageWithParts]:
        """There is no history route: what the session's replay ring still holds (its
        last 1024 events), read like the live stream."""
        try:
            ring = await self.client.replay(session_id)
        except E.NotFound:
            return []
        mapper = SessionMapper(session_id)
        known = self.book.mappers.get(session_id)
        if known is not None:
            mapper.agent, mapper.model = known.agent, known.model
        records: list[Event] = []
        for raw in ring["events"]:
            try:
                records.extend(mapper.feed(parse_frame(raw)))
            except ValueError as exc:  # MalformedEvent: skipped, as on the stream
                log.info("session %s: skipped a replayed event (%s)", session_id, exc)
        return fold_messages(records)

    async def workspace_path(self) -> str | None:
        cwds = {s.cwd for s in await self.client.list_sessions() if s.live and s.cwd}
        return cwds.pop() if len(cwds) == 1 else None

    async def session_rules(self, session_id: str) -> SessionPermissions:
        _absent("readable permission rules")

    async def todo(self, session_id: str) -> list[Todo]:
        _absent("per-session todo lists")

    async def diff(self, session_id: str) -> list[FileDiff]:
        _absent("session diffs")

    async def summary(self, session_id: str) -> SessionSummary:
        _absent("session change summaries")

    # --- gates -----------------------------------------------------------------------

    async def _gate(self, gate_id: str, what: str) -> HeldGate:
        """The gate's session (and what was seen of it): held, or found among the live
        sessions' pending gates. None pending: it was decided elsewhere (404)."""
        held = self.book.gates.get(gate_id)
        if held is not None:
            return held
        summaries = await self._summaries()
        for summary in summaries:
            if summary.pending_gate is not None and summary.pending_gate.gate_id == gate_id:
                self.book.hold(gate_of(summary.pending_gate, summary.id))
                return self.book.gates[gate_id]
        raise E.NotFound(f"gate {gate_id} is no longer pending", status=404, code="no_pending_gate",
                         context=what)

    @staticmethod
    def _refused(exc: E.Conflict, gate_id: str, route: str) -> NoReturn:
        if exc.code == "gate_type_mismatch":
            log.error("bug: hoody-tui sent %s to gate %s, which is of the other kind (%s)", route, gate_id, exc.message)
            raise E.Conflict(
                f"hoody-tui sent the wrong kind of reply to gate {gate_id} (a bug: the gateway says {exc.message})",
                status=exc.status, code=exc.code, raw=exc.raw, context=exc.context) from None
        raise exc

    async def reply_permission(
        self, gate_id: str, reply: PermissionReply, message: str | None = None, *, generation: int | None = None
    ) -> None:
        if message and message.strip():
            raise GatewayUnsupported("the gateway cannot pass a message with a decision: decide without one",
                                     context=f"deciding gate {gate_id}")
        held = await self._gate(gate_id, f"deciding gate {gate_id}")
        try:
            await self.client.confirm(held.session_id, gate_id, held.generation if generation is None else generation,
                                      approved=reply != "reject", persist_dirs=reply == "always")
        except E.Conflict as exc:
            self._refused(exc, gate_id, "a confirm")
        self.book.note_resolved(gate_id)

    async def answer_question(
        self, gate_id: str, answer: str | Sequence[Sequence[str]], *, generation: int | None = None
    ) -> None:
        held = await self._gate(gate_id, f"answering gate {gate_id}")
        echo = held.generation if generation is None else generation
        text: str | None = None
        answers: dict[str, str] | None = None
        if isinstance(answer, str):
            text = answer
        else:
            groups = [", ".join(group) for group in answer]
            if held.fields and len(groups) > 1:
                answers = dict(zip(held.fields, groups, strict=False))
            else:
                text = groups[0] if groups else ""
        try:
            await self.client.answer(held.session_id, gate_id, echo, text=text, answers=answers)
        except E.Conflict as exc:
            self._refused(exc, gate_id, "an answer")
        self.book.note_resolved(gate_id)

    async def reject_question(self, gate_id: str, reason: str | None = None, *, generation: int | None = None) -> None:
        raise GatewayUnsupported("the gateway cannot reject a question: answer it, or stop the session's turn",
                                 context=f"rejecting gate {gate_id}")

    async def pending_gate_ids(self) -> set[str]:
        summaries = await self._summaries()
        self._learn(summaries)
        return {s.pending_gate.gate_id for s in summaries if s.pending_gate is not None}

    # --- sessions --------------------------------------------------------------------

    async def abort(self, session_id: str) -> None:
        await self.client.cancel(session_id)

    # --- jobs ------------------------------------------------------------------------

    def _known(self, session_id: str | None, job_id: str) -> Job | None:
        mappers = [self.book.mappers[session_id]] if session_id in self.book.mappers else []
        for mapper in mappers or list(self.book.mappers.values()):
            if job_id in mapper.jobs:
                return mapper.jobs[job_id]
        return None

    def _remember(self, job: Job) -> Job:
        if job.session_id:
            self.book.mapper(job.session_id).jobs[job.id] = job
        return job

    def _merge(self, wire: WireJob, known: Job | None) -> Job:
        fresh = job_of(wire)
        if known is None:
            return fresh
        update = {name: getattr(fresh, name) for name in ("status", "time", "error", "session_id")
                  if getattr(fresh, name) is not None}
        metadata = {**(known.metadata or {}), **(fresh.metadata or {})}
        return known.model_copy(update={**update, "metadata": metadata, "tool": fresh.tool or known.tool})

    async def _refresh(self, job: Job) -> Job:
        try:
            wire = await self.client.get_job(job.id)
        except E.NotFound:
            return job
        return self._remember(self._merge(wire, job))

    async def jobs_page(self, session_id: str, *, status: JobStatusFilter, limit: int, cursor: str | None) -> JobPage:
        """The turn and loop-run jobs seen in the session (newest first), each as it is now."""
        mapper = self.book.mappers.get(session_id)
        known = list(mapper.jobs.values()) if mapper is not None else []
        stale = [j for j in known if not j.is_terminal]
        await gather_bounded(self.summary_concurrency, [self._refresh(j) for j in stale])
        jobs = list(self.book.mapper(session_id).jobs.values())
        if status == "active":
            jobs = [j for j in jobs if not j.is_terminal]
        elif status == "completed":
            jobs = [j for j in jobs if j.is_terminal]
        jobs.sort(key=lambda j: (j.time.created if j.time else None) or 0, reverse=True)
        start = int(cursor) if cursor and cursor.isdigit() else 0
        page = jobs[start: start + max(1, limit)]
        more = start + len(page) < len(jobs)
        return JobPage.model_validate({"jobs": page, "nextCursor": str(start + len(page)) if more else None})

    async def job(self, session_id: str, job_id: str) -> Job:
        wire = await self.client.get_job(job_id)
        return self._remember(self._merge(wire, self._known(session_id, job_id)))

    async def job_output(self, session_id: str, job_id: str) -> str:
        data = await self.client.job_result(job_id)
        result = data.get("result")
        if isinstance(result, dict):
            for key in ("text", "suggestion"):
                if isinstance(result.get(key), str):
                    text: str = result[key]
                    error = result.get("error")
                    return f"{text}\n\n{error}".strip() if error and not text.endswith(str(error)) else text
            return json.dumps(result, ensure_ascii=False, indent=2)
        if result is None:
            error = data.get("error")
            return str(error) if error else ""
        return str(result)

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        data = await self.client.delete_job(job_id)
        known = self._known(session_id, job_id)
        if data.get("deleted"):  # it had finished: the gateway deletes a finished job
            job = known or Job.model_validate({"id": job_id, "sessionID": session_id})
            return JobCancelResult(job=job, message="the job had already finished; the gateway deleted it")
        try:
            wire = WireJob.model_validate(data)
        except ValueError:  # not the job: read it
            return JobCancelResult(job=await self.job(session_id, job_id))
        return JobCancelResult(job=self._remember(self._merge(wire, known)))

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        _absent("bulk job cancellation")

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        _absent("job retries")

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> InjectResult:
        _absent("job result injection")

    # --- the workspace API's loops and CLI-agent runs: not here ---------------------------






    # --- recurring loops ---------------------------------------------------------------

    async def recurring_loops(self, session_id: str) -> list[RecurringLoop]:
        return await self.client.loops(session_id)

    async def create_recurring_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        return await self.client.create_loop(session_id, spec)

    async def update_recurring_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        check_intent(intent, context=f"changing loop {loop_id}")
        return await self.client.update_loop(session_id, loop_id, intent)

    async def run_recurring_loop_now(self, session_id: str, loop_id: str) -> None:
        job_id = await self.client.run_loop_now(session_id, loop_id)
        if job_id and self._known(session_id, job_id) is None:
            self._remember(Job.model_validate({"id": job_id, "sessionID": session_id, "tool": "loop_run",
                                               "status": "queued", "metadata": {"kind": "loop_run", "loop_id": loop_id}}))

    async def delete_recurring_loop(self, session_id: str, loop_id: str) -> None:
        await self.client.delete_loop(session_id, loop_id)

    async def aclose(self) -> None:
        await self.client.aclose()


def check_intent(intent: Mapping[str, object], *, context: str) -> None:
    """Exactly one intent: ``{paused}``, ``{expires_in}`` or the budget ``{max_cost_usd?,
    max_wall_ms?}``; anything else raises Invalid before a request is sent."""
    unknown = sorted(k for k in intent if k not in LOOP_INTENTS)
    if unknown:
        raise E.Invalid(f"unknown loop change {', '.join(unknown)}: change one of paused, expires_in, "
                        "or the budget (max_cost_usd, max_wall_ms)", status=0, context=context)
    kinds = {LOOP_INTENTS[k] for k in intent}
    if len(kinds) != 1:
        got = " and ".join(sorted(kinds)) if kinds else "nothing"
        raise E.Invalid(f"a loop is changed one thing at a time: paused, expires_in or the budget (got {got})",
                        status=0, context=context)


def _absent(what: str) -> NoReturn:
    absent("the gateway", what)


async def probe(client: GatewayClient) -> bool:
    """Whether ``client``'s URL is a gateway: ``GET /api/v1/agent/health`` answers with a
    health object (``{"status":"ok","service":"hoody-agent-d",…}``). The workspace API
    mounted under ``/api/v1/agent`` has its health at ``…/workspaces/health`` instead (and
    :func:`hoody_tui.backends.detect` asks that first)."""
    try:
        response = await client.http.get(client.path("health"), auth=None)
    except httpx.HTTPError:
        return False
    if not response.is_success:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    service = body.get("service")
    if isinstance(service, str):
        return "agent-d" in service or "agent" in service.lower()
    status = body.get("status")
    return isinstance(status, str) and status.lower() in ("ok", "healthy", "pass", "up")
