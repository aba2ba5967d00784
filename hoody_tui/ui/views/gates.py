"""Gates: every pending permission request and question of the workspace, oldest first."""

from __future__ import annotations

from rich.text import Text

from ...store.changes import Changes
from ...text import shorten
from ..theme import theme_color
from .base import Row, TableView

__all__ = ["GatesView"]


class GatesView(TableView):
    COLUMNS = (
        ("kind", "Kind", 10),
        ("session", "Session", 22),
        ("agent", "Agent", 9),
        ("what", "Tool", 10),
        ("detail", "Command / patterns", 44),
    )
    FLEX = "detail"
    DROP_ORDER = ("agent",)
    EMPTY_TEXT = "No agent is waiting for you."

    session_filter: str | None = None

    def concerns(self, changes: Changes) -> bool:
        return bool(changes.gates or changes.sessions or changes.sessions_removed or changes.resynced)

    def title_text(self, shown: int, total: int) -> str:
        parts = [f"Gates {total} pending"]
        if self.session_filter:
            session = self.store.sessions.get(self.session_filter)
            parts.append(f"session: {shorten((session.title if session else None) or self.session_filter, 30)} (Esc clears)")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}, {shown} shown")
        return " · ".join(parts)

    def rows(self) -> list[Row]:
        store = self.store
        app = self.app
        rows: list[Row] = []
        for request in store.permissions.values():
            if self.session_filter and request.session_id != self.session_filter:
                continue
            session = store.sessions.get(request.session_id or "")
            stats = store.stats.get(request.session_id or "")
            detail = request.command or request.filepath or ", ".join(request.patterns) or ""
            title = (session.title if session else None) or request.session_id or ""
            cells = (
                Text("permission", style=theme_color(app, "warning")),
                shorten(title, 22),
                shorten((stats.agent if stats else None) or "", 9),
                shorten(request.permission or "", 10),
                shorten(detail, 80),
            )
            rows.append((request.id, cells, f"permission {title} {request.permission} {detail}".lower()))
        for question in store.questions.values():
            if self.session_filter and question.session_id != self.session_filter:
                continue
            session = store.sessions.get(question.session_id or "")
            stats = store.stats.get(question.session_id or "")
            title = (session.title if session else None) or question.session_id or ""
            cells = (
                Text("question", style=theme_color(app, "accent")),
                shorten(title, 22),
                shorten((stats.agent if stats else None) or "", 9),
                "",
                shorten(question.text, 80),
            )
            rows.append((question.id, cells, f"question {title} {question.text}".lower()))
        return rows
