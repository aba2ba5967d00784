"""Arbitrary bytes on the event stream never crash the worker or corrupt the store (issue #7, part 2).

The bytes go through the real path: a real HTTP server (``hoody_tui.refserver.raw``,
uvicorn on 127.0.0.1) sends exactly the generated chunks, and the client reads them
with :class:`SseStream` (httpx, httpx-sse, our frame reader) into the
:class:`EventPump` and a :class:`WorkspaceStore`. Over TCP the chunks may arrive
merged, so the same properties are also checked with the chunks handed to the same
reader in memory (an ``httpx.Response`` over those chunks), where every split (inside
a UTF-8 character, between CR and LF) is exactly the generated one.

What must hold, for any input:

- nothing raises out of the stream or the pump; the stream ends with one final
  ``ConnectionState`` and the pump returns;
- every complete, valid frame is delivered exactly once and in order; a frame whose
  data is not an event becomes one ``Malformed`` item (and one notice); comments,
  ``retry:``/``id:``-only frames, heartbeats and an unfinished last frame deliver nothing;
- the store ends exactly as if the valid events had been applied directly, and its
  invariants hold (``check_store_invariants``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hoody_tui.api import Event, MalformedEvent, parse_event
from hoody_tui.api.errors import HoodyError
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.core.publications import ConnectionUpdated, Notice, StoreUpdated, StreamCounts
from hoody_tui.core.pump import EventPump
from hoody_tui.events import Backoff, ConnectionState, Malformed, Resync, SseStream
from hoody_tui.refserver.raw import start_raw_server
from hoody_tui.store import WorkspaceStore
from hoody_tui.store.state import Snapshot

from .test_properties import check_store_invariants, json_values
from .test_properties import events as store_events

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BOM = "\ufeff"

# --- frames ----------------------------------------------------------------------------

eols = st.sampled_from(["\n", "\r", "\r\n"])
# Text for titles and event ids: controls, separators SSE must not split on (NEL,
# U+2028), non-ASCII, quotes and backslashes; never CR or LF (those end a line).
field_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))
    | st.sampled_from(["\x00", "\x1b", "\x85", "\u2028", "\ufeff", "é", "\"", "\\", ":", " "]),
    max_size=12,
)


@st.composite
def valid_events(draw) -> dict:
    """An event payload the store understands, or an unknown kind (passed through)."""
    raw = draw(store_events | st.builds(
        lambda s, title: {"type": "session.updated", "properties": {"info": {"id": s, "title": title}}},
        st.sampled_from(["s1", "s2", "s3"]), field_text,
    # 64-bit integers: orjson (the stream's parser) reads a larger one as a float, which
    # is a fine reading of such a number but not equal to the int the test wrote.
    ) | st.builds(lambda n: {"type": "brand.new.kind", "properties": {"n": n}}, st.integers(-(2**63), 2**63 - 1)))
    return json.loads(json.dumps(raw))


@st.composite
def valid_frame(draw) -> tuple[str, dict, str | None]:
    """``(wire text, payload, id or None)`` of one well-formed event frame."""
    payload = draw(valid_events())
    eol = draw(eols)
    fields: list[str] = []
    if draw(st.booleans()):
        fields.append(":" + draw(field_text))
    event_id = draw(st.none() | field_text.filter(lambda t: t and "\x00" not in t))
    if event_id is not None:
        fields.append(f"id: {event_id}")
    if draw(st.booleans()):
        fields.append(draw(st.sampled_from(["event: message", "event:message", "event: x.y"])))
    if draw(st.booleans()):
        fields.append(f"retry: {draw(st.integers(0, 10**6))}")
    # One data line, or the JSON spread over several (joined again with "\n"); the
    # other fields before, between or after them.
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    data = [draw(st.sampled_from(["data: ", "data:"])) + part for part in text.split("\n")]
    lines = data
    for field in draw(st.permutations(fields)):
        at = draw(st.integers(0, len(lines)))
        lines = [*lines[:at], field, *lines[at:]]
    return eol.join(lines) + eol + eol, payload, event_id


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


@st.composite
def malformed_frame(draw) -> str:
    """A frame whose data is not an event: not JSON, JSON but not an object, or no type."""
    eol = draw(eols)
    data = draw(st.one_of(
        field_text.filter(lambda t: t.strip() and _not_json(t)),
        st.sampled_from(['{"type": "session.created"', "[1, 2]", "42", '"text"', "null", '{"properties": {}}',
                         '{"type": "session.created", "properties": []}', "{'single': 'quotes'}", "\x00"]),
        json_values.filter(lambda v: not isinstance(v, dict)).map(json.dumps),
    ))
    return f"data: {data}{eol}{eol}"


@st.composite
def ignored_frame(draw) -> tuple[str, str | None]:
    """A frame that delivers nothing: a comment block, a heartbeat, an id or retry alone."""
    eol = draw(eols)
    event_id = draw(field_text.filter(lambda t: t and "\x00" not in t))
    kind = draw(st.sampled_from(["comment", "heartbeat-type", "heartbeat-event", "id", "retry", "blank-data"]))
    text = {
        "comment": f": keep-alive {event_id}{eol}{eol}",
        "heartbeat-type": f'data: {{"type": "server.heartbeat", "properties": {{}}}}{eol}{eol}',
        "heartbeat-event": f"event: heartbeat{eol}data: {event_id}{eol}{eol}",
        "id": f"id: {event_id}{eol}{eol}",
        "retry": f"retry: 5000{eol}{eol}",
        "blank-data": f"data:{eol}data:   {eol}{eol}",
    }[kind]
    return text, event_id if kind == "id" else None


@st.composite
def streams(draw) -> dict:
    """A whole stream: frames of the three kinds in any order, maybe a BOM first and an
    unfinished frame last; what the client must deliver."""
    frames = draw(st.lists(st.one_of(
        valid_frame().map(lambda f: ("valid", f)),
        malformed_frame().map(lambda f: ("malformed", f)),
        ignored_frame().map(lambda f: ("ignored", f)),
    ), max_size=12))
    text = BOM if draw(st.booleans()) else ""
    expected: list[dict] = []
    malformed = 0
    last_id: str | None = None
    for kind, frame in frames:
        if kind == "valid":
            wire, payload, event_id = frame
            expected.append(payload)
            last_id = event_id if event_id is not None else last_id
        elif kind == "malformed":
            wire = frame
            malformed += 1
        else:
            wire, event_id = frame
            last_id = event_id if event_id is not None else last_id
        text += wire
    long_line = draw(st.sampled_from([0, 0, 0, 70_000]))
    if long_line:  # a very long frame (a big tool output) among the rest
        payload = {"type": "session.updated", "properties": {"info": {"id": "s9", "title": "x" * long_line}}}
        text += f"data: {json.dumps(payload)}\n\n"
        expected.append(payload)
    if draw(st.booleans()):  # the connection ends in the middle of a frame: never delivered
        text += draw(st.sampled_from(['data: {"type": "session.deleted", "properties": {"info": {"id": "s1"}}}',
                                      "data: half", "id: unfinished\ndata: {}"]))
    return {"text": text, "expected": expected, "malformed": malformed, "last_id": last_id}


@st.composite
def chunked(draw, data: bytes) -> list[bytes]:
    """``data`` cut at arbitrary byte offsets (inside characters, between CR and LF)."""
    if not data:
        return []
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=min(30, len(data)))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# Token soup for arbitrary-byte streams: fragments of SSE and JSON, line ends, a BOM,
# NULs, bytes that are not UTF-8 and cut UTF-8 sequences, among random bytes.
TOKENS = [b"data:", b"data: ", b"event:", b"event: heartbeat", b"id:", b"id: 7", b"retry:", b"retry: x", b":", b"\n",
          b"\r", b"\r\n", b"\n\n", b"{", b"}", b"[", b"]", b'"type"', b'"session.created"', b'"properties"',
          b'"info"', b'{"id": "s1"}', b":", b",", b'"', b"\\", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xfe", b"\xe2\x82",
          b"\xc3", b"\x1b[2J", b"\x1b]52;c;ZXZpbA==\x07", b"\xc2\x85", b"\xe2\x80\xa8", b" " * 5000,
          b'{"type": "session.created", "properties": {"info": {"id": "s2", "title": "t"}}}']
soup = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=16), max_size=40).map(b"".join)


# --- running the real path ------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_server():
    server = start_raw_server()
    yield server
    server.stop()


def _empty_snapshot() -> Snapshot:
    return Snapshot(sessions=[], statuses={}, permissions=[], questions=[])


class Run:
    """One stream read to its end through SseStream and the EventPump into a store."""

    def __init__(self, items: list, posted: list, store: WorkspaceStore, stream: SseStream) -> None:
        self.items = items
        self.posted = posted
        self.store = store
        self.stream = stream

    @property
    def events(self) -> list[Event]:
        return [i for i in self.items if isinstance(i, Event)]

    @property
    def malformed(self) -> list[Malformed]:
        return [i for i in self.items if isinstance(i, Malformed)]


async def _pump(source, stream: SseStream) -> Run:
    items: list = []

    async def recorded():
        async for item in source:
            items.append(item)
            yield item

    store = WorkspaceStore(message_limit=5)
    posted: list = []

    async def snapshot() -> Snapshot:
        return _empty_snapshot()

    await asyncio.wait_for(EventPump(recorded(), store, posted.append, snapshot).run(), 60)
    return Run(items, posted, store, stream)


def read_over_http(server, chunks: list[bytes], *, direct: bool = True, **options) -> Run:
    """The stream read from ``server`` straight off its socket (the default for a plain
    ``http`` server), or with ``direct=False`` through httpx (a client given a transport)."""
    path = server.add(chunks)

    async def main() -> Run:
        transport = None if direct else httpx.AsyncHTTPTransport()
        async with HoodyClient(server.url, "w", api_prefix="/api/v1", transport=transport) as client:
            async def where() -> str:
                return path

            options.setdefault("reconnect", False)
            stream = SseStream(client, where, parse_event, heartbeat_timeout=30, description="raw stream", **options)
            return await _pump(stream, stream)

    return asyncio.run(main())


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk


def read_in_memory(chunks: list[bytes]) -> Run:
    """The same reader as the stream's connection (``SseStream._read``), over an httpx
    response whose body arrives in exactly these chunks."""

    async def main() -> Run:
        client = HoodyClient("http://127.0.0.1:9", "w")
        stream = SseStream(client, None, parse_event, description="in-memory stream")  # type: ignore[arg-type]
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Chunks(chunks))

        async def source():
            yield Resync()
            async for item in stream._read(response):
                yield item

        try:
            return await _pump(source(), stream)
        finally:
            await client.aclose()

    return asyncio.run(main())


def applied_directly(payloads: list[dict]) -> WorkspaceStore:
    store = WorkspaceStore(message_limit=5)
    store.apply_many(parse_event(p) for p in payloads)
    return store


def same_state(a: WorkspaceStore, b: WorkspaceStore) -> None:
    assert a.sessions == b.sessions
    assert a.statuses == b.statuses
    assert a.permissions == b.permissions and a.questions == b.questions
    assert list(a.gates_in_order()) == list(b.gates_in_order())
    assert a.jobs == b.jobs
    assert {s: {m: (e.info, e.parts) for m, e in ms.items()} for s, ms in a.messages.items()} == \
        {s: {m: (e.info, e.parts) for m, e in ms.items()} for s, ms in b.messages.items()}


def check_run(run: Run, *, over_http: bool) -> None:
    """What holds for any input: the stream's shape, the pump's notices, the store."""
    items = run.items
    if over_http:
        assert items[0] == ConnectionState("connecting")
        assert items[1] == ConnectionState("live") and items[2] == Resync(reconnect=False)
        assert isinstance(items[-1], ConnectionState) and items[-1].final
        assert not any(isinstance(i, ConnectionState) for i in items[3:-1])
    assert all(isinstance(i, (Event, Malformed, ConnectionState, Resync)) for i in items)
    assert all(isinstance(m.reason, str) and m.reason for m in run.malformed)
    # Malformed frames are counted (the status bar's figure) and said at most once a
    # minute: the first at once, the others summed up later.
    notices = [m for m in run.posted if isinstance(m, Notice)]
    assert len(notices) == min(1, len(run.malformed)) and len(run.malformed) == run.stream.stats.malformed
    counts = [m for m in run.posted if isinstance(m, StreamCounts)]
    assert (counts[-1].malformed if counts else 0) == len(run.malformed)
    assert run.stream.stats.events == len(run.events)
    assert all(isinstance(m, (StoreUpdated, Notice, ConnectionUpdated, StreamCounts)) for m in run.posted)
    check_store_invariants(run.store)


def check_delivery(run: Run, case: dict) -> None:
    """Exactly the valid frames, once each, in order; one Malformed per bad frame."""
    assert run.events == [parse_event(p) for p in case["expected"]]
    assert len(run.malformed) == case["malformed"]
    assert run.stream.stats.last_event_id == case["last_id"]
    same_state(run.store, applied_directly(case["expected"]))


# --- the properties ----------------------------------------------------------------------


@SETTINGS
@given(case=streams(), data=st.data())
def test_valid_frames_arrive_once_in_order_over_http(raw_server, case, data):
    chunks = data.draw(chunked(case["text"].encode("utf-8")))
    for direct in (True, False):  # read straight off the socket, and through httpx
        run = read_over_http(raw_server, chunks, direct=direct)
        check_run(run, over_http=True)
        check_delivery(run, case)


@SETTINGS
@given(case=streams(), data=st.data())
def test_valid_frames_arrive_once_in_order_whatever_the_chunks(case, data):
    chunks = data.draw(chunked(case["text"].encode("utf-8")))
    run = read_in_memory(chunks)
    check_run(run, over_http=False)
    check_delivery(run, case)


@SETTINGS
@given(junk=st.binary(max_size=400) | soup, data=st.data())
def test_arbitrary_bytes_never_crash_the_stream_or_the_store(raw_server, junk, data):
    chunks = data.draw(chunked(junk))
    direct = read_over_http(raw_server, chunks)
    check_run(direct, over_http=True)
    through_httpx = read_over_http(raw_server, chunks, direct=False)
    assert direct.items == through_httpx.items  # whichever reads the socket, the same items
    check_run(read_in_memory(chunks), over_http=False)


@SETTINGS
@given(junk=st.binary(max_size=200) | soup, case=streams(), data=st.data())
def test_the_stream_recovers_after_garbage(junk, case, data):
    """Whatever came before, a blank line ends it and the frames after it are read."""
    text = case["text"].removeprefix(BOM).encode("utf-8")
    chunks = data.draw(chunked(junk + b"\n\n" + text))
    run = read_in_memory(chunks)
    check_run(run, over_http=False)
    expected = [parse_event(p) for p in case["expected"]]
    assert run.events[len(run.events) - len(expected):] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_id=st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)),
                        min_size=1, max_size=20))
def test_any_event_id_is_sent_back_on_reconnect(raw_server, event_id):
    """The id a server gave is sent back as Last-Event-ID when the stream reconnects, or
    left out if it cannot be a header value; either way the reconnect happens."""
    frame = f'id: {event_id}\ndata: {{"type": "session.idle", "properties": {{"sessionID": "s1"}}}}\n\n'
    path = raw_server.add([frame.encode("utf-8")])  # a second request to the path gets 404

    async def main() -> list:
        async with HoodyClient(raw_server.url, "w", api_prefix="/api/v1") as client:
            async def where() -> str:
                return path

            stream = SseStream(client, where, parse_event, reconnect=True, final_on_not_found=True, max_attempts=1,
                               backoff=Backoff(initial=0.0, maximum=0.0), heartbeat_timeout=30)
            return [item async for item in stream]

    items = asyncio.run(main())
    states = [i for i in items if isinstance(i, ConnectionState)]
    assert [s.phase for s in states] == ["connecting", "live", "reconnecting", "failed"], states
    headers = raw_server.headers(path)
    assert len(headers) == 2, "the stream reconnected"
    assert "last-event-id" not in headers[0]
    sent = headers[1].get("last-event-id")
    sendable = event_id == event_id.strip(" \t") and not any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F
                                                              for c in event_id)
    if sendable:
        assert sent is not None and sent.encode("latin-1").decode("utf-8") == event_id
    else:
        assert sent is None


# --- arbitrary JSON through the EventPump ------------------------------------------------

FIELDS = ["id", "sessionID", "messageID", "partID", "requestID", "info", "part", "job", "status", "type", "loop",
          "questions", "permission", "patterns", "metadata", "always", "tool", "title", "time", "error", "todos",
          "text", "role", "state", "progress", "properties", "parentID", "iters", "iter", "prompt", "reply"]
ids = st.sampled_from(["s1", "s2", "m1", "p1", "g1", "j1", ""])
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8) | ids
loose_json = st.recursive(
    scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6),
                                                                      children, max_size=5),
    max_leaves=25,
)
KINDS = ["session.created", "session.updated", "session.deleted", "session.status", "session.idle", "session.error",
         "message.updated", "message.removed", "message.part.updated", "message.part.removed", "permission.asked",
         "permission.replied", "question.asked", "question.replied", "question.rejected", "job.updated",
         "loop.updated", "todo.updated", "session.diff", "vcs.branch.updated", "server.connected",
         "server.heartbeat", "nonsense"]
# Permissions and questions drawn from one pool of ids: a server may reuse an id across kinds.
gate_json = st.builds(
    lambda kind, sid, gid: {"type": kind, "properties": {"id": gid, "requestID": gid, "sessionID": sid,
                                                         "permission": "bash", "questions": [], "reply": "once"}},
    st.sampled_from(["permission.asked", "question.asked", "permission.replied", "question.replied",
                     "question.rejected", "session.deleted"]),
    st.sampled_from(["s1", "s2"]), st.sampled_from(["g1", "g2"]),
)
event_json = st.one_of(
    loose_json,
    gate_json,
    st.fixed_dictionaries({"type": st.sampled_from(KINDS), "properties": loose_json}),
    st.builds(lambda kind, props: {"type": kind, **props}, st.sampled_from(KINDS),
              st.dictionaries(st.sampled_from(FIELDS), loose_json, max_size=5)),
    store_events,
)


def _item(payload) -> object:
    try:
        return parse_event(payload)
    except MalformedEvent as exc:
        return Malformed(str(exc), json.dumps(payload)[:200])


@settings(max_examples=200, deadline=None)
@given(batches=st.lists(st.lists(event_json.map(_item) | st.sampled_from([Resync(), Resync(reconnect=True),
                                                                          ConnectionState("live")]), max_size=12),
                        max_size=6),
       listing=st.lists(store_events, max_size=6), fail_listing=st.booleans())
@example(  # a permission and a question with one id; the reply to one leaves the other pending
    batches=[[_item({"type": "permission.asked", "properties": {"id": "g1", "sessionID": "s1", "permission": "bash"}}),
              _item({"type": "question.asked", "properties": {"id": "g1", "sessionID": "s1", "questions": []}}),
              _item({"type": "permission.replied", "properties": {"sessionID": "s1", "requestID": "g1"}})]],
    listing=[], fail_listing=False,
)
def test_arbitrary_json_through_the_event_pump_keeps_the_store_consistent(batches, listing, fail_listing):
    """Any JSON the server could send, read as events (or refused as malformed), in any
    batches with resyncs between them: handle() never raises and the store stays consistent."""
    base = applied_directly(listing)
    snapshot = Snapshot(sessions=list(base.sessions.values()), statuses=dict(base.statuses),
                        permissions=list(base.permissions.values()), questions=list(base.questions.values()),
                        jobs=list(base.jobs.values()))

    async def listed() -> Snapshot:
        if fail_listing:
            raise HoodyError("the listing failed")
        return snapshot

    async def main() -> tuple[WorkspaceStore, list, EventPump]:
        store = WorkspaceStore(message_limit=5)
        posted: list = []
        pump = EventPump(_never(), store, posted.append, listed)
        for batch in batches:
            await pump.handle(batch)
            check_store_invariants(store)
        return store, posted, pump

    _store, posted, pump = asyncio.run(main())
    malformed = sum(isinstance(i, Malformed) for batch in batches for i in batch)
    assert pump.malformed == malformed
    notices = [m for m in posted if isinstance(m, Notice)]
    # A failed listing is said once; it is retried quietly after that (see test_event_pump).
    assert len(notices) == min(1, malformed) + (fail_listing and any(isinstance(i, Resync) for b in batches for i in b))
    # Every notice reads as one short line about a skipped frame or a failed listing.
    assert all(re.match(r"(skipped a malformed event|could not list the workspace)", n.text) for n in notices)


async def _never():
    return
    yield  # pragma: no cover
