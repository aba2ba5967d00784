"""The workspace state store (no Textual): events in, state and per-kind changes out."""

from .changes import Changes
from .state import DEFAULT_MESSAGE_LIMIT, MessageEntry, SessionStats, Snapshot, WorkspaceStore

__all__ = ["Changes", "WorkspaceStore", "MessageEntry", "SessionStats", "Snapshot", "DEFAULT_MESSAGE_LIMIT"]
