"""The ``/`` filter box shown above a list; Esc clears and hides it."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

__all__ = ["FilterInput"]


class FilterInput(Input):
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", id="filter.clear", tooltip="Clear the filter and go back to the list"),
    ]

    class FilterChanged(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="filter…  (Esc clears)", classes="filter-input", **kwargs)
        self.display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value.strip().lower()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.parent is not None:
            self.screen.focus_next()

    def open(self) -> None:
        self.display = True
        self.focus()

    def action_clear_filter(self) -> None:
        self.value = ""
        self.display = False
        self.post_message(self.FilterChanged(""))
        self.screen.focus_next()
