"""The event streams: ``meta/events`` framing, heartbeats, event ids and replay, raw
events, and the message stream's snapshot -> … -> done sequence."""

from __future__ import annotations

import json

import httpx
import pytest
from httpx_sse import connect_sse

from .helpers import TIMEOUT, Api, Events, named_errors

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "connection": "keep-alive",
               "x-accel-buffering": "no"}


def test_meta_events_headers_and_first_frame(server):
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{server.base}/meta/events") as response:
        assert response.status_code == 200
        for name, value in SSE_HEADERS.items():
            assert response.headers[name] == value
        lines = response.iter_lines()
        assert next(lines) == 'data: {"type":"server.connected","properties":{}}'
        assert next(lines) == ""


def test_every_event_is_data_only_type_and_properties(server, session_id):
    with Events(f"{server.base}/meta/events") as events:
        server.call(server.state.add_message, session_id, "user", "hi")
        event = events.wait_type("message.updated")
        assert set(event) == {"type", "properties"}
        raw = events.seen[-1]
        assert raw.event == "message" and raw.id == "", "data-only frames, no ids unless asked"


@pytest.mark.parametrize(("style", "expected"), [
    ("comment", ": heartbeat"),
    ("event", "event: heartbeat"),
    ("typed", 'data: {"type":"server.heartbeat","properties":{}}'),
])
def test_heartbeat_styles(fresh, style, expected):
    srv = fresh(scenario="none", heartbeat_interval=0.05, heartbeat_style=style)
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{srv.base}/meta/events") as response:
        lines = response.iter_lines()
        assert "server.connected" in next(lines)
        beats = [line for line in (next(lines) for _ in range(12)) if line]
        assert beats[:2] == [expected, expected if style != "event" else "data: {}"]


def test_raw_events_are_emitted_verbatim(server):
    raw = {"type": "custom.thing", "properties": {"x": [1, 2]}, "extra": True}
    with Events(f"{server.base}/meta/events") as events:
        server.call(server.state.emit, raw)
        assert events.wait_for(lambda d: d["type"] == "custom.thing") == raw


def test_event_ids_and_last_event_id_replay(fresh):
    srv = fresh(scenario="none", event_ids=True)
    url = f"{srv.base}/meta/events"
    with Events(url) as events:
        connected_id = int(events.seen[0].id)
        for i in range(3):
            srv.call(srv.state.emit, {"type": "test.tick", "properties": {"i": i}})
        ticks = [events.wait_type("test.tick") for _ in range(3)]
        ids = [int(e.id) for e in events.seen[1:]]
    assert [t["properties"]["i"] for t in ticks] == [0, 1, 2]
    assert ids == [connected_id + 1, connected_id + 2, connected_id + 3]
    # Missed two events while away: a reconnect with Last-Event-ID gets exactly those.
    for i in range(3, 5):
        srv.call(srv.state.emit, {"type": "test.tick", "properties": {"i": i}})
    with Events(url, headers={"Last-Event-ID": str(ids[-1])}) as again:
        assert again.seen[0].id == str(ids[-1])
        replayed = [again.wait_type("test.tick")["properties"]["i"] for _ in range(2)]
        assert replayed == [3, 4]
        assert [int(e.id) for e in again.seen[1:]] == [ids[-1] + 1, ids[-1] + 2]


def test_message_stream_snapshot_then_parts_then_done(server, session_id):
    api = Api(server)
    with Events(f"{server.base}/meta/events") as events:
        api.post(f"/sessions/{session_id}/prompt_async", {"parts": [{"type": "text", "text": "`rm -rf build/`"}]})
        asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
        mid = asked["tool"]["messageID"]
        url = f"{server.base}/sessions/{session_id}/messages/{mid}/stream"
        with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
            for name, value in SSE_HEADERS.items():
                assert source.response.headers[name] == value
            stream = source.iter_sse()
            first = next(stream)
            assert first.event == "snapshot"
            snapshot = json.loads(first.data)
            assert set(snapshot) == {"type", "message", "parts"} and snapshot["type"] == "snapshot"
            assert snapshot["message"]["id"] == mid and "completed" not in snapshot["message"]["time"]
            assert any(p["type"] == "tool" for p in snapshot["parts"])
            api.post(f"/permissions/{asked['id']}/reply", {"reply": "once"})
            frames = []
            for sse in stream:
                data = json.loads(sse.data)
                assert data["type"] == sse.event
                frames.append(data)
                if sse.event == "done":
                    break
            assert list(stream) == [], "the stream closes after done"
    names = [f["type"] for f in frames]
    assert "part.updated" in names and "message.updated" in names and names[-1] == "done"
    assert all(f["part"]["messageID"] == mid for f in frames if f["type"] == "part.updated")
    assert any("delta" in f for f in frames if f["type"] == "part.updated")
    assert frames[-1]["message"]["id"] == mid and frames[-1]["message"]["time"]["completed"]


def test_message_stream_of_a_finished_message_is_snapshot_and_done(server, api, session_id):
    msg = server.call(server.state.add_message, session_id, "assistant", "all done")
    url = f"{server.base}/sessions/{session_id}/messages/{msg['info']['id']}/stream"
    with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
        frames = [(s.event, json.loads(s.data)) for s in source.iter_sse()]
    assert [n for n, _ in frames] == ["snapshot", "done"]
    assert frames[0][1]["parts"][0]["text"] == "all done"
    assert frames[1][1]["message"]["time"]["completed"]


def test_message_stream_removed_parts_heartbeats_and_404(server, api, session_id):
    msg = server.call(server.state.add_message, session_id, "assistant", "draft", completed=False)
    mid, part = msg["info"]["id"], msg["parts"][0]
    url = f"{server.base}/sessions/{session_id}/messages/{mid}/stream"
    with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
        stream = source.iter_sse()
        assert next(stream).event == "snapshot"
        assert next(stream).event == "heartbeat", "the shared server beats every 50 ms"
        state = server.state
        server.call(lambda: state.remove_part(state.messages[mid], part["id"]))
        removed = next(s for s in stream if s.event != "heartbeat")
        assert json.loads(removed.data) == {"type": "part.removed", "sessionID": session_id, "messageID": mid,
                                            "partID": part["id"]}
        server.call(server.state.complete_message, mid)
        names = [s.event for s in stream if s.event != "heartbeat"]
        assert names == ["message.updated", "done"]
    missing = httpx.get(f"{server.base}/sessions/{session_id}/messages/msg_nope/stream")
    assert missing.status_code == 404 and named_errors(missing.json()) == "Message not found in this session"


def test_message_stream_ends_with_message_removed(server, session_id):
    msg = server.call(server.state.add_message, session_id, "assistant", "x", completed=False)
    mid = msg["info"]["id"]
    url = f"{server.base}/sessions/{session_id}/messages/{mid}/stream"
    with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
        stream = source.iter_sse()
        assert next(stream).event == "snapshot"
        state = server.state
        server.call(lambda: state.remove_message(state.session(session_id), mid))
        names = [s.event for s in stream if s.event != "heartbeat"]
    assert names == ["message.removed"]
