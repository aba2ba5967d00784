"""Event streams: reconnecting SSE readers that yield typed events and connection state.

No Textual here: the app's worker consumes these and posts Messages.
"""

from .backoff import Backoff
from .items import ConnectionState, Malformed, Resync, StreamItem
from .sse import EventSourceLike, SseStream, StreamStats
from .streams import cli_agent_stream, message_stream, workspace_events

__all__ = [
    "Backoff",
    "ConnectionState",
    "Malformed",
    "Resync",
    "StreamItem",
    "EventSourceLike",
    "SseStream",
    "StreamStats",
    "workspace_events",
    "message_stream",
    "cli_agent_stream",
]
