"""A part's updates that a later one of the same read replaces are not parsed (issue 20),
and the store ends exactly as if every event had been applied.

The stream is read through the real path (an httpx response whose body arrives in the
generated reads, the frame reader, :class:`SseStream`) into the real :class:`EventPump`
and a :class:`WorkspaceStore`; the reference applies the same stream's events one at a
time (no superseding, as a headless ``events`` tail reads them) to another store.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoody_tui.api.events import Event
from hoody_tui.core.publications import Notice, StoreUpdated
from hoody_tui.core.pump import EventPump
from hoody_tui.events import Resync
from hoody_tui.events.items import Superseded
from hoody_tui.store import WorkspaceStore
from hoody_tui.store.state import Snapshot
from hoody_tui.store.superseding import PASSING_TYPES, plan_supersession

from .test_intake_equivalence import _client  # an httpx response whose body arrives in the given reads
from .test_properties import check_store_invariants
from .test_properties import events as store_events

sessions = st.sampled_from(["s1", "s2"])
messages = st.sampled_from(["m1", "m2", "m3"])
parts = st.sampled_from(["p1", "p2", "p3"])


def part_update(s: str, m: str, p: str, text: Any, kind: str = "text") -> dict[str, Any]:
    return {"type": "message.part.updated",
            "properties": {"part": {"id": p, "sessionID": s, "messageID": m, "type": kind, "text": text}}}


def delta(s: str, m: str, p: str, text: str) -> dict[str, Any]:
    return {"type": "message.part.delta",
            "properties": {"sessionID": s, "messageID": m, "partID": p, "field": "text", "delta": text}}


def status(s: str, kind: str = "busy") -> dict[str, Any]:
    return {"type": "session.status", "properties": {"sessionID": s, "status": {"type": kind}}}


frames = st.one_of(
    st.builds(part_update, sessions, messages, parts, st.text(max_size=4)),
    st.builds(part_update, sessions, messages, parts, st.text(max_size=4)),
    st.builds(part_update, sessions, messages, parts, st.text(max_size=4)),
    st.builds(delta, sessions, messages, parts, st.text(min_size=1, max_size=3)),
    # Malformed part updates: content the parser refuses, identity it cannot read.
    st.builds(part_update, sessions, messages, parts, st.sampled_from([{"not": "text"}, [1], 7])),
    st.builds(lambda s, p: {"type": "message.part.updated", "properties": {"part": {"id": p, "sessionID": s}}},
              sessions, parts),
    st.builds(lambda s, m, p: {"type": "message.part.updated",
                               "properties": {"part": {"id": p, "session_id": s, "messageId": m, "type": "tool",
                                                       "state": "running"}}}, sessions, messages, parts),
    st.builds(lambda s, m, p: {"type": "message.part.removed",
                               "properties": {"sessionID": s, "messageID": m, "partID": p}}, sessions, messages, parts),
    st.builds(lambda s, m: {"type": "message.updated",
                            "properties": {"info": {"id": m, "sessionID": s, "role": "assistant"}}}, sessions, messages),
    st.builds(status, sessions, st.sampled_from(["busy", "idle"])),
    st.just({"type": "future.event", "properties": {}}),
    st.just("not json"),
    st.just(""),  # a heartbeat (a blank data line)
    store_events,
)


def _body(read: list[Any]) -> bytes:
    out = []
    for payload in read:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(f"data: {data}\n\n")
    return "".join(out).encode()


def _store() -> WorkspaceStore:
    return WorkspaceStore(message_limit=2, background_limit=2, job_limit=1)


async def _listing() -> Snapshot:
    return Snapshot(sessions=[], statuses={}, permissions=[], questions=[])


async def _pumped(reads: list[bytes]) -> tuple[WorkspaceStore, Any, list[object]]:
    """The app's way: the pump over ``batches`` (it asks for superseding)."""
    store = _store()
    posted: list[object] = []
    async with _client(reads) as client:
        stream = client.events(reconnect=False)
        await EventPump(stream, store, posted.append, _listing).run()
        return store, stream.stats, posted


async def _one_by_one(reads: list[bytes]) -> tuple[WorkspaceStore, Any]:
    """Every event applied in order, as a tail reads them (no superseding)."""
    store = _store()
    async with _client(reads) as client:
        stream = client.events(reconnect=False)
        async for item in stream:
            assert not isinstance(item, Superseded)
            if isinstance(item, Resync):
                store.resync(await _listing())
            elif isinstance(item, Event):
                store.apply(item)
        return store, stream.stats


