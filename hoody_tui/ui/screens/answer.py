"""Answer an agent's question: choose from its options, or type an answer.

A gate is decided only by a deliberate key on something that has been on screen, and
no key that navigates anywhere may decide anything. So this screen binds no digit
(the app's view keys are 1-4), an option is chosen with Enter on the highlighted line,
and an Enter that comes right after the screen appeared (a double-tapped Enter that
opened it) is refused until the screen has been there ``settle`` seconds.

Everything the agent wrote (questions, headers, labels, descriptions) and the session
title are shown as inert text: neutralised and put into ``rich.text.Text``, never
read as markup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...api.questions import Question, QuestionItem
from ...text import neutralise

__all__ = ["Answer", "AnswerScreen", "ChoiceList"]

KEYS = "↑↓/j k choose · Enter answers · Tab moves to the text field · Esc cancels"
MULTIPLE_HINT = "one or more: space toggles (✓), Enter sends the ticked ones"
NO_OPTIONS_HINT = "no choices offered: type your answer below"
SETTLE_NOTICE = "just opened: read it, then press Enter again"
MOVED_NOTICE = "next question: read it, then press Enter again"


@dataclass(frozen=True)
class Answer:
    """What the user answered: labels chosen from the list, or a typed text."""

    labels: tuple[tuple[str, ...], ...] | None
    """The chosen labels per question item, in item order (``None`` when typed).
    An item that offered no options has an empty tuple."""
    text: str | None
    """The typed answer (``None`` when chosen from the list)."""

    @property
    def summary(self) -> str:
        """One readable line: the labels (items separated by "; ") or the typed text.

        This is the user's and the agent's data as is: neutralise it to show it."""
        if self.text is not None:
            return self.text
        return "; ".join(", ".join(group) for group in self.labels or ())


class ChoiceList(OptionList):
    """The options of one question item. ``j``/``k`` move; on a multiple-choice item,
    space ticks an option. Enter (OptionList's own) selects; the screen decides what
    that means. No printable key other than j, k and space does anything here."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="answer.down", tooltip="Highlight the next choice"),
        Binding("k", "cursor_up", "Up", show=False, id="answer.up", tooltip="Highlight the previous choice"),
        Binding("space", "tick", "Tick", show=False, id="answer.tick",
                tooltip="Tick or untick the highlighted choice (questions that take several)"),
    ]

    def __init__(self, item: QuestionItem, index: int) -> None:
        self.item = item
        self.index = index
        self.labels: list[str] = [option.label for option in item.options]
        self.ticked: set[int] = set()
        """Option indexes ticked with space (multiple-choice items)."""
        self.chosen: set[int] = set()
        """Option indexes recorded as this item's answer (shown with a ✓)."""
        super().__init__(
            *(Option(self._prompt(i)) for i in range(len(self.labels))),
            id=f"answer-choices-{index}",
            classes="answer-choices",
            markup=False,
        )

    def _prompt(self, i: int) -> Text:
        option = self.item.options[i]
        prompt = Text()
        if self.item.multiple:
            prompt.append("[✓] " if i in self.ticked else "[ ] ")
        else:
            prompt.append("✓ " if i in self.chosen else "  ")
        prompt.append(Text(neutralise(option.label)))
        if option.description:
            prompt.append(Text("  " + neutralise(option.description), style="dim"))
        return prompt

    def refresh_prompts(self) -> None:
        for i in range(len(self.labels)):
            self.replace_option_prompt_at_index(i, self._prompt(i))

    def action_tick(self) -> None:
        highlighted = self.highlighted
        if not self.item.multiple or highlighted is None:
            self.app.bell()
            return
        self.ticked ^= {highlighted}
        self.replace_option_prompt_at_index(highlighted, self._prompt(highlighted))

    def selection(self) -> list[int]:
        """The options Enter answers with for this item: the ticked ones (multiple-choice,
        when some are ticked), else the highlighted one; none when nothing is highlighted."""
        if self.item.multiple and self.ticked:
            return sorted(self.ticked)
        return [] if self.highlighted is None else [self.highlighted]

    async def _on_click(self, event: events.Click) -> None:
        # A click on a multiple-choice item ticks the option rather than sending the
        # ticked ones (OptionList's click selects); Enter still sends.
        if not self.item.multiple:
            return  # OptionList._on_click highlights and selects
        event.prevent_default()
        clicked = event.style.meta.get("option")
        if isinstance(clicked, int) and 0 <= clicked < len(self.labels):
            self.highlighted = clicked
            self.action_tick()


