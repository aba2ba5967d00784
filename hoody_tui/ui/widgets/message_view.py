"""The live message stream of one session: messages and their parts as widgets,
updated in place by part id, with a follow mode that turns off when the user
scrolls up and shows "+N new" until they come back."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from ...api.messages import (
    PartBase,
    ReasoningPart,
    StepFinishPart,
    StepStartPart,
    TextPart,
    ToolPart,
)
from ...store.state import MessageEntry
from ...text import neutralise, shorten
from ..format import STATUS_ICONS, count, duration, money
from .gate_detail import input_diff
from .parts import MAX_OUTPUT_CHARS, MAX_TEXT_CHARS, TEXT_REDRAW, PartView, cut_note, safe_id, shown_text
from .placement import placed

__all__ = ["MessageList", "MessageBlock", "PartView", "PartBox", "part_view", "tool_summary",
           "MAX_OUTPUT_CHARS", "MAX_TEXT_CHARS", "TEXT_REDRAW"]


def tool_summary(part: ToolPart) -> str:
    """``✓ bash  ls -la  120ms``: status icon, tool, title or main input, duration."""
    state = part.state
    icon = STATUS_ICONS.get(state.status, "?")
    title = state.title
    if not title and isinstance(state.input, dict):
        for key in ("command", "filePath", "filepath", "path", "url", "pattern", "description"):
            value = state.input.get(key)
            if isinstance(value, str) and value:
                title = value
                break
    took = duration(state.duration_ms) if state.duration_ms is not None else ""
    return shorten(f"{icon} {part.tool or 'tool'}  {title or ''}  {took}".rstrip(), 100)


DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "magenta"), ("+", "green"), ("-", "red"))


def diff_text(diff: str) -> Text:
    """A unified diff, coloured line by line as the gate pane shows it (inert text)."""
    text = Text()
    for line in neutralise(diff).splitlines():
        style = next((s for prefix, s in DIFF_STYLES if line.startswith(prefix)), "")
        text.append(line + "\n", style=style)
    return text


def _tool_body(part: ToolPart) -> Text:
    state = part.state
    text = Text()
    diff = input_diff(state.input) if isinstance(state.input, dict) else None
    if diff:
        # An edit: its file and its diff, as the gate pane shows them (not the raw JSON).
        path = state.input.get("filePath") or state.input.get("file_path") or state.input.get("path")
        if isinstance(path, str):
            text.append("file  ", style="bold")
            text.append(neutralise(path) + "\n")
        text.append("diff\n", style="bold")
        text.append_text(diff_text(diff))
    elif state.input is not None:
        text.append("input\n", style="bold")
        try:
            rendered = json.dumps(state.input, indent=2, ensure_ascii=False)
        except (TypeError, ValueError):
            rendered = str(state.input)
        text.append(neutralise(rendered) + "\n")
    if state.output:
        output = state.output
        text.append("output\n", style="bold")
        if len(output) > MAX_OUTPUT_CHARS:
            text.append(neutralise(output[:MAX_OUTPUT_CHARS]))
            text.append(f"\n… {len(output) - MAX_OUTPUT_CHARS:,} more characters not shown: "
                        "press v on this call to read all of it\n", style="italic")
        else:
            text.append(neutralise(output))
    if state.error:
        text.append("error\n", style="bold")
        text.append(neutralise(state.error))
    if not text.plain:
        text.append(state.status, style="italic")
    return text


class PartBox(PartView):
    """Any part but an agent's text: a collapsible (reasoning, a tool call) or a line."""

    def __init__(self, part: PartBase, *, role: str | None, **kwargs: Any) -> None:
        super().__init__(part, role=role, **kwargs)
        self.add_class("part-box")

    _cut = ""

    def compose(self) -> ComposeResult:
        part = self.part
        if isinstance(part, TextPart):  # a user's text (an agent's is a TextPartView)
            shown = shown_text(part.text)
            yield Static(Text(neutralise(shown)), classes="user-text")
            self._cut = cut_note(part.text, shown)
            note = Static(self._cut, classes="text-cut")
            note.display = bool(self._cut)
            yield note
        elif isinstance(part, ReasoningPart):
            with Collapsible(title="reasoning", collapsed=True, classes="reasoning"):
                yield Static(Text(neutralise(part.text)), classes="reasoning-text")
        elif isinstance(part, ToolPart):
            # Content, not str: a Collapsible reads a str title as markup.
            with Collapsible(title=Content(tool_summary(part)), collapsed=True,  # type: ignore[arg-type]  # Textual types the title as str; a Content is shown as it is
                             classes=f"tool {safe_id('tool-', part.state.status)}"):
                yield Static(_tool_body(part), classes="tool-body")
        elif isinstance(part, StepFinishPart):
            yield Static(self._step_text(part), classes="step-finish")
        elif isinstance(part, StepStartPart):
            yield Static("", classes="step-start")
        else:
            kind = part.type
            yield Static(Text(f"[{neutralise(kind)}]"), classes="part-other")

    @staticmethod
    def _step_text(part: StepFinishPart) -> Text:
        tokens = count(part.tokens.total) if part.tokens else "-"
        return Text(f"── step done · {tokens} tokens · {money(part.cost)} ──")

    def _draw_typed(self, part: PartBase) -> None:
        if isinstance(part, ReasoningPart):
            self.query_one(".reasoning-text", Static).update(Text(neutralise(part.text)))
        elif isinstance(part, TextPart):
            shown = shown_text(part.text)
            self.query_one(".user-text", Static).update(Text(neutralise(shown)))
            cut = cut_note(part.text, shown)
            if cut != self._cut:
                self._cut = cut
                note = self.query_one(".text-cut", Static)
                note.update(cut)
                note.display = bool(cut)

    def _show_other(self, old: PartBase, part: PartBase) -> None:
        if isinstance(part, ToolPart) and isinstance(old, ToolPart):
            collapsible = self.query_one(Collapsible)
            collapsible.title = Content(tool_summary(part))  # type: ignore[assignment]  # as above
            collapsible.set_class(True, safe_id("tool-", part.state.status))
            if old.state.status != part.state.status:
                collapsible.remove_class(safe_id("tool-", old.state.status))
            self.query_one(".tool-body", Static).update(_tool_body(part))
        elif isinstance(part, StepFinishPart):
            self.query_one(Static).update(self._step_text(part))


