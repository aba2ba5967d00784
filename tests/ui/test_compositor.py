"""The main screen's compositor writes exactly what Textual's would, for any dirty regions,
while drawing only the widgets those regions touch."""

from __future__ import annotations

import random

from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from hoody_tui.ui.compositor import DashboardScreen, TouchedOnlyCompositor


class Board(App[None]):
    CSS = """
    #top { height: 1; }
    #top Static { width: auto; padding: 0 1; }
    #side { dock: right; width: 12; }
    DataTable { height: 1fr; }
    """

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default")

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            for i in range(4):
                yield Static(f"label {i}", id=f"l{i}")
        yield Static("side\npanel\n" * 6, id="side")
        yield DataTable(id="table")
        yield Static("the footer line", id="foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("status", "title", "count")
        for i in range(40):
            table.add_row("● busy" if i % 3 else "○ idle", f"Session {i}", str(i * 7))


def _written(compositor: Compositor, partial) -> dict[tuple[int, int], tuple[str, object]]:
    """The cells a partial update writes, as a terminal would take them: (x, y) -> (character, style)."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.segment import ControlType

    update = partial(compositor)
    if update is None:
        return {}
    console = Console(width=80, height=24, color_system="truecolor", force_terminal=True, legacy_windows=False)
    cells: dict[tuple[int, int], tuple[str, object]] = {}
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        if segment.control:
            for control in segment.control:
                if control[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = control[1], control[2]
            continue
        if segment.text == "\n":
            continue
        for char in segment.text:
            cells[(x, y)] = (char, segment.style)
            x += cell_len(char)
    return cells


async def test_any_dirty_regions_write_the_same_as_textuals_compositor() -> None:
    app = Board()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        compositor = screen._compositor
        assert isinstance(compositor, TouchedOnlyCompositor)
        rng = random.Random(20)
        widgets = list(compositor.visible_widgets)
        checked = 0
        for _ in range(200):
            regions: set[Region] = set()
            for _ in range(rng.randint(1, 5)):
                if rng.random() < 0.5:  # a widget's own line(s), as a refresh marks them
                    widget = rng.choice(widgets)
                    region, _ = compositor.visible_widgets[widget]
                    y = region.y + rng.randrange(max(1, region.height))
                    regions.add(Region(region.x, y, region.width, 1))
                else:  # anything
                    x, y = rng.randrange(80), rng.randrange(24)
                    regions.add(Region(x, y, rng.randint(1, 80 - x), rng.randint(1, 24 - y)))
            compositor._dirty_regions = set(regions)
            theirs = _written(compositor, Compositor.render_partial_update)
            compositor._dirty_regions = set(regions)
            ours = _written(compositor, TouchedOnlyCompositor.render_partial_update)
            assert ours == theirs, regions
            checked += bool(theirs)
        assert checked == 200  # every one wrote something


async def test_a_label_and_the_footer_changed_draw_only_what_overlaps_them() -> None:
    app = Board()
    drawn: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        regions = {compositor.visible_widgets[app.query_one(f"#{name}")][0] for name in ("l2", "foot")}
        original = Widget.render_lines

        def counting(self: Widget, crop: Region):
            drawn.append(self.id or type(self).__name__)
            return original(self, crop)

        Widget.render_lines = counting  # type: ignore[method-assign]
        try:
            compositor._dirty_regions = set(regions)
            Compositor.render_partial_update(compositor)
            theirs, drawn[:] = list(drawn), []
            compositor._dirty_regions = set(regions)
            compositor.render_partial_update()
        finally:
            Widget.render_lines = original  # type: ignore[method-assign]
    # The bounding box of the two is the whole screen: Textual's compositor draws the
    # table, its scroll bar, the side panel and every label; ours only the two (what holds
    # them is hidden behind them where they changed).
    assert {"table", "side", "l0", "l1", "l3", "top", "_default"} <= set(theirs)
    assert sorted(drawn) == ["foot", "l2"]


class Held(App[None]):
    """The main screen with an input hold the test turns on and off."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = 0.0

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default", held=lambda: self.hold)

    def compose(self) -> ComposeResult:
        yield Static("before", id="line")


async def test_while_a_key_is_held_the_screen_waits_to_paint_then_paints() -> None:
    app = Held()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        painted: list[str] = []
        app.hold = 0.01  # a key's hold is on (it would end by itself; here the test ends it)
        app.query_one("#line", Static).update("after")
        app.screen.call_after_refresh(painted.append, "painted")
        for _ in range(5):
            await pilot.pause(0.02)
        assert painted == []  # not painted while held, nor the callbacks after a paint
        app.hold = 0.0
        for _ in range(100):
            if painted:
                break
            await pilot.pause(0.02)
        assert painted == ["painted"]
        assert "after" in app.export_screenshot()


class Paced(App[None]):
    """The main screen with a line a paced update rewrites, and an input hold."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = 0.0
        self.shown: list[object] = []

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default", held=lambda: self.hold)

    def compose(self) -> ComposeResult:
        yield Static("before", id="line")
        yield Static("still", id="other")

    def _display(self, screen: Screen, renderable) -> None:  # what reaches the terminal
        self.shown.append(renderable)
        super()._display(screen, renderable)


async def test_a_changed_widget_is_painted_in_the_callers_step_and_only_once() -> None:
    app = Paced()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        line = app.query_one("#line", Static)
        shown = len(app.shown)
        line.update("after", layout=False)
        assert screen.paint_now()  # painted here, not after the widget's and the screen's messages
        assert len(app.shown) == shown + 1
        assert "after" in _cells_text(screen, app.shown[-1])
        assert not line._repaint_required and not screen._dirty_widgets
        for _ in range(3):  # nothing is left for Textual's way to paint again
            await pilot.pause(0.02)
        assert len(app.shown) == shown + 1
        assert not screen.paint_now()  # nothing changed since


async def test_a_hold_a_layout_or_a_batch_leave_the_paint_to_textual() -> None:
    app = Paced()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        screen = app.screen
        line = app.query_one("#line", Static)
        shown = len(app.shown)
        app.hold = 5.0  # a key's hold: its reply first
        line.update("held", layout=False)
        assert not screen.paint_now() and len(app.shown) == shown
        app.hold = 0.0
        with app.batch_update():
            assert not screen.paint_now()
        line.update("a longer line that needs a layout")  # (layout=True)
        assert not screen.paint_now() and len(app.shown) == shown
        for _ in range(100):  # Textual's way paints it all
            if any("needs a layout" in _cells_text(screen, update) for update in app.shown[shown:]):
                break
            await pilot.pause(0.02)
        assert any("needs a layout" in _cells_text(screen, update) for update in app.shown[shown:])


def _cells_text(screen: Screen, update) -> str:
    """The characters a partial update writes, in order."""
    from rich.console import Console

    console = Console(width=40, height=5, color_system="truecolor", force_terminal=True, legacy_windows=False)
    return "".join(segment.text for segment in update.__rich_console__(console, console.options) if not segment.control)


async def test_a_table_still_to_measure_its_new_rows_is_painted_the_usual_way() -> None:
    app = Board()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = app.query_one(DataTable)
        table.add_row("● busy", "Session 40", "280")
        table.update_cell_at((0, 2), "moved")  # and a row on screen changed with it
        assert table._require_update_dimensions and table._repaint_required
        assert not screen.paint_now()  # its columns are measured when it is idle: Textual paints it then
        for _ in range(100):  # Textual measures the table, lays it out and paints it
            await pilot.pause(0.01)
            if not (table._require_update_dimensions or screen._layout_required or screen._layout_widgets
                    or any(w._repaint_required or w._layout_required for w in screen._compositor.visible_widgets)):
                break
        assert not table._require_update_dimensions
        table.update_cell_at((0, 2), "changed")
        assert screen.paint_now()  # a plain change of a settled table: painted at once


async def test_a_changed_row_draws_that_line_of_the_table_not_the_table() -> None:
    app = Board()
    crops: list[tuple[str, int]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        table = app.query_one(DataTable)
        region, _ = compositor.visible_widgets[table]
        rows = {Region(region.x, region.y + 3, region.width, 1), Region(region.x, region.y + 7, region.width, 1)}
        original = Widget.render_lines

        def counting(self: Widget, crop: Region):
            crops.append((self.id or type(self).__name__, crop.height))
            return original(self, crop)

        Widget.render_lines = counting  # type: ignore[method-assign]
        try:
            compositor._dirty_regions = set(rows)
            compositor.render_partial_update()
        finally:
            Widget.render_lines = original  # type: ignore[method-assign]
    # Two lines of the table, not its 23 (the scroll bar in front of the rows' ends: its two lines too).
    assert sorted(crops) == [("ScrollBar", 1), ("ScrollBar", 1), ("table", 1), ("table", 1)]


class PacedBoard(App[None]):
    """The main screen with a status label and a table, as a paced update changes them."""

    CSS = "#count { width: auto; } FastTable { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.hold = 0.0
        self.idle_held: list[Widget] | None = None
        self.shown: list[object] = []

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default", held=lambda: self.hold)

    def compose(self) -> ComposeResult:
        from hoody_tui.ui.widgets.fast_table import FastTable
        from hoody_tui.ui.widgets.status_bar import BarLabel

        yield BarLabel("busy 0  ", id="count")
        yield FastTable(id="table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#table", DataTable)
        table.add_columns("status", "title")
        for i in range(5):
            table.add_row("● busy", f"Session {i}", key=str(i))

    def _display(self, screen: Screen, renderable) -> None:
        self.shown.append(renderable)
        super()._display(screen, renderable)

    def paced(self, change) -> list[Widget]:
        """What the app's paced update does: the change with idle prompts held, the paint,
        then the prompts the paint left something to do for."""
        from hoody_tui.ui.compositor import release_idle

        self.idle_held = []
        change()
        held, self.idle_held = self.idle_held, None
        painted = self.screen.paint_now()  # type: ignore[attr-defined]
        release_idle(held, painted)
        return painted


def _prompts(*widgets: Widget) -> list[str]:
    """Records the idle prompts posted to ``widgets`` (by id)."""
    from textual.messages import Prompt

    posted: list[str] = []
    for widget in widgets:
        original = widget.post_message

        def post(message, widget=widget, original=original):
            if isinstance(message, Prompt):
                posted.append(widget.id or "")
            return original(message)

        widget.post_message = post  # type: ignore[method-assign]
    return posted


async def _settle(pilot, screen) -> None:
    for _ in range(100):
        await pilot.pause(0.01)
        if not any(w._repaint_required or w._layout_required for w in screen._compositor.visible_widgets) \
                and not screen._layout_required and not screen._dirty_widgets:
            return


async def _watched(pilot, app: PacedBoard):
    """The settled screen, its label and table, and the idle prompts posted to those two."""
    from hoody_tui.ui.widgets.status_bar import BarLabel

    screen = app.screen
    await _settle(pilot, screen)
    label = app.query_one("#count", BarLabel)
    table = app.query_one("#table", DataTable)
    return screen, label, table, _prompts(label, table)


async def test_widgets_painted_in_a_paced_update_get_no_idle_prompt_for_it() -> None:
    """A refreshed table and label would each get a Prompt (a task step) that finds
    nothing to do once the update's paint drew them: held while the update runs, and
    dropped for what the paint drew."""
    app = PacedBoard()
    async with app.run_test(size=(40, 10)) as pilot:
        screen, label, table, posted = await _watched(pilot, app)
        shown = len(app.shown)

        def change() -> None:
            label.show("busy 7  ", layout=False)
            table.update_cell("2", table.ordered_columns[0].key, "○ idle")

        painted = app.paced(change)
        assert set(painted) == {label, table} and len(app.shown) == shown + 1
        assert posted == []  # no prompt: both were drawn in the update's step
        text = _cells_text(screen, app.shown[-1])
        assert "busy 7" in text and "idle" in text
        await pilot.pause(0.05)
        assert posted == [] and len(app.shown) == shown + 1  # and nothing left to paint again


async def test_a_held_idle_prompt_is_given_back_when_the_paint_leaves_work() -> None:
    """When the paint is left to Textual (a key's hold here) or a widget has more to do
    when idle (a callback), its prompt is posted after the update, and the work done."""
    app = PacedBoard()
    async with app.run_test(size=(40, 10)) as pilot:
        screen, label, table, posted = await _watched(pilot, app)
        app.hold = 5.0
        assert app.paced(lambda: label.show("busy 8  ", layout=False)) == []
        assert posted == ["count"]  # given back: Textual's way paints it
        app.hold = 0.0
        screen._on_timer_update()  # (the screen's timer, resumed after the hold)
        await _settle(pilot, screen)
        assert any("busy 8" in _cells_text(screen, update) for update in app.shown if update is not None)
        posted.clear()
        called: list[str] = []

        def change() -> None:
            table.update_cell("1", table.ordered_columns[0].key, "○ idle")
            table.call_next(lambda: called.append("next"))

        assert table in app.paced(change)
        assert posted == ["table"]  # painted, but a callback waits for its idle turn
        await pilot.pause(0.05)
        assert called == ["next"]
