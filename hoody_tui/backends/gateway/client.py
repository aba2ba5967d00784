"""``GatewayClient``: the routes of the in-container gateway ``hoody-agent-d`` (contract §2)
that hoody-tui uses, every one under ``/api/v1/agent``.

Auth is the kit credential of C13: the pair ``X-Hoody-Container-Claim`` +
``X-Hoody-Token``, never a Bearer header. The token lives only in the auth object (whose
repr never shows it), never in a URL, a log line or an error. GETs are retried on a
dropped connection or a 5xx; a reply to a gate, and every other write, is sent once.
Listings are pages ``{items, meta:{page,limit,total}}``, read to the end.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from ...api import errors as E
from ...api.envelopes import unwrap_list
from ...api.loops import RecurringLoop, RecurringLoopSpec
from ...api.transport import JsonClient, check_body, parse_model, parse_models
from ...api.transport import segment as _seg
from ...events.sse import SseStream
from .mapping import WireJob, WireSummary
from .streams import session_stream

__all__ = ["GatewayClient", "ClaimAuth", "PREFIX", "DEFAULT_CLAIM", "PAGE_LIMIT", "CONFLICTS"]

log = logging.getLogger("hoody_tui.backends.gateway")

PREFIX = "/api/v1/agent"
DEFAULT_CLAIM = "hoody-tui"
"""What ``X-Hoody-Container-Claim`` says when none is configured. The contract (C13) names
the header but not its value ("mint the container claim first"); the gateway checks the
token, and the claim only names the caller."""
PAGE_LIMIT = 100
MAX_PAGES = 1000
"""A listing stops after this many pages whatever ``meta.total`` says (a server that
keeps answering full pages cannot keep us reading forever)."""


CONFLICTS = {
    "no_pending_gate": "no gate is pending in this session any more: it was decided elsewhere",
    "stale_gate": "this gate is no longer the session's pending one: it was decided elsewhere",
    "gate_already_answered": "this gate was already answered elsewhere",
    "turn_in_flight": "a turn is already running in this session: wait for it to end, or stop it",
    "gate_parked": "a gate is open in this session: decide it first",
    "assist_in_flight": "a drafted answer is already being made for this session",
}
"""A sentence for each documented 409 code (the server's own words stay in ``raw``). The
first three are "decided elsewhere" to the gate desk (``GATEWAY_GONE_CODES``)."""


class ClaimAuth(httpx.Auth):
    """Adds the kit credential (C13) to each request; never a Bearer header. Its repr
    never shows the token."""

    def __init__(self, token: str, claim: str | None = None) -> None:
        self._token = token
        self._claim = claim or DEFAULT_CLAIM

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.pop("Authorization", None)
        request.headers["X-Hoody-Container-Claim"] = self._claim
        request.headers["X-Hoody-Token"] = self._token
        yield request

    def __repr__(self) -> str:
        return "ClaimAuth(<redacted>)"


def _origin(base_url: str) -> str:
    root = base_url.strip().rstrip("/")
    if root.endswith(PREFIX):
        root = root[: -len(PREFIX)]
    return root.rstrip("/")


class GatewayClient(JsonClient):
    """Async client of one gateway. ``base_url`` is the capability URL (its root), or the
    same ending in ``/api/v1/agent``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        claim: str | None = None,
        verify: bool = True,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        get_retries: int = 2,
        retry_delay: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(_origin(base_url), auth=ClaimAuth(token, claim) if token else None, verify=verify,
                         timeout=timeout, connect_timeout=connect_timeout, get_retries=get_retries,
                         retry_delay=retry_delay, transport=transport)
        self._has_token = bool(token)

    def __repr__(self) -> str:
        token = "set" if self._has_token else "none"
        return f"GatewayClient(base_url={self.base_url!r}, token={token})"

    @staticmethod
    def path(*parts: str) -> str:
        """``/api/v1/agent/<parts>`` (each part escaped by the caller)."""
        return "/".join([PREFIX, *parts])

    @classmethod
    def session_path(cls, session_id: str, *parts: str) -> str:
        return cls.path("sessions", _seg(session_id), *parts)

    async def _request(self, method: str, path: str, *, context: str, json_body: Any = None,
                       params: dict[str, Any] | None = None, authenticated: bool = True) -> Any:
        try:
            return await self.request(method, path, context=context, json_body=json_body, params=params,
                                      authenticated=authenticated)
        except E.Conflict as exc:
            sentence = CONFLICTS.get(exc.code or "")
            if sentence is None:
                raise
            raise E.Conflict(sentence, status=exc.status, code=exc.code, raw=exc.raw, context=exc.context) from None

    async def _pages(self, path: str, *, context: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paged listing, page after page until ``meta.total`` is read."""
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            data = await self._request("GET", path, context=context,
                                       params={**(params or {}), "page": page, "limit": PAGE_LIMIT})
            chunk = unwrap_list(data)
            if chunk is None:
                raise E.PayloadError(f"expected a page of items, the server sent {type(data).__name__}", context=context)
            items.extend(chunk)
            meta = data.get("meta") if isinstance(data, dict) else None
            total = meta.get("total") if isinstance(meta, dict) else None
            if not chunk or not isinstance(total, int) or isinstance(total, bool) or len(items) >= total:
                break
        return items

    # --- server ------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """``GET /api/v1/agent/health`` (no auth)."""
        context = "checking gateway health"
        data = await self._request("GET", self.path("health"), context=context, authenticated=False)
        if not isinstance(data, dict):
            raise E.PayloadError("expected a health object", context=context)
        return data

    # --- sessions ----------------------------------------------------------------------

    async def list_sessions(self) -> list[WireSummary]:
        """The sessions (live and closed, newest first; system sessions left out)."""
        context = "listing sessions"
        items = await self._pages(self.path("sessions"), context=context)
        return parse_models(WireSummary, items, context)

    async def get_session(self, session_id: str) -> WireSummary:
        context = f"reading session {session_id}"
        data = await self._request("GET", self.session_path(session_id), context=context)
        return parse_model(WireSummary, data, context)

    async def cancel(self, session_id: str) -> None:
        """``POST …/cancel``: stop the turn (its open gate resolves ``cancelled``)."""
        await self._request("POST", self.session_path(session_id, "cancel"), context=f"stopping session {session_id}")

    async def send_message(self, session_id: str, text: str) -> str:
        """``POST …/messages`` → the turn's job id (202)."""
        context = f"sending a prompt to session {session_id}"
        data = await self._request("POST", self.session_path(session_id, "messages"), context=context,
                                   json_body={"text": text})
        job_id = data.get("job_id") if isinstance(data, dict) else None
        if not isinstance(job_id, str):
            raise E.PayloadError("the reply names no job_id", context=context)
        return job_id

    async def replay(self, session_id: str, min_seq: int | None = None, max_seq: int | None = None) -> dict[str, Any]:
        """``GET …/replay``: ``{events, min_seq, max_seq}`` (the ring's bounds)."""
        context = f"replaying the events of session {session_id}"
        data = await self._request("GET", self.session_path(session_id, "replay"), context=context,
                                   params={"min_seq": min_seq, "max_seq": max_seq})
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise E.PayloadError("expected {events, min_seq, max_seq}", context=context)
        return data

    def stream(self, session_id: str, **options: Any) -> SseStream:
        return session_stream(self, session_id, **options)

    # --- gates (sent once) ---------------------------------------------------------------

    async def confirm(self, session_id: str, gate_id: str, generation: int | None, *, approved: bool,
                      persist_dirs: bool) -> dict[str, Any]:
        verb = "approving" if approved else "denying"
        context = f"{verb} gate {gate_id}"
        body: dict[str, Any] = {"gate_id": gate_id, "approved": approved, "persist_dirs": persist_dirs}
        if generation is not None:
            body["generation"] = generation
        data = await self._request("POST", self.session_path(session_id, "confirm"), context=context, json_body=body)
        return data if isinstance(data, dict) else {}

    async def answer(self, session_id: str, gate_id: str, generation: int | None, *, text: str | None = None,
                     answers: Mapping[str, str] | None = None) -> dict[str, Any]:
        context = f"answering gate {gate_id}"
        body: dict[str, Any] = {"gate_id": gate_id}
        if generation is not None:
            body["generation"] = generation
        if answers is not None:
            body["answers"] = dict(answers)
        else:
            body["answer"] = text or ""
        data = await self._request("POST", self.session_path(session_id, "answer"), context=context, json_body=body)
        return data if isinstance(data, dict) else {}

    # --- loops ---------------------------------------------------------------------------

    async def loops(self, session_id: str) -> list[RecurringLoop]:
        context = f"listing the loops of session {session_id}"
        items = await self._pages(self.session_path(session_id, "loops"), context=context)
        return parse_models(RecurringLoop, items, context)

    async def create_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        context = f"creating a loop in session {session_id}"
        body = check_body(RecurringLoopSpec, context, **spec.model_dump())
        data = await self._request("POST", self.session_path(session_id, "loops"), context=context, json_body=body)
        return parse_model(RecurringLoop, data, context)

    async def update_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        context = f"changing loop {loop_id}"
        data = await self._request("PATCH", self.session_path(session_id, "loops", _seg(loop_id)), context=context,
                                   json_body=dict(intent))
        return parse_model(RecurringLoop, data, context)

    async def run_loop_now(self, session_id: str, loop_id: str) -> str | None:
        context = f"running loop {loop_id} now"
        data = await self._request("POST", self.session_path(session_id, "loops", _seg(loop_id), "run-now"),
                                   context=context)
        job_id = data.get("job_id") if isinstance(data, dict) else None
        return job_id if isinstance(job_id, str) else None

    async def delete_loop(self, session_id: str, loop_id: str) -> None:
        await self._request("DELETE", self.session_path(session_id, "loops", _seg(loop_id)),
                            context=f"deleting loop {loop_id}")

    # --- jobs ----------------------------------------------------------------------------

    async def get_job(self, job_id: str) -> WireJob:
        context = f"reading job {job_id}"
        data = await self._request("GET", self.path("jobs", _seg(job_id)), context=context)
        return parse_model(WireJob, data, context)

    async def job_result(self, job_id: str) -> dict[str, Any]:
        """``GET /jobs/{id}/result``: ``{id, status, result, error}`` (``result`` null before the end)."""
        context = f"reading the result of job {job_id}"
        data = await self._request("GET", self.path("jobs", _seg(job_id), "result"), context=context)
        if not isinstance(data, dict):
            raise E.PayloadError("expected {id, status, result, error}", context=context)
        return data

    async def delete_job(self, job_id: str) -> dict[str, Any]:
        """``DELETE /jobs/{id}``: cancels an unfinished job (the job) or deletes a finished one."""
        context = f"cancelling job {job_id}"
        data = await self._request("DELETE", self.path("jobs", _seg(job_id)), context=context)
        return data if isinstance(data, dict) else {}
