"""HTTP helpers every backend's client and the event streams share (no client class).

A client of any agent server reuses one ``httpx.AsyncClient``; these turn what httpx
raises and what a server answers into :class:`~hoody_tui.api.errors.HoodyError` with a
sentence for a person, and keep credentials out of every repr. The SSE reader depends
on :class:`HttpSource`, the little it needs of a client, not on a client class.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import ssl
from collections.abc import Generator
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from . import errors as E
from .base import ApiModel
from .envelopes import unwrap_list

__all__ = [
    "HttpSource",
    "BearerAuth",
    "BasicAuth",
    "segment",
    "describe_transport_error",
    "decode_response",
    "parse_model",
    "parse_models",
    "payload_error",
    "check_body",
    "send",
    "JsonClient",
]

log = logging.getLogger("hoody_tui.api")

M = TypeVar("M", bound=BaseModel)


class HttpSource(Protocol):
    """What a stream needs of a client: the shared httpx client, its origin, and how long
    to wait for a connection."""

    @property
    def http(self) -> httpx.AsyncClient: ...

    @property
    def base_url(self) -> str: ...

    @property
    def connect_timeout(self) -> float | None: ...


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` to each request; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(<redacted>)"


class BasicAuth(httpx.BasicAuth):
    """HTTP Basic (opencode's ``OPENCODE_SERVER_PASSWORD``); its repr never shows the password."""

    def __repr__(self) -> str:
        return "BasicAuth(<redacted>)"


def segment(value: str) -> str:
    """One path segment, escaped: an id is opaque and may hold anything (C8)."""
    return quote(str(value), safe="")


def describe_transport_error(exc: Exception, url: str) -> E.TransportError:
    """What went wrong on the way to ``url``, in words (never the request's headers): an
    httpx error, or the OS error of a connection made without httpx."""
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the reply",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "talking to the server")
        return E.RequestTimeout(f"timed out {kind} ({url})")
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return E.Unreachable(f"invalid server URL {url}: {exc}")
    reason = str(exc) or type(exc).__name__
    cause: BaseException | None = exc
    while cause is not None:  # httpx/anyio wrap the OS error: find it
        if isinstance(cause, socket.gaierror):
            reason = "host name not found"
            break
        if isinstance(cause, ssl.SSLError):
            reason = f"TLS error ({cause.reason or cause}); use --insecure only for a server you trust"
            break
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            reason = "connection refused"
            break
        cause = cause.__cause__ or cause.__context__
    lowered = reason.lower()
    if "refused" in lowered:
        reason = "connection refused"
    elif "name or service not known" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
        reason = "host name not found"
    elif "certificate" in lowered or "ssl" in lowered:
        reason = f"TLS error ({reason}); use --insecure only for a server you trust"
    return E.Unreachable(f"cannot reach {url}: {reason}")


def decode_response(response: httpx.Response, context: str) -> Any:
    """The decoded JSON of a reply (``None`` for an empty body), or the error it stands for."""
    text = response.text
    body: Any
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
        if response.is_success:
            raise E.PayloadError(
                f"the server answered HTTP {response.status_code} with a body that is not JSON",
                context=context,
            ) from None
    if response.is_success:
        return body
    raise E.error_from_response(response.status_code, body, context=context, fallback_text=None if body else text)


def payload_error(exc: ValidationError, what: str, context: str) -> E.PayloadError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return E.PayloadError(
        f"the server sent a {what} that could not be read ({where}: {first.get('msg', 'invalid')})",
        context=context,
    )


def parse_model(model: type[M], data: Any, context: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise payload_error(exc, model.__name__, context) from None


def parse_models(model: type[M], data: Any, context: str) -> list[M]:
    """A list of ``model`` from a bare list or any known envelope (C4)."""
    items = unwrap_list(data)
    if items is None:
        raise E.PayloadError(f"expected a list, the server sent {type(data).__name__}", context=context)
    out = []
    for item in items:
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            raise payload_error(exc, model.__name__, context) from None
    return out


def check_body(schema: type[ApiModel], context: str, /, **values: Any) -> dict[str, Any]:
    """Validate a request body before it leaves; a bad one raises Invalid (no request sent)."""
    try:
        body = schema.model_validate(values).to_json_dict()
    except ValidationError as exc:
        fields = tuple(
            E.FieldError(".".join(str(p) for p in err.get("loc", ())) or "body", err["msg"]) for err in exc.errors()
        )
        raise E.Invalid("; ".join(str(f) for f in fields), status=0, field_errors=fields, context=context) from None
    return body


async def send(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    context: str,
    origin: str,
    json_body: Any = None,
    params: dict[str, Any] | None = None,
    retries: int = 0,
    retry_delay: float = 0.25,
    authenticated: bool = True,
) -> Any:
    """Send one request over ``http`` and return its decoded JSON (``None`` for an empty body).

    ``retries`` more attempts follow a dropped connection or a 5xx, with a growing pause:
    give them only to a request that is safe to repeat (a GET), never to a decision.
    ``params`` whose value is ``None`` are left out. ``origin`` names the server in errors.
    """
    clean_params = {k: v for k, v in (params or {}).items() if v is not None}
    attempts = 1 + max(0, retries)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            kwargs: dict[str, Any] = {"params": clean_params or None}
            if json_body is not None:
                kwargs["json"] = json_body
            if not authenticated:
                kwargs["auth"] = None
            response = await http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            error = describe_transport_error(exc, origin)
            error.context = context
            if last:
                raise error from None
            log.debug("%s %s failed (%s), retrying", method, path, error.message)
            await asyncio.sleep(retry_delay * (3**attempt))
            continue
        if response.status_code >= 500 and not last:
            log.debug("%s %s answered %s, retrying", method, path, response.status_code)
            await asyncio.sleep(retry_delay * (3**attempt))
            continue
        return decode_response(response, context)
    raise AssertionError("unreachable")  # pragma: no cover


class JsonClient:
    """What every backend's client shares: one ``httpx.AsyncClient`` on one origin (no
    redirects followed, so every request stays there), its timeouts, and :meth:`request`,
    which retries only GETs. Subclasses add one method per route and keep their
    credentials in ``auth`` (an ``httpx.Auth`` whose repr never shows them)."""

    def __init__(
        self,
        root: str,
        *,
        auth: httpx.Auth | None = None,
        verify: bool = True,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        get_retries: int = 2,
        retry_delay: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not root:
            raise E.Unreachable("no server URL given")
        self.base_url = root
        self.verify = verify
        self.get_retries = get_retries
        self.retry_delay = retry_delay
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.direct_streams = transport is None
        """Whether an event stream may be read straight off its socket when nothing stands
        between it and its server (:mod:`hoody_tui.events.direct`); not over a transport of
        the caller's own (a test's, a proxy's)."""
        self._http = httpx.AsyncClient(
            base_url=root,
            auth=auth,
            # A plain-http server needs no TLS context, and building one (loading the CA
            # bundle) cost ~20-30 ms of the start-up.
            verify=verify if root.lower().startswith("https:") else False,
            timeout=self._timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "hoody-tui"},
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared httpx client (the event streams use it too)."""
        return self._http

    @property
    def connect_timeout(self) -> float | None:
        return self._timeout.connect

    async def request(
        self,
        method: str,
        path: str,
        *,
        context: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request; its decoded JSON. A GET is retried on a drop or a 5xx, nothing else."""
        return await send(
            self._http, method, path, context=context, origin=self.base_url, json_body=json_body, params=params,
            retries=self.get_retries if method == "GET" else 0, retry_delay=self.retry_delay,
            authenticated=authenticated,
        )
