"""Monotonic, ULID-like identifiers: ``sess_``, ``msg_``, ``prt_``, ``call_``, ``job_``, ``per_``,
``que_``, ``launch_``, ``grp_`` + 26 Crockford base32 characters.

The first 10 characters encode the server's start time (fixed for a run), the last 16 a
counter shared by every prefix. So ids sort lexicographically in creation order (the
server pages on that), and a run with a fixed ``epoch_ms`` and seed mints the same ids.
"""

from __future__ import annotations

import itertools

__all__ = ["IdFactory", "CROCKFORD"]

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


class IdFactory:
    """Mints ids; ``new("msg")`` -> ``msg_01HF…``."""

    def __init__(self, epoch_ms: int) -> None:
        self._time = _base32(max(0, epoch_ms), 10)
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._time}{_base32(next(self._counter), 16)}"
