"""Making untrusted text (agent output, commands, titles) safe to put on screen.

Anything an agent prints is data, never terminal control: C0 and C1 control
characters (ESC, BEL, CSI...) and DEL are replaced by visible symbols, so an ANSI,
OSC or DCS sequence shows as text and cannot move the cursor, clear the screen,
write the clipboard or open a hyperlink. Invisible format characters that change
how the text around them reads (bidi overrides and isolates, zero-width spaces and
joiners, the BOM, line and paragraph separators) are made visible too, so a command
shown in a gate reads as the characters it holds. Rich markup is not interpreted
either, because callers put this text into ``rich.text.Text`` objects (or Textual
``Content``), never into markup; :func:`safe_text` re-checks a ``Text`` built elsewhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["neutralise", "one_line", "shorten", "fit", "safe_text", "markup_literal", "INVISIBLE"]

# C0 controls map to the Unicode "control pictures" block (U+2400 + code), DEL to
# U+2421; C1 controls (0x80-0x9f) to a replacement box. Tab and newline are kept.
_TABLE = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_TABLE[0x7F] = 0x2421
_TABLE.update(dict.fromkeys(range(0x80, 0xA0), 0xFFFD))

INVISIBLE = frozenset(
    [0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x2060, 0x2061, 0x2062,
     0x2063, 0x2064, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
"""Bidi controls (LRM/RLM/ALM, embeddings, overrides, isolates), zero-width space,
joiners and no-break (BOM), invisible operators, and the line/paragraph separators."""
# Each becomes one replacement box: the text keeps its length, and the terminal's idea
# of the width agrees with Rich's (a zero-width character may not be zero-width there).
_TABLE.update(dict.fromkeys(INVISIBLE, 0xFFFD))


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
    return flat if len(flat) <= width else flat[: max(0, width - 1)].rstrip() + "…"


_SUFFIX = re.compile(r"\s(\([^()]{1,16}\))$")


def fit(text: str, width: int) -> str:
    """``shorten``, but a short parenthesised ending (``(fork #1)``, an id that tells two
    equal titles apart) survives the cut: ``Fix the login re… (fork #1)``."""
    flat = one_line(text)
    if len(flat) <= width:
        return flat
    match = _SUFFIX.search(flat)
    if match and width >= len(match.group(1)) + 6:
        suffix = match.group(1)
        return shorten(flat[: match.start()], width - len(suffix) - 1) + " " + suffix
    return shorten(flat, width)


def safe_text(text: Text | str) -> Text:
    """``text`` as a ``Text`` whose characters are neutralised, keeping its styles.

    A ``str`` is taken literally (never as markup). Neutralising maps one character to
    one, so the spans of a ``Text`` still cover the same characters.
    """
    from rich.text import Text

    if isinstance(text, str):
        return Text(neutralise(text))
    plain = text.plain
    clean = neutralise(plain)
    if clean == plain:
        return text
    copy = text.copy()
    copy.plain = clean
    return copy


def markup_literal(text: str) -> str:
    """``one_line(text)`` escaped for the few Textual APIs that only take markup (the
    command palette's titles and help): it reads back as exactly these characters.

    Every ``[`` is escaped; Textual's own ``escape`` leaves some (``[/``, ``[/0``) that
    then raise ``MarkupError``. Backslashes need no escaping: only ``\\[`` is special.
    """
    return one_line(text).replace("[", "\\[")
