"""F1 / ?: the keys that work here, for what is focused, with what each does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...text import neutralise

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close", tooltip="Close the help"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(id="help-screen")
        self._title = title
        self._rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(neutralise(self._title), style="bold"), id="help-title")
            text = Text()
            key_width = max((len(key) for key, _, _ in self._rows), default=4) + 2
            text_width = max((len(d) for _, d, _ in self._rows), default=8) + 2
            for key, description, tooltip in self._rows:
                text.append(neutralise(key.ljust(key_width)), style="bold")
                text.append(neutralise(description.ljust(text_width)))
                if tooltip and tooltip != description:
                    text.append(neutralise(tooltip), style="dim")
                text.append("\n")
            yield Static(text, id="help-keys")
            yield Static("Esc closes · ctrl+p opens the command palette", id="help-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
