"""FastTable paints exactly what DataTable paints for a cell that fits, ends a cut one
with "…" (DataTable just crops it), and never reads a cell as markup."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from hoody_tui.ui.widgets.fast_table import FastTable

ROWS = [
    (Text("● busy", style="bold green"), "plain word", 12, 3.5),
    (Text("a title"), "x" * 10, -1, 0.0),
    (Text.assemble(("red", "red"), " & ", ("bl", "blue on white")), "", 0, None),
    (Text("東京の会"), "wide 東京", 10**4, 1e-9),
    (Text(""), "tail", 7, 2.25),
]
WIDTHS = (8, 10, 5, 6)
CUT = [
    (Text("a title far too long for its column, cut"), "x" * 40, 10**9, 3.5),
    (Text("東京の会話が長すぎる件について"), "wide 東京東京東京東京東京", -1, 1e-9),
]


class Pair(App[None]):
    """A table of the given class (both, when none is given) with the same rows."""

    def __init__(self, *classes: type[DataTable]) -> None:
        super().__init__()
        self.table_classes = classes or (DataTable, FastTable)

    def compose(self) -> ComposeResult:
        for cls in self.table_classes:
            yield cls(id="fast" if cls is FastTable else "plain", cursor_type="row")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for index, width in enumerate(WIDTHS):
                table.add_column(f"c{index}", key=f"c{index}", width=width)
            for index, row in enumerate(ROWS):
                table.add_row(*row, key=str(index))


def _lines(table: DataTable) -> list[list[tuple[str, object]]]:
    return [[(s.text, s.style) for s in table.render_line(y)] for y in range(table.size.height)]


async def _paint(cls: type[DataTable], cursor_row: int) -> list[list[tuple[str, object]]]:
    app = Pair(cls)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(cls)
        table.move_cursor(row=cursor_row)
        await pilot.pause()
        return _lines(table)


async def test_fast_path_paints_the_same_segments_as_datatable() -> None:
    for cursor_row in (0, 2, 4):
        plain = await _paint(DataTable, cursor_row)
        fast = await _paint(FastTable, cursor_row)
        assert fast == plain
        assert any("plain word" in text for line in fast for text, _ in line)

async def _paint_narrow(cls: type[DataTable], scroll_x: int, hover_row: int) -> list[list[tuple[str, object]]]:
    app = Pair(cls)
    async with app.run_test(size=(24, 12)) as pilot:  # narrower than the columns: scrolled sideways
        table = app.query_one(cls)
        table.move_cursor(row=1)
        table.hover_coordinate = table.hover_coordinate._replace(row=hover_row)
        table.scroll_to(x=scroll_x, animate=False, immediate=True)
        await pilot.pause()
        assert table.scroll_offset.x == scroll_x
        return _lines(table)


async def test_fast_path_paints_the_same_segments_as_datatable_scrolled_sideways_and_hovered() -> None:
    for scroll_x, hover_row in ((0, 3), (5, 0), (13, 1)):
        plain = await _paint_narrow(DataTable, scroll_x, hover_row)
        fast = await _paint_narrow(FastTable, scroll_x, hover_row)
        assert fast == plain, (scroll_x, hover_row)


async def test_a_cut_cell_ends_in_an_ellipsis_within_its_width() -> None:
    app = Pair(FastTable)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(FastTable)
        for index, row in enumerate(CUT):
            table.add_row(*row, key=f"cut{index}")
        await pilot.pause()
        lines = ["".join(s.text for s in table.render_line(y)) for y in range(table.size.height)]
        cut = lines[1 + len(ROWS): 1 + len(ROWS) + len(CUT)]  # under the header and the rows that fit
        assert cut[0].startswith(" a title… ") and cut[1].startswith(" 東京の … "), cut
        for line in cut:
            assert line.count("…") >= 2  # the title and the second column: each cut, each says so
        assert [cell_len(line) for line in cut] == [cell_len(lines[0])] * len(CUT)


async def test_a_str_cell_is_shown_as_text_not_read_as_markup() -> None:
    app = Pair()
    async with app.run_test(size=(80, 20)) as pilot:
        fast = app.query_one("#fast", FastTable)
        fast.update_cell("0", "c1", "[/]", update_width=False)
        fast.update_cell("1", "c1", "[b]x[/b]", update_width=False)
        await pilot.pause()
        text = ["".join(s.text for s in fast.render_line(y)) for y in range(fast.size.height)]
        assert any("[/]" in line for line in text)
        assert any("[b]x[/b]" in line for line in text)


async def test_a_changed_row_repaints_the_row_in_view_and_not_the_scroll_bar() -> None:
    app = Pair(FastTable)
    async with app.run_test(size=(24, 5)) as pilot:  # rows below the fold, columns past the edge: both bars
        table = app.query_one(FastTable)
        await pilot.pause()
        assert table.show_vertical_scrollbar and table.show_horizontal_scrollbar
        view = table.scrollable_content_region
        for scroll_x in (0, 6):
            table.scroll_to(x=scroll_x, animate=False, immediate=True)
            await pilot.pause()
            region = table._get_row_region(1)
            # From the first column in view to the last, under the header: no further (the
            # vertical bar beside it is not drawn again for a changed row).
            assert region == Region(scroll_x, 1 + table.header_height, view.width, 1)
            assert view.width < table.size.width


async def test_updates_in_a_held_block_refresh_their_rows_once_together() -> None:
    app = Pair(FastTable)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(FastTable)
        await pilot.pause()
        calls: list[tuple[Region, ...]] = []
        original = table.refresh

        def refresh(*regions: Region, **kwargs):
            calls.append(regions)
            return original(*regions, **kwargs)

        table.refresh = refresh  # type: ignore[method-assign]
        with table.refreshes_held():
            table.update_cell("0", "c1", "changed")
            table.update_cell("3", "c1", "changed too")
            table.update_cell("3", "c2", 99)
            assert calls == []  # held
        assert len(calls) == 1
        assert sorted(calls[0]) == sorted([table._get_row_region(0), table._get_row_region(3)])
        table.update_cell("1", "c1", "alone")  # not held: at once
        assert calls[1:] == [(table._get_row_region(1),)]
        await pilot.pause()
        assert "changed t… " in "".join(s.text for s in table.render_line(1 + 3))  # (cut to its column)


class Boxed(App[None]):
    """A FastTable inside a coloured container, with many rows (a scroll bar), so the
    table's lines blend its own and its parent's backgrounds."""

    CSS = """
    #frame { background: $panel; height: 1fr; }
    #frame FastTable { height: 1fr; background: $surface 60%; }
    #frame FastTable.-boxed { border: round $accent; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="frame"):
            yield FastTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(FastTable)
        for index, width in enumerate(WIDTHS):
            table.add_column(f"c{index}", key=f"c{index}", width=width)
        for index in range(40):
            row = ROWS[index % len(ROWS)]
            table.add_row(*row, key=str(index))


