"""The Textual app: a status bar, four views (1 sessions, 2 stream, 3 jobs, 4 gates)
and the one worker that keeps the store current.

The data source is injected (``client``), the clock too, so tests can drive the app
against the reference server or post the same Messages the worker posts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer

from ..api.client import HoodyClient
from ..api.cli_agent import CliAgentComplete, CliAgentProgress, CliAgentSnapshot
from ..api.errors import Conflict, HoodyError
from ..events.items import ConnectionState
from ..api.permissions import PermissionRequest
from ..diagnostics import Redactor, write_crash_report
from ..gates.audit import AuditLog, AuditRecord
from ..gates.ledger import Decision, Ledger, Outcome
from ..gates.risk import always_breadth
from ..runtime import freeze_long_lived, tune_garbage_collector
from ..store.changes import Changes
from ..store.state import WorkspaceStore
from ..store.sync import fetch_core, fetch_details
from ..text import markup_literal, neutralise, one_line, shorten
from ..paths import stylesheet
from .messages import ActionDone, ActionFailed, ConnectionChanged, StoreChanged, StreamNotice
from .screens.confirm import ConfirmScreen
from .screens.details import DetailsScreen
from .screens.help import HelpScreen
from .screens.prompt import TextPromptScreen
from .notify import desktop_notification, set_terminal_title
from .views.base import TableView
from .views.gates import GatesView
from .views.jobs import JobsView
from .views.sessions import SessionsView
from .views.stream import StreamView
from .widgets.status_bar import StatusBar
from .worker import EventPump

__all__ = ["HoodyApp", "AppOptions", "VIEWS"]

if TYPE_CHECKING:  # the panels are imported when first opened (start-up time)
    from .screens.cli_agent import StartCliAgent
    from .screens.job_detail import FetchJobOutput, JobDetailScreen
    from .screens.loop import LoopScreen, StartLoop, StopLoop

VIEWS = ("sessions", "stream", "jobs", "gates")
EARLIER_PAGE = 100
"""Messages added to a stream's history each time the user asks for earlier ones."""


@dataclass(frozen=True)
class AppOptions:
    """What the app connects to and how it looks."""

    url: str
    workspace: str
    token: str | None = None
    insecure: bool = False
    api_prefix: str = "/api/v1"
    theme: str | None = None
    server_label: str | None = None
    audit_log: Path | None = None
    bell: bool = True
    gate_toasts: bool = True
    gate_settle: float = 0.35
    """Seconds a gate must be on screen before a key may decide it."""
    tune_gc: bool = False
    """Tune the garbage collector for a long run once the app is up (the command line
    turns it on; tests that start many apps in one process leave it off)."""
    view_refresh: float = 0.04
    """Least seconds between two updates of the views from the store (0: at once).
    The gap grows with what an update costs, so a flood of events cannot starve the
    screen or the keyboard; the store itself is always current."""
    desktop_notifications: bool = False

    def __repr__(self) -> str:
        return f"AppOptions(url={self.url!r}, workspace={self.workspace!r}, token={'set' if self.token else 'none'})"


