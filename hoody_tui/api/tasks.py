"""A session's background tasks (the gateway's ``event.tasks_snapshot``, contract §2)."""

from __future__ import annotations

from .base import ApiModel, field

__all__ = ["Task"]


class Task(ApiModel):
    """``{"tid","status","title"}``: one background task of a session's agent."""

    tid: str = field("tid", "id", required=True)
    status: str | None = None
    title: str | None = None
