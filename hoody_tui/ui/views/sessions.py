"""Sessions: every session of every source, forks indented under their parent, the ones
waiting on a gate ("needs you") first with how long they have waited. With several
sources, each is a group under a header row (Enter or space folds it) that says its
connection; the rows of a source whose connection went stay, dimmed, until it is back."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from ...api.loops import RecurringLoop
from ...api.sessions import Session
from ...core.inbox import Source
from ...store.changes import Changes
from ...store.state import WorkspaceStore
from ...text import fit, shorten
from ..format import STATUS_ICONS, count, money, relative_time
from ..theme import STATUS_COLOR, theme_color
from .base import TableView, dimmed, session_labels, stale_style
from .session_actions import SessionActions, offered

__all__ = ["SessionsView", "HEADER", "connection_words"]

HEADER = "\x1e"
"""Starts the key of a source's header row (never an inbox key)."""


def connection_words(source: Source) -> str:
    """A source's connection in a few characters: ``● live``, ``↻ 4s``, ``✕ refused``."""
    state = source.connection
    if state.phase == "live":
        return "● live"
    if state.phase == "connecting":
        return "◌ connecting"
    if state.phase == "reconnecting":
        return "↻ retrying"
    if state.phase in ("unauthorized", "forbidden"):
        return f"✕ {source.capabilities.credential} refused" if state.phase == "unauthorized" else "✕ forbidden"
    return f"✕ {state.phase}"


