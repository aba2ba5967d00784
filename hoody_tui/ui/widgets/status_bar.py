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
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Static

from ...events.items import ConnectionState
from ...text import one_line, shorten
from ..compositor import idle_held

if TYPE_CHECKING:
    from ...core.inbox import Source

__all__ = ["BarLabel", "StatusBar", "short_reason"]

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


class BarLabel(Static):
    """A label of the bar. Its texts recur (a count goes up and down many times a second
    under load): each text is drawn once per size and styles, and its lines reused.
    Textual drew the line again each time: ~100 us warm, ~400 us in a paced frame (cold
    after the loop's sleep), every frame at 2,000 events a second for the busy count."""

    KEEP = 64
    """Texts drawn and kept, at most (the clock's never recur: they are let go in bulk)."""

    def __init__(self, content: str | Content = "", *, id: str | None = None) -> None:
        self._drawn: dict[tuple[str, Region, int, int], list[Strip]] = {}
        self._text: str | None = None
        """What the label shows, when set through :meth:`show` (else None: not kept)."""
        self._showing = False
        super().__init__(content, id=id)

    def show(self, text: str, *, layout: bool) -> None:
        """Show ``text`` (never read as markup)."""
        self._showing = True
        try:
            self.update(Content(text), layout=layout)
        finally:
            self._showing = False
        self._text = text

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> BarLabel:
        if not self._showing:
            # Anything else that repaints the label (new styles, a resize, a theme, an
            # update not through show()) may change how a text is drawn: draw afresh.
            self._drawn.clear()
            self._text = None
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    def notify_style_update(self) -> None:
        self._drawn.clear()
        super().notify_style_update()

    def check_idle(self) -> None:
        if not idle_held(self):  # (a paced update paints the count in its step)
            super().check_idle()

    def render_lines(self, crop: Region) -> list[Strip]:
        text = self._text
        if text is None:
            return super().render_lines(crop)
        width, height = self.size
        key = (text, crop, width, height)
        lines = self._drawn.get(key)
        if lines is None:
            if len(self._drawn) >= self.KEEP:
                self._drawn.clear()
            lines = self._drawn[key] = super().render_lines(crop)
        return lines


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
        self._labels: dict[str, BarLabel] = {}
        """The labels by id, once found: the counts are set on every paced update, and a
        DOM query for each label each time was work for nothing."""
        self._composed = False
        self._retry_at: float | None = None
        """When the next reconnect attempt starts (monotonic), while reconnecting."""

    def _set(self, label_id: str, text: str) -> BarLabel:
        """Show ``text`` in a label; the screen is laid out again only when its width changes
        (a layout pass costs a full repaint, and the counts change many times a second)."""
        label = self._labels.get(label_id)
        if label is None:
            label = self._labels[label_id] = self.query_one(f"#{label_id}", BarLabel)
        old = self._texts.get(label_id)
        if old != text:
            self._texts[label_id] = text
            # Content, not str: the connection label quotes the server's reason, never markup.
            label.show(one_line(text), layout=old is None or len(old) != len(text))
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
        widths = {label.id or "": cell_len(self._texts.get(label.id or "", "")) + 2 for label in self.query(BarLabel)}
        widths["sb-app"] = len("hoody-tui") + 2
        widths["sb-target"] = cell_len(target_text) + 2
        if self._insecure:
            widths["sb-insecure"] = len("TLS OFF") + 2
        trouble = self.query_one("#sb-trouble", BarLabel)
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
            label = self.query_one(f"#{label_id}", BarLabel)
            if label.display == (label_id in hidden):
                label.display = label_id not in hidden
        trouble.display = bool(self._texts.get("sb-trouble")) and "sb-trouble" not in hidden
        target = self.query_one("#sb-target", BarLabel)
        if self._texts.get("sb-target") != short_target:
            self._texts["sb-target"] = short_target
            target.show(short_target, layout=True)
            target.tooltip = Content(target_text)

    def on_resize(self) -> None:
        self._fit()

    def compose(self) -> ComposeResult:
        yield BarLabel("hoody-tui", id="sb-app")
        # Content, not str: a "[" in a workspace id or server label is not markup.
        yield BarLabel(Content(self._target()), id="sb-target")
        if self._insecure:
            yield BarLabel("TLS OFF", id="sb-insecure")
        yield BarLabel("", id="sb-connection")
        yield BarLabel("", id="sb-busy")
        yield BarLabel("", id="sb-jobs")
        yield BarLabel("", id="sb-gates")
        yield BarLabel("", id="sb-trouble")
        yield BarLabel("", id="sb-clock")

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
