"""The main screen's compositor: an update renders only the widgets it touches.

Textual's compositor answers a partial update (some rows of a table, a counter in the
status bar) by rendering every widget that overlaps the bounding box of all the dirty
regions. A counter on the top line and a row in the middle make that box the whole
screen: the footer, the scroll bar, the title and every other status field were drawn
again on each paced frame, then thrown away (profile at 2,000 events/s over 50
sessions: 15 widgets and 3.5 ms a frame, of which ~1 ms for widgets nothing changed
in). Here a widget is drawn only when it overlaps a dirty region itself.

Why it is the same picture: the terminal is written only along the dirty spans, and
every cell of a span lies in some dirty region; the front-most widget covering such a
cell overlaps that region, so it is drawn, as before. A widget overlapping no dirty
region would only fill cells that are not written (Textual skips them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer

__all__ = ["TouchedOnlyCompositor", "DashboardScreen"]


class TouchedOnlyCompositor(Compositor):
    _touched: list[Region] | None = None

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        crop = Region.from_union(list(update_regions)).intersection(self.size.region)
        spans = list(self._regions_to_spans(update_regions))
        is_rendered_line = {y for y, _, _ in spans}.__contains__
        self._touched = list(update_regions)
        try:
            chops = self._render_chops(crop, is_rendered_line)
        finally:
            self._touched = None
        chop_ends = [cut_set[1:] for cut_set in self.cuts]
        return ChopsUpdate(chops, spans, chop_ends)

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        touched = self._touched
        if touched is None or crop is None:
            yield from super()._get_renders(crop)
            return
        intersection = Region.intersection
        contains_region = Region.contains_region
        drawn: list[Region] = []  # what the widgets in front show, front first
        for widget, (region, clip) in self.visible_widgets.items():
            if not crop.overlaps(clip):
                continue
            shown = intersection(region, clip)
            pieces = [intersection(shown, dirty) for dirty in touched if shown.overlaps(dirty)]
            if not pieces:
                continue
            drawn.append(shown)
            if all(any(contains_region(front, piece) for front in drawn[:-1]) for piece in pieces):
                continue  # hidden where it is dirty by a widget in front (a container behind its children)
            if contains_region(clip, region):
                yield region, clip, widget.render_lines(Region(0, 0, region.width, region.height))
            else:
                x, y, width, height = shown
                if width and height:
                    yield region, clip, widget.render_lines(Region(x - region.x, y - region.y, width, height))


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

    def _after_hold(self) -> None:
        self._resume = None
        self._update_timer.resume()
