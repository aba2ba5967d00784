"""The gateway's streams: one SSE stream per session (``GET …/sessions/{id}/stream``),
multiplexed into the one iterator of :meth:`GatewayBackend.events`.

- :func:`session_stream`: one session's frames, reconnecting, resuming with the last seq
  applied (``?since=`` and ``Last-Event-ID``).
- :class:`Book`: what the backend knows between frames: the gates it holds (their
  session, generation and fields), the gates it saw resolved, one
  :class:`~.mapping.SessionMapper` per session (turn state, jobs).
- :class:`Feed`: one session's stream as records. ``lagged`` is answered by
  ``GET …/replay`` for the missing range; when the ring cannot cover it, the session is
  resynced from its summary (its status, its pending gate, and a removal for a gate held
  that is no longer pending). The first connect of a stream also reads the summary (the
  stream starts live, the summary says what came before).
- :class:`Multiplexer`: lists the sessions (and again every ``relist_interval`` seconds,
  and on ``event.session_updated``), keeps one feed per live session up to
  ``max_streams`` (the rest are polled by summary at each listing), drops a session that
  left the listing (``SessionDeleted``), says the connection's state for the whole, and
  yields a ``Resync`` after the first listing and after the server came back from a
  full outage (the listing failed, or every stream dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlencode

from ...api import errors as E
from ...api.events import (
    Event,
    MalformedEvent,
    PermissionAsked,
    PermissionReplied,
    QuestionAsked,
    QuestionResolved,
    SessionDeleted,
    SessionStatusChanged,
    SessionUpdated,
    TurnEnded,
)
from ...api.permissions import PermissionRequest
from ...api.questions import Question
from ...api.sessions import Session
from ...events.backoff import Backoff
from ...events.items import ConnectionState, Malformed, Resync, StreamItem
from ...events.sse import SseStream
from .mapping import (
    LAGGED,
    SESSION_UPDATED,
    GatewayFrame,
    SessionMapper,
    WireSummary,
    gate_of,
    parse_frame,
    session_of,
    status_of,
)

if TYPE_CHECKING:
    from .client import GatewayClient

__all__ = ["session_stream", "HeldGate", "Book", "Feed", "Multiplexer", "summary_records", "gather_bounded",
           "HEARTBEAT_TIMEOUT", "MAX_STREAMS", "RELIST_INTERVAL", "SUMMARY_CONCURRENCY"]

log = logging.getLogger("hoody_tui.backends.gateway")

HEARTBEAT_TIMEOUT = 75.0
"""No byte (not even a ``: heartbeat`` comment) for this long and a stream counts as stalled."""
MAX_STREAMS = 32
RELIST_INTERVAL = 10.0
SUMMARY_CONCURRENCY = 8
RESOLVED_KEPT = 4096
T = TypeVar("T")


def session_stream(client: GatewayClient, session_id: str, *, since: Callable[[], int | None] = lambda: None,
                   **options: Any) -> SseStream:
    """One session's frames, forever; each (re)connect resumes after ``since()`` (the
    stream's own ``Last-Event-ID`` is what the feed sets: the last seq it applied). A 404
    is final: the session is gone."""

    async def path() -> str:
        cursor = since()
        query = f"?{urlencode({'since': cursor})}" if cursor is not None else ""
        return client.session_path(session_id, "stream") + query

    options.setdefault("description", f"stream of session {session_id}")
    options.setdefault("heartbeat_timeout", HEARTBEAT_TIMEOUT)
    options.setdefault("final_on_not_found", True)
    return SseStream(client, path, parse_frame, resync_on_connect=False, **options)


async def gather_bounded(limit: int, calls: Iterable[Awaitable[T]]) -> list[T]:
    """Await ``calls`` at most ``limit`` at a time; results in order (the first error raises)."""
    semaphore = asyncio.Semaphore(max(1, limit))

    async def one(call: Awaitable[T]) -> T:
        async with semaphore:
            return await call

    return list(await asyncio.gather(*(one(call) for call in calls)))


# --- what the backend knows ------------------------------------------------------------------


@dataclass
class HeldGate:
    session_id: str
    kind: Literal["permission", "question"]
    generation: int | None = None
    fields: list[str] | None = None
    """The field names of a question of several fields (an answer is ``{field: value}``)."""


def _held(gate: PermissionRequest | Question, session_id: str) -> HeldGate:
    if isinstance(gate, PermissionRequest):
        return HeldGate(session_id, "permission", gate.generation)
    fields = [item.header or f"q{i + 1}" for i, item in enumerate(gate.questions)] if len(gate.questions) > 1 else None
    return HeldGate(session_id, "question", gate.generation, fields)


class Book:
    """See the module docstring. Touched only from the event loop."""

    def __init__(self) -> None:
        self.gates: dict[str, HeldGate] = {}
        self.resolved: OrderedDict[str, None] = OrderedDict()
        self.mappers: dict[str, SessionMapper] = {}

    def mapper(self, session_id: str) -> SessionMapper:
        mapper = self.mappers.get(session_id)
        if mapper is None:
            mapper = self.mappers[session_id] = SessionMapper(session_id)
        return mapper

    def hold(self, gate: PermissionRequest | Question) -> None:
        if gate.session_id:
            self.gates[gate.id] = _held(gate, gate.session_id)

    def note_resolved(self, gate_id: str) -> None:
        """``gate_id`` was decided (our reply was accepted, or its event came)."""
        self.gates.pop(gate_id, None)
        self.resolved[gate_id] = None
        self.resolved.move_to_end(gate_id)
        while len(self.resolved) > RESOLVED_KEPT:
            self.resolved.popitem(last=False)

    def note(self, records: Iterable[Event]) -> None:
        """Keep the held gates in step with the records about to be yielded."""
        for record in records:
            if isinstance(record, PermissionAsked):
                self.hold(record.request)
            elif isinstance(record, QuestionAsked):
                self.hold(record.question)
            elif isinstance(record, (PermissionReplied, QuestionResolved)):
                self.note_resolved(record.request_id)
            elif isinstance(record, TurnEnded):
                for gate_id in [k for k, g in self.gates.items() if g.session_id == record.session_id]:
                    self.note_resolved(gate_id)
            elif isinstance(record, SessionDeleted):
                self.forget(record.session_id)

    def forget(self, session_id: str) -> None:
        for gate_id in [k for k, g in self.gates.items() if g.session_id == session_id]:
            del self.gates[gate_id]
        self.mappers.pop(session_id, None)

    def held_in(self, session_id: str) -> dict[str, HeldGate]:
        return {k: g for k, g in self.gates.items() if g.session_id == session_id}


def summary_records(book: Book, summary: WireSummary) -> list[Event]:
    """One session's state from its summary: the session, its status, its pending gate,
    and the end of each gate held that is no longer pending (so the UI says it went)."""
    sid = summary.id
    book.mapper(sid).adopt(summary)
    records: list[Event] = [
        SessionUpdated.model_validate({"type": "session.updated", "info": session_of(summary)}),
        SessionStatusChanged.model_validate({"type": "session.status", "sessionID": sid, "status": status_of(summary)}),
    ]
    pending = summary.pending_gate
    gone = {k: g for k, g in book.held_in(sid).items() if pending is None or k != pending.gate_id}
    if gone and not summary.turn_in_flight:
        records.append(TurnEnded.model_validate({"type": "turn.ended", "sessionID": sid}))
    else:
        for gate_id, held in gone.items():
            if held.kind == "permission":
                records.append(PermissionReplied.model_validate(
                    {"type": "permission.replied", "sessionID": sid, "requestID": gate_id, "reply": None}))
            else:
                records.append(QuestionResolved.model_validate(
                    {"type": "question.replied", "sessionID": sid, "requestID": gate_id}))
    if pending is not None and pending.gate_id not in book.resolved:
        gate = gate_of(pending, sid)
        if isinstance(gate, PermissionRequest):
            records.append(PermissionAsked.model_validate({"type": "permission.asked", "request": gate}))
        else:
            records.append(QuestionAsked.model_validate({"type": "question.asked", "question": gate}))
    book.note(records)
    return records


# --- one session ---------------------------------------------------------------------------


FeedPhase = Literal["connecting", "live", "reconnecting", "ended"]


@dataclass(frozen=True)
class _PhaseChanged:
    session_id: str
    phase: FeedPhase
    reason: str | None = None


@dataclass(frozen=True)
class _Relist:
    pass


_Signal = _PhaseChanged | _Relist
_Item = StreamItem | _Signal


@dataclass
class Feed:
    """One session's stream, turned into records put on the multiplexer's queue."""

    client: GatewayClient
    book: Book
    session_id: str
    put: Callable[[_Item], Awaitable[None]]
    stream_options: dict[str, Any] = field(default_factory=dict)
    last_seq: int | None = None
    phase: FeedPhase = "connecting"
    reason: str | None = None
    connects: int = 0
    task: asyncio.Task[None] | None = None
    stream: SseStream | None = None

    async def _emit(self, records: list[Event]) -> None:
        self.book.note(records)
        for record in records:
            await self.put(record)

    async def _phase(self, phase: FeedPhase, reason: str | None = None) -> None:
        self.phase, self.reason = phase, reason
        await self.put(_PhaseChanged(self.session_id, phase, reason))

    async def run(self) -> None:
        stream = self.stream = self.client.stream(self.session_id, since=lambda: self.last_seq, **self.stream_options)
        try:
            async for item in stream:
                if isinstance(item, ConnectionState):
                    await self._state(item)
                    if item.final:
                        return
                elif isinstance(item, GatewayFrame):
                    await self._frame(item)
                elif isinstance(item, Malformed):
                    await self.put(item)
                # Resync: the stream sends none (resync_on_connect=False).
                stream.stats.last_event_id = str(self.last_seq) if self.last_seq is not None else None
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: say it, and let the next listing start the stream again
            log.exception("session %s: the stream reader failed", self.session_id)
        finally:
            self.phase = "ended"

    async def _state(self, item: ConnectionState) -> None:
        if item.phase == "live":
            self.connects += 1
            await self._phase("live")
            if self.connects == 1 or self.last_seq is None:
                await self.resync("the stream opened")
        elif item.phase == "reconnecting":
            await self._phase("reconnecting", item.reason)
        elif item.final:
            await self._phase("ended", item.describe())
            await self.put(_Relist())

    async def resync(self, why: str) -> None:
        """The session's state from its summary (the stream cannot say what came before)."""
        try:
            summary = await self.client.get_session(self.session_id)
        except E.NotFound:
            await self.put(_Relist())
            return
        except E.HoodyError as exc:
            log.info("session %s: could not read its summary (%s) after %s", self.session_id, exc, why)
            return
        await self._emit(summary_records(self.book, summary))

    async def _frame(self, frame: GatewayFrame) -> None:
        if frame.type == LAGGED:
            await self._lagged(frame)
            return
        if frame.seq is not None:
            if self.last_seq is not None and frame.seq <= self.last_seq:
                return  # already applied (a replay overlapping the live stream)
            self.last_seq = frame.seq
        await self._apply(frame)

    async def _apply(self, frame: GatewayFrame) -> None:
        try:
            records = self.book.mapper(self.session_id).feed(frame)
        except MalformedEvent as exc:
            await self.put(Malformed(str(exc), frame.model_dump_json()[:200]))
            return
        await self._emit(records)
        if frame.type == SESSION_UPDATED:
            await self.resync("the session changed")
            await self.put(_Relist())

    async def _lagged(self, frame: GatewayFrame) -> None:
        """Events after our cursor were evicted (or the cursor is from before a restart):
        replay the missing range if the ring still holds it; else replay what it holds
        and resync the session from its summary (what was evicted is gone for everyone)."""
        head = frame.payload.get("max_seq")
        head = head if isinstance(head, int) and not isinstance(head, bool) else None
        last = self.last_seq
        log.info("session %s: lagged after seq %s (head %s)", self.session_id, last, head)
        try:
            covered_from = None if last is None else last + 1
            ring = await self.client.replay(self.session_id, covered_from, head)
        except E.HoodyError as exc:
            log.info("session %s: replay failed (%s); resyncing from the summary", self.session_id, exc)
            ring = None
        low = ring.get("min_seq") if ring is not None else None
        high = ring.get("max_seq") if ring is not None else None
        covered = (ring is not None and last is not None and isinstance(low, int) and isinstance(high, int)
                   and low <= last + 1 and last <= high)
        if ring is not None and not covered:
            # What the ring still holds is all newer than our cursor (evicted past it), or
            # our cursor is from before a restart (past the head): read all of it, then
            # the summary for what it lost.
            self.last_seq = None
            if last is not None and isinstance(high, int) and last > high:
                try:
                    ring = await self.client.replay(self.session_id, None, head)
                except E.HoodyError as exc:
                    log.info("session %s: replay failed (%s)", self.session_id, exc)
                    ring = None
        if ring is not None:
            for raw in ring["events"]:
                try:
                    replayed = parse_frame(raw)
                except MalformedEvent as exc:
                    await self.put(Malformed(str(exc), str(raw)[:200]))
                    continue
                if replayed.seq is None or (head is not None and replayed.seq > head):
                    continue
                await self._frame(replayed)
        if not covered:
            await self.resync("a gap the replay ring cannot cover")
        if head is not None and (self.last_seq is None or head > self.last_seq):
            self.last_seq = head


