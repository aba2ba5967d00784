"""A reconnecting Server-Sent Events stream over the shared httpx client (read straight off
its socket when nothing stands between it and its server: :mod:`.direct`).

:class:`SseStream` is an async iterable of :data:`~hoody_tui.events.items.StreamItem`:
typed events, plus :class:`ConnectionState` changes, :class:`Resync` after every
(re)connect, and :class:`Malformed` for frames it skipped. It

- reconnects with capped exponential backoff and jitter, reset once a connection
  delivers data;
- treats a connection that sends nothing (not even a heartbeat) for
  ``heartbeat_timeout`` seconds as stalled, and reconnects;
- sends ``Last-Event-ID`` when the server gave event ids;
- stops, without retrying, on 401/403 (and on 404 for a stream of one resource);
- ends after a terminal event (``done``, ``complete``) and never reconnects after it.

Each chunk read is cut into frames and parsed into lists (of up to ``FRAMES_PER_STEP``
frames): the items pass one generator step on their way out (``async for``), or none
(:meth:`SseStream.batches` hands the lists themselves), instead of four per event.

The same class serves every backend's streams (the hoody workspace API's ``meta/events``,
message and CLI-agent streams are built in :mod:`hoody_tui.backends.hoody.streams`); it
needs only an :class:`~hoody_tui.api.transport.HttpSource`, never a client class.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import httpx
import orjson

from ..api import errors as E
from ..api.events import Event, MalformedEvent
from ..api.transport import HttpSource, describe_transport_error
from .backoff import Backoff
from .direct import ConnectTimeout, DirectProtocolError, DirectResponse, direct_allowed, open_direct
from .frames import FrameReader
from .items import ConnectionState, Malformed, Resync, StreamItem, Superseded

__all__ = ["SseStream", "StreamStats", "EventSourceLike", "Parser"]

log = logging.getLogger("hoody_tui.events")

Parser = Callable[..., Any]
"""``parse(payload, sse_event=name) -> Event``; raises MalformedEvent for a bad payload."""


class SupersedeRun(Protocol):
    slot: int
    last: int
    dropped: list[int]


Supersede = Callable[[Sequence[Any]], Sequence[SupersedeRun]]
"""Given one read's decoded payloads, the runs of frames a later one replaces: frame
``last`` is applied in the place of frame ``slot``, the frames in ``dropped`` are not
(see :func:`hoody_tui.store.superseding.plan_supersession`, the store's rule)."""
_SKIP: Any = object()
"""A payload left out: a later frame of the read replaced it."""
_UNREAD: Any = object()
"""A frame not decoded ahead (a heartbeat, a blank, or a frame that is not JSON)."""

HEARTBEAT_TYPES = frozenset({"server.heartbeat", "heartbeat"})
_RAW_PREVIEW = 200
FRAMES_PER_STEP = 32
"""Frames parsed in one step (one list): a 64 KB read holds ~150 of a firehose's frames, and
parsing them all at once held the loop for several ms; the pump gives the loop back every 2 ms."""


class EventSourceLike(Protocol):
    """What the state layer consumes: anything that yields stream items."""

    def __aiter__(self) -> AsyncIterator[StreamItem]: ...


@dataclass
class StreamStats:
    events: int = 0
    malformed: int = 0
    heartbeats: int = 0
    connects: int = 0
    last_event_id: str | None = None
    superseded: int = 0
    """Of ``events``: left out because a later event of the same read replaced them."""


def _last_event_id_header(event_id: str | None) -> bytes | None:
    """The id to send back as ``Last-Event-ID`` (UTF-8, as browsers do), or ``None`` when
    it cannot be a header value as it is (surrounding blanks, control characters). The
    id is the server's word: sent as a str, a non-ASCII id would raise out of httpx and
    one with blanks around it would be refused on every reconnect. Without the header
    the server simply does not replay; the resync after each connect covers the gap."""
    if not event_id or event_id != event_id.strip(" \t"):
        return None
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in event_id):
        return None
    return event_id.encode("utf-8")


class _StreamEnded(Exception):
    """The server closed the stream, or the stream stalled: reconnect."""


class _Compressed(Exception):
    """The server compressed the stream read directly: read it through httpx instead."""


def _is_blank(event_type: str, data: str) -> bool:
    """A frame that says nothing but that the stream is alive (counted as a heartbeat)."""
    return event_type == "heartbeat" or not data or data.isspace()


