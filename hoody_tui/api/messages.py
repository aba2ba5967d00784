"""Messages and their parts (text, reasoning, tool calls, steps, files, patches...).

A part whose ``type`` we do not know is kept as a :class:`GenericPart`, never an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, Union

from pydantic import Discriminator, Tag, TypeAdapter, field_validator, model_validator

from .base import ApiModel, ModelRef, TimeSpan, field

__all__ = [
    "TokenUsage",
    "MessageError",
    "Message",
    "ToolState",
    "PartBase",
    "TextPart",
    "ReasoningPart",
    "ToolPart",
    "FilePart",
    "StepStartPart",
    "StepFinishPart",
    "AgentPart",
    "SubtaskPart",
    "PatchPart",
    "SnapshotPart",
    "RetryPart",
    "CompactionPart",
    "GenericPart",
    "Part",
    "MessageWithParts",
    "parse_part",
    "TOOL_STATUSES",
]

TOOL_STATUSES = ("pending", "running", "completed", "error")


class CacheTokens(ApiModel):
    read: int | None = None
    write: int | None = None


class TokenUsage(ApiModel):
    """``tokens`` of an assistant message or a step-finish part."""

    input: int | None = None
    output: int | None = None
    reasoning: int | None = None
    cache: CacheTokens | None = None

    @property
    def total(self) -> int:
        cache = self.cache or CacheTokens()
        return sum(v or 0 for v in (self.input, self.output, self.reasoning, cache.read, cache.write))


class MessageError(ApiModel):
    """A NamedError ``{"name","data":{"message"}}`` carried by a message or session."""

    name: str | None = None
    data: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": "Error", "data": {"message": data}}
        return data

    @property
    def message(self) -> str:
        message = self.data.get("message") if self.data else None
        if isinstance(message, str):
            return message
        return self.name or "error"


class Message(ApiModel):
    """A user or assistant message's info (contract 1.2).

    An assistant message is finished once ``time.completed`` is set.
    """

    id: str
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    role: str | None = None
    time: TimeSpan | None = None
    parent_id: str | None = field("parentID", "parentId")
    agent: str | None = None
    model: ModelRef | None = None
    provider_id: str | None = field("providerID", "providerId")
    model_id: str | None = field("modelID", "modelId")
    cost: float | None = None
    tokens: TokenUsage | None = None
    finish: str | None = None
    error: MessageError | None = None
    mode: str | None = None

    @field_validator("model", mode="before")
    @classmethod
    def _model_ref(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"modelID": value}
        return value if isinstance(value, dict) else None

    @property
    def is_complete(self) -> bool:
        return self.time is not None and self.time.completed is not None

    @property
    def model_label(self) -> str:
        if self.provider_id or self.model_id:
            return ModelRef(providerID=self.provider_id, modelID=self.model_id).label()
        return self.model.label() if self.model else ""


class ToolState(ApiModel):
    """``state`` of a tool part: pending, running, completed or error (and any other status)."""

    status: str = "pending"
    input: Any = None
    raw: str | None = None
    title: str | None = None
    output: str | None = None
    error: str | None = None
    metadata: dict[str, Any] | None = None
    time: TimeSpan | None = None
    attachments: list[dict[str, Any]] | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return MessageError.model_validate(value).message

    @field_validator("output", mode="before")
    @classmethod
    def _output_text(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    @property
    def duration_ms(self) -> int | None:
        if self.time and self.time.start is not None and self.time.end is not None:
            return self.time.end - self.time.start
        return None


class PartBase(ApiModel):
    """Every part has ``id`` and ``type``; ``sessionID``/``messageID`` when the server gives them."""

    id: str
    type: str
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    message_id: str | None = field("messageID", "messageId", "message_id")


class TextPart(PartBase):
    text: str = ""
    synthetic: bool | None = None
    time: TimeSpan | None = None


class ReasoningPart(PartBase):
    text: str = ""
    time: TimeSpan | None = None


class ToolPart(PartBase):
    call_id: str | None = field("callID", "callId", "call_id")
    tool: str | None = None
    state: ToolState = field("state", default_factory=ToolState)
    metadata: dict[str, Any] | None = None

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"status": value}
        return value if isinstance(value, dict) else {}


class FilePart(PartBase):
    mime: str | None = None
    url: str | None = None
    filename: str | None = None
    source: dict[str, Any] | None = None


class StepStartPart(PartBase):
    snapshot: str | None = None


class StepFinishPart(PartBase):
    reason: str | None = None
    cost: float | None = None
    tokens: TokenUsage | None = None
    snapshot: str | None = None


class AgentPart(PartBase):
    name: str | None = None


class SubtaskPart(PartBase):
    prompt: str | None = None
    description: str | None = None
    agent: str | None = None


class PatchPart(PartBase):
    hash: str | None = None
    files: list[str] = field("files", default_factory=list)


class SnapshotPart(PartBase):
    snapshot: str | None = None


class RetryPart(PartBase):
    attempt: int | None = None
    error: MessageError | None = None
    time: TimeSpan | None = None


class CompactionPart(PartBase):
    auto: bool | None = None


class GenericPart(PartBase):
    """A part of a type this client does not know: kept whole, shown as ``[type]``."""

    type: str = "unknown"


_PART_CLASSES: dict[str, type[PartBase]] = {
    "text": TextPart,
    "reasoning": ReasoningPart,
    "tool": ToolPart,
    "file": FilePart,
    "step-start": StepStartPart,
    "step-finish": StepFinishPart,
    "agent": AgentPart,
    "subtask": SubtaskPart,
    "patch": PatchPart,
    "snapshot": SnapshotPart,
    "retry": RetryPart,
    "compaction": CompactionPart,
}


def _part_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _PART_CLASSES else "unknown"


if TYPE_CHECKING:  # a type checker sees what every part is; pydantic, how to tell them apart
    Part: TypeAlias = PartBase
else:
    Part = Annotated[
        Union[
            (*(Annotated[cls, Tag(kind)] for kind, cls in _PART_CLASSES.items()), Annotated[GenericPart, Tag("unknown")])
        ],
        Discriminator(_part_tag),
    ]
"""Any part: dispatched on ``type``, unknown types become :class:`GenericPart`."""

_PART_ADAPTER: TypeAdapter[PartBase] = TypeAdapter(Part)


def parse_part(data: Any) -> PartBase:
    """Validate one part (raises pydantic's ValidationError; the client wraps it)."""
    return _PART_ADAPTER.validate_python(data)


class MessageWithParts(ApiModel):
    """A message with its parts: ``{"info","parts"}``.

    Also reads the stream snapshot form ``{"message","parts"}`` and a flat message
    with inline ``parts`` (contract 1.2).
    """

    info: Message
    parts: list[Part] = field("parts", default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _forms(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "info" in data:
            return data
        if isinstance(data.get("message"), dict):
            return {"info": data["message"], "parts": data.get("parts") or []}
        if "id" in data:
            info = {k: v for k, v in data.items() if k != "parts"}
            return {"info": info, "parts": data.get("parts") or []}
        return data

    @field_validator("parts", mode="before")
    @classmethod
    def _parts_list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []
