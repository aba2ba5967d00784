"""A part of a message in the stream (the base of its views), and how much of a part's
text and output the stream shows."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Collapsible

from ...api.messages import PartBase, ReasoningPart, TextPart
from .placement import placed

__all__ = ["PartView", "MAX_OUTPUT_CHARS", "MAX_TEXT_CHARS", "TEXT_REDRAW", "shown_text", "cut_note", "safe_id"]


MAX_OUTPUT_CHARS = 20_000
MAX_TEXT_CHARS = 10_000
"""An agent's text shown as Markdown up to here (``v`` reads all of it): rendering a
5 MB part stopped the app for 2-5 s."""


TEXT_REDRAW = 0.1
"""Seconds between two draws of an answer (or its reasoning) being typed."""


def shown_text(text: str) -> str:
    """The part of an agent's text the stream renders (a cut one ends at a line break)."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_TEXT_CHARS)
    return text[: cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS]


def cut_note(text: str, shown: str) -> str:
    hidden = len(text) - len(shown)
    return f"… {hidden:,} more characters not shown: press v to read all of it" if hidden > 0 else ""


def safe_id(prefix: str, raw: str) -> str:
    """An id or class name from the server's words (a part type, a status, a role):
    Textual refuses any other character, and would stop the app."""
    return prefix + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in raw)


class PartView(Widget):
    """One part of a message; ``show(part)`` updates it in place. An agent's text is a
    ``TextPartView`` (text_part.py: its lines drawn by itself), any other part a
    :class:`PartBox` (widgets: a collapsible, a line); :func:`part_view` makes the right one."""

    def __init__(self, part: PartBase, *, role: str | None, **kwargs: Any) -> None:
        # (Styled by app.tcss's .part and .part-box, not by CSS of their own: a widget's
        # CSS is read when the first one is shown, which stops the app.)
        super().__init__(classes=f"part {safe_id('part-', part.type)}", **kwargs)
        self.part = part
        self.role = role

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return placed(self, size, virtual_size, container_size, keep_lines=True)

    def open_all(self) -> None:
        """Open every collapsible of the part (a tool call shown from its gate)."""
        for collapsible in self.query(Collapsible):
            collapsible.collapsed = False

    _text_timer: object | None = None
    _text_drawn = 0.0

    def show(self, part: PartBase) -> None:
        old, self.part = self.part, part
        if isinstance(part, TextPart | ReasoningPart) and type(old) is type(part):
            if part.text == old.text:
                return
            # An answer (or its reasoning) being typed is drawn at most TEXT_REDRAW times
            # a second (each draw repaints what changed).
            wait = self._text_drawn + TEXT_REDRAW - monotonic()
            if self._text_timer is None and wait > 0:
                self._text_timer = self._later(wait, self._draw_latest_text)
            if self._text_timer is None:
                self._text_drawn = monotonic()
                self._draw_typed(part)
            return
        self._show_other(old, part)

    def _later(self, wait: float, callback: Callable[[], None]) -> object:
        """``callback`` in ``wait`` seconds: from the loop where the app offers it (HoodyApp's
        ``schedule``; a Textual timer is a task and an event, ten a second while an answer
        is typed), else a timer."""
        schedule = getattr(self.app, "schedule", None)
        if callable(schedule):
            return schedule(wait, callback)
        return self.set_timer(wait, callback, name="text redraw")

    def _draw_latest_text(self) -> None:
        self._text_timer = None
        if self.is_attached:
            self._text_drawn = monotonic()
            self._draw_typed(self.part)

    def _draw_typed(self, part: PartBase) -> None:
        """Draw a text or reasoning part that changed (at most TEXT_REDRAW times a second)."""

    def _show_other(self, old: PartBase, part: PartBase) -> None:
        """Draw any other change of the part."""
