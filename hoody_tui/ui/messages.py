"""Textual Messages posted by the event worker; widgets react to these, never to HTTP."""

from __future__ import annotations

from textual.message import Message

from ..events.items import ConnectionState, StreamItem

__all__ = ["ConnectionChanged", "StreamBatch"]


class ConnectionChanged(Message):
    """The workspace stream's connection state changed (latest wins)."""

    def __init__(self, state: ConnectionState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged)


class StreamBatch(Message):
    """Items that arrived together on the workspace stream, in order."""

    def __init__(self, items: list[StreamItem]) -> None:
        super().__init__()
        self.items = items
