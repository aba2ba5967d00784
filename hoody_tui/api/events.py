"""Typed events of the workspace stream (``meta/events``) and of the per-message and
CLI-agent run streams.

``parse_event`` turns one ``{"type","properties"}`` payload into a typed event;
a type it does not know becomes :class:`UnknownEvent` with the raw properties kept.
A payload that is not an event at all, or a known type whose properties do not fit,
raises :class:`MalformedEvent` so the stream can count it and go on.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError, field_validator

from .base import ApiModel, field
from .cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot
from .jobs import Job
from .loops import Loop, RecurringLoop
from .messages import Message, MessageError, MessageWithParts, Part
from .permissions import PermissionRequest
from .questions import Question
from .sessions import Session, SessionStatus, Todo
from .tasks import Task

__all__ = [
    "MalformedEvent",
    "Event",
    "UnknownEvent",
    "ServerConnected",
    "ServerHeartbeat",
    "InstanceDisposed",
    "SessionUpdated",
    "SessionDeleted",
    "SessionStatusChanged",
    "SessionIdle",
    "SessionErrored",
    "SessionDiffChanged",
    "MessageUpdated",
    "MessageRemoved",
    "PartUpdated",
    "PartRemoved",
    "PartDelta",
    "TurnEnded",
    "TasksUpdated",
    "RecurringLoopUpdated",
    "RecurringLoopDeleted",
    "PermissionAsked",
    "PermissionReplied",
    "QuestionAsked",
    "QuestionResolved",
    "TodoUpdated",
    "JobUpdated",
    "LoopUpdated",
    "VcsBranchUpdated",
    "LspUpdated",
    "parse_event",
    "EVENT_TYPES",
    "MessageStreamSnapshot",
    "MessageStreamPartUpdated",
    "MessageStreamPartRemoved",
    "MessageStreamMessageUpdated",
    "MessageStreamMessageRemoved",
    "MessageStreamDone",
    "parse_message_stream_event",
    "parse_cli_agent_event",
]


class MalformedEvent(ValueError):
    """A payload that could not be read as the event it claims to be."""


class Event(ApiModel):
    """Base of every event: ``type`` is kept as the server sent it."""

    type: str
    # The key under which the whole ``properties`` object is the payload, when the
    # server sends the object itself (e.g. ``permission.asked`` carries the request).
    wrap: ClassVar[str | None] = None


class UnknownEvent(Event):
    """An event type this client does not know; ignored by the state, kept for the log."""

    properties: dict[str, Any] = field("properties", default_factory=dict)


class ServerConnected(Event):
    pass


class ServerHeartbeat(Event):
    pass


class InstanceDisposed(Event):
    directory: str | None = None


class SessionUpdated(Event):
    """``session.created`` / ``session.updated``: the whole session."""

    info: Session
    wrap: ClassVar[str | None] = "info"


class SessionDeleted(Event):
    info: Session

    @property
    def session_id(self) -> str:
        return self.info.id


class SessionStatusChanged(Event):
    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    status: SessionStatus

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value


class SessionIdle(Event):
    session_id: str = field("sessionID", "sessionId", "session_id", required=True)


class SessionErrored(Event):
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    error: MessageError | None = None


class SessionDiffChanged(Event):
    """``session.diff`` / ``session.compacted``: refresh the diff view."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    diff: Any = None


class MessageUpdated(Event):
    info: Message

    @property
    def session_id(self) -> str | None:
        return self.info.session_id


class MessageRemoved(Event):
    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    message_id: str = field("messageID", "messageId", "message_id", required=True)


class PartUpdated(Event):
    """``message.part.updated``: the whole part; ``delta`` is the text just appended."""

    part: Part
    delta: str | None = None


class PartDelta(Event):
    """``message.part.delta`` (opencode): ``delta`` appended to the part's ``field`` (its text),
    between the part's first ``message.part.updated`` and its last."""

    session_id: str | None = field("sessionID", "sessionId", "session_id")
    message_id: str | None = field("messageID", "messageId", "message_id")
    part_id: str = field("partID", "partId", "part_id", required=True)
    field_name: str = field("field", default="text")
    delta: str = ""


