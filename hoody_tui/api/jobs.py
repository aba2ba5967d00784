"""Background jobs and the results of acting on them (seed 000, contract 1.9)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from .base import ApiModel, TimeSpan, field

__all__ = [
    "JobProgress",
    "JobRetries",
    "Job",
    "JobPage",
    "JobOutput",
    "JobCancelResult",
    "BulkCancelFailure",
    "BulkCancelResult",
    "JobRetryResult",
    "InjectResult",
    "JOB_STATUSES",
    "JOB_TERMINAL",
    "JOB_RETRYABLE",
]

JOB_STATUSES = ("queued", "running", "completed", "failed", "expired", "cancelled")
JOB_TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
JOB_RETRYABLE = frozenset({"failed", "expired", "cancelled"})


class JobProgress(ApiModel):
    message: str | None = None
    percent: float | None = None


class JobRetries(ApiModel):
    max: int | None = None
    count: int | None = None


class Job(ApiModel):
    """A background job with every documented field (casing kept per contract C10)."""

    id: str = field("id", "jobID", "jobId", "job_id", required=True)
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    message_id: str | None = field("messageID", "messageId", "message_id")
    call_id: str | None = field("callID", "callId", "call_id")
    tool: str | None = None
    status: str | None = None
    input: Any = None
    progress: JobProgress | None = None
    output: str | None = None
    full_output: str | None = field("fullOutput", "full_output")
    attachments: list[dict[str, Any]] = field("attachments", default_factory=list)
    metadata: dict[str, Any] | None = None
    time: TimeSpan | None = None
    wake_policy: str | None = field("wakePolicy", "wake_policy")
    durability: str | None = None
    group_id: str | None = field("groupID", "groupId", "group_id")
    timeout: int | None = None
    retries: JobRetries | None = None
    completion_processed: bool | None = field("completionProcessed", "completion_processed")
    parent_job_id: str | None = field("parentJobId", "parentJobID", "parent_job_id")
    child_job_ids: list[str] = field("childJobIds", "childJobIDs", "child_job_ids", default_factory=list)
    total_children: int | None = field("totalChildren", "total_children")
    finished_child_job_ids: list[str] = field(
        "finishedChildJobIds", "finishedChildJobIDs", "finished_child_job_ids", default_factory=list
    )
    error: str | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: Any) -> Any:
        """The prose names an ``error`` field without a shape: a string or any object."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):
            for key in ("message", "error"):
                if isinstance(value.get(key), str):
                    return value[key]
            data = value.get("data")
            if isinstance(data, dict) and isinstance(data.get("message"), str):
                return data["message"]
        return str(value)

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"percent": value}
        return value if isinstance(value, dict) else None

    @field_validator("attachments", "child_job_ids", "finished_child_job_ids", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []

    @property
    def is_terminal(self) -> bool:
        return self.status in JOB_TERMINAL

    @property
    def is_retryable(self) -> bool:
        return self.status in JOB_RETRYABLE and not self.parent_job_id

    @property
    def percent(self) -> float | None:
        return self.progress.percent if self.progress else None


class JobPage(ApiModel):
    """One page of ``GET S/jobs``: the jobs and the cursor of the next page, if any."""

    jobs: list[Job] = field("jobs", default_factory=list)
    next_cursor: str | None = field("nextCursor", "next_cursor", "cursor")


class JobOutput(ApiModel):
    output: str = ""


class JobCancelResult(ApiModel):
    """``POST …/cancel``: the job as it now is. An already-terminal job keeps its status (C16)."""

    job: Job
    message: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.job.status == "cancelled"


class BulkCancelFailure(ApiModel):
    job_id: str = field("jobId", "jobID", "job_id", "id", default="")
    reason: str | None = None


class BulkCancelResult(ApiModel):
    """``POST S/jobs/cancel``: always 200, failures listed per job."""

    cancelled: int = 0
    failed: list[BulkCancelFailure] = field("failed", default_factory=list)


class JobRetryResult(ApiModel):
    """``POST …/retry``: the new job's id and the job it was retried from."""

    job_id: str = field("jobID", "jobId", "id", "job_id", required=True)
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    status: str | None = None
    retried_from: str | None = field("retriedFrom", "retried_from")


class InjectResult(ApiModel):
    injected: int = 0
    failed: int = 0
    message: str | None = None

    @field_validator("failed", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return len(value) if isinstance(value, list) else value
