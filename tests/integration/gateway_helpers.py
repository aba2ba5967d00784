"""Helpers for the gateway backend tests: a gateway refserver on a real loopback socket,
a backend over it whose transport records what it sent, and a collector of the backend's
event stream that waits on conditions (generous timeouts, never a sleep standing in for
an event)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from hoody_tui.api.events import Event, PartDelta, PartUpdated
from hoody_tui.api.messages import TextPart
from hoody_tui.backends.gateway import GatewayBackend, GatewayClient
from hoody_tui.events.backoff import Backoff
from hoody_tui.events.items import StreamItem
from hoody_tui.refserver import RunningGateway, ServerConfig, start_gateway_in_thread

__all__ = ["TIMEOUT", "FAST", "gateway", "Sent", "Recorder", "make_backend", "Collector", "eventually", "texts"]

TIMEOUT = 15.0
"""Generous upper bound for anything a test waits on."""
FAST = 50.0


@contextmanager
def gateway(**options: Any) -> Iterator[RunningGateway]:
    options.setdefault("scenario", "idle")
    options.setdefault("sessions", 0)
    options.setdefault("speed", FAST)
    options.setdefault("heartbeat_interval", 0.2)
    srv = start_gateway_in_thread(ServerConfig(**options))
    try:
        yield srv
    finally:
        srv.stop()


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)


class Recorder(httpx.AsyncBaseTransport):
    """A real transport that writes down each request as it leaves (after auth)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = b""
        self.sent.append(Sent(request.method, str(request.url), {k.lower(): v for k, v in request.headers.items()},
                              body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def streams(self, session_id: str) -> list[Sent]:
        return [s for s in self.sent if s.path.endswith(f"/sessions/{session_id}/stream")]


def make_backend(srv: RunningGateway, token: str | None = None, **options: Any) -> tuple[GatewayBackend, Recorder]:
    recorder = Recorder()
    client = GatewayClient(srv.url, token, retry_delay=0.01, transport=recorder)
    options.setdefault("relist_interval", 0.5)
    options.setdefault("backoff", Backoff(initial=0.05, maximum=0.2))
    options.setdefault("stream_options", {"heartbeat_timeout": 5.0})
    return GatewayBackend(client, **options), recorder


async def eventually(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Collector:
    """Reads ``backend.events()`` in the background into ``items``."""

    def __init__(self, backend: GatewayBackend) -> None:
        self.items: list[StreamItem] = []
        self.task = asyncio.create_task(self._run(backend))

    async def _run(self, backend: GatewayBackend) -> None:
        async for item in backend.events():
            self.items.append(item)

    def of(self, cls: type, predicate: Callable[[Any], bool] = lambda _i: True) -> list[Any]:
        return [i for i in self.items if isinstance(i, cls) and predicate(i)]

    async def wait(self, cls: type, predicate: Callable[[Any], bool] = lambda _i: True, what: str = "",
                   count: int = 1, timeout: float = TIMEOUT) -> list[Any]:
        return await eventually(lambda: (found := self.of(cls, predicate)) and len(found) >= count and found,
                                what or f"{count} {cls.__name__}", timeout)

    async def close(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        if self.task.done() and not self.task.cancelled() and self.task.exception():
            raise self.task.exception()  # type: ignore[misc]


def texts(items: list[StreamItem], session_id: str) -> list[str]:
    """The text each record added to a session's text parts, in order (first part text, then deltas)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, PartUpdated) and isinstance(item.part, TextPart) and item.part.session_id == session_id \
                and not item.part.id.endswith(":user:text"):
            out.append(item.part.text)
        elif isinstance(item, PartDelta) and item.session_id == session_id:
            out.append(item.delta)
    return out


def events_of(items: list[StreamItem]) -> list[Event]:
    return [i for i in items if isinstance(i, Event)]
