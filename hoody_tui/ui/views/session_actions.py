"""What a person can do to one session, from the sessions list or its stream.

Both views mix this in: each key asks the workspace service in a worker of the view's
own, and the outcome comes back as a Message (never a call into another widget).
Actions the server cannot do (its backend's capabilities) are not offered at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message

from ...api.sessions import FileDiff, SessionSummary, Todo
from ...core.backend import Capabilities
from ...core.service import ActionResult, WorkspaceService
from ...text import neutralise
from ..messages import ActionDone, ActionFailed
from ..screens.confirm import ConfirmScreen
from ..screens.details import DetailsScreen
from .base import WidgetMixin

__all__ = ["SessionActions", "SESSION_ACTIONS", "offered"]

SESSION_ACTIONS = ("abort", "todo", "diff", "summary", "loop", "cli-agent", "earlier")


def offered(action: str, capabilities: Capabilities) -> bool:
    """Whether the server can do ``action`` at all (else its key is not offered)."""
    return {
        "abort": capabilities.abort,
        "todo": capabilities.todo,
        "diff": capabilities.diff,
        "summary": capabilities.summary,
        "loop": capabilities.loops != "none",
        "cli-agent": capabilities.cli_agent,
        "earlier": capabilities.message_history,
    }.get(action, True)


class SessionActions(WidgetMixin):
    """A mixin for a view: :meth:`session_action` carries one out on the session's own
    service (the source it belongs to)."""

    class DetailsReady(Message):
        def __init__(self, title: str, body: Text) -> None:
            super().__init__()
            self.title = title
            self.body = body

    def session_action(self, action: str, service: WorkspaceService, session_id: str) -> None:
        title = service.session_title(session_id)
        if not offered(action, service.capabilities):
            where = f" ({service.source})" if service.source else ""
            self.notify(f"This server{where} has no {action.replace('-', ' ')}.", severity="warning")
        elif action == "earlier":
            self.load_earlier(service, session_id)
        elif action == "loop" and service.capabilities.loops == "recurring":
            from ..screens.recurring import RecurringLoopsScreen

            self.app.push_screen(RecurringLoopsScreen(service, session_id))
        elif action == "loop":
            from ..screens.loop import LoopScreen

            self.app.push_screen(LoopScreen(service, session_id))
        elif action == "cli-agent":
            from ..screens.cli_agent import CliAgentScreen

            self.app.push_screen(CliAgentScreen(service, session_id, title))
        elif action == "abort":
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.abort_session(service, session_id)

            self.app.push_screen(ConfirmScreen(f"Abort the current turn of “{title}”?"), confirmed)
        else:
            self.load_details(action, service, session_id, title)

    @work(group="session-action")
    async def abort_session(self, service: WorkspaceService, session_id: str) -> None:
        result = await service.abort(session_id)
        self.post_message(ActionDone("abort", result.text) if result.ok else ActionFailed("abort", result.text))

    @work(group="load-messages", exclusive=True)
    async def load_earlier(self, service: WorkspaceService, session_id: str) -> None:
        result = await service.load_earlier(session_id)
        if not result.ok:
            self.post_message(ActionFailed("earlier", result.text))
        elif result.text:
            self.post_message(ActionDone("earlier", result.text))

    @work(group="session-details", exclusive=True)
    async def load_details(self, kind: str, service: WorkspaceService, session_id: str, title: str) -> None:
        result: ActionResult[Any]
        if kind == "todo":
            result = await service.todo(session_id)
        elif kind == "diff":
            result = await service.diff(session_id)
        else:
            result = await service.summary(session_id)
        if not result.ok or result.value is None:
            self.post_message(ActionFailed(kind, result.text))
            return
        body = _FORMATS.get(kind, _summary_text)(result.value)
        self.post_message(self.DetailsReady(f"{kind.capitalize()} of “{title}”", body))

    def on_session_actions_details_ready(self, message: DetailsReady) -> None:
        message.stop()
        self.app.push_screen(DetailsScreen(message.title, message.body))


def _todo_text(todos: list[Todo]) -> Text:
    body = Text()
    for todo in todos:
        mark = {"completed": "✓", "in_progress": "▶", "cancelled": "⊘"}.get(todo.status or "", "○")
        body.append(f"{mark} {neutralise(todo.content or '')}")
        if todo.priority:
            body.append(f"  ({todo.priority})", style="dim")
        body.append("\n")
    return body if todos else Text("No todo items.")


def _diff_text(files: list[FileDiff]) -> Text:
    body = Text()
    for diff in files:
        body.append(neutralise(diff.file or "?"), style="bold")
        body.append(f"  +{diff.additions or 0} -{diff.deletions or 0}\n")
    return body if files else Text("No changes.")


def _summary_text(summary: SessionSummary) -> Text:
    body = Text()
    for key, value in summary.to_json_dict().items():
        body.append(f"{key}: ", style="bold")
        body.append(neutralise(str(value)) + "\n")
    return body


_FORMATS: dict[str, Callable[[Any], Text]] = {"todo": _todo_text, "diff": _diff_text, "summary": _summary_text}
