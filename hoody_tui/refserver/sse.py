"""Server-Sent Events framing: headers, frames, heartbeats, the deliberately broken frame."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from .bus import dumps

__all__ = [
    "SSE_HEADERS",
    "sse_response",
    "named_frame",
    "data_frame",
    "heartbeat_frame",
    "NAMED_HEARTBEAT",
    "MALFORMED_FRAME",
]

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}

MALFORMED_FRAME = 'data: {"type":"message.part.updated","properties":{"part":{"id":\n\n'
"""A frame whose data is not valid JSON (the ``malformed_*`` faults)."""

NAMED_HEARTBEAT = 'event: heartbeat\ndata: {"type":"heartbeat"}\n\n'
"""The heartbeat of the message and CLI-agent streams."""


def sse_response(frames: AsyncIterator[str]) -> StreamingResponse:
    """A streaming ``text/event-stream`` response with the contract's headers."""
    return StreamingResponse(frames, headers=SSE_HEADERS)


def named_frame(event: str, data: dict[str, Any]) -> str:
    """``event: <name>`` + ``data: <json>`` (the JSON repeats ``type``)."""
    return f"event: {event}\ndata: {dumps(data)}\n\n"


def data_frame(data: dict[str, Any], event_id: int | None = None) -> str:
    """A data-only frame, with ``id:`` when given."""
    prefix = f"id: {event_id}\n" if event_id is not None else ""
    return f"{prefix}data: {dumps(data)}\n\n"


def heartbeat_frame(style: str) -> str:
    """The ``meta/events`` heartbeat: a comment, a named event, or a typed data frame."""
    if style == "event":
        return "event: heartbeat\ndata: {}\n\n"
    if style == "typed":
        return data_frame({"type": "server.heartbeat", "properties": {}})
    return ": heartbeat\n\n"
