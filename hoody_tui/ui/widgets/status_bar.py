"""The bar on top: server, workspace, connection state, busy sessions, active jobs,
pending gates (highlighted when any wait), what the stream survived, and the time.
With several sources, each one's connection in a few characters: ``work ● laptop ↻ 4s``.

It fits the width: the clock goes first, then the workspace id is shortened, then the
stream counts, jobs and busy counts; the gate count is never dropped."""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ...events.items import ConnectionState
from ...text import one_line, shorten

if TYPE_CHECKING:
    from ...core.inbox import Source

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

    # repaint=False: each watcher redraws the one label that changed. A repaint of the bar
    # itself (every busy count under load) made the compositor render all its labels again.
    connection: reactive[ConnectionState] = reactive(ConnectionState("connecting"), init=False, repaint=False)
    busy: reactive[int] = reactive(0, init=False, repaint=False)
    jobs: reactive[int] = reactive(0, init=False, repaint=False)
    gates: reactive[int] = reactive(0, init=False, repaint=False)
    trouble: reactive[tuple[int, int]] = reactive((0, 0), init=False, repaint=False)
    """Malformed frames skipped and reconnects, so far."""

    def __init__(self, server_label: str, workspace: str, *, clock: Callable[[], float] = _time.time, insecure: bool = False,
                 credential: str = "token", show_jobs: bool = True, sources: Sequence[Source] = (),
                 ticks: bool = True) -> None:
        super().__init__(id="status-bar")
        self._ticks = ticks
        """False: the app calls tick() each second (with its other once-a-second updates, so
        they are painted in one frame instead of one frame each)."""
        self.sources = tuple(sources)
        """Several sources: each one's connection is shown (else the one connection's)."""
        self._source_retry: dict[int, tuple[ConnectionState, float]] = {}
        self.credential = credential
        self._show_jobs = show_jobs
        """False on a server without jobs: no count that is always 0."""
        self._server_label = server_label
        self._workspace = workspace
        self._clock = clock
        self._insecure = insecure
        self._texts: dict[str, str] = {}
        self._labels: dict[str, Static] = {}
        """The labels by id, once found: the counts are set on every paced update, and a
        DOM query for each label each time was work for nothing."""
        self._composed = False
        self._retry_at: float | None = None
        """When the next reconnect attempt starts (monotonic), while reconnecting."""

    def _set(self, label_id: str, text: str) -> Static:
        """Show ``text`` in a label; the screen is laid out again only when its width changes
        (a layout pass costs a full repaint, and the counts change many times a second)."""
        label = self._labels.get(label_id)
        if label is None:
            label = self._labels[label_id] = self.query_one(f"#{label_id}", Static)
        old = self._texts.get(label_id)
        if old != text:
            self._texts[label_id] = text
            # Content, not str: the connection label quotes the server's reason, never markup.
            label.update(Content(one_line(text)), layout=old is None or len(old) != len(text))
            if old is None or len(old) != len(text):
                self._fit()
        return label

    # What gives way when the bar is too narrow, first to last.
    _DROP_ORDER = ("sb-clock", "sb-target", "sb-trouble", "sb-jobs", "sb-busy")

    def _target(self) -> str:
        """The server, and the workspace within it when there is one (a gateway has none)."""
        if self.sources:
            return f"{len(self.sources)} sources"
        return one_line(f"{self._server_label} / {self._workspace}" if self._workspace else self._server_label)

    def _fit(self) -> None:
        """Show what fits the width; the gate count always stays."""
        if not self._composed or not self.size.width:
            return
        target_text = self._target()
        widths = {label.id or "": cell_len(self._texts.get(label.id or "", "")) + 2 for label in self.query(Static)}
        widths["sb-app"] = len("hoody-tui") + 2
        widths["sb-target"] = cell_len(target_text) + 2
        if self._insecure:
            widths["sb-insecure"] = len("TLS OFF") + 2
        trouble = self.query_one("#sb-trouble", Static)
        if not self._texts.get("sb-trouble"):
            widths.pop("sb-trouble", None)
        hidden: set[str] = set()
        if not self._show_jobs:
            widths.pop("sb-jobs", None)
            hidden.add("sb-jobs")
        short_target = target_text
        spare = self.size.width - sum(widths.values())
        for label_id in self._DROP_ORDER:
            if spare >= 0 or label_id not in widths:
                continue
            if label_id == "sb-target":
                keep = max(len(self._server_label) + 5, widths["sb-target"] + spare)
                short_target = shorten(target_text, max(1, keep - 2))
                spare += widths["sb-target"] - (cell_len(short_target) + 2)
                continue
            hidden.add(label_id)
            spare += widths[label_id]
        for label_id in ("sb-clock", "sb-jobs", "sb-busy"):
            label = self.query_one(f"#{label_id}", Static)
            if label.display == (label_id in hidden):
                label.display = label_id not in hidden
        trouble.display = bool(self._texts.get("sb-trouble")) and "sb-trouble" not in hidden
        target = self.query_one("#sb-target", Static)
        if self._texts.get("sb-target") != short_target:
            self._texts["sb-target"] = short_target
            target.update(Content(short_target))
            target.tooltip = Content(target_text)

    def on_resize(self) -> None:
        self._fit()

    def compose(self) -> ComposeResult:
        yield Static("hoody-tui", id="sb-app")
        # Content, not str: a "[" in a workspace id or server label is not markup.
        yield Static(Content(self._target()), id="sb-target")
        if self._insecure:
            yield Static("TLS OFF", id="sb-insecure")
        yield Static("", id="sb-connection")
        yield Static("", id="sb-busy")
        yield Static("", id="sb-jobs")
        yield Static("", id="sb-gates")
        yield Static("", id="sb-trouble")
        yield Static("", id="sb-clock")

    def on_mount(self) -> None:
        self._composed = True
        self.query_one("#sb-trouble").display = False
        self._show_connection()
        self._show_counts()
        self.tick()
        if self._ticks:
            self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        """The clock, and a reconnect's countdown."""
        # The labels are there from on_mount on (is_mounted is not set yet at that point).
        if self._composed and not self._closing:
            self._set("sb-clock", _time.strftime("%H:%M:%S", _time.localtime(self._clock())))
            if self.sources:
                if any(s.connection.phase == "reconnecting" for s in self.sources):
                    self.refresh_sources()
            elif self._retry_at is not None:
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

    def watch_trouble(self) -> None:
        if not self._ready():
            return
        malformed, reconnects = self.trouble
        parts = [f"{malformed} skipped" if malformed else "", f"{reconnects} reconnects" if reconnects else ""]
        label = self._set("sb-trouble", "⚠ " + " · ".join(p for p in parts if p) if any(parts) else "")
        label.tooltip = "Malformed events skipped and reconnects of the live stream since start (details: --log-file)"
        self._fit()

    def refresh_sources(self) -> None:
        """Each source's connection: ``work ● laptop ↻ 4s opencode ✕``."""
        if not self.sources or not self._ready():
            return
        parts = []
        worst = "live"
        for source in self.sources:
            state = source.connection
            if state.phase == "reconnecting":
                held = self._source_retry.get(source.index)
                if held is None or held[0] is not state:
                    held = (state, _time.monotonic() + (state.delay or 0.0))
                    self._source_retry[source.index] = held
                left = held[1] - _time.monotonic()
                mark = f"↻ {left:.0f}s" if left >= 0.5 else "↻ now"
                worst = "reconnecting" if worst == "live" else worst
            elif state.phase == "live":
                mark = "●"
            elif state.phase == "connecting":
                mark = "◌"
                worst = "connecting" if worst == "live" else worst
            else:
                mark = "✕"
                worst = "down"
            parts.append(f"{shorten(source.label, 14)} {mark}")
        label = self._set("sb-connection", " ".join(parts))
        label.tooltip = Content(one_line(" · ".join(
            f"{source.label} ({source.backend.server}): {source.connection.describe()}" for source in self.sources)))
        for phase in ("live", "connecting", "reconnecting"):
            label.set_class(worst == phase, f"-{phase}")
        label.set_class(worst == "down", "-down")

    def _show_connection(self) -> None:
        if not self._ready():
            return
        if self.sources:
            self.refresh_sources()
            return
        state = self.connection
        text = {
            "live": "● live",
            "connecting": "◌ connecting",
            "unauthorized": f"✕ {self.credential} rejected",
            "forbidden": "✕ forbidden: no access to this workspace",
        }.get(state.phase)
        if state.phase == "failed" and "not found" in (state.reason or "").lower():
            text = "✕ workspace not found"
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
        return self._composed and not self._closing

    def _show_counts(self) -> None:
        if not self._ready():
            return
        # Counts kept at least three digits wide: a count crossing 9/10 or 99/100 (under
        # load, many times a second) changed the label's width, so the screen was laid
        # out again (~4 ms and a full repaint each) and what follows it on the bar moved.
        self._set("sb-busy", f"busy {self.busy:<3}")
        self._set("sb-jobs", f"jobs {self.jobs:<3}")
        gates = self._set("sb-gates", f"gates {self.gates}")
        gates.set_class(self.gates > 0, "-alert")
