"""A yes/no question before an action that destroys work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ...text import neutralise

__all__ = ["ConfirmScreen"]


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Cancel"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()  # no fixed id: a second confirmation may open from the first one's answer
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body"):
            # The question often quotes a title or a command: literal text, controls made visible.
            yield Static(neutralise(self._question), id="confirm-question", markup=False)
            yield Static("y: yes    n / Esc: no", id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
