"""The whole app over a real opencode server: a backend whose every request is recorded
on its way out (so a test can say what the app sent, and how the server answered)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from hoody_tui.backends.opencode import OpencodeBackend, OpencodeClient
from hoody_tui.ui.app import AppOptions, HoodyApp

from .server import OpencodeServer


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    body: Any
    status: int


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that notes each non-GET request and the status it got."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._lock = threading.Lock()
        self._sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "GET":
            raw = request.content
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            with self._lock:
                self._sent.append(Sent(request.method, request.url.path, body, response.status_code))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def replies(self) -> list[Sent]:
        """The decisions the app sent (permission and question replies)."""
        return [s for s in self.sent if s.path.startswith(("/permission/", "/question/"))]


def opencode_app(server: OpencodeServer, *, password: str | None = None, directory: str | None = None,
                 **options: Any) -> tuple[HoodyApp, RecordingTransport]:
    transport = RecordingTransport()
    client = OpencodeClient(server.url, server.directory if directory is None else directory,
                            password if password is not None else server.password, transport=transport,
                            get_retries=3)
    options.setdefault("bell", False)
    options.setdefault("server_label", "opencode")
    app = HoodyApp(AppOptions(**options), backend=OpencodeBackend(client))
    return app, transport


async def until(pilot, condition: Callable[[], object], *, timeout: float = 60.0) -> None:
    """Poll ``condition`` between frames (a real model turn takes a second or two)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.05)


def texts_in_store(app: HoodyApp, session_id: str) -> list[str]:
    return [getattr(part, "text", "") for entry in app.store.session_messages(session_id)
            for part in entry.parts.values() if getattr(part, "type", "") == "text"]
