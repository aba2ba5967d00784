"""Stream: the selected session's messages, live."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from ...store.changes import Changes
from ...store.state import WorkspaceStore
from ...text import shorten
from ..format import STATUS_ICONS, count, money
from ..theme import STATUS_COLOR, theme_color
from ..widgets.message_view import MessageList

__all__ = ["StreamView"]


class StreamView(Vertical):
    BINDINGS = [
        Binding("f", "follow", "Follow", id="stream.follow", tooltip="Jump to the newest message and follow new ones"),
        Binding("end", "follow", "Follow", id="stream.end", tooltip="Jump to the newest message and follow new ones", show=False),
        Binding("A", "abort", "Abort", id="stream.abort", tooltip="Stop the agent's current turn (asks first)"),
        Binding("l", "act('loop')", "Loop", id="stream.loop", tooltip="Watch, start or stop this session's loop"),
        Binding("g", "act('cli-agent')", "CLI agent", id="stream.cli_agent", tooltip="Launch a CLI-agent run on this session"),
        Binding("u", "act('earlier')", "Earlier", id="stream.earlier", tooltip="Load earlier messages of this session"),
    ]

    class Act(Message):
        def __init__(self, action: str, session_id: str) -> None:
            super().__init__()
            self.action = action
            self.session_id = session_id

    def __init__(self, store: WorkspaceStore, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.session_id: str | None = None
        self.focus_call: str | None = None
        """A tool call to open and scroll to once it is on screen (from the gates' `o`)."""

    def compose(self) -> ComposeResult:
        yield Static("", classes="view-title", id="stream-title")
        yield Static("Pick a session in Sessions (1) and press Enter.", classes="view-empty", id="stream-empty")
        yield MessageList(id="message-list")
        yield Static("", id="stream-new")

    @property
    def message_list(self) -> MessageList:
        return self.query_one(MessageList)

    def on_mount(self) -> None:
        self.watch(self.message_list, "unseen", self._show_unseen)
        self.watch(self.message_list, "follow", self._show_unseen)
        self.show_session(self.session_id)

    def focus_table(self) -> None:
        self.message_list.focus()

    def show_session(self, session_id: str | None) -> None:
        self.session_id = session_id
        if not self.is_mounted:
            return
        self._show_empty()
        self.message_list.show_session(session_id, self.store.session_messages(session_id) if session_id else [])
        self._show_title()
        self._focus_call()

    def _focus_call(self) -> None:
        if not self.focus_call:
            return
        view = self.message_list.find_call(self.focus_call)
        if view is not None:
            self.focus_call = None
            self.message_list.follow = False
            view.expand()
            self.call_after_refresh(self.message_list.scroll_to_widget, view, animate=False, top=True)

    def _show_empty(self) -> None:
        sid = self.session_id
        empty = self.query_one("#stream-empty", Static)
        has_messages = bool(sid and self.store.messages.get(sid))
        empty.display = not has_messages
        empty.update("Pick a session in Sessions (1) and press Enter." if sid is None
                     else "No messages in this session yet; they appear here as the agent works.")
        self.message_list.display = sid is not None

    def apply_changes(self, changes: Changes) -> None:
        sid = self.session_id
        if sid is None:
            return
        if sid in changes.sessions_removed:
            self.query_one("#stream-title", Static).update(Text("This session was deleted."))
            return
        if sid in changes.messages or changes.resynced:
            self.message_list.sync(self.store.session_messages(sid))
            self._show_empty()
            self._focus_call()
        if sid in changes.sessions or changes.gates or changes.messages:
            self._show_title()

    def _show_title(self) -> None:
        sid = self.session_id
        title = self.query_one("#stream-title", Static)
        if sid is None:
            title.update("Stream")
            return
        store = self.store
        session = store.sessions.get(sid)
        status = store.status(sid).type
        stats = store.stats.get(sid)
        text = Text()
        text.append(f"{STATUS_ICONS.get(status, '?')} {status}  ", style=theme_color(self.app, STATUS_COLOR.get(status, "foreground")))
        text.append(shorten((session.title if session else None) or sid, 50), style="bold")
        if stats:
            details = [d for d in (stats.agent, stats.model) if d]
            details += [f"{count(stats.tokens)} tokens", money(stats.cost)]
            text.append("  " + " · ".join(details))
        gates = store.gate_count(sid)
        if gates:
            text.append(f"  ⚑ {gates} waiting (4)", style=f"bold {theme_color(self.app, 'warning')}")
        loop = store.loops.get(sid)
        if loop:
            text.append(f"  loop {loop.progress_label}")
        hidden = store.hidden_earlier(sid)
        if hidden:
            text.append(f"  · {hidden} earlier (u)", style="dim")
        title.update(text)

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

    def action_act(self, action: str) -> None:
        if self.session_id:
            self.post_message(self.Act(action, self.session_id))
