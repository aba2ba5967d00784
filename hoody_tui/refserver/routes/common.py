"""Helpers every route module uses: finding the workspace and session of a request,
JSON replies (bare or in the alternative ``items`` envelope), body and query parsing
with contract-shaped 400s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError

if TYPE_CHECKING:
    from ..state import SessionRec, Workspace

__all__ = [
    "JSON",
    "ok",
    "listing",
    "workspace",
    "session",
    "read_body",
    "query_int",
    "page_after",
    "NO_BODY",
]

NO_BODY = object()
"""``read_body(optional=True)`` returns this for an empty body."""


class JSON(Response):
    """A JSON response rendered with orjson (``null`` for None)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JSON:
    return JSON(data, status_code=status)


def listing(ws: Workspace, items: list[Any], *, total: int | None = None, cursor: str | None = None) -> JSON:
    """A list reply: the bare array, or ``{"items","total","cursor"}`` with ``alt_shapes``."""
    if ws.config.alt_shapes:
        return ok({"items": items, "total": len(items) if total is None else total, "cursor": cursor})
    return ok(items)


def workspace(request: Request) -> Workspace:
    """The workspace, or 404 if the path names another one."""
    ws: Workspace = request.app.state.ws
    if request.path_params.get("workspaceID") != ws.id:
        raise ApiError.not_found("Workspace not found")
    return ws


def session(request: Request) -> tuple[Workspace, SessionRec]:
    ws = workspace(request)
    return ws, ws.session(request.path_params["sessionID"])


async def read_body(request: Request, *, optional: bool = False) -> Any:
    """The JSON body; 400 if it is not JSON. An empty body is an error unless ``optional``."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return NO_BODY
        raise ApiError.invalid(("body", "Required"))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError.invalid(("body", "Must be valid JSON")) from None


def query_int(request: Request, name: str, *, low: int = 1, high: int | None = None) -> int | None:
    """An integer query parameter in ``[low, high]``, or None when absent; else 400."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError.invalid((name, f"Must be an integer {bound}"))
    return number


def page_after(items: list[Any], key: Any, cursor: str | None, limit: int | None, *, descending: bool = False
               ) -> tuple[list[Any], str | None]:
    """Items strictly after ``cursor`` (ids sort in creation order), at most ``limit``;
    and the next cursor (the last id) when more remain."""
    if cursor:
        items = [i for i in items if (key(i) < cursor if descending else key(i) > cursor)]
    if limit is None or len(items) <= limit:
        return items, None
    page = items[:limit]
    return page, key(page[-1])
