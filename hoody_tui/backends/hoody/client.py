"""``HoodyClient``: one async method per endpoint the TUI uses (contract section 1).

One ``httpx.AsyncClient`` is reused for every call. Every failure becomes a
:class:`~hoody_tui.api.errors.HoodyError` with a sentence for a person; the token
lives only in the ``Authorization`` header and never in a repr, log line, URL or
error text. Replies to gates (permission/question) are POSTs and are never retried
automatically, so a decision is never sent twice; idempotent GETs are retried a
couple of times on a 5xx or a dropped connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

import httpx
from pydantic import TypeAdapter, ValidationError

from ...api import errors as E
from ...api.cli_agent import CliAgentStarted
from ...api.envelopes import next_cursor
from ...api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from ...api.loops import Loop
from ...api.messages import MessageWithParts, ToolPart, parse_part
from ...api.meta import AgentInfo, Health, PathInfo, VcsInfo
from ...api.permissions import PermissionConfig, PermissionRequest, SessionPermissions
from ...api.questions import Question
from ...api.requests import (
    BulkCancelBody,
    CliAgentStartBody,
    InjectBody,
    LoopStartBody,
    PermissionReplyBody,
    PromptBody,
    QuestionRejectBody,
    QuestionReplyBody,
)
from ...api.sessions import FileDiff, Session, SessionStatus, SessionSummary, Todo
from ...api.transport import (
    BearerAuth,
    JsonClient,
    check_body,
    decode_response,
    describe_transport_error,
    parse_model,
    parse_models,
    payload_error,
)
from ...api.transport import segment as _seg
from ...events.sse import SseStream
from .streams import cli_agent_stream, message_stream, workspace_events

__all__ = ["HoodyClient", "DEFAULT_PREFIX", "PREFIXES"]

log = logging.getLogger("hoody_tui.api")

DEFAULT_PREFIX = "/api/v1"
PREFIXES = ("/api/v1", "/api/v1/agent")
QuestionReplyForm = Literal["answer", "answers", "both"]


class HoodyClient(JsonClient):
    """Async client of one workspace of a hoody-agent server.

    ``base_url`` is the server's root (``https://api.hoody.com``); a URL that already
    ends in a known prefix is accepted too. ``api_prefix`` is ``/api/v1`` (default),
    ``/api/v1/agent`` or ``"auto"`` (probe the health route of each, keep the first
    that answers, contract C1).
    """

    def __init__(
        self,
        base_url: str,
        workspace: str,
        token: str | None = None,
        *,
        api_prefix: str = DEFAULT_PREFIX,
        verify: bool = True,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        get_retries: int = 2,
        retry_delay: float = 0.25,
        question_reply_form: QuestionReplyForm = "answer",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        root = base_url.strip().rstrip("/")
        for prefix in sorted(PREFIXES, key=len, reverse=True):
            if root.endswith(prefix):
                root, api_prefix = root[: -len(prefix)], prefix
                break
        if not workspace:
            raise E.HoodyError("no workspace id given")
        super().__init__(root, auth=BearerAuth(token) if token else None, verify=verify, timeout=timeout,
                         connect_timeout=connect_timeout, get_retries=get_retries, retry_delay=retry_delay,
                         transport=transport)
        self.workspace = workspace
        self.api_prefix = api_prefix
        self.question_reply_form: QuestionReplyForm = question_reply_form
        self._has_token = bool(token)
        self._prefix_lock = asyncio.Lock()

    def __repr__(self) -> str:
        token = "set" if self._has_token else "none"
        return (
            f"HoodyClient(base_url={self.base_url!r}, workspace={self.workspace!r}, "
            f"api_prefix={self.api_prefix!r}, token={token}, verify={self.verify})"
        )

    # --- paths -------------------------------------------------------------------------

    async def prefix(self) -> str:
        """The API prefix in use, probing once when it is ``"auto"``."""
        if self.api_prefix != "auto":
            return self.api_prefix
        async with self._prefix_lock:
            if self.api_prefix == "auto":
                reasons = []
                for candidate in PREFIXES:
                    try:
                        response = await self._http.get(f"{candidate}/workspaces/health", auth=None)
                    except httpx.HTTPError as exc:
                        raise describe_transport_error(exc, self.base_url) from None
                    if response.is_success:
                        self.api_prefix = candidate
                        break
                    reasons.append(f"{candidate}: HTTP {response.status_code}")
                else:
                    raise E.NotFound(
                        "no hoody-agent API found at this URL (" + "; ".join(reasons) + ")",
                        status=404,
                        context=f"probing {self.base_url}",
                    )
        return self.api_prefix

    async def workspace_path(self, *parts: str) -> str:
        base = f"{await self.prefix()}/workspaces/{_seg(self.workspace)}"
        return "/".join([base, *parts]) if parts else base

    async def session_path(self, session_id: str, *parts: str) -> str:
        return await self.workspace_path("sessions", _seg(session_id), *parts)

    # --- the request core --------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        context: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request and return its decoded JSON (``None`` for an empty body)."""
        return await self.request(method, path, context=context, json_body=json_body, params=params,
                                  authenticated=authenticated)

    _decode = staticmethod(decode_response)
    _model = staticmethod(parse_model)
    _models = staticmethod(parse_models)
    _check = staticmethod(check_body)

    # --- health ------------------------------------------------------------------------

    async def health(self) -> Health:
        """``GET P/workspaces/health`` (no auth). Any 2xx is healthy."""
        context = "checking server health"
        data = await self._request(
            "GET", f"{await self.prefix()}/workspaces/health", context=context, authenticated=False
        )
        return self._model(Health, data if isinstance(data, dict) else {"status": "ok"}, context)

    # --- sessions ----------------------------------------------------------------------

    async def list_sessions(self, *, limit: int | None = None, cursor: str | None = None) -> list[Session]:
        context = "listing sessions"
        data = await self._request(
            "GET", await self.workspace_path("sessions"), context=context,
            params={"limit": limit, "cursor": cursor},
        )
        return self._models(Session, data, context)

    async def session_statuses(self) -> dict[str, SessionStatus]:
        """Status of every non-idle session; a session missing from the map is idle."""
        context = "reading session statuses"
        data = await self._request("GET", await self.workspace_path("sessions", "status"), context=context)
        if not isinstance(data, dict):
            raise E.PayloadError("expected an object of session statuses", context=context)
        try:
            return _STATUS_MAP.validate_python(data)
        except ValidationError as exc:
            raise payload_error(exc, "SessionStatus", context) from None

    async def get_session(self, session_id: str) -> Session:
        context = f"reading session {session_id}"
        data = await self._request("GET", await self.session_path(session_id), context=context)
        return self._model(Session, data, context)

    async def session_children(self, session_id: str) -> list[Session]:
        context = f"listing forks of session {session_id}"
        data = await self._request("GET", await self.session_path(session_id, "children"), context=context)
        return self._models(Session, data, context)

    async def session_summary(self, session_id: str) -> SessionSummary:
        context = f"reading the summary of session {session_id}"
        data = await self._request("GET", await self.session_path(session_id, "summary"), context=context)
        return self._model(SessionSummary, data, context)

    async def session_diff(self, session_id: str, *, message_id: str | None = None) -> list[FileDiff]:
        context = f"reading the diff of session {session_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "diff"), context=context,
            params={"messageID": message_id},
        )
        return self._models(FileDiff, data, context)

    async def session_todo(self, session_id: str) -> list[Todo]:
        context = f"reading the todo list of session {session_id}"
        data = await self._request("GET", await self.session_path(session_id, "todo"), context=context)
        return self._models(Todo, data, context)

    async def messages(
        self, session_id: str, *, after: str | None = None, limit: int | None = None
    ) -> list[MessageWithParts]:
        """Messages oldest first; ``after`` = the last message id you have (incremental)."""
        context = f"reading messages of session {session_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "messages"), context=context,
            params={"after": after, "limit": limit},
        )
        return self._models(MessageWithParts, data, context)

    async def get_message(self, session_id: str, message_id: str) -> MessageWithParts:
        context = f"reading message {message_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "messages", _seg(message_id)), context=context
        )
        return self._model(MessageWithParts, data, context)

    async def tool_call(self, session_id: str, message_id: str, call_id: str) -> ToolPart:
        context = f"reading tool call {call_id}"
        path = await self.session_path(session_id, "messages", _seg(message_id), "tools", _seg(call_id))
        data = await self._request("GET", path, context=context)
        try:
            part = parse_part(data)
        except ValidationError as exc:
            raise payload_error(exc, "ToolPart", context) from None
        if not isinstance(part, ToolPart):
            raise E.PayloadError(f"expected a tool part, got a {part.type!r} part", context=context)
        return part

    async def abort(self, session_id: str) -> bool:
        context = f"aborting session {session_id}"
        data = await self._request("POST", await self.session_path(session_id, "abort"), context=context)
        return data is not False

    async def prompt_async(
        self,
        session_id: str,
        text: str,
        *,
        agent: str | None = None,
        provider_id: str | None = None,
        model_id: str | None = None,
    ) -> None:
        """Send a user turn (``POST S/prompt_async``, 204); the reply arrives as events."""
        context = f"sending a prompt to session {session_id}"
        model = {"providerID": provider_id, "modelID": model_id} if model_id else None
        body = self._check(
            PromptBody, context, model=model, agent=agent, parts=[{"type": "text", "text": text}]
        )
        await self._request(
            "POST", await self.session_path(session_id, "prompt_async"), context=context, json_body=body
        )

    # --- permissions ---------------------------------------------------------------------

    async def pending_permissions(self) -> list[PermissionRequest]:
        """Every pending permission request of the workspace."""
        context = "listing pending permissions"
        data = await self._request("GET", await self.workspace_path("permissions"), context=context)
        return self._models(PermissionRequest, data, context)

    async def reply_permission(
        self, request_id: str, reply: Literal["once", "always", "reject"], message: str | None = None
    ) -> bool:
        """Answer one permission request. Sent exactly once: never retried here.

        Raises :class:`NotFound` when it was already answered elsewhere.
        """
        verb = {"once": "allowing", "always": "always allowing", "reject": "rejecting"}.get(reply, reply)
        context = f"{verb} permission request {request_id}"
        body = self._check(PermissionReplyBody, context, reply=reply, message=message or None)
        path = await self.workspace_path("permissions", _seg(request_id), "reply")
        data = await self._request("POST", path, context=context, json_body=body)
        return data is not False

    async def session_permissions(self, session_id: str, *, agent: str | None = None) -> SessionPermissions:
        context = f"reading the permission rules of session {session_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "permissions"), context=context,
            params={"agent": agent},
        )
        return self._model(SessionPermissions, data, context)

    async def permission_config(self) -> PermissionConfig:
        context = "reading the workspace permission config"
        data = await self._request("GET", await self.workspace_path("config", "permission"), context=context)
        return self._model(PermissionConfig, data, context)

    # --- questions -----------------------------------------------------------------------

    async def questions(self) -> list[Question]:
        context = "listing pending questions"
        data = await self._request("GET", await self.workspace_path("questions"), context=context)
        return self._models(Question, data, context)

    async def reply_question(self, request_id: str, answer: str | Sequence[Sequence[str]]) -> bool:
        """Answer a question: text, or the chosen labels per question.

        Sent as ``{"answer"}`` (the documented form), ``{"answers"}`` (opencode's) or
        both, per ``question_reply_form`` (contract C7). Never retried here.
        """
        context = f"answering question {request_id}"
        if isinstance(answer, str):
            text, labels = answer, [[answer]]
        else:
            labels = [list(group) for group in answer]
            text = "; ".join(", ".join(group) for group in labels)
        form = self.question_reply_form
        body = self._check(
            QuestionReplyBody, context,
            answer=text if form in ("answer", "both") else None,
            answers=labels if form in ("answers", "both") else None,
        )
        path = await self.workspace_path("questions", _seg(request_id), "reply")
        data = await self._request("POST", path, context=context, json_body=body)
        return data is not False

    async def reject_question(self, request_id: str, reason: str | None = None) -> bool:
        context = f"rejecting question {request_id}"
        body = self._check(QuestionRejectBody, context, reason=reason or None)
        path = await self.workspace_path("questions", _seg(request_id), "reject")
        data = await self._request("POST", path, context=context, json_body=body)
        return data is not False

    # --- jobs ----------------------------------------------------------------------------

    async def list_jobs_page(
        self,
        session_id: str,
        *,
        status: Literal["active", "completed", "all"] = "all",
        limit: int | None = None,
        cursor: str | None = None,
    ) -> JobPage:
        context = f"listing jobs of session {session_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "jobs"), context=context,
            params={"status": status, "limit": limit, "cursor": cursor},
        )
        return JobPage(jobs=self._models(Job, data, context), nextCursor=next_cursor(data))

    async def iter_jobs(
        self,
        session_id: str,
        *,
        status: Literal["active", "completed", "all"] = "all",
        page_size: int = 200,
    ) -> AsyncIterator[Job]:
        """Every job of the session, page by page (stops on no cursor or a short page)."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.list_jobs_page(session_id, status=status, limit=page_size, cursor=cursor)
            for job in page.jobs:
                yield job
            cursor = page.next_cursor
            if not cursor or len(page.jobs) < page_size or cursor in seen:
                return
            seen.add(cursor)

    async def get_job(self, session_id: str, job_id: str) -> Job:
        context = f"reading job {job_id}"
        data = await self._request("GET", await self.session_path(session_id, "jobs", _seg(job_id)), context=context)
        return self._model(Job, data, context)

    async def job_output(self, session_id: str, job_id: str) -> str:
        """The job's full, uncapped output (``Job.output`` may be cut)."""
        context = f"reading the output of job {job_id}"
        data = await self._request(
            "GET", await self.session_path(session_id, "jobs", _seg(job_id), "output"), context=context
        )
        output = data.get("output") if isinstance(data, dict) else None
        if isinstance(output, str):
            return output
        if isinstance(data, str):
            return data
        raise E.PayloadError("expected {\"output\": ...}", context=context)

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        """Cancel one job. An already-finished job comes back unchanged (check ``.cancelled``)."""
        context = f"cancelling job {job_id}"
        data = await self._request(
            "POST", await self.session_path(session_id, "jobs", _seg(job_id), "cancel"), context=context
        )
        return self._model(JobCancelResult, data, context)

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        """Cancel many jobs at once; each failure is listed in the result (always HTTP 200)."""
        context = f"cancelling {len(job_ids)} jobs"
        body = self._check(BulkCancelBody, context, jobIds=list(job_ids))
        data = await self._request(
            "POST", await self.session_path(session_id, "jobs", "cancel"), context=context, json_body=body
        )
        return self._model(BulkCancelResult, data, context)

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        """Retry a failed/expired/cancelled job as a new job (the original is kept)."""
        context = f"retrying job {job_id}"
        data = await self._request(
            "POST", await self.session_path(session_id, "jobs", _seg(job_id), "retry"), context=context
        )
        return self._model(JobRetryResult, data, context)

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None = None) -> InjectResult:
        """Inject finished jobs' results into the session (``None`` = all unprocessed manual jobs)."""
        context = f"injecting job results into session {session_id}"
        body = self._check(InjectBody, context, jobIds=None if job_ids is None else list(job_ids))
        data = await self._request(
            "POST", await self.session_path(session_id, "jobs", "inject"), context=context, json_body=body
        )
        return self._model(InjectResult, data, context)

    # --- loop ----------------------------------------------------------------------------

    async def get_loop(self, session_id: str) -> Loop | None:
        context = f"reading the loop of session {session_id}"
        data = await self._request("GET", await self.session_path(session_id, "loop"), context=context)
        return None if data is None else self._model(Loop, data, context)

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> Loop:
        context = f"starting a loop on session {session_id}"
        body = self._check(LoopStartBody, context, prompt=prompt, iters=iters)
        data = await self._request(
            "POST", await self.session_path(session_id, "loop"), context=context, json_body=body
        )
        return self._model(Loop, data, context)

    async def stop_loop(self, session_id: str) -> bool:
        """Stop the loop and cancel its running prompt (idempotent)."""
        context = f"stopping the loop of session {session_id}"
        data = await self._request("DELETE", await self.session_path(session_id, "loop"), context=context)
        return data is not False

    # --- CLI agent -----------------------------------------------------------------------

    async def start_cli_agent(
        self,
        session_id: str,
        agent: str,
        prompt: str,
        *,
        model: str | None = None,
        git: bool | None = None,
        timeout_ms: int | None = None,
    ) -> CliAgentStarted:
        context = f"starting CLI agent {agent} on session {session_id}"
        body = self._check(
            CliAgentStartBody, context, agent=agent, prompt=prompt, model=model, git=git, timeout=timeout_ms
        )
        data = await self._request(
            "POST", await self.session_path(session_id, "cli-agent"), context=context, json_body=body
        )
        return self._model(CliAgentStarted, data, context)

    # --- meta ----------------------------------------------------------------------------

    async def agents(self) -> list[AgentInfo]:
        context = "listing agents"
        data = await self._request("GET", await self.workspace_path("meta", "agents"), context=context)
        return self._models(AgentInfo, data, context)

    async def paths(self) -> PathInfo:
        context = "reading workspace paths"
        data = await self._request("GET", await self.workspace_path("meta", "path"), context=context)
        return self._model(PathInfo, data, context)

    async def vcs(self) -> VcsInfo:
        context = "reading the VCS branch"
        data = await self._request("GET", await self.workspace_path("meta", "vcs"), context=context)
        return self._model(VcsInfo, data if data is not None else {}, context)

    # --- streams -------------------------------------------------------------------------

    def events(self, **options: Any) -> SseStream:
        """The workspace event stream (``meta/events``), reconnecting; see :mod:`hoody_tui.events`."""
        return workspace_events(self, **options)

    def message_stream(self, session_id: str, message_id: str, **options: Any) -> SseStream:
        """Live updates of one assistant message until ``done``."""
        return message_stream(self, session_id, message_id, **options)

    def cli_agent_stream(self, session_id: str, job_id: str, **options: Any) -> SseStream:
        """Live progress of one CLI-agent run until ``complete``."""
        return cli_agent_stream(self, session_id, job_id, **options)


_STATUS_MAP: TypeAdapter[dict[str, SessionStatus]] = TypeAdapter(dict[str, SessionStatus])
