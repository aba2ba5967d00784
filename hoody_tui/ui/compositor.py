"""The main screen's compositor: an update renders only the widgets it touches.

Textual's compositor answers a partial update (some rows of a table, a counter in the
status bar) by rendering every widget that overlaps the bounding box of all the dirty
regions. A counter on the top line and a row in the middle make that box the whole
screen: the footer, the scroll bar, the title and every other status field were drawn
again on each paced frame, then thrown away (profile at 2,000 events/s over 50
sessions: 15 widgets and 3.5 ms a frame, of which ~1 ms for widgets nothing changed
in). Here a widget is drawn only when it overlaps a dirty region itself, and only its
lines that a dirty region crosses (a changed row of the table, not its 33 lines: each
line not drawn still cost its cache lookup and filters), and a line's buckets are made
only for the lines written.

The paced view update paints in its own step (:meth:`DashboardScreen.paint_now`): what
it changed is on screen at once, and the loop has one wake-up a frame instead of two
(measured at 2,000 events/s: 57 -> 32 sleeps a second, 336 -> 242 loop callbacks).

Why it is the same picture: the terminal is written only along the dirty spans, and
every cell of a span lies in some dirty region; the front-most widget covering such a
cell overlaps that region, so it is drawn, as before. A widget overlapping no dirty
region would only fill cells that are not written (Textual skips them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable

__all__ = ["TouchedOnlyCompositor", "DashboardScreen", "idle_held", "release_idle"]


class TouchedOnlyCompositor(Compositor):
    _touched: list[Region] | None = None
    _lines: set[int] | None = None

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        crop = Region.from_union(list(update_regions)).intersection(self.size.region)
        spans = list(self._regions_to_spans(update_regions))
        lines = self._lines = {y for y, _, _ in spans}
        self._touched = list(update_regions)
        try:
            chops = self._render_chops(crop, lines.__contains__)
        finally:
            self._touched = self._lines = None
        cuts = self.cuts
        no_ends: list[int] = []
        chop_ends = [cuts[y][1:] if y in lines else no_ends for y in range(len(cuts))]
        return ChopsUpdate(chops, spans, chop_ends)

    def _render_chops(self, crop: Region, is_rendered_line: Callable[[int], bool]) -> Sequence[Mapping[int, Strip]]:
        """Textual's, with a line's buckets made only for the lines written (the update
        reads no other; Textual made them for every line of the screen on every update)."""
        lines = self._lines
        if lines is None:
            return super()._render_chops(crop, is_rendered_line)
        cuts = self.cuts
        unwritten: dict[int, Strip | None] = {}  # (shared, never filled: no render reaches it)
        chops: list[dict[int, Strip | None]] = [unwritten] * len(cuts)
        for y in lines:
            chops[y] = dict.fromkeys(cuts[y][:-1])
        intersection = Region.intersection
        for region, clip, strips in self._get_renders(crop):
            render_region = intersection(region, clip)
            render_x = render_region.x
            first_cut, last_cut = render_region.column_span
            for y, strip in zip(render_region.line_range, strips, strict=False):
                if y not in lines:
                    continue
                chops_line = chops[y]
                final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                cut_strips = strip.divide([cut - render_x for cut in final_cuts[1:]])
                get_chops_line = chops_line.get
                for cut, piece in zip(final_cuts, cut_strips, strict=False):
                    if get_chops_line(cut) is None:  # front to back: the first one wins
                        chops_line[cut] = piece
        return cast("Sequence[Mapping[int, Strip]]", chops)

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        touched = self._touched
        if touched is None or crop is None:
            yield from super()._get_renders(crop)
            return
        contains_region = Region.contains_region
        drawn: list[Region] = []  # what the widgets in front show, front first
        # (Edges as plain numbers: each of the ~25 widgets is tested against each dirty
        # region every frame, and Region's methods cost a call each.)
        boxes = [(x, y, x + width, y + height) for x, y, width, height in touched]
        for widget, (region, clip) in self.visible_widgets.items():
            rx, ry, rw, rh = region
            cx, cy, cw, ch = clip
            left, top = max(rx, cx), max(ry, cy)
            right, bottom = min(rx + rw, cx + cw), min(ry + rh, cy + ch)
            # The dirty regions the part of the widget on screen overlaps (none: not drawn).
            hits = [box for box in boxes if box[0] < right and box[2] > left and box[1] < bottom and box[3] > top]
            if not hits or right <= left or bottom <= top:
                continue
            shown = Region(left, top, right - left, bottom - top)
            pieces = []
            for a, b, c, d in hits:  # each overlap, as Region.intersection makes it
                x1, y1 = max(a, left), max(b, top)
                pieces.append(Region(x1, y1, min(c, right) - x1, min(d, bottom) - y1))
            drawn.append(shown)
            if all(any(contains_region(front, piece) for front in drawn[:-1]) for piece in pieces):
                continue  # hidden where it is dirty by a widget in front (a container behind its children)
            x, _, width, _ = shown
            if not width:
                continue
            # Only the widget's lines that a dirty region crosses (a changed row of a
            # table, not the whole table: its other lines are not written).
            for top, bottom in _runs(pieces):
                band = Region(x, top, width, bottom - top)  # (as region and clip: drawn whole)
                yield band, band, widget.render_lines(band.translate((-region.x, -region.y)))


def idle_held(widget: Widget) -> bool:
    """Hold ``widget``'s idle prompt while a paced update runs (the app's ``idle_held``);
    False when none runs (then the caller prompts as usual). Textual answers each
    refresh with a ``Prompt`` to the widget, a task step of its own (~55-100 us in a
    paced frame) that finds nothing left to do once the update's paint
    (:meth:`DashboardScreen.paint_now`) has drawn it. What is held is given back after
    the paint (:func:`release_idle`) unless the widget was painted and has nothing else
    to do when idle. The widgets refreshed on every paced update (the tables, the status
    bar's labels) call this from their ``check_idle``."""
    held: list[Widget] | None = getattr(widget.app, "idle_held", None)
    if held is None:
        return False
    held.append(widget)
    return True


def release_idle(held: Iterable[Widget], painted: Iterable[Widget]) -> None:
    """The idle prompts held while a paced update ran: each is sent now, as Textual would
    have, unless its widget was painted in the update's step and has nothing else to do
    when idle (no repaint, layout, scroll, styles, recompose or callback pending, no idle
    handler with work of its own)."""
    done = set(painted)
    for widget in dict.fromkeys(held):
        if widget in done and not _idle_work(widget):
            continue
        widget.check_idle()


def _idle_work(widget: Widget) -> bool:
    """Whether a widget's idle event would do anything."""
    return bool(
        widget._repaint_required or widget._layout_required or widget._scroll_required
        or widget._refresh_styles_required or widget._recompose_required or widget._next_callbacks
        or _own_idle_work(widget)
    )


def _own_idle_work(widget: Widget) -> bool:
    """Whether a widget's own idle handlers may have work pending (a table's not, once
    settled; any other widget's idle handler is assumed to)."""
    kind = type(widget)
    return getattr(kind, "on_idle", None) is not None or (kind._on_idle is not Widget._on_idle and not _settled(widget))


def _settled(widget: Widget) -> bool:
    """Whether a widget that does work of its own when idle has none pending: a table
    measures new rows and changed cells then (painted before, its columns could be a
    frame behind). Any other such widget is left to Textual's way."""
    if isinstance(widget, DataTable):
        return not widget._require_update_dimensions and not widget._updated_cells
    return False


def _runs(pieces: list[Region]) -> list[tuple[int, int]]:
    """The lines ``pieces`` cover, as runs of consecutive lines (top, bottom exclusive)."""
    spans = sorted((piece.y, piece.bottom) for piece in pieces if piece.height)
    runs: list[tuple[int, int]] = []
    for top, bottom in spans:
        if runs and top <= runs[-1][1]:
            if bottom > runs[-1][1]:
                runs[-1] = (runs[-1][0], bottom)
        else:
            runs.append((top, bottom))
    return runs


class DashboardScreen(Screen[None]):
    """The app's default screen, with the compositor above. While the person's key has
    its turns of the loop (``held``: seconds left of the input hold, see
    :mod:`hoody_tui.core.priority`), its screen updates wait: a decision's request is
    written to the socket before the screen is painted, not after a repaint of 15-50 ms
    that a key under a firehose otherwise waited behind (traced: key to request written
    17 -> 35 ms). The hold is 20 ms, 60 at most in a row; what waits is then painted."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None,
                 held: Callable[[], float] | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = TouchedOnlyCompositor()
        self._held = held
        self._resume: Timer | None = None

    def _on_timer_update(self) -> None:
        left = self._held() if self._held is not None else 0.0
        if left > 0 and self.is_current:
            self._update_timer.pause()  # (and the callbacks after a paint wait for it)
            if self._resume is None:
                self._resume = self.set_timer(left, self._after_hold, name="paint after the key")
            return
        super()._on_timer_update()

    def paint_now(self) -> list[Widget]:
        """Paint the widgets whose content changed, now, in the caller's step (the paced
        view update's): Textual reaches the same paint through each widget's message
        queue, the screen's, its idle event and its update timer: several loop steps
        and a wake-up of its own, 16 ms later at most, for every frame (and the timer
        woke again a tick after each paint). Only plain repaints are taken here: a
        widget that needs layout, scrolling or new styles, a screen that does, a batch
        or a key's hold leave everything to Textual's way. The widgets painted (none: the
        paint was left to Textual, or nothing had changed)."""
        app = self.app
        if (not self.is_current or app._batch_count or self._layout_required or self._scroll_required
                or self._recompose_required or self._repaint_required or self._layout_widgets
                or (self._held is not None and self._held() > 0)):
            return []
        dirty = []
        for widget in self._compositor.visible_widgets:
            if widget._repaint_required:
                if (widget._layout_required or widget._scroll_required or widget._refresh_styles_required
                        or _own_idle_work(widget)):
                    return []
                dirty.append(widget)
        if not dirty:
            return []
        for widget in dirty:
            widget._repaint_required = False  # (its idle then posts no Update: painted here)
        self._dirty_widgets.update(dirty)
        super()._on_timer_update()
        return dirty

    def _after_hold(self) -> None:
        self._resume = None
        self._update_timer.resume()
