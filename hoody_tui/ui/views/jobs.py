"""Jobs: the background jobs of every source, live, with filter, sort, tree, paging and
actions (each on the job's own source; a Source column when there are several).

Unscoped, the view shows every job the store knows (from events and resyncs). Scoped
to a session (``3`` from its stream), it also pages that session's full history from
the server with the ``status`` filter, loading more as the cursor nears the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ...api.jobs import JOB_RETRYABLE, Job
from ...core.inbox import Inbox, Source
from ...core.service import WorkspaceService
from ...store.changes import Changes
from ...text import fit, shorten
from ..format import STATUS_ICONS, duration, progress_bar, relative_time
from ..messages import ActionFailed
from ..theme import STATUS_COLOR, theme_color
from .base import TableView, dimmed, stale_style, view_binding
from .job_actions import JobActions

__all__ = ["JobsView", "retry_refusal"]

_ORDER = {"running": 0, "queued": 1, "failed": 2, "expired": 3, "cancelled": 4, "completed": 5}
FILTERS = ("all", "active", "completed")
SORTS = ("created", "status", "tool")


def retry_refusal(job: Job) -> str | None:
    """Why a job cannot be retried, or ``None`` when it can."""
    if job.parent_job_id:
        return "it is a child job: retry its parent instead"
    if job.status not in JOB_RETRYABLE:
        return f"only failed, expired or cancelled jobs can be retried (this one is {job.status})"
    return None


def _b(key: str, action: str, description: str, tooltip: str, show: bool = True) -> Binding:
    return view_binding("jobs", key, action, description, tooltip, show=show)


class JobsView(JobActions, TableView):
    COLUMNS: tuple[tuple[str, str, int | None], ...] = (
        ("mark", "", 1),
        ("status", "Status", 11),
        ("tool", "Tool", 12),
        ("session", "Session", 18),
        ("progress", "Progress", 15),
        ("message", "Message", 24),
        ("created", "Age", 5),
        ("duration", "Took", 7),
        ("retries", "Retry", 5),
        ("group", "Group", 10),
        ("id", "Job", 14),
    )
    FLEX = "message"
    SHARE = {"session": 0.3}
    DROP_ORDER = ("group", "id", "retries", "created", "duration", "tool", "source")
    EMPTY_TEXT = "No jobs match."
    ENTER = Binding("enter", "select_cursor", "Details", id="jobs.details", tooltip="Input, live output and every field of the job")
    BINDINGS = [
        _b("c", "cancel", "Cancel", "Cancel this job (asks first)"),
        _b("space", "mark", "Mark", "Mark or unmark for a bulk cancel"),
        _b("C", "cancel_marked", "Cancel marked", "Cancel every marked job at once (asks first)"),
        _b("r", "retry", "Retry", "Run a failed, expired or cancelled job again as a new job"),
        _b("i", "inject", "Inject", "Put finished jobs' results into the session's context"),
        _b("f", "cycle_filter", "Status", "Show all, active or completed jobs"),
        _b("o", "cycle_sort", "Sort", "Sort by created, status or tool"),
        _b("L", "load_more", "More", "Load the next page of this session's jobs", show=False),
    ]

    class PageLoaded(Message):
        """A page of the scoped session's jobs is in the store; ``next_cursor`` None: the last."""

        def __init__(self, session_id: str, next_cursor: str | None, error: str | None = None) -> None:
            super().__init__()
            self.session_id = session_id
            """The session's row key."""
            self.next_cursor = next_cursor
            self.error = error

    class OpenJob(Message):
        """Enter on a job: the app opens its detail screen."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id
            """The job's row key."""

    def __init__(self, inbox: Inbox, *, clock, **kwargs: Any) -> None:
        super().__init__(inbox, clock=clock, **kwargs)
        if inbox.several:
            status = [c[0] for c in self.COLUMNS].index("status")
            self.COLUMNS = (*self.COLUMNS[:status + 1], ("source", "Source", 8), *self.COLUMNS[status + 1:])
        self.status_filter = "all"
        self.sort = "created"
        self.marked: set[str] = set()
        """Row keys of the jobs marked for a bulk cancel."""
        self.scope_session: str | None = None
        """The row key of the session whose jobs alone are shown (from a stream's 3)."""
        # Scoped paging: the next cursor of the session's listing ("" = not loaded yet,
        # None = no more pages), and whether a page is on its way.
        self.next_cursor: str | None = ""
        self.loading = False

    # --- scope and paging ----------------------------------------------------------------

    def set_scope(self, session_id: str | None) -> None:
        if session_id != self.scope_session:
            self.scope_session = session_id
            self.next_cursor = ""
            self.loading = False
            self.marked.clear()
        if session_id and self.next_cursor == "" and not self.loading:
            self._request_page()

    def _request_page(self) -> None:
        if self.scope_session and not self.loading and self.next_cursor is not None:
            self.loading = True
            self.load_page(self.scope_session, self.status_filter, self.next_cursor or None)

    @work(group="jobs-page", exclusive=True)
    async def load_page(self, session_key: str, status: str, cursor: str | None) -> None:
        source, session_id = self.inbox.split(session_key)
        result = await source.service.jobs_page(session_id, status, cursor)  # type: ignore[arg-type]
        self.post_message(self.PageLoaded(session_key, result.value, None if result.ok else result.text))

    def on_jobs_view_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        if message.session_id != self.scope_session:
            return  # the scope changed meanwhile
        self.loading = False
        self.next_cursor = None if message.error else message.next_cursor
        if message.error:
            self.post_message(ActionFailed("jobs", message.error))
        self.refresh_rows(None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.refresh_bindings()
        self._set_line(".view-hint", self.hint_text())
        if self.scope_session and event.cursor_row >= len(self._keys) - 5:
            self._request_page()

    def hint_text(self) -> str:
        job = self._selected_job() if self.is_mounted else None
        if job is None:
            return ""
        reason = retry_refusal(job)
        return f"r retry: unavailable, {reason}" if reason and job.status != "running" else ""

    # --- rows ----------------------------------------------------------------------------

    def concerns(self, source: Source, changes: Changes) -> bool:
        return bool(changes.jobs or changes.sessions_removed or changes.resynced)

    def title_text(self, shown: int, total: int) -> str:
        parts = [f"Jobs {shown}" + (f" of {total}" if shown != total else "")]
        parts.append(f"{self.inbox.active_jobs()} active")
        parts.append(f"showing {self.status_filter}, by {self.sort}")
        if self.scope_session:
            source, session_id = self.inbox.split(self.scope_session)
            session = source.store.sessions.get(session_id)
            more = " · loading…" if self.loading else (" · more below" if self.next_cursor else "")
            parts.append(f"session: {shorten((session.title if session else None) or session_id, 30)}{more} (Esc: all)")
        else:
            parts.append("active and recent; 3 from a stream pages a session's whole history")
        if self.marked:
            parts.append(f"{len(self.marked)} marked (C cancels them)")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        return " · ".join(parts)

    def _visible_jobs(self) -> list[tuple[Source, Job]]:
        inbox = self.inbox
        if self.scope_session:
            scope, scope_id = inbox.split(self.scope_session)
            jobs = [(scope, j) for j in scope.store.jobs.values() if j.session_id == scope_id]
        else:
            jobs = [(source, j) for source in inbox for j in source.store.jobs.values()]
        if self.status_filter == "active":
            jobs = [(s, j) for s, j in jobs if not j.is_terminal]
        elif self.status_filter == "completed":
            jobs = [(s, j) for s, j in jobs if j.is_terminal]

        def created(job: Job) -> int:
            return (job.time.created if job.time else 0) or 0

        key: Callable[[tuple[Source, Job]], tuple[Any, ...]]
        if self.sort == "status":
            key = lambda sj: (_ORDER.get(sj[1].status or "", 9), -created(sj[1]), sj[0].index, sj[1].id)  # noqa: E731
        elif self.sort == "tool":
            key = lambda sj: (sj[1].tool or "", -created(sj[1]), sj[0].index, sj[1].id)  # noqa: E731
        else:
            key = lambda sj: (-created(sj[1]), sj[0].index, sj[1].id)  # noqa: E731
        jobs.sort(key=key)
        # Children go right under their parent when the parent is listed.
        listed = {(s.index, j.id) for s, j in jobs}
        roots = [(s, j) for s, j in jobs if not (j.parent_job_id and (s.index, j.parent_job_id) in listed)]
        children: dict[tuple[int, str], list[tuple[Source, Job]]] = {}
        for s, j in jobs:
            if j.parent_job_id and (s.index, j.parent_job_id) in listed:
                children.setdefault((s.index, j.parent_job_id), []).append((s, j))
        out: list[tuple[Source, Job]] = []

        def walk(item: tuple[Source, Job]) -> None:
            out.append(item)
            for child in children.get((item[0].index, item[1].id), ()):
                walk(child)

        for root in roots:
            walk(root)
        return out

    LAZY = True

    def changed_keys(self, source: Source, changes: Changes) -> set[str] | None:
        if changes.resynced or changes.sessions_removed:
            return None
        return {self.inbox.key(source, job_id) for job_id in changes.jobs}

    def row_order(self) -> list[tuple[str, str]]:
        order: list[tuple[str, str]] = []
        for source, job in self._visible_jobs():
            session = source.store.sessions.get(job.session_id or "")
            session_title = (session.title if session else None) or job.session_id or ""
            where = f" {source.name}" if self.inbox.several else ""
            search = f"{job.id} {job.tool or ''} {job.status or '?'} {session_title} {job.group_id or ''}{where}".lower()
            order.append((self.inbox.key(source, job.id), search))
        return order

    def row_cells(self, key: str) -> tuple[Any, ...]:
        source, job_id = self.inbox.split(key)
        store = source.store
        app = self.app
        job = store.jobs.get(job_id)
        if job is None:
            return ("",) * len(self.COLUMNS)
        now = self.clock()
        status = job.status or "?"
        session = store.sessions.get(job.session_id or "")
        session_title = (session.title if session else None) or job.session_id or ""
        indent = "└ " if job.parent_job_id else ""
        took = None
        if job.time and job.time.started:
            end = job.time.completed or int(now * 1000)
            took = max(0, end - job.time.started)
        retries = f"{job.retries.count or 0}/{job.retries.max}" if job.retries and job.retries.max else ""
        message = (job.progress.message if job.progress else None) or job.error or ""
        if job.total_children:
            message = f"{len(job.finished_child_job_ids)}/{job.total_children} children done · {message}".rstrip(" ·")
        cells = (
            Text("●", style=f"bold {theme_color(app, 'accent')}") if key in self.marked else Text(""),
            Text(f"{STATUS_ICONS.get(status, '?')} {status}", style=theme_color(app, STATUS_COLOR.get(status, "foreground"))),
            *((shorten(source.label, 8),) if self.inbox.several else ()),
            shorten(indent + (job.tool or ""), 12),
            fit(session_title, self.column_width("session") or 40),
            progress_bar(job.percent, 10) if job.percent is not None else "",
            shorten(message, 80),
            relative_time(job.time.created if job.time else None, now),
            duration(took),
            retries,
            shorten(job.group_id or "", 10),
            shorten(job.id, 14),
        )
        return dimmed(cells, stale_style(self.inbox, source))

    # --- actions -------------------------------------------------------------------------

    def _selected(self) -> tuple[Source, Job] | None:
        key = self.selected_key
        if not key:
            return None
        source, job_id = self.inbox.split(key)
        job = source.store.jobs.get(job_id)
        return (source, job) if job is not None else None

    def _selected_job(self) -> Job | None:
        selected = self._selected()
        return selected[1] if selected else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self.selected_key
        if key and self._selected():
            self.post_message(self.OpenJob(key))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry" and self.is_mounted:
            job = self._selected_job()
            return None if job is None or retry_refusal(job) else True
        if action == "cancel_marked" and self.is_mounted:
            return True if self.marked else None
        return True

    def action_cancel(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        source, job = selected
        if job.is_terminal:
            self.notify(f"This job already ended ({job.status}); nothing to cancel.")
            return
        self.job_action("cancel", [(source.service, job)])

    def action_mark(self) -> None:
        key = self.selected_key
        job = self._selected_job()
        if job is None or key is None:
            return
        if job.is_terminal and key not in self.marked:
            self.notify(f"This job already ended ({job.status}): only running or queued jobs can be marked to cancel.")
            return
        self.marked.symmetric_difference_update({key})
        self.refresh_rows(None)

    def action_cancel_marked(self) -> None:
        if not self.marked:
            self.notify("Mark jobs with space first.")
            return
        # Every marked job goes to the server, even one we have heard has ended meanwhile:
        # the server says which it could not cancel, and why.
        jobs: list[tuple[WorkspaceService, Job]] = []
        for key in self.marked:
            source, job_id = self.inbox.split(key)
            job = source.store.jobs.get(job_id)
            if job is not None:
                jobs.append((source.service, job))
        if jobs:
            self.job_action("cancel", jobs)
        self.marked.clear()
        self.refresh_rows(None)

    def action_retry(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        source, job = selected
        reason = retry_refusal(job)
        if reason:
            self.notify(f"Cannot retry: {reason}.", severity="warning")
            return
        self.job_action("retry", [(source.service, job)])

    def action_inject(self) -> None:
        selected = self._selected()
        if self.scope_session:
            source, session_id = self.inbox.split(self.scope_session)
        elif selected is not None and selected[1].session_id:
            source, session_id = selected[0], selected[1].session_id
        else:
            return
        job = selected[1] if selected and selected[0] is source else None
        chosen = [(source.service, job)] if job and job.is_terminal and job.session_id == session_id else []
        self.job_action("inject", chosen, session=(source.service, session_id))

    def action_cycle_filter(self) -> None:
        self.status_filter = FILTERS[(FILTERS.index(self.status_filter) + 1) % len(FILTERS)]
        if self.scope_session:
            self.next_cursor = ""
            self._request_page()
        self.refresh_rows(None)

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.refresh_rows(None)

    def action_load_more(self) -> None:
        self._request_page()
