"""The gateway's Starlette app: the routes under ``/api/v1/agent``, the shared guard
middleware (request counts, faults, JSON for uncaught errors) with the gateway's auth
(C13) and error shape, and ``{"error","code"}`` for unknown routes and wrong methods."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Scope, Send

from ..app import Guard
from ..errors import ApiError
from ..routes.common import JSON
from .control import control_routes
from .errors import gateway_body, gw_error
from .routes import PREFIX, ROUTES

if TYPE_CHECKING:
    from ..state import Workspace
    from .state import GatewayState

__all__ = ["build_gateway_app", "GatewayGuard", "HEALTH_PATH"]

HEALTH_PATH = PREFIX + "/health"


class GatewayGuard(Guard):
    """The workspace flavour's :class:`~..app.Guard` (it only reads ``hits``, ``faults``,
    ``closed`` and ``config`` of its state), with the gateway's auth: in ``claim`` mode
    every route but health needs ``X-Hoody-Container-Claim`` (any non-empty value) and
    ``X-Hoody-Token`` equal to the token; a Bearer header is not a credential here."""

    def __init__(self, app: ASGIApp, state: GatewayState) -> None:
        super().__init__(app, cast("Workspace", state))
        token = state.config.token
        self._token = token.encode() if token and state.config.gateway_auth_mode == "claim" else None

    def _authorized(self, scope: Scope) -> bool:
        if scope["path"] == HEALTH_PATH:
            return True
        assert self._token is not None
        headers = dict(scope.get("headers", []))
        token = headers.get(b"x-hoody-token", b"").strip()
        claim = headers.get(b"x-hoody-container-claim", b"").strip()
        return bool(claim) and bool(token) and hmac.compare_digest(token, self._token)

    async def _send_error(self, send: Send, error: ApiError) -> None:
        response = JSON(gateway_body(error), status_code=error.status)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Any:  # pragma: no cover - a JSON response never reads
    return {"type": "http.disconnect"}


def build_gateway_app(state: GatewayState) -> Starlette:
    """The ASGI app serving ``state`` (``app.state.gateway``)."""
    routes: list[BaseRoute] = [Route(PREFIX + path, endpoint, methods=[method]) for method, path, endpoint in ROUTES]
    if state.config.control:
        routes += control_routes()

    def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSON(gateway_body(exc), status_code=exc.status)

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            error = gw_error(404, "not_found", f"Route not found: {request.method} {request.url.path}")
        elif exc.status_code == 405:
            error = gw_error(405, "method_not_allowed", f"Method {request.method} not allowed on {request.url.path}")
        else:
            error = gw_error(exc.status_code, "http_error", str(exc.detail))
        return JSON(gateway_body(error), status_code=error.status, headers=dict(exc.headers or {}))

    handlers: dict[Any, Any] = {ApiError: api_error, HTTPException: http_error}
    app = Starlette(routes=routes, middleware=[Middleware(GatewayGuard, state=state)], exception_handlers=handlers)
    app.state.gateway = state
    return app
