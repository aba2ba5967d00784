"""What the headless commands print: JSON lines and arrays for scripts, aligned tables
for people.

Agent text is inert here as in the TUI: tables go through :func:`~hoody_tui.text.one_line`
(control characters shown, never sent), and JSON escapes every control character, C1
and bidirectional ones included (``json`` alone leaves those raw outside ASCII), so a
payload cannot drive the terminal a pipe ends in.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..text import INVISIBLE, one_line, shorten

__all__ = ["dumps", "emit", "table", "age_text", "say"]

_UNSAFE = re.compile("[\u0080-\u009f\u2028\u2029" + "".join(re.escape(chr(c)) for c in sorted(INVISIBLE)) + "]")


def dumps(value: Any) -> str:
    """``value`` as one line of JSON, non-ASCII kept readable, control characters escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit(line: str, stream: TextIO | None = None) -> None:
    """Write one line and flush it at once: a pipe sees each line as it is made."""
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()


def say(text: str) -> None:
    """A line for the person on stderr (progress, warnings): never mixed into stdout."""
    emit(f"hoody-tui: {one_line(text)}", sys.stderr)


def age_text(seconds: float | None) -> str:
    """``45s``, ``3m``, ``2h``, ``4d``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, stretch: int, width: int | None = None) -> list[str]:
    """Rows aligned under ``header``; column ``stretch`` takes what the terminal width
    leaves (the whole text when stdout is not a terminal)."""
    cells = [[one_line(c) for c in row] for row in rows]
    widths = [max([len(header[i])] + [len(r[i]) for r in cells]) for i in range(len(header))]
    if width is None and sys.stdout.isatty():
        width = shutil.get_terminal_size((120, 24)).columns
    if width is not None:
        others = sum(w for i, w in enumerate(widths) if i != stretch) + 2 * (len(header) - 1)
        widths[stretch] = max(len(header[stretch]), min(widths[stretch], width - others))
    lines = []
    for row in [list(header), *cells]:
        fitted = [shorten(c, widths[i]) if len(c) > widths[i] else c for i, c in enumerate(row)]
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(fitted)).rstrip())
    return lines
