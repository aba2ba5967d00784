"""Paced view updates: store changes are merged and shown at most every so often.

The store is always current; what is paced is the work of bringing the widgets in line
with it. Updates start at most every ``minimum`` seconds; the time from one start to the
next grows with what an update costs (a third of the time at most goes to updating
views, within ``[minimum, 0.5 s]``), so a flood of events cannot starve the screen or the
keyboard. (Counted from the end of an update, a 10 ms update meant 50 ms between frames at
a 40 ms minimum: under a firehose, 15-18 frames a second instead of 20-25.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.timer import Timer

from .messages import Batch, merge_batch

__all__ = ["Pacer"]

LONGEST_GAP = 0.5


class Pacer:
    def __init__(self, set_timer: Callable[[float, Callable[[], None]], Timer], show: Callable[[Batch], None],
                 minimum: float) -> None:
        self._set_timer = set_timer
        self._show = show
        self.minimum = minimum
        self._pending: Batch | None = None
        self._timer: Timer | None = None
        self._last = 0.0
        self._gap = minimum
        self.flushes = 0

    def add(self, batch: Batch) -> None:
        """Changes to show: at once if the last update was long enough ago, else soon."""
        if self._pending is None:
            self._pending = {}
        merge_batch(self._pending, batch, copy=True)
        if self._timer is None:
            wait = self._last + self._gap - time.monotonic()
            if wait <= 0:
                self.flush()
            else:
                self._timer = self._set_timer(wait, self.flush)

    def flush(self) -> None:
        self._timer = None
        changes, self._pending = self._pending, None
        if changes is None:
            return
        started = self._last = time.monotonic()
        self.flushes += 1
        self._show(changes)
        cost = time.monotonic() - started
        self._gap = min(LONGEST_GAP, max(self.minimum, 3 * cost)) if self.minimum else 0.0
