"""The gateway's shapes (contract §2) as hoody-tui's records.

Pure functions read one shape (a session summary, a parked gate, a job, a loop) into a
record of :mod:`hoody_tui.api`; :class:`SessionMapper` turns one session's stream of
gateway events into the store's event records. The mapper keeps the little a stream
needs to know between frames (the turn in flight, the text part being written, the tool
parts by call), and makes every id it invents from the session, the turn and the seq:
the same events replayed give the same ids, so history read from ``…/replay`` and live
events land on the same messages and parts.

Gateway event → records:

=========================  ===========================================================
``event.turn_started``     SessionStatusChanged busy, the user Message + its TextPart,
                           the assistant Message ``{sid}:t{idx}``, JobUpdated running
``event.thinking``         PartUpdated ReasoningPart
``event.text_delta``       PartUpdated TextPart (first delta), then PartDelta
``event.tool_call``        PartUpdated ToolPart running (input = args)
``event.tool_result``      PartUpdated ToolPart completed (output) or error
``event.confirm_request``  PermissionAsked (id = gate_id, generation)
``event.user_question``    QuestionAsked (id = gate_id, generation)
``event.gate_resolved``    PermissionReplied (approved → once/always, denied → reject,
                           cancelled → no reply) or QuestionResolved (replied/rejected)
``agent_done``             the assistant Message completed, JobUpdated (completed,
                           failed, cancelled), SessionIdle, TurnEnded
``event.tasks_snapshot``   TasksUpdated
``event.loop_updated``     RecurringLoopUpdated
``event.loop_deleted``     RecurringLoopDeleted
``event.session_updated``  nothing here: the backend re-reads the summary (SessionUpdated)
anything else              nothing (``event.task_transcript``, ``event.question_suggestion``…)
=========================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError, field_validator

from ...api.base import ApiModel, EpochMs
from ...api.base import field as api_field
from ...api.events import (
    Event,
    JobUpdated,
    MalformedEvent,
    MessageUpdated,
    PartDelta,
    PartUpdated,
    PermissionAsked,
    PermissionReplied,
    QuestionAsked,
    QuestionResolved,
    RecurringLoopDeleted,
    RecurringLoopUpdated,
    SessionIdle,
    SessionStatusChanged,
    TasksUpdated,
    TurnEnded,
)
from ...api.jobs import Job
from ...api.loops import RecurringLoop
from ...api.messages import Message, MessageWithParts, PartBase, ReasoningPart, TextPart, ToolPart, ToolState
from ...api.permissions import PermissionRequest
from ...api.questions import Question
from ...api.sessions import Session, SessionStatus

__all__ = [
    "GatewayFrame",
    "WireGate",
    "WireSummary",
    "WireJob",
    "parse_frame",
    "session_of",
    "status_of",
    "permission_of",
    "question_of",
    "gate_of",
    "job_of",
    "job_status",
    "loop_of",
    "SessionMapper",
    "fold_messages",
    "CONFIRM",
    "QUESTION",
    "LAGGED",
    "SESSION_UPDATED",
]

CONFIRM = "confirm"
QUESTION = "question"
LAGGED = "lagged"
SESSION_UPDATED = "event.session_updated"
BUSY = SessionStatus(type="busy")
IDLE = SessionStatus(type="idle")


# --- the wire shapes ---------------------------------------------------------------------


def _dict(value: Any) -> Any:
    return value if isinstance(value, dict) else {}


class WireGate(ApiModel):
    """A parked gate: the summary's ``pending_gate`` or a gate event's payload."""

    gate_id: str = api_field("gate_id", "id", required=True)
    type: str | None = None
    generation: int | None = None
    tool: str | None = None
    summary: str | None = None
    args: dict[str, Any] = api_field("args", default_factory=dict)
    dirs: list[str] = api_field("dirs", default_factory=list)
    call_id: str | None = None
    created_at: EpochMs = None
    question: str | None = None
    header: str | None = None
    options: list[Any] = api_field("options", default_factory=list)
    multiple: bool = False
    fields: list[dict[str, Any]] | None = None

    @field_validator("args", mode="before")
    @classmethod
    def _args(cls, value: Any) -> Any:
        return _dict(value)

    @field_validator("dirs", "options", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else None

    @field_validator("multiple", mode="before")
    @classmethod
    def _multiple(cls, value: Any) -> Any:
        return bool(value)

    @property
    def is_question(self) -> bool:
        return self.type == QUESTION


class WireSummary(ApiModel):
    """``GET /sessions/{id}`` (and each item of ``GET /sessions``)."""

    id: str
    title: str | None = None
    cwd: str | None = None
    model: str | None = None
    agent: str | None = None
    live: bool = True
    turn_in_flight: bool = False
    pending_gate: WireGate | None = None
    created_at: EpochMs = None
    updated_at: EpochMs = None
    job_id: str | None = None
    turns: int | None = None
    system: bool = False

    @field_validator("pending_gate", mode="before")
    @classmethod
    def _gate(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("live", "turn_in_flight", "system", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return bool(value) if value is not None else False


class WireJob(ApiModel):
    """``GET /jobs/{id}``: ``{id, kind, status, session_id, run_id, created_at, …}``."""

    id: str
    kind: str | None = None
    status: str | None = None
    session_id: str | None = None
    run_id: str | None = None
    created_at: EpochMs = None
    started_at: EpochMs = None
    finished_at: EpochMs = None
    error: Any = None
    loop_id: str | None = None


class GatewayFrame(Event):
    """One frame of a session's stream, as read: the gateway's own ``type``, its ``seq``
    and its payload (everything else). The backend turns it into records."""

    seq: int | None = None
    session_id: str | None = None
    ts: EpochMs = None
    payload: dict[str, Any] = api_field("payload", default_factory=dict)


def parse_frame(data: Any, *, sse_event: str | None = None) -> GatewayFrame:
    """The ``SseStream`` parser of a session stream (raises MalformedEvent)."""
    if not isinstance(data, dict):
        raise MalformedEvent(f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        if not sse_event or sse_event == "message":
            raise MalformedEvent("gateway event has no type")
        kind = sse_event
    seq = data.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise MalformedEvent(f"{kind}: seq is not an integer")
    session_id = data.get("session_id")
    payload = {k: v for k, v in data.items() if k not in ("type", "seq", "session_id", "ts")}
    return GatewayFrame(type=kind, seq=seq, session_id=session_id if isinstance(session_id, str) else None,
                        ts=data.get("ts"), payload=payload)


# --- one shape, one record -------------------------------------------------------------


def session_of(summary: WireSummary) -> Session:
    time = {"created": summary.created_at, "updated": summary.updated_at or summary.created_at}
    data: dict[str, Any] = {"id": summary.id, "title": summary.title or summary.id, "directory": summary.cwd,
                            "time": time, "agent": summary.agent, "model": summary.model}
    return Session.model_validate(data)


def status_of(summary: WireSummary) -> SessionStatus:
    """Busy while a turn is in flight or a gate is parked; idle otherwise."""
    return BUSY if summary.turn_in_flight or summary.pending_gate is not None else IDLE


def permission_of(gate: WireGate, session_id: str) -> PermissionRequest:
    metadata = dict(gate.args)
    command = gate.args.get("command")
    subject = command if isinstance(command, str) and command else (gate.summary or gate.tool or "")
    if isinstance(command, str):
        metadata["command"] = command
    if gate.summary:
        metadata.setdefault("summary", gate.summary)
    data: dict[str, Any] = {
        "id": gate.gate_id, "sessionID": session_id, "permission": gate.tool or "tool", "patterns": [subject],
        "metadata": metadata, "always": list(gate.dirs), "tool": {"callID": gate.call_id},
        "title": gate.summary, "time": {"created": gate.created_at}, "generation": gate.generation,
    }
    return PermissionRequest.model_validate(data)


def question_of(gate: WireGate, session_id: str) -> Question:
    if gate.fields:
        # Each field's name is its header: an answer names the fields (``answers: {name: value}``).
        items = [{"question": str(f.get("question") or f.get("name") or ""), "header": str(f.get("name") or f"q{i + 1}"),
                  "options": [{"label": str(o)} for o in f.get("options") or [] if o is not None],
                  "multiple": bool(f.get("multiple"))} for i, f in enumerate(gate.fields)]
    else:
        items = [{"question": gate.question or "", "header": gate.header,
                  "options": [{"label": str(o)} for o in gate.options if o is not None], "multiple": gate.multiple}]
    data: dict[str, Any] = {"id": gate.gate_id, "sessionID": session_id, "questions": items,
                            "time": {"created": gate.created_at}, "generation": gate.generation}
    return Question.model_validate(data)


def gate_of(gate: WireGate, session_id: str) -> PermissionRequest | Question:
    return question_of(gate, session_id) if gate.is_question else permission_of(gate, session_id)


def job_status(ok: Any, error: Any) -> str:
    """A turn's job status from its ``agent_done``."""
    if ok:
        return "completed"
    return "cancelled" if error == "cancelled" else "failed"