class TurnEnded(Event):
    """Not a server event: a backend says the session's turn ended (aborted, or idle) and
    any gate it still lists for the session is stale (opencode keeps a permission request
    listed after an abort). The store drops the session's gates."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)


class TasksUpdated(Event):
    """Not a server event name: the session's background tasks, all of them (the
    gateway's ``event.tasks_snapshot``)."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    tasks: list[Task] = field("tasks", default_factory=list)


class RecurringLoopUpdated(Event):
    """Not a server event name: one recurring loop of a session, created or changed."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    loop: RecurringLoop


class RecurringLoopDeleted(Event):
    """Not a server event name: a recurring loop was deleted."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    loop_id: str = field("loop_id", "loopID", "loopId", required=True)


class PartRemoved(Event):
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    message_id: str | None = field("messageID", "messageId", "message_id")
    part_id: str = field("partID", "partId", "part_id", required=True)


class PermissionAsked(Event):
    """``permission.asked`` (legacy ``permission.updated``): properties are the request."""

    request: PermissionRequest
    wrap: ClassVar[str | None] = "request"


class PermissionReplied(Event):
    """``permission.replied``: ``{sessionID, requestID, reply}`` or legacy ``{permissionID, response}``."""

    session_id: str | None = field("sessionID", "sessionId", "session_id")
    request_id: str = field("requestID", "requestId", "permissionID", "permissionId", "id", required=True)
    reply: str | None = field("reply", "response")


class QuestionAsked(Event):
    question: Question
    wrap: ClassVar[str | None] = "question"


class QuestionResolved(Event):
    """``question.replied`` / ``question.rejected``."""

    session_id: str | None = field("sessionID", "sessionId", "session_id")
    request_id: str = field("requestID", "requestId", "questionID", "id", required=True)
    answers: Any = None


class TodoUpdated(Event):
    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    todos: list[Todo] = field("todos", default_factory=list)


class JobUpdated(Event):
    """``job.updated`` (also ``job.created`` / ``job.progress`` / ``job.completed``)."""

    job: Job
    wrap: ClassVar[str | None] = "job"


class LoopUpdated(Event):
    """``loop.updated``: the session's loop, ``None`` when it ended."""

    session_id: str = field("sessionID", "sessionId", "session_id", required=True)
    loop: Loop | None = None


class VcsBranchUpdated(Event):
    branch: str | None = None


class LspUpdated(Event):
    """``lsp.updated`` / ``lsp.client.diagnostics``: refresh the LSP status."""

    server_id: str | None = field("serverID", "serverId")
    path: str | None = None


_EVENT_CLASSES: dict[str, type[Event]] = {
    "server.connected": ServerConnected,
    "server.heartbeat": ServerHeartbeat,
    "server.instance.disposed": InstanceDisposed,
    "session.created": SessionUpdated,
    "session.updated": SessionUpdated,
    "session.deleted": SessionDeleted,
    "session.status": SessionStatusChanged,
    "session.idle": SessionIdle,
    "session.error": SessionErrored,
    "session.diff": SessionDiffChanged,
    "session.compacted": SessionDiffChanged,
    "message.updated": MessageUpdated,
    "message.removed": MessageRemoved,
    "message.part.updated": PartUpdated,
    "message.part.removed": PartRemoved,
    "message.part.delta": PartDelta,
    "permission.asked": PermissionAsked,
    "permission.updated": PermissionAsked,
    "permission.replied": PermissionReplied,
    "question.asked": QuestionAsked,
    "question.replied": QuestionResolved,
    "question.rejected": QuestionResolved,
    "todo.updated": TodoUpdated,
    "job.updated": JobUpdated,
    "job.created": JobUpdated,
    "job.progress": JobUpdated,
    "job.completed": JobUpdated,
    "loop.updated": LoopUpdated,
    "vcs.branch.updated": VcsBranchUpdated,
    "lsp.updated": LspUpdated,
    "lsp.client.diagnostics": LspUpdated,
}
EVENT_TYPES = frozenset(_EVENT_CLASSES)


def _validate(cls: type[Event], kind: str, props: dict[str, Any]) -> Event:
    if cls.wrap is not None and cls.wrap not in props:
        payload: dict[str, Any] = {cls.wrap: props}
    else:
        payload = dict(props)
    payload["type"] = kind
    try:
        # What model_validate does, without its keyword arguments: passing those (all
        # None) cost a sixth of a hot event's parse (measured in instructions).
        event: Event = cls.__pydantic_validator__.validate_python(payload)
        return event
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise MalformedEvent(f"{kind}: {where}: {first.get('msg', 'invalid')}") from None


