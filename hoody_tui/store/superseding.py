"""Which events of one read a later event of the same read makes redundant for the store.

A busy agent rewrites the same part many times a second: under 2,000 events/s over 50
sessions, 45 % of the ``message.part.updated`` frames of a read (~80 frames, 25 reads a
second) are followed in that same read by another update of the same part, which
replaces the whole part (its text so far, not an increment). Parsing each (pydantic,
~4 µs) and applying it only to overwrite it a moment later was a third of the intake's
work; on one session streaming 100 updates a second, three frames in four.

:func:`plan_supersession` reads the decoded payloads of a read (plain JSON, before any
parsing) and returns :class:`Run`\\ s: the updates of one part that can be applied as
their last one alone, **in the place of the first** (so the part and its message are
first seen where they were, and keep their order among the others). A run holds only
while nothing between its frames can tell the difference to the store:

- other parts' updates and deltas, and events that never touch a message (statuses,
  jobs, gates, todos, loops, sessions' own records, LSP, heartbeats...), pass freely;
- an event on a *different message of the same session* ends that session's runs: a
  new message may push an old one out of the session's kept history (the store keeps
  a bounded number), and the part's later update would have brought its message back;
- a message's update of the run's own message passes (the message exists already);
- anything else (a removal, a deleted session, an instance disposed, an unknown type, a
  payload whose identity cannot be read exactly as the parser would) ends every run.

Deltas (``message.part.delta``) of the part before one of its updates are replaced by
that update too (it carries the whole text); deltas after the last update stay.

The caller parses each run's last update before relying on the plan, and keeps the run's
frames as they came when it does not parse (so a malformed last update is counted and
skipped as before, and what came before it is applied). A superseded update itself is
read only as far as its identity: had the rest of it been malformed, it is not counted
as malformed; what it said would have been replaced anyway. No Textual here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Run", "plan_supersession", "PASSING_TYPES"]

PASSING_TYPES = frozenset({
    "server.connected", "server.heartbeat", "heartbeat",
    "session.created", "session.updated", "session.status", "session.idle", "session.error",
    "session.diff", "session.compacted",
    "permission.asked", "permission.updated", "permission.replied",
    "question.asked", "question.replied", "question.rejected",
    "todo.updated", "job.updated", "job.created", "job.progress", "job.completed", "loop.updated",
    "vcs.branch.updated", "lsp.updated", "lsp.client.diagnostics",
})
"""Event types whose effect on the store never touches a message or a part (see
``WorkspaceStore._apply``): a run goes on across them."""

_SESSION = ("sessionID", "sessionId", "session_id")
_MESSAGE = ("messageID", "messageId", "message_id")
_PART = ("partID", "partId", "part_id")


@dataclass(slots=True)
class Run:
    """Updates of one part in one read: apply frame ``last`` in the place of frame
    ``slot`` and skip the frames in ``dropped`` (``last`` among them when it moved)."""

    slot: int
    last: int
    dropped: list[int] = field(default_factory=list)


def _alias(obj: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first of ``names`` present, as pydantic's AliasChoices reads it."""
    for name in names:
        if name in obj:
            return obj[name]
    return None


def _message_of(props: dict[str, Any]) -> tuple[str, str] | None:
    """``(session, message)`` a ``message.updated`` is about, when it says plainly."""
    info = props.get("info")
    if type(info) is not dict:
        return None
    session = _alias(info, _SESSION)
    ident = info.get("id")
    if type(session) is not str or type(ident) is not str or not session or not ident:
        return None
    return session, ident


def plan_supersession(payloads: Sequence[Any]) -> list[Run]:
    """The runs of ``payloads`` (one read's decoded frames, in order) in which later
    updates replace earlier ones; see the module's docstring. A payload that is not a
    JSON object (a blank, a frame that is not JSON) changes nothing in the store and
    passes.

    (Written for speed: it reads every frame of a busy stream, ~0.6 µs each in a loop. A run is
    recorded when its second frame comes and grows in place, so ending runs is only
    forgetting them.)"""
    runs: list[Run] = []
    # Per session: the message its open runs are in, and per part [first update's
    # index or -1, its Run once there is one, deltas since its last update or None].
    sessions: dict[str, tuple[str, dict[str, list[Any]]]] = {}
    passing = PASSING_TYPES
    for index, payload in enumerate(payloads):
        try:
            kind = payload.get("type")
        except AttributeError:  # not a JSON object
            continue
        if kind == "message.part.updated":
            props = payload.get("properties")
            holder = props.get("part") if type(props) is dict else None
            if type(holder) is not dict:
                sessions.clear()
                continue
            part = holder.get("id")
        elif kind in passing:
            continue
        elif kind == "message.part.delta":
            holder = payload.get("properties")
            if type(holder) is not dict:
                sessions.clear()
                continue
            part = _alias(holder, _PART)
        elif kind == "message.updated":
            props = payload.get("properties")
            about = _message_of(props) if type(props) is dict else None
            if about is None:
                sessions.clear()
            else:
                held = sessions.get(about[0])
                if held is not None and held[0] != about[1]:
                    del sessions[about[0]]  # a new message may push the runs' out of the history
            continue
        else:
            sessions.clear()  # a removal, an unknown type...: nothing moves across it
            continue
        session = holder.get("sessionID")
        if session is None:
            session = _alias(holder, _SESSION)
        message = holder.get("messageID")
        if message is None:
            message = _alias(holder, _MESSAGE)
        if not (type(part) is type(session) is type(message) is str and part and session and message):
            sessions.clear()  # read as it comes, and nothing moves across it
            continue
        held = sessions.get(session)
        if held is None or held[0] != message:
            held = sessions[session] = (message, {})  # (the session's runs in another message end)
        state = held[1].get(part)
        if kind == "message.part.delta":
            if state is None:
                held[1][part] = [-1, None, [index]]
            elif state[2] is None:
                state[2] = [index]
            else:
                state[2].append(index)
            continue
        if state is None:
            held[1][part] = [index, None, None]
            continue
        run: Run | None = state[1]
        pending: list[int] | None = state[2]
        state[2] = None
        if state[0] < 0:  # deltas, then the part's first update: it replaces them where it is
            state[0] = index
            run = state[1] = Run(index, index, pending or [])
            runs.append(run)
            continue
        if run is None:
            run = state[1] = Run(state[0], index, [])
            runs.append(run)
        else:
            run.last = index
        if pending:
            run.dropped.extend(pending)
        run.dropped.append(index)
    return runs
