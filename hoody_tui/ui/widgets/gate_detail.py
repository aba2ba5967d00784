"""The detail pane of the gates queue: everything needed to decide one gate."""

from __future__ import annotations

import difflib
import time
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...api.permissions import PermissionRequest, SessionPermissions
from ...api.questions import Question
from ...core.backend import Capabilities
from ...gates.ledger import GateState, Phase
from ...gates.risk import Risk
from ...gates.rules import matching_rule
from ...text import neutralise, safe_text

__all__ = ["GateDetail", "edit_diff", "input_diff"]


def input_diff(source: dict[str, Any], path: str | None = None) -> str | None:
    """The unified diff an edit tool's input describes (``diff``/``patch``, or its old and
    new text), or ``None`` when it holds none."""
    for key in ("diff", "patch"):
        value = source.get(key)
        if isinstance(value, str) and value.strip():
            return value
    old = source.get("oldString") or source.get("old_string")
    new = source.get("newString") or source.get("new_string") or source.get("content")
    if not isinstance(new, str):
        return None
    path = path or source.get("filePath") or source.get("file_path") or source.get("path") or "file"
    lines = difflib.unified_diff(
        (old if isinstance(old, str) else "").splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    )
    return "".join(lines) or None


def edit_diff(request: PermissionRequest, tool_input: Any = None) -> str | None:
    """The unified diff an edit would make: from the request's metadata, else built
    from the tool input's old/new text."""
    for source in (request.metadata, tool_input if isinstance(tool_input, dict) else {}):
        diff = input_diff(source, request.filepath)
        if diff:
            return diff
    return None


def _syntax(code: str, lexer: str, dark: bool) -> Syntax:
    return Syntax(
        neutralise(code), lexer, theme="ansi_dark" if dark else "ansi_light",
        background_color="default", word_wrap=True,
    )


def _state_key(state: GateState | None) -> tuple[Any, ...] | None:
    """A gate's decision state as values (the ledger changes its state objects in place)."""
    return None if state is None else (state.decision, state.phase, state.note)


