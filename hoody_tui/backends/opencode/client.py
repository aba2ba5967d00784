"""``OpencodeClient``: the routes of ``opencode serve`` that hoody-tui uses.

Mapped against a live opencode 1.18.33 (``shared/opencode-server.md``): the paths have no
prefix and no workspace segment; the "workspace" is a directory, sent as ``?directory=`` on
every request (the ``x-opencode-directory`` header does not filter listings). Without a
directory, the server's own (``GET /path``) is used, so the listing and the event stream
see the same sessions.

The password (``OPENCODE_SERVER_PASSWORD`` on the server) is sent as HTTP Basic, user
``opencode`` by default; it lives only in the auth object and never in a repr, a URL or an
error. A reply to a gate is sent exactly once; GETs are retried on a dropped connection or
a 5xx, which also covers a server that hangs the first requests while it boots.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Literal

import httpx
from pydantic import TypeAdapter, ValidationError

from ...api import errors as E
from ...api.messages import MessageWithParts
from ...api.meta import PathInfo
from ...api.permissions import PermissionRequest
from ...api.questions import Question
from ...api.requests import PermissionReplyBody, QuestionReplyBody
from ...api.sessions import FileDiff, Session, SessionStatus, Todo
from ...api.transport import BasicAuth, JsonClient, check_body, parse_model, parse_models, payload_error
from ...api.transport import segment as _seg
from ...events.sse import SseStream
from .streams import instance_events

__all__ = ["OpencodeClient", "DEFAULT_USERNAME", "MESSAGE_PAGE"]

log = logging.getLogger("hoody_tui.backends.opencode")

DEFAULT_USERNAME = "opencode"
MESSAGE_PAGE = 400
"""The most recent messages of a session read when its stream opens."""

_STATUS_MAP: TypeAdapter[dict[str, SessionStatus]] = TypeAdapter(dict[str, SessionStatus])


class OpencodeClient(JsonClient):
    """Async client of one opencode server, scoped to one directory (its "workspace")."""

    def __init__(
        self,
        base_url: str,
        directory: str = "",
        password: str | None = None,
        *,
        username: str = DEFAULT_USERNAME,
        verify: bool = True,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        get_retries: int = 2,
        retry_delay: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url.strip().rstrip("/"), auth=BasicAuth(username, password) if password else None,
                         verify=verify, timeout=timeout, connect_timeout=connect_timeout, get_retries=get_retries,
                         retry_delay=retry_delay, transport=transport)
        self.directory = directory.strip()
        self._has_password = bool(password)
        self._directory_lock = asyncio.Lock()

    def __repr__(self) -> str:
        password = "set" if self._has_password else "none"
        return f"OpencodeClient(base_url={self.base_url!r}, directory={self.directory!r}, password={password})"

    # --- the request core --------------------------------------------------------------

    async def scope(self) -> str:
        """The directory every request is scoped to: the one given, else the server's own."""
        if self.directory:
            return self.directory
        async with self._directory_lock:
            if not self.directory:
                info = await self.paths(scoped=False)
                directory = info.directory or info.worktree
                if not directory:
                    raise E.PayloadError("the server did not say which directory it serves", context="reading /path")
                self.directory = directory
        return self.directory

    async def _request(
        self,
        method: str,
        path: str,
        *,
        context: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        scoped: bool = True,
    ) -> Any:
        query = dict(params or {})
        if scoped:
            query["directory"] = await self.scope()
        return await self.request(method, path, context=context, json_body=json_body, params=query)

    # --- server ------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """``GET /global/health`` (``{"healthy": true, "version"}``); behind the password too."""
        context = "checking server health"
        data = await self._request("GET", "/global/health", context=context, scoped=False)
        if not isinstance(data, dict):
            raise E.PayloadError("expected a health object", context=context)
        return data

    async def paths(self, *, scoped: bool = True) -> PathInfo:
        context = "reading the server's paths"
        data = await self._request("GET", "/path", context=context, scoped=scoped)
        return parse_model(PathInfo, data, context)

    # --- sessions ----------------------------------------------------------------------

    async def list_sessions(self) -> list[Session]:
        context = "listing sessions"
        data = await self._request("GET", "/session", context=context)
        return parse_models(Session, data, context)

    async def session_statuses(self) -> dict[str, SessionStatus]:
        """Non-idle sessions only: a session missing from the map is idle."""
        context = "reading session statuses"
        data = await self._request("GET", "/session/status", context=context)
        if not isinstance(data, dict):
            raise E.PayloadError("expected an object of session statuses", context=context)
        try:
            return _STATUS_MAP.validate_python(data)
        except ValidationError as exc:
            raise payload_error(exc, "SessionStatus", context) from None

    async def messages(self, session_id: str, *, limit: int | None = MESSAGE_PAGE) -> list[MessageWithParts]:
        """The most recent ``limit`` messages of a session, oldest first (``/message``, singular)."""
        context = f"reading messages of session {session_id}"
        data = await self._request("GET", f"/session/{_seg(session_id)}/message", context=context,
                                   params={"limit": limit})
        return parse_models(MessageWithParts, data, context)

    async def todo(self, session_id: str) -> list[Todo]:
        context = f"reading the todo list of session {session_id}"
        data = await self._request("GET", f"/session/{_seg(session_id)}/todo", context=context)
        return parse_models(Todo, data, context)

    async def diff(self, session_id: str) -> list[FileDiff]:
        context = f"reading the diff of session {session_id}"
        data = await self._request("GET", f"/session/{_seg(session_id)}/diff", context=context)
        return parse_models(FileDiff, data, context)

    async def abort(self, session_id: str) -> None:
        context = f"aborting session {session_id}"
        await self._request("POST", f"/session/{_seg(session_id)}/abort", context=context)

    async def prompt_async(self, session_id: str, text: str) -> None:
        """Send a user turn (204); the reply arrives as events."""
        context = f"sending a prompt to session {session_id}"
        await self._request("POST", f"/session/{_seg(session_id)}/prompt_async", context=context,
                            json_body={"parts": [{"type": "text", "text": text}]})

    # --- gates -------------------------------------------------------------------------

    async def permissions(self) -> list[PermissionRequest]:
        context = "listing pending permissions"
        data = await self._request("GET", "/permission", context=context)
        return parse_models(PermissionRequest, data, context)

    async def reply_permission(
        self, request_id: str, reply: Literal["once", "always", "reject"], message: str | None = None
    ) -> None:
        """Decide one permission request, exactly once. A second reply is a 404
        (``PermissionNotFoundError``): it was decided elsewhere."""
        verb = {"once": "allowing", "always": "always allowing", "reject": "rejecting"}.get(reply, reply)
        context = f"{verb} permission request {request_id}"
        body = check_body(PermissionReplyBody, context, reply=reply, message=message or None)
        await self._request("POST", f"/permission/{_seg(request_id)}/reply", context=context, json_body=body)

    async def questions(self) -> list[Question]:
        context = "listing pending questions"
        data = await self._request("GET", "/question", context=context)
        return parse_models(Question, data, context)

    async def reply_question(self, request_id: str, answers: Sequence[Sequence[str]]) -> None:
        """``{"answers": [[label, ...], ...]}``: the chosen labels (or typed text) per item."""
        context = f"answering question {request_id}"
        body = check_body(QuestionReplyBody, context, answers=[list(group) for group in answers])
        await self._request("POST", f"/question/{_seg(request_id)}/reply", context=context, json_body=body)

    async def reject_question(self, request_id: str) -> None:
        """Reject a question (opencode takes no reason)."""
        context = f"rejecting question {request_id}"
        await self._request("POST", f"/question/{_seg(request_id)}/reject", context=context)

    # --- streams -----------------------------------------------------------------------

    def events(self, **options: Any) -> SseStream:
        """``GET /event?directory=``: the instance's events, reconnecting (no replay)."""
        return instance_events(self, **options)
