"""Running the server: :func:`start_in_thread` (tests, benchmarks, ``hoody-tui --demo``)
and :func:`serve` (the ``hoody-refserver`` CLI).

Both bind the listening socket *before* starting uvicorn, so a port in use fails fast
in the caller and ``port=0`` knows its port at once.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Self, TypeVar

import uvicorn

from .app import build_app
from .config import ServerConfig
from .firehose import Firehose
from .scenario import start_scenario
from .state import Workspace

__all__ = ["RunningServer", "start_in_thread", "serve", "bind_socket", "display_url", "create_workspace"]

START_TIMEOUT = 30.0


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port=0`` = a free one). Raises OSError."""
    family, type_, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def display_url(host: str, sock: socket.socket) -> str:
    """The URL a client on this machine connects to."""
    port = sock.getsockname()[1]
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """A uvicorn server that ends the workspace's streams first when shutting down, so
    open SSE connections do not hold the shutdown up."""

    def __init__(self, config: uvicorn.Config, ws: Workspace) -> None:
        super().__init__(config)
        self.ws = ws

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.ws.close_streams()
        await super().shutdown(sockets)


def _uvicorn_config(ws: Workspace) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(ws), log_level="warning", access_log=False, log_config=None, lifespan="off", ws="none",
        timeout_graceful_shutdown=2, server_header=False,
    )


async def create_workspace(config: ServerConfig) -> Workspace:
    """The workspace with its scenario (and firehose) started, in the running loop."""
    ws = Workspace(config)
    await start_scenario(ws)
    if config.firehose > 0:
        firehose = Firehose(ws, config.firehose, config.firehose_sessions)
        firehose.prepare()
        ws.spawn(firehose.run(), name="firehose")
    return ws


async def _run(ws: Workspace, sock: socket.socket, on_ready: Callable[[_Server], None]) -> None:
    server = _Server(_uvicorn_config(ws), ws)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if not server.started:
            await serving
            raise RuntimeError("the server stopped during start-up")
        on_ready(server)
        await serving
    finally:
        if not serving.done():
            serving.cancel()
        await ws.shutdown()


async def serve(
    config: ServerConfig,
    *,
    sock: socket.socket | None = None,
    on_ready: Callable[[str, Workspace], None] | None = None,
) -> None:
    """Serve until the process is told to stop (SIGINT/SIGTERM). ``on_ready(url, ws)`` is
    called once the server accepts connections."""
    config.validate()
    sock = sock or bind_socket(config.host, config.port)
    url = display_url(config.host, sock)
    try:
        ws = await create_workspace(config)
        await _run(ws, sock, lambda _server: on_ready(url, ws) if on_ready else None)
    finally:
        sock.close()


class RunningInThread:
    """A reference server (either flavour) in a daemon thread with its own event loop.
    ``state`` is the server's state: touch it only through :meth:`call`."""

    call_timeout = 15.0

    def __init__(self, config: ServerConfig, url: str, state: Any, loop: asyncio.AbstractEventLoop,
                 thread: threading.Thread, server: uvicorn.Server) -> None:
        self.config = config
        self.url = url
        self.state = state
        self.loop = loop
        self._thread = thread
        self._server = server
        self._stopped = False

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` in the server loop (awaiting it if it is a coroutine
        function) and return its result; exceptions propagate. Thread-safe."""

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=self.call_timeout)

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change the injected faults at runtime; returns them all. ValueError if bad."""

        def apply() -> dict[str, Any]:
            self.state.faults.update(**changes)
            result: dict[str, Any] = self.state.faults.as_dict()
            return result

        result: dict[str, Any] = self.call(apply)
        return result

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server: end the streams, shut uvicorn down, join the thread."""
        if self._stopped:
            return
        self._stopped = True

        def trigger() -> None:
            self.state.close_streams()
            self._server.should_exit = True

        try:
            self.loop.call_soon_threadsafe(trigger)
        except RuntimeError:  # the loop is already closed
            return
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RunningServer(RunningInThread):
    """The workspace flavour running in a thread. ``url`` is the root
    (``http://127.0.0.1:PORT``), ``workspace`` the workspace id, ``state`` the
    :class:`~.state.Workspace`."""

    state: Workspace

    def __init__(self, config: ServerConfig, url: str, ws: Workspace, loop: asyncio.AbstractEventLoop,
                 thread: threading.Thread, server: _Server) -> None:
        super().__init__(config, url, ws, loop, thread, server)
        self.workspace = ws.id

    @property
    def prefix(self) -> str:
        """The first mounted prefix (``/api/v1`` unless ``prefix="agent"``)."""
        return self.config.prefixes[0]

    @property
    def base(self) -> str:
        """``{url}{prefix}/workspaces/{workspace}``: where the W routes live."""
        return f"{self.url}{self.prefix}/workspaces/{self.workspace}"

    def __repr__(self) -> str:
        return f"RunningServer(url={self.url!r}, workspace={self.workspace!r})"


def start_in_thread(config: ServerConfig | None = None, **overrides: Any) -> RunningServer:
    """Start a server in a daemon thread and return once it accepts connections.
    ``overrides`` replace fields of ``config`` (``start_in_thread(scenario="idle")``)."""
    config = config or ServerConfig()
    if overrides:
        config = replace(config, **overrides)
    config.validate()
    url, ws, loop, thread, server = serve_in_thread(config, lambda: create_workspace(config), _run,
                                                    "the reference server")
    return RunningServer(config, url, ws, loop, thread, server)


S = TypeVar("S")
V = TypeVar("V", bound=uvicorn.Server)


def serve_in_thread(
    config: ServerConfig,
    create: Callable[[], Awaitable[S]],
    run: Callable[[S, socket.socket, Callable[[V], None]], Awaitable[None]],
    what: str,
) -> tuple[str, S, asyncio.AbstractEventLoop, threading.Thread, V]:
    """Bind ``config``'s socket, build the server's state with ``create`` and serve it with
    ``run`` on an event loop of its own in a daemon thread; return once it accepts
    connections (any flavour: the workspace API, the gateway)."""
    sock = bind_socket(config.host, config.port)
    url = display_url(config.host, sock)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def on_ready(server: V) -> None:
        box["server"] = server
        ready.set()

    async def main() -> None:
        box["state"] = await create()
        await run(box["state"], sock, on_ready)

    def thread_main() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        box["loop"] = loop
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the starting thread
            box.setdefault("error", exc)
        finally:
            ready.set()
            try:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.wait(pending, timeout=2))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                sock.close()

    thread = threading.Thread(target=thread_main, name=f"hoody-refserver {url}", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT) or "server" not in box:
        error = box.get("error")
        raise RuntimeError(f"{what} did not start: {error!r}") from error
    return url, box["state"], box["loop"], thread, box["server"]