class AnswerScreen(ModalScreen[Answer | None]):
    """Shows the session title and the question's items, one :class:`ChoiceList`
    per item that has options, then a text field for a typed answer.

    Enter on an option records that item's choice and moves to the next item still
    unanswered; the screen is dismissed with an :class:`Answer` once every item with
    options has a choice. Enter in the text field answers with the text. Esc: ``None``.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="answer.cancel", tooltip="Close without answering")]

    def __init__(self, question: Question, *, session_title: str, settle: float = 0.35) -> None:
        super().__init__(id="answer-screen")
        self.question = question
        self.session_title = session_title
        self.settle = settle
        """Seconds an Enter is refused for after the screen is painted (or after a
        choice moved the focus to the next item)."""
        self._painted_at: float | None = None
        """When the screen was first painted; ``None`` until then."""
        self._armed_at: float | None = None
        """When the settle time last started: at the first paint, then whenever a choice
        moved the focus to the next item. ``None`` until painted: every Enter is refused."""
        self._chosen: dict[int, tuple[str, ...]] = {}

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="answer-body"):
            title = Text("Question from ", style="bold")
            title.append(Text(neutralise(self.session_title)))
            yield Static(title, id="answer-title", markup=False)
            with VerticalScroll(id="answer-items") as items:
                items.can_focus = False  # Tab goes list → list → text field
                for index, item in enumerate(self.question.questions):
                    yield Static(self._item_text(index, item), id=f"answer-question-{index}", classes="answer-question",
                                 markup=False)
                    if item.options:
                        yield ChoiceList(item, index)
            yield Static("", id="answer-notice", markup=False)
            yield Input(placeholder="or type your own answer", id="answer-input")
            yield Static(KEYS, id="answer-keys", markup=False)

    def _item_text(self, index: int, item: QuestionItem) -> Text:
        text = Text()
        if len(self.question.questions) > 1:
            text.append(f"{index + 1}/{len(self.question.questions)} ", style="dim")
        if item.header:
            text.append(Text(neutralise(item.header), style="bold"))
            text.append("\n")
        text.append(Text(neutralise(item.question)))
        hint = MULTIPLE_HINT if item.multiple and item.options else NO_OPTIONS_HINT if not item.options else ""
        if hint:
            text.append("\n" + hint, style="dim italic")
        return text

    def on_mount(self) -> None:
        lists = self._lists()
        # The question first: focus the choices without scrolling the header out of view.
        (lists[0] if lists else self.query_one(Input)).focus(scroll_visible=False)
        self.call_after_refresh(self.query_one("#answer-items", VerticalScroll).scroll_home, animate=False)
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        if self._painted_at is None:
            self._painted_at = self._armed_at = time.monotonic()

    @property
    def painted(self) -> bool:
        """Whether the screen has been painted (before that, no Enter answers)."""
        return self._painted_at is not None

    def _lists(self) -> list[ChoiceList]:
        return list(self.query(ChoiceList))

    # -- the settle guard -----------------------------------------------------------

    def ready(self) -> bool:
        """Whether an Enter would answer now (the choices have been on screen long enough)."""
        return self._armed_at is not None and time.monotonic() - self._armed_at >= self.settle

    def _settled(self) -> bool:
        """Whether an Enter may answer now; if not, the bell and a notice say why."""
        if self.ready():
            return True
        self.app.bell()
        self._notice(MOVED_NOTICE if self._chosen else SETTLE_NOTICE)
        return False

    def _notice(self, text: str) -> None:
        notice = self.query_one("#answer-notice", Static)
        notice.update(text)
        notice.set_class(bool(text), "-shown")

    # -- answering ------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choices = event.option_list
        if not isinstance(choices, ChoiceList) or not self._settled():
            return
        chosen = choices.selection()
        if not chosen:
            self.app.bell()
            return
        self._notice("")
        self._chosen[choices.index] = tuple(choices.labels[i] for i in chosen)
        choices.chosen = set(chosen)
        if choices.item.multiple:
            choices.ticked = set(choices.chosen)
        choices.refresh_prompts()
        waiting = [c for c in self._lists() if c.index not in self._chosen]
        if not waiting:
            self.dismiss(Answer(labels=self._labels(), text=None))
            return
        following = [c for c in waiting if c.index > choices.index]
        self._move_to((following or waiting)[0])
        # The next Enter is for the next item: it has to be read first too.
        self._armed_at = time.monotonic()

    def _move_to(self, choices: ChoiceList) -> None:
        """Focus ``choices``, its question at the top of the view (so it is read)."""
        choices.focus(scroll_visible=False)
        question = self.query_one(f"#answer-question-{choices.index}", Static)
        self.query_one("#answer-items", VerticalScroll).scroll_to_widget(question, animate=False, top=True)

    def _labels(self) -> tuple[tuple[str, ...], ...]:
        return tuple(self._chosen.get(index, ()) for index in range(len(self.question.questions)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self._settled():
            return
        value = event.value.strip()
        if not value:
            self.app.bell()
            return
        self.dismiss(Answer(labels=None, text=value))

    def action_cancel(self) -> None:
        self.dismiss(None)
