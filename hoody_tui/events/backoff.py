"""Capped exponential backoff with jitter, for reconnecting streams."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """Delay before reconnect attempt ``n`` (1-based): ``initial * factor**(n-1)`` capped at
    ``maximum``, then "equal jitter" (half fixed, half random) so many clients that lost
    the same server do not all come back at the same instant.

    The caller resets by starting again at attempt 1 after a success.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int) -> float:
        if attempt < 1:
            return 0.0
        base = min(self.maximum, self.initial * self.factor ** min(attempt - 1, 64))
        fixed = base * (1.0 - self.jitter)
        return fixed + self.rng.uniform(0.0, base - fixed)
