"""MarkdownLines (an agent's text drawn line by line): it lays prose out as Textual's
Markdown does, keeps the agent's text inert, and an answer being typed repaints the line
it changed, asking for a layout of the screen only when it needs more lines."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.selection import Selection
from textual.widgets import Markdown

from hoody_tui.text import INVISIBLE, neutralise
from hoody_tui.ui.widgets import markdown_lines
from hoody_tui.ui.widgets.markdown_lines import MarkdownLines

PROSE = """The failing assertion comes from the **session cookie** being written *after* the
redirect response has been committed, so see `auth.py` and ~~the old~~ notes.

## Plan

- move the `set_cookie` call before the redirect, which is a long enough item to wrap
- add a test

1. one
2. two

```
def login(user):
    return redirect("/home")
```

Done."""


class One(App[None]):
    CSS = "Markdown { padding: 0; }"

    def __init__(self, widget: MarkdownLines | Markdown) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def until(pilot, condition: Callable[[], object], what: str) -> None:
    try:
        async with asyncio.timeout(10):
            while not condition():
                await pilot.pause(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting until {what}") from None


def screen_lines(app: App) -> list[str]:
    return [line.text.rstrip() for line in app.screen._compositor.render_strips()]


async def _screen(widget: MarkdownLines | Markdown, width: int = 60) -> list[str]:
    app = One(widget)
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        lines = screen_lines(app)
    while lines and not lines[-1]:
        lines.pop()
    return lines


async def test_prose_is_laid_out_as_textual_markdown_lays_it_out() -> None:
    mine = await _screen(MarkdownLines(PROSE))
    textual = await _screen(Markdown(PROSE))
    assert mine == textual
    assert "Plan" in mine and "• add a test" in mine and "      return redirect(\"/home\")" in mine


async def test_styles_come_from_the_theme_and_follow_it() -> None:
    widget = MarkdownLines("Some **bold**, *em* and `code`.")
    app = One(widget)
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()

        def style_of(word: str):
            line = widget.render_line(0)
            return next(segment.style for segment in line if word in segment.text)

        assert style_of("bold").bold and style_of("em").italic
        dark_code = style_of("code")
        assert dark_code.bgcolor != style_of("Some").bgcolor
        app.theme = "textual-light"
        await until(pilot, lambda: style_of("code") != dark_code, "the light theme's inline code")
        assert style_of("bold").bold


async def test_the_agents_text_stays_inert() -> None:
    hostile = ("\x1b[2J\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ \x07 [bold red]x[/] "
               "&#x202e;&#27;&#8203; \u202e [t](http://evil.example/a) <http://x.example> ![i](http://p.example/i.png)")
    widget = MarkdownLines(neutralise(hostile))
    app = One(widget)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        lines = [widget.render_line(y) for y in range(widget.size.height)]
    segments = [segment for line in lines for segment in line]
    text = "\n".join(line.text for line in lines)
    assert "[bold red]x[/]" in text  # shown as written, not read as markup
    for char in text.replace("\n", ""):
        assert unicodedata.category(char) != "Cc" and ord(char) not in INVISIBLE, repr(char)
    for segment in segments:
        style = segment.style
        assert style is None or (not style.link and "@click" not in style.meta), style
    assert "t" in text and "(http://evil.example/a)" in text  # a link shows where it goes
    assert "http://x.example" in text and "(http://x.example)" not in text
    assert "[image: i]" in text


async def test_a_word_typed_repaints_its_line_and_lays_out_only_for_more_lines(monkeypatch) -> None:
    widget = MarkdownLines("")
    app = One(widget)
    refreshes: list[tuple[tuple[Region, ...], bool]] = []
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        text = "First paragraph, done.\n\nSecond"
        widget.update(text)
        await pilot.pause()
        first_lines = widget._lines[:2]
        original = widget.refresh

        def spy(*regions, layout=False, **kwargs):
            refreshes.append((regions, layout))
            return original(*regions, layout=layout, **kwargs)

        monkeypatch.setattr(widget, "refresh", spy)
        lines_before, layouts = len(widget._lines), 0
        for word in ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"] * 8:
            height = widget._height
            refreshes.clear()
            text += f" {word}"
            widget.update(text)
            if widget._height == height:  # within the lines it took: no layout, its line repainted
                assert refreshes and not any(layout for _, layout in refreshes)
                # (two when the word starts a line: the line before it ends differently)
                assert all(region.height <= 2 for regions, _ in refreshes for region in regions), refreshes
            else:  # more lines: a layout, and it takes some ahead
                assert [layout for _, layout in refreshes] == [True]
                assert widget._height > len(widget._lines)
                layouts += 1
            await pilot.pause()
        assert widget._lines[0] is first_lines[0]  # the finished paragraph is not drawn again
        assert 0 < layouts < (len(widget._lines) - lines_before) / 2


class Framed(App[None]):
    """A MarkdownLines in a bordered box, as the stream's messages hold their text."""

    CSS = "#box { height: auto; border-left: thick $primary; padding-left: 1; }"

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Vertical(id="box"):
                yield MarkdownLines(self.text)


