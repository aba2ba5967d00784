"""Cancel, bulk-cancel, retry and inject jobs: from the jobs list or one job's detail.

Both mix this in: what destroys work asks first (naming the job's tool, its command
and its session), the workspace service carries the action out in a worker of the
widget's own, and the outcome comes back as a Message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from textual import work

from ...api.jobs import Job
from ...core.service import ActionResult, WorkspaceService
from ...text import shorten
from ..messages import ActionDone, ActionFailed
from ..screens.confirm import ConfirmScreen
from .base import WidgetMixin

__all__ = ["JobActions", "describe_job"]


def describe_job(job: Job, service: WorkspaceService) -> str:
    """``bash: npm test`` (job_…) in “Fix the login bug”: what a confirmation names."""
    what = job.tool or "job"
    command = None
    if isinstance(job.input, dict):
        command = job.input.get("command") or job.input.get("prompt") or job.input.get("url")
    elif job.input is not None:
        command = json.dumps(job.input, ensure_ascii=False) if not isinstance(job.input, str) else job.input
    text = f"{what}: {shorten(str(command), 60)}" if command else what
    session = f" in “{service.session_title(job.session_id, 40)}”" if job.session_id else ""
    return f"{text} ({job.id}){session}"


class JobActions(WidgetMixin):
    """A mixin for a widget or screen: each job goes to its own source's service."""

    def job_action(self, action: str, jobs: Sequence[tuple[WorkspaceService, Job]], *,
                   session: tuple[WorkspaceService, str] | None = None) -> None:
        """Carry out ``action`` on ``jobs`` (each with its source's service), asking first
        when it destroys work. Jobs of several sessions go to their server one session at
        a time (its routes are per session)."""
        groups: dict[tuple[WorkspaceService, str], list[str]] = {}
        for service, job in jobs:
            if job.session_id:
                groups.setdefault((service, job.session_id), []).append(job.id)
        if session and not jobs:
            groups[session] = []
        if not groups:
            self.notify("This job has no session, so the server has no route to act on it.", severity="warning")
            return
        if action != "cancel":
            for (service, session_id), ids in groups.items():
                self.run_job_action(action, service, session_id, ids)
            return
        if len(jobs) == 1:
            question = f"Cancel {describe_job(jobs[0][1], jobs[0][0])}?"
        else:
            names = "\n".join(f"  {describe_job(job, service)}" for service, job in jobs[:8])
            more = f"\n  … and {len(jobs) - 8} more" if len(jobs) > 8 else ""
            question = f"Cancel these {len(jobs)} jobs?\n{names}{more}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                for (service, session_id), ids in groups.items():
                    self.run_job_action(action, service, session_id, ids)

        self.app.push_screen(ConfirmScreen(question), confirmed)

    @work(group="job-action")
    async def run_job_action(self, action: str, service: WorkspaceService, session_id: str, ids: list[str]) -> None:
        result: ActionResult[None]
        if action == "cancel" and len(ids) == 1:
            result = await service.cancel_job(session_id, ids[0])
        elif action == "cancel":
            result = await service.cancel_jobs(session_id, ids)
        elif action == "retry":
            result = await service.retry_job(session_id, ids[0])
        elif action == "inject":
            result = await service.inject_jobs(session_id, ids or None)
        else:
            return
        self.post_message(ActionDone(action, result.text) if result.ok else ActionFailed(action, result.text))
