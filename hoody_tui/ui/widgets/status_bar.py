"""The bar on top: server, workspace, connection state, busy sessions, active jobs,
pending gates (highlighted when any wait) and the time."""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ...events.items import ConnectionState
from ...text import one_line, shorten

__all__ = ["StatusBar", "short_reason"]

_REASONS = (
    ("connection refused", "connection refused"),
    ("host name not found", "host name not found"),
    ("stalled", "no data or heartbeat, stream stalled"),
    ("timed out", "timed out"),
    ("tls error", "TLS error"),
    ("closed the stream", "connection lost"),
    ("connection dropped", "connection lost"),
)


def short_reason(reason: str | None) -> str:
    """A few words for the status bar from a stream's reason (the full one is the tooltip)."""
    text = one_line(reason or "")
    lowered = text.lower()
    for needle, words in _REASONS:
        if needle in lowered:
            return words
    status = re.search(r"\(HTTP (\d{3})\)", text)
    if status:
        code = int(status.group(1))
        return f"server error (HTTP {code})" if code >= 500 else f"refused (HTTP {code})"
    return shorten(text, 40) or "unknown reason"


class StatusBar(Horizontal):
    """Each figure is its own label so the stylesheet can colour it by state."""

    connection: reactive[ConnectionState] = reactive(ConnectionState("connecting"), init=False)
    busy: reactive[int] = reactive(0, init=False)
    jobs: reactive[int] = reactive(0, init=False)
    gates: reactive[int] = reactive(0, init=False)

    def __init__(self, server_label: str, workspace: str, *, clock: Callable[[], float] = _time.time, insecure: bool = False) -> None:
        super().__init__(id="status-bar")
        self._server_label = server_label
        self._workspace = workspace
        self._clock = clock
        self._insecure = insecure
        self._texts: dict[str, str] = {}
        self._retry_at: float | None = None
        """When the next reconnect attempt starts (monotonic), while reconnecting."""

    def _set(self, label_id: str, text: str) -> Static:
        """Show ``text`` in a label; the screen is laid out again only when its width changes
        (a layout pass costs a full repaint, and the counts change many times a second)."""
        label = self.query_one(f"#{label_id}", Static)
        old = self._texts.get(label_id)
        if old != text:
            self._texts[label_id] = text
            # Content, not str: the connection label quotes the server's reason, never markup.
            label.update(Content(one_line(text)), layout=old is None or len(old) != len(text))
        return label

    def compose(self) -> ComposeResult:
        yield Static("hoody-tui", id="sb-app")
        # Content, not str: a "[" in a workspace id or server label is not markup.
        yield Static(Content(one_line(f"{self._server_label} / {self._workspace}")), id="sb-target")
        if self._insecure:
            yield Static("TLS OFF", id="sb-insecure")
        yield Static("", id="sb-connection")
        yield Static("", id="sb-busy")
        yield Static("", id="sb-jobs")
        yield Static("", id="sb-gates")
        yield Static("", id="sb-clock")

    def on_mount(self) -> None:
        self._show_connection()
        self._show_counts()
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        # The labels are there from on_mount on (is_mounted is not set yet at that point).
        if len(self.children) >= 7 and not self._closing:
            self._set("sb-clock", _time.strftime("%H:%M:%S", _time.localtime(self._clock())))
            if self._retry_at is not None:
                self._show_connection()

    def watch_connection(self) -> None:
        state = self.connection
        self._retry_at = _time.monotonic() + (state.delay or 0.0) if state.phase == "reconnecting" else None
        self._show_connection()

    def watch_busy(self) -> None:
        self._show_counts()

    def watch_jobs(self) -> None:
        self._show_counts()

    def watch_gates(self) -> None:
        self._show_counts()

    def _show_connection(self) -> None:
        if not self._ready():
            return
        state = self.connection
        text = {
            "live": "● live",
            "connecting": "◌ connecting",
            "unauthorized": "✕ token rejected",
            "forbidden": "✕ forbidden: no access to this workspace",
        }.get(state.phase)
        if text is None:
            if state.phase == "reconnecting":
                # Why, which attempt, and when the next one starts (counting down).
                if self._retry_at is None:
                    return
                left = self._retry_at - _time.monotonic()
                when = f"reconnecting in {left:.0f}s" if left >= 0.5 else "reconnecting now"
                text = f"↻ {when} · attempt {state.attempt} · {short_reason(state.reason)}"
            else:
                text = f"✕ {state.phase}: {short_reason(state.reason)}" if state.reason else f"✕ {state.phase}"
        label = self._set("sb-connection", text)
        label.tooltip = Content(one_line(state.describe()))  # the reason may quote the server
        for phase in ("live", "connecting", "reconnecting"):
            label.set_class(state.phase == phase, f"-{phase}")
        label.set_class(state.final, "-down")

    def _ready(self) -> bool:
        """False while composing or tearing down, when the labels are not all there."""
        return self.is_mounted and len(self.children) >= 7

    def _show_counts(self) -> None:
        if not self._ready():
            return
        self._set("sb-busy", f"busy {self.busy}")
        self._set("sb-jobs", f"jobs {self.jobs}")
        gates = self._set("sb-gates", f"gates {self.gates}")
        gates.set_class(self.gates > 0, "-alert")
