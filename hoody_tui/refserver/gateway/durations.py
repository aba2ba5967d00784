"""Duration tokens (C9): ``"30m"``, ``"2h"``, ``"1h30m"``, ``"500ms"``, ``"45s"``, ``"1d"``;
a bare number is milliseconds where the field is in ms."""

from __future__ import annotations

import re

__all__ = ["parse_duration_ms"]

_TOKEN = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration_ms(value: object, *, allow_number: bool = False) -> int:
    """Milliseconds of a duration token (or of a number when ``allow_number``); ValueError."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as \"30m\"")
    if isinstance(value, int | float):
        if not allow_number or value < 0:
            raise ValueError("must be a duration such as \"30m\"")
        return int(value)
    if not isinstance(value, str):
        raise ValueError("must be a duration such as \"30m\"")
    text = value.strip().lower()
    if allow_number and text.isdigit():
        return int(text)
    pos, total = 0, 0.0
    for match in _TOKEN.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"not a duration: {value!r} (e.g. \"30m\", \"2h\", \"1h30m\")")
    return int(total)
