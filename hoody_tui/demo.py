"""``hoody-tui --demo``: the bundled reference server, in-process on a free loopback port.

``hoody-tui serve --demo`` starts one and every browser tab's dashboard connects to
that same server (one scenario, the same gates in every tab): the serving process
names it to its tabs in :data:`SHARED_URL` and :data:`SHARED_WORKSPACE`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = ["start_demo_server", "demo_server", "shared_environment", "SHARED_URL", "SHARED_WORKSPACE"]

SHARED_URL = "HOODY_TUI_DEMO_URL"
SHARED_WORKSPACE = "HOODY_TUI_DEMO_WORKSPACE"


def start_demo_server(*, seed: int = 1, **overrides: Any) -> Any:
    """Start a lively seeded scenario and return the running server's handle
    (``.url``, ``.workspace``, ``.stop()``)."""
    from .refserver.config import ServerConfig
    from .refserver.runner import start_in_thread

    config = ServerConfig(host="127.0.0.1", port=0, seed=seed, scenario="demo", **overrides)
    return start_in_thread(config)


@dataclass(frozen=True)
class SharedDemoServer:
    """A demo server another process started and owns (``hoody-tui serve --demo``)."""

    url: str
    workspace: str

    def stop(self) -> None:
        """Nothing: the process that started it stops it."""


def demo_server(*, seed: int = 1) -> Any:
    """The demo server to connect to: the shared one when this dashboard is a tab of
    ``hoody-tui serve --demo``, else a new one of its own."""
    url, workspace = os.environ.get(SHARED_URL, "").strip(), os.environ.get(SHARED_WORKSPACE, "").strip()
    if url.startswith("http://127.0.0.1:") and workspace:
        return SharedDemoServer(url, workspace)
    return start_demo_server(seed=seed)


def shared_environment(server: Any) -> dict[str, str]:
    """The variables that make a child's ``--demo`` connect to ``server``."""
    return {SHARED_URL: server.url, SHARED_WORKSPACE: server.workspace}
