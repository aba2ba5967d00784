"""Jobs: every background job the workspace knows of, with its progress."""

from __future__ import annotations

from rich.text import Text

from ...store.changes import Changes
from ...text import shorten
from ..format import STATUS_ICONS, duration, progress_bar, relative_time
from ..theme import STATUS_COLOR, theme_color
from .base import Row, TableView

__all__ = ["JobsView"]

_ORDER = {"running": 0, "queued": 1, "failed": 2, "expired": 3, "cancelled": 4, "completed": 5}


class JobsView(TableView):
    COLUMNS = (
        ("status", "Status", 11),
        ("tool", "Tool", 10),
        ("session", "Session", 20),
        ("progress", "Progress", 15),
        ("message", "Message", 24),
        ("created", "Age", 5),
        ("duration", "Took", 7),
        ("retries", "Retry", 5),
        ("id", "Job", 14),
    )
    FLEX = "message"
    DROP_ORDER = ("id", "retries", "created", "duration", "tool")
    EMPTY_TEXT = "No jobs yet."

    def concerns(self, changes: Changes) -> bool:
        return bool(changes.jobs or changes.sessions_removed or changes.resynced)

    def title_text(self, shown: int, total: int) -> str:
        active = self.store.active_jobs()
        suffix = f" (filter: {self.filter_text}, {shown} shown)" if self.filter_text else ""
        return f"Jobs {total}, {active} active{suffix}"

    def rows(self) -> list[Row]:
        store = self.store
        app = self.app
        now = self.clock()
        jobs = sorted(
            store.jobs.values(),
            key=lambda j: (_ORDER.get(j.status or "", 9), -((j.time.created if j.time else 0) or 0), j.id),
        )
        rows: list[Row] = []
        for job in jobs:
            status = job.status or "?"
            session = store.sessions.get(job.session_id or "")
            session_title = (session.title if session else None) or job.session_id or ""
            indent = "└ " if job.parent_job_id else ""
            took = None
            if job.time and job.time.started:
                end = job.time.completed or int(now * 1000)
                took = max(0, end - job.time.started)
            retries = f"{job.retries.count or 0}/{job.retries.max}" if job.retries and job.retries.max else ""
            cells = (
                Text(f"{STATUS_ICONS.get(status, '?')} {status}", style=theme_color(app, STATUS_COLOR.get(status, "foreground"))),
                shorten(indent + (job.tool or ""), 10),
                shorten(session_title, 20),
                progress_bar(job.percent, 10) if not job.is_terminal or job.percent is not None else "",
                shorten((job.progress.message if job.progress else None) or job.error or "", 60),
                relative_time(job.time.created if job.time else None, now),
                duration(took),
                retries,
                shorten(job.id, 14),
            )
            search = f"{job.id} {job.tool or ''} {status} {session_title}".lower()
            rows.append((job.id, cells, search))
        return rows
