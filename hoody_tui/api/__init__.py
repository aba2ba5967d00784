"""The records every part of hoody-tui speaks in, and how they are read off the wire.

The bottom layer (it imports nothing else of hoody-tui, and never Textual): the
pydantic models of sessions, messages and parts, permission requests, questions, jobs
and loops (the opencode family's shapes, which the hoody workspace API and opencode
share, read tolerantly), the typed events the store applies, the error hierarchy, and
the HTTP helpers every backend's client shares (:mod:`.transport`). Each backend's
client lives in :mod:`hoody_tui.backends`; a backend whose wire differs maps its shapes
to these records.
"""

from .base import ApiModel, ModelRef, TimeSpan, parse_epoch_ms
from .cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot, CliAgentStarted
from .envelopes import next_cursor, unwrap_list
from .errors import (
    ApiError,
    Conflict,
    FieldError,
    Forbidden,
    Gone,
    HoodyError,
    Invalid,
    NotFound,
    PayloadError,
    RequestTimeout,
    ServerError,
    TransportError,
    Unauthorized,
    Unreachable,
    error_from_response,
    normalise_error_body,
)
from .events import *  # noqa: F403  (the event classes and parse_* functions)
from .events import __all__ as _event_names
from .jobs import (
    JOB_RETRYABLE,
    JOB_TERMINAL,
    BulkCancelFailure,
    BulkCancelResult,
    InjectResult,
    Job,
    JobCancelResult,
    JobOutput,
    JobPage,
    JobProgress,
    JobRetries,
    JobRetryResult,
)
from .loops import Loop
from .messages import (
    AgentPart,
    CompactionPart,
    FilePart,
    GenericPart,
    Message,
    MessageError,
    MessageWithParts,
    Part,
    PartBase,
    PatchPart,
    ReasoningPart,
    RetryPart,
    SnapshotPart,
    StepFinishPart,
    StepStartPart,
    SubtaskPart,
    TextPart,
    TokenUsage,
    ToolPart,
    ToolState,
    parse_part,
)
from .meta import (
    AgentInfo,
    Command,
    FormatterStatus,
    Health,
    LspStatus,
    PathInfo,
    ProviderInfo,
    Providers,
    Skill,
    VcsInfo,
)
from .permissions import PermissionConfig, PermissionRequest, PermissionRule, SessionPermissions, ToolRef
from .questions import Question, QuestionItem, QuestionOption
from .requests import (
    BulkCancelBody,
    CliAgentStartBody,
    ForkBody,
    InjectBody,
    LoopStartBody,
    PermissionReplyBody,
    PromptBody,
    QuestionRejectBody,
    QuestionReplyBody,
    SessionPatchBody,
)
from .sessions import FileDiff, Session, SessionStatus, SessionStatusMap, SessionSummary, Todo

__all__ = [
    "ApiModel", "ModelRef", "TimeSpan", "parse_epoch_ms",
    "CliAgentComplete", "CliAgentProgress", "CliAgentSnapshot", "CliAgentStarted",
    "next_cursor", "unwrap_list",
    "ApiError", "Conflict", "FieldError", "Forbidden", "Gone", "HoodyError", "Invalid", "NotFound",
    "PayloadError", "RequestTimeout", "ServerError", "TransportError", "Unauthorized", "Unreachable",
    "error_from_response", "normalise_error_body",
    "JOB_RETRYABLE", "JOB_TERMINAL", "BulkCancelFailure", "BulkCancelResult", "InjectResult", "Job",
    "JobCancelResult", "JobOutput", "JobPage", "JobProgress", "JobRetries", "JobRetryResult", "Loop",
    "AgentPart", "CompactionPart", "FilePart", "GenericPart", "Message", "MessageError",
    "MessageWithParts", "Part", "PartBase", "PatchPart", "ReasoningPart", "RetryPart", "SnapshotPart",
    "StepFinishPart", "StepStartPart", "SubtaskPart", "TextPart", "TokenUsage", "ToolPart", "ToolState",
    "parse_part", "AgentInfo", "Command", "FormatterStatus", "Health", "LspStatus", "PathInfo",
    "ProviderInfo", "Providers", "Skill", "VcsInfo", "PermissionConfig", "PermissionRequest",
    "PermissionRule", "SessionPermissions", "ToolRef", "Question", "QuestionItem", "QuestionOption",
    "BulkCancelBody", "CliAgentStartBody", "ForkBody", "InjectBody", "LoopStartBody",
    "PermissionReplyBody", "PromptBody", "QuestionRejectBody", "QuestionReplyBody", "SessionPatchBody",
    "FileDiff", "Session", "SessionStatus", "SessionStatusMap", "SessionSummary", "Todo",
    *_event_names,
]
