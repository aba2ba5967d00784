"""The modal that answers an agent's question (hoody_tui/ui/screens/answer.py).

No key that navigates may decide anything: the screen binds no digit (1-4 are the
app's view keys), an option is answered with Enter on the highlighted line, and an
Enter that comes before the screen has been on screen ``settle`` seconds is refused.
Deterministic: ``settle=0.0`` except where the guard itself is tested, then a large
``settle`` that the test lowers; no sleeps (the first paint is awaited between frames).
"""

from __future__ import annotations

import re
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, Static

from hoody_tui.api.questions import Question
from hoody_tui.paths import stylesheet
from hoody_tui.ui.screens.answer import Answer, AnswerScreen, ChoiceList

SIZE = (80, 24)


def question(*items: dict[str, Any]) -> Question:
    return Question.model_validate({"id": "que_1", "sessionID": "ses_1", "questions": list(items)})


def item(text: str, *labels: str, header: str | None = None, multiple: bool = False,
         descriptions: dict[str, str] | None = None) -> dict[str, Any]:
    descriptions = descriptions or {}
    return {"question": text, "header": header, "multiple": multiple,
            "options": [{"label": label, "description": descriptions.get(label)} for label in labels]}


DB = question(item("Which database?", "Postgres", "SQLite", "MySQL", header="Database",
                   descriptions={"Postgres": "the server one", "SQLite": "a file"}))


class Host(App[None]):
    """Pushes the screen and records what it was dismissed with, the bells and the
    view keys (bound like the real app's) that fired."""

    CSS_PATH = [stylesheet("app.tcss")]
    BINDINGS = [Binding(str(n), f"view({n})", f"View {n}") for n in range(1, 5)]

    def __init__(self, screen: AnswerScreen) -> None:
        super().__init__()
        self.answer_screen = screen
        self.results: list[Answer | None] = []
        self.bells = 0
        self.views: list[int] = []

    def on_mount(self) -> None:
        self.push_screen(self.answer_screen, self.results.append)

    def bell(self) -> None:
        self.bells += 1

    def action_view(self, n: int) -> None:
        self.views.append(n)


def host(q: Question = DB, *, settle: float = 0.0, title: str = "Fix the login bug") -> Host:
    return Host(AnswerScreen(q, session_title=title, settle=settle))


async def opened(pilot: Pilot[None]) -> AnswerScreen:
    """Wait (frame by frame) until the screen is up and painted."""
    app = pilot.app
    assert isinstance(app, Host)
    for _ in range(100):
        if app.screen is app.answer_screen and app.answer_screen.painted:
            return app.answer_screen
        await pilot.pause()
    raise AssertionError("the answer screen was never painted")


def lists(screen: AnswerScreen) -> list[ChoiceList]:
    return list(screen.query(ChoiceList))


