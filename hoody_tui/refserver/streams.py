"""The three event streams, as async generators of SSE text:

- :func:`workspace_events` (``meta/events``): data-only ``{"type","properties"}`` frames,
  ``server.connected`` first, heartbeats, optional ``id:`` + ``Last-Event-ID`` replay, and
  the injected faults (drop, a frame cut mid-way, malformed frames, stall).
- :func:`message_events` (``S/messages/{id}/stream``): ``snapshot``, then ``part.updated``,
  ``part.removed``, ``message.updated``, ``message.removed``; ``done`` and close when the
  assistant message completes.
- :func:`cli_agent_events` (``S/cli-agent/runs/{id}/stream``): ``snapshot``, ``progress``…,
  ``complete`` and close (``complete`` at once for a finished job).

Each generator registers with the bus *before* taking its snapshot, without awaiting in
between, so no event falls into the gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .config import Faults
from .jobs import TERMINAL, JobRec
from .sse import MALFORMED_FRAME, NAMED_HEARTBEAT, data_frame, heartbeat_frame, named_frame

if TYPE_CHECKING:
    from .state import MessageRec, SessionRec, Workspace

__all__ = ["workspace_events", "message_events", "cli_agent_events"]

STALL_POLL = 0.05


class _Faulty:
    """Applies the frame-level faults to one ``meta/events`` connection."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.sent = 0
        self.drop = False

    def render(self, frames: list[str], *, cuttable: bool = True) -> str:
        faults = self.faults
        out: list[str] = []
        if faults.take_malformed_once():
            out.append(MALFORMED_FRAME)
        if cuttable and frames and faults.take_truncate_once():
            # The first frame goes out cut in the middle, and the connection ends there.
            self.drop = True
            out.append(frames[0][: max(1, len(frames[0]) // 2)])
            return "".join(out)
        if not faults.malformed_every and not faults.drop_after:
            self.sent += len(frames)
            out.extend(frames)
            return "".join(out)
        for frame in frames:
            out.append(frame)
            self.sent += 1
            if faults.malformed_every and self.sent % faults.malformed_every == 0:
                out.append(MALFORMED_FRAME)
            if faults.drop_after and self.sent >= faults.drop_after:
                self.drop = True
                break
        return "".join(out)


async def workspace_events(ws: Workspace, last_event_id: str | None) -> AsyncIterator[str]:
    config, faults, bus = ws.config, ws.faults, ws.bus
    subscriber, replay, start_id = bus.subscribe(last_event_id)
    connected = data_frame({"type": "server.connected", "properties": {}},
                           start_id if config.event_ids else None)
    heartbeat = heartbeat_frame(config.heartbeat_style)
    interval = config.heartbeat_interval
    loop = asyncio.get_running_loop()
    faulty = _Faulty(faults)
    pending = [connected, *replay]
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
                pending = []
                first = False
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
            if faults.stall:
                continue
            next_beat = loop.time() + interval
            yield (MALFORMED_FRAME if faults.take_malformed_once() else "") + heartbeat
    finally:
        bus.unsubscribe(subscriber)


def _is_done(info: dict[str, Any]) -> bool:
    return info.get("role") == "assistant" and bool((info.get("time") or {}).get("completed"))


async def message_events(ws: Workspace, rec: SessionRec, msg: MessageRec) -> AsyncIterator[str]:
    sid, mid = rec.id, str(msg.info["id"])

    def wants(event: dict[str, Any]) -> bool:
        kind, props = event.get("type"), event.get("properties") or {}
        if kind == "message.updated":
            return (props.get("info") or {}).get("id") == mid
        if kind == "message.part.updated":
            return (props.get("part") or {}).get("messageID") == mid
        if kind in ("message.part.removed", "message.removed"):
            return props.get("messageID") == mid
        if kind == "session.deleted":
            return (props.get("info") or {}).get("id") == sid
        return False

    listener = ws.bus.listen(wants)
    if ws.messages.get(mid) is not msg:  # removed between the route's check and now
        ws.bus.unlisten(listener)
        yield named_frame("message.removed", {"type": "message.removed", "sessionID": sid, "messageID": mid})
        return
    snapshot = named_frame("snapshot", {"type": "snapshot", "message": msg.info, "parts": list(msg.parts.values())})
    done = _is_done(msg.info)
    final = named_frame("done", {"type": "done", "message": msg.info}) if done else ""
    interval = ws.config.heartbeat_interval
    try:
        yield snapshot + final
        if done:
            return
        while True:
            ready = await listener.wait(interval)
            if listener.closed:
                return
            if not ready:
                yield NAMED_HEARTBEAT
                continue
            out: list[str] = []
            for event in listener.drain():
                kind, props = event["type"], event.get("properties") or {}
                if kind == "message.part.updated":
                    data = {"type": "part.updated", "part": props.get("part")}
                    if "delta" in props:
                        data["delta"] = props["delta"]
                    out.append(named_frame("part.updated", data))
                elif kind == "message.part.removed":
                    out.append(named_frame("part.removed", {"type": "part.removed", "sessionID": sid,
                                                            "messageID": mid, "partID": props.get("partID")}))
                elif kind == "message.updated":
                    info = props.get("info") or {}
                    out.append(named_frame("message.updated", {"type": "message.updated", "message": info}))
                    if _is_done(info):
                        out.append(named_frame("done", {"type": "done", "message": info}))
                        yield "".join(out)
                        return
                else:  # message.removed, session.deleted
                    out.append(named_frame("message.removed", {"type": "message.removed", "sessionID": sid,
                                                               "messageID": mid}))
                    yield "".join(out)
                    return
            if out:
                yield "".join(out)
    finally:
        ws.bus.unlisten(listener)


def _complete(job: dict[str, Any]) -> str:
    summary = {"id": job.get("id"), "status": job.get("status"), "output": job.get("fullOutput", job.get("output"))}
    if job.get("error"):
        summary["error"] = job["error"]
    return named_frame("complete", {"type": "complete", "job": summary})


async def cli_agent_events(ws: Workspace, job: JobRec) -> AsyncIterator[str]:
    jid, sid = job.id, job.info["sessionID"]
    if job.terminal:
        yield _complete(job.info)
        return

    def wants(event: dict[str, Any]) -> bool:
        props = event.get("properties") or {}
        if event.get("type") == "job.updated":
            return (props.get("job") or {}).get("id") == jid
        return event.get("type") == "session.deleted" and (props.get("info") or {}).get("id") == sid

    listener = ws.bus.listen(wants)
    snapshot = named_frame("snapshot", {"type": "snapshot", "job": job.info})
    last_progress = dict(job.info.get("progress") or {})
    interval = ws.config.heartbeat_interval
    try:
        yield snapshot
        while True:
            ready = await listener.wait(interval)
            if listener.closed:
                return
            if not ready:
                yield NAMED_HEARTBEAT
                continue
            out: list[str] = []
            for event in listener.drain():
                if event["type"] == "session.deleted":
                    yield "".join(out)
                    return
                info = event["properties"]["job"]
                if info.get("status") in TERMINAL:
                    out.append(_complete(info))
                    yield "".join(out)
                    return
                progress = info.get("progress") or {}
                if progress != last_progress:
                    last_progress = dict(progress)
                    out.append(named_frame("progress", {"type": "progress", "message": progress.get("message"),
                                                        "percent": progress.get("percent")}))
            if out:
                yield "".join(out)
    finally:
        ws.bus.unlisten(listener)