class HoodyApp(App[int]):
    CSS_PATH = [stylesheet("app.tcss")]
    TITLE = "hoody-tui"
    BINDINGS = [
        Binding("1", "show('sessions')", "Sessions", id="app.sessions", tooltip="All sessions of the workspace"),
        Binding("2", "show('stream')", "Stream", id="app.stream", tooltip="The selected session's messages, live"),
        Binding("3", "show('jobs')", "Jobs", id="app.jobs", tooltip="Background jobs"),
        Binding("4", "show('gates')", "Gates", id="app.gates", tooltip="Permission requests and questions waiting for you"),
        Binding("escape", "back", "Back", id="app.back", tooltip="Go back (clears a session filter first)"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Keys for what is focused"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave hoody-tui"),
    ]

    def __init__(
        self,
        options: AppOptions,
        *,
        client: HoodyClient | None = None,
        clock: Callable[[], float] = time.time,
        start_worker: bool = True,
    ) -> None:
        super().__init__()
        self.options = options
        self.clock = clock
        self.client = client or HoodyClient(
            options.url, options.workspace, options.token,
            api_prefix=options.api_prefix, verify=not options.insecure,
        )
        self.store = WorkspaceStore()
        self.ledger = Ledger()
        self.audit = AuditLog(options.audit_log)
        self._known_gates: set[str] = set()
        self._terminal_title = ""
        self.start_worker = start_worker
        self.current_view = "sessions"
        self._dirty: set[str] = set()
        self._previous_view = "sessions"
        # Store changes not yet shown by the views, and the pacing of view updates.
        self._pending: Changes | None = None
        self._flush_timer: Timer | None = None
        self._last_flush = 0.0
        self._flush_gap = options.view_refresh
        self.view_flushes = 0
        if options.theme and options.theme in self.available_themes:
            self.theme = options.theme

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The main screen's widgets are kept by reference: App.query_one looks at the
        # active screen, which may be a modal on top of them.
        label = self.options.server_label or self.options.url
        self.status_bar = StatusBar(label, self.options.workspace, clock=self.clock, insecure=self.options.insecure)
        self.switcher = ContentSwitcher(initial="sessions", id="views")
        self.sessions_view = SessionsView(self.store, clock=self.clock, id="sessions")
        self.stream_view = StreamView(self.store, id="stream")
        self.jobs_view = JobsView(self.store, clock=self.clock, id="jobs")
        self.gates_view = GatesView(self.store, clock=self.clock, ledger=self.ledger, settle=self.options.gate_settle, id="gates")
        self._views = {"sessions": self.sessions_view, "stream": self.stream_view, "jobs": self.jobs_view, "gates": self.gates_view}
        yield self.status_bar
        with self.switcher:
            yield from self._views.values()
        yield Footer()

    def _fatal_error(self) -> None:
        """An unexpected exception: no raw traceback on the terminal. The redacted
        traceback goes to a crash report, and the terminal gets one readable line."""
        error = self._exception or RuntimeError("unknown error")
        path = write_crash_report(error, Redactor(self.options.token))
        where = f"the details are in {path}" if path else "the details could not be saved"
        text = neutralise(shorten(f"{type(error).__name__}: {error}", 300))
        self._exit_renderables.append(
            Text(f"hoody-tui stopped on an unexpected error ({text}); {where}. Please attach it to a bug report.")
        )
        self.bell()
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda _theme: refresh_all(self))
        self.sessions_view.focus_table()
        if self.options.tune_gc:
            tune_garbage_collector()
        self.set_interval(1.0, self._tick_views, name="relative times")
        if self.start_worker:
            self.consume_events()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    def view(self, name: str):  # noqa: ANN201
        return self._views[name]

    # --- the event worker ----------------------------------------------------------------

    @work(exclusive=True, group="events", name="event worker")
    async def consume_events(self) -> None:
        self.load_workspace_path()
        pump = EventPump(self.client.events(), self.store, self.post_message, self._snapshot, self._details)
        await pump.run()

    async def _snapshot(self):  # noqa: ANN202
        snapshot = await fetch_core(self.client)
        # A gate we answered is gone whatever a listing taken mid-reply says.
        snapshot.permissions = [p for p in snapshot.permissions if not self.ledger.absorbs(p.id)]
        snapshot.questions = [q for q in snapshot.questions if not self.ledger.absorbs(q.id)]
        return snapshot

    async def _details(self, snapshot):  # noqa: ANN001, ANN202
        return await fetch_details(self.client, snapshot.sessions)

    @work(group="workspace-path", exclusive=True)
    async def load_workspace_path(self) -> None:
        """The workspace's path, so the risk marks can flag writes outside it."""
        try:
            paths = await self.client.paths()
        except HoodyError:
            return
        self.gates_view.workspace_path = paths.worktree or paths.directory
        self.gates_view._risks.clear()  # noqa: SLF001
        self.gates_view.refresh_rows(None)

    _been_live = False
    """The workspace stream has been live at least once (start-up failures are told apart)."""

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if not self.status_bar.is_mounted:
            return
        state = message.state
        self.status_bar.connection = state
        if state.phase == "live":
            self._been_live = True
        elif state.phase == "unauthorized":
            self.notify(
                "The server rejected the token. Set HOODY_TOKEN or use --token-file, then restart.",
                title="Token rejected", severity="error", timeout=30,
            )
        elif state.phase == "forbidden":
            self.notify(
                f"The token is valid but may not open workspace {self.options.workspace} (HTTP 403). "
                "Check --workspace (or HOODY_WORKSPACE) and that the token has access to it, then restart. "
                "Not retrying.",
                title="Access forbidden", severity="error", timeout=30,
            )
        elif state.phase == "reconnecting" and state.attempt == 1 and not self._been_live:
            # Nothing has worked since start-up: say what is wrong once; the status bar
            # keeps counting the attempts.
            reason = state.reason or "The server cannot be reached"
            check = "Check --url (or HOODY_URL); " if "cannot reach" in reason or "timed out" in reason else ""
            self.notify(
                f"{reason}. Still trying: the status bar shows the next attempt. {check}q quits.",
                title="Cannot connect", severity="error", timeout=30,
            )

    def on_store_changed(self, message: StoreChanged) -> None:
        if not self.status_bar.is_mounted:  # shutting down
            return
        changes = message.changes
        for gate_id in changes.permissions_removed | changes.questions_removed:
            self.ledger.forget(gate_id)
        if changes.resynced:
            settled = self.ledger.resynced(set(self.store.permissions) | set(self.store.questions))
            for gate_id, outcome in settled.items():
                if outcome is Outcome.REFUSED:
                    self.notify("A reply did not reach the server; the gate is still pending. Press the key again.",
                                severity="warning")
        if self._pending is None:
            self._pending = Changes()
        self._pending.merge(changes)
        if self._flush_timer is None:
            wait = self._last_flush + self._flush_gap - time.monotonic()
            if wait <= 0:
                self.flush_views()
            else:
                self._flush_timer = self.set_timer(wait, self.flush_views, name="view refresh")

    def _tick_views(self) -> None:
        view = self.view(self.current_view)
        if isinstance(view, TableView) and not self._shutting_down():
            view.refresh_times()

    def _shutting_down(self) -> bool:
        return self._exit or self._closing or self._closed or not self.screen_stack or not self.sessions_view.is_attached

    def flush_views(self) -> None:
        """Show what the store changed since the last time, on every widget at once."""
        self._flush_timer = None
        changes, self._pending = self._pending, None
        if changes is None or self._exit or not self.status_bar.is_mounted:
            return  # nothing new, or shutting down (a paced update may fire during teardown)
        started = time.monotonic()
        self.view_flushes += 1
        store = self.store
        bar = self.status_bar
        bar.busy = store.busy_count()
        bar.jobs = store.active_jobs()
        bar.gates = len(store.permissions) + len(store.questions)
        self._notice_new_gates(changes)
        if changes.resynced and self.options.tune_gc:
            freeze_long_lived()  # the listing just loaded lives long: keep it out of collections
        from .screens.job_detail import JobDetailScreen
        from .screens.loop import LoopScreen

        screen = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(screen, JobDetailScreen) and screen.job_id in changes.jobs:
            screen.refresh_job()
        elif isinstance(screen, LoopScreen) and screen.session_id in changes.loops:
            screen.refresh_loop()
        elif isinstance(screen, LoopScreen) and screen.session_id in changes.sessions:
            self.poll_loop(screen.session_id)
        try:
            with self.batch_update():
                for name in VIEWS:
                    if name == self.current_view:
                        self.view(name).apply_changes(changes)
                    else:
                        self._dirty.add(name)
        except NoMatches:
            # A paced update can run while Textual takes the screens apart on exit
            # (from its queue of pending callbacks): a view without its children then
            # has nothing to update. At any other time this is a bug: let it surface.
            if self._shutting_down():
                return
            raise
        for session_id, text in changes.errors[:3]:
            session = store.sessions.get(session_id or "")
            where = shorten((session.title if session else None) or session_id or "workspace", 40)
            self.notify(neutralise(shorten(text, 200)), title=f"Error in {where}", severity="error")
        now = time.monotonic()
        self._last_flush = now
        # Spend at most about a third of the time updating views, within [view_refresh, 0.5 s].
        self._flush_gap = min(0.5, max(self.options.view_refresh, 2 * (now - started))) if self.options.view_refresh else 0.0

    def _notice_new_gates(self, changes: Changes) -> None:
        store = self.store
        # Only the gates this update touched are looked at (not the whole queue, which
        # may hold 10,000 while events pour in): new = touched, pending, not seen before.
        known = self._known_gates
        known.difference_update(changes.permissions_removed | changes.questions_removed)
        touched = changes.permissions | changes.questions
        new = [gate for gate_id in touched if gate_id not in known
               and (gate := store.permissions.get(gate_id) or store.questions.get(gate_id)) is not None]
        new.sort(key=lambda g: store.gate_seq.get(g.id, 0))
        if changes.resynced:
            known.clear()
            known.update(store.permissions, store.questions)
        else:
            known.update(g.id for g in new)
        count = len(store.permissions) + len(store.questions)
        title = f"({count}) hoody-tui" if count else "hoody-tui"
        if title != self._terminal_title:
            self._terminal_title = title
            set_terminal_title(self, title)
        if not new:
            return
        if self.options.bell:
            self.bell()
        if not self.options.gate_toasts:
            return
        if changes.resynced and len(new) > 1:
            self.notify(f"{len(new)} gates are waiting for you: press 4", title="Gates", severity="warning", timeout=6)
            return
        for gate in new[:3]:
            session = store.sessions.get(gate.session_id or "")
            where = shorten((session.title if session else None) or gate.session_id or "", 40)
            if isinstance(gate, PermissionRequest):
                what = f"{gate.permission}: {gate.command or gate.filepath or ', '.join(gate.patterns)}"
            else:
                what = f"question: {gate.text}"
            self.notify(neutralise(shorten(what, 120)), title=f"Waiting in {neutralise(where)} (4)", severity="warning", timeout=5)
            if self.options.desktop_notifications:
                desktop_notification(self, f"hoody-tui: {where}", what)
        if len(new) > 3:
            self.notify(f"+{len(new) - 3} more gates waiting", severity="warning")

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,  # noqa: ANN001
               markup: bool = True) -> None:
        """Every toast shows its words literally: messages and titles quote session titles,
        commands and server errors, so they are neutralised and never read as markup
        (``markup`` is accepted for Textual's callers and ignored)."""
        super().notify(neutralise(str(message)), title=one_line(str(title)), severity=severity, timeout=timeout, markup=False)

    def on_stream_notice(self, message: StreamNotice) -> None:
        self.notify(message.text, severity=message.severity, timeout=6)

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.text, timeout=4)

    def on_action_failed(self, message: ActionFailed) -> None:
        self.notify(message.text, severity="error", timeout=10)

    # --- navigation ----------------------------------------------------------------------

    def action_show(self, name: str) -> None:
        if name == "jobs":
            self.jobs_view.set_scope(self.stream_view.session_id if self.current_view == "stream" else None)
            self._dirty.add("jobs")
        if name == "gates" and self.current_view == "stream":
            self.gates_view.session_filter = self.stream_view.session_id
            self._dirty.add("gates")
        elif name == "gates":
            self.gates_view.session_filter = None
            self._dirty.add("gates")
        if name != self.current_view:
            self._previous_view = self.current_view
        self.current_view = name
        self.switcher.current = name
        view = self.view(name)
        if name in self._dirty:
            self._dirty.discard(name)
            if name == "stream":
                view.show_session(view.session_id)
            else:
                view.refresh_rows(None)
        view.focus_table()

    def action_back(self) -> None:
        if self.current_view == "jobs" and self.jobs_view.scope_session:
            self.jobs_view.set_scope(None)
            self.jobs_view.refresh_rows(None)
            return
        if self.current_view == "gates" and self.gates_view.session_filter:
            self.gates_view.session_filter = None
            self.gates_view.refresh_rows(None)
            return
        if self.current_view != "sessions":
            self.action_show("stream" if self.current_view == "gates" and self._previous_view == "stream" else "sessions")

    def on_sessions_view_open(self, message: SessionsView.Open) -> None:
        self.open_stream(message.session_id)

    def open_stream(self, session_id: str) -> None:
        self.store.focus(session_id)  # its whole history is kept from now on (and listed below)
        self.stream_view.show_session(session_id)
        self.action_show("stream")
        self.load_messages(session_id)

    @work(group="load-messages", exclusive=True)
    async def load_earlier(self, session_id: str) -> None:
        if not self.store.hidden_earlier(session_id):
            self.post_message(ActionDone("earlier", "This is the whole conversation."))
            return
        try:
            messages = await self.client.messages(session_id)
        except HoodyError as exc:
            self.post_message(ActionFailed("earlier", str(exc)))
            return
        self.stream_view.message_list.follow = False
        self.post_message(StoreChanged(self.store.load_earlier(session_id, messages, EARLIER_PAGE)))

    @work(group="load-messages", exclusive=True)
    async def load_messages(self, session_id: str) -> None:
        try:
            messages = await self.client.messages(session_id)
        except HoodyError as exc:
            self.post_message(ActionFailed("load-messages", str(exc)))
            return
        self.post_message(StoreChanged(self.store.load_messages(session_id, messages)))

    # --- help and palette ----------------------------------------------------------------

    def action_help(self) -> None:
        ours: list[tuple[str, str, str]] = []
        builtin: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            row = (self.get_key_display(binding), binding.description, active.tooltip or binding.tooltip)
            # Our own bindings (they all have ids) first, then the widgets' standard keys.
            (ours if binding.id else builtin).append(row)
        rows = ours + builtin
        focused = self.focused
        where = {"sessions": "Sessions", "stream": "Stream", "jobs": "Jobs", "gates": "Gates"}[self.current_view]
        title = f"Keys in {where}" + (f" ({type(focused).__name__})" if focused else "")
        self.push_screen(HelpScreen(title, rows))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, text in (("sessions", "Sessions"), ("stream", "Stream"), ("jobs", "Jobs"), ("gates", "Gates")):
            yield SystemCommand(f"Go to {text}", f"Show the {text.lower()} view", lambda n=name: self.action_show(n))
        for session in list(self.store.sessions.values())[:200]:
            # The palette reads a command's title and help as markup: escape the agent's words.
            title = markup_literal(shorten(session.title or session.id, 60))
            yield SystemCommand(f"Open session: {title}", markup_literal(session.id),
                                lambda s=session.id: self.open_stream(s))

    # --- gates ---------------------------------------------------------------------------

    def on_gates_view_need_rules(self, message: GatesView.NeedRules) -> None:
        self.load_rules(message.session_id)

    @work(group="rules")
    async def load_rules(self, session_id: str) -> None:
        try:
            rules = await self.client.session_permissions(session_id)
        except HoodyError as exc:
            self.gates_view.rules_loaded(session_id, None, str(exc.message))
            return
        self.gates_view.rules_loaded(session_id, rules, None)

    def on_gates_view_open_call(self, message: GatesView.OpenCall) -> None:
        self.stream_view.focus_call = message.call_id
        self.open_stream(message.session_id)

    def on_gates_view_decide(self, message: GatesView.Decide) -> None:
        gate_id, kind = message.gate_id, message.kind
        store = self.store
        if self.ledger.locked(gate_id):
            self.notify("A decision for this gate is already on its way.", severity="warning")
            return
        request = store.permissions.get(gate_id)
        question = store.questions.get(gate_id)
        if request is None and question is None:
            self.notify("That gate is gone: it was answered elsewhere.")
            return
        if request is not None:
            if kind == "once":
                self.send_decision(Decision(gate_id, "once"))
            elif kind == "reject":
                self.send_decision(Decision(gate_id, "reject"))
            elif kind == "reject-message":
                self.push_screen(
                    TextPromptScreen("Reject with a message for the agent", placeholder="why not, or what to do instead",
                                     note="Reject may also stop the session's turn and its other pending requests."),
                    lambda text: text and self.send_decision(Decision(gate_id, "reject", text)),
                )
            elif kind == "always":
                self._confirm_always(request)
            return
        assert question is not None
        if kind == "answer-option" and message.option is not None:
            labels = [o.label for item in question.questions for o in item.options]
            if 1 <= message.option <= len(labels):
                self.send_decision(Decision(gate_id, "answer", labels[message.option - 1]))
        elif kind == "answer-typed":
            self.push_screen(
                TextPromptScreen(f"Answer: {shorten(question.text, 60)}", placeholder="your answer"),
                lambda text: text and self.send_decision(Decision(gate_id, "answer", text)),
            )
        elif kind == "reject-question":
            self.push_screen(
                TextPromptScreen("Reject the question", placeholder="reason (optional)", allow_empty=True),
                lambda text: text is not None and self.send_decision(Decision(gate_id, "reject-question", text or None)),
            )

    def _confirm_always(self, request: PermissionRequest) -> None:
        patterns = "\n".join(f"  {neutralise(p)}" for p in request.always) or "  (none: this acts like once)"
        risk = self.gates_view.risk(request)
        question = f"Always allow {neutralise(request.permission or 'this')} in this session for:\n{patterns}"
        breadth = always_breadth(request)
        if breadth:
            question += f"\n\nNote: {breadth}."

        def second(yes: bool | None) -> None:
            if yes:
                self.send_decision(Decision(request.id, "always"))

        def first(yes: bool | None) -> None:
            if not yes:
                return
            if risk.risky:
                self.push_screen(ConfirmScreen(f"This one is risky: {risk.describe()}.\nReally allow it always?"), second)
            else:
                second(True)

        self.push_screen(ConfirmScreen(question), first)

    @work(group="gate-replies")
    async def send_decision(self, decision: Decision) -> None:
        """Send one decision, exactly once, and settle its gate by the outcome."""
        store = self.store
        gate = store.permissions.get(decision.gate_id) or store.questions.get(decision.gate_id)
        if gate is None or not self.ledger.begin(decision):
            return
        self.gates_view.refresh_rows(None)
        try:
            if decision.kind in ("once", "always", "reject"):
                await self.client.reply_permission(decision.gate_id, decision.kind, decision.message)  # type: ignore[arg-type]
            elif decision.kind == "answer":
                await self.client.reply_question(decision.gate_id, decision.message or "")
            else:
                await self.client.reject_question(decision.gate_id, decision.message)
        except HoodyError as exc:
            outcome = self.ledger.failed(decision.gate_id, exc)
            self._audit(gate, decision, outcome.value if outcome is not Outcome.REFUSED else f"refused: {exc.message}")
            if outcome is Outcome.GONE:
                self.post_message(StoreChanged(store.remove_gate(decision.gate_id)))
                self.post_message(ActionDone("gate", "That gate was already answered elsewhere; dropped it."))
            elif outcome is Outcome.CHECKING:
                self.post_message(ActionFailed("gate", f"No answer from the server ({exc.message}); checking whether the reply arrived…"))
                self.check_gates()
            else:
                self.post_message(ActionFailed("gate", f"Not accepted: {exc}"))
            self.gates_view.refresh_rows(None)
            return
        self.ledger.succeeded(decision.gate_id)
        self._audit(gate, decision, "ok")
        self.post_message(StoreChanged(store.remove_gate(decision.gate_id)))
        verb = {"once": "Allowed once", "always": "Allowed always", "reject": "Rejected",
                "answer": "Answered", "reject-question": "Rejected the question"}[decision.kind]
        self.post_message(ActionDone("gate", verb))

    @work(group="check-gates", exclusive=True)
    async def check_gates(self) -> None:
        """List the pending gates until the server answers, to settle replies of unknown fate."""
        delay = 1.0
        while True:
            try:
                permissions, questions = await asyncio.gather(self.client.pending_permissions(), self.client.questions())
            except HoodyError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
                continue
            pending = {p.id for p in permissions} | {q.id for q in questions}
            settled = self.ledger.resynced(pending)
            for gate_id, outcome in settled.items():
                if outcome is Outcome.DONE:
                    self.post_message(StoreChanged(self.store.remove_gate(gate_id)))
                    self.post_message(ActionDone("gate", "The reply had arrived after all."))
                else:
                    self.post_message(ActionFailed("gate", "The reply did not arrive; the gate is still pending. Press the key again."))
            self.gates_view.refresh_rows(None)
            return

    def _audit(self, gate, decision: Decision, outcome: str) -> None:  # noqa: ANN001
        if isinstance(gate, PermissionRequest):
            kind, tool = "permission", gate.permission
            subject = gate.command or gate.filepath or ", ".join(gate.patterns)
        else:
            kind, tool, subject = "question", None, gate.text
        record = AuditRecord(
            time=self.clock(), server=self.options.url, workspace=self.options.workspace, session=gate.session_id,
            gate=gate.id, kind=kind, tool=tool, subject=subject, decision=decision.kind,
            message=decision.message, outcome=outcome,
        )
        if not self.audit.write(record) and self.audit.error:
            self.notify(self.audit.error, severity="error")
            self.audit.error = None

    # --- session actions -----------------------------------------------------------------

    def on_sessions_view_act(self, message: SessionsView.Act) -> None:
        self._session_action(message.action, message.session_id)

    def on_stream_view_act(self, message: StreamView.Act) -> None:
        self._session_action(message.action, message.session_id)

    def _session_action(self, action: str, session_id: str) -> None:
        session = self.store.sessions.get(session_id)
        title = shorten((session.title if session else None) or session_id, 60)
        if action == "earlier":
            self.load_earlier(session_id)
            return
        if action == "loop":
            from .screens.loop import LoopScreen

            self.push_screen(LoopScreen(self.store, session_id))
            self.poll_loop(session_id)
            self._arm_loop_poll(session_id)
            return
        if action == "cli-agent":
            from .screens.cli_agent import CliAgentScreen

            self.push_screen(CliAgentScreen(session_id, title))
            return
        if action == "abort":
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.abort_session(session_id, title)

            self.push_screen(ConfirmScreen(f"Abort the current turn of “{title}”?"), confirmed)
        else:
            self.show_details(action, session_id, title)

    # --- loops ---------------------------------------------------------------------------

    def _arm_loop_poll(self, session_id: str) -> None:
        """No loop event is documented: poll every 5 s while the loop panel is open
        (a one-shot timer re-armed each time, so nothing runs once it is closed)."""

        from .screens.loop import LoopScreen

        def tick() -> None:
            screen = self.screen
            if isinstance(screen, LoopScreen) and screen.session_id == session_id:
                self.poll_loop(session_id)
                self._arm_loop_poll(session_id)

        self.set_timer(5.0, tick)

    @work(group="loop-poll", exclusive=True)
    async def poll_loop(self, session_id: str) -> None:
        try:
            loop = await self.client.get_loop(session_id)
        except HoodyError:
            return
        self.post_message(StoreChanged(self.store.set_loop(session_id, loop)))

    def on_start_loop(self, message: StartLoop) -> None:
        self.start_loop(message.screen, message.prompt, message.iters)

    @work(group="loop-action")
    async def start_loop(self, screen: LoopScreen, prompt: str, iters: int) -> None:
        try:
            loop = await self.client.start_loop(screen.session_id, prompt, iters)
        except HoodyError as exc:
            screen.failed(exc)
            return
        self.post_message(StoreChanged(self.store.set_loop(screen.session_id, loop)))
        screen.done(f"Loop started: {iters} iterations.")

    def on_stop_loop(self, message: StopLoop) -> None:
        screen = message.screen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.stop_loop(screen)
            else:
                screen.done("")

        self.push_screen(ConfirmScreen("Stop the loop? This also cancels its running prompt."), confirmed)

    @work(group="loop-action")
    async def stop_loop(self, screen: LoopScreen) -> None:
        try:
            await self.client.stop_loop(screen.session_id)
        except HoodyError as exc:
            screen.failed(exc)
            return
        self.post_message(StoreChanged(self.store.set_loop(screen.session_id, None)))
        screen.done("Loop stopped.")

    # --- CLI-agent runs ------------------------------------------------------------------

    def on_start_cli_agent(self, message: StartCliAgent) -> None:
        self.run_cli_agent(message)

    @work(group="cli-agent")
    async def run_cli_agent(self, request: StartCliAgent) -> None:
        screen = request.screen
        try:
            started = await self.client.start_cli_agent(
                screen.session_id, request.agent, request.prompt, model=request.model,
                git=request.git or None, timeout_ms=request.timeout_ms,
            )
        except HoodyError as exc:
            screen.failed(exc)
            return
        screen.started(started.job_id)
        async for item in self.client.cli_agent_stream(screen.session_id, started.job_id):
            if isinstance(item, CliAgentSnapshot):
                job = item.job
                screen.progress(job.percent, job.progress.message if job.progress else job.status)
            elif isinstance(item, CliAgentProgress):
                screen.progress(item.percent, item.message)
            elif isinstance(item, CliAgentComplete):
                screen.complete(item.job.status, item.job.output)
                self.post_message(ActionDone("cli-agent", f"CLI-agent run {started.job_id}: {item.job.status}"))
            elif isinstance(item, ConnectionState) and item.phase not in ("live", "closed"):
                screen.stream_state(item.describe())

    # --- jobs ----------------------------------------------------------------------------

    def on_jobs_view_need_page(self, message: JobsView.NeedPage) -> None:
        self.load_jobs_page(message.session_id, message.status, message.cursor)

    @work(group="jobs-page", exclusive=True)
    async def load_jobs_page(self, session_id: str, status: str, cursor: str | None) -> None:
        try:
            page = await self.client.list_jobs_page(session_id, status=status, limit=100, cursor=cursor)  # type: ignore[arg-type]
        except HoodyError as exc:
            self.jobs_view.page_loaded(None)
            self.post_message(ActionFailed("jobs", str(exc)))
            return
        self.post_message(StoreChanged(self.store.add_jobs(page.jobs)))
        self.jobs_view.page_loaded(page.next_cursor if len(page.jobs) >= 100 else None)

    def on_jobs_view_act(self, message: JobsView.Act) -> None:
        action, session_id, ids = message.action, message.session_id, message.job_ids
        if session_id is None:
            self.notify("This job has no session, so the server has no route to act on it.", severity="warning")
            return
        if action == "details":
            from .screens.job_detail import JobDetailScreen

            self.push_screen(JobDetailScreen(self.store, ids[0]))
        elif action == "cancel":
            self.push_screen(ConfirmScreen(f"Cancel job {ids[0]}?"), lambda yes: yes and self.job_action("cancel", session_id, ids))
        elif action == "cancel-many":
            self.push_screen(ConfirmScreen(f"Cancel {len(ids)} marked jobs?"), lambda yes: yes and self.job_action("cancel-many", session_id, ids))
        else:
            self.job_action(action, session_id, ids)

    def on_fetch_job_output(self, message: FetchJobOutput) -> None:
        self.fetch_job_output(message.detail)

    @work(group="job-output", exclusive=True)
    async def fetch_job_output(self, screen: JobDetailScreen) -> None:
        job = self.store.jobs.get(screen.job_id)
        if job is None or not job.session_id:
            return
        try:
            output = await self.client.job_output(job.session_id, job.id)
        except HoodyError as exc:
            self.post_message(ActionFailed("job-output", str(exc)))
            return
        screen.show_full_output(output)

    @work(group="job-action")
    async def job_action(self, action: str, session_id: str, ids: list[str]) -> None:
        client = self.client
        try:
            if action == "cancel":
                result = await client.cancel_job(session_id, ids[0])
                self.post_message(StoreChanged(self.store.add_jobs([result.job])))
                text = f"Cancelled job {ids[0]}" if result.cancelled else f"Job {ids[0]} had already ended ({result.job.status})"
            elif action == "cancel-many":
                bulk = await client.cancel_jobs(session_id, ids)
                failures = ", ".join(f"{f.job_id}: {f.reason}" for f in bulk.failed)
                text = f"Cancelled {bulk.cancelled} of {len(ids)} jobs" + (f"; not cancelled: {failures}" if failures else "")
                fresh = [await client.get_job(session_id, job_id) for job_id in ids[:50]]
                self.post_message(StoreChanged(self.store.add_jobs(fresh)))
            elif action == "retry":
                retried = await client.retry_job(session_id, ids[0])
                new_job = await client.get_job(session_id, retried.job_id)
                self.post_message(StoreChanged(self.store.add_jobs([new_job])))
                text = f"Retrying {ids[0]} as new job {retried.job_id}"
            elif action == "inject":
                injected = await client.inject_jobs(session_id, ids or None)
                text = injected.message or f"Injected {injected.injected} job result(s)"
            else:
                return
        except Conflict as exc:
            if exc.code == "loop_already_active":
                self.post_message(ActionFailed(action, "A prompt loop is active on this session; stop the loop (l) before injecting job results."))
            else:
                self.post_message(ActionFailed(action, str(exc)))
            return
        except HoodyError as exc:
            self.post_message(ActionFailed(action, str(exc)))
            return
        self.post_message(ActionDone(action, text))

    @work(group="session-action")
    async def abort_session(self, session_id: str, title: str) -> None:
        try:
            await self.client.abort(session_id)
        except HoodyError as exc:
            self.post_message(ActionFailed("abort", str(exc)))
            return
        self.post_message(ActionDone("abort", f"Aborted the turn of “{title}”"))

    @work(group="session-details", exclusive=True)
    async def show_details(self, kind: str, session_id: str, title: str) -> None:
        try:
            body = await self._details_text(kind, session_id)
        except HoodyError as exc:
            self.post_message(ActionFailed(kind, str(exc)))
            return
        self.push_screen(DetailsScreen(f"{kind.capitalize()} of “{title}”", body))

    async def _details_text(self, kind: str, session_id: str) -> Text:
        text = Text()
        if kind == "todo":
            todos = await self.client.session_todo(session_id)
            for todo in todos:
                mark = {"completed": "✓", "in_progress": "▶", "cancelled": "⊘"}.get(todo.status or "", "○")
                text.append(f"{mark} {neutralise(todo.content or '')}")
                if todo.priority:
                    text.append(f"  ({todo.priority})", style="dim")
                text.append("\n")
            if not todos:
                text.append("No todo items.")
        elif kind == "diff":
            files = await self.client.session_diff(session_id)
            for diff in files:
                text.append(neutralise(diff.file or "?"), style="bold")
                text.append(f"  +{diff.additions or 0} -{diff.deletions or 0}\n")
            if not files:
                text.append("No changes.")
        else:
            summary = await self.client.session_summary(session_id)
            for key, value in summary.to_json_dict().items():
                text.append(f"{key}: ", style="bold")
                text.append(neutralise(str(value)) + "\n")
        return text


def refresh_all(app: HoodyApp) -> None:
    """Redraw every view from the store (used after a theme change)."""
    for name in VIEWS:
        view = app.view(name)
        if name == "stream":
            view.show_session(view.session_id)
        else:
            view.redraw()
