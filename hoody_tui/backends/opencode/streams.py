"""opencode's event stream: ``GET /event?directory=``, data-only frames, no replay.

Each frame is ``{"id":"evt_…","type":…,"properties":…}`` with no ``id:`` line, so a
reconnect cannot resume: every (re)connect is followed by a resync (a listing). The
server sends ``server.heartbeat`` about every 10 s, which keeps the stall timer fed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ...api.events import parse_event
from ...events.sse import SseStream

if TYPE_CHECKING:
    from .client import OpencodeClient

__all__ = ["instance_events", "HEARTBEAT_TIMEOUT"]

HEARTBEAT_TIMEOUT = 35.0
"""Three missed heartbeats (about 10 s apart) and the stream counts as stalled."""


def instance_events(client: OpencodeClient, **options: Any) -> SseStream:
    """The events of the client's directory (its opencode instance), forever."""

    async def path() -> str:
        return "/event?" + urlencode({"directory": await client.scope()})

    options.setdefault("description", "opencode event stream")
    options.setdefault("heartbeat_timeout", HEARTBEAT_TIMEOUT)
    return SseStream(client, path, parse_event, **options)
