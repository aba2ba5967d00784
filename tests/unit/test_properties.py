"""Arbitrary input never crashes the parsers or corrupts the store (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hoody_tui.api import Event, MalformedEvent, parse_event, parse_message_stream_event
from hoody_tui.store import WorkspaceStore
from hoody_tui.text import INVISIBLE, markup_literal, neutralise, one_line, safe_text, shorten

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
    st.builds(lambda s, j, status: {"type": "job.updated", "properties": {"job": {"id": j, "sessionID": s, "status": status}}},
              ids, st.sampled_from(["j1", "j2", "j3"]), st.sampled_from(["running", "completed", "failed"])),
    # A job event with only some fields: the rest is kept from the job held.
    st.builds(lambda j, percent: {"type": "job.updated", "properties": {"job": {"id": j, "progress": {"percent": percent}}}},
              st.sampled_from(["j1", "j2", "j3"]), st.integers(0, 100)),
)


def check_store_invariants(store: WorkspaceStore) -> None:
    """What must hold after any events, in any order (also used by the SSE property tests)."""
    # Gates: the ordering index knows exactly the pending gates.
    assert set(store.gate_seq) == set(store.permissions) | set(store.questions)
    order = [store.gate_seq[g.id] for g in store.gates_in_order()]
    assert order == sorted(order) and len(order) == len(store.permissions) + len(store.questions)
    # Tables are keyed by their items' own ids.
    assert all(k == v.id for table in (store.sessions, store.permissions, store.questions, store.jobs)
               for k, v in table.items())
    # No idle status is stored; no session holds more messages than its bound.
    assert all(s.type != "idle" for s in store.statuses.values())
    assert all(len(m) <= store.message_limits.get(sid, store.message_limit) for sid, m in store.messages.items())
    assert all(entry.info.id == mid and all(pid == part.id for pid, part in entry.parts.items())
               for entries in store.messages.values() for mid, entry in entries.items())
    assert store.busy_count() == len(store.statuses)
    # The counts the status bar shows agree with the tables.
    assert store.active_jobs() == sum(1 for j in store.jobs.values() if not j.is_terminal)
    for sid in {g.session_id or "" for g in [*store.permissions.values(), *store.questions.values()]}:
        assert store.gate_count(sid) == sum(1 for g in [*store.permissions.values(), *store.questions.values()]
                                            if (g.session_id or "") == sid)


@settings(max_examples=300, deadline=None)
@given(sequence=st.lists(events, max_size=40))
def test_store_invariants_hold_for_any_event_sequence(sequence):
    store = WorkspaceStore(message_limit=5, job_limit=1)
    for raw in sequence:
        store.apply(parse_event(json.loads(json.dumps(raw))))
        check_store_invariants(store)


# Text with many control, bidi and zero-width characters, and markup brackets.
hostile_text = st.text(
    alphabet=st.characters() | st.sampled_from(
        ["\x1b", "\x07", "\x9b", "\x90", "\x9c", "\r", "\n", "\t", "[", "]", "/", "\\", "=", *map(chr, INVISIBLE)]),
    max_size=60,
)


def _inert(ch: str) -> bool:
    code = ord(ch)
    return not (code < 0x20 or 0x7F <= code < 0xA0 or code in INVISIBLE)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_neutralised_text_holds_no_control_characters(text):
    clean = neutralise(text)
    assert all(ch in "\n\t" or _inert(ch) for ch in clean)
    assert len(clean) == len(text)  # one for one: spans laid over the text stay in place
    assert neutralise(clean) == clean
    assert all(_inert(ch) for ch in one_line(text))
    short = shorten(text, 20)
    assert len(short) <= 20 and all(_inert(ch) for ch in short)


@settings(max_examples=200, deadline=None)
@given(text=hostile_text, styled=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=4))
def test_safe_text_keeps_the_styles_on_the_same_characters(text, styled):
    from rich.text import Text

    rich = Text()
    rich.append(text)
    for start, end in styled:
        rich.stylize("bold", start, end)
    safe = safe_text(rich)
    assert all(ch in "\n\t" or _inert(ch) for ch in safe.plain)
    assert len(safe.plain) == len(rich.plain) and safe.spans == rich.spans
    assert safe_text(text).plain == neutralise(text)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_markup_literal_reads_back_as_the_same_characters(text):
    """For the command palette, which only takes markup: never a style, a link or a MarkupError."""
    from textual.content import Content

    content = Content.from_markup(markup_literal(text))
    assert content.plain == one_line(text)
    assert not content.spans
