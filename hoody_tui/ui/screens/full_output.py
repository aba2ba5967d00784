"""The whole of a long output (a tool call's, a job's), a page at a time.

The stream and the job detail show at most a few tens of thousands of characters of
an output; this screen reads all of it. However large the text (a 10 MB log), only one
page (about 50,000 characters, cut at a line end) is in the widget at a time, in a
read-only TextArea that paints only the lines on screen, so opening it and turning
pages never freezes the app. Text is neutralised page by page: an output is data,
never terminal control.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, TextArea

from ...text import neutralise, shorten
from ..widgets.footer import KeysFooter

__all__ = ["FullOutputScreen", "PAGE_CHARS", "page_bounds"]

PAGE_CHARS = 50_000
"""About this many characters a page (a page ends at a line end when there is one)."""
LINE_SLACK = 2_000
"""How far past PAGE_CHARS a page may run to end at a line end."""


def page_bounds(text: str, size: int = PAGE_CHARS, slack: int = LINE_SLACK) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of each page of ``text``: ``size`` characters, stretched to
    the next newline if one is within ``slack`` (so lines are not cut), at least one page."""
    bounds: list[tuple[int, int]] = []
    start, total = 0, len(text)
    while start < total:
        end = min(total, start + size)
        if end < total:
            newline = text.find("\n", end, end + slack)
            if newline != -1:
                end = newline + 1
        bounds.append((start, end))
        start = end
    return bounds or [(0, 0)]


class FullOutputScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="output.back", tooltip="Back to where you were"),
        Binding("n,right_square_bracket", "page(1)", "Next page", id="output.next", tooltip="The next page of the output"),
        Binding("p,left_square_bracket", "page(-1)", "Prev page", id="output.prev", tooltip="The previous page of the output"),
        Binding("g", "first", "First", id="output.first", tooltip="The first page"),
        Binding("G", "last", "Last", id="output.last", tooltip="The last page (the end of the output)"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(id="full-output-screen")
        self._title = title
        self.text = text
        self.pages = page_bounds(text)
        self.page = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="full-output-title")
        yield TextArea("", read_only=True, soft_wrap=True, show_line_numbers=False, id="full-output-text")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.show_page(0)
        self.query_one(TextArea).focus()

    @property
    def page_text(self) -> str:
        """The page on screen, as shown (neutralised)."""
        return self.query_one(TextArea).text

    def show_page(self, page: int) -> None:
        self.page = max(0, min(len(self.pages) - 1, page))
        start, end = self.pages[self.page]
        area = self.query_one(TextArea)
        area.load_text(neutralise(self.text[start:end]))
        area.move_cursor((0, 0))
        area.scroll_home(animate=False)
        total = len(self.text)
        title = Text(shorten(self._title, 80), style="bold")
        title.append(f"  ·  {total:,} characters")
        if len(self.pages) > 1:
            title.append(f"  ·  page {self.page + 1} of {len(self.pages)} (characters {start + 1:,}–{end:,})")
            title.append("  ·  n/p turn pages, g/G first/last, Esc back", style="dim")
        else:
            title.append("  ·  Esc back", style="dim")
        self.query_one("#full-output-title", Static).update(title)

    def action_page(self, delta: int) -> None:
        if 0 <= self.page + delta < len(self.pages):
            self.show_page(self.page + delta)
        else:
            self.app.bell()

    def action_first(self) -> None:
        self.show_page(0)

    def action_last(self) -> None:
        self.show_page(len(self.pages) - 1)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
