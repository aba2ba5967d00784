"""The Starlette application: routes under each prefix, the guard middleware (bearer
auth, injected faults, JSON for any uncaught error), and contract-shaped errors for
unknown routes and wrong methods."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_body
from .routes import build_routes, control_routes
from .routes.common import JSON

if TYPE_CHECKING:
    from .state import Workspace

__all__ = ["build_app"]

log = logging.getLogger("hoody_tui.refserver")

HOLD_POLL = 0.02
"""How often a held request looks whether its route was released (seconds)."""


def _is_stream(path: str) -> bool:
    return path.endswith(("/stream", "/meta/events"))


class Guard:
    """Outermost application middleware:

    0. every request is counted by path (``Workspace.hits``), refused ones included;
    1. bearer auth when a token is set (every route but ``…/workspaces/health``);
    2. the ``delay_ms``, ``hold_routes`` and ``fail_routes`` faults (not on ``/_control``;
       streams are not delayed);
    3. an uncaught exception becomes a 500 ``UnknownError`` JSON body, never a traceback.
    """

    def __init__(self, app: ASGIApp, ws: Workspace) -> None:
        self.app = app
        self.ws = ws
        token = ws.config.token
        self._token = token.encode() if token else None

    def _authorized(self, scope: Scope) -> bool:
        assert self._token is not None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, credential = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self._token)
        return False

    async def _send_error(self, send: Send, error: ApiError) -> None:
        body = error_body(error, alt_shapes=self.ws.config.alt_shapes)
        response = JSON(body, status_code=error.status)
        await response({"type": "http"}, _no_receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.ws.hits[path] += 1
        if self._token is not None and not path.endswith("/workspaces/health") and not self._authorized(scope):
            await self._send_error(send, ApiError.unauthorized())
            return
        if not path.startswith("/_control/"):
            faults = self.ws.faults
            if faults.delay_ms and not _is_stream(path):
                await asyncio.sleep(faults.delay_ms / 1000)
            while faults.hold_routes and faults.holds(path) and not self.ws.closed:
                await asyncio.sleep(HOLD_POLL)
            if faults.fail_routes and faults.fails(path):
                await self._send_error(send, ApiError.injected(faults.fail_status, path, faults.fail_code))
                return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the point is to catch everything
            log.error("%s %s failed", scope.get("method"), path, exc_info=exc)
            if not started:
                await self._send_error(send, ApiError.unknown(f"{type(exc).__name__}: {exc}"))


async def _no_receive() -> Message:  # pragma: no cover - a JSON response never reads
    return {"type": "http.disconnect"}


def build_app(ws: Workspace) -> Starlette:
    """The ASGI app serving ``ws`` (``app.state.ws``)."""
    routes = build_routes(ws.config.prefixes)
    if ws.config.control:
        routes += control_routes()

    def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSON(error_body(exc, alt_shapes=ws.config.alt_shapes), status_code=exc.status)

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            error = ApiError.not_found(f"Route not found: {request.method} {request.url.path}")
        elif exc.status_code == 405:
            error = ApiError(405, "named", f"Method {request.method} not allowed on {request.url.path}",
                             name="MethodNotAllowedError", code="METHOD_NOT_ALLOWED")
        else:
            error = ApiError(exc.status_code, "named", str(exc.detail), name="HTTPError", code="HTTP_ERROR")
        return JSON(error_body(error, alt_shapes=ws.config.alt_shapes), status_code=error.status,
                    headers=dict(exc.headers or {}))

    handlers: dict[Any, Any] = {ApiError: api_error, HTTPException: http_error}
    app = Starlette(routes=routes, middleware=[Middleware(Guard, ws=ws)], exception_handlers=handlers)
    app.state.ws = ws
    return app
