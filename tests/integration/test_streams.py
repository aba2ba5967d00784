"""The event streams against the reference server's faults: reconnect, resync,
malformed frames, stalls, 401, Last-Event-ID, and the per-message and CLI-agent streams."""

from __future__ import annotations

import asyncio
import random

import pytest

from hoody_tui.api import (
    MessageStreamDone,
    MessageStreamPartUpdated,
    MessageStreamSnapshot,
    ServerConnected,
    SessionIdle,
    UnknownEvent,
)
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.events import Backoff, ConnectionState, Malformed, Resync

from .conftest import TOKEN

pytestmark = pytest.mark.asyncio

FAST = {"backoff": Backoff(initial=0.01, maximum=0.05, rng=random.Random(1))}


async def collect(stream, *, until, limit: int = 500, seconds: float = 15.0) -> list:
    """Items from ``stream`` up to and including the first for which ``until(items)`` holds."""
    items: list = []
    async with asyncio.timeout(seconds):
        async for item in stream:
            items.append(item)
            if until(items) or len(items) >= limit:
                break
    return items


def idle(server, sid: str) -> None:
    server.call(server.state.emit, {"type": "session.idle", "properties": {"sessionID": sid}})


class Ticker:
    """Emits an event every few milliseconds while a test runs, so a stream has traffic."""

    def __init__(self, server) -> None:
        self.server = server
        self.task: asyncio.Task | None = None

    async def __aenter__(self):
        async def run():
            while True:
                await asyncio.to_thread(self.server.call, self.server.state.emit,
                                        {"type": "vcs.branch.updated", "properties": {"branch": "main"}})
                await asyncio.sleep(0.02)

        self.task = asyncio.create_task(run())
        return self

    async def __aexit__(self, *exc):
        self.task.cancel()


async def test_connect_sequence_then_events(server, client):
    items = await collect(client.events(**FAST), until=lambda i: any(isinstance(x, ServerConnected) for x in i))
    assert [type(x) for x in items] == [ConnectionState, ConnectionState, Resync, ServerConnected]
    assert [x.phase for x in items[:2]] == ["connecting", "live"]
    assert items[2] == Resync(reconnect=False)


async def test_unknown_event_types_pass_through_untouched(server, client):
    stream = client.events(**FAST)

    async def emit_later():
        await asyncio.sleep(0.2)
        server.call(server.state.emit, {"type": "brand.new.kind", "properties": {"x": 1}})

    task = asyncio.create_task(emit_later())
    items = await collect(stream, until=lambda i: isinstance(i[-1], UnknownEvent))
    await task
    assert items[-1].type == "brand.new.kind" and items[-1].properties == {"x": 1}


async def test_dropped_stream_reconnects_and_asks_for_a_resync(make_server):
    server = make_server(drop_after=2)
    async with HoodyClient(server.url, server.workspace) as c, Ticker(server):
        stream = c.events(**FAST)
        items = await collect(stream, until=lambda i: sum(isinstance(x, Resync) for x in i) >= 2)
    states = [x for x in items if isinstance(x, ConnectionState)]
    reconnecting = [s for s in states if s.phase == "reconnecting"]
    assert reconnecting and reconnecting[0].attempt == 1 and reconnecting[0].delay is not None
    assert "closed" in reconnecting[0].reason or "dropped" in reconnecting[0].reason
    assert [x for x in items if isinstance(x, Resync)] == [Resync(False), Resync(True)]
    assert stream.stats.connects == 2


async def test_backoff_resets_after_a_connection_that_delivered(make_server):
    server = make_server(drop_after=2)
    async with HoodyClient(server.url, server.workspace) as c, Ticker(server):
        items = await collect(c.events(**FAST), until=lambda i: sum(isinstance(x, Resync) for x in i) >= 4)
    attempts = [x.attempt for x in items if isinstance(x, ConnectionState) and x.phase == "reconnecting"]
    assert attempts == [1, 1, 1]  # each connection delivered events, so each retry starts over


async def test_malformed_frames_are_skipped_counted_and_the_stream_goes_on(make_server):
    server = make_server(malformed_every=1)
    session = server.call(server.state.create_session, "S")
    async with HoodyClient(server.url, server.workspace) as c:
        stream = c.events(**FAST)

        async def emit_later():
            await asyncio.sleep(0.2)
            for _ in range(3):
                idle(server, session["id"])

        task = asyncio.create_task(emit_later())
        items = await collect(stream, until=lambda i: sum(isinstance(x, SessionIdle) for x in i) >= 3)
        await task
    malformed = [x for x in items if isinstance(x, Malformed)]
    assert malformed and stream.stats.malformed == len(malformed)
    assert "not valid JSON" in malformed[0].reason
    assert sum(isinstance(x, SessionIdle) for x in items) == 3


