"""Messages: ``S/messages`` (``after``, ``limit``; oldest first), ``S/messages/{id}``,
``S/messages/{id}/tools/{callID}`` and the message stream ``S/messages/{id}/stream``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError
from ..sse import sse_response
from ..streams import message_events
from .common import listing, ok, page_after, query_int, session


async def list_messages(request: Request) -> Response:
    ws, rec = session(request)
    limit = query_int(request, "limit")
    after = request.query_params.get("after") or request.query_params.get("cursor")
    ordered = [ws.messages[m] for m in sorted(rec.message_ids)]
    page, cursor = page_after(ordered, lambda m: m.info["id"], after, limit)
    return listing(ws, [m.view() for m in page], total=len(ordered), cursor=cursor)


async def get_message(request: Request) -> Response:
    ws, rec = session(request)
    return ok(ws.message(rec, request.path_params["messageID"]).view())


async def tool_call(request: Request) -> Response:
    ws, rec = session(request)
    msg = ws.messages.get(request.path_params["messageID"])
    call_id = request.path_params["callID"]
    if msg is not None and msg.info.get("sessionID") == rec.id:
        for part in msg.parts.values():
            if part.get("type") == "tool" and part.get("callID") == call_id:
                return ok(part)
    raise ApiError.not_found("Tool call not found for this message")


async def stream_message(request: Request) -> Response:
    ws, rec = session(request)
    msg = ws.message(rec, request.path_params["messageID"])
    return sse_response(message_events(ws, rec, msg))
