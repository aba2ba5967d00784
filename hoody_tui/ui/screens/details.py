"""A session's todo list, diff or summary, fetched when asked for."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...text import neutralise, safe_text

__all__ = ["DetailsScreen"]


class DetailsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="details.close", tooltip="Close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__(id="details-screen")
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-body"):
            # The title quotes a session title and the body holds what the server sent
            # (todo items, file names, summary fields): shown as neutralised text.
            yield Static(Text(neutralise(self._title), style="bold"), id="details-title")
            yield Static(safe_text(self._body), id="details-text")
            yield Static("Esc closes", id="details-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
