"""Running the gateway flavour: :func:`start_gateway_in_thread` (tests) and
:func:`serve_gateway` (``hoody-refserver --flavor gateway``). The socket plumbing is the
workspace flavour's (:func:`..runner.bind_socket`, :func:`..runner.display_url`)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import uvicorn

from ..config import ServerConfig
from ..runner import RunningInThread, bind_socket, display_url, serve_in_thread
from .app import build_gateway_app
from .routes import PREFIX
from .script import start_scenario
from .state import GatewayState

__all__ = ["RunningGateway", "start_gateway_in_thread", "serve_gateway", "create_gateway"]


class _Server(uvicorn.Server):
    """Ends the session streams first when shutting down (open SSE would hold it up)."""

    def __init__(self, config: uvicorn.Config, state: GatewayState) -> None:
        super().__init__(config)
        self.state = state

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.state.close_streams()
        await super().shutdown(sockets)


async def create_gateway(config: ServerConfig) -> GatewayState:
    """The state with its scenario started, in the running loop."""
    state = GatewayState(config)
    await start_scenario(state)
    return state


async def _run(state: GatewayState, sock: socket.socket, on_ready: Callable[[_Server], None]) -> None:
    uv_config = uvicorn.Config(build_gateway_app(state), log_level="warning", access_log=False, log_config=None,
                               lifespan="off", ws="none", timeout_graceful_shutdown=2, server_header=False)
    server = _Server(uv_config, state)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if not server.started:
            await serving
            raise RuntimeError("the gateway stopped during start-up")
        on_ready(server)
        await serving
    finally:
        if not serving.done():
            serving.cancel()
        await state.shutdown()


async def serve_gateway(config: ServerConfig, *, sock: socket.socket | None = None,
                        on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until told to stop; ``on_ready(url)`` once connections are accepted."""
    config.validate()
    sock = sock or bind_socket(config.host, config.port)
    url = display_url(config.host, sock)
    try:
        state = await create_gateway(config)
        await _run(state, sock, lambda _server: on_ready(url) if on_ready else None)
    finally:
        sock.close()


class RunningGateway(RunningInThread):
    """A gateway in a daemon thread with its own loop. ``url`` is the root, ``base`` the
    ``/api/v1/agent`` root, ``state`` the :class:`GatewayState` (touch it only through
    :meth:`call`)."""

    state: GatewayState

    @property
    def base(self) -> str:
        return self.url + PREFIX

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def restart(self, **overrides: Any) -> RunningGateway:
        """Stop, then start a new gateway on the same port with fresh state (``overrides``
        replace config fields, e.g. ``pending_gates=2``): seqs restart at 1, gates are new."""
        self.stop()
        return start_gateway_in_thread(replace(self.config, port=self.port, **overrides))

    def __repr__(self) -> str:
        return f"RunningGateway(url={self.url!r})"


def start_gateway_in_thread(config: ServerConfig | None = None, **overrides: Any) -> RunningGateway:
    """Start a gateway in a daemon thread; return once it accepts connections."""
    config = replace(config or ServerConfig(), flavor="gateway", **overrides)
    config.validate()
    url, state, loop, thread, server = serve_in_thread(config, lambda: create_gateway(config), _run, "the gateway")
    return RunningGateway(config, url, state, loop, thread, server)