# --- every session -----------------------------------------------------------------------------


class Multiplexer:
    """See the module docstring: one iterator over every live session's stream."""

    def __init__(
        self,
        client: GatewayClient,
        book: Book,
        *,
        max_streams: int = MAX_STREAMS,
        relist_interval: float = RELIST_INTERVAL,
        summary_concurrency: int = SUMMARY_CONCURRENCY,
        backoff: Backoff | None = None,
        stream_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.book = book
        self.max_streams = max(1, max_streams)
        self.relist_interval = relist_interval
        self.summary_concurrency = summary_concurrency
        self.backoff = backoff or Backoff()
        self.stream_options = dict(stream_options or {})
        self.feeds: dict[str, Feed] = {}
        self.polled: set[str] = set()
        self._last_polled: dict[str, WireSummary] = {}
        """The summary each polled session was last said with (an unchanged one is not said again)."""
        self.known: set[str] = set()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=4096)
        self._down = True
        self._said: tuple[str, str | None] | None = None

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self.run()

    async def run(self) -> AsyncIterator[StreamItem]:
        loop = asyncio.get_running_loop()
        first, attempt = True, 0
        yield ConnectionState("connecting")
        try:
            while True:
                try:
                    listed = await self.client.list_sessions()
                except E.Unauthorized as exc:
                    yield ConnectionState("unauthorized", reason=exc.message)
                    return
                except E.Forbidden as exc:
                    yield ConnectionState("forbidden", reason=exc.message)
                    return
                except E.HoodyError as exc:
                    attempt += 1
                    self._down = True
                    delay = self.backoff.delay(attempt)
                    self._said = ("reconnecting", str(exc))
                    yield ConnectionState("reconnecting", attempt=attempt, delay=delay, reason=f"listing sessions: {exc}")
                    async for item in self._drain(loop.time() + delay, stop_on_relist=False):
                        yield item
                    continue
                attempt = 0
                async for item in self._reconcile(listed):
                    yield item
                if self._down:
                    self._down = False
                    state = self._state()
                    self._said = (state.phase, state.reason)
                    yield state
                    yield Resync(reconnect=not first)
                    first = False
                elif (said := self._say(self._state())) is not None:
                    yield said
                async for item in self._drain(loop.time() + self.relist_interval, stop_on_relist=True):
                    yield item
        finally:
            await self._close_all()

    def _state(self) -> ConnectionState:
        """Live (the listing works), naming the session streams that are reconnecting."""
        dropped = sorted(sid for sid, feed in self.feeds.items() if feed.phase == "reconnecting")
        reason = None
        if dropped:
            names = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
            reason = f"{len(dropped)} session stream{'s' if len(dropped) > 1 else ''} reconnecting: {names}"
        return ConnectionState("live", reason=reason)

    def _say(self, state: ConnectionState) -> ConnectionState | None:
        """``state`` if it differs from the last one said."""
        key = (state.phase, state.reason)
        if key == self._said:
            return None
        self._said = key
        return state

    async def _reconcile(self, listed: list[WireSummary]) -> AsyncIterator[StreamItem]:
        live = [s for s in listed if s.live]
        ids = [s.id for s in live]
        present = set(ids)
        for sid in sorted(self.known - present):
            await self._stop_feed(sid)
            self.polled.discard(sid)
            self.known.discard(sid)
            deleted = SessionDeleted.model_validate({"type": "session.deleted", "info": Session(id=sid)})
            self.book.note([deleted])
            yield deleted
        self.known |= present
        # Newest first: the first max_streams live sessions are streamed, the rest polled.
        streamed = ids[: self.max_streams]
        for sid in [s for s in list(self.feeds) if s not in streamed]:
            await self._stop_feed(sid)
        for sid in streamed:
            feed = self.feeds.get(sid)
            if feed is None or (feed.task is not None and feed.task.done()):
                self._start_feed(sid, feed.last_seq if feed is not None else None)
        self.polled = set(ids[self.max_streams:])
        if self.polled:
            summaries = {s.id: s for s in live if s.id in self.polled}

            async def read(sid: str) -> WireSummary | None:
                if _has_state(summaries[sid]):
                    return summaries[sid]
                try:
                    return await self.client.get_session(sid)
                except E.HoodyError as exc:
                    log.info("session %s: could not read its summary (%s)", sid, exc)
                    return None

            got = await gather_bounded(self.summary_concurrency, [read(sid) for sid in self.polled])
            for summary in got:
                if isinstance(summary, WireSummary) and self._last_polled.get(summary.id) != summary:
                    self._last_polled[summary.id] = summary
                    for record in summary_records(self.book, summary):
                        yield record
        for sid in [s for s in self._last_polled if s not in self.polled]:
            del self._last_polled[sid]

    def _start_feed(self, session_id: str, last_seq: int | None) -> None:
        feed = Feed(self.client, self.book, session_id, self._queue.put, dict(self.stream_options), last_seq=last_seq)
        feed.task = asyncio.get_running_loop().create_task(feed.run(), name=f"gateway stream {session_id}")
        self.feeds[session_id] = feed

    async def _stop_feed(self, session_id: str) -> None:
        feed = self.feeds.pop(session_id, None)
        if feed is None or feed.task is None:
            return
        feed.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await feed.task

    async def _close_all(self) -> None:
        for sid in list(self.feeds):
            await self._stop_feed(sid)

    async def _drain(self, deadline: float, *, stop_on_relist: bool) -> AsyncIterator[StreamItem]:
        """Yield what the feeds put until ``deadline`` (or a relist is asked for)."""
        loop = asyncio.get_running_loop()
        queue = self._queue
        while True:
            if queue.empty():
                timeout = deadline - loop.time()
                if timeout <= 0:
                    return
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                # that lands as the item arrives, and the reader would never stop.
                try:
                    async with asyncio.timeout(timeout):
                        item = await queue.get()
                except TimeoutError:
                    return
            else:
                item = queue.get_nowait()
            if isinstance(item, _Relist):
                if stop_on_relist:
                    return
                continue  # the listing is failing: its own backoff says when to try again
            if isinstance(item, _PhaseChanged):
                state = self._phase_changed(item)
                if state is not None:
                    yield state
                if item.phase == "live" and self._down and stop_on_relist:
                    return  # the server is back: list again (then Resync)
                continue
            yield item

    def _phase_changed(self, change: _PhaseChanged) -> ConnectionState | None:
        """The state for the whole, when a session stream's phase changed it."""
        if self._down:
            return None
        feeds = [f for f in self.feeds.values() if f.phase != "ended"]
        if feeds and all(f.phase == "reconnecting" for f in feeds):
            self._down = True
            self._said = ("reconnecting", change.reason)
            return ConnectionState("reconnecting", attempt=1, reason=f"every session stream dropped ({change.reason})")
        return self._say(self._state())


def _has_state(summary: WireSummary) -> bool:
    """Whether a listing's item already carries the session's live state (the reference
    gateway lists whole summaries), so no ``GET /sessions/{id}`` is needed."""
    return {"turn_in_flight", "pending_gate"} <= summary.model_fields_set

