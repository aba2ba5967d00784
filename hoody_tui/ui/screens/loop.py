"""A session's loop: watch it iterate live, start one with a checked form, stop it."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from ...api.errors import ApiError, Conflict, HoodyError
from ...api.requests import LOOP_ITERS_MAX, LOOP_PROMPT_MAX
from ...core.service import ActionResult, WorkspaceService
from ...store.changes import Changes
from ...text import neutralise, shorten
from ..format import progress_bar
from .confirm import ConfirmScreen

__all__ = ["LoopScreen", "check_loop_form", "LOOP_POLL"]

LOOP_POLL = 5.0
"""No loop event is documented: the panel polls the loop this often while it is open."""


def check_loop_form(prompt: str, iters: str) -> dict[str, str]:
    """Field errors for the loop form, with the server's limits (empty when valid)."""
    errors: dict[str, str] = {}
    if not prompt.strip():
        errors["prompt"] = "Required"
    elif len(prompt) > LOOP_PROMPT_MAX:
        errors["prompt"] = f"At most {LOOP_PROMPT_MAX} characters ({len(prompt)} now)"
    try:
        number = int(iters.strip())
    except ValueError:
        errors["iters"] = "A whole number from 1 to 100"
    else:
        if not 1 <= number <= LOOP_ITERS_MAX:
            errors["iters"] = f"Must be between 1 and {LOOP_ITERS_MAX}"
    return errors


class LoopScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="loop.close", tooltip="Close the loop panel"),
        # priority: the prompt's TextArea would take ctrl+x (cut) otherwise.
        Binding("ctrl+s", "start", "Start", id="loop.start", tooltip="Start the loop with this prompt and count", priority=True),
        Binding("ctrl+x", "stop", "Stop", id="loop.stop", tooltip="Stop the loop and cancel its running prompt", priority=True),
    ]

    class Done(Message):
        """A start or stop finished (``result`` says how)."""

        def __init__(self, result: ActionResult[Any]) -> None:
            super().__init__()
            self.result = result

    def __init__(self, service: WorkspaceService, session_id: str) -> None:
        super().__init__(id="loop-screen")
        self.service = service
        self.store = service.store
        self.session_id = session_id
        self.sending = False
        self.touched = False
        """The person has typed in the form: only then are its errors said."""

    def compose(self) -> ComposeResult:
        with Vertical(id="loop-body"):
            yield Static("", id="loop-title")
            yield Static("", id="loop-status")
            with Vertical(id="loop-form"):
                yield Label("Prompt (re-sent as the user turn on each iteration)")
                yield TextArea(id="loop-prompt", soft_wrap=True, show_line_numbers=False)
                yield Static("", id="loop-prompt-error", classes="field-error")
                with Horizontal(id="loop-iters-row"):
                    yield Label("Iterations (1-100)")
                    yield Input(value="5", id="loop-iters", restrict=r"[0-9]*", max_length=3)
                    yield Static("", id="loop-iters-error", classes="field-error")
                with Horizontal(id="loop-buttons"):
                    yield Button("Start loop", id="loop-start", variant="primary")
                    yield Button("Stop loop", id="loop-stop", variant="error")
            yield Static("", id="loop-result")
            yield Static("ctrl+s start · ctrl+x stop · Esc close", id="loop-keys")

    def on_mount(self) -> None:
        session = self.store.sessions.get(self.session_id)
        self.query_one("#loop-title", Static).update(
            Text(f"Loop of “{neutralise(shorten((session.title if session else None) or self.session_id, 60))}”"
                 + (f" · {neutralise(self.service.source)}" if self.service.source else ""), style="bold")
        )
        self.refresh_loop()
        self.validate()
        self.query_one(TextArea).focus()
        self.poll()
        self.set_interval(LOOP_POLL, self.poll, name="loop poll")  # stops with the screen

    @work(group="loop-poll", exclusive=True)
    async def poll(self) -> None:
        await self.service.refresh_loop(self.session_id)  # the store publishes the change

    def apply_changes(self, changes: Changes) -> None:
        """The app shows this screen what the store changed."""
        if self.session_id in changes.loops:
            self.refresh_loop()
        elif self.session_id in changes.sessions:
            self.poll()  # a status change may be an iteration ending

    def refresh_loop(self) -> None:
        loop = self.store.loops.get(self.session_id)
        status = self.query_one("#loop-status", Static)
        active = loop is not None
        if loop is None:
            status.update(Text("No loop is active on this session.", style="italic"))
        else:
            text = Text()
            percent = 100 * loop.iter / loop.iters if loop.iters else None
            text.append(f"iteration {loop.progress_label}  {progress_bar(percent, 20)}\n", style="bold")
            text.append(f"prompt    {neutralise(shorten(loop.prompt, 200))}\n")
            if loop.agent or loop.model:
                model = loop.model.label() if loop.model else "-"
                text.append(f"agent     {neutralise(loop.agent or '-')}  model {neutralise(model or '-')}\n")
            if loop.started_at:
                text.append(f"started   {time.strftime('%H:%M:%S', time.localtime(loop.started_at / 1000))}\n")
            if loop.launch_id:
                text.append(f"launch    {neutralise(loop.launch_id)}\n", style="dim")
            status.update(text)
        self.query_one("#loop-start", Button).disabled = active or self.sending
        self.query_one("#loop-stop", Button).disabled = not active or self.sending

    def validate(self) -> dict[str, str]:
        prompt = self.query_one(TextArea).text
        iters = self.query_one("#loop-iters", Input).value
        errors = check_loop_form(prompt, iters)
        # An empty form is not an error until the person has typed or pressed start.
        self.show_field_errors(errors if self.touched else {}, counter=len(prompt))
        return errors

    def show_field_errors(self, errors: dict[str, str], *, counter: int | None = None) -> None:
        prompt_error = errors.get("prompt", "")
        if counter is not None and not prompt_error:
            prompt_error = f"{counter}/{LOOP_PROMPT_MAX}"
        # Field errors may be the server's words: literal text, never markup.
        self.query_one("#loop-prompt-error", Static).update(Text(neutralise(prompt_error)))
        self.query_one("#loop-prompt-error").set_class("prompt" in errors, "-invalid")
        self.query_one("#loop-iters-error", Static).update(Text(neutralise(errors.get("iters", ""))))
        self.query_one("#loop-iters-error").set_class("iters" in errors, "-invalid")

    def on_text_area_changed(self) -> None:
        self.touched = True
        self.validate()

    def on_input_changed(self) -> None:
        self.touched = True
        self.validate()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "loop-start":
            self.action_start()
        elif event.button.id == "loop-stop":
            self.action_stop()

    def action_start(self) -> None:
        if self.sending or self.session_id in self.store.loops:
            return
        self.touched = True
        errors = self.validate()
        if errors:
            self.app.bell()
            return
        self.sending = True
        self.refresh_loop()
        self.start(self.query_one(TextArea).text, int(self.query_one("#loop-iters", Input).value))

    @work(group="loop-action")
    async def start(self, prompt: str, iters: int) -> None:
        self.post_message(self.Done(await self.service.start_loop(self.session_id, prompt, iters)))

    def action_stop(self) -> None:
        if self.sending:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.sending = True
                self.refresh_loop()
                self.stop()

        self.app.push_screen(ConfirmScreen("Stop the loop? This also cancels its running prompt."), confirmed)

    @work(group="loop-action")
    async def stop(self) -> None:
        self.post_message(self.Done(await self.service.stop_loop(self.session_id)))

    def on_loop_screen_done(self, message: Done) -> None:
        message.stop()
        self.sending = False
        result = message.result
        if result.ok:
            self.query_one("#loop-result", Static).update(Text(neutralise(result.text)))
            self.refresh_loop()
        elif result.error is not None:
            self.failed(result.error)

    def failed(self, error: HoodyError) -> None:
        """Say why, beside the field when the server named one."""
        self.sending = False
        if isinstance(error, ApiError) and error.field_errors:
            self.show_field_errors({f.field: f.message for f in error.field_errors})
            text = "The server refused the loop: see the fields above."
        elif isinstance(error, Conflict) and error.code == "loop_already_active":
            text = "A loop is already active on this session: stop it first (ctrl+x)."
        elif isinstance(error, Conflict) and error.code == "session_busy":
            text = "The session is busy with a turn: wait until it is idle, or abort it (A), then start the loop."
        else:
            text = str(error)
        self.query_one("#loop-result", Static).update(Text(neutralise(text), style="bold"))
        self.refresh_loop()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
