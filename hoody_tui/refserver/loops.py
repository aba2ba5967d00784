"""The session prompt loop (contract 1.8): one directive per session that re-sends its
prompt as the user turn ``iters`` times. Every iteration bumps ``iter`` and publishes
``loop.updated``; when the last one ends the loop is cleared (``loop.updated`` with
``loop: null``). Clearing it cancels the running iteration.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import content
from .errors import ApiError
from .script import Script, script_from_prompt

if TYPE_CHECKING:
    from .state import SessionRec, Workspace

__all__ = ["Loops"]

SYSTEM = "You are a careful engineer."


class Loops:
    """Installs, runs and clears loops."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def install(
        self, rec: SessionRec, prompt: str, iters: int, *, iter: int = 0, run: bool = True, check: bool = True
    ) -> dict[str, Any]:
        """Install a loop (``iter`` 0) and start iterating when ``run``. With ``check``,
        409 if a loop is active or the session is busy."""
        if check and rec.loop is not None:
            raise ApiError.conflict("A loop is already active on this session", "loop_already_active")
        if check and rec.busy:
            raise ApiError.conflict("Session is busy", "session_busy")
        if rec.loop is not None:
            self.clear(rec, emit=False)
        loop = {
            "prompt": prompt, "iters": iters, "iter": iter, "started_at": self.ws.now(),
            "launch_id": self.ws.new_id("launch"), "agent": rec.agent,
            "model": {"providerID": rec.model["providerID"], "modelID": rec.model["modelID"]}, "system": SYSTEM,
        }
        rec.loop = loop
        self.ws.event("loop.updated", sessionID=rec.id, loop=loop)
        if run:
            rec.loop_task = self.ws.spawn(self._run(rec, loop), name=f"loop {rec.id}")
        return loop

    def clear(self, rec: SessionRec, *, emit: bool = True) -> None:
        """Clear the directive and cancel its running iteration (idempotent)."""
        if rec.loop is None:
            return
        rec.loop = None
        task, rec.loop_task = rec.loop_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if emit:
            self.ws.event("loop.updated", sessionID=rec.id, loop=None)

    def _script(self, rec: SessionRec, prompt: str) -> Script:
        return script_from_prompt(prompt, content.bash_output) or content.quiet_turn(rec.rng, rec.topic)

    async def _run(self, rec: SessionRec, loop: dict[str, Any]) -> None:
        turn: asyncio.Task[Any] | None = None
        try:
            while loop["iter"] < loop["iters"] and rec.loop is loop:
                loop["iter"] += 1
                self.ws.event("loop.updated", sessionID=rec.id, loop=loop)
                turn = self.ws.agents.prompt(rec, loop["prompt"], script=self._script(rec, loop["prompt"]))
                await turn
                turn = None
                await self.ws.sleep(0.3)
        except asyncio.CancelledError:
            if turn is not None:
                turn.cancel()
            raise
        if rec.loop is loop:
            rec.loop_task = None
            self.clear(rec)