def _count(stats: StreamStats, items: Sequence[StreamItem]) -> None:
    """Count what is handed on: malformed frames, and events (not connection states or
    resyncs; superseded events are events received)."""
    for item in items:
        kind = type(item)
        if kind is Malformed:
            stats.malformed += 1
        elif kind is Superseded:
            stats.events += item.count  # type: ignore[union-attr]
            stats.superseded += item.count  # type: ignore[union-attr]
        elif kind is not ConnectionState and kind is not Resync:
            stats.events += 1


class SseStream:
    def __init__(
        self,
        client: HttpSource,
        path: Callable[[], Awaitable[str]],
        parse: Parser,
        *,
        terminal_types: frozenset[str] = frozenset(),
        resync_on_connect: bool = True,
        reconnect: bool = True,
        final_on_not_found: bool = False,
        heartbeat_timeout: float = 75.0,
        backoff: Backoff | None = None,
        max_attempts: int | None = None,
        description: str = "event stream",
    ) -> None:
        self._client = client
        self._path = path
        self._parse = parse
        self.terminal_types = terminal_types
        self.resync_on_connect = resync_on_connect
        self.reconnect = reconnect
        self.final_on_not_found = final_on_not_found
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff = backoff or Backoff()
        self.max_attempts = max_attempts
        self.description = description
        self.stats = StreamStats()
        self.finished = False
        self._supersede: Supersede | None = None
        self._direct = True
        """Whether the stream may be read straight off its socket (:mod:`.direct`), when
        its client and URL allow it; False after a server compressed it anyway."""

    def __aiter__(self) -> AsyncGenerator[StreamItem, None]:
        return self._delivered(self._run_batches())

    def batches(self, supersede: Supersede | None = None) -> AsyncGenerator[list[StreamItem], None]:
        """The same items, a list at a time: all that one read of the connection brought
        (for a consumer that takes many at once: one step per read instead of one per event).

        With ``supersede`` (for a consumer that keeps state, not one that reports each
        event), the frames of a read it says a later frame replaces are left out and
        counted in a :class:`Superseded` item, never parsed; each run's last frame is
        parsed first, and a run whose last frame is malformed is kept as it came."""
        self._supersede = supersede
        return self._counted_batches(self._run_batches())

    async def _counted_batches(
        self, batches: AsyncGenerator[list[StreamItem], None]
    ) -> AsyncGenerator[list[StreamItem], None]:
        stats = self.stats
        async with aclosing(batches):
            async for batch in batches:
                _count(stats, batch)
                yield batch

    async def _delivered(self, batches: AsyncGenerator[list[StreamItem], None]) -> AsyncGenerator[StreamItem, None]:
        """The items of ``batches`` one at a time, each counted as it is delivered (a chunk is
        read whole, but a consumer that stops part-way was never given the rest)."""
        stats = self.stats
        async with aclosing(batches):
            async for batch in batches:
                for item in batch:
                    _count(stats, (item,))
                    yield item

    async def _run_batches(self) -> AsyncGenerator[list[StreamItem], None]:
        attempt = 0
        yield [ConnectionState("connecting")]
        while True:
            reason: str
            try:
                async with aclosing(self._connect_once(reconnected=self.stats.connects > 0)) as batches:
                    async for batch in batches:
                        if attempt and any(isinstance(item, Event) for item in batch):
                            attempt = 0  # this connection delivered: reset the backoff
                        yield batch
                if self.finished:
                    yield [ConnectionState("closed", reason=f"{self.description} finished")]
                    return
                reason = "the server closed the stream"
            except _StreamEnded as exc:
                reason = str(exc)
            except E.Unauthorized as exc:
                yield [ConnectionState("unauthorized", reason=exc.message)]
                return
            except E.Forbidden as exc:
                yield [ConnectionState("forbidden", reason=exc.message)]
                return
            except E.NotFound as exc:
                if self.final_on_not_found:
                    yield [ConnectionState("failed", reason=exc.message)]
                    return
                reason = str(exc)
            except E.ApiError as exc:
                reason = f"{exc} (HTTP {exc.status})"
            except E.HoodyError as exc:
                reason = str(exc)
            if not self.reconnect:
                yield [ConnectionState("failed", reason=reason)]
                return
            attempt += 1
            if self.max_attempts is not None and attempt > self.max_attempts:
                yield [ConnectionState("failed", attempt=attempt - 1, reason=reason)]
                return
            delay = self.backoff.delay(attempt)
            log.info("%s: %s; reconnecting in %.1fs (attempt %d)", self.description, reason, delay, attempt)
            yield [ConnectionState("reconnecting", attempt=attempt, delay=delay, reason=reason)]
            await asyncio.sleep(delay)

    async def _connect_once(self, *, reconnected: bool) -> AsyncGenerator[list[StreamItem], None]:
        headers: dict[bytes, bytes] = {b"Accept": b"text/event-stream", b"Cache-Control": b"no-cache"}
        last_id = _last_event_id_header(self.stats.last_event_id)
        if last_id:
            headers[b"Last-Event-ID"] = last_id
        path = await self._path()
        url = f"{self._client.base_url}{path}"
        http = self._client.http
        try:
            request = http.build_request("GET", path, headers=headers, timeout=httpx.Timeout(
                self.heartbeat_timeout, connect=self._client.connect_timeout))
        except httpx.HTTPError as exc:  # (an invalid URL)
            raise describe_transport_error(exc, url) from None
        if self._direct and direct_allowed(self._client, request.url):
            connection = self._connect_direct(request, url)
        else:
            connection = self._connect_httpx(request, url)
        try:
            async with aclosing(self._live(connection, reconnected)) as batches:
                async for batch in batches:
                    yield batch
        except _Compressed:
            # A server that compresses its stream although asked not to: httpx undoes
            # that, so it reads this stream from now on (this connection included).
            self._direct = False
            async with aclosing(self._live(self._connect_httpx(request, url), reconnected)) as batches:
                async for batch in batches:
                    yield batch

    async def _live(self, batches: AsyncGenerator[list[StreamItem], None],
                    reconnected: bool) -> AsyncGenerator[list[StreamItem], None]:
        """A connection's batches, the first (empty) one saying the stream is open."""
        first = True
        async with aclosing(batches):
            async for batch in batches:
                if first:  # the response is an open event stream
                    first = False
                    self.stats.connects += 1
                    yield [ConnectionState("live"), Resync(reconnect=reconnected)] if self.resync_on_connect else [
                        ConnectionState("live")]
                    if not batch:
                        continue
                yield batch

    async def _connect_httpx(self, request: httpx.Request, url: str) -> AsyncGenerator[list[StreamItem], None]:
        """The stream through httpx: an empty list once the response is an open event
        stream, then the items."""
        live = False
        try:
            response = await self._client.http.send(request, stream=True)
            try:
                await self._check_response(response)
                live = True
                yield []
                async with aclosing(self._read_batches(response)) as batches:
                    async for batch in batches:
                        yield batch
            finally:
                await response.aclose()
        except httpx.ReadTimeout:
            raise _StreamEnded(f"no data for {self.heartbeat_timeout:g}s, the stream stalled") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if live:
                raise _StreamEnded(f"the connection dropped ({exc or type(exc).__name__})") from None
            raise describe_transport_error(exc, url) from None
        except httpx.HTTPError as exc:
            raise describe_transport_error(exc, url) from None

    async def _connect_direct(self, request: httpx.Request, url: str) -> AsyncGenerator[list[StreamItem], None]:
        """The stream read straight off its socket (:mod:`.direct`), with the same outcomes
        as through httpx: an empty list once the response is an open event stream, then
        the items."""
        idle = self.heartbeat_timeout
        live = False
        response: DirectResponse | None = None
        try:
            response = await open_direct(self._client.http, request, connect_timeout=self._client.connect_timeout,
                                         read_timeout=idle)
            content_type = response.headers.get("content-type", "")
            if not response.is_success or "text/event-stream" not in content_type:
                self._refuse(response.status, content_type, await response.read(idle))
            if response.headers.get("content-encoding", "identity").lower() not in ("identity", ""):
                raise _Compressed()
            live = True
            yield []
            async with aclosing(self._batches_of(response.texts(idle))) as batches:
                async for batch in batches:
                    yield batch
        except ConnectTimeout:
            raise E.RequestTimeout(f"timed out connecting ({url})") from None
        except TimeoutError:
            raise _StreamEnded(f"no data for {idle:g}s, the stream stalled") from None
        except (DirectProtocolError, OSError) as exc:
            if live:
                raise _StreamEnded(f"the connection dropped ({exc or type(exc).__name__})") from None
            raise describe_transport_error(exc, url) from None
        finally:
            if response is not None:
                response.close()

    async def _check_response(self, response: httpx.Response) -> None:
        content_type = response.headers.get("content-type", "")
        if response.is_success and "text/event-stream" in content_type:
            return
        await response.aread()
        self._refuse(response.status_code, content_type, response.content)

    def _refuse(self, status: int, content_type: str, content: bytes) -> NoReturn:
        """The error a response that is not an open event stream stands for."""
        if 200 <= status < 300:
            raise E.PayloadError(
                f"expected an event stream, the server sent {content_type or 'no content type'}",
                context=self.description,
            )
        try:
            body: Any = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            body = None
        raise E.error_from_response(
            status, body, context=f"opening the {self.description}",
            fallback_text=None if body else content.decode("utf-8", "replace"),
        )

    def _read(self, response: httpx.Response) -> AsyncGenerator[StreamItem, None]:
        """The items of an open response, one at a time."""
        return self._delivered(self._read_batches(response))

    def _read_batches(self, response: httpx.Response) -> AsyncGenerator[list[StreamItem], None]:
        """The items of an open httpx response, a list per chunk read."""
        # An event stream is UTF-8 whatever the headers say, and a leading byte order
        # mark is not part of the first line (WHATWG); read as plain UTF-8, a BOM would
        # turn the first field name into "\ufeffdata" and lose the first event.
        response.encoding = "utf-8-sig"
        return self._batches_of(response.aiter_text())

    async def _batches_of(self, texts: AsyncIterator[str]) -> AsyncGenerator[list[StreamItem], None]:
        """The items of a stream's text, a list per chunk read (per FRAMES_PER_STEP frames of
        it), until a terminal event."""
        reader = FrameReader()
        async for text in texts:
            for items in self._steps(reader.feed(text)):
                yield items
            if self.finished:
                return
        for items in self._steps(reader.feed("", end=True)):
            yield items

    def _steps(self, frames: list[tuple[str, str, str]]) -> Iterator[list[StreamItem]]:
        """The items of ``frames``, FRAMES_PER_STEP frames at a time, until a terminal event."""
        payloads: list[Any] | None = None
        superseded = 0
        if self._supersede is not None and len(frames) > 1:
            payloads, superseded = self._superseded(frames, self._supersede)
        for start in range(0, len(frames), FRAMES_PER_STEP):
            end = start + FRAMES_PER_STEP
            items = self._items(frames[start:end], payloads[start:end] if payloads is not None else None)
            if superseded:
                items.append(Superseded(superseded))
                superseded = 0
            if items:
                yield items
            if self.finished:
                return

    def _superseded(self, frames: list[tuple[str, str, str]],
                    supersede: Supersede) -> tuple[list[Any], int]:
        """Each frame's decoded payload (``_UNREAD`` for one not decoded here), with the
        frames a later one replaces set to ``_SKIP`` and each run's last event, parsed,
        in its first frame's place; and how many frames were left out."""
        loads = orjson.loads
        payloads: list[Any] = []
        for event_type, data, _last_id in frames:
            if _is_blank(event_type, data):
                payloads.append(_UNREAD)
                continue
            try:
                payloads.append(loads(data))
            except orjson.JSONDecodeError:
                payloads.append(_UNREAD)  # (read again in _items, and reported there)
        skipped = 0
        parse = self._parse
        for run in supersede(payloads):
            last = run.last
            try:
                event = parse(payloads[last], sse_event=frames[last][0])
            except MalformedEvent:
                continue  # the run stays as it came: the bad frame is reported in its place
            payloads[run.slot] = event
            for index in run.dropped:
                if index != run.slot:
                    payloads[index] = _SKIP
                    skipped += 1
        return payloads, skipped

    def _items(self, frames: list[tuple[str, str, str]], payloads: list[Any] | None = None) -> list[StreamItem]:
        """What ``frames`` say, in order; stops after a terminal event. ``payloads``: each
        frame's payload decoded ahead (an Event already parsed, ``_SKIP``, or ``_UNREAD``).
        (Events and malformed frames are counted as they are delivered, heartbeats here.)"""
        stats = self.stats
        parse = self._parse
        loads = orjson.loads
        items: list[StreamItem] = []
        for index, (event_type, data, last_id) in enumerate(frames):
            if last_id:
                stats.last_event_id = last_id
            payload = _UNREAD if payloads is None else payloads[index]
            if payload is _UNREAD:
                if _is_blank(event_type, data):
                    stats.heartbeats += 1
                    continue
                try:
                    payload = loads(data)
                except orjson.JSONDecodeError:
                    items.append(Malformed("frame is not valid JSON", data[:_RAW_PREVIEW]))
                    continue
            elif payload is _SKIP:
                continue
            if isinstance(payload, Event):
                event = payload
            else:
                try:
                    event = parse(payload, sse_event=event_type)
                except MalformedEvent as exc:
                    items.append(Malformed(str(exc), data[:_RAW_PREVIEW]))
                    continue
            if event.type in HEARTBEAT_TYPES:
                stats.heartbeats += 1
                continue
            items.append(event)
            if event.type in self.terminal_types:
                self.finished = True
                break
        return items