def state(store: WorkspaceStore) -> Any:
    """All the store holds that events change, in order."""
    return (
        {sid: [(mid, entry.info.model_dump(), [(pid, part.model_dump()) for pid, part in entry.parts.items()])
               for mid, entry in entries.items()] for sid, entries in store.messages.items()},
        {k: v.model_dump() for k, v in store.sessions.items()},
        {k: v.model_dump() for k, v in store.statuses.items()},
        [(k, v.model_dump()) for k, v in store.jobs.items()],
        sorted(store.permissions), sorted(store.questions),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=st.lists(frames, max_size=60), cuts=st.lists(st.integers(0, 60), max_size=6))
def test_the_store_ends_as_if_every_event_had_been_applied(payloads, cuts):
    bounds = sorted({0, len(payloads), *(c for c in cuts if c < len(payloads))})
    reads = [_body(payloads[a:b]) for a, b in itertools.pairwise(bounds)]
    pumped, stats, _ = asyncio.run(_pumped(reads))
    reference, reference_stats = asyncio.run(_one_by_one(reads))
    assert state(pumped) == state(reference)
    check_store_invariants(pumped)
    assert stats.events == reference_stats.events  # superseded ones are events received
    assert stats.heartbeats == reference_stats.heartbeats
    # Only a superseded update goes uncounted when malformed beyond its identity: it is
    # counted as applied (what it said was replaced), every other event as before.
    assert stats.malformed <= reference_stats.malformed
    assert pumped.events_applied + stats.malformed == reference.events_applied + reference_stats.malformed


def _reads(*reads: list[Any]) -> list[bytes]:
    return [_body(read) for read in reads]


def test_only_the_last_update_of_a_part_in_a_read_is_parsed_and_all_are_counted():
    read = [part_update("s1", "m1", "p1", "a"), status("s1"), part_update("s1", "m1", "p2", "x"),
            delta("s1", "m1", "p1", "b"), part_update("s1", "m1", "p1", "ab"),
            {"type": "job.updated", "properties": {"job": {"id": "j1", "sessionID": "s1", "status": "running"}}},
            part_update("s1", "m1", "p1", "abc"), part_update("s2", "m1", "p1", "other session")]
    store, stats, posted = asyncio.run(_pumped(_reads(read)))
    assert stats.superseded == 3 and stats.events == len(read)  # p1's delta and its two later updates
    assert store.events_applied == len(read)
    entry = store.messages["s1"]["m1"]
    assert [(pid, part.text) for pid, part in entry.parts.items()] == [("p1", "abc"), ("p2", "x")]  # first seen first
    assert store.messages["s2"]["m1"].parts["p1"].text == "other session"
    assert store.statuses["s1"].type == "busy" and "j1" in store.jobs
    assert [m.changes.messages for m in posted if isinstance(m, StoreUpdated) and not m.changes.resynced] == [
        {"s1", "s2"}]  # the read published once


def test_a_malformed_last_update_keeps_its_run_as_it_came():
    read = [part_update("s1", "m1", "p1", "good"), delta("s1", "m1", "p1", "!"), part_update("s1", "m1", "p1", {"not": "text"})]
    store, stats, posted = asyncio.run(_pumped(_reads(read)))
    assert stats.superseded == 0 and stats.malformed == 1
    assert store.messages["s1"]["m1"].parts["p1"].text == "good!"
    assert store.events_applied == 2
    assert [m.text for m in posted if isinstance(m, Notice)] == [
        "skipped a malformed event (message.part.updated: part.text.text: Input should be a valid string); "
        "more are counted in the status bar"]


def test_updates_in_different_reads_are_each_applied():
    store, stats, _ = asyncio.run(_pumped(_reads([part_update("s1", "m1", "p1", "a")],
                                                 [part_update("s1", "m1", "p1", "ab")])))
    assert stats.superseded == 0 and store.messages["s1"]["m1"].parts["p1"].text == "ab"


