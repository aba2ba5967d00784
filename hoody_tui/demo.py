"""``hoody-tui --demo``: the bundled reference server, in-process on a free loopback port."""

from __future__ import annotations

from typing import Any

__all__ = ["start_demo_server"]


def start_demo_server(*, seed: int = 1, **overrides: Any) -> Any:
    """Start a lively seeded scenario and return the running server's handle
    (``.url``, ``.workspace``, ``.stop()``)."""
    from .refserver.config import ServerConfig
    from .refserver.runner import start_in_thread

    config = ServerConfig(host="127.0.0.1", port=0, seed=seed, scenario="demo", **overrides)
    return start_in_thread(config)