def parse_event(payload: Any, *, sse_event: str | None = None) -> Event:
    """Read one ``meta/events`` payload. ``sse_event`` is the SSE ``event:`` name, used
    when the JSON carries no ``type`` (contract 1.5)."""
    if not isinstance(payload, dict):
        raise MalformedEvent(f"expected a JSON object, got {type(payload).__name__}")
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        if sse_event and sse_event != "message":
            kind = sse_event
        else:
            raise MalformedEvent("event has no type")
    props = payload.get("properties")
    if props is None:
        props = {k: v for k, v in payload.items() if k != "type"}
    if not isinstance(props, dict):
        raise MalformedEvent(f"{kind}: properties is not an object")
    cls = _EVENT_CLASSES.get(kind)
    if cls is None:
        return UnknownEvent(type=kind, properties=props)
    return _validate(cls, kind, props)


# --- the per-message stream (seed 000) ------------------------------------------------


class MessageStreamSnapshot(Event):
    """``snapshot``: the message and all its parts; replaces what the client had."""

    message: MessageWithParts

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> MessageStreamSnapshot:
        body = {"message": data.get("message") or data.get("info"), "parts": data.get("parts") or []}
        return cls(type="snapshot", message=MessageWithParts.model_validate(body))


class MessageStreamPartUpdated(PartUpdated):
    """``part.updated`` on a message stream: the same payload as ``message.part.updated``."""


class MessageStreamPartRemoved(PartRemoved):
    """``part.removed`` on a message stream: the same payload as ``message.part.removed``."""


class MessageStreamMessageUpdated(Event):
    message: Message = field("message", "info", required=True)


class MessageStreamMessageRemoved(Event):
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    message_id: str = field("messageID", "messageId", "message_id", required=True)


class MessageStreamDone(Event):
    """``done``: the final message info; the server closes the stream after it."""

    message: Message = field("message", "info", required=True)


_MESSAGE_STREAM_CLASSES: dict[str, type[Event]] = {
    "part.updated": MessageStreamPartUpdated,
    "part.removed": MessageStreamPartRemoved,
    "message.updated": MessageStreamMessageUpdated,
    "message.removed": MessageStreamMessageRemoved,
    "done": MessageStreamDone,
}


def _stream_kind(payload: Any, sse_event: str | None) -> str:
    if not isinstance(payload, dict):
        raise MalformedEvent(f"expected a JSON object, got {type(payload).__name__}")
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        kind = sse_event if sse_event and sse_event != "message" else None
    if not kind:
        raise MalformedEvent("event has no type")
    return kind


def parse_message_stream_event(payload: Any, *, sse_event: str | None = None) -> Event:
    """Read one frame of ``messages/{mid}/stream``."""
    kind = _stream_kind(payload, sse_event)
    try:
        if kind == "snapshot":
            return MessageStreamSnapshot.from_payload(payload)
    except ValidationError as exc:
        raise MalformedEvent(f"snapshot: {exc.errors()[0].get('msg', 'invalid')}") from None
    cls = _MESSAGE_STREAM_CLASSES.get(kind)
    if cls is None:
        return UnknownEvent(type=kind, properties={k: v for k, v in payload.items() if k != "type"})
    return _validate(cls, kind, payload)



def parse_cli_agent_event(payload: Any, *, sse_event: str | None = None) -> Any:
    """Read one frame of ``cli-agent/runs/{jobID}/stream`` (snapshot, progress, complete)."""
    kind = _stream_kind(payload, sse_event)
    classes: dict[str, type[ApiModel]] = {
        "snapshot": CliAgentSnapshot,
        "progress": CliAgentProgress,
        "complete": CliAgentComplete,
    }
    cls = classes.get(kind)
    if cls is None:
        return UnknownEvent(type=kind, properties={k: v for k, v in payload.items() if k != "type"})
    try:
        return cls.model_validate({**payload, "type": kind})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise MalformedEvent(f"{kind}: {first.get('msg', 'invalid')}") from None
