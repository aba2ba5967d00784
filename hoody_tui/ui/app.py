"""The Textual app: a status bar, four views (1 sessions, 2 stream, 3 jobs, 4 gates), a
flash line and the footer, over an inbox of one or more workspace services (sources).

The App is thin: the workflows are the services' (:mod:`hoody_tui.core`), each view and
screen runs its own workers, and each service's publications arrive here as Messages
that name their source. The inbox (or the service, or the backend to build one on) is
injected, and so is the clock, so tests drive the app against real servers or post the
same Messages the services cause.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from ..core.backend import Backend
from ..core.inbox import Inbox, Source
from ..core.publications import Publication, Severity, StoreUpdated
from ..core.service import WorkspaceService
from ..diagnostics import Redactor, crash_line
from ..gates.audit import AuditLog
from ..gates.ledger import Ledger
from ..paths import stylesheet
from ..runtime import CollectorHold, freeze_long_lived, tune_garbage_collector
from ..store.state import WorkspaceStore
from ..text import markup_literal, neutralise, one_line, shorten
from . import messages as M
from .alerts import Alerts
from .compositor import DashboardScreen, release_idle
from .help import help_rows
from .pacing import Pacer
from .screens.help import HelpScreen
from .views import TITLES, VIEWS
from .views.base import TableView
from .views.gates import GatesView
from .views.jobs import JobsView
from .views.sessions import SessionsView
from .views.stream import StreamView
from .widgets.flash import FlashEntry, FlashLine
from .widgets.footer import KeysFooter
from .widgets.status_bar import StatusBar

__all__ = ["VIEWS", "AppOptions", "HoodyApp"]



@dataclass(frozen=True)
class AppOptions:
    """How the app looks and behaves (what it connects to is the backend's)."""

    theme: str | None = None
    server_label: str | None = None
    insecure: bool = False
    """The connection skips TLS checks (the status bar says so)."""
    audit_log: Path | None = None
    bell: bool = True
    gate_notices: bool = True
    """Say in the flash line when a gate arrives (never while the gates view is on screen)."""
    gate_settle: float = 0.35
    """Seconds a gate must be on screen before a key may decide it."""
    tune_gc: bool = False
    """Tune the garbage collector for a long run once the app is up (the command line
    turns it on; tests that start many apps in one process leave it off)."""
    view_refresh: float = 0.04
    """Least seconds between two updates of the views from the store (0: at once)."""
    desktop_notifications: bool = False
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding ids to keys (the config file's ``[keys]`` table)."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Values a crash report must never hold (the token): they are redacted from it."""


class HoodyApp(App[int]):
    CSS_PATH = [stylesheet("app.tcss")]
    TITLE = "hoody-tui"
    BINDINGS = [
        Binding("1", "show('sessions')", "Sessions", id="app.sessions", tooltip="All sessions of the workspace"),
        Binding("2", "show('stream')", "Stream", id="app.stream", tooltip="The selected session's messages, live"),
        Binding("3", "show('jobs')", "Jobs", id="app.jobs", tooltip="Background jobs"),
        Binding("4", "show('gates')", "Gates", id="app.gates", tooltip="Permission requests and questions waiting for you"),
        Binding("escape", "back", "Back", id="app.back", tooltip="Go back (clears a session filter first)"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Every key, by view"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave hoody-tui"),
    ]

    def __init__(
        self,
        options: AppOptions,
        *,
        backend: Backend | None = None,
        service: WorkspaceService | None = None,
        inbox: Inbox | None = None,
        clock: Callable[[], float] = time.time,
        start_worker: bool = True,
    ) -> None:
        super().__init__()
        if inbox is None:
            if service is None:
                if backend is None:
                    raise ValueError("HoodyApp needs a backend, a workspace service or an inbox")
                service = WorkspaceService(backend, audit=AuditLog(options.audit_log), clock=clock)
            inbox = Inbox.of(service)
        self.options = options
        self.clock = clock
        self.inbox = inbox
        inbox.subscribe(self._bridge)
        self.start_worker = start_worker
        self.current_view = "sessions"
        self._previous_view = "sessions"
        self._dirty: set[str] = set()
        self._frozen = False
        self._collector_hold: CollectorHold | None = None
        """Collections wait while a key is on its way (with tune_gc; see runtime)."""
        self.pacer = Pacer(self.schedule, self._paced_update, options.view_refresh, after=self.paint_now)
        self.idle_held: list[Widget] | None = None
        """While a paced update runs: the widgets whose idle prompt waits for its paint
        (see compositor.idle_held)."""
        self.alerts = Alerts(self)
        self.notices: deque[FlashEntry] = deque(maxlen=100)
        """The last notices, wherever they were shown (the flash line of the screen on top)."""
        if options.theme and options.theme in self.available_themes:
            self.theme = options.theme

    # The first source's (the only one, for a single server): what tests and the single-
    # server paths read. Code that acts on an item goes through the inbox to its source.

    @property
    def service(self) -> WorkspaceService:
        return self.inbox.primary.service

    @property
    def store(self) -> WorkspaceStore:
        return self.inbox.primary.store

    @property
    def ledger(self) -> Ledger:
        return self.inbox.primary.service.ledger

    # --- layout --------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default", held=self.inbox.priority.held)

    def get_driver_class(self) -> type[Driver]:
        """Textual's choice, except that a terminal's input thread sleeps until a key
        (:class:`~.driver.QuietLinuxDriver`); a driver chosen in the environment (web mode)
        is left as it is."""
        chosen = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if chosen is LinuxDriver:
            from .driver import QuietLinuxDriver

            return QuietLinuxDriver
        return chosen

    def compose(self) -> ComposeResult:
        # The main screen's widgets are kept by reference: App.query_one looks at the
        # active screen, which may be a modal on top of them.
        inbox = self.inbox
        backend = inbox.primary.backend
        self.status_bar = StatusBar(self.options.server_label or backend.server, backend.scope, clock=self.clock,
                                    insecure=self.options.insecure, credential=backend.capabilities.credential,
                                    show_jobs=inbox.any(lambda caps: caps.jobs),
                                    sources=inbox.sources if inbox.several else (), ticks=False)
        self.switcher = ContentSwitcher(initial="sessions", id="views")
        self.sessions_view = SessionsView(inbox, clock=self.clock, id="sessions")
        self.stream_view = StreamView(inbox, id="stream")
        self.jobs_view = JobsView(inbox, clock=self.clock, id="jobs")
        self.gates_view = GatesView(inbox, clock=self.clock, settle=self.options.gate_settle, id="gates")
        self._views: dict[str, TableView | StreamView] = {
            "sessions": self.sessions_view, "stream": self.stream_view, "jobs": self.jobs_view, "gates": self.gates_view,
        }
        self.flash = FlashLine(id="flash")
        yield self.status_bar
        with self.switcher:
            yield from self._views.values()
        yield self.flash
        yield KeysFooter()

    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.Key):
            # A key steps the event intake aside from the moment it is queued, not when the
            # app reaches it: under a firehose it waited behind the reader's and the pump's
            # turns first (3-10 ms of a key's ~13 ms to its reply, traced at 10,000 events/s).
            self._key_coming()
        return super().post_message(message)

    def _key_coming(self) -> None:
        """A key is on its way (any thread): the intake steps aside, paints and garbage
        collection wait (core.priority, compositor, runtime.CollectorHold)."""
        self.inbox.priority.begin()
        if self._collector_hold is not None:
            self._collector_hold.begin()

    def _watch_keys_at_the_driver(self) -> None:
        """Begin a key's hold where the driver reads it (its input thread), not when the
        loop first runs the key's delivery: that is a turn of the loop later, and a screen
        update due in the same turn ran first (traced: 33 ms of repaint under a firehose
        between the key and its reply)."""
        driver = self._driver
        if driver is None:
            return
        send = driver.send_message

        def send_message(message: Message) -> None:
            if isinstance(message, events.Key):
                self._key_coming()
            send(message)

        driver.send_message = send_message  # type: ignore[method-assign]

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            # The key's way to its effect takes a few turns of the loop: the event intake
            # steps aside for them (hoody_tui.core.priority), so it never waits behind it.
            self.inbox.priority.begin()
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.options.keymap:
            self.set_keymap(dict(self.options.keymap))
        self.theme_changed_signal.subscribe(self, lambda _theme: self.redraw_all())
        self.sessions_view.focus_table()
        if self.options.tune_gc:
            tune_garbage_collector()
            self._collector_hold = CollectorHold(self.inbox.priority.held, asyncio.get_running_loop())
        self._watch_keys_at_the_driver()
        self.set_interval(1.0, self._tick_views, name="relative times")
        if self.start_worker:
            self.consume_events()
            self.gates_view.load_workspace_path()

    async def on_unmount(self) -> None:
        self.pacer.cancel()
        if self._collector_hold is not None:
            self._collector_hold.close()
        await self.inbox.aclose()

    def schedule(self, wait: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """``callback`` in ``wait`` seconds, from the loop (the Pacer's, and a typed answer's
        next draw; not Textual's ``call_later``, which runs after the app's pending messages);
        an error in it is the app's, as with a Textual timer (which costs a task and an event
        each time)."""
        def run() -> None:
            try:
                callback()
            except Exception as error:
                self._handle_exception(error)
        return asyncio.get_running_loop().call_later(wait, run)

    def view(self, name: str) -> TableView | StreamView:
        return self._views[name]

    def _fatal_error(self) -> None:
        """An unexpected exception: no raw traceback on the terminal. The redacted
        traceback goes to a crash report, and the terminal gets one readable line."""
        error = self._exception or RuntimeError("unknown error")
        self._exit_renderables.append(Text(crash_line(error, Redactor(*self.options.secrets))))
        self.bell()
        self._close_messages_no_wait()

    # --- the service's publications ------------------------------------------------------

    @work(exclusive=True, group="events", name="event worker")
    async def consume_events(self) -> None:
        await self.inbox.run()

    def _bridge(self, source: Source, publication: Publication) -> None:
        """Each publication of a source's service becomes the Message the widgets handle;
        the store's changes go to the pacer directly (see ``pacing``: one update a frame,
        not one pass through the message queue per read)."""
        if isinstance(publication, StoreUpdated):
            self._store_changed({source.index: publication.changes}, defer=True)
        else:
            self.post_message(M.from_publication(publication, source.index))

    def source(self, index: int) -> Source:
        sources = self.inbox.sources
        return sources[index] if 0 <= index < len(sources) else sources[0]

    def on_connection_changed(self, message: M.ConnectionChanged) -> None:
        if not self.status_bar.is_mounted:
            return
        source = self.source(message.source)
        state = message.state
        if message.source == 0 or not self.inbox.several:
            self.status_bar.connection = state
        if self.inbox.several:
            # (tests post this message without going through the inbox)
            source.connection = state
            self.status_bar.refresh_sources()
            self._dirty.update(("sessions", "gates", "jobs"))  # stale rows dim, and back
            view = self.view(self.current_view)
            if isinstance(view, TableView) and not self._shutting_down():
                # (A source's connection changes while Textual takes the screens apart on
                # exit, too: a server that went away keeps being retried.)
                self._dirty.discard(self.current_view)
                view.refresh_rows(None)
        self.alerts.connection(state, source)

    def on_stream_counts(self, message: M.StreamCounts) -> None:
        if self.status_bar.is_mounted and message.source == 0:
            self.status_bar.trouble = (message.malformed, message.reconnects)

    def on_store_changed(self, message: M.StoreChanged) -> None:
        self._store_changed(message.batch)

    def _store_changed(self, batch: M.Batch, *, defer: bool = False) -> None:
        if self.status_bar.is_mounted:  # else shutting down
            for index, changes in batch.items():
                if changes.resynced:  # (tests post this message without going through the inbox)
                    self.source(index).listed = True
            self.pacer.add(batch, defer=defer)

    def on_gates_arrived(self, message: M.GatesArrived) -> None:
        if self._shutting_down():  # (a listing that lands while the app closes: no screen to ask)
            return
        self.alerts.gates_arrived(message.gates, listed=message.listed, source=self.source(message.source),
                                  watching=self.current_view == "gates" and self.screen is self.screen_stack[0])

    def on_stream_notice(self, message: M.StreamNotice) -> None:
        text = message.text
        if self.inbox.several:  # which server it is about
            text = f"{self.source(message.source).label}: {text}"
        self.notify(text, severity=message.severity)

    def on_action_done(self, message: M.ActionDone) -> None:
        self.notify(message.text)

    def on_action_failed(self, message: M.ActionFailed) -> None:
        self.notify(message.text, severity="error")

    def notify(self, message: str, *, title: str = "", severity: Severity = "information",
               timeout: float | None = None, markup: bool = True, topic: str = "") -> None:
        """Every notice goes to the flash line of the screen on top (never a popup over what
        the person reads); its words are shown literally (``markup`` is ignored)."""
        entry = FlashEntry(one_line(neutralise(str(message))), severity, one_line(str(title)), time.time(), topic)
        self.notices.append(entry)
        lines = self.screen.query(FlashLine) if self.screen_stack else None
        flash = lines.last() if lines else getattr(self, "flash", None)
        if flash is not None and flash.is_attached:
            flash.show(entry, timeout)

    # --- showing what changed ------------------------------------------------------------

    def _shutting_down(self) -> bool:
        # _running goes False first when Textual shuts the app down without exit() (as
        # run_test does, or a crash elsewhere); exit() sets _exit.
        return (self._exit or not self._running or self._closing or self._closed or not self.screen_stack
                or not self.sessions_view.is_attached)

    def _tick_views(self) -> None:
        self.status_bar.tick()  # the clock goes with the relative times: one frame a second
        view = self.view(self.current_view)
        if isinstance(view, TableView) and not self._shutting_down():
            view.refresh_times()

    def flush_views(self, changes: M.Batch) -> None:
        """Show what the stores changed since the last update, on every widget at once."""
        if self._shutting_down() or not self.status_bar.is_mounted:
            return  # a paced update may fire during teardown
        inbox = self.inbox
        bar = self.status_bar
        bar.busy = inbox.busy_count()
        bar.jobs = inbox.active_jobs()
        bar.gates = inbox.gate_count()
        if inbox.several:
            bar.refresh_sources()
        self.alerts.terminal_title(bar.gates)
        if any(c.resynced for c in changes.values()) and self.options.tune_gc and not self._frozen:
            # The first listing lives long: keep it out of collections. Once only: every
            # freeze also keeps whatever garbage exists at that moment, forever (a freeze
            # per reconnect grew memory by 6 MB a minute under a dropping stream).
            self._frozen = True
            freeze_long_lived()
        screen = self.screen_stack[-1] if self.screen_stack else None
        apply = getattr(screen, "apply_changes", None)
        if screen is not None and screen is not self.screen_stack[0] and callable(apply):
            # A detail screen on top (a job, a loop) follows its own source's store too.
            service = getattr(screen, "service", None)
            for source in inbox:
                if source.index in changes and (service is None or service is source.service):
                    apply(changes[source.index])
        # (No batch_update: nothing can paint in the middle of this synchronous step, and
        # the batch's end woke the app's own queue for nothing on every update.)
        try:
            for name in VIEWS:
                if name == self.current_view:
                    self.view(name).apply_changes(changes)
                else:
                    self._dirty.add(name)
        except NoMatches:
            # A paced update can run while Textual takes the screens apart on exit: a
            # view without its children then has nothing to update. At any other time
            # this is a bug: let it surface.
            if self._shutting_down():
                return
            raise
        for index, part in changes.items():
            if part.errors:
                self.alerts.session_errors(part.errors, self.source(index))

    def _paced_update(self, changes: M.Batch) -> None:
        """The Pacer's update: the views brought in line, each refreshed widget's idle
        prompt held for the paint that follows (``paint_now``, run right after, always)."""
        self.idle_held = []
        self.flush_views(changes)

    def paint_now(self) -> None:
        """What a paced update changed, painted in its step (see DashboardScreen.paint_now);
        then the idle prompts it held, that the paint left something to do for."""
        held, self.idle_held = self.idle_held, None
        painted: list[Widget] = []
        try:
            if not self._shutting_down() and isinstance(self.screen, DashboardScreen):
                painted = self.screen.paint_now()
        finally:
            if held:
                release_idle(held, painted)

    def redraw_all(self) -> None:
        """Redraw every view from the store (after a theme change)."""
        for name in VIEWS:
            view = self.view(name)
            if isinstance(view, StreamView):
                view.show_session(view.session_id)
            else:
                view.redraw()

    # --- navigation ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show" and parameters == ("jobs",):
            return self.inbox.any(lambda caps: caps.jobs)  # no jobs on any server: no Jobs view
        return True

    def action_show(self, name: str) -> None:
        if name == "jobs":
            self.jobs_view.set_scope(self.stream_view.key if self.current_view == "stream" else None)
            self._dirty.add("jobs")
        if name == "gates":
            self.gates_view.session_filter = self.stream_view.key if self.current_view == "stream" else None
            self._dirty.add("gates")
        if name == "gates":
            self.flash.clear(topic="gate-arrived")  # what it announced is on screen now
        if name != self.current_view:
            self._previous_view = self.current_view
        self.current_view = name
        self.switcher.current = name
        view = self.view(name)
        if name in self._dirty:
            self._dirty.discard(name)
            if isinstance(view, StreamView):
                view.show_session(view.session_id)
            else:
                view.refresh_rows(None)
        view.focus_table()

    async def action_back(self) -> None:
        if self.current_view == "jobs" and self.jobs_view.scope_session:
            self.jobs_view.set_scope(None)
            self.jobs_view.refresh_rows(None)
        elif self.current_view == "gates" and self.gates_view.clear_marks():
            pass  # Esc unmarks the gates marked for a batch first
        elif self.current_view == "gates" and self.gates_view.session_filter:
            self.gates_view.session_filter = None
            self.gates_view.refresh_rows(None)
        elif self.current_view != "sessions":
            self.action_show("stream" if self.current_view == "gates" and self._previous_view == "stream" else "sessions")

    def open_stream(self, session_key: str) -> None:
        """Open the stream of the session with this row key (its id, for the first source)."""
        self.stream_view.open(session_key)
        self.action_show("stream")

    def on_sessions_view_open(self, message: SessionsView.Open) -> None:
        self.open_stream(message.session_id)

    def on_gates_view_open_call(self, message: GatesView.OpenCall) -> None:
        self.stream_view.focus_call = message.call_id
        self.open_stream(message.session_id)

    def on_jobs_view_open_job(self, message: JobsView.OpenJob) -> None:
        from .screens.job_detail import JobDetailScreen

        source, job_id = self.inbox.split(message.job_id)
        self.push_screen(JobDetailScreen(source.service, job_id))

    # --- help and palette ----------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(f"Keys · {TITLES[self.current_view]} view first", help_rows(self)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, text in TITLES.items():
            if name == "jobs" and not self.inbox.any(lambda caps: caps.jobs):
                continue
            yield SystemCommand(f"Go to {text}", f"Show the {text.lower()} view", lambda n=name: self.action_show(n))
        several = self.inbox.several
        for source in self.inbox:
            for session in list(source.store.sessions.values())[:200]:
                # The palette reads a command's title and help as markup: escape the agent's words.
                title = markup_literal(shorten(session.title or session.id, 60))
                where = f" · {markup_literal(shorten(source.label, 20))}" if several else ""
                key = self.inbox.key(source, session.id)
                yield SystemCommand(f"Open session: {title}{where}", markup_literal(session.id),
                                    lambda k=key: self.open_stream(k))
