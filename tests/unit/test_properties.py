"""Arbitrary input never crashes the parsers or corrupts the store (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hoody_tui.api import Event, MalformedEvent, parse_event, parse_message_stream_event
from hoody_tui.store import WorkspaceStore
from hoody_tui.text import neutralise

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

KNOWN_TYPES = [
    "session.created", "session.updated", "session.deleted", "session.status", "session.idle", "session.error",
    "message.updated", "message.removed", "message.part.updated", "message.part.removed", "permission.asked",
    "permission.replied", "question.asked", "question.replied", "job.updated", "loop.updated", "todo.updated",
    "vcs.branch.updated", "server.connected", "nonsense.kind",
]


@settings(max_examples=400, deadline=None)
@given(payload=json_values)
def test_any_json_is_an_event_or_a_clean_refusal(payload):
    try:
        event = parse_event(payload)
    except MalformedEvent as exc:
        assert str(exc)
    else:
        assert isinstance(event, Event)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(KNOWN_TYPES), props=st.dictionaries(
    st.sampled_from(["sessionID", "info", "part", "id", "status", "job", "loop", "requestID", "messageID", "partID",
                     "todos", "branch", "patterns", "permission", "questions", "error", "delta"]),
    json_values, max_size=6))
def test_known_types_with_arbitrary_properties(kind, props):
    try:
        parse_event({"type": kind, "properties": props})
    except MalformedEvent:
        pass


@settings(max_examples=200, deadline=None)
@given(payload=json_values)
def test_message_stream_frames(payload):
    try:
        parse_message_stream_event(payload)
    except MalformedEvent:
        pass


ids = st.sampled_from(["s1", "s2", "s3"])
mids = st.sampled_from(["m1", "m2"])
gates = st.sampled_from(["g1", "g2", "g3"])
events = st.one_of(
    st.builds(lambda s: {"type": "session.created", "properties": {"info": {"id": s, "title": s}}}, ids),
    st.builds(lambda s: {"type": "session.deleted", "properties": {"info": {"id": s}}}, ids),
    st.builds(lambda s, t: {"type": "session.status", "properties": {"sessionID": s, "status": {"type": t}}},
              ids, st.sampled_from(["idle", "busy", "retry"])),
    st.builds(lambda s, m: {"type": "message.updated", "properties": {"info": {"id": m, "sessionID": s, "role": "assistant"}}}, ids, mids),
    st.builds(lambda s, m, p, t: {"type": "message.part.updated", "properties": {
        "part": {"id": p, "sessionID": s, "messageID": m, "type": "text", "text": t}}},
        ids, mids, st.sampled_from(["p1", "p2"]), st.text(max_size=5)),
    st.builds(lambda s, m: {"type": "message.removed", "properties": {"sessionID": s, "messageID": m}}, ids, mids),
    st.builds(lambda s, g: {"type": "permission.asked", "properties": {"id": g, "sessionID": s, "permission": "bash"}}, ids, gates),
    st.builds(lambda s, g: {"type": "permission.replied", "properties": {"sessionID": s, "requestID": g, "reply": "once"}}, ids, gates),
    st.builds(lambda s, g: {"type": "question.asked", "properties": {"id": "q" + g, "sessionID": s, "questions": []}}, ids, gates),
    st.builds(lambda s, g: {"type": "question.rejected", "properties": {"sessionID": s, "requestID": "q" + g}}, ids, gates),
    st.builds(lambda s, j: {"type": "job.updated", "properties": {"job": {"id": j, "sessionID": s, "status": "running"}}},
              ids, st.sampled_from(["j1", "j2"])),
)


@settings(max_examples=300, deadline=None)
@given(sequence=st.lists(events, max_size=40))
def test_store_invariants_hold_for_any_event_sequence(sequence):
    store = WorkspaceStore(message_limit=5)
    for raw in sequence:
        store.apply(parse_event(json.loads(json.dumps(raw))))
        # Gates: the ordering index knows exactly the pending gates.
        assert set(store.gate_seq) == set(store.permissions) | set(store.questions)
        assert [g.id for g in store.gates_in_order()] == sorted(store.gate_seq, key=store.gate_seq.get)
        # No idle status is stored; no session holds more messages than its bound.
        assert all(s.type != "idle" for s in store.statuses.values())
        assert all(len(m) <= 5 for m in store.messages.values())
        assert store.busy_count() == len(store.statuses)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_neutralised_text_holds_no_control_characters(text):
    clean = neutralise(text)
    assert all(ch in "\n\t" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0) for ch in clean)
    assert len(clean) == len(text)
