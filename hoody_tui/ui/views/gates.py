"""Gates: every pending permission request and question of every source, oldest first,
with a detail pane and one-key decisions (each goes to its own source).

A key acts on the gate shown in the detail pane at the keystroke (its id, captured
then), never on a row index: rows can move as gates arrive and leave. A key decides
only a gate that has been on screen for a moment (the settle guard). No key that
navigates anywhere decides anything: a question is answered in its own panel (Enter),
never by a number key. The decision itself is the workspace service's
(:class:`~hoody_tui.core.decisions.GateDesk`): this view asks, confirms what is risky,
and reports the outcome.

Gates marked with space are decided together: allow once, or reject, after a
confirmation that lists exactly the gates that will be sent. Never a gate that was not
marked, never "always" in a batch.
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
from ...core.decisions import DecisionResult, DecisionStatus, describe_gate
from ...core.inbox import Inbox, Source
from ...core.publications import Severity
from ...gates.ledger import Decision, DecisionKind, Phase
from ...gates.risk import Risk, always_breadth, classify
from ...store.changes import Changes
from ...text import fit, neutralise, shorten
from ..format import relative_time
from ..messages import Batch, StreamNotice
from ..screens.confirm import ConfirmScreen
from ..screens.prompt import TextPromptScreen
from ..theme import theme_color
from ..widgets.fast_table import FastTable
from ..widgets.filter_input import FilterInput
from ..widgets.gate_detail import GateDetail
from .base import TableView, dimmed, session_labels, stale_style, view_binding

__all__ = ["GatesView"]


def _id(key: str, action: str, description: str, tooltip: str, show: bool = True, name: str | None = None) -> Binding:
    return view_binding("gates", key, action, description, tooltip, show=show, name=name)


Gate = PermissionRequest | Question


class GatesView(TableView):
    COLUMNS: tuple[tuple[str, str, int | None], ...] = (
        ("mark", "", 1),
        ("kind", "Kind", 10),
        ("risk", "!", 1),
        ("session", "Session", 16),
        ("agent", "Agent", 8),
        ("what", "Tool", 8),
        ("detail", "What", 30),
        ("age", "Age", 4),
    )
    SOURCE_COLUMN = ("source", "Source", 8)
    """Shown after the kind when the inbox has several sources."""
    FLEX = "detail"
    SHARE = {"session": 0.35}
    DROP_ORDER = ("agent", "age", "what", "source")
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
        _id("space", "mark", "Mark", "Mark or unmark this gate for a batch (then y allows once, n rejects, all marked)"),
    ]

    session_filter: str | None = None
    """The row key of the session whose gates alone are shown (from a stream's 4)."""

    class OpenCall(Message):
        def __init__(self, session_id: str, message_id: str | None, call_id: str | None) -> None:
            super().__init__()
            self.session_id = session_id
            """The session's row key."""
            self.message_id = message_id
            self.call_id = call_id

    class RulesLoaded(Message):
        """A session's effective ruleset arrived (or could not be read)."""

        def __init__(self, session_id: str, rules: SessionPermissions | None, error: str | None) -> None:
            super().__init__()
            self.session_id = session_id
            """The session's row key."""
            self.rules = rules
            self.error = error

    class WorkspacePathLoaded(Message):
        def __init__(self, path: str | None, source: int = 0) -> None:
            super().__init__()
            self.path = path
            self.source = source

    class BatchDone(Message):
        """A batch of decisions ended: each gate's outcome, in the order sent."""

        def __init__(self, verb: str, results: list[tuple[Source, Gate, DecisionResult]]) -> None:
            super().__init__()
            self.verb = verb
            self.results = results

    def __init__(self, inbox: Inbox, *, clock, workspace_path: str | None = None,
                 settle: float = 0.35, **kwargs: Any) -> None:
        super().__init__(inbox, clock=clock, **kwargs)
        if inbox.several:
            kind = self.COLUMNS.index(("kind", "Kind", 10))
            self.COLUMNS = (*self.COLUMNS[:kind + 1], self.SOURCE_COLUMN, *self.COLUMNS[kind + 1:])
        self.settle = settle
        self.workspace_paths: dict[int, str | None] = {0: workspace_path} if workspace_path else {}
        """Each source's workspace directory (risk marks flag writes outside it)."""
        self.rules: dict[str, SessionPermissions] = {}
        self.rules_errors: dict[str, str] = {}
        self.marked: set[str] = set()
        """Row keys of the gates marked for a batch decision."""
        self._risks: dict[str, tuple[PermissionRequest, Risk]] = {}
        self._search: dict[str, tuple[Any, str, str]] = {}

    @property
    def workspace_path(self) -> str | None:
        """The first source's workspace directory."""
        return self.workspace_paths.get(0)

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title")
        yield FilterInput()
        with Horizontal(id="gates-split", classes="-sources" if self.inbox.several else ""):
            # FastTable: a str cell (a title, a command) is shown as text, never read as markup.
            table_class = type("GatesTable", (FastTable,), {"BINDINGS": [self.ENTER]})
            table = table_class(cursor_type="row", zebra_stripes=False, classes="view-table", id="gates-table")
            self._add_columns(table, self._widths(60))
            yield table
            yield GateDetail(settle=self.settle, id="gate-detail")
        yield Static("", classes="view-hint")
        yield Static(self.EMPTY_TEXT, classes="view-empty")

    @property
    def detail(self) -> GateDetail:
        return self.query_one(GateDetail)

    def table_width(self) -> int:
        wide = self.size.width >= 110
        self.query_one("#gates-split").set_class(not wide, "-stacked")
        if not wide:
            return self.size.width
        # Several sources: the table takes 3/5 (the stylesheet says so), for its Source column.
        return self.size.width * 3 // 5 if self.inbox.several else self.size.width // 2

    # --- rows ----------------------------------------------------------------------------

    def concerns(self, source: Source, changes: Changes) -> bool:
        return bool(changes.gates or changes.sessions or changes.sessions_removed or changes.resynced)

    def title_text(self, shown: int, total: int) -> str:
        parts = [f"Gates {total} pending"]
        if self.inbox.several:
            parts[0] += f" in {len(self.inbox.sources)} sources"
        if self.session_filter:
            source, session_id = self.inbox.split(self.session_filter)
            session = source.store.sessions.get(session_id)
            parts.append(f"session: {shorten((session.title if session else None) or session_id, 30)} (Esc clears)")
        if self.marked:
            parts.append(f"{len(self.marked)} marked: y allows once, n rejects them (Esc unmarks)")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}, {shown} shown")
        return " · ".join(parts)

    def risk(self, request: PermissionRequest, source: Source | None = None) -> Risk:
        source = source or self.inbox.primary
        key = self.inbox.key(source, request.id)
        cached = self._risks.get(key)
        if cached is None or cached[0] is not request:
            cached = (request, classify(request, workspace=self.workspace_paths.get(source.index)))
            self._risks[key] = cached
        return cached[1]

    def _kind_cell(self, kind: str, source: Source, gate_id: str, color: str) -> Text:
        state = source.service.ledger.state(gate_id)
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

    def changed_keys(self, source: Source, changes: Changes) -> set[str] | None:
        # Any change rechecks the painted rows (a few dozen, only differing cells are
        # written): session titles and agents may have changed, and the ages move on.
        return None

    def _search_text(self, key: str, source: Source, gate: Gate, title: str) -> str:
        cached = self._search.get(key)
        if cached is not None and cached[0] is gate and cached[1] == title:
            return cached[2]
        where = f" {source.name}" if self.inbox.several else ""
        if isinstance(gate, PermissionRequest):
            detail = gate.subject
            text = f"permission {title} {gate.permission} {detail} {self.risk(gate, source).describe()}{where}".lower()
        else:
            text = f"question {title} {gate.text}{where}".lower()
        self._search[key] = (gate, title, text)
        return text

    _labels: dict[str, str] = {}

    def row_order(self) -> list[tuple[str, str]]:
        inbox = self.inbox
        labels: dict[str, str] = {}
        for source in inbox:
            for sid, label in session_labels(source.store).items():
                labels[inbox.key(source, sid)] = label
        self._labels = labels
        order: list[tuple[str, str]] = []
        filtered = self.session_filter
        searching = bool(self.filter_text)
        for source, gate in inbox.gates_in_order():
            key = inbox.key(source, gate.id)
            if filtered and inbox.key(source, gate.session_id or "") != filtered:
                continue
            if searching:
                session = source.store.sessions.get(gate.session_id or "")
                title = (session.title if session else None) or gate.session_id or ""
                order.append((key, self._search_text(key, source, gate, title)))
            else:
                order.append((key, ""))
        pending = {key for key, _ in order} if not (filtered or searching) else {
            inbox.key(source, gate.id) for source, gate in inbox.gates_in_order()}
        for key in [k for k in self._risks if k not in pending]:
            del self._risks[key]
        for key in [k for k in self._search if k not in pending]:
            del self._search[key]
        if self.marked - pending:
            self.marked &= pending  # a marked gate decided elsewhere is no longer marked
        return order

    def row_cells(self, key: str) -> tuple[Any, ...]:
        app = self.app
        found = self.inbox.gate(key)
        if found is None:
            return ("",) * len(self.COLUMNS)
        source, gate = found
        store = source.store
        session = store.sessions.get(gate.session_id or "")
        session_key = self.inbox.key(source, gate.session_id or "")
        title = self._labels.get(session_key) or (session.title if session else None) or gate.session_id or ""
        title = fit(title, self.column_width("session") or 40)
        created = (gate.time.created if gate.time else None) or store.gate_seen.get(gate.id)
        age = relative_time(int(created), self.clock()) if created else ""
        agent = shorten(store.agent_of(gate.session_id or "") or "", 8)
        mark = Text("●", style=f"bold {theme_color(app, 'accent')}") if key in self.marked else Text("")
        where = (shorten(source.label, 8),) if self.inbox.several else ()
        if isinstance(gate, PermissionRequest):
            risk = self.risk(gate, source)
            cells: tuple[Any, ...] = (
                mark,
                self._kind_cell("permission", source, gate.id, "warning"),
                *where,
                Text("⚠", style=f"bold {theme_color(app, 'error')}") if risk.risky else Text(""),
                title,
                agent,
                shorten(gate.permission or "", 8),
                shorten(gate.subject, 80),
                age,
            )
        else:
            cells = (
                mark,
                self._kind_cell("question", source, gate.id, "accent"),
                *where,
                Text(""),
                title,
                agent,
                "",
                shorten(gate.text, 80),
                age,
            )
        return dimmed(cells, stale_style(self.inbox, source))

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

    def refresh_rows(self, changes: Batch | None) -> None:
        super().refresh_rows(changes)
        if self.is_mounted and self._part("GateDetail") is not None:  # (not while taken apart)
            self.show_selected()

    # --- the detail pane -----------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_selected()

    def show_selected(self) -> None:
        detail = self.detail
        key = self.selected_key
        found = self.inbox.gate(key) if key is not None else None
        if found is None:
            if self.session_filter and self.inbox.gate_count():
                detail.show_nothing("Nothing waits in this session. Esc shows every session's gates.")
            else:
                detail.show_nothing("Nothing to decide. New requests appear here as agents ask.")
            return
        assert key is not None
        source, gate = found
        store = source.store
        colors = {name: theme_color(self.app, name) for name in ("error", "warning", "accent", "success")}
        dark = self.app.current_theme.dark
        state = source.service.ledger.state(gate.id)
        capabilities = source.capabilities
        where = self._source_line(source)
        session_id = gate.session_id or ""
        session = store.sessions.get(session_id)
        if isinstance(gate, PermissionRequest):
            session_key = self.inbox.key(source, session_id)
            if (session_id and session_key not in self.rules and session_key not in self.rules_errors
                    and capabilities.rulesets):
                self.rules_errors[session_key] = ""  # asked once; "" reads as loading
                self.load_rules(session_key)
            detail.show_permission(
                gate, session_title=(session.title if session else None) or session_id,
                agent=store.agent_of(session_id), risk=self.risk(gate, source),
                rules=self.rules.get(session_key), rules_error=self.rules_errors.get(session_key),
                state=state, tool_input=self._tool_input(source, gate), colors=colors, dark=dark,
                capabilities=capabilities, key=key, source=where,
            )
            return
        detail.show_question(
            gate, session_title=(session.title if session else None) or session_id,
            agent=store.agent_of(session_id), state=state, colors=colors, capabilities=capabilities, key=key,
            source=where,
        )

    def _source_line(self, source: Source) -> str | None:
        """Which server a gate is from, among several: its name, URL and workspace."""
        if not self.inbox.several:
            return None
        backend = source.backend
        text = f"{source.label} · {backend.server}" + (f" / {backend.scope}" if backend.scope else "")
        if source.stale:
            text += f" · {source.connection.phase}: shown as last listed"
        return text

    def _tool_input(self, source: Source, request: PermissionRequest) -> Any:
        """The input of the tool call the request belongs to, when the store has it."""
        if not request.tool or not request.tool.call_id or not request.session_id:
            return None
        entries = source.store.messages.get(request.session_id)
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
    async def load_rules(self, session_key: str) -> None:
        source, session_id = self.inbox.split(session_key)
        result = await source.service.session_rules(session_id)
        self.post_message(self.RulesLoaded(session_key, result.value, None if result.ok else result.text))

    def on_gates_view_rules_loaded(self, message: RulesLoaded) -> None:
        message.stop()
        if message.rules is not None:
            self.rules[message.session_id] = message.rules
            self.rules_errors.pop(message.session_id, None)
        else:
            self.rules_errors[message.session_id] = message.error or "unknown error"
        self.show_selected()

    def load_workspace_path(self) -> None:
        """Each source's workspace path, so the risk marks can flag writes outside it."""
        for source in self.inbox:
            self._load_workspace_path(source)

    @work(group="workspace-path")
    async def _load_workspace_path(self, source: Source) -> None:
        path = await source.service.workspace_path()
        if path:
            self.post_message(self.WorkspacePathLoaded(path, source.index))

    def on_gates_view_workspace_path_loaded(self, message: WorkspacePathLoaded) -> None:
        message.stop()
        self.workspace_paths[message.source] = message.path
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

    def _shown(self) -> tuple[Source, Gate] | None:
        """The gate in the detail pane now (the keystroke's gate) and its source, if it is
        still pending."""
        key = self.detail.gate_id
        if key is None:
            return None
        return self.inbox.gate(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_decide("enter")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``N`` is absent where no server's reject carries a message."""
        if action == "decide" and parameters == ("reject-message",):
            return self.inbox.any(lambda caps: caps.reject_message)
        return True

    def action_mark(self) -> None:
        """Mark or unmark the gate under the cursor for a batch decision."""
        key = self.selected_key
        if key is None or self.inbox.gate(key) is None:
            self.app.bell()
            return
        self.marked ^= {key}
        self.refresh_rows(None)

    def clear_marks(self) -> bool:
        """Unmark every gate (Esc); whether any was marked."""
        if not self.marked:
            return False
        self.marked.clear()
        self.refresh_rows(None)
        self.notify("Unmarked every gate.")
        return True

    def action_decide(self, kind: str) -> None:
        """A deciding key: its gate is the one shown now, captured before anything else
        (with gates marked, the marked ones, after a confirmation)."""
        if self.marked:
            self._decide_marked(kind)
            return
        found = self._shown()
        if found is None:
            self.app.bell()
            return
        if not self._ready():
            return
        source, gate = found
        capabilities = source.capabilities
        where = f" ({source.label})" if self.inbox.several else ""
        if isinstance(gate, Question):
            if kind in ("reject", "reject-message"):
                if capabilities.question_reject:
                    self._reject_question(source, gate)
                else:
                    self.notify(f"This server{where} cannot reject a question: answer it (Enter), or abort its "
                                "turn (A in its stream).")
            elif kind in ("enter", "once"):
                self._answer(source, gate)
            else:
                self.notify("'always' is for permission requests; Enter opens this question's answers.")
            return
        if kind in ("enter", "once"):
            self._send(source, gate, "once")
        elif kind == "reject":
            self._send(source, gate, "reject")
        elif kind == "reject-message" and not capabilities.reject_message:
            self.notify(f"This server{where} takes no message with a reject: n rejects the call.")
        elif kind == "reject-message":
            self.app.push_screen(
                TextPromptScreen("Reject with a message for the agent", placeholder="why not, or what to do instead",
                                 note=capabilities.reject_note()),
                lambda text: self._send(source, gate, "reject", text) if text else None,
            )
        elif kind == "always":
            self._confirm_always(source, gate)

    def _answer(self, source: Source, question: Question) -> None:
        from ..screens.answer import Answer, AnswerScreen

        def chosen(answer: Answer | None) -> None:
            if answer is not None:
                self._send(source, question, "answer", answer.text, labels=answer.labels)

        self.app.push_screen(AnswerScreen(question, session_title=self._session_title(source, question.session_id),
                                          settle=self.settle), chosen)

    def _reject_question(self, source: Source, question: Question) -> None:
        if not source.capabilities.question_reject_reason:
            self._send(source, question, "reject-question", None)  # this server takes no reason: none is asked for
            return
        self.app.push_screen(
            TextPromptScreen("Reject the question", placeholder="reason (optional)", allow_empty=True),
            lambda text: self._send(source, question, "reject-question", text or None) if text is not None else None,
        )

    def _confirm_always(self, source: Source, request: PermissionRequest) -> None:
        patterns = "\n".join(f"  {neutralise(p)}" for p in request.always) or "  (none: this acts like once)"
        risk = self.risk(request, source)
        if source.capabilities.persist_dirs:
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
                self._send(source, request, "always")

        def first(yes: bool | None) -> None:
            if not yes:
                return
            if risk.risky:
                self.app.push_screen(ConfirmScreen(f"This one is risky: {risk.describe()}.\nReally allow it always?"), second)
            else:
                second(True)

        self.app.push_screen(ConfirmScreen(question), first)

    def _send(self, source: Source, gate: Gate, kind: DecisionKind, message: str | None = None, *,
              labels: tuple[tuple[str, ...], ...] | None = None) -> None:
        self.send_decision(source, Decision(gate.id, kind, message, labels=labels, generation=gate.generation))

    @work(group="gate-replies")
    async def send_decision(self, source: Source, decision: Decision) -> None:
        """Send one decision (its source's service sends it exactly once) and say how it ended."""
        result = await source.service.decide(decision)
        self.post_message(StreamNotice(result.text, severity=_SEVERITY[result.status], topic="gate",
                                       source=source.index))

    # --- batches ---------------------------------------------------------------------------

    def _decide_marked(self, kind: str) -> None:
        """y/Enter allows once, n rejects: every marked gate this can go to, after a
        confirmation that lists exactly those. Never "always", never a message."""
        if kind == "always":
            self.notify("'always' is never applied to a batch: decide those one at a time (Esc unmarks).",
                        severity="warning")
            return
        if kind == "reject-message":
            self.notify("A message goes with one gate at a time: n rejects the marked gates without one "
                        "(Esc unmarks).", severity="warning")
            return
        verb = "reject" if kind == "reject" else "allow"
        batch: list[tuple[Source, Gate, DecisionKind]] = []
        left_out: list[str] = []
        for key in [key for key in self._keys if key in self.marked]:  # in queue order
            found = self.inbox.gate(key)
            if found is None:
                continue
            source, gate = found
            what = self._batch_line(source, gate)
            if isinstance(gate, Question):
                if verb == "allow":
                    left_out.append(f"{what} (a question: answer it with Enter)")
                elif not source.capabilities.question_reject:
                    left_out.append(f"{what} (this server cannot reject a question)")
                else:
                    batch.append((source, gate, "reject-question"))
            else:
                batch.append((source, gate, "once" if verb == "allow" else "reject"))
        if not batch:
            self.notify("None of the marked gates can be " + ("allowed once" if verb == "allow" else "rejected")
                        + ": " + "; ".join(left_out), severity="warning")
            return
        head = (f"Allow each of these {len(batch)} once?" if verb == "allow"
                else f"Reject these {len(batch)}? (A reject stops the agent's turn on most servers.)")
        risky = sum(1 for source, gate, _ in batch
                    if isinstance(gate, PermissionRequest) and self.risk(gate, source).risky)
        if risky and verb == "allow":
            head += f"\n⚠ {risky} of them {'is' if risky == 1 else 'are'} risky (marked ⚠)."
        lines = [f"  {self._batch_line(source, gate)}" for source, gate, _ in batch[:12]]
        if len(batch) > 12:
            lines.append(f"  … and {len(batch) - 12} more")
        if left_out:
            lines.append(f"\nLeft out ({len(left_out)}):")
            lines.extend(f"  {line}" for line in left_out[:6])
        decisions = [(source, gate, Decision(gate.id, kind_, generation=gate.generation))
                     for source, gate, kind_ in batch]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.marked.clear()
                self.refresh_rows(None)
                self.send_batch(verb, decisions)

        self.app.push_screen(ConfirmScreen(head + "\n" + "\n".join(lines)), confirmed)

    def _batch_line(self, source: Source, gate: Gate) -> str:
        where = f"{shorten(source.label, 10)} · " if self.inbox.several else ""
        title = shorten(self._session_title(source, gate.session_id), 20)
        risky = isinstance(gate, PermissionRequest) and self.risk(gate, source).risky
        return f"{'⚠ ' if risky else ''}{where}{title} · {describe_gate(gate, 44)}"

    @work(group="gate-replies")
    async def send_batch(self, verb: str, decisions: list[tuple[Source, Gate, Decision]]) -> None:
        """Send the confirmed decisions, one by one (each once, to its own source)."""
        results = []
        for source, gate, decision in decisions:
            results.append((source, gate, await source.service.decide(decision)))
        self.post_message(self.BatchDone(verb, results))

    def on_gates_view_batch_done(self, message: BatchDone) -> None:
        message.stop()
        done = sum(1 for _, _, result in message.results if result.ok)
        verb = "Allowed once" if message.verb == "allow" else "Rejected"
        several = self.inbox.several
        others = [f"{source.label}: {result.text}" if several else result.text
                  for source, _, result in message.results if not result.ok]
        text = f"{verb} {done} of {len(message.results)}"
        if others:
            text += "; " + "; ".join(others[:3]) + (f" (+{len(others) - 3} more)" if len(others) > 3 else "")
        self.notify(text, severity="information" if not others else "warning")

    def _session_title(self, source: Source, session_id: str | None) -> str:
        session = source.store.sessions.get(session_id or "")
        return (session.title if session else None) or session_id or ""

    def action_move(self, delta: int) -> None:
        table = self.table
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_open_call(self) -> None:
        found = self._shown()
        if found is None or not found[1].session_id:
            return
        source, gate = found
        tool = gate.tool
        self.post_message(self.OpenCall(self.inbox.key(source, gate.session_id or ""),
                                        tool.message_id if tool else None, tool.call_id if tool else None))


_SEVERITY: dict[DecisionStatus, Severity] = {
    "ok": "information", "elsewhere": "information", "checking": "warning",
    "refused": "error", "busy": "warning", "gone": "information",
}
