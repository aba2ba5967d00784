"""Making untrusted text (agent output, commands, titles) safe to put on screen.

Anything an agent prints is data, never terminal control: C0 and C1 control
characters (ESC, BEL, CSI...) and DEL are replaced by visible symbols, so an ANSI,
OSC or DCS sequence shows as text and cannot move the cursor, clear the screen,
write the clipboard or open a hyperlink. Rich markup is not interpreted either,
because callers put this text into ``rich.text.Text`` objects, never into markup.
"""

from __future__ import annotations

__all__ = ["neutralise", "one_line", "shorten"]

# C0 controls map to the Unicode "control pictures" block (U+2400 + code), DEL to
# U+2421; C1 controls (0x80-0x9f) to a replacement box. Tab and newline are kept.
_TABLE = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_TABLE[0x7F] = 0x2421
_TABLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})


def neutralise(text: str) -> str:
    """``text`` with every control character but tab and newline made visible and inert."""
    return text.translate(_TABLE)


def one_line(text: str) -> str:
    """Neutralised and on one line (newlines and tabs become spaces)."""
    return neutralise(text).replace("\n", " ").replace("\t", " ")


def shorten(text: str, width: int) -> str:
    """``one_line(text)`` cut to ``width`` characters with an ellipsis."""
    flat = one_line(text)
    if width <= 0:
        return ""
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"
