"""Sessions, their status, and the small per-session views (summary, diff, todo)."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel, field_validator

from .base import ApiModel, EpochMs, ModelRef, TimeSpan, field
from .messages import TokenUsage
from .permissions import PermissionRule

__all__ = [
    "Session",
    "SessionChangeSummary",
    "SessionStatus",
    "SessionStatusMap",
    "SessionSummary",
    "FileDiff",
    "Todo",
    "SESSION_STATUS_TYPES",
]

SESSION_STATUS_TYPES = ("idle", "busy", "retry", "error")


class SessionChangeSummary(ApiModel):
    """``session.summary``: lines added and removed and files touched."""

    additions: int | None = None
    deletions: int | None = None
    files: int | None = None


class Session(ApiModel):
    """A session of the workspace (contract 1.2; ``parentID`` set on forks)."""

    id: str
    project_id: str | None = field("projectID", "projectId")
    directory: str | None = None
    parent_id: str | None = field("parentID", "parentId", "parent_id")
    title: str | None = None
    version: str | None = None
    time: TimeSpan | None = None
    permission: list[PermissionRule] | None = None
    summary: SessionChangeSummary | None = None
    # The session's own totals, where the server keeps them (opencode does): they count
    # every message, also those from before hoody-tui connected.
    agent: str | None = None
    model: ModelRef | None = None
    cost: float | None = None
    tokens: TokenUsage | None = None

    @field_validator("model", mode="before")
    @classmethod
    def _model_ref(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"modelID": value}
        return value if isinstance(value, dict) else None

    @field_validator("tokens", mode="before")
    @classmethod
    def _tokens(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("cost", mode="before")
    @classmethod
    def _cost(cls, value: Any) -> Any:
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @field_validator("summary", mode="before")
    @classmethod
    def _tolerate_summary(cls, value: Any) -> Any:
        # Only the documented object form is read; anything else is ignored, not fatal.
        return value if isinstance(value, dict) else None

    @field_validator("time", mode="before")
    @classmethod
    def _time_from_iso_keys(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @property
    def updated_ms(self) -> int | None:
        if self.time is None:
            return None
        return self.time.updated or self.time.created


class SessionStatus(ApiModel):
    """``{"type":"idle"}`` | ``{"type":"busy"}`` | ``{"type":"retry","attempt","message","next"}``."""

    type: str = "idle"
    attempt: int | None = None
    message: str | None = None
    next: EpochMs = None

    @classmethod
    def idle(cls) -> SessionStatus:
        return cls(type="idle")


class SessionStatusMap(RootModel[dict[str, SessionStatus]]):
    """``GET sessions/status``: non-idle sessions only; a missing session is idle."""

    def get(self, session_id: str) -> SessionStatus:
        return self.root.get(session_id) or SessionStatus.idle()


class SessionSummary(ApiModel):
    """``GET S/summary``: a lightweight key/value summary (shape inferred)."""

    id: str | None = None
    title: str | None = None
    status: Any = None
    message_count: int | None = field("messageCount", "message_count")
    time: TimeSpan | None = None
    summary: Any = None


class FileDiff(ApiModel):
    """One file of ``GET S/diff``."""

    file: str | None = field("file", "path")
    before: str | None = None
    after: str | None = None
    additions: int | None = None
    deletions: int | None = None


class Todo(ApiModel):
    """One item of ``GET S/todo`` and ``todo.updated``."""

    id: str | None = None
    content: str | None = None
    status: str | None = None
    priority: str | None = None
