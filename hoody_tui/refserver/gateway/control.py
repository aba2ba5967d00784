"""Test-only control routes (mounted with ``control=True``), mirroring the Python test
driving API of :class:`~.state.GatewayState`:

- ``GET|POST /_control/faults``: read / change the injected faults;
- ``POST /_control/sessions`` ``{title?}``: a new idle session (its summary);
- ``POST /_control/sessions/{id}/gate`` ``{type?: "confirm"|"question", tool?, args?, summary?,
  dirs?, question?, options?}``: park a gate now (the parked gate);
- ``POST /_control/sessions/{id}/turn`` ``{text?, hold?: true}``: a turn held in flight (its job);
- ``POST /_control/sessions/{id}/release``: let the held turn finish;
- ``POST /_control/sessions/{id}/events`` ``{count}``: publish filler events (``{"head"}``);
- ``POST /_control/sessions/{id}/tasks`` ``{title, status?}``: add a background task.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..routes.common import JSON
from .errors import invalid
from .http import gateway, opt_bool, opt_int, opt_str, read_object

__all__ = ["control_routes"]


def ok(data: Any) -> JSON:
    return JSON(data)


async def get_faults(request: Request) -> Response:
    return ok(gateway(request).faults.as_dict())


async def set_faults(request: Request) -> Response:
    state = gateway(request)
    try:
        state.faults.update(**await read_object(request))
    except ValueError as exc:
        raise invalid(f"faults: {exc}") from None
    return ok(state.faults.as_dict())


async def new_session(request: Request) -> Response:
    body = await read_object(request)
    return ok(gateway(request).create_session(opt_str(body, "title")))


async def park(request: Request) -> Response:
    body = await read_object(request)
    options = body.get("options")
    args = body.get("args")
    dirs = body.get("dirs")
    gate = await gateway(request).park_gate(
        request.path_params["id"], opt_str(body, "type", ("confirm", "question")) or "confirm",
        tool=opt_str(body, "tool") or "bash", args=args if isinstance(args, dict) else None,
        summary=opt_str(body, "summary"), dirs=dirs if isinstance(dirs, list) else None,
        question_text=opt_str(body, "question") or "Which database should I use?",
        options=options if isinstance(options, list) else None,
    )
    return ok(gate)


async def turn(request: Request) -> Response:
    body = await read_object(request)
    hold = opt_bool(body, "hold")
    return ok(gateway(request).start_turn(request.path_params["id"], opt_str(body, "text") or "Work on it",
                                          hold=True if hold is None else hold))


async def release(request: Request) -> Response:
    return ok({"released": gateway(request).release(request.path_params["id"])})


async def events(request: Request) -> Response:
    body = await read_object(request)
    count = opt_int(body, "count", low=1) or 1
    return ok({"head": gateway(request).push_events(request.path_params["id"], count)})


async def add_task(request: Request) -> Response:
    body = await read_object(request)
    title = opt_str(body, "title") or "background task"
    return ok(gateway(request).add_background_task(request.path_params["id"], title,
                                                   opt_str(body, "status") or "running"))


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_control/faults", get_faults, methods=["GET"]),
        Route("/_control/faults", set_faults, methods=["POST"]),
        Route("/_control/sessions", new_session, methods=["POST"]),
        Route("/_control/sessions/{id}/gate", park, methods=["POST"]),
        Route("/_control/sessions/{id}/turn", turn, methods=["POST"]),
        Route("/_control/sessions/{id}/release", release, methods=["POST"]),
        Route("/_control/sessions/{id}/events", events, methods=["POST"]),
        Route("/_control/sessions/{id}/tasks", add_task, methods=["POST"]),
    ]