def job_of(wire: WireJob, *, prompt: str | None = None, turn_idx: int | None = None) -> Job:
    data: dict[str, Any] = {
        "id": wire.id, "sessionID": wire.session_id, "tool": wire.kind or "job", "status": wire.status,
        "time": {"created": wire.created_at, "started": wire.started_at, "completed": wire.finished_at},
        "error": wire.error, "metadata": {k: v for k, v in (("kind", wire.kind), ("run_id", wire.run_id),
                                                            ("loop_id", wire.loop_id), ("turn_idx", turn_idx))
                                          if v is not None},
    }
    if prompt is not None:
        data["input"] = {"prompt": prompt}
    return Job.model_validate(data)


def loop_of(data: Any) -> RecurringLoop:
    return RecurringLoop.model_validate(data)


# --- a session's stream ----------------------------------------------------------------


@dataclass
class _Turn:
    """What the mapper knows of the turn being streamed."""

    message: Message
    job: Job | None = None
    text_part: str | None = None
    text: str = ""
    tools: dict[str, ToolPart] = field(default_factory=dict)


def _event(cls: type[Event], **values: Any) -> Event:
    return cls.model_validate(values)


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value


class SessionMapper:
    """One session's gateway events → the store's records (see the module docstring)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.turn: _Turn | None = None
        self.agent: str | None = None
        self.model: str | None = None
        self.jobs: dict[str, Job] = {}
        """The turn and loop-run jobs seen in this session, by id."""

    # --- what the summary says ---

    def adopt(self, summary: WireSummary) -> None:
        """Learn the turn in flight from a summary (a stream that opens mid-turn)."""
        self.agent, self.model = summary.agent or self.agent, summary.model or self.model
        if not summary.turn_in_flight:
            return
        if self.turn is None and summary.turns is not None:
            self.turn = _Turn(self._assistant(f"{self.session_id}:t{summary.turns}", summary.updated_at, None))
        if self.turn is not None and summary.job_id and self.turn.job is None:
            job = self.jobs.get(summary.job_id) or Job.model_validate(
                {"id": summary.job_id, "sessionID": self.session_id, "tool": "turn", "status": "running"})
            self.turn.job = job

    # --- frames ---

    def feed(self, frame: GatewayFrame) -> list[Event]:
        """The records of one frame (raises MalformedEvent when its payload cannot be read)."""
        handler = _HANDLERS.get(frame.type)
        if handler is None:
            return []
        try:
            return handler(self, frame)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
            raise MalformedEvent(f"{frame.type}: {where}: {first.get('msg', 'invalid')}") from None
        except (TypeError, ValueError, KeyError) as exc:  # MalformedEvent is a ValueError
            raise MalformedEvent(f"{frame.type}: {exc}") from None

    def _assistant(self, message_id: str, ts: int | None, parent: str | None) -> Message:
        data: dict[str, Any] = {"id": message_id, "sessionID": self.session_id, "role": "assistant",
                                "time": {"created": ts}, "parentID": parent, "agent": self.agent,
                                "model": self.model}
        return Message.model_validate(data)

    def _current(self, frame: GatewayFrame, out: list[Event]) -> _Turn:
        """The turn events attach to; a stream that opened mid-turn makes one up."""
        if self.turn is None:
            self.turn = _Turn(self._assistant(f"{self.session_id}:s{frame.seq or 0}", frame.ts, None))
            out.append(_event(MessageUpdated, type="message.updated", info=self.turn.message))
        return self.turn

    def _part_id(self, turn: _Turn, frame: GatewayFrame, what: str) -> str:
        return f"{turn.message.id}:{what}{frame.seq or 0}"

    def _turn_started(self, frame: GatewayFrame) -> list[Event]:
        p = frame.payload
        idx = p.get("turn_idx")
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise MalformedEvent("turn_idx is not an integer")
        text, job_id = _text(p, "text"), _text(p, "job_id")
        sid, ts = self.session_id, frame.ts
        user_id = f"{sid}:t{idx}:user"
        user = Message.model_validate({"id": user_id, "sessionID": sid, "role": "user", "time": {"created": ts},
                                       "agent": self.agent})
        # The reply comes after its prompt: a millisecond later, so both sort in that order
        # (a stream lists messages by time, then id, and "…:t1" sorts before "…:t1:user").
        assistant = self._assistant(f"{sid}:t{idx}", ts + 1 if ts is not None else None, user_id)
        turn = self.turn = _Turn(assistant)
        out: list[Event] = [
            _event(SessionStatusChanged, type="session.status", sessionID=sid, status=BUSY),
            _event(MessageUpdated, type="message.updated", info=user),
            _event(PartUpdated, type="message.part.updated",
                   part=TextPart.model_validate({"id": f"{user_id}:text", "type": "text", "sessionID": sid,
                                                 "messageID": user_id, "text": text})),
            _event(MessageUpdated, type="message.updated", info=assistant),
        ]
        if job_id:
            loop_id = p.get("loop_id")
            wire = WireJob(id=job_id, kind="loop_run" if loop_id else "turn", status="running", session_id=sid,
                           created_at=ts, started_at=ts, loop_id=loop_id if isinstance(loop_id, str) else None)
            turn.job = self.jobs[job_id] = job_of(wire, prompt=text, turn_idx=idx)
            out.append(_event(JobUpdated, type="job.updated", job=turn.job))
        return out

    def _thinking(self, frame: GatewayFrame) -> list[Event]:
        out: list[Event] = []
        turn = self._current(frame, out)
        turn.text_part = None
        part = ReasoningPart.model_validate({"id": self._part_id(turn, frame, "r"), "type": "reasoning",
                                             "sessionID": self.session_id, "messageID": turn.message.id,
                                             "text": _text(frame.payload, "text")})
        out.append(_event(PartUpdated, type="message.part.updated", part=part))
        return out

    def _text_delta(self, frame: GatewayFrame) -> list[Event]:
        delta = _text(frame.payload, "delta")
        out: list[Event] = []
        turn = self._current(frame, out)
        if turn.text_part is None:
            turn.text_part, turn.text = self._part_id(turn, frame, "p"), delta
            part = TextPart.model_validate({"id": turn.text_part, "type": "text", "sessionID": self.session_id,
                                            "messageID": turn.message.id, "text": delta})
            out.append(_event(PartUpdated, type="message.part.updated", part=part))
            return out
        turn.text += delta
        if delta:
            out.append(_event(PartDelta, type="message.part.delta", sessionID=self.session_id,
                              messageID=turn.message.id, partID=turn.text_part, field="text", delta=delta))
        return out

    def _tool_call(self, frame: GatewayFrame) -> list[Event]:
        p = frame.payload
        call_id = _text(p, "call_id") or f"s{frame.seq or 0}"
        out: list[Event] = []
        turn = self._current(frame, out)
        turn.text_part = None
        args = p.get("args")
        part = ToolPart.model_validate({
            "id": f"{turn.message.id}:{call_id}", "type": "tool", "sessionID": self.session_id,
            "messageID": turn.message.id, "callID": call_id, "tool": _text(p, "tool") or "tool",
            "state": {"status": "running", "input": args if isinstance(args, dict) else {},
                      "title": _text(p, "title") or None, "time": {"start": frame.ts}},
        })
        turn.tools[call_id] = part
        out.append(_event(PartUpdated, type="message.part.updated", part=part))
        return out

    def _tool_result(self, frame: GatewayFrame) -> list[Event]:
        p = frame.payload
        call_id = _text(p, "call_id") or f"s{frame.seq or 0}"
        out: list[Event] = []
        turn = self._current(frame, out)
        part = turn.tools.get(call_id) or ToolPart.model_validate({
            "id": f"{turn.message.id}:{call_id}", "type": "tool", "sessionID": self.session_id,
            "messageID": turn.message.id, "callID": call_id, "tool": _text(p, "tool") or "tool", "state": {}})
        state = part.state.model_dump(by_alias=True, exclude_none=True)
        state["time"] = {"start": part.state.time.start if part.state.time else None, "end": frame.ts}
        if p.get("ok"):
            state.update(status="completed", output=p.get("output"))
        else:
            state.update(status="error", error=p.get("error") or "failed")
        part = part.model_copy(update={"state": ToolState.model_validate(state)})
        turn.tools[call_id] = part
        out.append(_event(PartUpdated, type="message.part.updated", part=part))
        return out

    def _confirm(self, frame: GatewayFrame) -> list[Event]:
        gate = WireGate.model_validate({**frame.payload, "type": CONFIRM, "created_at": frame.ts})
        return [_event(PermissionAsked, type="permission.asked", request=permission_of(gate, self.session_id))]

    def _question(self, frame: GatewayFrame) -> list[Event]:
        gate = WireGate.model_validate({**frame.payload, "type": QUESTION, "created_at": frame.ts})
        return [_event(QuestionAsked, type="question.asked", question=question_of(gate, self.session_id))]

    def _gate_resolved(self, frame: GatewayFrame) -> list[Event]:
        p = frame.payload
        gate_id = _text(p, "gate_id")
        if not gate_id:
            raise MalformedEvent("gate_id is missing")
        outcome = p.get("outcome")
        if outcome == "cancelled":
            # Cancelled with its turn: nobody decided it, so not "decided elsewhere".
            return [_event(TurnEnded, type="turn.ended", sessionID=self.session_id)]
        if p.get("gate_type") == QUESTION:
            rejected = outcome != "answered"
            return [_event(QuestionResolved, type="question.rejected" if rejected else "question.replied",
                           sessionID=self.session_id, requestID=gate_id,
                           answers=None if rejected else answers_of(p.get("answer")))]
        reply: str | None
        if outcome == "approved":
            reply = "always" if p.get("persist_dirs") else "once"
        elif outcome == "denied":
            reply = "reject"
        else:
            reply = None
        return [_event(PermissionReplied, type="permission.replied", sessionID=self.session_id, requestID=gate_id,
                       reply=reply)]

    def _agent_done(self, frame: GatewayFrame) -> list[Event]:
        p = frame.payload
        out: list[Event] = []
        turn = self.turn
        error = p.get("error")
        if turn is not None:
            if turn.text_part is not None:  # the whole text once more: a delta the store missed is not lost
                part = TextPart.model_validate({"id": turn.text_part, "type": "text", "sessionID": self.session_id,
                                                "messageID": turn.message.id, "text": turn.text})
                out.append(_event(PartUpdated, type="message.part.updated", part=part))
            time = {"created": turn.message.time.created if turn.message.time else None, "completed": frame.ts}
            update: dict[str, Any] = {**turn.message.model_dump(by_alias=True), "time": time}
            if error:
                update["error"] = str(error)
            out.append(_event(MessageUpdated, type="message.updated", info=Message.model_validate(update)))
        job_id = p.get("job_id")
        job = self.jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None and turn is not None:
            job = turn.job
        if job is None and isinstance(job_id, str) and job_id:
            job = Job.model_validate({"id": job_id, "sessionID": self.session_id, "tool": "turn"})
        if job is not None:
            span = {"created": job.time.created if job.time else None,
                    "started": job.time.started if job.time else None, "completed": frame.ts}
            done = job.model_validate({**job.model_dump(by_alias=True), "status": job_status(p.get("ok"), error),
                                       "time": span, "error": str(error) if error else None})
            self.jobs[done.id] = done
            out.append(_event(JobUpdated, type="job.updated", job=done))
        self.turn = None
        out.append(_event(SessionIdle, type="session.idle", sessionID=self.session_id))
        out.append(_event(TurnEnded, type="turn.ended", sessionID=self.session_id))
        return out

    def _tasks(self, frame: GatewayFrame) -> list[Event]:
        tasks = frame.payload.get("tasks")
        if not isinstance(tasks, list):
            raise MalformedEvent("tasks is not a list")
        return [_event(TasksUpdated, type="tasks.updated", sessionID=self.session_id, tasks=tasks)]

    def _loop_updated(self, frame: GatewayFrame) -> list[Event]:
        loop = frame.payload.get("loop")
        if not isinstance(loop, dict):
            raise MalformedEvent("loop is not an object")
        return [_event(RecurringLoopUpdated, type="loop.recurring.updated", sessionID=self.session_id, loop=loop)]

    def _loop_deleted(self, frame: GatewayFrame) -> list[Event]:
        loop_id = _text(frame.payload, "loop_id")
        if not loop_id:
            raise MalformedEvent("loop_id is missing")
        return [_event(RecurringLoopDeleted, type="loop.recurring.deleted", sessionID=self.session_id,
                       loop_id=loop_id)]


_HANDLERS = {
    "event.turn_started": SessionMapper._turn_started,
    "event.thinking": SessionMapper._thinking,
    "event.text_delta": SessionMapper._text_delta,
    "event.tool_call": SessionMapper._tool_call,
    "event.tool_result": SessionMapper._tool_result,
    "event.confirm_request": SessionMapper._confirm,
    "event.user_question": SessionMapper._question,
    "event.gate_resolved": SessionMapper._gate_resolved,
    "agent_done": SessionMapper._agent_done,
    "event.tasks_snapshot": SessionMapper._tasks,
    "event.loop_updated": SessionMapper._loop_updated,
    "event.loop_deleted": SessionMapper._loop_deleted,
}


def answers_of(answer: Any) -> Any:
    """An answer as the store reads one: text as is, ``{field: value}`` one group per field."""
    if isinstance(answer, dict):
        return [[f"{k}: {v}"] for k, v in answer.items()]
    if answer is None or isinstance(answer, str | list):
        return answer
    return str(answer)


def fold_messages(events: Iterable[Event]) -> list[MessageWithParts]:
    """Records folded into messages with their parts (oldest first), as a listing gives them."""
    infos: dict[str, Message] = {}
    parts: dict[str, dict[str, PartBase]] = {}
    for event in events:
        if isinstance(event, MessageUpdated):
            infos[event.info.id] = event.info
            parts.setdefault(event.info.id, {})
        elif isinstance(event, PartDelta):
            held = parts.get(event.message_id or "", {}).get(event.part_id)
            current = getattr(held, event.field_name, None) if held is not None else None
            if held is not None and isinstance(current, str):
                parts[event.message_id or ""][held.id] = held.model_copy(
                    update={event.field_name: current + event.delta})
        elif isinstance(event, PartUpdated):
            message_id = event.part.message_id or ""
            parts.setdefault(message_id, {})[event.part.id] = event.part
    return [MessageWithParts.model_validate({"info": info, "parts": list(parts.get(mid, {}).values())})
            for mid, info in infos.items()]
