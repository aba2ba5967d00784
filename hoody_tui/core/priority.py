"""Input first: while the person acts, reading and applying events steps aside briefly.

A keystroke's way to its effect (the key read, its binding, the action, the decision's
request written) takes a few turns of the event loop, and under a firehose every turn
also ran a step of the event reader and of the pump (2 ms each): a key waited behind
them several times over. :meth:`InputPriority.begin` (called by the UI for each key)
holds both for a few milliseconds; the socket buffers meanwhile, and the pump catches up
after. A hold never lasts longer than ``LONGEST`` in a row, and is followed by at least
as long without one, so a key held down cannot stop the events. No Textual here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["InputPriority", "HOLD", "LONGEST"]

HOLD = 0.02
"""Seconds the intake steps aside after a key."""
LONGEST = 0.06
"""Longest continuous hold; then at least as long with none."""


class InputPriority:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._since = 0.0
        """When the current run of holds started."""
        self._free_from = 0.0
        """No hold starts before this (after a run of LONGEST)."""
        self.holds = 0

    def begin(self, seconds: float = HOLD) -> None:
        """The person acted: intake steps aside for ``seconds`` (within the limits above)."""
        now = self._clock()
        if now < self._free_from:
            return
        if now >= self._until:
            self._since = now
        until = min(now + seconds, self._since + LONGEST)
        if until >= self._since + LONGEST:
            self._free_from = until + LONGEST
        if until > self._until:
            self._until = until
            self.holds += 1

    def held(self) -> float:
        """Seconds left in the current hold (0 if none)."""
        return max(0.0, self._until - self._clock())

    async def step_aside(self) -> None:
        """Give the loop back: for the rest of a hold if one is on, else for one turn."""
        left = self.held()
        if left <= 0:
            await asyncio.sleep(0)
            return
        while left > 0:
            await asyncio.sleep(left)
            left = self.held()