def _segments(lines) -> list[tuple[int, list[tuple[str, object]]]]:
    return [(line.cell_length, [(s.text, s.style) for s in line]) for line in lines]


def _as_textual_draws(table: FastTable, crop: Region) -> list[tuple[int, list[tuple[str, object]]]]:
    """The lines Textual's styles cache makes of ``crop`` (drawn afresh: nothing cached)."""
    from textual.widget import Widget

    table._styles_cache.clear()
    return _segments(Widget.render_lines(table, crop))


async def test_a_plain_tables_lines_are_what_textual_draws_of_them() -> None:
    """FastTable draws its lines without Textual's styles cache (no border, padding,
    outline, tint or opacity to add): the same segments, for whole lines and cut ones,
    scrolled, hovered, with the cursor, after a theme change and after inline styles of
    the table or its parent change; a table with a border and padding is drawn Textual's way."""
    app = Boxed()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(FastTable)
        await pilot.pause()
        width = table.region.width
        crops = [Region(0, 0, width, table.region.height), Region(0, 3, width, 1), Region(2, 4, 9, 3)]

        def check(label: str) -> None:
            for crop in crops:
                assert _segments(table.render_lines(crop)) == _as_textual_draws(table, crop), (label, crop)
            assert table._boxed is not None and table._boxed.inner is not None, label  # (its own way, checked)

        check("as mounted")
        table.move_cursor(row=4)
        table.hover_coordinate = table.hover_coordinate._replace(row=3)
        table.update_cell("3", "c1", "changed")
        await pilot.pause()
        check("cursor, hover and a changed cell")
        table.scroll_to(y=7, x=3, animate=False, immediate=True)
        await pilot.pause()
        check("scrolled")
        before = _segments(table.render_lines(crops[1]))
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        check("another theme")
        assert _segments(table.render_lines(crops[1])) != before  # (the new colours, not the old lines)
        table.styles.background = "red"
        await pilot.pause()
        check("the table's inline background")
        app.query_one("#frame").styles.background = "blue"
        await pilot.pause()
        check("the parent's inline background")
        table.add_class("-boxed")
        await pilot.pause()
        for crop in crops:
            assert _segments(table.render_lines(crop)) == _as_textual_draws(table, crop)
        assert table._boxed is not None and table._boxed.inner is None  # a border and padding: Textual's way


async def test_a_row_that_shows_again_what_it_showed_is_drawn_by_the_same_strip() -> None:
    """A row's line is kept by what its cells say: a row back to what it showed (a session
    busy, idle, busy again) is the same Strip, padded and filtered the same (so its cut
    pieces and their terminal text, cached on the Strip, are reused), while every other
    content is drawn afresh, as DataTable draws it."""
    app = Pair()
    async with app.run_test(size=(80, 20)) as pilot:
        fast = app.query_one("#fast", FastTable)
        plain = app.query_one("#plain", DataTable)
        app.set_focus(None)  # (both drawn alike: neither has the focus)
        y = 1 + fast.header_height
        crop = Region(0, y, fast.size.width, 1)

        async def show(value: object) -> tuple[object, object]:
            for table in (fast, plain):
                table.update_cell("1", "c0", value)
            await pilot.pause()
            line = fast.render_line(y)
            assert _lines(fast)[y] == _lines(plain)[y]  # what DataTable draws of it
            return line, fast.render_lines(crop)[0]

        busy = await show(Text("● busy", style="bold green"))
        idle = await show(Text("○ idle"))
        assert idle[0] is not busy[0]
        again = await show(Text("● busy", style="bold green"))
        assert again[0] is busy[0] and again[1] is busy[1]
        # Values equal in Python and shown differently are not taken for one another.
        for first, second, shown in ((1, True, "True"), (0.0, -0.0, "-0.00"), (Text("x"), Text("x", style="red"), "x")):
            await show(first)
            line, _ = await show(second)
            assert shown in "".join(s.text for s in line)
            assert _lines(fast)[y] == _lines(plain)[y]
        # The cursor on the row draws it anew, and back off it the kept line returns.
        await show(Text("● busy", style="bold green"))
        fast.move_cursor(row=1)
        await pilot.pause()
        assert fast.render_line(y) is not busy[0]
        fast.move_cursor(row=0)
        await pilot.pause()
        assert fast.render_line(y) is busy[0]
