"""The session's loop directive (one per session; contract 1.8)."""

from __future__ import annotations

from .base import ApiModel, EpochMs, ModelRef, field

__all__ = ["Loop"]


class Loop(ApiModel):
    """``{"prompt","iters","iter","started_at","launch_id","agent","model","system"}``.

    ``iter`` is 0 right after the loop is installed; no loop is ``null``.
    """

    prompt: str = ""
    iters: int | None = None
    iter: int = 0
    started_at: EpochMs = field("started_at", "startedAt")
    launch_id: str | None = field("launch_id", "launchID", "launchId")
    agent: str | None = None
    model: ModelRef | None = None
    system: str | None = None

    @property
    def progress_label(self) -> str:
        return f"{self.iter}/{self.iters}" if self.iters else str(self.iter)