def painted(app: App) -> list[list[tuple[str, object]]]:
    """The screen as drawn: each line's segments, text and style (where the mouse selects
    text too: the offsets are the same for the same text)."""
    return [[(segment.text, segment.style) for segment in line] for line in app.screen._compositor.render_strips()]


async def test_a_typed_text_ends_on_screen_as_a_fresh_draw_of_it() -> None:
    """What the widget and its box kept from draw to draw (their lines, when only their
    height changed) paints the same screen as the same text drawn at once."""
    app = Framed()
    async with app.run_test(size=(50, 40)) as pilot:
        widget = app.query_one(MarkdownLines)
        text = "Intro *with* `code`."
        for n in range(120):
            text += f" word{n}" + ("\n\n- item\n- more" if n == 40 else "\n\n" if n % 25 == 24 else "")
            widget.update(text)
            if n % 7 == 0:
                await pilot.pause()
        await pilot.pause()
        assert len(widget._lines) < 38  # (all of it on screen)
        typed = painted(app)
    fresh_app = Framed(text)
    async with fresh_app.run_test(size=(50, 40)) as pilot:
        await pilot.pause()
        fresh_widget = fresh_app.query_one(MarkdownLines)
        fresh_widget._height = widget._height  # (the typed one still holds lines taken ahead)
        fresh_widget.refresh(layout=True)
        await pilot.pause()
        fresh = painted(fresh_app)
    assert typed == fresh


async def test_lines_taken_ahead_are_given_back_when_the_text_stops(monkeypatch) -> None:
    monkeypatch.setattr(markdown_lines, "SETTLE", 0.05)
    widget = MarkdownLines("")
    app = One(widget)
    async with app.run_test(size=(40, 30)) as pilot:
        await pilot.pause()
        text = "word"
        for _ in range(60):
            text += " word"
            widget.update(text)
        assert widget._height > len(widget._lines)
        await until(pilot, lambda: widget._height == len(widget._lines), "the lines given back")
        await until(pilot, lambda: widget.size.height == len(widget._lines), "the widget as tall as its text")


async def test_a_new_width_wraps_again_and_the_text_can_be_selected() -> None:
    widget = MarkdownLines("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu")
    app = One(widget)
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        assert widget.size.height == 2  # one line of text, one blank after it (as a paragraph)
        await pilot.resize_terminal(20, 10)
        await until(pilot, lambda: widget.size.height > 2, "the text wrapped again")
        selected, _end = widget.get_selection(Selection(None, None)) or ("", "")
        assert " ".join(selected.split()) == "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"


@pytest.mark.parametrize("source", ["| a | b |\n|---|---|\n| 1 | 2 |", "> quoted\n> text", "# Title", "---", "<b>html</b>"])
async def test_other_blocks_are_drawn(source: str) -> None:
    widget = MarkdownLines(neutralise(source))
    app = One(widget)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
    for word in ("a", "b", "1", "2", "quoted", "Title", "─", "<b>html</b>"):
        if word in source or (word == "─" and source == "---"):
            assert word in text
