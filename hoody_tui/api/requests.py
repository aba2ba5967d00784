"""Bodies the client sends, checked before they leave (same limits as the server).

Validating here lets a form show a field error as the user types, and keeps a
request the server would refuse from ever being sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import ApiModel, ModelRef, field
from .permissions import PermissionRule

__all__ = [
    "PermissionReplyBody",
    "QuestionReplyBody",
    "QuestionRejectBody",
    "LoopStartBody",
    "CliAgentStartBody",
    "BulkCancelBody",
    "InjectBody",
    "TextPartInput",
    "PromptBody",
    "SessionPatchBody",
    "ForkBody",
    "LOOP_PROMPT_MAX",
    "LOOP_ITERS_MAX",
    "CLI_AGENT_PROMPT_MAX",
    "JOB_IDS_MAX",
]

LOOP_PROMPT_MAX = 8000
LOOP_ITERS_MAX = 100
CLI_AGENT_PROMPT_MAX = 100_000
JOB_IDS_MAX = 1000


class PermissionReplyBody(ApiModel):
    """``{"reply":"once|always|reject","message"?}`` (seed 004; the form we send, C3)."""

    reply: Literal["once", "always", "reject"]
    message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _approved_form(cls, data: Any) -> Any:
        # 001's alternative {"approved": bool, "reason"} reads as once/reject.
        if isinstance(data, dict) and "reply" not in data and "approved" in data:
            data = dict(data)
            data["reply"] = "once" if data.pop("approved") else "reject"
            if "reason" in data and "message" not in data:
                data["message"] = data.pop("reason")
        return data


class QuestionReplyBody(ApiModel):
    """``{"answer": str}`` (001) or opencode's ``{"answers": [[label, ...], ...]}`` (C7)."""

    answer: str | None = None
    answers: list[list[str]] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> QuestionReplyBody:
        if self.answer is None and self.answers is None:
            raise ValueError("an answer is required")
        return self


class QuestionRejectBody(ApiModel):
    reason: str | None = None


class LoopStartBody(ApiModel):
    prompt: str = Field(min_length=1, max_length=LOOP_PROMPT_MAX)
    iters: int = Field(ge=1, le=LOOP_ITERS_MAX)


class CliAgentStartBody(ApiModel):
    agent: str = Field(min_length=1)
    prompt: str = Field(min_length=1, max_length=CLI_AGENT_PROMPT_MAX)
    model: str | None = None
    git: bool | None = None
    timeout: int | None = Field(default=None, gt=0)


class BulkCancelBody(ApiModel):
    job_ids: list[str] = field("jobIds", "jobIDs", "job_ids", required=True)

    @model_validator(mode="after")
    def _bounds(self) -> BulkCancelBody:
        if not 1 <= len(self.job_ids) <= JOB_IDS_MAX:
            raise ValueError(f"jobIds must hold 1 to {JOB_IDS_MAX} ids")
        return self


class InjectBody(ApiModel):
    """``{"jobIds"?}``: omitted = drain every unprocessed manual job, ``[]`` = nothing."""

    job_ids: list[str] | None = field("jobIds", "jobIDs", "job_ids")

    @model_validator(mode="after")
    def _bounds(self) -> InjectBody:
        if self.job_ids is not None and len(self.job_ids) > JOB_IDS_MAX:
            raise ValueError(f"jobIds must hold at most {JOB_IDS_MAX} ids")
        return self


class TextPartInput(ApiModel):
    type: str = "text"
    text: str = ""


class PromptBody(ApiModel):
    """``prompt_async`` / ``message`` body: model, agent and the parts of the user turn."""

    model: ModelRef | None = None
    agent: str | None = None
    parts: list[dict[str, Any]] = field("parts", default_factory=list)


class SessionPatchBody(ApiModel):
    title: str | None = None
    permission: list[PermissionRule] | None = None


class ForkBody(ApiModel):
    message_id: str | None = field("messageID", "messageId")
