"""Playing a turn: the workspace flavour's scripts (:mod:`..script`: think, say, call a
tool, ask) become gateway events, plus two steps of the gateway's own:

- :class:`Confirm`: a tool call that always parks a confirm gate (test driving);
- :class:`Hold`: the turn stays in flight until released (``GatewayState.release``).

A tool call parks a confirm gate when it mutates (``edit``/``write``/``webfetch``, or a
``bash`` command outside the safe list), unless its directories were persisted by an
earlier ``persist_dirs``. Approved: the tool runs and the turn goes on. Denied: the turn
ends (``agent_done`` ``ok:false``). A question parks a question gate; the answer lets the
turn go on. A tool call carrying a job spec starts a background task.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..content import SAFE_COMMANDS
from ..script import Ask, JobSpec, Say, Think, Todos, ToolCall
from .gates import CONFIRM, QUESTION

if TYPE_CHECKING:
    from .records import SessionRec, Turn
    from .state import GatewayState

__all__ = ["Confirm", "Hold", "GatewayStep", "GatewayScript", "play", "needs_confirm", "question_payload"]

GATED_TOOLS = {"edit", "write", "webfetch", "patch"}
DELTA_DELAY = 0.05
THINK_DELAY = 0.25


@dataclass
class Confirm:
    """A tool call that parks a confirm gate (``dirs`` offers ``persist_dirs``)."""

    tool: str = "bash"
    args: dict[str, Any] = field(default_factory=lambda: {"command": "rm -rf build/"})
    summary: str | None = None
    dirs: list[str] | None = None
    output: str = "(exit 0)\n"
    delay: float = 0.0


@dataclass
class Hold:
    """Stay in flight until the session's turn is released."""


GatewayStep = Sequence[Think | Say | ToolCall | Ask | Todos | Confirm | Hold]
GatewayScript = Sequence[GatewayStep]
"""The workspace flavour's ``Script`` is one of these."""


class Denied(Exception):
    """A confirm gate was denied: the turn ends."""


def needs_confirm(call: ToolCall) -> bool:
    if call.tool in GATED_TOOLS:
        return True
    return call.tool == "bash" and str(call.input.get("command", "")) not in SAFE_COMMANDS


def _summary(call: ToolCall) -> str:
    if call.tool == "bash":
        return f"Run `{call.input.get('command', '')}`"
    if call.tool in ("edit", "write", "patch"):
        return f"{call.tool.capitalize()} {call.input.get('filePath', call.title)}"
    if call.tool == "webfetch":
        return f"Fetch {call.input.get('url', call.title)}"
    return call.title


def _dirs(call: ToolCall) -> list[str] | None:
    path = call.input.get("filePath")
    if call.tool in ("edit", "write", "patch") and isinstance(path, str):
        return [posixpath.dirname(path)]
    return None


def question_payload(ask: Ask) -> dict[str, Any]:
    """``{question, header, options}`` for one question, ``{question, fields}`` for several."""
    questions = ask.questions
    if len(questions) == 1:
        q = questions[0]
        return {"question": q["question"], "header": q.get("header"),
                "options": [o["label"] for o in q.get("options", [])], "multiple": bool(q.get("multiple"))}
    return {"question": "; ".join(q["question"] for q in questions),
            "fields": [{"name": q.get("header") or f"q{i + 1}", "question": q["question"],
                        "options": [o["label"] for o in q.get("options", [])]} for i, q in enumerate(questions)]}


def _chunks(text: str, size: int = 4) -> list[str]:
    words = text.split(" ")
    return [" ".join(words[i:i + size]) + (" " if i + size < len(words) else "") for i in range(0, len(words), size)]


async def play(state: GatewayState, s: SessionRec, turn: Turn, script: GatewayScript) -> None:
    """Play ``script`` as ``turn`` (raises :class:`Denied` when a confirm is denied)."""
    for step in script:
        for action in step:
            if turn.finished:
                return
            await _act(state, s, turn, action)


async def _act(state: GatewayState, s: SessionRec, turn: Turn,
               action: Think | Say | ToolCall | Ask | Todos | Confirm | Hold) -> None:
    if isinstance(action, Think):
        state.emit(s, "event.thinking", text=action.text)
        await state.sleep(THINK_DELAY)
    elif isinstance(action, Say):
        for chunk in _chunks(action.text):
            turn.reply.append(chunk)
            state.emit(s, "event.text_delta", delta=chunk)
            await state.sleep(DELTA_DELAY)
        turn.reply.append("\n")
    elif isinstance(action, ToolCall):
        payload = None
        if needs_confirm(action):
            dirs = _dirs(action)
            if not (dirs and all(d in s.persisted_dirs for d in dirs)):
                payload = {"tool": action.tool, "summary": _summary(action), "args": action.input}
                if dirs:
                    payload["dirs"] = dirs
        await _tool(state, s, turn, action.tool, action.input, action.title, payload,
                    output=action.output, error=action.error, duration=action.duration, job=action.job)
    elif isinstance(action, Confirm):
        summary = action.summary or f"Run {action.tool}"
        payload = {"tool": action.tool, "summary": summary, "args": action.args}
        if action.dirs:
            payload["dirs"] = list(action.dirs)
        await _tool(state, s, turn, action.tool, action.args, summary, payload,
                    output=action.output, error=None, duration=action.delay, job=None)
    elif isinstance(action, Ask):
        resolution = await state.park(s, turn, QUESTION, question_payload(action))
        if resolution.get("outcome") == "answered":
            await state.sleep(THINK_DELAY)
    elif isinstance(action, Hold):
        await turn.hold.wait()
    # Todos: the gateway keeps todos in its own namespace; a turn does not touch them.


async def _tool(state: GatewayState, s: SessionRec, turn: Turn, tool: str, args: dict[str, Any], title: str,
                gate: dict[str, Any] | None, *, output: str, error: str | None, duration: float,
                job: JobSpec | None) -> None:
    call_id = state.new_id("call")
    state.emit(s, "event.tool_call", call_id=call_id, tool=tool, title=title, args=args)
    if gate is not None:
        resolution = await state.park(s, turn, CONFIRM, {**gate, "call_id": call_id})
        if turn.finished:
            return
        if not resolution.get("approved"):
            state.emit(s, "event.tool_result", call_id=call_id, tool=tool, ok=False, error="Denied by the user")
            raise Denied(f"Confirm denied: {gate['summary']}")
    await state.sleep(duration)
    if error:
        state.emit(s, "event.tool_result", call_id=call_id, tool=tool, ok=False, error=error)
    else:
        state.emit(s, "event.tool_result", call_id=call_id, tool=tool, ok=True, output=output)
    if job is not None:
        state.start_task(s, job)
