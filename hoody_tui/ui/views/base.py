"""What the four views share: a filterable table keyed by ids, updated by diff.

A view reads every source of the inbox; a row's key is the inbox's key of its item
(:meth:`~hoody_tui.core.inbox.Inbox.key`: the item's own id for the first source)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from ...core.inbox import Inbox, Source
from ...store.changes import Changes
from ...store.state import WorkspaceStore
from ...text import neutralise
from ..messages import Batch
from ..widgets.fast_table import FastTable
from ..widgets.filter_input import FilterInput

__all__ = ["TableView", "Row", "view_binding"]


def view_binding(view: str, key: str, action: str, description: str, tooltip: str, *, show: bool = True,
                 name: str | None = None) -> Binding:
    """A view's Binding with the id ``<view>.<name>`` (remappable from the config file's
    ``[keys]``; ``name`` defaults to the action's) and a tooltip."""
    return Binding(key, action, description, id=f"{view}.{name or action.split('(')[0]}", tooltip=tooltip, show=show)

if TYPE_CHECKING:  # what a view's mixin (session actions, job actions) is mixed into
    WidgetMixin = Widget
else:
    WidgetMixin = object


_LABELS: weakref.WeakKeyDictionary[WorkspaceStore, tuple[tuple[int, int], dict[str, str]]] = (
    weakref.WeakKeyDictionary())


def session_labels(store: WorkspaceStore) -> dict[str, str]:
    """Each session's title, with the end of its id where two sessions share a title (so
    their rows can be told apart); only sessions that need one are in the result.

    The dict is kept per store until a session is added, replaced or removed (every view
    asks whenever its rows may move, and working it out walks all sessions: ~1 ms with
    1,000), so callers read it and never change it."""
    key = (store.sessions_revision, len(store.sessions))
    kept = _LABELS.get(store)
    if kept is not None and kept[0] == key:
        return kept[1]
    by_title: dict[str, list[str]] = {}
    for session in store.sessions.values():
        by_title.setdefault(session.title or session.id, []).append(session.id)
    labels = {sid: f"{title} ({sid[-6:]})" for title, ids in by_title.items() if len(ids) > 1 for sid in ids}
    _LABELS[store] = (key, labels)
    return labels


def stale_style(inbox: Inbox, source: Source) -> str:
    """How the rows of a source whose connection went look, among several: dimmed, as old
    news (alone, the status bar says it)."""
    return "dim" if source.stale and inbox.several else ""


def dimmed(cells: Sequence[Any], style: str) -> tuple[Any, ...]:
    """``cells`` with ``style`` laid over each (unchanged when ``style`` is empty)."""
    if not style:
        return tuple(cells)
    out = []
    for cell in cells:
        text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
        text.stylize(style)
        out.append(text)
    return tuple(out)


Row = tuple[str, Sequence[Any], str]
"""``(key, cells, search_text)`` of one table row."""


