"""The hoody workspace API (seeds 000, 001, 003, 004) as a :class:`~hoody_tui.core.backend.Backend`.

Its shapes are the records' own (the workspace API derives from opencode), so this is a
thin layer over :class:`~.client.HoodyClient`: the workspace's listing, its
``meta/events`` stream, and one method per action.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Mapping, Sequence

from ...api.cli_agent import CliAgentStarted
from ...api.errors import HoodyError
from ...api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from ...api.loops import Loop, RecurringLoop, RecurringLoopSpec
from ...api.messages import MessageWithParts
from ...api.permissions import SessionPermissions
from ...api.sessions import FileDiff, Session, SessionSummary, Todo
from ...core.backend import Capabilities, JobStatusFilter, PermissionReply, Unsupported
from ...events.items import StreamItem
from ...store.state import Snapshot
from .client import HoodyClient
from .listing import fetch_core, fetch_details

__all__ = ["HoodyBackend", "CAPABILITIES"]

CAPABILITIES = Capabilities(
    questions=True,
    jobs=True,
    loops="directive",
    cli_agent=True,
    rulesets=True,
    todo=True,
    diff=True,
    summary=True,
    abort=True,
    message_history=True,
    gate_generation=False,
    reject_effect="stops-turn",
    reject_rejects_siblings=True,
)


class HoodyBackend:
    kind = "hoody"
    capabilities = CAPABILITIES

    def __init__(self, client: HoodyClient, *, label: str | None = None) -> None:
        self.client = client
        self.server = client.base_url
        self.scope = client.workspace
        self.label = label or client.base_url

    def __repr__(self) -> str:
        return f"HoodyBackend({self.client!r})"

    # --- reading ---------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        return await fetch_core(self.client)

    async def details(self, sessions: Sequence[Session]) -> tuple[list[Job], dict[str, Loop | None]]:
        return await fetch_details(self.client, list(sessions))

    def events(self) -> AsyncIterable[StreamItem]:
        return self.client.events()

    async def messages(self, session_id: str) -> list[MessageWithParts]:
        return await self.client.messages(session_id)

    async def workspace_path(self) -> str | None:
        paths = await self.client.paths()
        return paths.worktree or paths.directory

    async def session_rules(self, session_id: str) -> SessionPermissions:
        return await self.client.session_permissions(session_id)

    async def todo(self, session_id: str) -> list[Todo]:
        return await self.client.session_todo(session_id)

    async def diff(self, session_id: str) -> list[FileDiff]:
        return await self.client.session_diff(session_id)

    async def summary(self, session_id: str) -> SessionSummary:
        return await self.client.session_summary(session_id)

    # --- gates -----------------------------------------------------------------------

    async def reply_permission(
        self, gate_id: str, reply: PermissionReply, message: str | None = None, *, generation: int | None = None
    ) -> None:
        await self.client.reply_permission(gate_id, reply, message)

    async def answer_question(
        self, gate_id: str, answer: str | Sequence[Sequence[str]], *, generation: int | None = None
    ) -> None:
        await self.client.reply_question(gate_id, answer)

    async def reject_question(self, gate_id: str, reason: str | None = None, *, generation: int | None = None) -> None:
        await self.client.reject_question(gate_id, reason)

    async def pending_gate_ids(self) -> set[str]:
        permissions, questions = await asyncio.gather(self.client.pending_permissions(), self.client.questions())
        return {p.id for p in permissions} | {q.id for q in questions}

    # --- sessions, jobs, loops, CLI-agent runs ---------------------------------------

    async def abort(self, session_id: str) -> None:
        await self.client.abort(session_id)

    async def jobs_page(self, session_id: str, *, status: JobStatusFilter, limit: int, cursor: str | None) -> JobPage:
        return await self.client.list_jobs_page(session_id, status=status, limit=limit, cursor=cursor)

    async def job(self, session_id: str, job_id: str) -> Job:
        return await self.client.get_job(session_id, job_id)

    async def job_output(self, session_id: str, job_id: str) -> str:
        return await self.client.job_output(session_id, job_id)

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        return await self.client.cancel_job(session_id, job_id)

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        return await self.client.cancel_jobs(session_id, job_ids)

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        return await self.client.retry_job(session_id, job_id)

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> InjectResult:
        return await self.client.inject_jobs(session_id, job_ids)

    async def loop(self, session_id: str) -> Loop | None:
        return await self.client.get_loop(session_id)

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> Loop:
        return await self.client.start_loop(session_id, prompt, iters)

    async def stop_loop(self, session_id: str) -> None:
        await self.client.stop_loop(session_id)

    async def start_cli_agent(
        self, session_id: str, agent: str, prompt: str, *, model: str | None, git: bool | None, timeout_ms: int | None
    ) -> CliAgentStarted:
        return await self.client.start_cli_agent(session_id, agent, prompt, model=model, git=git, timeout_ms=timeout_ms)

    def cli_agent_run(self, session_id: str, job_id: str) -> AsyncIterable[object]:
        return self.client.cli_agent_stream(session_id, job_id)

    # --- recurring loops: the gateway's, not this server's ---------------------------

    async def recurring_loops(self, session_id: str) -> list[RecurringLoop]:
        return []

    async def create_recurring_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        raise Unsupported("the workspace API has no recurring loops")

    async def update_recurring_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        raise Unsupported("the workspace API has no recurring loops")

    async def run_recurring_loop_now(self, session_id: str, loop_id: str) -> None:
        raise Unsupported("the workspace API has no recurring loops")

    async def delete_recurring_loop(self, session_id: str, loop_id: str) -> None:
        raise Unsupported("the workspace API has no recurring loops")

    async def aclose(self) -> None:
        await self.client.aclose()


async def probe(client: HoodyClient) -> bool:
    """Whether ``client``'s URL serves the workspace API (its health route answers)."""
    try:
        await client.health()
    except HoodyError:
        return False
    return True
