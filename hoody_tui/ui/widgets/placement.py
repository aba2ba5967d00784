"""Where the stream's widgets are placed again when their height changes (often: a text
being typed, and what holds it), without what Textual does after each such change that
the layout has done already."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

__all__ = ["placed"]


def placed(widget: Widget, size: Size, virtual_size: Size, container_size: Size, *, keep_lines: bool = False) -> bool:
    """``Widget._size_updated`` for a widget whose height changes often (the stream's: a
    text being typed and what holds it), without what Textual does after every change of
    a height that the layout has done already (measured: more than the layout itself).

    Textual sets the new virtual size with ``layout=True``: the whole screen is laid out a
    second time (and the widget repainted again). A resized widget keeps its whole area
    marked for a repaint, done at the next update of anything: the layout repainted it (a
    resized widget is in the compositor's changes, all of its area). And it forgets the
    lines it drew: ``keep_lines`` keeps them when only the height changed, for a widget
    whose lines do not depend on its height (nothing drawn at its bottom edge)."""
    old = widget.outer_size
    cache = widget._styles_cache
    keep = keep_lines and old.width == size.width and old != size and _top_down(widget)
    lines, dirty = (dict(cache._cache), set(cache._dirty_lines)) if keep else ({}, set())
    changed = Widget._size_updated(widget, size, virtual_size, container_size, layout=False)
    if old != size:
        widget._exchange_repaint_regions()
        if keep:
            height = size.height
            cache._cache.update((y, line) for y, line in lines.items() if y < height)
            cache._dirty_lines.intersection_update(y for y in dirty if y < height)
    return changed


def _top_down(widget: Widget) -> bool:
    """Each of the widget's lines is the same whatever its height: no border, outline or
    padding at its bottom, no subtitle, its content at the top."""
    styles = widget.styles
    return (styles.border_bottom[0] in ("", "none", "hidden") and styles.outline_bottom[0] in ("", "none", "hidden")
            and not styles.padding.bottom and widget.border_subtitle is None
            and styles.content_align_vertical == "top")
