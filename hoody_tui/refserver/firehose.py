"""Benchmark mode: a steady stream of realistic events across many sessions.

``firehose`` events per second (about 80 % ``message.part.updated`` of ~400 bytes, 10 %
``session.status``, 10 % ``job.updated``) spread over ``firehose_sessions`` sessions that
exist in the workspace (each with one streaming assistant message; the parts themselves
are not stored). Events are rendered from prepared templates and published one batch per
tick, so each subscriber gets many frames per socket write and the server is not the
bottleneck. Only the sessions and messages exist in REST; the parts do not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .bus import dumps

if TYPE_CHECKING:
    from .state import Workspace

__all__ = ["Firehose", "TICK"]

TICK = 0.02

_FILLER = (
    "The failing assertion comes from the session cookie being written after the redirect response has "
    "already been committed, so the browser follows the redirect without it and lands on the login page "
    "again. Moving the write before the redirect fixes the loop and keeps the public API unchanged for callers."
)
_TEXTS = [_FILLER[: 200 + 4 * i] for i in range(16)]
_DELTAS = ["the ", "session ", "cookie ", "before ", "redirect ", "fixes ", "loop. ", "tests "]


@dataclass
class _Target:
    session_id: str
    message_id: str
    part_id: str
    job: dict[str, object]
    n: int = 0


class Firehose:
    """Publishes ``rate`` events per second until cancelled (see the module docstring)."""

    def __init__(self, ws: Workspace, rate: float, sessions: int) -> None:
        self.ws = ws
        self.rate = rate
        self.rng = ws.rng("firehose")
        self.targets: list[_Target] = []
        self.sessions = sessions
        self.published = 0

    def prepare(self) -> None:
        """Create the sessions (and one assistant message each) the events refer to."""
        ws = self.ws
        for i in range(self.sessions):
            rec = ws.new_session(f"Firehose session {i + 1}")
            msg = ws.new_message(rec, "assistant")
            job = {
                "id": ws.new_id("job"), "sessionID": rec.id, "messageID": msg.info["id"], "callID": ws.new_id("call"),
                "tool": "bash", "status": "running", "input": {"command": "npm test"},
                "progress": {"message": "Running test suite...", "percent": 0}, "output": "Test 1 passed\n",
                "time": {"created": ws.now(), "started": ws.now()}, "wakePolicy": "auto", "durability": "session",
                "timeout": 60000, "retries": {"max": 2, "count": 0}, "completionProcessed": False,
            }
            self.targets.append(_Target(rec.id, msg.info["id"], ws.new_id("prt"), job))

    def _payload(self) -> str:
        rng = self.rng
        target = self.targets[rng.randrange(len(self.targets))]
        target.n += 1
        roll = rng.random()
        if roll < 0.8:
            text = _TEXTS[target.n % len(_TEXTS)]
            delta = _DELTAS[target.n % len(_DELTAS)]
            # %-formatting on purpose (here and below): the JSON braces stay literal, an f-string would double them all.
            return (
                '{"type":"message.part.updated","properties":{"part":{"id":"%s","sessionID":"%s","messageID":"%s",'  # noqa: UP031
                '"type":"text","text":"%s","time":{"start":%d}},"delta":"%s"}}'
                % (target.part_id, target.session_id, target.message_id, text, self.ws.now(), delta)
            )
        if roll < 0.9:
            status = "busy" if target.n % 2 else "idle"
            return ('{"type":"session.status","properties":{"sessionID":"%s","status":{"type":"%s"}}}'  # noqa: UP031
                    % (target.session_id, status))
        progress = target.job["progress"]
        assert isinstance(progress, dict)
        progress["percent"] = target.n % 101
        return dumps({"type": "job.updated", "properties": {"job": target.job}})

    async def run(self) -> None:
        if not self.targets:
            self.prepare()
        loop = asyncio.get_running_loop()
        last = loop.time()
        carry = 0.0
        while True:
            await asyncio.sleep(TICK)
            now = loop.time()
            due = self.rate * (now - last) + carry
            last = now
            count = int(due)
            carry = due - count
            if count:
                self.ws.bus.publish_payloads([self._payload() for _ in range(count)])
                self.published += count
