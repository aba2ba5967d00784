"""A DataTable that renders one-line cells cheaply and never reads a cell as markup.

Profile (1,000 sessions, 33 visible rows, Textual 8.2.8): repainting the visible rows
after an update cost 24.5 ms, nearly all of it in ``DataTable._render_cell``, which
renders every cell through ``Styled(Padding(cell))`` and ``console.render_lines``
(about 80 us a cell). Our rows are always one line high, so a cell is a Text cut to
its width with one style laid over it; building those segments directly gives the
same output (``tests/unit/test_fast_table.py`` compares the two) at a fraction of the
cost. Anything else (headers, labels, taller rows, justified or wrapping text) goes
through DataTable's own path.

Cells given as ``str`` are shown as plain text: DataTable would parse them as Rich
markup, and much of what we show (agent names, commands, ids) comes from agents.

An updated cell repaints its row, not the table. DataTable's ``update_cell`` refreshes
the whole widget and starts a new generation of every cache key, so each live update
rendered every visible line again: 42 % of all CPU samples at 2,000 events/s over 50
sessions (``DataTable.render_lines``). Here each row has a version of its own, folded
into the line caches' keys, and only the changed row's region is refreshed.

Most changed rows under load only flip between a few contents (a session busy, idle,
busy again). A row's line is also kept by what its cells say: a row back to something
it showed is drawn by the same Strip, and Textual's caches on a Strip (its pieces cut
for the screen, their terminal text) are reused with it. At 2,000 events/s over 50
sessions this took ~0.8 points of a core off (side by side, every round lower).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.binding import Binding
from textual.cache import LRUCache
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import CellDoesNotExist, ColumnKey, RowKey, RowRenderables

from ...text import neutralise, safe_text
from ..compositor import idle_held

__all__ = ["FastTable", "as_cell_text"]


def as_cell_text(value: Any) -> Text:
    """What a cell shows, as Text; a ``str`` is never read as markup."""
    if isinstance(value, Text):
        return safe_text(value)  # a status or a name from the server may hold controls
    if value is None:
        return Text("")
    if isinstance(value, float):
        return Text(f"{value:.2f}")
    return Text(neutralise(str(value)))


class FastTable(DataTable[Any]):
    """DataTable with a direct path for one-line cells (see the module's docstring)."""

    # DataTable's Home/End scroll sideways in a row-cursor table; in every list of ours
    # they go to the first and the last row, as in k9s and lazygit.
    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False, id="list.first", tooltip="Go to the first row"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="list.last", tooltip="Go to the last row"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every cell update starts a new generation of cache keys, so under a stream of
        # updates DataTable's caches (10,000 cells, 1,000 rows and lines) fill with dead
        # entries: tens of thousands of objects for the garbage collector to walk. A
        # few screens' worth is all a redraw reuses.
        self._cell_render_cache = LRUCache(100)  # DataTable's own: only its header and label cells now
        self._row_renderable_cache = LRUCache(300)
        # DataTable's own row and line caches are keyed without a row's version: they are
        # bypassed (never hit), and ours below hold the same renders keyed with it.
        self._row_render_cache = _NoCache()  # type: ignore[assignment]
        self._line_cache = _NoCache()  # type: ignore[assignment]
        self._cells_cache: LRUCache[tuple[Any, ...], Any] = LRUCache(2000)
        self._lines_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(300)
        self._extend_styles: LRUCache[tuple[Any, ...], Style] = LRUCache(300)
        """The style of the space after a row's last cell (its meta holds the row's index)."""
        self._drawn_lines: LRUCache[tuple[Any, ...], Strip] = LRUCache(300)
        """A plain row's line by what its cells say (not by their versions): a row that
        shows again what it showed before (a session back to busy) is drawn by the same
        Strip, so its cut pieces and their terminal text, cached on the Strip, are reused
        too (see ``_lean_line``)."""
        self._finished_lines: LRUCache[tuple[Any, ...], tuple[Strip, Strip]] = LRUCache(300)
        """A drawn line padded and filtered (``_lean_lines``), by the line's identity (the
        entry holds the line, so its id is not reused while the entry lives)."""
        self._row_versions: dict[RowKey, int] = {}
        self._cell_versions: dict[RowKey, dict[ColumnKey, int]] = {}
        """Each updated cell's version: a row repainted renders again only its changed cells.
        (Adding or removing a row starts a new generation of every key anyway.)"""

    def check_idle(self) -> None:
        if not idle_held(self):  # (a paced update paints the table in its step)
            super().check_idle()

    # --- one row at a time -------------------------------------------------------------

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:
        """Like DataTable's, but only the cell's row is drawn again."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
        self._data[row_key][column_key] = value
        self._row_versions[row_key] = self._row_versions.get(row_key, 0) + 1
        cells = self._cell_versions.setdefault(row_key, {})
        cells[column_key] = cells.get(column_key, 0) + 1
        row_index = self._row_locations.get(row_key)
        assert row_index is not None  # the row exists (checked above)
        self._row_renderable_cache.discard((self._update_count, row_index))
        if self._held is not None:
            self._held.add(row_index)
        else:
            self.refresh_row(row_index)

    _held: set[int] | None = None

    @contextmanager
    def refreshes_held(self) -> Iterator[None]:
        """Rows whose cells are updated inside are refreshed together at the end: one
        refresh of the widget for the rows of a paced update, instead of a refresh (each
        working out the row's region, the window and the scroll offset again) per cell."""
        if self._held is not None:
            yield
            return
        self._held = set()
        try:
            yield
        finally:
            rows, self._held = self._held, None
            if rows:
                self._refresh_rows(rows)

    def _refresh_rows(self, rows: set[int]) -> None:
        scroll = self.scroll_offset
        window = self.region.at_offset(scroll)  # (window_region)
        back = -scroll
        # The geometry shared by every row, worked out once for all of them (each costs
        # a walk through the table's styles and scroll bars).
        line = self._row_line()
        regions = []
        for row_index in rows:
            if line is not None and 0 <= row_index < len(self.rows):
                region = Region(scroll.x, row_index + line[0], line[1], 1)
            else:
                region = self._get_row_region(row_index)
            if window.overlaps(region):  # as DataTable's _refresh_region
                regions.append(region.translate(back))
        if regions:
            self.refresh(*regions)

    def _row_line(self) -> tuple[int, int] | None:
        """``(first row's y, width in view)`` of our one-line rows; None when the table
        is not laid out that way (labels, or rows of other heights): DataTable's way."""
        if self._row_label_column_width or len(self._y_offsets) != self.row_count:
            return None
        return (self.header_height if self.show_header else 0), self.scrollable_content_region.width

    def _get_row_region(self, row_index: int) -> Region:
        # DataTable sums the heights of every row above (and the widths of every column)
        # for each refreshed row: O(rows) per live update. Ours are one line each.
        line = self._row_line() if self.is_valid_row_index(row_index) else None
        if line is None:
            return super()._get_row_region(row_index)
        # The part of the row in view: DataTable's spans the virtual width, under the
        # scroll bar too, which was then drawn again with every changed row.
        return Region(self.scroll_offset.x, row_index + line[0], line[1], 1)

    def render_lines(self, crop: Region) -> list[Strip]:
        box = self._box()
        # The base style is the same for every line of one pass (and while no style of the
        # table or above changes); DataTable looks it up (a walk up the DOM) for each line.
        self._pass_style = box.style if box is not None else None
        try:
            if box is None or box.inner is None or self._link_hovered():
                return super().render_lines(crop)
            return self._lean_lines(crop, box)
        finally:
            self._pass_style = None

    _pass_style: Style | None = None
    _boxed: _Box | None = None

    def _box(self) -> _Box | None:
        """What the table's styles and those above it make of its lines, worked out once
        while they stay the same (each style's change count, and a CSS pass, tell)."""
        if not self.is_attached:
            return None
        nodes = self.ancestors_with_self
        key = tuple(node.styles._cache_key for node in nodes)
        box = self._boxed
        if box is None or box.key != key:
            box = self._boxed = _Box.of(self, key)
        return box

    def notify_style_update(self) -> None:
        self._boxed = None
        # (Their keys hold the table's base style, and a theme changes it; a line drawn
        # under other component styles is let go all the same.)
        self._drawn_lines.clear()
        self._finished_lines.clear()
        super().notify_style_update()

    def _link_hovered(self) -> bool:
        """Textual restyles a hovered link of a widget's lines; then its way is taken."""
        if not self.auto_links:
            return False
        hover = self.hover_style
        return bool(hover._link_id and hover._meta and "@click" in hover.meta)

    def _lean_lines(self, crop: Region, box: _Box) -> list[Strip]:
        """What Textual's styles cache makes of the table's lines when the table has no
        border, outline, padding, hatch, tint or opacity (``_Box.inner`` set): each line
        padded to the content's width on the table's background, then the app's filters
        (its line cache is bypassed, the lines stay marked dirty there). Textual worked
        out the table's colours and box again for each line drawn: ~100 us of a changed
        row's ~180 (warm), every row of every paced frame."""
        inner = box.inner
        assert inner is not None
        width = self.region.width
        content_width = self.content_region.width
        render_line = self.render_line
        filters = tuple(self.get_line_filters())
        background = box.background
        finished = self._finished_lines
        strips = []
        for y in crop.line_range:
            line = render_line(y)
            # (A line drawn before, the same Strip: padded and filtered the same way again.)
            key = (id(line), content_width, width, inner, background, filters)
            done = finished.get(key)
            if done is not None and done[0] is line:
                strips.append(done[1])
                continue
            strip = Strip(line.adjust_cell_length(content_width, inner), width)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            finished[key] = (line, strip)
            strips.append(strip)
        x1, x2 = crop.column_span
        if x1 != 0 or x2 != width:
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        if self.fixed_rows:
            return super().render_line(y)
        style = self._pass_style
        if style is None:
            style = self._pass_style = self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        if not self.show_header or y >= self.header_height:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, style)

    def _version(self, row_key: RowKey) -> int:
        return self._row_versions.get(row_key, 0)

    def _plain(self) -> bool:
        """Our plain table: one-line rows, no labels, no fixed columns or rows, no stripes,
        a row cursor. Its lines are built directly (``_lean_line``); anything else is
        drawn by DataTable."""
        return not (self.fixed_columns or self.fixed_rows or self.zebra_stripes or self.cursor_type != "row"
                    or (self._labelled_row_exists and self.show_row_labels))

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        cursor, hover = self.cursor_coordinate, self.hover_coordinate
        key = (y, row_key, self._version(row_key), x1, x2, self.size.width, cursor, hover, base_style,
               self.cursor_type, self.show_cursor, self._show_hover_cursor, self._update_count,
               self._pseudo_class_state)
        cached = self._lines_cache.get(key)
        if cached is None:
            cached = None if line_no else self._lean_line(row_key, x1, x2, base_style, cursor.row, hover.row)
            if cached is None:
                cached = super()._render_line(y, x1, x2, base_style)
            self._lines_cache[key] = cached
        return cached

    def _lean_line(self, row_key: RowKey, x1: int, x2: int, base_style: Style, cursor_row: int,
                   hover_row: int) -> Strip | None:
        """What DataTable's ``_render_line`` makes of one of our plain rows (``_plain``),
        built from the cells' cached segments; ``None`` for anything else. DataTable looked
        up the same reactives, styles and column widths for each cell of each row drawn:
        ~350 us a changed row, most of a paced frame's table work at 2,000 events/s, and
        every row again after a row is added or removed (all line keys change)."""
        row_index = self._row_locations.get(row_key)
        row = self.rows.get(row_key)
        if row_index is None or row is None or row.height != 1 or row_key not in self._data or not self._plain():
            return None
        cursor = cursor_row == row_index
        hover = hover_row == row_index
        common = (base_style, self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        pad = 2 * self.cell_padding
        columns = self.ordered_columns
        widths = [pad + (column.content_width if column.auto_width else column.width) for column in columns]  # get_render_width
        said = _row_content(self._data[row_key], columns)
        drawn_key = None
        if said is not None:
            drawn_key = (row_index, said, tuple(widths), x1, x2, self.size.width, cursor, hover, self.show_cursor,
                         self.cursor_type, common)
            drawn = self._drawn_lines.get(drawn_key)
            if drawn is not None:
                return drawn
        strip = self._draw_lean_line(row_key, row_index, columns, widths, x1, x2, base_style, cursor, hover, common)
        if drawn_key is not None:
            self._drawn_lines[drawn_key] = strip
        return strip

    def _draw_lean_line(self, row_key: RowKey, row_index: int, columns: list[Any], widths: list[int], x1: int,
                        x2: int, base_style: Style, cursor: bool, hover: bool, common: tuple[Any, ...]) -> Strip:
        versions = self._cell_versions.get(row_key, {})
        cells = self._cells_cache
        segments: list[Segment] = []
        used = 0
        for column_index, (column, width) in enumerate(zip(columns, widths, strict=True)):
            used += width
            column_key = column.key
            lines = cells.get((row_key, versions.get(column_key, 0), column_key, cursor, hover, common))
            if lines is None:
                lines = self._render_cell(row_index, column_index, base_style, width, cursor=cursor, hover=hover)
            segments.extend(lines[0])
        width = self.size.width
        extend_key = (row_index, cursor, hover, self.show_cursor, common)
        extend = self._extend_styles.get(extend_key)
        if extend is None:
            extend_style, _ = self._get_styles_to_render_cell(
                False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor, False, False)
            extend = base_style + extend_style + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
            self._extend_styles[extend_key] = extend
        segments.append(Segment(" " * max(0, width - used), extend))
        if used <= width and x1 <= 0 and x2 >= width:
            # The whole row, as wide as the table: nothing to crop or pad, and nothing to
            # merge (each cell's segments are merged when it is rendered, and no two cells
            # share a style: each carries its own row and column).
            return Strip(segments, width)
        total = max(width, used)
        if x1 <= 0 and x2 >= total:  # nothing to crop: the cells' widths are known, not measured again
            strip = Strip(segments, total)
        else:
            strip = Strip(line_crop(segments, x1, x2, width))
        return strip.adjust_cell_length(width, base_style).simplify()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._lines_cache.clear()
        self._extend_styles.clear()
        self._cells_cache.clear()
        self._drawn_lines.clear()
        self._finished_lines.clear()

    def clear(self, columns: bool = False) -> Any:
        self._row_versions.clear()
        self._cell_versions.clear()
        return super().clear(columns)

    def remove_row(self, row_key: RowKey | str) -> None:
        super().remove_row(row_key)
        key = RowKey(row_key) if isinstance(row_key, str) else row_key
        self._row_versions.pop(key, None)
        self._cell_versions.pop(key, None)

    def _compute_row_renderables(self, row_index: int) -> RowRenderables:
        # DataTable's default formatter reads a str cell as markup (and raises on a
        # stray "[/]"); ours shows it as it is.
        if row_index < 0:
            return super()._compute_row_renderables(row_index)
        row_key = self._row_locations.get_key(row_index)
        data = self._data.get(row_key) if row_key is not None else None
        if data is None:
            return RowRenderables(None, [])
        cells: list[Any] = []
        for column in self.ordered_columns:
            value = data.get(column.key)
            cells.append(value if not isinstance(value, (str, float, int)) and value is not None else as_cell_text(value))
        return RowRenderables(None, cells)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ):
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row_key is None or row is None or row.height != 1 or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (
            row_key, self._cell_versions.get(row_key, {}).get(column_key, 0), column_key, cursor, hover,
            (base_style, self._show_hover_cursor, self._update_count, self._pseudo_class_state),
        )
        cached = self._cells_cache.get(cache_key)
        if cached is not None:
            return cached
        value = self._data[row_key].get(column_key)
        if value is not None and not isinstance(value, (Text, str, int, float)):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        text = as_cell_text(value)
        plain = text.plain
        if text.no_wrap is False or text.justify not in (None, "default", "left") or "\n" in plain or "\t" in plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        console = self.app.console
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        post = console.get_style(post_style) if isinstance(post_style, str) else post_style
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        if text.cell_len > inner:
            text = text.copy()
            text.truncate(inner, overflow="ellipsis")  # a cut cell says so: "…"
        body = list(text.render(console, end=""))
        if text.style:  # Text.render leaves the base style to its caller
            body = list(Segment.apply_style(body, style=console.get_style(text.style)))
        used = sum(segment.cell_length for segment in body)
        line: list[Segment] = []
        if pad:
            line.append(Segment(" " * pad))
        line.extend(body)
        if width - pad - used > 0:
            line.append(Segment(" " * (width - pad - used)))
        lines = [list(Segment.simplify(Segment.apply_style(line, style=pre, post_style=post)))]
        self._cells_cache[cache_key] = lines
        return lines


def _row_content(data: dict[ColumnKey, Any], columns: list[Any]) -> tuple[Any, ...] | None:
    """What a row's cells say, as a key (each cell's value and type, a Text's spans and
    settings); None when a cell cannot be told apart by value (a renderable) or a key
    cannot be made of it (then the row is drawn each time, as before)."""
    said: list[tuple[Any, ...]] = []
    for column in columns:
        value = data.get(column.key)
        if isinstance(value, Text):
            said.append((type(value), value.plain, tuple(value.spans), value.style, value.justify, value.overflow,
                         value.no_wrap, value.end, value.tab_size))
        elif isinstance(value, float):
            said.append((float, repr(value)))  # (0.0 and -0.0 are equal, and shown differently)
        elif value is None or isinstance(value, str | int):
            said.append((type(value), value))  # (True == 1, and shown differently: the type tells)
        else:
            return None
    key = tuple(said)
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Box(NamedTuple):
    """A table's colours and whether its box is plain (see ``FastTable._lean_lines``)."""

    key: tuple[int, ...]
    style: Style
    """The table's own style (DataTable's ``rich_style``: colours blended down the DOM)."""
    background: Color
    inner: Style | None
    """The background a line is padded with; None when the box is not plain (a border,
    an outline, padding, hatch, tint, opacity or a border title): Textual's way then."""

    @classmethod
    def of(cls, table: FastTable, key: tuple[int, ...]) -> _Box:
        styles = table.styles
        base_background, background = table.background_colors
        plain = (
            not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
            and not any(styles.padding) and not (styles.has_rule("hatch") and styles.hatch != "none")
            and not styles.tint.a and table.opacity == 1.0 and styles.text_opacity == 1.0
            and table._border_title is None and table._border_subtitle is None
        )
        inner = table._styles_cache.get_inner_outer(base_background, background)[0].rich_style if plain else None
        return cls(key, table.rich_style, background, inner)


class _NoCache:
    """A cache that holds nothing (DataTable's own, where ours take its place)."""

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: object, value: object) -> None:
        pass

    def __getitem__(self, key: object) -> Any:
        raise KeyError(key)

    def get(self, key: object, default: Any = None) -> Any:
        return default

    def clear(self) -> None:
        pass

    def discard(self, key: object) -> None:
        pass
