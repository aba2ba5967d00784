"""The SSE streams of a session, as async generators of frames.

:func:`session_stream` (``GET /sessions/{id}/stream``): a non-live session first gets
``event.replay`` (its buffered events); then the replay after ``since`` (or ``lagged``
when the ring cannot serve it), then live frames and ``: heartbeat`` comments. The
frame-level faults of the workspace flavour apply (``drop_after`` counts event frames,
``truncate_once``, ``malformed_*``, ``stall``).

:func:`turn_stream` (``POST …/prompt:stream``): the session's events from the turn's
start to its ``agent_done``, then the stream closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ..bus import Listener, Subscriber, dumps
from ..sse import heartbeat_frame
from ..streams import _Faulty as FrameFaults
from .ring import event_frame, lagged_frame

if TYPE_CHECKING:
    from .records import SessionRec, Turn
    from .state import GatewayState

__all__ = ["session_stream", "turn_stream"]

STALL_POLL = 0.05


def _replay_frame(s: SessionRec) -> str:
    body = {"type": "event.replay", "session_id": s.id, **s.ring.replay()}
    return f"event: event.replay\ndata: {dumps(body)}\n\n"


def session_stream(state: GatewayState, s: SessionRec, since: int | None) -> AsyncIterator[str]:
    """Subscribes at once (in the route, before the response starts), so nothing
    published after the request arrived is missed."""
    subscriber, replay, gap = s.ring.subscribe(since)
    pending: list[str] = [_replay_frame(s)] if not s.live else []
    pending += [lagged_frame(gap, s.id)] if gap is not None else replay
    return _session_frames(state, s, subscriber, pending)


async def _session_frames(state: GatewayState, s: SessionRec, subscriber: Subscriber,
                          pending: list[str]) -> AsyncIterator[str]:
    ring, faults = s.ring, state.faults
    heartbeat = heartbeat_frame(state.config.heartbeat_style)
    interval = state.config.heartbeat_interval
    loop = asyncio.get_running_loop()
    faulty = FrameFaults(faults)
    first = True
    try:
        next_beat = loop.time() + interval
        while True:
            if faults.stall:
                await asyncio.sleep(STALL_POLL)
                if subscriber.closed:
                    return
                next_beat = loop.time() + interval
                continue
            if pending:
                yield faulty.render(pending, cuttable=not first)
                pending, first = [], False
                if faulty.drop:
                    return
            if subscriber.closed:
                return
            ready = await subscriber.wait(max(0.0, next_beat - loop.time()))
            if subscriber.closed:
                return
            if ready:
                pending = subscriber.drain()
                continue
            if not faults.stall:
                next_beat = loop.time() + interval
                yield heartbeat
    finally:
        ring.unsubscribe(subscriber)


async def turn_stream(state: GatewayState, s: SessionRec, turn: Turn, listener: Listener) -> AsyncIterator[str]:
    """``listener`` was registered before the turn was dispatched (nothing is missed)."""
    interval = state.config.heartbeat_interval
    job_id = turn.job.id
    try:
        while True:
            ready = await listener.wait(interval)
            if listener.closed:
                return
            if not ready:
                yield ": heartbeat\n\n"
                continue
            out: list[str] = []
            for event in listener.drain():
                out.append(event_frame(event))
                if event["type"] == "agent_done" and event.get("job_id") == job_id:
                    yield "".join(out)
                    return
            yield "".join(out)
    finally:
        s.ring.unlisten(listener)
