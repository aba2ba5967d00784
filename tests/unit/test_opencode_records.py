"""What the opencode backend adds to the records and the store, without a server:
``message.part.delta`` text, a turn that ends with a gate still listed, and the listing
rule that drops such gates. (The backend against the real binary: tests/opencode.)"""

from __future__ import annotations

from pathlib import Path

from hoody_tui.api import parse_event
from hoody_tui.api.events import PartDelta, TurnEnded
from hoody_tui.api.messages import TextPart
from hoody_tui.api.permissions import PermissionRequest
from hoody_tui.api.questions import Question
from hoody_tui.api.sessions import Session, SessionStatus
from hoody_tui.backends import KINDS, Connection, MissingWorkspace, create
from hoody_tui.backends.opencode import CAPABILITIES, OpencodeBackend
from hoody_tui.backends.opencode.backend import live_gates
from hoody_tui.core.backend import Backend
from hoody_tui.core.publications import Notice, StoreUpdated
from hoody_tui.core.service import WorkspaceService
from hoody_tui.gates.audit import AuditLog
from hoody_tui.store.state import Snapshot, WorkspaceStore

from ..fakes import FakeBackend


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


def _text_part(text: str = "") -> dict:
    return {"id": "prt_1", "sessionID": "ses_1", "messageID": "msg_1", "type": "text", "text": text}


def test_a_delta_appends_to_the_part_it_names():
    store = WorkspaceStore()
    store.apply(ev("message.updated", sessionID="ses_1", info={"id": "msg_1", "sessionID": "ses_1", "role": "assistant"}))
    store.apply(ev("message.part.updated", sessionID="ses_1", part=_text_part("Hel")))
    delta = ev("message.part.delta", sessionID="ses_1", messageID="msg_1", partID="prt_1", field="text", delta="lo")
    assert isinstance(delta, PartDelta)
    changes = store.apply(delta)
    store.apply(ev("message.part.delta", sessionID="ses_1", messageID="msg_1", partID="prt_1", field="text",
                   delta=", world"))
    part = store.messages["ses_1"]["msg_1"].parts["prt_1"]
    assert isinstance(part, TextPart) and part.text == "Hello, world"
    assert changes.messages == {"ses_1"}


def test_a_delta_for_a_part_not_held_changes_nothing():
    store = WorkspaceStore()
    changes = store.apply(ev("message.part.delta", sessionID="ses_1", messageID="msg_9", partID="prt_9",
                             field="text", delta="x"))
    assert not changes and "ses_1" not in store.messages
    # a field that is not text on that part is not invented either
    store.apply(ev("message.part.updated", sessionID="ses_1", part=_text_part("a")))
    assert not store.apply(ev("message.part.delta", sessionID="ses_1", messageID="msg_1", partID="prt_1",
                              field="nope", delta="x"))


def _permission(gate_id: str, session_id: str) -> PermissionRequest:
    return PermissionRequest.model_validate({"id": gate_id, "sessionID": session_id, "permission": "bash",
                                             "patterns": ["rm -rf build"], "metadata": {"command": "rm -rf build"}})


def _question(gate_id: str, session_id: str) -> Question:
    return Question.model_validate({"id": gate_id, "sessionID": session_id,
                                    "questions": [{"question": "Which?", "options": [{"label": "a"}]}]})


def test_a_turn_that_ends_drops_that_sessions_gates_and_says_how():
    store = WorkspaceStore()
    store.resync(Snapshot([Session(id="ses_1"), Session(id="ses_2")],
                          {"ses_1": SessionStatus(type="busy"), "ses_2": SessionStatus(type="busy")},
                          [_permission("per_1", "ses_1"), _permission("per_2", "ses_2")], [_question("que_1", "ses_1")]))
    changes = store.apply(TurnEnded(type="turn.ended", sessionID="ses_1"))
    assert set(store.permissions) == {"per_2"} and not store.questions
    assert {gate_id: gone.how for gate_id, gone in changes.gone.items()} == {"per_1": "turn-ended", "que_1": "turn-ended"}
    assert store.status("ses_1").type == "idle" and store.status("ses_2").type == "busy"


def test_a_listing_keeps_only_the_gates_of_running_sessions():
    snapshot = live_gates(Snapshot(
        [Session(id="ses_1"), Session(id="ses_2")], {"ses_2": SessionStatus(type="busy")},
        [_permission("per_aborted", "ses_1"), _permission("per_live", "ses_2")],
        [_question("que_aborted", "ses_1"), _question("que_live", "ses_2")],
    ))
    assert [p.id for p in snapshot.permissions] == ["per_live"]
    assert [q.id for q in snapshot.questions] == ["que_live"]


def test_the_person_is_told_a_gate_was_dropped_when_its_turn_ended(tmp_path: Path):
    backend = FakeBackend()
    backend.add_session("s1", "Clean the build")
    published: list = []
    service = WorkspaceService(backend, audit=AuditLog(tmp_path / "audit.jsonl"), publish=published.append,
                               clock=lambda: 1.0)
    service.received(StoreUpdated(service.store.apply(ev("permission.asked", id="per_1", sessionID="s1",
                                                         permission="bash", patterns=["rm -rf build"],
                                                         metadata={"command": "rm -rf build"}))))
    service.received(StoreUpdated(service.store.apply(TurnEnded(type="turn.ended", sessionID="s1"))))
    notices = [p.text for p in published if isinstance(p, Notice)]
    assert any(text.startswith("Dropped, the turn ended") and "rm -rf build" in text for text in notices), notices
    audit = (tmp_path / "audit.jsonl").read_text()
    assert "the session's turn ended" in audit and "per_1" in audit


def test_opencode_is_a_backend_without_jobs_loops_or_agent_runs():
    backend = create(Connection("http://127.0.0.1:4096", backend="opencode"))
    assert isinstance(backend, OpencodeBackend) and isinstance(backend, Backend)
    assert "opencode" in KINDS and backend.kind == "opencode"
    assert (CAPABILITIES.jobs, CAPABILITIES.loops, CAPABILITIES.cli_agent, CAPABILITIES.summary) == (False, "none", False, False)
    assert CAPABILITIES.abort and CAPABILITIES.todo and CAPABILITIES.diff and CAPABILITIES.questions
    assert "Without a message the agent's turn stops" in CAPABILITIES.reject_note()
    assert "password" not in repr(backend) or "password=none" in repr(backend)


def test_the_password_never_shows_in_a_repr():
    backend = create(Connection("http://127.0.0.1:4096", "/home/dev/proj", "s3cret-pw", backend="opencode"))
    assert "s3cret-pw" not in repr(backend) and "s3cret-pw" not in repr(backend.client.http.auth)  # type: ignore[attr-defined]
    assert "password=set" in repr(backend)


def test_the_workspace_api_without_a_workspace_is_a_clear_error():
    try:
        create(Connection("http://127.0.0.1:4096", backend="hoody"))
    except MissingWorkspace as exc:
        assert "HOODY_WORKSPACE" in str(exc)
    else:
        raise AssertionError("expected MissingWorkspace")