def segments(app: App[None]) -> list[list[Segment]]:
    """The screen as the terminal gets it (the compositor's full update), line by line."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    return [[segment for strip in strips for segment in strip] for strips in update.strips]


def screen_text(app: App[None]) -> str:
    return "\n".join("".join(segment.text for segment in line) for line in segments(app))


def still_open(app: Host) -> bool:
    return app.screen is app.answer_screen and not app.results


# --- choosing from the list -------------------------------------------------------------


async def test_arrows_and_enter_answer_with_the_highlighted_label() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        assert app.focused is lists(screen)[0]
        await pilot.press("down", "down", "up")
        assert still_open(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("SQLite",),), text=None)]
        assert app.results[0] is not None and app.results[0].summary == "SQLite"
        assert app.screen is not screen


async def test_j_and_k_move_in_the_list() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        choices = lists(screen)[0]
        assert choices.highlighted == 0
        await pilot.press("j", "j")
        assert choices.highlighted == 2
        await pilot.press("k")
        assert choices.highlighted == 1
        assert still_open(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("SQLite",),), text=None)]


async def test_digits_do_nothing() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        choices = lists(screen)[0]
        await pilot.press("down")
        await pilot.press(*"123456789")
        await pilot.pause()
        assert still_open(app)
        assert app.views == []  # the app's view keys do not reach through the modal
        assert app.focused is choices and choices.highlighted == 1
        assert app.bells == 0
        # Nothing on this screen is bound to a digit.
        assert not [key for key in screen.active_bindings if re.fullmatch(r"\d", key)]
        for node in (screen, choices):
            assert not [key for key in node._bindings.key_to_bindings if re.fullmatch(r"\d", key)]


async def test_bindings_have_ids_and_tooltips() -> None:
    for cls in (AnswerScreen, ChoiceList):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id and binding.id.startswith("answer."), binding
            assert binding.tooltip, binding


async def test_the_question_and_its_options_are_on_screen() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        text = screen_text(app)
        for shown in ("Fix the login bug", "Database", "Which database?", "Postgres", "the server one", "SQLite",
                      "a file", "MySQL", "or type your own answer", "Enter answers", "Esc"):
            assert shown in text, f"{shown!r} not on screen:\n{text}"


# --- several choices ---------------------------------------------------------------------


MANY = question(item("Which checks?", "lint", "types", "tests", multiple=True))


async def test_multiple_choice_space_ticks_and_enter_sends_the_ticked() -> None:
    app = host(MANY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        choices = lists(screen)[0]
        await pilot.press("space", "down", "down", "space")
        assert choices.ticked == {0, 2}
        assert "[✓] lint" in screen_text(app) and "[ ] types" in screen_text(app)
        await pilot.press("up", "space", "space")  # tick and untick "types"
        assert choices.ticked == {0, 2}
        assert still_open(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("lint", "tests"),), text=None)]
        assert app.results[0] is not None and app.results[0].summary == "lint, tests"


async def test_multiple_choice_with_nothing_ticked_sends_the_highlighted() -> None:
    app = host(MANY)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("j", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("types",),), text=None)]


async def test_space_on_a_single_choice_rings_and_answers_nothing() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert still_open(app) and app.bells == 1


# --- typed answers and cancelling --------------------------------------------------------


async def test_typed_answer() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await pilot.press(*"use 2 of them", "enter")  # digits typed in the field are text
        await pilot.pause()
        assert app.views == []
        assert app.results == [Answer(labels=None, text="use 2 of them")]
        assert app.results[0] is not None and app.results[0].summary == "use 2 of them"


async def test_empty_typed_answer_is_refused() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert still_open(app) and app.bells == 1
        await pilot.press("space", "space", "enter")
        await pilot.pause()
        assert still_open(app) and app.bells == 2
        await pilot.press("x", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=None, text="x")]


async def test_escape_cancels() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("down", "escape")
        await pilot.pause()
        assert app.results == [None]
        assert app.screen is not screen
        assert app.views == []


async def test_escape_cancels_from_the_text_field() -> None:
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("tab", "a", "escape")
        await pilot.pause()
        assert app.results == [None]


async def test_a_question_without_options_is_answered_by_typing() -> None:
    app = host(question(item("What should the branch be called?")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        assert lists(screen) == []
        assert isinstance(app.focused, Input)
        assert "no choices offered" in screen_text(app)
        await pilot.press(*"fix-login", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=None, text="fix-login")]


# --- questions with several items --------------------------------------------------------


TWO = question(
    item("Which database?", "Postgres", "SQLite", header="Database"),
    item("Which checks?", "lint", "types", "tests", header="Checks", multiple=True),
)


async def test_two_items_each_get_a_choice_then_the_screen_answers() -> None:
    app = host(TWO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        first, second = lists(screen)
        assert app.focused is first
        await pilot.press("down", "enter")
        await pilot.pause()
        assert still_open(app)
        assert app.focused is second  # Enter recorded item 1 and moved on
        assert first.chosen == {1}
        await pilot.press("space", "j", "space", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("SQLite",), ("lint", "types")), text=None)]
        assert app.results[0] is not None and app.results[0].summary == "SQLite; lint, types"


async def test_two_items_can_be_answered_in_any_order_and_say_which_is_which() -> None:
    app = host(TWO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        first, second = lists(screen)
        text = screen_text(app)
        assert "1/2" in text and "Database" in text
        await pilot.press("tab")
        assert app.focused is second
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is first and still_open(app)  # back to the item still unanswered
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("Postgres",), ("lint",)), text=None)]


async def test_two_items_typed_answer_at_any_time() -> None:
    app = host(TWO)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("enter")  # item 1 chosen, on to item 2
        await pilot.pause()
        await pilot.press("tab", *"neither", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=None, text="neither")]


async def test_an_item_without_options_does_not_block_the_others() -> None:
    app = host(question(item("Why?"), item("Which?", "A", "B")))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=((), ("A",)), text=None)]


# --- the settle guard ---------------------------------------------------------------------


def notice(screen: AnswerScreen) -> str:
    widget = screen.query_one("#answer-notice", Static)
    return str(widget.render()) if widget.display else ""


async def test_enter_right_after_opening_does_not_answer() -> None:
    app = host(settle=30.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        assert notice(screen) == ""
        await pilot.press("enter")
        await pilot.pause()
        assert still_open(app)
        assert app.bells == 1
        assert "just opened" in notice(screen)
        assert "just opened: read it, then press Enter again" in screen_text(app)
        screen.settle = 0.0
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("Postgres",),), text=None)]


async def test_the_typed_answer_waits_for_the_settle_time_too() -> None:
    app = host(settle=30.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("tab", "y", "enter")
        await pilot.pause()
        assert still_open(app) and app.bells == 1 and notice(screen)
        screen.settle = 0.0
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=None, text="y")]


async def test_moving_to_the_next_item_starts_the_settle_time_again() -> None:
    app = host(TWO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("enter")
        await pilot.pause()
        second = lists(screen)[1]
        assert app.focused is second
        screen.settle = 30.0  # as if the second Enter of a double tap came now
        await pilot.press("enter")
        await pilot.pause()
        assert still_open(app) and app.bells == 1
        assert "read it" in notice(screen)
        screen.settle = 0.0
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("Postgres",), ("lint",)), text=None)]


# --- hostile content ---------------------------------------------------------------------


MARKUP = "[bold red]x[/]"
ESCAPE = "\x1b[31mred"
BROKEN = "[/nope] [link=http://evil]click[/link]"


async def test_hostile_content_shows_literally() -> None:
    q = question(item(f"Pick {MARKUP}?\x07", MARKUP, ESCAPE, BROKEN, header=f"H {BROKEN}",
                      descriptions={MARKUP: f"d {ESCAPE}", BROKEN: MARKUP}))
    app = host(q, title=f"T {MARKUP} \x1b]52;c;cHduZWQ=\x07")
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert text.count(MARKUP) >= 4, text  # title, question, a label, a description
        assert "␛[31mred" in text and "d ␛[31mred" in text
        assert "[/nope] [link=http://evil]click[/link]" in text
        assert "T [bold red]x[/] ␛]52;c;cHduZWQ=␇" in text
        assert "Pick [bold red]x[/]?␇" in text
        for line in segments(app):
            for segment in line:
                assert segment.style is None or not segment.style.link, segment
                assert not (segment.style and segment.style.bold and "x" in segment.text and segment.style.color
                            and segment.style.color.name == "red"), segment
        # The answer carries the agent's label itself (it is sent back as is).
        choices = lists(screen)[0]
        prompts = [choices.get_option_at_index(i).prompt for i in range(3)]
        assert all(isinstance(prompt, Text) for prompt in prompts)
        assert [prompt.plain.strip() for prompt in prompts if isinstance(prompt, Text)] == [
            f"{MARKUP}  d ␛[31mred", "␛[31mred", f"{BROKEN}  {MARKUP}"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == [Answer(labels=((ESCAPE,),), text=None)]


async def test_hostile_multiple_choice_ticks_render() -> None:
    app = host(question(item("?", MARKUP, ESCAPE, multiple=True)))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("space", "down", "space")
        text = screen_text(app)
        assert f"[✓] {MARKUP}" in text and "[✓] ␛[31mred" in text
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=((MARKUP, ESCAPE),), text=None)]


def test_summary() -> None:
    assert Answer(labels=(("a", "b"), ("c",)), text=None).summary == "a, b; c"
    assert Answer(labels=None, text="typed").summary == "typed"
    assert Answer(labels=((), ("c",)), text=None).summary == "; c"


async def test_a_click_ticks_on_a_multiple_choice_and_answers_on_a_single_choice() -> None:
    app = host(MANY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        choices = lists(screen)[0]
        await pilot.click(choices, offset=(4, 2))  # the second option (the list has a border)
        await pilot.pause()
        assert choices.ticked == {1} and still_open(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [Answer(labels=(("types",),), text=None)]
    app = host()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.click(lists(screen)[0], offset=(4, 2))
        await pilot.pause()
        assert app.results == [Answer(labels=(("SQLite",),), text=None)]
