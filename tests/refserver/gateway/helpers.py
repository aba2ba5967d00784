"""Helpers for the gateway tests: gateways on real loopback sockets, an httpx client
rooted at ``/api/v1/agent``, an SSE frame reader, and waits on conditions (generous
timeouts, never a sleep standing in for an event)."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from hoody_tui.refserver import RunningGateway, ServerConfig, start_gateway_in_thread

from ..helpers import FAST, TIMEOUT

__all__ = ["FAST", "TIMEOUT", "Frame", "Frames", "gateway", "client", "wait_until", "new_session", "CLAIM"]

CLAIM = "claim-for-tests"


@contextmanager
def gateway(**options: Any) -> Iterator[RunningGateway]:
    """A gateway (idle scenario, no seeded sessions, fast clock unless told otherwise)."""
    options.setdefault("scenario", "idle")
    options.setdefault("sessions", 0)
    options.setdefault("speed", FAST)
    srv = start_gateway_in_thread(ServerConfig(**options))
    try:
        yield srv
    finally:
        srv.stop()


def client(srv: RunningGateway, token: str | None = None) -> httpx.Client:
    headers = {"X-Hoody-Container-Claim": CLAIM, "X-Hoody-Token": token} if token else {}
    return httpx.Client(base_url=srv.base, timeout=TIMEOUT, headers=headers)


def new_session(http: httpx.Client, **body: Any) -> str:
    response = http.post("/sessions", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll ``condition`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass
class Frame:
    id: str | None
    event: str | None
    data: str
    comment: bool = False

    @property
    def json(self) -> dict[str, Any]:
        value = json.loads(self.data)
        assert isinstance(value, dict)
        return value


class Frames:
    """The SSE frames of a stream (comments skipped unless asked for), read in the
    background so a wait can time out and the reader still go on."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, *, method: str = "GET",
                 body: Any = None) -> None:
        self.reader = _Lines(method, url, headers, body)
        self.response = self.reader.response
        self.ended = False

    def next(self, timeout: float = TIMEOUT, *, comments: bool = False) -> Frame | None:
        """The next frame; None once the stream ended; AssertionError on timeout."""
        fields: dict[str, str] = {}
        data: list[str] = []
        saw_comment = False
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.reader.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("timed out waiting for a frame") from None
            if line is None:
                self.ended = True
                return None
            if line == "":
                if data or fields:
                    return Frame(fields.get("id"), fields.get("event"), "\n".join(data))
                if saw_comment and comments:
                    return Frame(None, None, "", comment=True)
                saw_comment = False
                continue
            if line.startswith(":"):
                saw_comment = True
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            else:
                fields[name] = value

    def next_event(self, predicate: Callable[[Frame], bool] = lambda f: True, timeout: float = TIMEOUT) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next(max(0.01, deadline - time.monotonic()))
            if frame is None:
                raise AssertionError("the stream ended")
            if predicate(frame):
                return frame

    def of_type(self, type_: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.next_event(lambda f: f.event == type_, timeout).json

    def rest(self, timeout: float = TIMEOUT) -> list[Frame]:
        """Every frame until the stream ends."""
        frames = []
        while (frame := self.next(timeout)) is not None:
            frames.append(frame)
        return frames

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Frames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Lines:
    """Raw lines of a streaming response, pumped into a queue by a thread (None = end)."""

    def __init__(self, method: str, url: str, headers: dict[str, str] | None, body: Any) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(TIMEOUT, read=None))
        self._cm = self.client.stream(method, url, headers=headers, json=body)
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
            self.lines.put(None)

    def get(self, timeout: float) -> str | None:
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        self.client.close()
        self._thread.join(TIMEOUT)
