"""Gates: every pending permission request and question of the workspace, oldest
first, with a detail pane and one-key decisions.

A key acts on the gate shown in the detail pane at the keystroke (its id, captured
then), never on a row index: rows can move as gates arrive and leave. A key decides
only a gate that has been on screen for a moment (the settle guard). No key that
navigates anywhere decides anything: a question is answered in its own panel (Enter),
never by a number key. The decision itself is the workspace service's
(:class:`~hoody_tui.core.decisions.GateDesk`): this view asks, confirms what is risky,
and reports the outcome.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from ...api.messages import ToolPart
from ...api.permissions import PermissionRequest, SessionPermissions
from ...api.questions import Question
from ...core.decisions import DecisionStatus
from ...core.publications import Severity
from ...core.service import WorkspaceService
from ...gates.ledger import Decision, DecisionKind, Phase
from ...gates.risk import Risk, always_breadth, classify
from ...store.changes import Changes
from ...text import fit, neutralise, shorten
from ..format import relative_time
from ..messages import StreamNotice
from ..screens.confirm import ConfirmScreen
from ..screens.prompt import TextPromptScreen
from ..theme import theme_color
from ..widgets.fast_table import FastTable
from ..widgets.filter_input import FilterInput
from ..widgets.gate_detail import GateDetail
from .base import TableView, session_labels, view_binding

__all__ = ["GatesView"]


def _id(key: str, action: str, description: str, tooltip: str, show: bool = True, name: str | None = None) -> Binding:
    return view_binding("gates", key, action, description, tooltip, show=show, name=name)


class GatesView(TableView):
    COLUMNS = (
        ("kind", "Kind", 10),
        ("risk", "!", 1),
        ("session", "Session", 16),
        ("agent", "Agent", 8),
        ("what", "Tool", 8),
        ("detail", "What", 30),
        ("age", "Age", 4),
    )
    FLEX = "detail"
    SHARE = {"session": 0.35}
    DROP_ORDER = ("agent", "age", "what")
    EMPTY_TEXT = "No agent is waiting for you."
    # Not in the footer (y says the same for a permission, and the footer is narrow at 80
    # columns); the help lists it, and the question pane says what Enter does.
    ENTER = Binding("enter", "select_cursor", "Allow/answer", id="gates.enter", show=False,
                    tooltip="Allow this call once; on a question, open its answers to choose one")
    BINDINGS = [
        _id("y", "decide('once')", "Allow once", "Let the agent run this call once", name="once"),
        _id("a", "decide('always')", "Always", "Allow, and persist the 'always' patterns for this session (asks first)",
            name="always"),
        _id("n", "decide('reject')", "Reject", "Reject the call (a question: reject with a reason)", name="reject"),
        _id("N", "decide('reject-message')", "Reject+msg", "Reject the call with a message for the agent",
            name="reject_message"),
        _id("j", "move(1)", "Down", "Next gate", show=False, name="down"),
        _id("k", "move(-1)", "Up", "Previous gate", show=False, name="up"),
        _id("o", "open_call", "Open call", "Show the tool call this gate belongs to in the stream"),
    ]

    session_filter: str | None = None

    class OpenCall(Message):
        def __init__(self, session_id: str, message_id: str | None, call_id: str | None) -> None:
            super().__init__()
            self.session_id = session_id
            self.message_id = message_id
            self.call_id = call_id

    class RulesLoaded(Message):
        """A session's effective ruleset arrived (or could not be read)."""

        def __init__(self, session_id: str, rules: SessionPermissions | None, error: str | None) -> None:
            super().__init__()
            self.session_id = session_id
            self.rules = rules
            self.error = error

    class WorkspacePathLoaded(Message):
        def __init__(self, path: str | None) -> None:
            super().__init__()
            self.path = path

    def __init__(self, service: WorkspaceService, *, clock, workspace_path: str | None = None,
                 settle: float = 0.35, **kwargs: Any) -> None:
        super().__init__(service, clock=clock, **kwargs)
        self.service = service
        self.ledger = service.ledger
        self.settle = settle
        self.workspace_path = workspace_path
        self.rules: dict[str, SessionPermissions] = {}
        self.rules_errors: dict[str, str] = {}
        self._risks: dict[str, tuple[PermissionRequest, Risk]] = {}
        self._search: dict[str, tuple[Any, str, str]] = {}

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title")
        yield FilterInput()
        with Horizontal(id="gates-split"):
            # FastTable: a str cell (a title, a command) is shown as text, never read as markup.
            table_class = type("GatesTable", (FastTable,), {"BINDINGS": [self.ENTER]})
            table = table_class(cursor_type="row", zebra_stripes=False, classes="view-table", id="gates-table")
            self._add_columns(table, self._widths(60))
            yield table
            yield GateDetail(settle=self.settle, reject_note=self.service.capabilities.reject_note(),
                             rulesets=self.service.capabilities.rulesets,
                             persist_dirs=self.service.capabilities.persist_dirs,
                             reject_message=self.service.capabilities.reject_message, id="gate-detail")
        yield Static("", classes="view-hint")
        yield Static(self.EMPTY_TEXT, classes="view-empty")

    @property
    def detail(self) -> GateDetail:
        return self.query_one(GateDetail)

    def table_width(self) -> int:
        wide = self.size.width >= 110
        self.query_one("#gates-split").set_class(not wide, "-stacked")
        return self.size.width // 2 if wide else self.size.width

    # --- rows ----------------------------------------------------------------------------

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

    def risk(self, request: PermissionRequest) -> Risk:
        cached = self._risks.get(request.id)
        if cached is None or cached[0] is not request:
            cached = (request, classify(request, workspace=self.workspace_path))
            self._risks[request.id] = cached
        return cached[1]

    def _kind_cell(self, kind: str, gate_id: str, color: str) -> Text:
        state = self.ledger.state(gate_id)
        if state is not None and state.phase is Phase.SENDING:
            return Text("sending…", style=f"italic {theme_color(self.app, 'warning')}")
        if state is not None and state.phase is Phase.CHECKING:
            return Text("checking…", style=f"italic {theme_color(self.app, 'warning')}")
        if state is not None and state.phase is Phase.FAILED:
            return Text("failed", style=f"bold {theme_color(self.app, 'error')}")
        return Text(kind, style=theme_color(self.app, color))

    # Lazy (see TableView.LAZY): with 10,000 pending gates, building every row's cells on
    # each change took 0.4 s and re-adding every row 0.6 s, so each decision froze the
    # app for a second. Only the painted rows are built now, and a decided gate's row is
    # removed (a new one appended) instead of rebuilding the table.
    LAZY = True

    def changed_keys(self, changes: Changes) -> set[str] | None:
        # Any change rechecks the painted rows (a few dozen, only differing cells are
        # written): session titles and agents may have changed, and the ages move on.
        return None

    def _search_text(self, gate: PermissionRequest | Question, title: str) -> str:
        cached = self._search.get(gate.id)
        if cached is not None and cached[0] is gate and cached[1] == title:
            return cached[2]
        if isinstance(gate, PermissionRequest):
            detail = gate.subject
            text = f"permission {title} {gate.permission} {detail} {self.risk(gate).describe()}".lower()
        else:
            text = f"question {title} {gate.text}".lower()
        self._search[gate.id] = (gate, title, text)
        return text

    _labels: dict[str, str] = {}

    def row_order(self) -> list[tuple[str, str]]:
        store = self.store
        self._labels = session_labels(store)
        order: list[tuple[str, str]] = []
        filtered = self.session_filter
        searching = bool(self.filter_text)
        for gate in store.gates_in_order():
            if filtered and gate.session_id != filtered:
                continue
            if searching:
                session = store.sessions.get(gate.session_id or "")
                title = (session.title if session else None) or gate.session_id or ""
                order.append((gate.id, self._search_text(gate, title)))
            else:
                order.append((gate.id, ""))
        pending = store.permissions
        for gate_id in [k for k in self._risks if k not in pending]:
            del self._risks[gate_id]
        for gate_id in [k for k in self._search if k not in pending and k not in store.questions]:
            del self._search[gate_id]
        return order

    def row_cells(self, key: str) -> tuple[Any, ...]:
        store = self.store
        app = self.app
        gate = store.gate(key)
        if gate is None:
            return ("",) * len(self.COLUMNS)
        session = store.sessions.get(gate.session_id or "")
        title = self._labels.get(gate.session_id or "") or (session.title if session else None) or gate.session_id or ""
        title = fit(title, self.column_width("session") or 40)
        created = gate.time.created if gate.time else None
        age = relative_time(created, self.clock()) if created else ""
        agent = shorten(store.agent_of(gate.session_id or "") or "", 8)
        if isinstance(gate, PermissionRequest):
            risk = self.risk(gate)
            detail = gate.subject
            return (
                self._kind_cell("permission", gate.id, "warning"),
                Text("⚠", style=f"bold {theme_color(app, 'error')}") if risk.risky else Text(""),
                title,
                agent,
                shorten(gate.permission or "", 8),
                shorten(detail, 80),
                age,
            )
        return (
            self._kind_cell("question", gate.id, "accent"),
            Text(""),
            title,
            agent,
            "",
            shorten(gate.text, 80),
            age,
        )

    def _rebuild(self, table: DataTable[Any], keys: list[str], cells_of: Any) -> None:
        """Rows removed from anywhere and rows added at the end (gates are decided and
        arrive in that order) are applied as such; any other change rebuilds the table."""
        old = self._keys
        wanted = set(keys)
        kept = [key for key in old if key in wanted]
        if not old or len(kept) < len(old) // 2 or keys[: len(kept)] != kept:
            super()._rebuild(table, keys, cells_of)
            return
        selected = self.selected_key
        for key in old:
            if key not in wanted:
                try:
                    table.remove_row(key)
                except RowDoesNotExist:
                    pass
                self._cells.pop(key, None)
        blank = ("",) * len(self._visible)
        for index in range(len(kept), len(keys)):
            key = keys[index]
            cells = cells_of(index, key)
            table.add_row(*(blank if cells is None else cells), key=key)
            if cells is not None:
                self._cells[key] = cells
        self._keys = keys
        self._index = {key: index for index, key in enumerate(keys)}
        if selected in self._index:
            table.move_cursor(row=self._index[selected], animate=False)
        # Rows that moved into the painted window may never have been written, and kept
        # rows may have changed in the same batch: recheck them as they are painted
        # (only the cells that differ are written).
        self._stale.update(keys)

    def refresh_rows(self, changes: Changes | None) -> None:
        super().refresh_rows(changes)
        if self.is_mounted:
            self.show_selected()

    # --- the detail pane -----------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_selected()

    def show_selected(self) -> None:
        detail = self.detail
        gate_id = self.selected_key
        store = self.store
        if gate_id is None:
            if self.session_filter and (store.permissions or store.questions):
                detail.show_nothing("Nothing waits in this session. Esc shows every session's gates.")
            else:
                detail.show_nothing("Nothing to decide. New requests appear here as agents ask.")
            return
        colors = {name: theme_color(self.app, name) for name in ("error", "warning", "accent", "success")}
        dark = self.app.current_theme.dark
        request = store.permissions.get(gate_id)
        state = self.ledger.state(gate_id)
        if request is not None:
            session_id = request.session_id or ""
            session = store.sessions.get(session_id)
            if (session_id and session_id not in self.rules and session_id not in self.rules_errors
                    and self.service.capabilities.rulesets):
                self.rules_errors[session_id] = ""  # asked once; "" reads as loading
                self.load_rules(session_id)
            detail.show_permission(
                request, session_title=(session.title if session else None) or session_id,
                agent=store.agent_of(session_id), risk=self.risk(request),
                rules=self.rules.get(session_id), rules_error=self.rules_errors.get(session_id),
                state=state, tool_input=self._tool_input(request), colors=colors, dark=dark,
            )
            return
        question = store.questions.get(gate_id)
        if question is not None:
            session = store.sessions.get(question.session_id or "")
            detail.show_question(
                question, session_title=(session.title if session else None) or question.session_id or "",
                agent=store.agent_of(question.session_id or ""), state=state, colors=colors,
            )

    def _tool_input(self, request: PermissionRequest) -> Any:
        """The input of the tool call the request belongs to, when the store has it."""
        if not request.tool or not request.tool.call_id or not request.session_id:
            return None
        entries = self.store.messages.get(request.session_id)
        if not entries:
            return None
        entry = entries.get(request.tool.message_id or "")
        candidates = [entry] if entry else list(entries.values())[-5:]
        for candidate in candidates:
            for part in candidate.parts.values():
                if isinstance(part, ToolPart) and part.call_id == request.tool.call_id:
                    return part.state.input
        return None

    # --- what the workers report -----------------------------------------------------------

    @work(group="rules")
    async def load_rules(self, session_id: str) -> None:
        result = await self.service.session_rules(session_id)
        self.post_message(self.RulesLoaded(session_id, result.value, None if result.ok else result.text))

    def on_gates_view_rules_loaded(self, message: RulesLoaded) -> None:
        message.stop()
        if message.rules is not None:
            self.rules[message.session_id] = message.rules
            self.rules_errors.pop(message.session_id, None)
        else:
            self.rules_errors[message.session_id] = message.error or "unknown error"
        self.show_selected()

    @work(group="workspace-path", exclusive=True)
    async def load_workspace_path(self) -> None:
        """The workspace's path, so the risk marks can flag writes outside it."""
        path = await self.service.workspace_path()
        if path:
            self.post_message(self.WorkspacePathLoaded(path))

    def on_gates_view_workspace_path_loaded(self, message: WorkspacePathLoaded) -> None:
        message.stop()
        self.workspace_path = message.path
        self._risks.clear()
        self.refresh_rows(None)

    # --- keys ----------------------------------------------------------------------------

    def _ready(self) -> bool:
        """Refuse a decision on a gate the user has not had the chance to read."""
        if self.detail.settled():
            return True
        self.app.bell()
        self.notify("The gate on screen just changed: read it, then press again.", severity="warning", timeout=3)
        return False

    def _shown(self) -> PermissionRequest | Question | None:
        """The gate in the detail pane now (the keystroke's gate), if it is still pending."""
        gate_id = self.detail.gate_id
        if gate_id is None:
            return None
        return self.store.gate(gate_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_decide("enter")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``N`` is absent on a server whose reject carries no message."""
        if action == "decide" and parameters == ("reject-message",):
            return self.service.capabilities.reject_message
        return True

    def action_decide(self, kind: str) -> None:
        """A deciding key: its gate is the one shown now, captured before anything else."""
        gate = self._shown()
        if gate is None:
            self.app.bell()
            return
        if not self._ready():
            return
        capabilities = self.service.capabilities
        if isinstance(gate, Question):
            if kind in ("reject", "reject-message"):
                if capabilities.question_reject:
                    self._reject_question(gate)
                else:
                    self.notify("This server cannot reject a question: answer it (Enter), or abort its turn (A "
                                "in its stream).")
            elif kind in ("enter", "once"):
                self._answer(gate)
            else:
                self.notify("'always' is for permission requests; Enter opens this question's answers.")
            return
        if kind in ("enter", "once"):
            self._send(gate, "once")
        elif kind == "reject":
            self._send(gate, "reject")
        elif kind == "reject-message" and not capabilities.reject_message:
            self.notify("This server takes no message with a reject: n rejects the call.")
        elif kind == "reject-message":
            self.app.push_screen(
                TextPromptScreen("Reject with a message for the agent", placeholder="why not, or what to do instead",
                                 note=self.service.capabilities.reject_note()),
                lambda text: self._send(gate, "reject", text) if text else None,
            )
        elif kind == "always":
            self._confirm_always(gate)

    def _answer(self, question: Question) -> None:
        from ..screens.answer import Answer, AnswerScreen

        def chosen(answer: Answer | None) -> None:
            if answer is not None:
                self._send(question, "answer", answer.text, labels=answer.labels)

        self.app.push_screen(AnswerScreen(question, session_title=self._session_title(question.session_id),
                                          settle=self.settle), chosen)

    def _reject_question(self, question: Question) -> None:
        if not self.service.capabilities.question_reject_reason:
            self._send(question, "reject-question", None)  # this server takes no reason: none is asked for
            return
        self.app.push_screen(
            TextPromptScreen("Reject the question", placeholder="reason (optional)", allow_empty=True),
            lambda text: self._send(question, "reject-question", text or None) if text is not None else None,
        )

    def _confirm_always(self, request: PermissionRequest) -> None:
        patterns = "\n".join(f"  {neutralise(p)}" for p in request.always) or "  (none: this acts like once)"
        risk = self.risk(request)
        if self.service.capabilities.persist_dirs:
            question = (f"Allow {neutralise(request.permission or 'this')}, and save access to these directories "
                        f"in the agent's settings:\n{patterns}")
        else:
            question = f"Always allow {neutralise(request.permission or 'this')} in this session for:\n{patterns}"
        if risk.risky:
            question = f"⚠ This call is risky: {risk.describe()}.\n\n{question}"
        breadth = always_breadth(request)
        if breadth:
            question += f"\n\nNote: {breadth}."

        def second(yes: bool | None) -> None:
            if yes:
                self._send(request, "always")

        def first(yes: bool | None) -> None:
            if not yes:
                return
            if risk.risky:
                self.app.push_screen(ConfirmScreen(f"This one is risky: {risk.describe()}.\nReally allow it always?"), second)
            else:
                second(True)

        self.app.push_screen(ConfirmScreen(question), first)

    def _send(self, gate: PermissionRequest | Question, kind: DecisionKind, message: str | None = None, *,
              labels: tuple[tuple[str, ...], ...] | None = None) -> None:
        self.send_decision(Decision(gate.id, kind, message, labels=labels, generation=gate.generation))

    @work(group="gate-replies")
    async def send_decision(self, decision: Decision) -> None:
        """Send one decision (the service sends it exactly once) and say how it ended."""
        result = await self.service.decide(decision)
        self.post_message(StreamNotice(result.text, severity=_SEVERITY[result.status], topic="gate"))

    def _session_title(self, session_id: str | None) -> str:
        session = self.store.sessions.get(session_id or "")
        return (session.title if session else None) or session_id or ""

    def action_move(self, delta: int) -> None:
        table = self.table
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_open_call(self) -> None:
        gate = self._shown()
        if gate is None or not gate.session_id:
            return
        tool = gate.tool
        self.post_message(self.OpenCall(gate.session_id, tool.message_id if tool else None, tool.call_id if tool else None))


_SEVERITY: dict[DecisionStatus, Severity] = {
    "ok": "information", "elsewhere": "information", "checking": "warning",
    "refused": "error", "busy": "warning", "gone": "information",
}
