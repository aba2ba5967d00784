"""The cheaper event intake (issue 20) reads exactly what it read before.

- ``EpochMs`` reads the common values (null, an int of epoch ms) inside pydantic, without a
  call to Python; any value still reads as :func:`parse_epoch_ms` reads it (same value, same
  type, or the same exception), alone and inside a model;
- ``parse_event`` calls the model's validator directly (``model_validate`` without its keyword
  arguments): the same events (class, field values in order, extra keys, fields set) and the
  same ``MalformedEvent`` messages as through ``model_validate``, over events recorded from a
  real opencode server, the reference server's events, the seed examples, and generated variants
  of all of them;
- the frame reader's two common frame shapes read as the general line loop reads them;
- a stream read a chunk at a time gives the same items in the same order, with the same counts,
  taken one at a time or a batch at a time.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError

from hoody_tui.api import events
from hoody_tui.api.base import ApiModel, EpochMs, TimeSpan, parse_epoch_ms
from hoody_tui.api.events import Event, MalformedEvent, parse_event, parse_message_stream_event
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.events import ConnectionState, Malformed, StreamItem
from hoody_tui.events.frames import FrameReader
from hoody_tui.events.sse import FRAMES_PER_STEP
from hoody_tui.refserver.config import ServerConfig
from hoody_tui.refserver.firehose import Firehose
from hoody_tui.refserver.state import Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shape(value: Any) -> Any:
    """Everything equality may not see: classes, value types, field order, extras, fields set."""
    if isinstance(value, BaseModel):
        return (type(value), [(k, shape(v)) for k, v in value.__dict__.items()], shape(value.__pydantic_extra__),
                sorted(value.__pydantic_fields_set__), value.__pydantic_private__)
    if isinstance(value, dict):
        return ("dict", [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [shape(v) for v in value])
    return (type(value), repr(value))


def outcome(read: Any, value: Any) -> Any:
    try:
        result = read(value)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("read", shape(result))


# --- EpochMs ---------------------------------------------------------------------------------

OLD_EPOCH_MS = Annotated[int | None, BeforeValidator(parse_epoch_ms)]
"""``EpochMs`` as it was: every value through parse_epoch_ms."""
_OLD, _NEW = TypeAdapter(OLD_EPOCH_MS), TypeAdapter(EpochMs)


class _Millis(enum.IntEnum):
    NOW = 1_732_960_000_000


class _Int(int):
    pass


epoch_values = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.integers(min_value=10**11 - 3, max_value=10**11 + 3),
    st.integers(min_value=2**53 - 3, max_value=2**53 + 3),
    st.integers(min_value=-(2**53) - 3, max_value=-(10**11) + 3),
    st.integers(min_value=2**63 - 3, max_value=2**64 + 3),
    st.floats(), st.floats(min_value=1e11, max_value=1e13),
    st.text(max_size=24),
    st.sampled_from(["1732960000000", " 1732960000 ", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00+02:00", "1e12",
                     "nan", "inf", "-5", "", "0x10"]),
    st.binary(max_size=4), st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(_Int, st.integers()), st.just(_Millis.NOW),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@SETTINGS
@given(value=epoch_values)
def test_an_epoch_ms_reads_as_parse_epoch_ms_reads_it(value):
    assert outcome(_NEW.validate_python, value) == outcome(_OLD.validate_python, value)
    assert outcome(_NEW.validate_python, value) == outcome(parse_epoch_ms, value)


class _OldTimeSpan(ApiModel):
    created: OLD_EPOCH_MS = None
    updated: OLD_EPOCH_MS = None
    started: OLD_EPOCH_MS = None
    completed: OLD_EPOCH_MS = None
    start: OLD_EPOCH_MS = None
    end: OLD_EPOCH_MS = None


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(["created", "updated", "started", "completed", "start", "end", "extra"]),
                            epoch_values, max_size=7))
def test_a_time_span_reads_and_dumps_as_before(data):
    new, old = outcome(TimeSpan.model_validate, data), outcome(_OldTimeSpan.model_validate, data)
    if new[0] == "read" and old[0] == "read":  # the classes differ by name only: compare the rest
        assert new[1][1:] == old[1][1:]
        a, b = TimeSpan.model_validate(data), _OldTimeSpan.model_validate(data)
        for dump in (lambda m: m.model_dump(mode="json"), lambda m: m.to_json_dict(), lambda m: m.model_dump_json()):
            assert outcome(dump, a) == outcome(dump, b)
    else:
        assert new == old


# --- parse_event -----------------------------------------------------------------------------


def reference_parse(payload: Any, *, sse_event: str | None = None) -> Event:
    """``parse_event`` as it read before: through ``model_validate``."""
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
    cls = events._EVENT_CLASSES.get(kind)
    if cls is None:
        return events.UnknownEvent(type=kind, properties=props)
    body: dict[str, Any] = {cls.wrap: props} if cls.wrap is not None and cls.wrap not in props else dict(props)
    body["type"] = kind
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise MalformedEvent(f"{kind}: {where}: {first.get('msg', 'invalid')}") from None


def opencode_events() -> list[dict[str, Any]]:
    """Every event a real opencode server (1.18.33, the fake model of tests/opencode) sent over
    four turns: a plain answer, a bash call approved, a question answered, a bash call rejected."""
    lines = (FIXTURES / "opencode" / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def refserver_events() -> list[dict[str, Any]]:
    """The reference server's firehose (text part updates with deltas, statuses, jobs), and the
    events its sessions were made with."""
    ws = Workspace(ServerConfig(scenario="none", seed=7, event_ids=True))
    firehose = Firehose(ws, 100.0, 4)
    firehose.prepare()
    payloads = [orjson.loads(firehose._payload()) for _ in range(400)]
    _, frames, _ = ws.bus.subscribe("0")
    for frame in frames:
        payloads.extend(orjson.loads(line[5:]) for line in frame.splitlines() if line.startswith("data:"))
    return payloads


def seed_examples() -> list[Any]:
    return [json.loads(path.read_text()) for path in sorted((FIXTURES / "seeds").glob("*.json"))
            if path.name != "manifest.json"]


OPENCODE, REFSERVER, SEEDS = opencode_events(), refserver_events(), seed_examples()
CORPUS = OPENCODE + REFSERVER + SEEDS


def test_the_corpus_holds_the_hot_events():
    kinds = {p.get("type") for p in CORPUS if isinstance(p, dict)}
    assert {"message.part.updated", "message.part.delta", "session.status", "job.updated", "message.updated",
            "session.updated", "permission.asked", "question.asked"} <= kinds
    assert len(OPENCODE) > 150 and len(REFSERVER) > 400


@pytest.mark.parametrize("payload", CORPUS, ids=lambda p: str(p.get("type")) if isinstance(p, dict) else "value")
def test_recorded_events_parse_as_through_model_validate(payload):
    assert outcome(parse_event, payload) == outcome(reference_parse, payload)
    assert outcome(lambda p: parse_event(p, sse_event="session.idle"), payload) == outcome(
        lambda p: reference_parse(p, sse_event="session.idle"), payload)


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8), epoch_values,
    st.sampled_from(["busy", "idle", "retry", "text", "reasoning", "tool", "step-finish", "running", "completed"]),
    st.just({"type": "busy"}), st.just({"start": 1_732_960_000_000}), st.just({"message": "m", "percent": 5}),
    st.just({"name": "E", "data": {"message": "boom"}}), st.just([]), st.just({}),
)
_keys = st.sampled_from(["sessionID", "sessionId", "session_id", "messageID", "partID", "id", "type", "time", "start",
                         "created", "completed", "text", "delta", "status", "progress", "error", "info", "part", "job",
                         "tokens", "cost", "model", "modelID", "attempt", "next", "field", "state", "x-extra"])


@st.composite
def variants(draw: Any) -> Any:
    """A recorded event with some values replaced, keys removed or added, at any depth."""

    def vary(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                roll = draw(st.integers(0, 19))
                if roll == 0:
                    continue
                out[key] = draw(_leaves) if roll in (1, 2) else vary(item)
            if draw(st.integers(0, 4)) == 0:
                out[draw(_keys)] = draw(_leaves)
            return out
        if isinstance(value, list):
            return [vary(item) for item in value]
        return draw(_leaves) if draw(st.integers(0, 9)) == 0 else value

    return vary(draw(st.sampled_from(CORPUS)))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=variants())
def test_varied_events_parse_and_fail_as_through_model_validate(payload):
    assert outcome(parse_event, payload) == outcome(reference_parse, payload)


@pytest.mark.parametrize("payload", SEEDS + OPENCODE[:40], ids=lambda p: str(p.get("type")) if isinstance(p, dict) else "value")
def test_message_stream_frames_parse_as_before(payload):
    """The per-message stream shares ``_validate``: its frames read the same too."""

    def reference(value: Any) -> Any:
        kind = events._stream_kind(value, None)
        cls = events._MESSAGE_STREAM_CLASSES.get(kind)
        if kind == "snapshot" or cls is None:
            return parse_message_stream_event(value)
        try:
            return cls.model_validate({**value, "type": kind})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
            raise MalformedEvent(f"{kind}: {where}: {first.get('msg', 'invalid')}") from None

    if isinstance(payload, dict) and isinstance(payload.get("properties"), dict):
        payload = {**payload["properties"], "type": "part.updated" if "part" in payload["properties"] else payload["type"]}
    assert outcome(parse_message_stream_event, payload) == outcome(reference, payload)


# --- frames ----------------------------------------------------------------------------------

_lines = st.sampled_from([
    "data: {\"a\":1}", "data:{\"a\":1}", "data:", "data:  two spaces", "data: a:b", "data", "datax: y",
    "id: 5", "id:5", "id:", "id:  6", "id: a\0b", "id: a:b", "id", "event: custom", "event:", ": comment", ":",
    "retry: 10", "retry: x", "other: 1", "",
])


@SETTINGS
@given(lines=st.lists(_lines, min_size=1, max_size=4), last_id=st.sampled_from(["", "3"]))
def test_the_common_frames_read_as_the_general_loop_reads_them(lines, last_id):
    frame = "\n".join(lines)
    if "\n\n" in frame:
        return  # not one frame
    fast, general = FrameReader(), FrameReader()
    fast.last_id = general.last_id = last_id
    assert fast._frame(frame) == general._any_frame(frame)
    assert fast.last_id == general.last_id


# --- a stream, one item or one batch at a time -----------------------------------------------


def _sse_body(payloads: list[Any]) -> str:
    parts = []
    for n, payload in enumerate(payloads):
        head = f"id: {n}\n" if n % 3 else ""
        parts.append(f"{head}data: {json.dumps(payload)}\n\n")
        if n % 7 == 0:
            parts.append(": keep-alive\n\ndata: not json\n\n")
    return "".join(parts)


def _client(chunks: list[bytes]) -> HoodyClient:
    async def body():
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    return HoodyClient("http://test/api/v1", "w", transport=httpx.MockTransport(handler))


async def _read(chunks: list[bytes], batched: bool) -> tuple[list[StreamItem], list[int], tuple[int, int, int]]:
    async with _client(chunks) as client:
        stream = client.events(reconnect=False)
        items: list[StreamItem] = []
        sizes: list[int] = []
        if batched:
            async for batch in stream.batches():
                items.extend(batch)
                sizes.append(len(batch))
        else:
            async for item in stream:
                items.append(item)
        stats = stream.stats
        return items, sizes, (stats.events, stats.malformed, stats.heartbeats)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=12))
def test_a_stream_gives_the_same_items_one_at_a_time_or_a_batch_at_a_time(cuts):
    raw = _sse_body(OPENCODE[:60] + REFSERVER[:60]).encode()
    bounds = sorted({0, len(raw), *(c for c in cuts if c < len(raw))})
    chunks = [raw[a:b] for a, b in itertools.pairwise(bounds)]
    one, _, one_stats = asyncio.run(_read(chunks, batched=False))
    many, sizes, many_stats = asyncio.run(_read(chunks, batched=True))
    assert [shape(i) if isinstance(i, BaseModel) else i for i in one] == [
        shape(i) if isinstance(i, BaseModel) else i for i in many]
    assert one_stats == many_stats
    expected = [reference_parse(p) for p in OPENCODE[:60] + REFSERVER[:60]]
    got = [i for i in one if isinstance(i, Event)]
    assert [shape(e) for e in got] == [shape(e) for e in expected if e.type not in ("server.heartbeat", "heartbeat")]
    assert sum(isinstance(i, Malformed) for i in one) == one_stats[1] > 0
    assert isinstance(one[-1], ConnectionState) and one[-1].phase == "failed"  # reconnect=False: the end said
    assert max(sizes) <= FRAMES_PER_STEP  # a batch per chunk read, cut so one step stays short


def test_a_consumer_that_stops_part_way_through_a_chunk_counts_only_what_it_was_given():
    raw = _sse_body(REFSERVER[:20]).encode()

    async def main() -> tuple[int, int]:
        async with _client([raw]) as client:
            stream = client.events(reconnect=False)
            taken = 0
            async for item in stream:
                taken += isinstance(item, Event)
                if taken == 5:
                    break
            return taken, stream.stats.events

    assert asyncio.run(main()) == (5, 5)


def test_decimal_and_enum_values_are_in_the_epoch_strategy():  # guards the strategy's reach
    assert outcome(_NEW.validate_python, Decimal("1732960000000")) == outcome(parse_epoch_ms, Decimal("1732960000000"))
    assert outcome(_NEW.validate_python, _Millis.NOW) == ("read", (int, "1732960000000"))
