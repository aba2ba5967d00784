"""Paced view updates: store changes are merged and shown at most every so often.

The store is always current; what is paced is the work of bringing the widgets in line
with it. Updates start at most every ``minimum`` seconds (up to an eighth of it early, to
run with the read that brought the changes: see ``EARLY``); the time from one start to the
next grows with what an update costs (a third of the time at most goes to updating
views, within ``[minimum, 0.5 s]``), so a flood of events cannot starve the screen or the
keyboard. (Counted from the end of an update, a 10 ms update meant 50 ms between frames at
a 40 ms minimum: under a firehose, 15-18 frames a second instead of 20-25.)

The store's changes come straight from the event pump (:meth:`Pacer.add` with ``defer``),
not through a Message each: at 100 updates a second that was 100 passes a second through
Textual's message dispatch (~110 µs each, a point of a core) for one update every 40 ms.
The update itself runs from the loop (``schedule``: ``loop.call_later``, not a Textual
timer, which is a task and an event per update), never inside the pump's step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from .messages import Batch, merge_batch

__all__ = ["Pacer"]

LONGEST_GAP = 0.5
EARLY = 0.125
"""An update may start this share of the minimum early (5 ms at 40 ms): changes that
arrive when it is due that soon are shown at once, and a scheduled one starts half that
early. Under load the changes come a read at a time, every ~41 ms (the reader gathers
40 ms), and an update due 40 ms after the last locked onto any phase against the reads:
measured at 2,000 events/s, every update ran ~27 ms after its read, a wake-up of its own
(a process woken from a sleep runs slow at first) and 27 ms late on screen. Starting a
little early, the updates drift onto the reads in a few frames and then run with them."""


class Scheduled(Protocol):
    def cancel(self) -> None: ...


class Pacer:
    def __init__(self, schedule: Callable[[float, Callable[[], None]], Scheduled], show: Callable[[Batch], None],
                 minimum: float, after: Callable[[], object] | None = None) -> None:
        self._schedule = schedule
        self._show = show
        self._after = after
        """Run right after each update, its time not counted in the update's cost (the
        app's paint: painted in the update's step, as Textual would a moment later, and
        paced as before, by what the views cost)."""
        self.minimum = minimum
        self._pending: Batch | None = None
        self._timer: Scheduled | None = None
        self._last = 0.0
        self._gap = minimum
        self.flushes = 0

    def add(self, batch: Batch, *, defer: bool = False) -> None:
        """Changes to show: at once if the last update was long enough ago (with ``defer``,
        on the loop's next turn: not inside the caller's step), else soon."""
        if self._pending is None:
            self._pending = {}
        merge_batch(self._pending, batch, copy=True)
        if self._timer is None:
            wait = self._last + self._gap - time.monotonic()
            early = self.minimum * EARLY
            if wait <= early:
                wait = 0.0  # due, or nearly: now, with the read that brought the changes
            else:
                wait -= early / 2  # a little early: the updates drift onto the reads' rhythm
            if wait > 0 or defer:
                self._timer = self._schedule(wait, self.flush)
            else:
                self.flush()

    def cancel(self) -> None:
        """No update after this (the app is closing); what is pending is dropped."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None

    def flush(self) -> None:
        self._timer = None
        changes, self._pending = self._pending, None
        if changes is None:
            return
        started = self._last = time.monotonic()
        self.flushes += 1
        try:
            self._show(changes)
            cost = time.monotonic() - started
            self._gap = min(LONGEST_GAP, max(self.minimum, 3 * cost)) if self.minimum else 0.0
        finally:  # (also after an update that failed: what it changed is painted, what it held given back)
            if self._after is not None:
                self._after()
