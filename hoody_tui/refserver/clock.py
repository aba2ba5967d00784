"""The server's time source: epoch milliseconds, never going backwards."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """Epoch-ms clock. Starts at ``epoch_ms`` (default: the real time) and advances with
    real elapsed time; or reads ``source`` (any callable returning epoch ms) when given,
    which lets tests freeze or step time. ``now_ms`` is monotonic either way."""

    def __init__(self, epoch_ms: int | None = None, source: Callable[[], int] | None = None) -> None:
        self._source = source
        if source is not None:
            self._start = int(source())
        elif epoch_ms is not None:
            self._start = int(epoch_ms)
        else:
            self._start = int(time.time() * 1000)
        self._t0 = time.monotonic()
        self._last = 0

    @property
    def start_ms(self) -> int:
        """The time the server started at (the fixed part of every minted id)."""
        return self._start

    def now_ms(self) -> int:
        if self._source is not None:
            now = int(self._source())
        else:
            now = self._start + int((time.monotonic() - self._t0) * 1000)
        self._last = max(self._last, now)
        return self._last
