"""One job: every field, its input, its output live while it runs, and the full output."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ...api.jobs import Job
from ...core.service import WorkspaceService
from ...store.changes import Changes
from ...text import neutralise
from ..format import duration, progress_bar
from ..messages import ActionFailed
from ..views.job_actions import JobActions
from ..widgets.flash import FlashLine
from ..widgets.footer import KeysFooter

__all__ = ["JobDetailScreen", "OUTPUT_SHOWN"]

OUTPUT_SHOWN = 50_000


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


class JobDetailScreen(JobActions, Screen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="job.back", tooltip="Back to the jobs list"),
        Binding("F", "full_output", "Full output", id="job.full", tooltip="Fetch the complete, uncut output from the server"),
        Binding("v", "read_all", "Read all", id="job.read_all",
                tooltip="Read the complete output page by page (fetched from the server first)", show=False),
        Binding("c", "act('cancel')", "Cancel", id="job.cancel", tooltip="Cancel this job (asks first)"),
        Binding("r", "act('retry')", "Retry", id="job.retry", tooltip="Run it again as a new job"),
    ]

    class OutputFetched(Message):
        def __init__(self, output: str) -> None:
            super().__init__()
            self.output = output

    def __init__(self, service: WorkspaceService, job_id: str) -> None:
        super().__init__(id="job-detail-screen")
        self.service = service
        self.store = service.store
        self.job_id = job_id
        self.full_output: str | None = None
        self._read_when_fetched = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="job-detail"):
            yield Static("", id="job-fields")
            yield Static("", id="job-input")
            yield Static("", id="job-output")
        yield FlashLine()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.refresh_job()

    def apply_changes(self, changes: Changes) -> None:
        """The app shows this screen what the store changed."""
        if self.job_id in changes.jobs:
            self.refresh_job()

    @property
    def job(self) -> Job | None:
        return self.store.jobs.get(self.job_id)

    def refresh_job(self) -> None:
        job = self.job
        if job is None:
            self.query_one("#job-fields", Static).update(Text(f"Job {neutralise(self.job_id)} is no longer known."))
            return
        fields = Text()

        def row(name: str, value: Any) -> None:
            fields.append(f"{name:<14}", style="bold")
            fields.append(neutralise(str(value)) + "\n")

        row("job", job.id)
        row("status", job.status)
        row("tool", job.tool or "-")
        row("session", job.session_id or "-")
        if job.percent is not None or (job.progress and job.progress.message):
            row("progress", f"{progress_bar(job.percent, 20)} {job.progress.message if job.progress and job.progress.message else ''}")
        if job.error:
            row("error", job.error)
        t = job.time
        row("created", _when(t.created if t else None))
        row("started", _when(t.started if t else None))
        row("completed", _when(t.completed if t else None))
        if t and t.started:
            row("took", duration((t.completed or 0) - t.started) if t.completed else "running")
        row("timeout", duration(job.timeout) if job.timeout else "-")
        row("wake policy", job.wake_policy or "-")
        row("durability", job.durability or "-")
        row("retries", f"{job.retries.count or 0} of {job.retries.max}" if job.retries else "-")
        row("result used", {True: "yes", False: "not yet", None: "-"}[job.completion_processed])
        if job.group_id:
            row("group", job.group_id)
        if job.parent_job_id:
            row("parent", job.parent_job_id)
        if job.child_job_ids:
            row("children", f"{len(job.finished_child_job_ids)} of {job.total_children or len(job.child_job_ids)} done: "
                + ", ".join(job.child_job_ids))
        if job.message_id or job.call_id:
            row("tool call", f"{job.call_id or '-'} in message {job.message_id or '-'}")
        for attachment in job.attachments:
            row("attachment", f"{attachment.get('mime', '?')}  {attachment.get('url', '')}")
        self.query_one("#job-fields", Static).update(fields)
        self.query_one("#job-input", Static).update(self._input_text(job))
        self.query_one("#job-output", Static).update(self._output_text(job))

    @staticmethod
    def _input_text(job: Job) -> Text:
        text = Text("\ninput\n", style="bold")
        try:
            text.append(neutralise(json.dumps(job.input, indent=2, ensure_ascii=False)) + "\n", style="")
        except (TypeError, ValueError):
            text.append(neutralise(str(job.input)) + "\n", style="")
        return text

    def _output_text(self, job: Job) -> Text:
        output = self.full_output if self.full_output is not None else (job.full_output or job.output or "")
        label = "output (full)" if self.full_output is not None else "output" + (" (live)" if not job.is_terminal else "")
        text = Text(f"\n{label}\n", style="bold")
        if len(output) > OUTPUT_SHOWN:
            text.append(f"… {len(output) - OUTPUT_SHOWN:,} earlier characters not shown: v reads all of it\n",
                        style="italic")
            output = output[-OUTPUT_SHOWN:]
        text.append(neutralise(output) or "(none yet)", style="")
        if self.full_output is None:
            text.append("\n\nF fetches the complete output from the server.", style="dim")
        return text

    def on_job_detail_screen_output_fetched(self, message: OutputFetched) -> None:
        message.stop()
        self.full_output = message.output
        self.refresh_job()
        if self._read_when_fetched:
            self._read_when_fetched = False
            self.action_read_all()

    def action_read_all(self) -> None:
        """The whole output, page by page (fetched first: ``Job.output`` may be cut)."""
        if self.full_output is None:
            self._read_when_fetched = True
            self.action_full_output()
            return
        from .full_output import FullOutputScreen

        self.app.push_screen(FullOutputScreen(f"Output of job {self.job_id}", self.full_output))

    def action_full_output(self) -> None:
        self.fetch_output()

    @work(group="job-output", exclusive=True)
    async def fetch_output(self) -> None:
        result = await self.service.job_output(self.job_id)
        if result.ok and result.value is not None:
            self.post_message(self.OutputFetched(result.value))
        else:
            self._read_when_fetched = False
            self.post_message(ActionFailed("job-output", result.text))

    def action_act(self, action: str) -> None:
        job = self.job
        if job is None:
            return
        if action == "cancel":
            if job.is_terminal:
                self.notify(f"This job already ended ({job.status}).")
                return
        else:
            from ..views.jobs import retry_refusal

            reason = retry_refusal(job)
            if reason:
                self.notify(f"Cannot retry: {reason}.", severity="warning")
                return
        self.job_action(action, [(self.service, job)])

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
