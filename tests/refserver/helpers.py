"""Helpers for the reference-server tests: servers on real loopback sockets, a JSON
client rooted at the workspace, and readers for the event streams that wait on the
stream itself (with generous timeouts), never on sleeps."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from hoody_tui.refserver import RunningServer, ServerConfig, start_in_thread

TIMEOUT = 10.0
"""Generous upper bound for anything a test waits on."""

FAST = 50.0
"""Scenario speed for tests: scripted delays shrink fiftyfold."""


@contextmanager
def running(**options: Any) -> Iterator[RunningServer]:
    """A server with ``options`` (idle scenario and a fast clock unless told otherwise)."""
    options.setdefault("scenario", "idle")
    options.setdefault("speed", FAST)
    server = start_in_thread(ServerConfig(**options))
    try:
        yield server
    finally:
        server.stop()


class Api:
    """httpx against ``{url}{prefix}/workspaces/{id}``; paths are relative to that."""

    def __init__(self, srv: RunningServer, token: str | None = None) -> None:
        self.srv = srv
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=srv.base, timeout=TIMEOUT, headers=headers)

    def get(self, path: str = "", **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, json_body: Any = None, **kw: Any) -> httpx.Response:
        if json_body is not None:
            kw["json"] = json_body
        return self.http.post(path, **kw)

    def patch(self, path: str, json_body: Any) -> httpx.Response:
        return self.http.patch(path, json=json_body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def close(self) -> None:
        self.http.close()


class Events:
    """A reader of an SSE stream. Opening a ``meta/events`` reader waits for
    ``server.connected``, so the subscription exists before the test acts."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, read_timeout: float = TIMEOUT,
                 wait_connected: bool = True) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(TIMEOUT, read=read_timeout))
        self._cm = connect_sse(self.client, "GET", url, headers=dict(headers or {}))
        self.source = self._cm.__enter__()
        self.response = self.source.response
        self._iter = self.source.iter_sse()
        self.seen: list[ServerSentEvent] = []
        if wait_connected:
            first = self.next()
            assert json.loads(first.data)["type"] == "server.connected", first.data

    def next(self) -> ServerSentEvent:
        event = next(self._iter)
        self.seen.append(event)
        return event

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first data payload (parsed) matching ``predicate``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next()
            if not event.data:
                continue
            try:
                data = json.loads(event.data)
            except json.JSONDecodeError:
                continue
            if predicate(data):
                return data
        raise AssertionError("timed out waiting for an event")

    def wait_type(self, type_: str, timeout: float = TIMEOUT, **props: Any) -> dict[str, Any]:
        """The next ``{"type": type_}`` event whose properties contain ``props``."""
        def match(data: dict[str, Any]) -> bool:
            p = data.get("properties") or {}
            return data.get("type") == type_ and all(p.get(k) == v for k, v in props.items())
        return self.wait_for(match, timeout)

    def close(self) -> None:
        self._cm.__exit__(None, None, None)
        self.client.close()

    def __enter__(self) -> Events:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tool_part_of(data: dict[str, Any], tool: str, status: str, session_id: str | None = None) -> bool:
    """Predicate: a ``message.part.updated`` for a ``tool`` part in ``status`` (in the session)."""
    if data.get("type") != "message.part.updated":
        return False
    part = data["properties"]["part"]
    return (part.get("type") == "tool" and part.get("tool") == tool and part["state"]["status"] == status
            and (session_id is None or part.get("sessionID") == session_id))


def raw_lines(response: httpx.Response) -> Iterator[str]:
    """The raw lines of a streaming response (comments included)."""
    yield from response.iter_lines()


def named_errors(body: dict[str, Any]) -> str:
    """The message of a NamedError body (asserting its shape)."""
    assert set(body) == {"name", "data"}, body
    return str(body["data"]["message"])


def run_turn(srv: RunningServer, session_id: str, text: str) -> dict[str, Any]:
    """Run an agent turn to its end inside the server loop (for turns that hit no gate);
    returns the assistant message ``{info, parts}``."""
    state = srv.state

    async def go() -> dict[str, Any]:
        msg = await state.agents.prompt(state.session(session_id), text)
        return state.get_message(msg.info["id"])

    return srv.call(go)  # type: ignore[no-any-return]


class LineReader:
    """Raw lines of a stream, read by a background thread into a queue, so a test can
    wait for a line with a timeout and still keep reading afterwards."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(TIMEOUT, read=None))
        self._cm = self.client.stream("GET", url, headers=headers)
        self.response = self._cm.__enter__()
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for line in self.response.iter_lines():
                self.lines.put(line)
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass
        finally:
            self.lines.put(None)  # end of stream

    def get(self, timeout: float = TIMEOUT) -> str | None:
        """The next line (None once the stream ended); raises ``queue.Empty`` on timeout."""
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        self.client.close()
        self._thread.join(TIMEOUT)

    def __enter__(self) -> LineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
