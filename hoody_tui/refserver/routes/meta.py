"""Workspace metadata (``W/meta/*``, ``W/providers``), the ``meta/events`` stream, and the
test-only ``/_control/faults``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import catalog
from ..errors import ApiError
from ..sse import sse_response
from ..streams import workspace_events
from .common import listing, ok, read_body, workspace


async def meta_path(request: Request) -> Response:
    workspace(request)
    return ok(catalog.paths())


async def meta_agents(request: Request) -> Response:
    return listing(workspace(request), catalog.agents())


async def meta_vcs(request: Request) -> Response:
    return ok(workspace(request).vcs)


async def meta_skills(request: Request) -> Response:
    return listing(workspace(request), catalog.skills())


async def meta_commands(request: Request) -> Response:
    return listing(workspace(request), catalog.commands())


async def meta_formatters(request: Request) -> Response:
    return listing(workspace(request), catalog.formatters())


async def meta_lsp(request: Request) -> Response:
    return listing(workspace(request), catalog.lsp_servers())


async def meta_dispose(request: Request) -> Response:
    ws = workspace(request)
    ws.event("server.instance.disposed", directory=catalog.WORKTREE)
    return ok(True)


async def providers(request: Request) -> Response:
    workspace(request)
    return ok(catalog.providers())


async def events(request: Request) -> Response:
    ws = workspace(request)
    return sse_response(workspace_events(ws, request.headers.get("last-event-id")))


async def get_faults(request: Request) -> Response:
    return ok(request.app.state.ws.faults.as_dict())


async def set_faults(request: Request) -> Response:
    ws = request.app.state.ws
    body = await read_body(request)
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    try:
        ws.faults.update(**body)
    except ValueError as exc:
        raise ApiError.invalid(("faults", str(exc))) from None
    return ok(ws.faults.as_dict())
