"""A server of raw event-stream bytes, for tests of the client's SSE framing.

The reference server always frames its events well; to feed the client's stream
reader arbitrary bytes (split UTF-8, stray CRs, a BOM, NULs, garbage) over a real
socket, register the exact chunks to send and GET the path you are given::

    with start_raw_server() as raw:
        path = raw.add([b"data: {\\"type\\": \\"x\\"}\\r", b"\\n\\n"])
        ...  # GET raw.url + path: those bytes, in those chunks, then the end

A path serves its chunks once (as ``text/event-stream``, chunked) and answers 404
afterwards, so a client that reconnects learns the stream is gone. The request
headers each path received are kept (``raw.headers(path)``), e.g. ``Last-Event-ID``.
Plain ASGI on uvicorn, in a daemon thread; nothing of the reference server's state.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Sequence
from typing import Any

import uvicorn

from .runner import bind_socket, display_url

__all__ = ["RawStreams", "RawServer", "start_raw_server"]

START_TIMEOUT = 30.0


class RawStreams:
    """The ASGI app: one-shot byte streams by path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._streams: dict[str, tuple[int, bytes, list[bytes]]] = {}
        self._headers: dict[str, list[dict[str, str]]] = {}

    def add(self, chunks: Sequence[bytes], *, status: int = 200, content_type: bytes = b"text/event-stream") -> str:
        """Register ``chunks``; returns the path that serves them (once)."""
        with self._lock:
            path = f"/raw/{next(self._ids)}"
            self._streams[path] = (status, content_type, [bytes(c) for c in chunks])
        return path

    def headers(self, path: str) -> list[dict[str, str]]:
        """The headers of every request made to ``path``, in order (lower-case names)."""
        with self._lock:
            return [dict(h) for h in self._headers.get(path, [])]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        with self._lock:
            self._headers.setdefault(path, []).append(headers)
            entry = self._streams.pop(path, None)
        if entry is None:
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error": "no such stream"}'})
            return
        status, content_type, chunks = entry
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"cache-control", b"no-cache")]})
        for chunk in chunks:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class RawServer:
    """:class:`RawStreams` served on 127.0.0.1 by uvicorn in a daemon thread."""

    def __init__(self, app: RawStreams, url: str, server: uvicorn.Server, loop: asyncio.AbstractEventLoop,
                 thread: threading.Thread) -> None:
        self.app = app
        self.url = url
        self._server = server
        self._loop = loop
        self._thread = thread

    def add(self, chunks: Sequence[bytes], **options: Any) -> str:
        return self.app.add(chunks, **options)

    def headers(self, path: str) -> list[dict[str, str]]:
        return self.app.headers(path)

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self._loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        except RuntimeError:  # the loop already ended
            return
        self._thread.join(timeout)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_raw_server(host: str = "127.0.0.1") -> RawServer:
    """Start serving and return once the server accepts connections."""
    app = RawStreams()
    sock = bind_socket(host, 0)
    url = display_url(host, sock)
    config = uvicorn.Config(app, log_level="warning", access_log=False, log_config=None, lifespan="off",
                            ws="none", timeout_graceful_shutdown=1, server_header=False)
    server = uvicorn.Server(config)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def thread_main() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        box["loop"] = loop

        async def main() -> None:
            serving = asyncio.ensure_future(server.serve(sockets=[sock]))
            # uvicorn has no start-up callback: look between its own steps.
            while not server.started and not serving.done():
                await asyncio.sleep(0.005)
            ready.set()
            await serving

        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the starting thread
            box["error"] = exc
        finally:
            ready.set()
            loop.close()
            sock.close()

    thread = threading.Thread(target=thread_main, name=f"hoody-rawserver {url}", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT) or not server.started:
        raise RuntimeError(f"the raw server did not start: {box.get('error')!r}")
    return RawServer(app, url, server, box["loop"], thread)
