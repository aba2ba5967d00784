"""The reference server on 127.0.0.1 for client, stream and app tests: real sockets,
real HTTP and SSE, no mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.refserver.runner import RunningServer, start_in_thread

TOKEN = "test-token-s3cr3t"


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def make(**overrides) -> RunningServer:
        overrides.setdefault("scenario", "none")
        overrides.setdefault("seed", 1)
        # Agents' scripted delays run 5x faster: tests wait on outcomes, never on the clock,
        # so this only shortens them and leaves headroom on a loaded 2-core CI machine.
        overrides.setdefault("speed", 5.0)
        server = start_in_thread(**overrides)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server) -> RunningServer:
    return make_server()


@pytest.fixture
async def client(server) -> AsyncIterator[HoodyClient]:
    async with HoodyClient(server.url, server.workspace, retry_delay=0.01) as c:
        yield c


@pytest.fixture
def session(server) -> dict:
    return server.call(server.state.create_session, "Fix the login bug")


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL that refuses connections: a bound socket that never listens, held
    for the whole test so no other server can take the port meanwhile."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
