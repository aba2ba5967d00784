"""Ask the user for a line of text (a reject message, an answer, a reason)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...text import neutralise

__all__ = ["TextPromptScreen"]


class TextPromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without sending anything")]

    def __init__(self, title: str, *, placeholder: str = "", note: str = "", allow_empty: bool = False) -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder
        self._note = note
        self._allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-body"):
            yield Static(neutralise(self._title), id="prompt-title", markup=False)
            yield Input(placeholder=self._placeholder, id="prompt-input")
            if self._note:
                yield Static(neutralise(self._note), id="prompt-note", markup=False)
            yield Static("Enter sends · Esc cancels", id="prompt-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value and not self._allow_empty:
            self.app.bell()
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
