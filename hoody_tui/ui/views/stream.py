"""Stream: the selected session's messages, live (on the service of the session's source)."""

from __future__ import annotations

from rich.text import Span, Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.widgets import Static

from ...api.messages import TextPart, ToolPart
from ...core.inbox import Inbox, Source
from ...core.service import WorkspaceService
from ...store.changes import Changes
from ...store.state import WorkspaceStore
from ...text import safe_text, shorten
from ..format import STATUS_ICONS, count, money
from ..messages import ActionFailed, Batch
from ..screens.full_output import FullOutputScreen
from ..theme import STATUS_COLOR, theme_color
from ..widgets.message_view import MAX_OUTPUT_CHARS, MAX_TEXT_CHARS, MessageList, PartView, tool_summary
from .session_actions import SessionActions, offered

__all__ = ["StreamView"]


class StreamView(SessionActions, Vertical):
    BINDINGS = [
        Binding("f", "follow", "Follow", id="stream.follow", tooltip="Jump to the newest message and follow new ones"),
        Binding("end", "follow", "Follow", id="stream.end", tooltip="Jump to the newest message and follow new ones", show=False),
        Binding("A", "abort", "Abort", id="stream.abort", tooltip="Stop the agent's current turn (asks first)"),
        Binding("t", "act('todo')", "Todo", id="stream.todo", tooltip="Show the session's todo list"),
        Binding("d", "act('diff')", "Diff", id="stream.diff", tooltip="Show the files the session changed"),
        Binding("s", "act('summary')", "Summary", id="stream.summary", tooltip="Show the session's summary"),
        Binding("l", "act('loop')", "Loop", id="stream.loop", tooltip="Watch, start or stop this session's loop"),
        Binding("g", "act('cli-agent')", "CLI agent", id="stream.cli_agent", tooltip="Launch a CLI-agent run on this session"),
        Binding("u", "act('earlier')", "Earlier", id="stream.earlier", tooltip="Load earlier messages of this session"),
        Binding("v", "full_output", "Full output", id="stream.full_output",
                tooltip="Read the whole output of the focused tool call or a cut text (else the newest cut one), page by page",
                show=False),
    ]

    def __init__(self, inbox: Inbox, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox
        self.source: Source = inbox.primary
        """The source of the session shown."""
        self.session_id: str | None = None
        """The id of the session shown, as its server knows it."""
        self.focus_call: str | None = None
        """A tool call to open and scroll to once it is on screen (from the gates' `o`)."""
        self.deleted = False
        """The session shown was deleted (on the server, or by another client) while open."""
        self._known = False

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title", id="stream-title")
        yield Static("Pick a session in Sessions (1) and press Enter.", classes="view-empty", id="stream-empty")
        yield Static("", id="stream-tasks")
        yield MessageList(id="message-list")
        yield Static("", id="stream-new")

    _message_list: MessageList | None = None

    @property
    def message_list(self) -> MessageList:
        if self._message_list is None:  # (asked for at every update of a stream)
            self._message_list = self.query_one(MessageList)
        return self._message_list

    def on_mount(self) -> None:
        self.watch(self.message_list, "unseen", self._show_unseen)
        self.watch(self.message_list, "follow", self._show_unseen)
        self.show_session(self.session_id)
        # The first Markdown shown imports markdown-it and the code highlighter, and reads
        # the CSS of the widgets that draw it (a 100-170 ms stop of the app, measured, when
        # a stream first opened); done once, after start-up and off the first paint, with
        # a hidden one.
        self.set_timer(1.5, self._warm_markdown, name="markdown warm-up")

    def _warm_markdown(self) -> None:
        from textual.widgets import Collapsible
        from textual.widgets._collapsible import CollapsibleTitle

        from ...api.messages import TextPart
        from ..widgets.markdown_lines import MarkdownLines, warm_up
        from ..widgets.text_part import TextPartView

        if not self.is_attached or self.query("#markdown-warmup"):
            return
        warm_up()
        # The CSS of what a stream shows, read now (Textual reads a widget's when the first
        # one is mounted, and reading new CSS stops the app): not mounted, as the hidden
        # MarkdownLines is, since a hidden part or collapsible would be found by queries.
        shown = (TextPartView(TextPart(id="css", type="text"), role="assistant"), Collapsible(),
                 CollapsibleTitle(label="", collapsed_symbol="", expanded_symbol="", collapsed=True), Collapsible.Contents())
        for widget in shown:
            for read_from, css, tie_breaker, scope in widget._get_default_css():
                self.app.stylesheet.add_source(css, read_from=read_from, is_default_css=True,
                                               tie_breaker=tie_breaker, scope=scope)
        self.mount(MarkdownLines("warm *up*", id="markdown-warmup"))

    @property
    def service(self) -> WorkspaceService:
        return self.source.service

    @property
    def store(self) -> WorkspaceStore:
        return self.source.service.store

    @property
    def key(self) -> str | None:
        """The row key of the session shown (what the other views scope themselves to)."""
        return None if self.session_id is None else self.inbox.key(self.source, self.session_id)

    def focus_table(self) -> None:
        self.message_list.focus()

    def open(self, key: str) -> None:
        """Show the stream of the session with row key ``key``: its store keeps its whole
        history from now on, and its messages are listed from its server."""
        self.source, session_id = self.inbox.split(key)
        self.store.focus(session_id)
        self.show_session(session_id)
        if self.service.capabilities.message_history:
            self.load_messages(session_id)

    @work(group="load-messages", exclusive=True)
    async def load_messages(self, session_id: str) -> None:
        result = await self.service.open_session(session_id)
        if not result.ok:
            self.post_message(ActionFailed("load-messages", result.text))

    def show_session(self, session_id: str | None) -> None:
        if session_id != self.session_id or not self._known:
            self._known = bool(session_id and session_id in self.store.sessions)
            self.deleted = False
        self.session_id = session_id
        if not self.is_mounted:
            return
        if session_id is not None and self._known and session_id not in self.store.sessions:
            self._show_deleted()  # deleted while another view was on screen
            return
        self._show_empty()
        self.message_list.show_session(self.key, self.store.session_messages(session_id) if session_id else [])
        self._show_title()
        self._show_tasks()
        self._focus_call()

    _focus_retries = 0

    def _focus_call(self) -> None:
        if not self.focus_call:
            return
        view = self.message_list.find_call(self.focus_call)
        if view is None:
            # Its message may be shown but its parts not mounted yet (a message mounts its
            # parts when it is mounted): look again after the next few refreshes.
            if not self._focus_retries:
                self._focus_retries = 20
                self.call_after_refresh(self._focus_call_again)
            return
        self.focus_call = None
        self.message_list.follow = False
        view.open_all()
        self.call_after_refresh(self._scroll_to_call, view)

    def _focus_call_again(self) -> None:
        found = bool(self.focus_call) and self.message_list.find_call(self.focus_call or "") is not None
        if not found and self.focus_call and self._focus_retries > 1:
            self._focus_retries -= 1
            self.call_after_refresh(self._focus_call_again)
            return
        self._focus_retries = 0  # (still not there: the next update of the session looks again)
        if found:
            self._focus_call()

    def _scroll_to_call(self, view: PartView, tries: int = 20) -> None:
        """Scroll to a call just found: once it is laid out (a part mounted by this update is
        not yet; Textual then scrolls nowhere)."""
        if not view.is_attached or self.message_list.follow:
            return  # gone, or the user chose to follow meanwhile
        if not view.virtual_region and tries:
            self.call_after_refresh(self._scroll_to_call, view, tries - 1)
            return
        self.message_list.scroll_to_widget(view, animate=False, top=True)

    def _show_empty(self) -> None:
        sid = self.session_id
        empty = self.query_one("#stream-empty", Static)
        has_messages = bool(sid and self.store.messages.get(sid))
        if empty.display != (not has_messages):
            empty.display = not has_messages
        text = ("Pick a session in Sessions (1) and press Enter." if sid is None
                else "No messages in this session yet; they appear here as the agent works.")
        if text != self._empty_text:  # every update lays the stream out again: only when it changed
            self._empty_text = text
            empty.update(text)
        if self.message_list.display != (sid is not None):
            self.message_list.display = sid is not None

    def apply_changes(self, batch: Batch) -> None:
        changes = batch.get(self.source.index)
        if changes is not None:
            self.apply_source_changes(changes)

    def apply_source_changes(self, changes: Changes) -> None:
        sid = self.session_id
        if sid is None:
            return
        if sid in changes.sessions_removed or self.deleted:
            if not self.deleted:
                self._show_deleted()
            return
        if sid in changes.messages or changes.resynced:
            self.message_list.sync(self.store.session_messages(sid))
            self._show_empty()
            self._focus_call()
        if sid in changes.sessions or changes.gates or changes.messages:
            self._show_title()
        if sid in changes.tasks or changes.resynced:
            self._show_tasks()

    def _show_deleted(self) -> None:
        """The session is gone: say so, and drop its messages (no half-finished message
        keeps its "…" as if the agent were still working)."""
        self.deleted = True
        self.focus_call = None
        self.message_list.show_session(self.key, [])  # stays, empty, to keep the focus and keys
        title = Text("✕ This session was deleted", style=f"bold {theme_color(self.app, 'error')}")
        title.append("  (on the server or by another client)", style="dim")
        self._title_text, self._title_key = "", None  # (drawn here, not by _show_title)
        self.query_one("#stream-title", Static).update(title)
        empty = self.query_one("#stream-empty", Static)
        empty.update("This session was deleted, with its messages, so there is nothing more to show or do here. "
                     "Press 1 (or Esc) for the sessions list.")
        empty.display = True

    _title_text = ""
    _title_spans: list[Span] = []
    _title_key: object = None
    _empty_text = ""

    def _show_title(self) -> None:
        sid = self.session_id
        if sid is None:
            self._title_text, self._title_spans, self._title_key = "Stream", [], None
            self.query_one("#stream-title", Static).update("Stream")
            return
        store = self.store
        session = store.sessions.get(sid)
        status = store.status(sid).type
        stats = store.stats.get(sid)
        gates = store.gate_count(sid)
        loop = store.loops.get(sid)
        recurring = store.recurring.get(sid)
        hidden = store.hidden_earlier(sid)
        key = (sid, status, session.title if session else None, self.inbox.several and self.source.label,
               stats and (stats.agent, stats.model, stats.tokens, stats.cost), gates, loop and loop.progress_label,
               len(recurring) if recurring else 0, hidden, self.app.theme)
        if key == self._title_key:
            return  # (asked at every update of a busy session's messages: mostly nothing changed)
        self._title_key = key
        title = self.query_one("#stream-title", Static)
        text = Text()
        text.append(f"{STATUS_ICONS.get(status, '?')} {status}  ", style=theme_color(self.app, STATUS_COLOR.get(status, "foreground")))
        text.append(shorten((session.title if session else None) or sid, 50), style="bold")
        if self.inbox.several:
            text.append(f"  · {shorten(self.source.label, 20)}", style="dim")
        if stats:
            details = [d for d in (stats.agent, stats.model) if d]
            details += [f"{count(stats.tokens)} tokens", money(stats.cost)]
            text.append("  " + " · ".join(details))
        if gates:
            text.append(f"  ⚑ {gates} waiting · 4 shows", style=f"bold {theme_color(self.app, 'warning')}")
        if loop:
            text.append(f"  loop {loop.progress_label}")
        if recurring:
            text.append(f"  ⟳ {len(recurring)} loop{'s' if len(recurring) != 1 else ''} (l)")
        if hidden:
            text.append(f"  · {hidden} earlier (u)", style="dim")
        shown = safe_text(text)  # the status, agent and model come from the server
        if shown.plain != self._title_text or shown.spans != self._title_spans:
            # One line high: no layout pass (it would lay the whole stream out again, at
            # every status change of a busy session).
            self._title_text, self._title_spans = shown.plain, shown.spans
            title.update(shown, layout=False)

    def _show_tasks(self) -> None:
        """The session's background tasks (a gateway reports them), above its messages."""
        panel = self.query_one("#stream-tasks", Static)
        tasks = self.store.tasks.get(self.session_id or "") if self.service.capabilities.tasks else None
        panel.display = bool(tasks)
        if not tasks:
            return
        text = Text("tasks  ", style="bold")
        marks = {"running": "▶", "completed": "✓", "done": "✓", "failed": "✕", "cancelled": "⊘"}
        for index, task in enumerate(tasks[:8]):
            if index:
                text.append("  ·  ")
            status = task.status or "?"
            text.append(f"{marks.get(status, '○')} ", style=theme_color(self.app, STATUS_COLOR.get(
                "busy" if status == "running" else "error" if status == "failed" else "idle", "foreground")))
            text.append(shorten(task.title or task.tid, 40))
        if len(tasks) > 8:
            text.append(f"  · +{len(tasks) - 8} more", style="dim")
        panel.update(safe_text(text))  # task titles are the agent's words

    def _show_unseen(self, _value: object = None) -> None:
        label = self.query_one("#stream-new", Static)
        unseen = self.message_list.unseen
        following = self.message_list.follow
        label.display = not following
        label.update(f"+{unseen} new · f to follow" if unseen else "paused · f to follow")

    def action_follow(self) -> None:
        self.message_list.resume_follow()

    def action_abort(self) -> None:
        self.action_act("abort")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # What the server cannot do is not offered (no dead keys in the footer).
        if action == "abort":
            return offered("abort", self.service.capabilities)
        if action == "act" and parameters:
            return offered(str(parameters[0]), self.service.capabilities)
        return True

    def action_act(self, action: str) -> None:
        if self.deleted:
            self.notify("This session was deleted: there is nothing to do on it.", severity="warning")
            return
        if not self.session_id:
            return
        if action == "earlier":
            self.message_list.follow = False
        self.session_action(action, self.service, self.session_id)

    def _output_part(self) -> ToolPart | TextPart | None:
        """What to read in full: the focused tool call's output (or a cut text part), else
        the newest cut one, else the newest tool call with any output."""
        node: DOMNode | None = self.app.focused
        while node is not None and node is not self:
            if isinstance(node, PartView):
                if isinstance(node.part, ToolPart):
                    return node.part if (node.part.state.output or node.part.state.error) else None
                if isinstance(node.part, TextPart) and len(node.part.text) > MAX_TEXT_CHARS:
                    return node.part
            node = node.parent
        if not self.session_id:
            return None
        newest: ToolPart | None = None
        for entry in reversed(self.store.session_messages(self.session_id)):
            for part in reversed(list(entry.parts.values())):
                if isinstance(part, TextPart) and len(part.text) > MAX_TEXT_CHARS:
                    return part
                if isinstance(part, ToolPart) and part.state.output:
                    if len(part.state.output) > MAX_OUTPUT_CHARS:
                        return part
                    newest = newest or part
        return newest

    def action_full_output(self) -> None:
        part = self._output_part()
        if part is None:
            self.notify("No tool output to read here: focus a tool call (Tab) and press v.", severity="warning")
            return
        if isinstance(part, TextPart):
            self.app.push_screen(FullOutputScreen("The agent's whole text", part.text))
            return
        text = part.state.output or part.state.error or ""
        self.app.push_screen(FullOutputScreen(f"Output of {tool_summary(part)}", text))
