"""A real ``opencode serve`` as a :class:`~hoody_tui.core.backend.Backend`.

The hoody workspace API derives from opencode, so the records are the same: sessions,
messages and parts, permission requests and questions. What differs, and is handled here:

- the workspace is a directory (``--workspace /path``), or the server's own;
- text arrives as ``message.part.delta`` between a part's updates (the store appends it);
- the stream replays nothing: every reconnect resyncs by listing;
- a reject without a message stops the turn, with one the agent reads it and continues
  (``Capabilities.reject_effect``); a reject also rejects the session's other requests;
- a permission request stays listed after its session was aborted: a gate whose session
  is idle is dropped, from a listing and when the session goes idle on the stream;
- no jobs, loops, CLI-agent runs, session summaries or rulesets: those keys are absent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import NoReturn

import httpx

from ...api.events import SessionIdle, SessionStatusChanged, TurnEnded
from ...api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from ...api.loops import Loop, RecurringLoop, RecurringLoopSpec
from ...api.messages import MessageWithParts
from ...api.permissions import SessionPermissions
from ...api.sessions import FileDiff, Session, SessionSummary, Todo
from ...core.backend import Capabilities, JobStatusFilter, PermissionReply, Unsupported
from ...events.items import StreamItem
from ...store.state import Snapshot
from ..absent import NoCliAgent, NoDirectiveLoop, absent
from .client import OpencodeClient

__all__ = ["OpencodeBackend", "CAPABILITIES", "probe", "live_gates"]

CAPABILITIES = Capabilities(
    questions=True,
    jobs=False,
    loops="none",
    cli_agent=False,
    rulesets=False,
    todo=True,
    diff=True,
    summary=False,
    abort=True,
    message_history=True,
    gate_generation=False,
    reject_effect="stops-turn-unless-message",
    reject_rejects_siblings=True,
    question_reject_reason=False,
    credential="password",
    credential_help=("set HOODY_TOKEN, use --token-file, or set OPENCODE_SERVER_PASSWORD (HTTP Basic, user opencode "
                     "or OPENCODE_SERVER_USERNAME)"),
)


def live_gates(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` without the gates of sessions that are not running a turn: opencode
    keeps listing a permission request after its session was aborted, and nothing can
    decide it any more. (Listed before the statuses, a gate of a session idle afterwards
    belonged to a turn that has ended.)"""
    running = {sid for sid, status in snapshot.statuses.items() if status.type != "idle"}
    snapshot.permissions = [p for p in snapshot.permissions if p.session_id in running]
    snapshot.questions = [q for q in snapshot.questions if q.session_id in running]
    return snapshot


class OpencodeBackend(NoDirectiveLoop, NoCliAgent):
    absent_as = "an opencode server"
    kind = "opencode"
    capabilities = CAPABILITIES

    def __init__(self, client: OpencodeClient, *, label: str | None = None) -> None:
        self.client = client
        self.server = client.base_url
        self.scope = client.directory
        self.label = label or client.base_url

    def __repr__(self) -> str:
        return f"OpencodeBackend({self.client!r})"

    # --- reading ---------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        # Gates first, statuses after: a gate listed for a session that is idle by the
        # time its status is read belonged to a turn that has ended.
        permissions, questions = await asyncio.gather(self.client.permissions(), self.client.questions())
        sessions, statuses = await asyncio.gather(self.client.list_sessions(), self.client.session_statuses())
        self.scope = self.client.directory
        return live_gates(Snapshot(sessions, statuses, permissions, questions))

    async def details(self, sessions: Sequence[Session]) -> tuple[list[Job], dict[str, Loop | None]]:
        return [], {}

    async def events(self) -> AsyncIterator[StreamItem]:
        async for item in self.client.events():
            yield item
            if isinstance(item, SessionIdle) or (isinstance(item, SessionStatusChanged) and item.status.type == "idle"):
                yield TurnEnded(type="turn.ended", sessionID=item.session_id)

    async def messages(self, session_id: str) -> list[MessageWithParts]:
        return await self.client.messages(session_id)

    async def workspace_path(self) -> str | None:
        paths = await self.client.paths()
        return paths.worktree if paths.worktree and paths.worktree != "/" else paths.directory

    async def session_rules(self, session_id: str) -> SessionPermissions:
        _absent("a session's permission rules")

    async def todo(self, session_id: str) -> list[Todo]:
        return await self.client.todo(session_id)

    async def diff(self, session_id: str) -> list[FileDiff]:
        return await self.client.diff(session_id)

    async def summary(self, session_id: str) -> SessionSummary:
        _absent("session summaries")

    # --- gates -----------------------------------------------------------------------

    async def reply_permission(
        self, gate_id: str, reply: PermissionReply, message: str | None = None, *, generation: int | None = None
    ) -> None:
        await self.client.reply_permission(gate_id, reply, message)

    async def answer_question(
        self, gate_id: str, answer: str | Sequence[Sequence[str]], *, generation: int | None = None
    ) -> None:
        await self.client.reply_question(gate_id, [[answer]] if isinstance(answer, str) else answer)

    async def reject_question(self, gate_id: str, reason: str | None = None, *, generation: int | None = None) -> None:
        await self.client.reject_question(gate_id)

    async def pending_gate_ids(self) -> set[str]:
        permissions, questions = await asyncio.gather(self.client.permissions(), self.client.questions())
        return {p.id for p in permissions} | {q.id for q in questions}

    # --- sessions --------------------------------------------------------------------

    async def abort(self, session_id: str) -> None:
        await self.client.abort(session_id)

    # --- what opencode does not have -------------------------------------------------

    async def jobs_page(self, session_id: str, *, status: JobStatusFilter, limit: int, cursor: str | None) -> JobPage:
        _absent("jobs")

    async def job(self, session_id: str, job_id: str) -> Job:
        _absent("jobs")

    async def job_output(self, session_id: str, job_id: str) -> str:
        _absent("jobs")

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        _absent("jobs")

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        _absent("jobs")

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        _absent("jobs")

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> InjectResult:
        _absent("jobs")






    # --- recurring loops: the gateway's, not this server's ---------------------------

    async def recurring_loops(self, session_id: str) -> list[RecurringLoop]:
        return []

    async def create_recurring_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        raise Unsupported("an opencode server has no recurring loops")

    async def update_recurring_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        raise Unsupported("an opencode server has no recurring loops")

    async def run_recurring_loop_now(self, session_id: str, loop_id: str) -> None:
        raise Unsupported("an opencode server has no recurring loops")

    async def delete_recurring_loop(self, session_id: str, loop_id: str) -> None:
        raise Unsupported("an opencode server has no recurring loops")

    async def aclose(self) -> None:
        await self.client.aclose()


def _absent(what: str) -> NoReturn:
    absent("an opencode server", what)


async def probe(client: OpencodeClient) -> bool:
    """Whether ``client``'s URL is an opencode server: its health route says
    ``healthy``, or it asks for opencode's HTTP Basic password."""
    try:
        response = await client.http.get("/global/health")
    except httpx.HTTPError:  # not reachable, so not (known to be) opencode
        return False
    if response.status_code == 401:
        return "basic" in response.headers.get("www-authenticate", "").lower()
    if not response.is_success:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "healthy" in body

