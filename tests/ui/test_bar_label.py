"""The status bar's labels draw each text once and reuse its lines while nothing else
about them changes (the busy count goes up and down many times a second under load);
anything else that could change how a text looks draws it afresh, as Textual would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from hoody_tui.ui.widgets.status_bar import BarLabel


class Bar(App[None]):
    CSS = """
    #bar { height: 1; background: $panel; }
    #bar > Static { width: auto; padding: 0 1; }
    #bar > .-alert { background: $warning; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield BarLabel("", id="label")
            yield Static("", id="reference")  # what Textual draws of the same text


@contextmanager
def _draws() -> Iterator[list[str]]:
    """The ids of the widgets Textual draws (its render of their lines), in order."""
    drawn: list[str] = []
    original = Widget.render_lines

    def counting(self: Widget, crop: Region):
        drawn.append(self.id or "")
        return original(self, crop)

    Widget.render_lines = counting  # type: ignore[method-assign]
    try:
        yield drawn
    finally:
        Widget.render_lines = original  # type: ignore[method-assign]


def _lines(widget: Widget) -> list[list[tuple[str, object]]]:
    crop = Region(0, 0, widget.size.width, widget.size.height)
    return [[(s.text, s.style) for s in line] for line in widget.render_lines(crop)]


async def _show(pilot, label: BarLabel, reference: Static, text: str) -> None:
    # (As the bar does: a layout only when the width changes. A resize repaints the label
    # from elsewhere, which lets its kept lines go.)
    label.show(text, layout=label._text is None or len(label._text) != len(text))
    reference.update(Content(text))
    await pilot.pause()


async def test_a_text_shown_again_is_not_drawn_again_and_looks_as_textual_draws_it() -> None:
    app = Bar()
    async with app.run_test(size=(60, 3)) as pilot:
        label = app.query_one("#label", BarLabel)
        reference = app.query_one("#reference", Static)
        await _show(pilot, label, reference, "busy 0  ")  # (laid out at its width)
        seen: set[str] = set()
        for text in ("busy 1  ", "busy 2  ", "busy 1  ", "busy 2  ", "busy 1  "):
            await _show(pilot, label, reference, text)
            with _draws() as drawn:
                assert _lines(label) == _lines(reference), text
            assert drawn.count("label") == (0 if text in seen else 1), text  # drawn the first time only
            seen.add(text)
        with _draws() as drawn:
            for text in ("busy 2  ", "busy 1  ") * 5:
                label.show(text, layout=False)
                _lines(label)
        assert drawn == []  # both texts were drawn before: their lines are reused
        label.show("busy 3  ", layout=False)
        with _draws() as drawn:
            _lines(label)
        assert drawn == ["label"]  # a new text is drawn


async def test_new_styles_a_theme_or_an_update_from_elsewhere_draw_the_label_afresh() -> None:
    app = Bar()
    async with app.run_test(size=(60, 3)) as pilot:
        label = app.query_one("#label", BarLabel)
        reference = app.query_one("#reference", Static)
        await _show(pilot, label, reference, "gates 1")
        plain = _lines(label)
        label.add_class("-alert")
        reference.add_class("-alert")
        await pilot.pause()
        with _draws() as drawn:
            alert = _lines(label)
        assert drawn == ["label"] and alert != plain and alert == _lines(reference)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        with _draws() as drawn:
            assert _lines(label) == _lines(reference)
        assert drawn.count("label") == 1
        label.update(Content("elsewhere"))  # not through show(): not kept
        reference.update(Content("elsewhere"))
        await pilot.pause()
        with _draws() as drawn:
            assert _lines(label) == _lines(reference)
            assert _lines(label) == _lines(reference)
        assert drawn.count("label") == 2