def part_view(part: PartBase, *, role: str | None, **kwargs: Any) -> PartView:
    """The view of a part: an agent's text drawn line by line, anything else as widgets."""
    if isinstance(part, TextPart) and role != "user":
        # (imported when a message first needs it: markdown_lines is not needed to start)
        from .text_part import TextPartView

        return TextPartView(part, role=role, **kwargs)
    return PartBox(part, role=role, **kwargs)


def _keep_order(container: Widget, wanted: list[Widget], first: int = 0) -> None:
    """Put ``wanted`` (children of ``container``) in that order, from child index ``first``
    on: a history listed after live events can hold messages (and parts) that go before
    ones already shown. Moves only when the order differs."""
    members = set(wanted)  # a set: this runs on every update of a stream of hundreds of messages
    current = [child for child in container.children if child in members]
    if current == wanted or len(current) != len(wanted):
        return
    previous: Widget | None = None
    for widget in wanted:
        if previous is None:
            container.move_child(widget, before=first)
        else:
            container.move_child(widget, after=previous)
        previous = widget


class MessageBlock(Vertical):
    """One message: a header line and its parts."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return placed(self, size, virtual_size, container_size, keep_lines=True)

    def __init__(self, entry: MessageEntry, **kwargs: Any) -> None:
        role = entry.info.role or "assistant"
        super().__init__(classes=f"message {safe_id('message-', role)}", **kwargs)
        self.entry = entry
        self.message_id = entry.info.id
        self._parts: dict[str, PartView] = {}
        self._seen_parts: dict[str, PartBase] = {}

    _header_text = ""

    _header_info: object = None

    def compose(self) -> ComposeResult:
        header = self._header()
        self._header_text = header.plain
        self._header_info = self.entry.info
        yield Static(header, classes="message-header")

    def on_mount(self) -> None:
        self.sync(self.entry)

    def _header(self) -> Text:
        info = self.entry.info
        role = info.role or "message"
        bits = [role]
        if info.agent:
            bits.append(info.agent)
        if info.model_label:
            bits.append(info.model_label)
        if info.role == "assistant":
            if info.tokens:
                bits.append(f"{count(info.tokens.total)} tokens")
            if info.cost:
                bits.append(money(info.cost))
            if not info.is_complete:
                bits.append("…")
        if info.error:
            bits.append(f"error: {info.error.message}")
        return Text(shorten(" · ".join(bits), 120))

    def sync(self, entry: MessageEntry) -> int:
        """Bring the parts in line with ``entry``; returns how many parts are new."""
        self.entry = entry
        if entry.info is not self._header_info:  # (the store replaces a message's info when it changes)
            self._header_info = entry.info
            header = self._header()
            if header.plain != self._header_text:  # an update lays the stream out again: only when it changed
                self._header_text = header.plain
                self.query_one(".message-header", Static).update(header)
        added = 0
        role = entry.info.role
        for part_id, part in entry.parts.items():
            view = self._parts.get(part_id)
            if view is None:
                view = part_view(part, role=role, id=safe_id("part-", part_id))
                self._parts[part_id] = view
                self.mount(view)
                added += 1
            elif (seen := self._seen_parts.get(part_id)) is not part and seen != part:
                # A listing brings equal copies of what the stream showed: redrawing them
                # would rebuild a tool's body (and drop a key sent to what had the focus).
                view.show(part)
            self._seen_parts[part_id] = part
        for part_id in [k for k in self._parts if k not in entry.parts]:
            self._parts.pop(part_id).remove()
            self._seen_parts.pop(part_id, None)
        _keep_order(self, [self._parts[part_id] for part_id in entry.parts], first=1)  # after the header
        return added


class MessageList(VerticalScroll):
    """The messages of one session, following the newest unless the user scrolled up."""

    follow: reactive[bool] = reactive(True, init=False)
    unseen: reactive[int] = reactive(0, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._blocks: dict[str, MessageBlock] = {}
        self._session_id: str | None = None

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # (see placed: a scroll bar shown or hidden asks for its own layout.) The scroll
        # bar is redrawn for the new height, and marked for one more repaint: the layout
        # already repainted all of the list, scroll bar included (its virtual size is
        # part of its place in the compositor, so the list is among its changes).
        grew = self.virtual_size != virtual_size
        changed = placed(self, size, virtual_size, container_size)
        if grew and self.show_vertical_scrollbar:
            self.vertical_scrollbar._exchange_repaint_regions()
        if changed:
            self._anchor_to_end()
        return changed

    def on_mount(self) -> None:
        self._anchor_to_end()

    def watch_follow(self) -> None:
        self._anchor_to_end()

    def _anchor_to_end(self) -> None:
        """Following is Textual's anchor: the layout that makes the newest text taller also
        scrolls to it (a scroll after it would repaint the whole list a second time). Only
        while the messages overflow the list: an anchored list shorter than its messages'
        room is scrolled to a negative offset (its messages drawn at the bottom)."""
        anchored = self.follow and self.max_scroll_y > 0
        if anchored != self.is_anchored:
            self.anchor(anchored)
        if self.scroll_y < 0:
            self.scroll_y = 0

    def show_session(self, session_id: str | None, entries: list[MessageEntry]) -> None:
        if session_id != self._session_id:
            self._session_id = session_id
            for block in self._blocks.values():
                block.remove()
            self._blocks = {}
            self.follow = True
            self.unseen = 0
        self.sync(entries)

    def sync(self, entries: list[MessageEntry]) -> int:
        added = 0
        wanted = {entry.info.id for entry in entries}
        for message_id in [k for k in self._blocks if k not in wanted]:
            self._blocks.pop(message_id).remove()
        previous: Widget | None = None
        for entry in entries:
            block = self._blocks.get(entry.info.id)
            if block is None:
                block = MessageBlock(entry, id=safe_id("msg-", entry.info.id))
                self._blocks[entry.info.id] = block
                if previous is None:
                    self.mount(block, before=0) if self.children else self.mount(block)
                else:
                    self.mount(block, after=previous)
                added += 1 + len(entry.parts)
            elif block.is_mounted:
                added += block.sync(entry)
            previous = block
        _keep_order(self, [self._blocks[entry.info.id] for entry in entries])
        if added:
            if self.follow:
                self.call_after_refresh(self._scroll_end_if_following)
            else:
                self.unseen += added
        return added

    def _scroll_end_if_following(self) -> None:
        # (Asked for when new parts came, done after they are laid out: by then the user, or
        # a gate's o, may have scrolled elsewhere, which a scroll to the end would undo.)
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        at_end = new >= self.max_scroll_y - 1
        if new < old and not at_end:
            self.follow = False
        elif at_end:
            self.follow = True
            self.unseen = 0

    def find_call(self, call_id: str) -> PartView | None:
        for block in self._blocks.values():
            for view in block._parts.values():
                if isinstance(view.part, ToolPart) and view.part.call_id == call_id:
                    return view
        return None

    def resume_follow(self) -> None:
        self.follow = True
        self.unseen = 0
        self.scroll_end(animate=False)
