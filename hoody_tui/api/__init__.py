"""The typed API layer: models, errors and the async client. No Textual here.

Everything a caller needs is importable from ``hoody_tui.api``.
"""

from .base import ApiModel, ModelRef, TimeSpan, parse_epoch_ms
from .cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot, CliAgentStarted
from .client import DEFAULT_PREFIX, HoodyClient
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
    "DEFAULT_PREFIX", "HoodyClient", "next_cursor", "unwrap_list",
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
