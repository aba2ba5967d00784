"""Sessions: every session of the workspace, forks indented under their parent."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from ...api.loops import RecurringLoop
from ...api.sessions import Session
from ...store.changes import Changes
from ...text import fit, shorten
from ..format import STATUS_ICONS, count, money, relative_time
from ..theme import STATUS_COLOR, theme_color
from .base import TableView, session_labels
from .session_actions import SessionActions, offered

__all__ = ["SessionsView"]


class SessionsView(SessionActions, TableView):
    COLUMNS = (
        ("status", "Status", 8),
        ("title", "Title", 30),
        ("agent", "Agent", 9),
        ("model", "Model", 22),
        ("tokens", "Tokens", 7),
        ("cost", "Cost", 7),
        ("active", "Active", 6),
        ("gates", "Gates", 5),
        ("loop", "Loop", 6),
    )
    FLEX = "title"
    DROP_ORDER = ("loop", "tokens", "agent", "active", "model")
    EMPTY_TEXT = "No sessions in this workspace yet."
    _depths: dict[str, int] = {}
    _labels: dict[str, str] = {}
    _placement: dict[str, tuple[str | None, int]] = {}
    ENTER = Binding("enter", "select_cursor", "Open stream", id="sessions.open", tooltip="Watch this session's messages live")
    BINDINGS = [
        Binding("A", "abort", "Abort", id="sessions.abort", tooltip="Stop the agent's current turn (asks first)"),
        Binding("t", "details('todo')", "Todo", id="sessions.todo", tooltip="Show the session's todo list"),
        Binding("d", "details('diff')", "Diff", id="sessions.diff", tooltip="Show the files the session changed"),
        Binding("s", "details('summary')", "Summary", id="sessions.summary", tooltip="Show the session's summary"),
        Binding("l", "details('loop')", "Loop", id="sessions.loop", tooltip="Watch, start or stop the session's loop"),
        Binding("g", "details('cli-agent')", "CLI agent", id="sessions.cli_agent", tooltip="Launch a CLI-agent run on this session"),
    ]

    class Open(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def concerns(self, changes: Changes) -> bool:
        return bool(changes.sessions or changes.sessions_removed or changes.gates or changes.loops or changes.resynced)

    listed = False
    """A listing of the workspace has arrived (until then, an empty list means not connected)."""

    def empty_text(self) -> str:
        if not self.listed:
            return "Not connected yet: nothing listed from the server. The status bar says why."
        return self.EMPTY_TEXT

    def apply_changes(self, changes: Changes) -> None:
        if changes.resynced:
            self.listed = True
        super().apply_changes(changes)

    def title_text(self, shown: int, total: int) -> str:
        suffix = f" (filter: {self.filter_text}, {shown} shown)" if self.filter_text else ""
        return f"Sessions {total}{suffix}"

    def ordered(self) -> list[tuple[Session, int]]:
        """Sessions as a tree: roots newest first, forks under their parent.

        The order is by creation, not activity, so rows stay put while agents work.
        """
        store = self.store
        sessions = store.sessions

        def created(s: Session) -> int:
            return (s.time.created if s.time else None) or 0

        children: dict[str, list[Session]] = {}
        roots = []
        for s in sessions.values():
            if s.parent_id and s.parent_id in sessions and s.parent_id != s.id:
                children.setdefault(s.parent_id, []).append(s)
            else:
                roots.append(s)
        out: list[tuple[Session, int]] = []
        seen: set[str] = set()

        def walk(s: Session, depth: int) -> None:
            if s.id in seen:
                return
            seen.add(s.id)
            out.append((s, depth))
            for child in sorted(children.get(s.id, ()), key=lambda c: (c.time.created if c.time else 0) or 0):
                walk(child, depth + 1)

        for root in sorted(roots, key=lambda s: (-created(s), s.id)):
            walk(root, 0)
        return out

    LAZY = True

    def changed_keys(self, changes: Changes) -> set[str] | None:
        if changes.resynced or changes.gates:
            return None  # gate counts: cheap to recheck the painted rows
        return changes.sessions | changes.loops

    def order_may_change(self, changes: Changes) -> bool:
        # Rows are ordered by creation and parent: only a new, removed, re-parented or
        # re-dated session moves them; a status, a message or a title never does.
        if changes.resynced or changes.sessions_removed:
            return True
        index, sessions = self._index, self.store.sessions
        for sid in changes.sessions:
            if sid not in index:
                return True
            session = sessions.get(sid)
            if session is None or _placement(session) != self._placement.get(sid):
                return True
        return False

    def row_order(self) -> list[tuple[str, str]]:
        store = self.store
        depths = self._depths = {}
        placement = self._placement = {}
        self._labels = session_labels(store)
        order: list[tuple[str, str]] = []
        for session, depth in self.ordered():
            sid = session.id
            depths[sid] = depth
            placement[sid] = _placement(session)
            stats = store.stats.get(sid)
            status = store.status(sid).type
            agent = store.agent_of(sid) or ""
            model = (stats.model if stats else None) or (session.model.label() if session.model else "")
            order.append((sid, f"{session.title or sid} {sid} {status} {agent} {model}".lower()))
        return order

    def row_cells(self, key: str) -> tuple[Any, ...]:
        store = self.store
        app = self.app
        session = store.sessions.get(key)
        if session is None:
            return ("",) * len(self.COLUMNS)
        sid = session.id
        depth = self._depths.get(sid, 0)
        status = store.status(sid).type
        if sid in store.last_errors and status == "idle":
            status = "error"
        icon = STATUS_ICONS.get(status, "?")
        status_cell = Text(f"{icon} {status}", style=theme_color(app, STATUS_COLOR.get(status, "foreground")))
        title = self._labels.get(sid) or session.title or sid
        prefix = "  " * (depth - 1) + "└ " if depth else ""
        title_cell = Text(prefix + fit(title, (self.column_width("title") or 60) - len(prefix)))
        stats = store.stats.get(sid)
        gates = store.gate_count(sid)
        gates_cell = Text(f"⚑ {gates}", style=f"bold {theme_color(app, 'warning')}") if gates else Text("")
        loop = store.loops.get(sid)
        last = max((stats.last_activity or 0) if stats else 0, session.updated_ms or 0) or None
        # The session's own totals when the server keeps them (they count every message,
        # also those from before we connected); else what the messages seen add up to.
        agent = store.agent_of(sid) or ""
        model = (stats.model if stats else None) or (session.model.label() if session.model else "")
        tokens = session.tokens.total if session.tokens else (stats.tokens if stats else None)
        cost = session.cost if session.cost is not None else (stats.cost if stats else None)
        return (
            status_cell,
            title_cell,
            shorten(agent, 9),
            shorten(model, 22),
            count(tokens) if tokens is not None else "-",
            money(cost) if cost is not None else "-",
            relative_time(last, self.clock()),
            gates_cell,
            loop.progress_label if loop else _recurring_label(store.recurring.get(sid)),
        )

    def on_data_table_row_selected(self, event) -> None:
        """Enter on the table (DataTable's own binding) opens the stream."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        key = self.selected_key
        if key:
            self.post_message(self.Open(key))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # What the server cannot do is not offered (no dead keys in the footer).
        if action == "abort":
            return offered("abort", self.service.capabilities)
        if action == "details" and parameters:
            return offered(str(parameters[0]), self.service.capabilities)
        return True

    def action_abort(self) -> None:
        key = self.selected_key
        if key:
            self.session_action("abort", key)

    def action_details(self, kind: str) -> None:
        key = self.selected_key
        if key:
            self.session_action(kind, key)


def _placement(session: Session) -> tuple[str | None, int]:
    """What a session's place in the list depends on: its parent and when it was created."""
    return session.parent_id, (session.time.created if session.time else None) or 0


def _recurring_label(loops: dict[str, RecurringLoop] | None) -> str:
    """A gateway session's recurring loops in the Loop column: how many run, how many paused."""
    if not loops:
        return ""
    active = sum(1 for loop in loops.values() if loop.state == "active")
    paused = sum(1 for loop in loops.values() if loop.state == "paused")
    text = f"⟳ {active}" if active else ""
    if paused:
        text += f"{' ' if text else ''}‖ {paused}"
    return text or f"{len(loops)} ended"
