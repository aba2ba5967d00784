"""What a kind of server does not have, said once: mixins a backend takes for the parts of
the :class:`~hoody_tui.core.backend.Backend` protocol its server lacks. Each raises
:class:`~hoody_tui.core.backend.Unsupported` naming the server (``absent_as``); the UI
does not offer these (``Capabilities``), so this is only ever a backstop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

from ..api.cli_agent import CliAgentStarted
from ..api.loops import Loop
from ..core.backend import Unsupported

__all__ = ["absent", "NoDirectiveLoop", "NoCliAgent"]


def absent(server: str, what: str) -> NoReturn:
    raise Unsupported(f"{server} has no {what}")


class NoDirectiveLoop:
    """No workspace-API loop directive (one per session)."""

    absent_as: str

    async def loop(self, session_id: str) -> Loop | None:
        return None

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> Loop:
        absent(self.absent_as, "loop directive")

    async def stop_loop(self, session_id: str) -> None:
        absent(self.absent_as, "loop directive")


class NoCliAgent:
    """No CLI-agent runs."""

    absent_as: str

    async def start_cli_agent(
        self, session_id: str, agent: str, prompt: str, *, model: str | None, git: bool | None, timeout_ms: int | None
    ) -> CliAgentStarted:
        absent(self.absent_as, "CLI-agent runs")

    async def cli_agent_run(self, session_id: str, job_id: str) -> AsyncIterator[object]:
        absent(self.absent_as, "CLI-agent runs")
        yield  # pragma: no cover - makes this an async generator
