"""Fixtures of the gateway tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hoody_tui.refserver import RunningGateway, ServerConfig, start_gateway_in_thread

from .helpers import FAST, client, new_session


@pytest.fixture(scope="module")
def gw() -> Iterator[RunningGateway]:
    """A shared idle gateway with no sessions (each test makes its own)."""
    srv = start_gateway_in_thread(ServerConfig(scenario="idle", sessions=0, speed=FAST, heartbeat_interval=0.2))
    yield srv
    srv.stop()


@pytest.fixture
def http(gw: RunningGateway) -> Iterator[httpx.Client]:
    with client(gw) as c:
        yield c


@pytest.fixture
def sid(http: httpx.Client) -> str:
    """A fresh live session on the shared gateway."""
    return new_session(http)


@pytest.fixture
def fresh() -> Iterator[Callable[..., RunningGateway]]:
    """Start a dedicated gateway: ``srv = fresh(token="t")``; stopped after the test."""
    servers: list[RunningGateway] = []

    def start(**options: Any) -> RunningGateway:
        options.setdefault("scenario", "idle")
        options.setdefault("sessions", 0)
        options.setdefault("speed", FAST)
        options.setdefault("heartbeat_interval", 0.2)  # an open reader notices a close at once
        srv = start_gateway_in_thread(ServerConfig(**options))
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()