def test_what_ends_a_run():
    """A frame that could tell the difference ends the runs it could affect (by index)."""
    def runs(*payloads: Any) -> list[tuple[int, int, list[int]]]:
        return [(r.slot, r.last, r.dropped) for r in plan_supersession(payloads)]

    u = part_update
    assert runs(u("s", "m", "p", "a"), u("s", "m", "p", "b")) == [(0, 1, [1])]
    # Other parts, other sessions, passing types, blanks and bad frames pass.
    assert runs(u("s", "m", "p", "a"), u("s", "m", "q", "x"), u("t", "n", "p", "y"), status("s"), "?", None,
                u("s", "m", "p", "b")) == [(0, 6, [6])]
    # Another message of the same session ends that session's runs, not others'.
    assert runs(u("s", "m", "p", "a"), u("t", "m", "p", "a"), u("s", "n", "p", "x"), u("s", "m", "p", "b"),
                u("t", "m", "p", "b")) == [(1, 4, [4])]
    assert runs(u("s", "m", "p", "a"), {"type": "message.updated", "properties": {"info": {"id": "n", "sessionID": "s"}}},
                u("s", "m", "p", "b")) == []
    assert runs(u("s", "m", "p", "a"), {"type": "message.updated", "properties": {"info": {"id": "m", "sessionID": "s"}}},
                u("s", "m", "p", "b")) == [(0, 2, [2])]
    # Removals, unknown types and identities that cannot be read end every run.
    for barrier in ({"type": "message.part.removed", "properties": {"sessionID": "t", "partID": "z"}},
                    {"type": "session.deleted", "properties": {"info": {"id": "t"}}},
                    {"type": "future.event", "properties": {}}, {"type": "message.part.updated", "properties": {}},
                    u("s", "m", 5, "x"), {"properties": {}}):  # type: ignore[arg-type]
        assert runs(u("s", "m", "p", "a"), barrier, u("s", "m", "p", "b")) == [], barrier
    # Deltas before an update are replaced by it; after the last, they stay.
    assert runs(delta("s", "m", "p", "x"), u("s", "m", "p", "a"), delta("s", "m", "p", "b"),
                u("s", "m", "p", "ab"), delta("s", "m", "p", "c")) == [(1, 3, [0, 2, 3])]
    assert runs(u("s", "m", "p", "a"), delta("s", "m", "p", "b")) == []


def test_the_passing_types_never_touch_a_message():
    """Each passing type, applied to a store holding a message with a part, leaves it as it was."""
    from hoody_tui.api.events import EVENT_TYPES, parse_event

    passing = PASSING_TYPES
    assert passing - {"heartbeat"} <= EVENT_TYPES
    samples: dict[str, dict[str, Any]] = {
        "session.created": {"info": {"id": "s1", "title": "t"}}, "session.updated": {"info": {"id": "s1"}},
        "session.status": {"sessionID": "s1", "status": {"type": "busy"}}, "session.idle": {"sessionID": "s1"},
        "session.error": {"sessionID": "s1"}, "session.diff": {"sessionID": "s1"},
        "session.compacted": {"sessionID": "s1"},
        "permission.asked": {"id": "g1", "sessionID": "s1", "permission": "bash"},
        "permission.updated": {"id": "g2", "sessionID": "s1", "permission": "bash"},
        "permission.replied": {"sessionID": "s1", "requestID": "g1", "reply": "once"},
        "question.asked": {"id": "q1", "sessionID": "s1", "questions": []},
        "question.replied": {"sessionID": "s1", "requestID": "q1"},
        "question.rejected": {"sessionID": "s1", "requestID": "q1"},
        "todo.updated": {"sessionID": "s1", "todos": []},
        "loop.updated": {"sessionID": "s1", "loop": None},
    }
    for kind in sorted(passing - {"heartbeat"}):
        store = _store()
        store.apply(parse_event(part_update("s1", "m1", "p1", "kept")))
        before = state(store)[0]
        props = samples.get(kind) or (
            {"job": {"id": "j1", "sessionID": "s1", "status": "running"}} if kind.startswith("job.") else {})
        store.apply(parse_event({"type": kind, "properties": props}))
        assert state(store)[0] == before, kind


def test_a_tail_sees_every_event():
    read = [part_update("s1", "m1", "p1", "a"), part_update("s1", "m1", "p1", "ab")]
    reference, stats = asyncio.run(_one_by_one(_reads(read)))
    assert stats.superseded == 0 and reference.events_applied == 2


def test_a_malformed_frame_among_runs_is_still_reported():
    read = [part_update("s1", "m1", "p1", "a"), "not json", part_update("s1", "m1", "p1", "ab")]
    store, stats, posted = asyncio.run(_pumped(_reads(read)))
    assert stats.superseded == 1 and stats.malformed == 1
    assert store.messages["s1"]["m1"].parts["p1"].text == "ab"
    assert [type(m).__name__ for m in posted if isinstance(m, Notice)] == ["Notice"]
