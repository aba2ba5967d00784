"""Fixtures for the reference-server tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hoody_tui.refserver import RunningServer, ServerConfig, start_in_thread

from .helpers import FAST, Api, Events, running


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A shared idle server (tests create their own sessions on it)."""
    with running(heartbeat_interval=0.05) as srv:
        yield srv


@pytest.fixture
def fresh() -> Iterator[Callable[..., RunningServer]]:
    """Start a dedicated server: ``srv = fresh(alt_shapes=True)``; stopped after the test."""
    servers: list[RunningServer] = []

    def start(**options: Any) -> RunningServer:
        options.setdefault("scenario", "idle")
        options.setdefault("speed", FAST)
        srv = start_in_thread(ServerConfig(**options))
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


@pytest.fixture
def api(server: RunningServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()


@pytest.fixture
def session_id(server: RunningServer) -> str:
    """A fresh session on the shared server."""
    return server.call(server.state.create_session, "test session")["id"]


@pytest.fixture
def events(server: RunningServer) -> Iterator[Events]:
    """The shared server's ``meta/events``, already connected."""
    reader = Events(f"{server.base}/meta/events")
    yield reader
    reader.close()

