"""The flash line: one line of feedback above the footer, as k9s and lazygit have.

Every notice (an action's outcome, a gate that arrived or was decided elsewhere, a
stream problem) replaces the one before instead of stacking popups over what the
person is reading; nothing is ever drawn over the gate detail or a modal. A notice
stays for its timeout (errors longer), then the line hides.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from ...core.publications import Severity

__all__ = ["FlashLine", "FlashEntry", "TIMEOUTS"]

TIMEOUTS: dict[str, float] = {"information": 4.0, "warning": 8.0, "error": 15.0}
ICONS = {"information": "●", "warning": "▲", "error": "✕"}


@dataclass(frozen=True, slots=True)
class FlashEntry:
    text: str
    severity: Severity
    title: str
    at: float
    topic: str = ""
    """What the notice is about (``gate-arrived``: cleared once the gates are on screen)."""


class FlashLine(Static):
    """Shows the latest notice; hidden when there is none."""

    DEFAULT_CLASSES = "flash"

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._timer: Timer | None = None
        self.current: FlashEntry | None = None
        self.display = False

    def show(self, entry: FlashEntry, timeout: float | None = None) -> None:
        self.current = entry
        severity = entry.severity
        # One line: what does not fit ends in "…" (the most important words come first).
        line = Text(f" {ICONS.get(severity, '●')} ", style="bold", no_wrap=True, overflow="ellipsis")
        if entry.title:
            line.append(f"{entry.title}: ", style="bold")
        line.append(entry.text)
        self.update(line)
        for name in ("information", "warning", "error"):
            self.set_class(name == severity, f"-{name}")
        self.display = True
        if self._timer is not None:
            self._timer.stop()
        wait = TIMEOUTS.get(severity, 4.0) if timeout is None else timeout
        self._timer = self.set_timer(max(wait, 1.0), self.clear) if self.is_mounted else None

    def clear(self, topic: str | None = None) -> None:
        """Hide the notice (only if it is about ``topic``, when one is given)."""
        if topic is not None and (self.current is None or self.current.topic != topic):
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = None
        self.current = None
        self.display = False
