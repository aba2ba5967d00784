"""CLI-agent runs: the start reply and the run stream's events (seed 000)."""

from __future__ import annotations

from .base import ApiModel, field
from .jobs import Job

__all__ = ["CliAgentStarted", "CliAgentSnapshot", "CliAgentProgress", "CliAgentComplete"]


class CliAgentStarted(ApiModel):
    """``POST S/cli-agent`` → ``{"jobID","sessionID","status":"queued"}``."""

    job_id: str = field("jobID", "jobId", "id", "job_id", required=True)
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    status: str | None = None


class CliAgentSnapshot(ApiModel):
    type: str = "snapshot"
    job: Job


class CliAgentProgress(ApiModel):
    type: str = "progress"
    message: str | None = None
    percent: float | None = None


class CliAgentComplete(ApiModel):
    """The terminal event: the run's final job (``id``, ``status``, ``output``); the stream closes."""

    type: str = "complete"
    job: Job
