"""Events parse into typed classes; unknown types are kept raw; bad payloads are refused cleanly."""

from __future__ import annotations

import pytest

from hoody_tui.api import (
    EVENT_TYPES,
    JobUpdated,
    LoopUpdated,
    MalformedEvent,
    MessageStreamDone,
    MessageStreamPartUpdated,
    MessageStreamSnapshot,
    PartUpdated,
    PermissionAsked,
    PermissionReplied,
    QuestionAsked,
    SessionIdle,
    SessionStatusChanged,
    SessionUpdated,
    UnknownEvent,
    parse_cli_agent_event,
    parse_event,
    parse_message_stream_event,
)
from hoody_tui.api.cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot


def test_documented_session_idle():
    event = parse_event({"type": "session.idle", "properties": {"sessionID": "01HXYZSESSIONID0000000000"}})
    assert isinstance(event, SessionIdle) and event.session_id == "01HXYZSESSIONID0000000000"


def test_permission_asked_properties_are_the_request():
    event = parse_event({"type": "permission.asked", "properties": {"id": "per_1", "sessionID": "s", "permission": "bash", "patterns": ["ls"], "always": ["ls *"]}})
    assert isinstance(event, PermissionAsked)
    assert event.request.id == "per_1" and event.request.always == ["ls *"]


def test_legacy_permission_events():
    asked = parse_event({"type": "permission.updated", "properties": {"id": "per_1", "type": "bash", "pattern": "ls", "sessionID": "s"}})
    assert isinstance(asked, PermissionAsked) and asked.request.permission == "bash"
    replied = parse_event({"type": "permission.replied", "properties": {"sessionID": "s", "permissionID": "per_1", "response": "once"}})
    assert isinstance(replied, PermissionReplied) and (replied.request_id, replied.reply) == ("per_1", "once")


def test_session_status_string_or_object():
    a = parse_event({"type": "session.status", "properties": {"sessionID": "s", "status": {"type": "busy"}}})
    b = parse_event({"type": "session.status", "properties": {"sessionID": "s", "status": "busy"}})
    assert isinstance(a, SessionStatusChanged) and a.status.type == b.status.type == "busy"


def test_session_created_and_part_delta():
    created = parse_event({"type": "session.created", "properties": {"info": {"id": "s", "title": "t"}}})
    assert isinstance(created, SessionUpdated) and created.info.title == "t"
    part = parse_event({"type": "message.part.updated", "properties": {"part": {"id": "p", "type": "text", "text": "Hel"}, "delta": "l"}})
    assert isinstance(part, PartUpdated) and part.delta == "l"


@pytest.mark.parametrize("kind", ["job.updated", "job.created", "job.progress", "job.completed"])
def test_job_events_wrapped_or_bare(kind):
    wrapped = parse_event({"type": kind, "properties": {"job": {"id": "j", "status": "running"}}})
    bare = parse_event({"type": kind, "properties": {"id": "j", "status": "running"}})
    assert isinstance(wrapped, JobUpdated) and isinstance(bare, JobUpdated)
    assert wrapped.job.id == bare.job.id == "j"


def test_loop_updated_null_means_ended():
    event = parse_event({"type": "loop.updated", "properties": {"sessionID": "s", "loop": None}})
    assert isinstance(event, LoopUpdated) and event.loop is None


def test_question_asked():
    event = parse_event({"type": "question.asked", "properties": {"id": "que_1", "sessionID": "s", "questions": [{"question": "?", "options": []}]}})
    assert isinstance(event, QuestionAsked) and event.question.id == "que_1"


def test_unknown_type_kept_raw():
    event = parse_event({"type": "lsp.quantum.flux", "properties": {"x": [1]}})
    assert isinstance(event, UnknownEvent) and event.properties == {"x": [1]}


def test_type_from_sse_event_name_when_json_has_none():
    event = parse_event({"properties": {"sessionID": "s"}}, sse_event="session.idle")
    assert isinstance(event, SessionIdle)


def test_every_catalogue_type_has_a_class():
    for kind in ["server.connected", "session.created", "session.updated", "session.deleted", "session.status",
                 "session.idle", "session.error", "message.updated", "message.removed", "message.part.updated",
                 "message.part.removed", "permission.asked", "permission.replied", "question.asked",
                 "question.replied", "question.rejected", "todo.updated", "job.updated", "loop.updated",
                 "vcs.branch.updated", "server.instance.disposed", "session.diff", "session.compacted",
                 "lsp.client.diagnostics", "lsp.updated", "server.heartbeat"]:
        assert kind in EVENT_TYPES


@pytest.mark.parametrize(
    "payload",
    [[], "x", 3, None, {"properties": {}}, {"type": 5}, {"type": "session.idle", "properties": []},
     {"type": "session.idle", "properties": {}}, {"type": "permission.asked", "properties": {"sessionID": "s"}},
     {"type": "message.part.updated", "properties": {"part": {"type": "text"}}}],
)
def test_malformed_payloads_raise_malformed_event(payload):
    with pytest.raises(MalformedEvent):
        parse_event(payload)


def test_message_stream_sequence_from_seed_000():
    snap = parse_message_stream_event({"type": "snapshot", "message": {"id": "msg_01HXYZ...", "role": "assistant", "time": {"created": 1700000000000}}, "parts": []})
    part = parse_message_stream_event({"type": "part.updated", "part": {"id": "prt_01HX...", "type": "text", "text": "Let me think..."}})
    done = parse_message_stream_event({"type": "done", "message": {"id": "msg_01HXYZ...", "time": {"completed": 1700000005000}}})
    assert isinstance(snap, MessageStreamSnapshot) and snap.message.info.role == "assistant"
    assert isinstance(part, MessageStreamPartUpdated) and part.part.text == "Let me think..."
    assert isinstance(done, MessageStreamDone) and done.message.is_complete


def test_cli_agent_sequence_from_seed_000():
    snap = parse_cli_agent_event({"type": "snapshot", "job": {"id": "job_01H...", "status": "running", "progress": {"message": "Reading files...", "percent": 20}}})
    prog = parse_cli_agent_event({"type": "progress", "message": "Analyzing test output", "percent": 55})
    done = parse_cli_agent_event({"type": "complete", "job": {"id": "job_01H...", "status": "completed", "output": "Found the issue: ..."}})
    assert isinstance(snap, CliAgentSnapshot) and snap.job.percent == 20
    assert isinstance(prog, CliAgentProgress) and prog.percent == 55
    assert isinstance(done, CliAgentComplete) and done.job.output.startswith("Found")
