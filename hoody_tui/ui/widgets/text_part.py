"""An agent's text part in the stream: a PartView whose lines are drawn by MarkdownLines.

Its own module, imported when a message first shows an agent's text: Markdown (and its
parser, imported on first use) is not needed to start the app."""

from __future__ import annotations

from typing import Any

from ...api.messages import PartBase, TextPart
from ...text import neutralise
from .markdown_lines import COMPONENTS, MarkdownLines, markdown_css
from .parts import PartView, cut_note, shown_text

__all__ = ["TextPartView"]


class TextPartView(PartView, MarkdownLines):
    """An agent's text part: Markdown, drawn line by line (see MarkdownLines). A word typed
    repaints its line; the stream is laid out again only when the text takes more lines.
    A text cut at MAX_TEXT_CHARS ends with a note (``v`` reads all of it)."""

    # (A PartView first, for Textual: its CSS type, so query(PartView) finds it; and then
    # Textual reads its CSS and components along that base only: MarkdownLines' again.)
    COMPONENT_CLASSES = set(COMPONENTS)
    DEFAULT_CSS = markdown_css("TextPartView")

    def __init__(self, part: TextPart, *, role: str | None, **kwargs: Any) -> None:
        super().__init__(part, role=role, **kwargs)
        self.add_class("assistant-text")
        self._shown = shown_text(part.text)
        self._neutral = neutralise(self._shown)
        """What is on screen: the shown text, neutralised."""
        self.update(self._neutral)
        self.set_note(cut_note(part.text, self._shown))

    def _draw_typed(self, part: PartBase) -> None:
        if not isinstance(part, TextPart):
            return
        shown, before = shown_text(part.text), self._shown
        self._shown = shown
        self.set_note(cut_note(part.text, shown))
        if shown == before:
            return  # what changed is past the cut
        if before and shown.startswith(before):
            # Typed at its end: only what was added is neutralised (one character maps to
            # one, so the neutralised text grows the same way).
            self._neutral += neutralise(shown[len(before):])
        else:
            self._neutral = neutralise(shown)
        self.update(self._neutral)
