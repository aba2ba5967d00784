"""F1 / ?: every key, grouped by view, in words, aligned (the view on screen first)."""

from __future__ import annotations

from rich.table import Table
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

    def __init__(self, title: str, sections: list[tuple[str, list[tuple[str, str, str]]]]) -> None:
        super().__init__(id="help-screen")
        self._title = title
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(neutralise(self._title), style="bold"), id="help-title")
            key_width = max((len(key) for _, rows in self._sections for key, _, _ in rows), default=4)
            for heading, rows in self._sections:
                # A grid: a description that wraps stays in its column, never under the keys.
                table = Table.grid(padding=(0, 2), expand=True)
                table.add_column(width=key_width, no_wrap=True, style="bold")
                table.add_column(ratio=2)
                table.add_column(ratio=3, style="dim")
                for key, description, tooltip in rows:
                    detail = tooltip if tooltip and tooltip != description else ""
                    table.add_row(Text(neutralise(key)), Text(neutralise(description)), Text(neutralise(detail)))
                yield Static(Text(neutralise(heading), style="bold underline"), classes="help-heading")
                yield Static(table, classes="help-keys")
            yield Static("Esc closes · keys can be remapped in the config file's [keys] table", id="help-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
