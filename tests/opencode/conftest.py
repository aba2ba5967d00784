"""Fixtures for tests against a real opencode server (marker ``opencode``).

* ``opencode_bin`` (session): the binary path (installed with npm on first use, see :mod:`.install`).
  Unavailable → the test is skipped, or fails when ``CI`` is ``true``/``1``.
* ``fake_model`` (session): the running :class:`~.fake_model.FakeModel` shared by every server
  (its recorded requests mix all tests: filter by something unique to yours).
* ``opencode_server`` (session): one shared server, no password. Tests share its permission rules
  (an ``always`` reply changes them for everyone): use ``opencode_factory`` for such tests.
* ``opencode_factory`` (function): ``opencode_factory(password=None, **kwargs)`` → a dedicated,
  started :class:`~.server.OpencodeServer`, stopped after the test.
* ``opencode_client`` (function): an :class:`~.server.OpencodeClient` for ``opencode_server``;
  ``opencode_client_for(server)`` makes more (closed after the test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fake_model import FakeModel
from .install import OpencodeUnavailable, ensure_opencode
from .server import OpencodeClient, OpencodeServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "opencode: runs a real opencode server (npm opencode-ai@1.18.33, installed on first use)",
    )


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


@pytest.fixture(scope="session")
def opencode_bin():
    try:
        return ensure_opencode()
    except OpencodeUnavailable as exc:
        if _on_ci():
            pytest.fail(f"opencode unavailable on CI: {exc.reason}", pytrace=False)
        pytest.skip(f"opencode unavailable: {exc.reason}")


@pytest.fixture(scope="session")
def fake_model() -> Iterator[FakeModel]:
    with FakeModel() as model:
        yield model


@pytest.fixture(scope="session")
def opencode_server(opencode_bin, fake_model, tmp_path_factory) -> Iterator[OpencodeServer]:
    server = OpencodeServer(opencode_bin, fake_model.base_url, root=tmp_path_factory.mktemp("opencode-shared"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def opencode_factory(opencode_bin, fake_model, tmp_path_factory) -> Iterator[Callable[..., OpencodeServer]]:
    started: list[OpencodeServer] = []

    def make(password: str | None = None, **kwargs: Any) -> OpencodeServer:
        kwargs.setdefault("root", tmp_path_factory.mktemp("opencode"))
        server = OpencodeServer(opencode_bin, fake_model.base_url, password=password, **kwargs)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def opencode_client_for() -> Iterator[Callable[..., OpencodeClient]]:
    clients: list[OpencodeClient] = []

    def make(server: OpencodeServer, **kwargs: Any) -> OpencodeClient:
        client = OpencodeClient(server, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def opencode_client(opencode_server, opencode_client_for) -> OpencodeClient:
    return opencode_client_for(opencode_server)
