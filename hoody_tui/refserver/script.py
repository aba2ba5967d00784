"""What an agent turn does, as data: a :data:`Script` is a list of model steps, each a
list of actions (think, say, call a tool, ask a question, update todos).

The turn runner (:mod:`.agent`) plays a script; :mod:`.content` writes them from the seed.
A prompt can also spell its script out (:func:`script_from_prompt`), which is how tests
and demo users drive an agent precisely::

    please run `rm -rf build/` and then `git status`
    ask: Which database? [postgres | sqlite]

Each backticked command becomes a bash call (gated by the permission rules like any other),
each ``ask:`` line a question with the bracketed options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Think",
    "Say",
    "ToolCall",
    "Ask",
    "Todos",
    "JobSpec",
    "JobStep",
    "Action",
    "Step",
    "Script",
    "script_from_prompt",
]


@dataclass
class Think:
    """A reasoning part."""

    text: str


@dataclass
class Say:
    """A text part, streamed in deltas."""

    text: str


@dataclass
class JobStep:
    """One progress update of a job: message, percent, and a line appended to its output."""

    message: str
    percent: int
    line: str = ""


@dataclass
class JobSpec:
    """How a job will run: its tool/input, progress steps and outcome
    (``completed``/``failed``/``expired``), and child jobs run under it."""

    tool: str
    input: dict[str, Any]
    steps: list[JobStep]
    outcome: str = "completed"
    error: str | None = None
    final_output: str = ""
    wake_policy: str = "auto"
    timeout: int = 60000
    children: list[JobSpec] = field(default_factory=list)


@dataclass
class ToolCall:
    """A tool part: ``pending`` -> (permission gate) -> ``running`` -> ``completed``/``error``.
    ``error`` makes the tool fail on its own; ``job`` starts a background job from it."""

    tool: str
    input: dict[str, Any]
    title: str
    output: str
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration: float = 0.6
    job: JobSpec | None = None


@dataclass
class Ask:
    """The question tool: asks and waits for the user's answer."""

    questions: list[dict[str, Any]]


@dataclass
class Todos:
    """The todowrite tool: replaces the session's todo list."""

    todos: list[dict[str, Any]]


Action = Think | Say | ToolCall | Ask | Todos
Step = list[Action]
Script = list[Step]

_COMMAND = re.compile(r"`([^`\n]+)`")
_ASK = re.compile(r"^\s*ask:\s*(?P<q>[^\[\n]+?)\s*(?:\[(?P<opts>[^\]\n]*)\])?\s*$", re.IGNORECASE | re.MULTILINE)


def question(text: str, options: list[str], header: str | None = None, multiple: bool = False) -> dict[str, Any]:
    """One question in the opencode shape."""
    return {
        "question": text,
        "header": header or text.split("?")[0][:30],
        "options": [{"label": o, "description": ""} for o in options],
        "multiple": multiple,
    }


def script_from_prompt(text: str, bash_output: Any) -> Script | None:
    """The script a prompt spells out, or ``None`` if it names no command and no question.
    ``bash_output(command)`` gives a command's canned output."""
    commands = _COMMAND.findall(text)
    asks = [(m.group("q"), m.group("opts")) for m in _ASK.finditer(text)]
    if not commands and not asks:
        return None
    first: Step = [Think("The user spelled out exactly what to run; I will do that and report back.")]
    if commands:
        listing = ", ".join(f"`{c}`" for c in commands)
        first.append(Say(f"Running {listing} as asked."))
        for command in commands:
            first.append(ToolCall(
                "bash", {"command": command, "description": f"Run {command.split()[0]}"},
                title=command, output=bash_output(command),
                metadata={"description": f"Run {command.split()[0]}"}, duration=0.3,
            ))
    for q, opts in asks:
        options = [o.strip() for o in (opts or "").split("|") if o.strip()] or ["Yes", "No"]
        first.append(Ask([question(q.strip(), options)]))
    return [first, [Say("Done. Everything you asked for has been handled.")]]
