"""Event streams: reconnecting SSE readers that yield typed events and connection state.

No Textual here: the app's worker consumes these and posts Messages.
"""

from .backoff import Backoff
from .items import ConnectionState, Malformed, Resync, StreamItem
from .sse import EventSourceLike, SseStream, StreamStats

__all__ = [
    "Backoff",
    "ConnectionState",
    "Malformed",
    "Resync",
    "StreamItem",
    "EventSourceLike",
    "SseStream",
    "StreamStats",
]