class GateDetail(VerticalScroll):
    """Shows one gate. ``gate_id`` is the gate on screen (its row key: its id, for the
    first source): keys act on it, never on a row index. What its server can do (its
    capabilities) comes with each gate shown: several servers may be in one queue.

    A key decides only a gate the user could have read: one that has been painted and
    has stood still for ``settle`` seconds. If the gate under the cursor changed just
    before the key (another client answered the one the user was reading), the key is
    refused rather than landing on a gate the user never saw.
    """

    def __init__(self, *, settle: float = 0.35, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settle = settle
        self._gate_id: str | None = None
        self._changed_at = 0.0
        self._painted = False

    @property
    def gate_id(self) -> str | None:
        return self._gate_id

    @gate_id.setter
    def gate_id(self, value: str | None) -> None:
        if value != self._gate_id:
            self._gate_id = value
            self._changed_at = time.monotonic()
            self._painted = False
            if self.is_attached:
                self.call_after_refresh(self._mark_painted, value)

    def _mark_painted(self, gate_id: str | None) -> None:
        if gate_id == self._gate_id:
            self._painted = True

    def settled(self) -> bool:
        """True when the gate on screen was painted and has not changed for ``settle`` s."""
        return self._painted and time.monotonic() - self._changed_at >= self.settle

    def compose(self):
        for line in (Static("", id="gate-head"), Static("", id="gate-state")):
            line.display = False
            yield line
        yield Static("", id="gate-body")
        # The session's rules come from the server after the gate is shown: a section of
        # their own, so their arrival redraws them alone, and lays the screen out again
        # only when they take another number of lines (a layout of the gates view with
        # its pane was 20-45 ms of CPU, which a key pressed then waited behind).
        for section in (Static("", id="gate-rules"), Static("", id="gate-foot")):
            section.display = False
            yield section

    plain = ""

    _shown: tuple[Any, ...] | None = None

    def _unchanged(self, what: tuple[Any, ...]) -> bool:
        """Whether the pane already shows exactly ``what`` (the gate and everything drawn
        around it). The views show the selected gate again after every live update; under
        a firehose that laid the whole screen out again 25 times a second (5 ms each)
        for a pane that had not changed."""
        if what == self._shown:
            return True
        self._shown = what
        return False

    def show_nothing(self, text: str = "") -> None:
        self.gate_id = None
        if self._unchanged(("nothing", text)):
            return
        self._state_text = None
        self._body_plain = text
        self._show_rules(None)
        self._show_foot([])
        self._head_and_state([], None)
        self.query_one("#gate-body", Static).update(safe_text(text))

    def show_permission(
        self,
        request: PermissionRequest,
        *,
        session_title: str,
        agent: str | None,
        risk: Risk,
        rules: SessionPermissions | None,
        rules_error: str | None,
        state: GateState | None,
        tool_input: Any = None,
        colors: dict[str, str],
        dark: bool,
        capabilities: Capabilities,
        key: str | None = None,
        source: str | None = None,
    ) -> None:
        """``source`` names the server among several (its profile, URL and workspace)."""
        self.gate_id = key or request.id
        self._show_state(state, colors)
        self._show_rules(self._rules(request, rules, rules_error, colors) if capabilities.rulesets else None)
        if self._unchanged(("permission", request, session_title, agent, risk, tool_input, colors, dark,
                            capabilities, source)):
            return
        head = Text()
        head.append(f"{neutralise(request.permission or 'permission')}", style="bold")
        head.append(f"  ·  {neutralise(session_title)}")
        if agent:
            head.append(f"  ·  {neutralise(agent)}")
        heads = [head]
        if source:
            heads.append(Text(f"from {neutralise(source)}", style="dim"))
        if risk.risky:
            heads.append(Text(f"⚠ risky: {risk.describe()}", style=f"bold {colors['error']}"))
        parts: list[RenderableType] = []
        command = request.command
        if command:
            parts.append(Text("\ncommand", style="bold"))
            parts.append(_syntax(command, "bash", dark))
        diff = edit_diff(request, tool_input) if request.permission in ("edit", "write", "patch") or "diff" in request.metadata else None
        if request.filepath:
            parts.append(Text(f"\nfile  {neutralise(request.filepath)}"))
        if diff:
            parts.append(Text("\ndiff", style="bold"))
            parts.append(_syntax(diff, "diff", dark))
        url = request.metadata.get("url") or (tool_input.get("url") if isinstance(tool_input, dict) else None)
        if isinstance(url, str):
            parts.append(Text(f"\nurl  {neutralise(url)}"))
        parts.append(Text("\npatterns", style="bold"))
        parts.append(Text("\n".join(f"  {neutralise(p)}" for p in request.patterns) or "  (none)"))
        if capabilities.persist_dirs:  # "always" saves the directories the request names (a gateway)
            parts.append(Text("\n\"always\" would also save access to these directories", style="bold"))
        else:
            parts.append(Text("\n\"always\" would persist", style="bold"))
        parts.append(Text("\n".join(f"  {neutralise(p)}" for p in request.always) or "  (nothing: always acts like once)"))
        # (then the session's rules, when the server tells them: a section of their own)
        foot: list[Text] = []
        if request.tool and request.tool.call_id:
            foot.append(Text(f"\ntool call {neutralise(request.tool.call_id)} · o opens it in the stream", style="dim"))
        keys = "y/Enter allow once · a always · n reject" + (" · N reject with a message"
                                                             if capabilities.reject_message else "")
        foot.append(Text("\n" + keys + " · space marks it for a batch", style="dim"))
        foot.append(Text(capabilities.reject_note(), style="dim italic"))  # what a reject does there
        self._show(heads, parts, foot)

    def _show(self, heads: list[Text], parts: list[RenderableType], foot: list[Text] | None = None) -> None:
        # Every line is built from neutralised values; this pass also catches what was
        # not (a risk description, a rule's action, an error note from the server).
        body = Group(*(safe_text(p) if isinstance(p, Text) else p for p in parts))
        self._body_plain = "\n".join(p.plain for p in parts if isinstance(p, Text))
        self._show_foot(foot or [])
        self._head_and_state(heads, self._state_text)
        self.query_one("#gate-body", Static).update(body)

    _rules_text: Text | None = None
    _foot_plain = ""

    def _show_rules(self, text: Text | None) -> None:
        """The rules section: redrawn only when it changed, laid out only when it takes
        another number of lines (``None``: not shown)."""
        old = self._rules_text
        if text is None or old is None:
            if text is old:
                return
        elif text.plain == old.plain and text.spans == old.spans and text.style == old.style:
            return
        self._rules_text = text
        section = self.query_one("#gate-rules", Static)
        if text is None:
            section.display = False
            section.update("")
        else:
            safe = safe_text(text)
            width = section.content_region.width or self.content_region.width
            same_height = (old is not None and section.display and width > 0
                           and self._lines(old, width) == self._lines(safe, width))
            section.display = True
            section.update(safe, layout=not same_height)
        self._set_plain()

    def _lines(self, text: Text, width: int) -> int:
        return len(text.wrap(self.app.console, width))

    def _show_foot(self, foot: list[Text]) -> None:
        section = self.query_one("#gate-foot", Static)
        self._foot_plain = "\n".join(t.plain for t in foot)
        section.display = bool(foot)
        section.update(Group(*(safe_text(t) for t in foot)) if foot else "")

    # The gate's decision state has a line of its own, between the head and the body:
    # "sending…" after a key redraws that line, not the body (a command's highlighting,
    # a diff: ~20 ms each, measured, right when the decision is on its way).
    _head_plain: list[str] = []
    _body_plain = ""
    _state_text: Text | None = None

    def _show_state(self, state: GateState | None, colors: dict[str, str]) -> None:
        text = None if state is None else self._state_line(state, colors)
        old = self._state_text
        if (text is None) == (old is None) and (text is None or (old is not None and text.plain == old.plain
                                                                  and text.style == old.style)):
            return
        self._state_text = text
        line = self.query_one("#gate-state", Static)
        line.display = text is not None
        line.update(safe_text(text) if text is not None else "")
        self._set_plain()

    def _head_and_state(self, heads: list[Text], state: Text | None) -> None:
        self._head_plain = [h.plain for h in heads]
        head = self.query_one("#gate-head", Static)
        head.display = bool(heads)
        head.update(safe_text(Text("\n").join(heads)) if heads else "")
        if state is None:
            self.query_one("#gate-state", Static).display = False
        self._set_plain()

    def _set_plain(self) -> None:
        """The words shown (code blocks aside), for a reader that is not a terminal."""
        lines = [*self._head_plain]
        if self._state_text is not None:
            lines.append(self._state_text.plain)
        if self._body_plain:
            lines.append(self._body_plain)
        if self._rules_text is not None:
            lines.append(self._rules_text.plain)
        if self._foot_plain:
            lines.append(self._foot_plain)
        self.plain = "\n".join(lines)

    @staticmethod
    def _state_line(state: GateState, colors: dict[str, str]) -> Text:
        if state.phase is Phase.SENDING:
            return Text(f"sending: {state.decision.kind}…", style=f"bold {colors['warning']}")
        if state.phase is Phase.CHECKING:
            return Text(f"no answer from the server ({state.note}); checking whether it arrived…", style=f"bold {colors['warning']}")
        if state.phase is Phase.FAILED:
            return Text(state.note, style=f"bold {colors['error']}")
        return Text("decided", style="dim")

    @staticmethod
    def _rules(request: PermissionRequest, rules: SessionPermissions | None, error: str | None, colors: dict[str, str]) -> Text:
        text = Text("\nsession rules (last match wins)\n", style="bold")
        if error:
            text.append(f"  could not load: {error}\n", style="italic")
            return text
        if rules is None:
            text.append("  loading…\n", style="italic")
            return text
        if not rules.effective:
            text.append("  (no rules: every call asks)\n")
            return text
        values = [request.command] if request.command else list(request.patterns)
        hit = matching_rule(rules.effective, request.permission or "", [v for v in values if v])
        for index, rule in enumerate(rules.effective):
            line = f"  {rule.action:<5} {neutralise(rule.permission)} {neutralise(rule.pattern)}"
            if index == hit:
                text.append(line + "   ← matches\n", style=f"bold reverse {colors['accent']}")
            else:
                text.append(line + "\n")
        if hit is None:
            text.append("  no rule matches, so the agent asks\n", style="dim")
        return text

    def show_question(self, question: Question, *, session_title: str, agent: str | None,
                      state: GateState | None, colors: dict[str, str], capabilities: Capabilities,
                      key: str | None = None, source: str | None = None) -> None:
        self.gate_id = key or question.id
        self._show_state(state, colors)
        self._show_rules(None)
        if self._unchanged(("question", question, session_title, agent, colors, capabilities, source)):
            return
        head = Text()
        head.append("question", style="bold")
        head.append(f"  ·  {neutralise(session_title)}")
        if agent:
            head.append(f"  ·  {neutralise(agent)}")
        heads = [head]
        if source:
            heads.append(Text(f"from {neutralise(source)}", style="dim"))
        parts: list[RenderableType] = []
        for item in question.questions:
            block = Text("\n")
            if item.header:
                block.append(neutralise(item.header) + "\n", style="bold")
            block.append(neutralise(item.question) + "\n")
            for option in item.options:
                block.append("  • ", style="bold")
                block.append(neutralise(option.label))
                if option.description:
                    block.append(f"  {neutralise(option.description)}", style="dim")
                block.append("\n")
            if item.multiple:
                block.append("  (several may apply)\n", style="dim")
            parts.append(block)
        reject = (" · n rejects with a reason" if capabilities.question_reject_reason else " · n rejects it"
                  ) if capabilities.question_reject else ""
        parts.append(Text(f"\nEnter opens the answers: choose with ↑↓, or type one{reject}", style="dim"))
        self._show(heads, parts)
