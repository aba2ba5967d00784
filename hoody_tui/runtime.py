"""Process-wide settings for a long-running interactive process (no Textual here)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

__all__ = ["tune_garbage_collector", "freeze_long_lived", "GC_THRESHOLDS", "CollectorHold"]

GC_THRESHOLDS = (5000, 20, 50)
"""Young collections every 5,000 allocations (not 700), full ones 50x rarer than by default."""


def tune_garbage_collector() -> None:
    """Keep garbage collection pauses short while events pour in.

    Measured under a 300,000 events/s firehose (1,000 sessions): with Python's defaults,
    full collections walked ~170,000 live objects (most of them the interpreter's and
    Textual's own, alive for the whole run) and paused the UI loop for up to 125-480 ms,
    six times in three seconds: those were the longest frame stalls. Freezing what
    exists once the app is up moves it out of every later collection (it is still freed
    normally when its references go), and larger thresholds make the collections
    rarer; the pauses left were at most ~65 ms, none of them full collections.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    freeze_long_lived()


def freeze_long_lived() -> None:
    """Move every object alive now out of later collections (O(1): lists are spliced).

    Called after the first workspace listing is loaded: with 10,000 sessions and 11,000
    jobs in the store, a full collection walked them all and paused the app for
    200-500 ms. There is no ``gc.collect()`` first (that one full collection would be the
    pause); what garbage exists at that moment stays frozen, so this must be called a
    bounded number of times (once a run), never once per reconnect.
    """
    gc.freeze()


class CollectorHold:
    """No garbage collection while a key is on its way to its effect.

    Under 10,000 events a second over 1,000 sessions a young collection walks the store's
    recently replaced parts and jobs (15-20k objects, all of them scattered in memory):
    13-22 ms, and a middle one 35-45 ms, a few times a minute. A key whose way crossed
    one took 30-70 ms to its reply instead of ~9 (traced: a collection starting 5 ms
    after the key, inside the update the key waited for). :meth:`begin` (any thread: the
    UI calls it as a key is queued) turns the collector off for as long as ``held``
    says the intake steps aside for the key (core.priority: 20 ms, at most 60 in a row,
    then as long without), then on again from the loop; what would have been collected
    meanwhile is collected then. Left alone if something else turned the collector off.
    """

    def __init__(self, held: Callable[[], float], loop: asyncio.AbstractEventLoop) -> None:
        self._held = held
        self._loop = loop
        self._armed = False
        self.holds = 0

    def begin(self) -> None:
        if self._armed or not gc.isenabled():
            return
        self._armed = True
        gc.disable()
        self.holds += 1
        try:
            self._loop.call_soon_threadsafe(self._check)
        except RuntimeError:  # the loop is closed: nothing is on its way any more
            self.close()

    def _check(self) -> None:
        left = self._held()
        if left > 0 and self._armed:
            self._loop.call_later(left, self._check)
            return
        self.close()

    def close(self) -> None:
        """The collector back on (the app is closing, or the hold is over)."""
        if self._armed:
            self._armed = False
            gc.enable()