class TableView(Vertical):
    """A view that is a titled, filterable DataTable whose rows are keyed by id.

    Subclasses say which columns they have (``COLUMNS``), build their rows from the
    store (``rows``), and which changes concern them (``concerns``). Rows are
    updated cell by cell when the set and order of keys is unchanged, rebuilt
    otherwise, and the cursor stays on the same key either way.
    """

    COLUMNS: Sequence[tuple[str, str, int | None]] = ()  # (key, label, width)
    FLEX = ""
    """The column that takes the width left over (at least ``FLEX_MIN``)."""
    FLEX_MIN = 12
    SHARE: dict[str, float] = {}
    """Columns that take a share of the width left over beyond ``FLEX_MIN`` (e.g. a
    session's title beside a command), up to that share, besides ``FLEX``."""
    DROP_ORDER: Sequence[str] = ()
    """Columns to hide, first one first, when the terminal is too narrow for all."""
    EMPTY_TEXT = "Nothing here yet."
    ENTER: Binding | None = None
    """What Enter on a row does (shown in the footer and help instead of DataTable's "Select")."""
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="view.filter", tooltip="Filter the rows of this list"),
    ]

    def __init__(self, inbox: Inbox, *, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox
        self.clock = clock
        self.filter_text = ""
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Any, ...]] = {}
        self._visible: list[int] = list(range(len(self.COLUMNS)))
        self._layout_width = -1
        # Lazy views: row index by key, and rows whose cells are not written yet
        # (outside the painted window when they changed).
        self._index: dict[str, int] = {}
        self._stale: set[str] = set()
        self._total = 0  # rows before the filter, at the last listing of the order
        self._lines: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title")
        yield FilterInput()
        table_class: type[DataTable[Any]] = FastTable
        if self.ENTER is not None:
            table_class = type(f"{type(self).__name__}Table", (FastTable,), {"BINDINGS": [self.ENTER]})
        table = table_class(cursor_type="row", zebra_stripes=False, classes="view-table")
        self._add_columns(table, self._widths(120))
        yield table
        yield Static("", classes="view-hint")
        yield Static(self.EMPTY_TEXT, classes="view-empty")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(DataTable)

    _parts: dict[str, Any] | None = None

    def _part(self, selector: str) -> Any:
        """One of the view's own widgets (its table, title, hint, empty line), found once:
        a DOM query on every live update was a fifth of what an update cost."""
        parts = self._parts
        if parts is None:
            parts = self._parts = {}
        widget = parts.get(selector)
        if widget is None or not widget.is_attached:
            found = self.query(selector)
            if not found:
                return None
            widget = parts[selector] = found.first()
        return widget

    def _found_table(self) -> DataTable[Any] | None:
        """The view's table, or ``None`` while composing or tearing down."""
        return self._part("DataTable")

    def on_mount(self) -> None:
        if self.LAZY:
            self.watch(self.table, "scroll_y", self._fill_window, init=False)
        self.refresh_rows(None)

    def table_width(self) -> int:
        """How wide the table is; a view with a side pane says less than its own width."""
        return self.size.width

    def on_resize(self) -> None:
        if self.LAZY:
            self._fill_window()
        width = self.table_width()
        if width and width != self._layout_width:
            self._layout_width = width
            widths = self._widths(width)
            if widths != {self.COLUMNS[i][0]: w for i, w in zip(self._visible, self._current_widths, strict=False)}:
                table = self.table
                table.clear(columns=True)
                self._add_columns(table, widths)
                self.redraw()

    # --- columns that fit the width -----------------------------------------------------

    _current_widths: list[int | None] = []

    def _widths(self, width: int) -> dict[str, int | None]:
        """Visible columns and their widths for a table ``width`` cells wide."""
        columns = {key: w for key, _, w in self.COLUMNS}
        padding = 2  # DataTable pads each cell by one on each side

        def needed(cols: dict[str, int | None]) -> int:
            return sum((w or 0) + padding for k, w in cols.items() if k != self.FLEX) + (
                self.FLEX_MIN + padding if self.FLEX in cols else 0
            ) + 2  # scrollbar

        for key in self.DROP_ORDER:
            if needed(columns) <= width:
                break
            columns.pop(key, None)
        if self.FLEX in columns:
            spare = max(0, width - needed(columns))
            for key, share in self.SHARE.items():
                if columns.get(key):
                    extra = int(spare * share)
                    columns[key] = (columns[key] or 0) + extra
                    spare -= extra
            columns[self.FLEX] = self.FLEX_MIN + spare
        return columns

    def column_width(self, key: str) -> int | None:
        """The width the column ``key`` has now (``None``: hidden, or not laid out yet)."""
        for index, width in zip(self._visible, self._current_widths, strict=False):
            if self.COLUMNS[index][0] == key:
                return width
        return None

    def _add_columns(self, table: DataTable[Any], widths: dict[str, int | None]) -> None:
        self._visible = [i for i, (key, _, _) in enumerate(self.COLUMNS) if key in widths]
        self._current_widths = [widths[self.COLUMNS[i][0]] for i in self._visible]
        for i in self._visible:
            key, label, _ = self.COLUMNS[i]
            table.add_column(label, key=key, width=widths[key])

    def focus_table(self) -> None:
        self.table.focus()

    # --- subclass hooks ------------------------------------------------------------------

    LAZY = False
    """A lazy view says its row order cheaply (``row_order``) and builds the cells of one
    row on demand (``row_cells``): only rows in or near the painted window are built, the
    others when they scroll into it. Other views build every row (``rows``)."""

    def rows(self) -> list[Row]:
        raise NotImplementedError

    def row_order(self) -> list[tuple[str, str]]:
        """Lazy views: ``(key, search_text)`` of every row, in display order."""
        raise NotImplementedError

    def row_cells(self, key: str) -> Sequence[Any]:
        """Lazy views: the cells of one row (all ``COLUMNS``)."""
        raise NotImplementedError

    def changed_keys(self, source: Source, changes: Changes) -> set[str] | None:
        """Lazy views: the row keys ``changes`` of ``source`` touches (``None``: any row may
        have changed)."""
        return None

    def order_may_change(self, source: Source, changes: Changes) -> bool:
        """Lazy views: whether ``changes`` can add, remove or reorder rows (when it cannot,
        the order is not listed again). Unless a view knows better: yes."""
        return True

    def concerns(self, source: Source, changes: Changes) -> bool:
        return True

    def _sourced(self, batch: Batch) -> list[tuple[Source, Changes]]:
        sources = self.inbox.sources
        return [(sources[index], changes) for index, changes in batch.items() if index < len(sources)]

    def title_text(self, shown: int, total: int) -> str:
        return ""

    def empty_text(self) -> str:
        """What the list says when it has no rows."""
        return self.EMPTY_TEXT

    def hint_text(self) -> str:
        """A line under the table about the selected row (why an action is unavailable)."""
        return ""

    # --- diffing -------------------------------------------------------------------------

    @property
    def selected_key(self) -> str | None:
        table = self.table
        if not self._keys or table.cursor_row < 0 or table.cursor_row >= len(self._keys):
            return None
        return self._keys[table.cursor_row]

    def redraw(self) -> None:
        """Write every row and cell again (after a theme change recolours them)."""
        self._keys = []
        self._cells = {}
        self.refresh_rows(None)

    def apply_changes(self, batch: Batch) -> None:
        if any(self.concerns(source, changes) for source, changes in self._sourced(batch)):
            self.refresh_rows(batch)

    def refresh_rows(self, changes: Batch | None) -> None:
        """Bring the table in line with the store: rebuilt when the keys or their order
        changed, otherwise only the cells that differ are written."""
        # Not is_mounted: that is set only after on_mount, which calls this first (a view
        # whose workspace sends nothing would otherwise keep a blank title).
        if self._closing or not self.is_attached:
            return
        table = self._found_table()
        if table is None:  # composing or tearing down
            return
        if self.LAZY:
            shown, total = self._refresh_lazy(table, changes)
        else:
            shown, total = self._refresh_all(table)
        self._set_line(".view-title", self.title_text(shown, total))
        self._set_line(".view-hint", self.hint_text())
        empty = self._part(".view-empty")
        if empty.display != (not shown):
            empty.display = not shown
        if not shown:
            self._set_line(".view-empty", self.empty_text())

    def _set_line(self, selector: str, text: str) -> None:
        """Update a one-line label (the hint hides when empty) only when its text changed:
        every update of a widget that may change size lays out and repaints the screen."""
        widget = self._part(selector)
        if self._lines.get(selector) != text:
            self._lines[selector] = text
            # Content, not str: a title quotes session titles and the typed filter; read as
            # markup, "[/" would raise and "[link=…]" would become a hyperlink.
            widget.update(Content(neutralise(text)), layout=False)
        if selector == ".view-hint" and widget.display != bool(text):
            widget.display = bool(text)

    def _project(self, cells: Sequence[Any]) -> tuple[Any, ...]:
        visible = self._visible
        if len(visible) == len(self.COLUMNS):
            return tuple(cells)
        return tuple(cells[i] for i in visible)

    def _write(self, table: DataTable[Any], key: str, new: tuple[Any, ...]) -> None:
        """Write the cells of row ``key`` that differ from what it shows."""
        old = self._cells.get(key)
        if old == new:
            return
        columns = [self.COLUMNS[i][0] for i in self._visible]
        for index, value in enumerate(new):
            if old is None or _differs(old[index], value):
                try:
                    table.update_cell(key, columns[index], value)
                except (CellDoesNotExist, RowDoesNotExist):
                    pass
        self._cells[key] = new

    def _rebuild(self, table: DataTable[Any], keys: list[str], cells_of: Callable[[int, str], tuple[Any, ...] | None]) -> None:
        selected = self.selected_key
        table.clear()
        self._cells = {}
        blank = ("",) * len(self._visible)
        for index, key in enumerate(keys):
            cells = cells_of(index, key)
            if cells is None:
                table.add_row(*blank, key=key)
            else:
                table.add_row(*cells, key=key)
                self._cells[key] = cells
        self._keys = keys
        self._index = {key: index for index, key in enumerate(keys)}
        if selected in self._index:
            table.move_cursor(row=self._index[selected], animate=False)

    def _refresh_all(self, table: DataTable[Any]) -> tuple[int, int]:
        all_rows = self.rows()
        text = self.filter_text
        rows = [r for r in all_rows if text in r[2]] if text else all_rows
        keys = [key for key, _, _ in rows]
        projected = [(key, self._project(cells)) for key, cells, _ in rows]
        if keys != self._keys:
            self._rebuild(table, keys, lambda index, key: projected[index][1])
        else:
            for key, cells in projected:
                self._write(table, key, cells)
        return len(rows), len(all_rows)

    def _window(self, table: DataTable[Any]) -> range:
        """Row indices painted now, with a page either side (so paging is instant)."""
        page = max(table.size.height, 40)
        top = int(table.scroll_y)
        return range(max(0, top - page), top + 2 * page)

    def _refresh_lazy(self, table: DataTable[Any], changes: Batch | None) -> tuple[int, int]:
        if changes is not None and not self.filter_text and self._keys and not any(
                self.order_may_change(source, part) for source, part in self._sourced(changes)):
            # The same rows in the same order: only the touched ones are written again
            # (with 10,000 sessions, listing the order on every update cost ~50 ms).
            self._mark_stale(changes)
            self._fill_window()
            return len(self._keys), self._total
        order = self.row_order()
        self._total = len(order)
        text = self.filter_text
        keys = [key for key, search in order if text in search] if text else [key for key, _ in order]
        if keys != self._keys:
            window = self._window(table)
            stale = self._stale = set()

            def cells_of(index: int, key: str) -> tuple[Any, ...] | None:
                if index in window:
                    return self._project(self.row_cells(key))
                stale.add(key)
                return None

            self._rebuild(table, keys, cells_of)
        else:
            self._mark_stale(changes)
        self._fill_window()
        return len(keys), len(order)

    def _mark_stale(self, changes: Batch | None) -> None:
        """The shown rows ``changes`` touches (all of them for ``None``) are to be written again."""
        touched = self._touched(changes)
        if touched is None:
            self._stale.update(self._keys)
        else:
            index = self._index
            self._stale.update(key for key in touched if key in index)

    def _touched(self, changes: Batch | None) -> set[str] | None:
        """The row keys ``changes`` touches in every source (``None``: any row)."""
        if changes is None:
            return None
        keys: set[str] = set()
        for source, part in self._sourced(changes):
            found = self.changed_keys(source, part)
            if found is None:
                return None
            keys |= found
        return keys

    def refresh_times(self) -> None:
        """Cells that say a time relative to now (active, age, took) move on with the
        clock, not with events: write the painted rows again (only the cells that differ
        are written). Called every second by the app for the view on screen."""
        if not self.LAZY or not self.is_mounted or not self._keys:
            return
        table = self._found_table()
        if table is None:
            return
        window = self._window(table)
        self._stale.update(self._keys[window.start:window.stop])
        self._fill_window()

    def _fill_window(self) -> None:
        """Write the stale rows that are in or near the painted window."""
        if not self._stale or not self.is_mounted:
            return
        table = self._found_table()
        if table is None:
            return
        keys = self._keys
        stale = self._stale
        window = self._window(table)
        with held(table):
            for index in range(window.start, min(window.stop, len(keys))):
                key = keys[index]
                if key in stale:
                    stale.discard(key)
                    self._write(table, key, self._project(self.row_cells(key)))

    # --- filter --------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_filter_input_filter_changed(self, message: FilterInput.FilterChanged) -> None:
        message.stop()
        self.filter_text = message.value
        self.refresh_rows(None)


def held(table: DataTable[Any]) -> AbstractContextManager[None]:
    """The table's row refreshes held until the end of the block (one refresh for all)."""
    return table.refreshes_held() if isinstance(table, FastTable) else nullcontext()


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain != b.plain or a.spans != b.spans or a.style != b.style
    return a != b
