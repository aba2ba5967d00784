"""Request helpers of the gateway routes: the state, JSON bodies, typed fields and
the ``{items, meta}`` pages, each with a gateway-shaped 400."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from .errors import invalid

if TYPE_CHECKING:
    from .state import GatewayState

__all__ = ["gateway", "read_object", "opt_str", "opt_int", "opt_bool", "query_int", "page_params", "paged",
           "realm_of", "DEFAULT_PAGE_LIMIT"]

DEFAULT_PAGE_LIMIT = 50
"""``limit`` when the request names none (``limit=0`` = everything on one page)."""

_REALM = re.compile(r"^(global|[0-9a-f]{24})$")


def gateway(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


async def read_object(request: Request) -> dict[str, Any]:
    """The JSON object body; ``{}`` when empty; 400 when not a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("body: must be valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("body: must be a JSON object")
    return body


def opt_str(body: dict[str, Any], name: str, choices: tuple[str, ...] | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{name}: must be a string")
    if choices is not None and value not in choices:
        raise invalid(f"{name}: must be one of {', '.join(repr(c) for c in choices)} (got {value!r})")
    return value


def opt_int(body: dict[str, Any], name: str, low: int = 0) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise invalid(f"{name}: must be an integer >= {low}")
    return value


def opt_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(f"{name}: must be true or false")
    return value


def query_int(request: Request, name: str, *, low: int = 0, value: str | None = None) -> int | None:
    text = request.query_params.get(name) if value is None else value
    if text is None or text.strip() == "":
        return None
    try:
        number = int(text.strip())
    except ValueError:
        raise invalid(f"{name}: must be an integer >= {low} (got {text!r})") from None
    if number < low:
        raise invalid(f"{name}: must be an integer >= {low} (got {text!r})")
    return number


def page_params(request: Request) -> tuple[int, int]:
    """``?page`` (1-based, default 1) and ``?limit`` (default 50; 0 = no pagination)."""
    page = query_int(request, "page", low=1)
    limit = query_int(request, "limit", low=0)
    return page or 1, DEFAULT_PAGE_LIMIT if limit is None else limit


def paged(items: list[Any], page: int, limit: int) -> dict[str, Any]:
    """``{"items": […], "meta": {"page", "limit", "total"}}``."""
    chosen = items if limit == 0 else items[(page - 1) * limit: page * limit]
    return {"items": chosen, "meta": {"page": page, "limit": limit, "total": len(items)}}


def realm_of(request: Request, body: dict[str, Any]) -> str | None:
    """The realm scope: body ``realm``, else ``X-Hoody-Realm``, else ``?realm``; 400 unless
    ``"global"`` or 24 hex characters."""
    realm = opt_str(body, "realm") or request.headers.get("x-hoody-realm") or request.query_params.get("realm")
    if realm and not _REALM.match(realm):
        raise invalid(f"realm: must be \"global\" or a 24-hex realm id (got {realm!r})", code="invalid_realm")
    return realm or None
