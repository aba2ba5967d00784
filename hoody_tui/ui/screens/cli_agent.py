"""Launch a CLI-agent run (codex, claude, gemini…) on a session and watch it live."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from ...api.cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot
from ...api.errors import ApiError, HoodyError
from ...api.requests import CLI_AGENT_PROMPT_MAX
from ...core.service import WorkspaceService
from ...events.items import ConnectionState
from ...text import neutralise
from ..format import progress_bar
from ..messages import ActionDone

__all__ = ["CliAgentScreen", "check_cli_agent_form", "KNOWN_AGENTS"]

KNOWN_AGENTS = ("codex", "claude", "gemini", "opencode")
"""The CLI agents the API documents (seed 002's delegated agents): offered as you type (→ takes one)."""


def check_cli_agent_form(agent: str, prompt: str, timeout: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not agent.strip():
        errors["agent"] = "Required (e.g. codex, claude, gemini)"
    if not prompt.strip():
        errors["prompt"] = "Required"
    elif len(prompt) > CLI_AGENT_PROMPT_MAX:
        errors["prompt"] = f"At most {CLI_AGENT_PROMPT_MAX:,} characters"
    if timeout.strip():
        try:
            if int(timeout) <= 0:
                raise ValueError
        except ValueError:
            errors["timeout"] = "Seconds, a whole number above 0"
    return errors


class CliAgentScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="cli.close", tooltip="Close (a started run goes on in the background)"),
        Binding("ctrl+s", "start", "Start", id="cli.start", tooltip="Start the CLI-agent run", priority=True),
    ]

    class Started(Message):
        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    class Failed(Message):
        def __init__(self, error: HoodyError) -> None:
            super().__init__()
            self.error = error

    class Progress(Message):
        """A run's progress (``percent`` None: unknown), its final state, or its stream's state."""

        def __init__(self, percent: float | None, text: str, *, final: bool = False, output: str | None = None,
                     stream_state: str | None = None) -> None:
            super().__init__()
            self.percent = percent
            self.text = text
            self.final = final
            self.output = output
            self.stream_state = stream_state

    def __init__(self, service: WorkspaceService, session_id: str, session_title: str) -> None:
        super().__init__(id="cli-screen")
        self.service = service
        self.session_id = session_id
        self.session_title = session_title
        self.job_id: str | None = None
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="cli-body"):
            yield Static(Text(f"CLI agent on “{neutralise(self.session_title)}”", style="bold"), id="cli-title")
            with Vertical(id="cli-form"):
                with Horizontal(classes="form-row"):
                    yield Label("Agent")
                    yield Input(placeholder="codex, claude, gemini, opencode", id="cli-agent",
                                suggester=SuggestFromList(KNOWN_AGENTS, case_sensitive=False))
                    yield Static("", id="cli-agent-error", classes="field-error")
                yield Label("Prompt")
                yield TextArea(id="cli-prompt", soft_wrap=True)
                yield Static("", id="cli-prompt-error", classes="field-error")
                with Horizontal(classes="form-row"):
                    yield Label("Model")
                    yield Input(placeholder="the agent's default", id="cli-model")
                with Horizontal(classes="form-row"):
                    yield Label("Timeout (s)")
                    yield Input(placeholder="no limit", id="cli-timeout", restrict=r"[0-9]*")
                    yield Static("", id="cli-timeout-error", classes="field-error")
                yield Checkbox("Allow git (only if the agent permits it)", id="cli-git")
                yield Button("Start run", id="cli-start", variant="primary")
            with VerticalScroll(id="cli-run"):
                yield Static("", id="cli-status")
                yield Static("", id="cli-output")
            yield Static("ctrl+s start · Esc close", id="cli-keys")

    def on_mount(self) -> None:
        self.query_one("#cli-run").display = False
        self.query_one("#cli-agent", Input).focus()

    def _values(self) -> tuple[str, str, str, str, bool]:
        return (
            self.query_one("#cli-agent", Input).value.strip(),
            self.query_one("#cli-prompt", TextArea).text,
            self.query_one("#cli-model", Input).value.strip(),
            self.query_one("#cli-timeout", Input).value.strip(),
            self.query_one("#cli-git", Checkbox).value,
        )

    def validate(self) -> dict[str, str]:
        agent, prompt, _, timeout, _ = self._values()
        errors = check_cli_agent_form(agent, prompt, timeout)
        self.show_field_errors(errors)
        return errors

    def show_field_errors(self, errors: dict[str, str]) -> None:
        for name in ("agent", "prompt", "timeout"):
            # Field errors may be the server's words: literal text, never markup.
            self.query_one(f"#cli-{name}-error", Static).update(Text(neutralise(errors.get(name, ""))))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cli-start":
            self.action_start()

    def action_start(self) -> None:
        if self.sending or self.job_id:
            return
        if self.validate():
            self.app.bell()
            return
        agent, prompt, model, timeout, git = self._values()
        self.sending = True
        self.query_one("#cli-start", Button).disabled = True
        # Said at once, where the person is looking: the run panel replaces the form only
        # once the server has accepted the run.
        self.query_one("#cli-keys", Static).update(Text("starting the run…"))
        self.run(agent, prompt, model or None, git, int(timeout) * 1000 if timeout else None)

    @work(group="cli-agent", exclusive=True)
    async def run(self, agent: str, prompt: str, model: str | None, git: bool, timeout_ms: int | None) -> None:
        """Start the run, then follow its stream until it completes (ends with the screen)."""
        started = await self.service.start_cli_agent(self.session_id, agent, prompt, model=model, git=git or None,
                                                     timeout_ms=timeout_ms)
        if not started.ok or started.value is None:
            if started.error is not None:
                self.post_message(self.Failed(started.error))
            return
        job_id = started.value.job_id
        self.post_message(self.Started(job_id))
        async for item in self.service.cli_agent_run(self.session_id, job_id):
            if isinstance(item, CliAgentSnapshot):
                job = item.job
                self.post_message(self.Progress(job.percent, job.progress.message if job.progress and job.progress.message
                                                else job.status or ""))
            elif isinstance(item, CliAgentProgress):
                self.post_message(self.Progress(item.percent, item.message or ""))
            elif isinstance(item, CliAgentComplete):
                self.post_message(self.Progress(100.0, item.job.status or "done", final=True, output=item.job.output))
                self.post_message(ActionDone("cli-agent", f"CLI-agent run {job_id}: {item.job.status}"))
            elif isinstance(item, ConnectionState) and item.phase not in ("live", "closed"):
                self.post_message(self.Progress(None, "", stream_state=item.describe()))

    def on_cli_agent_screen_started(self, message: Started) -> None:
        message.stop()
        self.job_id = message.job_id
        self.sending = False
        self.query_one("#cli-form").display = False
        run = self.query_one("#cli-run", VerticalScroll)
        run.display = True
        run.focus()  # not a hidden field: the next key is the panel's (Esc closes)
        self.query_one("#cli-keys", Static).update("Esc closes (the run goes on in the background)")
        self.progress(None, f"queued as job {message.job_id}")

    def on_cli_agent_screen_failed(self, message: Failed) -> None:
        message.stop()
        error = message.error
        self.sending = False
        self.query_one("#cli-start", Button).disabled = False
        self.query_one("#cli-keys", Static).update("ctrl+s start · Esc close")
        if isinstance(error, ApiError) and error.field_errors:
            self.show_field_errors({f.field: f.message for f in error.field_errors})
        self.notify(str(error), severity="error")

    def on_cli_agent_screen_progress(self, message: Progress) -> None:
        message.stop()
        if message.stream_state is not None:
            self.stream_state(message.stream_state)
        elif message.final:
            self.complete(message.text, message.output)
        else:
            self.progress(message.percent, message.text)

    def progress(self, percent: float | None, message: str | None) -> None:
        text = Text()
        text.append(f"job {neutralise(self.job_id or '')}  ", style="bold")
        if percent is not None:
            text.append(progress_bar(percent, 24) + "  ")
        text.append(neutralise(message or ""))
        self.query_one("#cli-status", Static).update(text)

    def complete(self, status: str | None, output: str | None) -> None:
        self.query_one("#cli-status", Static).update(
            Text(neutralise(f"job {self.job_id}: {status or 'done'}"), style="bold")
        )
        self.query_one("#cli-output", Static).update(Text(neutralise(output or "(no output)")))

    def stream_state(self, text: str) -> None:
        self.query_one("#cli-keys", Static).update(Text(neutralise(text)))

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
