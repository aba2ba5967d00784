"""Loops: the workspace API's directive (one per session; contract 1.8) and the gateway's
recurring loops (many per session; contract §2)."""

from __future__ import annotations

from .base import ApiModel, EpochMs, ModelRef, field

__all__ = ["Loop", "RecurringLoop", "RecurringLoopSpec"]


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


class RecurringLoop(ApiModel):
    """A recurring loop of the gateway (many per session, contract §2): a prompt re-sent
    every ``interval`` until ``max_runs``, ``stop_when`` or a cost or wall-time cap.

    ``{"id","session_id","prompt","interval","max_runs","runs","stop_when","max_cost_usd",
    "cost_usd","max_wall_ms","wall_ms","paused","expires_at","next_run_at","last_run_at",
    "status","stop_reason"}``; a cap of 0 means none.
    """

    id: str
    session_id: str | None = field("session_id", "sessionID", "sessionId")
    prompt: str = ""
    interval: str | None = None
    max_runs: int | None = None
    runs: int = 0
    stop_when: str | None = None
    max_cost_usd: float | None = None
    cost_usd: float | None = None
    max_wall_ms: int | None = None
    wall_ms: int | None = None
    paused: bool = False
    expires_at: EpochMs = None
    next_run_at: EpochMs = None
    last_run_at: EpochMs = None
    status: str | None = None
    stop_reason: str | None = None

    @property
    def runs_label(self) -> str:
        return f"{self.runs}/{self.max_runs}" if self.max_runs else str(self.runs)

    @property
    def cost_label(self) -> str:
        spent = f"${self.cost_usd or 0:.2f}"
        return f"{spent} of ${self.max_cost_usd:.2f}" if self.max_cost_usd else spent

    @property
    def state(self) -> str:
        """``paused``, ``active``, or how it ended (``finished``, ``expired``)."""
        if self.status and self.status != "active":
            return self.status
        return "paused" if self.paused else "active"


class RecurringLoopSpec(ApiModel):
    """The body that creates a recurring loop (caps: ``None`` or 0 = none)."""

    prompt: str
    interval: str
    max_runs: int | None = None
    stop_when: str | None = None
    max_cost_usd: float | None = None
    max_wall_ms: int | None = None