async def test_a_stalled_stream_is_detected_by_the_heartbeat_watchdog(make_server):
    server = make_server(heartbeat_interval=0.05)
    async with HoodyClient(server.url, server.workspace) as c:
        stream = c.events(heartbeat_timeout=0.5, **FAST)
        items = await collect(stream, until=lambda i: any(isinstance(x, ServerConnected) for x in i))
        server.set_faults(stall=True)

        async def unstall():
            await asyncio.sleep(1.5)
            server.set_faults(stall=False)

        task = asyncio.create_task(unstall())
        async with asyncio.timeout(15):
            async for item in stream:
                items.append(item)
                if isinstance(item, ConnectionState) and item.phase == "reconnecting":
                    break
        task.cancel()
    assert "stalled" in items[-1].reason


@pytest.mark.parametrize("style", ["comment", "event", "typed"])
async def test_heartbeats_keep_the_stream_alive_and_are_not_events(make_server, style):
    """The server beats every 50 ms; the watchdog allows 1 s. Twenty beats' worth of time
    passes without a reconnect, and no heartbeat reaches the consumer as an event."""
    server = make_server(heartbeat_interval=0.05, heartbeat_style=style)
    items: list = []
    async with HoodyClient(server.url, server.workspace) as c:
        stream = c.events(heartbeat_timeout=1.0, **FAST)

        async def consume():
            async for item in stream:
                items.append(item)

        task = asyncio.create_task(consume())
        async with asyncio.timeout(10):
            if style == "comment":  # comments never reach an SSE parser: wait on the clock
                await asyncio.sleep(1.5)
            else:
                while stream.stats.heartbeats < 20:
                    await asyncio.sleep(0.05)
        task.cancel()
    assert not any(isinstance(x, ConnectionState) and x.phase == "reconnecting" for x in items)
    assert not any(getattr(x, "type", "") in ("server.heartbeat", "heartbeat") for x in items)
    assert stream.stats.connects == 1


async def test_401_stops_without_retrying(make_server):
    server = make_server(token=TOKEN)
    async with HoodyClient(server.url, server.workspace, "bad-token") as c:
        stream = c.events(**FAST)
        items = await collect(stream, until=lambda i: False, limit=10, seconds=5)
    assert [x.phase for x in items] == ["connecting", "unauthorized"]
    assert "bad-token" not in items[-1].reason


async def test_last_event_id_resumes_without_loss_or_duplicates(make_server):
    server = make_server(event_ids=True, drop_after=3)
    session = server.call(server.state.create_session, "S")
    async with HoodyClient(server.url, server.workspace) as c:
        stream = c.events(**FAST)
        seen: list[str] = []

        async def emit():
            await asyncio.sleep(0.2)
            for i in range(12):
                server.call(server.state.emit, {"type": "todo.updated",
                                                "properties": {"sessionID": session["id"], "todos": [{"id": str(i)}]}})
                await asyncio.sleep(0.02)

        task = asyncio.create_task(emit())
        async with asyncio.timeout(15):
            async for item in stream:
                if getattr(item, "type", None) == "todo.updated":
                    seen.append(item.todos[0].id)
                    if len(seen) == 12:
                        break
        await task
    assert seen == [str(i) for i in range(12)]
    assert stream.stats.connects >= 2 and stream.stats.last_event_id


async def test_message_stream_snapshot_updates_done_then_closes(server, client, session):
    sid = session["id"]
    message = server.call(server.state.add_message, sid, "assistant", "Let me think", completed=False)
    mid = message["info"]["id"]
    stream = client.message_stream(sid, mid, **FAST)

    async def work():
        await asyncio.sleep(0.3)
        server.call(server.state.add_part, mid, {"id": message["parts"][0]["id"], "type": "text", "text": "Let me think..."}, "...")
        server.call(server.state.complete_message, mid)

    task = asyncio.create_task(work())
    items = await collect(stream, until=lambda i: False, seconds=10)
    await task
    kinds = [type(x).__name__ for x in items]
    assert kinds[:3] == ["ConnectionState", "ConnectionState", "MessageStreamSnapshot"]
    assert isinstance(items[2], MessageStreamSnapshot) and items[2].message.parts[0].text == "Let me think"
    updates = [x for x in items if isinstance(x, MessageStreamPartUpdated)]
    assert updates and updates[-1].part.text == "Let me think..."
    done = [x for x in items if isinstance(x, MessageStreamDone)]
    assert len(done) == 1 and done[0].message.is_complete
    assert items[-1] == ConnectionState("closed", reason=f"stream of message {mid} finished")
    assert stream.finished


async def test_message_stream_of_a_missing_message_fails_cleanly(client, session):
    items = await collect(client.message_stream(session["id"], "msg_missing", **FAST), until=lambda i: False, seconds=5)
    assert [x.phase for x in items] == ["connecting", "failed"]
    assert items[-1].reason == "Message not found in this session"


async def test_stream_to_an_unreachable_server_keeps_retrying_with_backoff(refused_url):
    async with HoodyClient(refused_url, "w") as c:
        items = await collect(c.events(**FAST), until=lambda i: len(i) >= 4, seconds=10)
    assert [x.phase for x in items] == ["connecting", "reconnecting", "reconnecting", "reconnecting"]
    assert [x.attempt for x in items[1:]] == [1, 2, 3]
    assert "connection refused" in items[1].reason