class SessionsView(SessionActions, TableView):
    COLUMNS = (
        ("status", "Status", 11),
        ("title", "Title", 30),
        ("agent", "Agent", 9),
        ("model", "Model", 22),
        ("tokens", "Tokens", 7),
        ("cost", "Cost", 7),
        ("active", "Active", 6),
        ("gates", "Gates", 8),
        ("loop", "Loop", 6),
    )
    FLEX = "title"
    FLEX_MIN = 20
    """A title is what a row is read by: the model and the activity give way first."""
    DROP_ORDER = ("loop", "tokens", "agent", "model", "active")
    EMPTY_TEXT = "No sessions in this workspace yet."
    _depths: dict[str, int] = {}
    _labels: dict[str, str] = {}
    _placement: dict[str, tuple[str | None, int, bool]] = {}
    ENTER = Binding("enter", "select_cursor", "Open stream", id="sessions.open", tooltip="Watch this session's messages live")
    BINDINGS = [
        Binding("A", "abort", "Abort", id="sessions.abort", tooltip="Stop the agent's current turn (asks first)"),
        Binding("t", "details('todo')", "Todo", id="sessions.todo", tooltip="Show the session's todo list"),
        Binding("d", "details('diff')", "Diff", id="sessions.diff", tooltip="Show the files the session changed"),
        Binding("s", "details('summary')", "Summary", id="sessions.summary", tooltip="Show the session's summary"),
        Binding("l", "details('loop')", "Loop", id="sessions.loop", tooltip="Watch, start or stop the session's loop"),
        Binding("g", "details('cli-agent')", "CLI agent", id="sessions.cli_agent", tooltip="Launch a CLI-agent run on this session"),
        Binding("space", "fold", "Fold", id="sessions.fold", tooltip="Fold or unfold a source's sessions (on its header row)"),
    ]

    class Open(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id
            """The session's row key (its id, for the first source)."""

    collapsed: set[int]
    """The sources whose sessions are folded under their header."""

    def on_mount(self) -> None:
        self.collapsed = set()
        super().on_mount()

    def concerns(self, source: Source, changes: Changes) -> bool:
        return bool(changes.sessions or changes.sessions_removed or changes.gates or changes.loops or changes.resynced)

    @property
    def listed(self) -> bool:
        """A listing of some source has arrived (until then, an empty list means not connected)."""
        return any(source.listed for source in self.inbox)

    def empty_text(self) -> str:
        if not self.listed:
            return "Not connected yet: nothing listed from the server. The status bar says why."
        return self.EMPTY_TEXT

    def title_text(self, shown: int, total: int) -> str:
        suffix = f" (filter: {self.filter_text}, {shown} shown)" if self.filter_text else ""
        return f"Sessions {self.inbox.session_count()}{suffix}"

    def ordered(self, store: WorkspaceStore) -> list[tuple[Session, int]]:
        """A source's sessions as a tree: the trees where a gate waits first (the longest
        waiting first), then the others newest first; forks under their parent.

        Apart from gates, the order is by creation, not activity, so rows stay put while
        agents work."""
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

        waits: dict[str, float] = {}

        def waiting(s: Session, depth: int = 0) -> float | None:
            """The oldest wait in ``s``'s tree (forks included)."""
            found = store.waiting_since(s.id)
            if depth < 50:
                for child in children.get(s.id, ()):
                    below = waiting(child, depth + 1)
                    if below is not None and (found is None or below < found):
                        found = below
            return found

        for root in roots:
            since = waiting(root)
            if since is not None:
                waits[root.id] = since
        for root in sorted(roots, key=lambda s: (s.id not in waits, waits.get(s.id, 0.0), -created(s), s.id)):
            walk(root, 0)
        return out

    LAZY = True

    def changed_keys(self, source: Source, changes: Changes) -> set[str] | None:
        if changes.resynced or changes.gates:
            return None  # gate counts: cheap to recheck the painted rows
        key = self.inbox.key
        return {key(source, sid) for sid in changes.sessions | changes.loops}

    def order_may_change(self, source: Source, changes: Changes) -> bool:
        # Rows are ordered by gates waiting, then creation and parent: only a gate asked or
        # decided, a new, removed, re-parented or re-dated session moves them; a status, a
        # message or a title never does. A header says its source's counts: it is redrawn.
        if changes.resynced or changes.sessions_removed or changes.gates:
            return True
        index, sessions = self._index, source.store.sessions
        for sid in changes.sessions:
            key = self.inbox.key(source, sid)
            if key not in index:
                return True
            session = sessions.get(sid)
            if session is None or _placement(session, source.store) != self._placement.get(key):
                return True
        return False

    def row_order(self) -> list[tuple[str, str]]:
        depths = self._depths = {}
        placement = self._placement = {}
        labels = self._labels = {}
        order: list[tuple[str, str]] = []
        inbox = self.inbox
        for source in inbox:
            store = source.store
            if inbox.several:
                order.append((f"{HEADER}{source.index}", f"{source.label} {source.backend.server}".lower()))
                if source.index in self.collapsed:
                    continue
            for sid, label in session_labels(store).items():
                labels[inbox.key(source, sid)] = label
            for session, depth in self.ordered(store):
                sid = session.id
                key = inbox.key(source, sid)
                depths[key] = depth
                placement[key] = _placement(session, store)
                stats = store.stats.get(sid)
                status = store.status(sid).type
                agent = store.agent_of(sid) or ""
                model = (stats.model if stats else None) or (session.model.label() if session.model else "")
                order.append((key, f"{session.title or sid} {sid} {status} {agent} {model} {source.name}".lower()))
        return order

    def row_cells(self, key: str) -> tuple[Any, ...]:
        if key.startswith(HEADER):
            return self._header_cells(key)
        source, sid = self.inbox.split(key)
        store = source.store
        app = self.app
        session = store.sessions.get(sid)
        if session is None:
            return ("",) * len(self.COLUMNS)
        depth = self._depths.get(key, 0)
        status = store.status(sid).type
        if sid in store.last_errors and status == "idle":
            status = "error"
        gates = store.gate_count(sid)
        if gates:
            status_cell = Text("⚑ needs you", style=f"bold {theme_color(app, 'warning')}")
        else:
            icon = STATUS_ICONS.get(status, "?")
            status_cell = Text(f"{icon} {status}", style=theme_color(app, STATUS_COLOR.get(status, "foreground")))
        title = self._labels.get(key) or session.title or sid
        prefix = "  " * (depth - 1) + "└ " if depth else ""
        title_cell = Text(prefix + fit(title, (self.column_width("title") or 60) - len(prefix)))
        stats = store.stats.get(sid)
        if gates:
            waited = relative_time(int(store.waiting_since(sid) or 0) or None, self.clock())
            gates_cell = Text(f"⚑ {gates} {waited}", style=f"bold {theme_color(app, 'warning')}")
        else:
            gates_cell = Text("")
        loop = store.loops.get(sid)
        last = max((stats.last_activity or 0) if stats else 0, session.updated_ms or 0) or None
        # The session's own totals when the server keeps them (they count every message,
        # also those from before we connected); else what the messages seen add up to.
        agent = store.agent_of(sid) or ""
        model = (stats.model if stats else None) or (session.model.label() if session.model else "")
        tokens = session.tokens.total if session.tokens else (stats.tokens if stats else None)
        cost = session.cost if session.cost is not None else (stats.cost if stats else None)
        cells = (
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
        return dimmed(cells, stale_style(self.inbox, source))

    def _header_cells(self, key: str) -> tuple[Any, ...]:
        source = self.inbox.sources[int(key[len(HEADER):])]
        store = source.store
        app = self.app
        fold = "▸" if source.index in self.collapsed else "▾"
        words = connection_words(source)
        color = "success" if source.live else ("error" if source.connection.final else "warning")
        gates = len(store.permissions) + len(store.questions)
        counts = f"{len(store.sessions)} sessions" + (", stale" if source.stale else "")
        title = Text.assemble((f"{fold} {source.label}", "bold"), (f"  {counts}", "dim"))
        return (Text(words, style=f"bold {theme_color(app, color)}"), title, "",
                Text(shorten(_host(source.backend.server), 22), style="dim"), "", "", "",
                Text(f"⚑ {gates}", style=f"bold {theme_color(app, 'warning')}") if gates else Text(""), "")

    def selected_session(self) -> tuple[Source, str] | None:
        """The source and id of the session under the cursor (not a header)."""
        key = self.selected_key
        if not key or key.startswith(HEADER):
            return None
        return self.inbox.split(key)

    def on_data_table_row_selected(self, event) -> None:
        """Enter on the table (DataTable's own binding) opens the stream (or folds a source)."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        key = self.selected_key
        if key and key.startswith(HEADER):
            self.action_fold()
        elif key:
            self.post_message(self.Open(key))

    def action_fold(self) -> None:
        """Fold or unfold the source whose header is under the cursor."""
        key = self.selected_key
        if not key or not key.startswith(HEADER):
            return
        index = int(key[len(HEADER):])
        self.collapsed ^= {index}
        self.refresh_rows(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # What no server can do is not offered (no dead keys in the footer); what the
        # selected session's server cannot do is said when asked.
        if action == "fold":
            return self.inbox.several
        if action == "abort":
            return self.inbox.any(lambda caps: offered("abort", caps))
        if action == "details" and parameters:
            return self.inbox.any(lambda caps: offered(str(parameters[0]), caps))
        return True

    def action_abort(self) -> None:
        selected = self.selected_session()
        if selected:
            self.session_action("abort", selected[0].service, selected[1])

    def action_details(self, kind: str) -> None:
        selected = self.selected_session()
        if selected:
            self.session_action(kind, selected[0].service, selected[1])


def _host(url: str) -> str:
    """A server's URL without its scheme (``api.hoody.com``, ``127.0.0.1:4096``)."""
    return url.split("://", 1)[-1].rstrip("/")


def _placement(session: Session, store: WorkspaceStore) -> tuple[str | None, int, bool]:
    """What a session's place in the list depends on: its parent, when it was created, and
    whether a gate waits on it."""
    return session.parent_id, (session.time.created if session.time else None) or 0, bool(store.gate_count(session.id))


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
