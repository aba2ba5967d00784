"""The workspace state store (no Textual): events in, state and per-kind changes out."""

from .changes import Changes
from .state import DEFAULT_MESSAGE_LIMIT, MessageEntry, SessionStats, Snapshot, WorkspaceStore
from .sync import fetch_snapshot

__all__ = ["fetch_snapshot", "Changes", "WorkspaceStore", "MessageEntry", "SessionStats", "Snapshot", "DEFAULT_MESSAGE_LIMIT"]
