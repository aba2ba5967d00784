"""What the four views share: a filterable table keyed by ids, updated by diff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from ...store.changes import Changes
from ...store.state import WorkspaceStore
from ..widgets.filter_input import FilterInput

__all__ = ["TableView", "Row", "view_binding"]


def view_binding(view: str, key: str, action: str, description: str, tooltip: str, *, show: bool = True) -> Binding:
    """A view's Binding with the id ``<view>.<action>`` (remappable from config) and a tooltip."""
    return Binding(key, action, description, id=f"{view}.{action.split('(')[0]}", tooltip=tooltip, show=show)

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
    DROP_ORDER: Sequence[str] = ()
    """Columns to hide, first one first, when the terminal is too narrow for all."""
    EMPTY_TEXT = "Nothing here yet."
    ENTER: Binding | None = None
    """What Enter on a row does (shown in the footer and help instead of DataTable's "Select")."""
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="view.filter", tooltip="Filter the rows of this list"),
    ]

    def __init__(self, store: WorkspaceStore, *, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.clock = clock
        self.filter_text = ""
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Any, ...]] = {}
        self._visible: list[int] = list(range(len(self.COLUMNS)))
        self._layout_width = -1

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title")
        yield FilterInput()
        table_class: type[DataTable[Any]] = DataTable
        if self.ENTER is not None:
            table_class = type(f"{type(self).__name__}Table", (DataTable,), {"BINDINGS": [self.ENTER]})
        table = table_class(cursor_type="row", zebra_stripes=False, classes="view-table")
        self._add_columns(table, self._widths(120))
        yield table
        yield Static("", classes="view-hint")
        yield Static(self.EMPTY_TEXT, classes="view-empty")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.refresh_rows(None)

    def table_width(self) -> int:
        """How wide the table is; a view with a side pane says less than its own width."""
        return self.size.width

    def on_resize(self) -> None:
        width = self.table_width()
        if width and width != self._layout_width:
            self._layout_width = width
            widths = self._widths(width)
            if widths != {self.COLUMNS[i][0]: w for i, w in zip(self._visible, self._current_widths)}:
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
            rest = width - needed(columns) + self.FLEX_MIN
            columns[self.FLEX] = max(self.FLEX_MIN, rest)
        return columns

    def _add_columns(self, table: DataTable[Any], widths: dict[str, int | None]) -> None:
        self._visible = [i for i, (key, _, _) in enumerate(self.COLUMNS) if key in widths]
        self._current_widths = [widths[self.COLUMNS[i][0]] for i in self._visible]
        for i in self._visible:
            key, label, _ = self.COLUMNS[i]
            table.add_column(label, key=key, width=widths[key])

    def focus_table(self) -> None:
        self.table.focus()

    # --- subclass hooks ------------------------------------------------------------------

    def rows(self) -> list[Row]:
        raise NotImplementedError

    def concerns(self, changes: Changes) -> bool:
        return True

    def title_text(self, shown: int, total: int) -> str:
        return ""

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

    def apply_changes(self, changes: Changes) -> None:
        if self.concerns(changes):
            self.refresh_rows(changes)

    def refresh_rows(self, changes: Changes | None) -> None:
        """Bring the table in line with the store (all rows are rebuilt as values;
        only cells that differ are written)."""
        if not self.is_mounted:
            return
        tables = self.query(DataTable)
        if not tables:  # composing or tearing down
            return
        table = tables.first()
        all_rows = self.rows()
        text = self.filter_text
        rows = [r for r in all_rows if not text or text in r[2]] if text else all_rows
        keys = [key for key, _, _ in rows]
        selected = self.selected_key
        visible = self._visible
        if len(visible) != len(self.COLUMNS):
            rows = [(key, [cells[i] for i in visible], search) for key, cells, search in rows]
        if keys != self._keys:
            table.clear()
            self._cells = {}
            for key, cells, _ in rows:
                table.add_row(*cells, key=key)
                self._cells[key] = tuple(cells)
            self._keys = keys
            if selected in keys:
                table.move_cursor(row=keys.index(selected), animate=False)
        else:
            columns = [self.COLUMNS[i][0] for i in visible]
            for key, cells, _ in rows:
                old = self._cells.get(key)
                new = tuple(cells)
                if old == new:
                    continue
                for index, value in enumerate(new):
                    if old is None or _differs(old[index], value):
                        try:
                            table.update_cell(key, columns[index], value)
                        except (CellDoesNotExist, RowDoesNotExist):
                            pass
                self._cells[key] = new
        self.query_one(".view-title", Static).update(self.title_text(len(rows), len(all_rows)))
        hint = self.hint_text()
        hint_widget = self.query_one(".view-hint", Static)
        hint_widget.update(hint)
        hint_widget.display = bool(hint)
        self.query_one(".view-empty", Static).display = not rows

    # --- filter --------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_filter_input_filter_changed(self, message: FilterInput.FilterChanged) -> None:
        message.stop()
        self.filter_text = message.value
        self.refresh_rows(None)


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain != b.plain or a.spans != b.spans or a.style != b.style
    return a != b
