"""The headless commands: ``pending``, ``approve``/``reject``/``answer``, ``sessions`` and
``events``, on the same workspace services the TUI uses.

Each is a coroutine over :class:`~.sources.Sources` that prints its result and returns
an exit status (or raises :class:`~.exits.CommandFailed`). Decisions go through the gate
desk (:class:`~hoody_tui.core.decisions.GateDesk`), so the command line keeps the TUI's
promises: a decision is sent once and never retried, a gate decided elsewhere is said
(exit 3), and every decision is audited, marked ``via: cli``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..api.errors import HoodyError
from ..api.events import Event, PermissionAsked, QuestionAsked, UnknownEvent
from ..api.messages import ToolPart
from ..api.permissions import PermissionRequest
from ..api.questions import Question
from ..core.background import cancel_and_wait
from ..core.decisions import describe_gate
from ..core.publications import ConnectionUpdated, Notice, Publication, StoreUpdated
from ..events.items import ConnectionState, Malformed, Resync
from ..gates.ledger import Decision, DecisionKind
from ..gates.risk import classify
from ..store.changes import Gate
from ..text import shorten
from .exits import CommandFailed, Exit
from .output import age_text, dumps, emit, say, table
from .sources import Source, Sources

__all__ = ["pending", "wait_for_gates", "decide", "sessions", "events", "Verdict", "parse_options",
           "RESYNC_TYPE", "QUIET_TYPES"]

RESYNC_TYPE = "hoody.resync"
"""The type of the line ``events`` prints after a reconnect: what happened meanwhile was
not streamed, so a script should list again (``hoody-tui pending``)."""
QUIET_TYPES = frozenset({"server.heartbeat"})
"""Left out of ``events`` unless a ``--type`` names them."""
CHECK_DELAYS = (0.0, 1.0, 2.0, 4.0)
"""When a reply got no answer: the pauses before each listing that tells whether it arrived."""


# --- pending ---------------------------------------------------------------------------


def _gate_record(source: Source, gate: Gate, now: float, workspace: str | None, several: bool,
                 since: dict[str, int]) -> dict[str, Any]:
    store = source.store
    session = store.sessions.get(gate.session_id or "")
    created = gate.time.created if gate.time else since.get(gate.id)
    record: dict[str, Any] = {
        "id": gate.id,
        "kind": "permission" if isinstance(gate, PermissionRequest) else "question",
        "source": source.name,
        "session": gate.session_id,
        "session_title": (session.title if session else None) or None,
        "agent": store.agent_of(gate.session_id or ""),
        "tool": None,
        "age_s": None if created is None else round(max(0.0, now - created / 1000), 1),
        "created_ms": created,
    }
    if isinstance(gate, PermissionRequest):
        record.update(tool=gate.permission, subject=gate.subject, command=gate.command, patterns=gate.patterns,
                      always=gate.always, risk=list(classify(gate, workspace=workspace).reasons))
    else:
        record.update(subject=gate.text, risk=[], questions=[
            {"question": item.question, "header": item.header, "multiple": item.multiple,
             "options": [option.label for option in item.options]} for item in gate.questions])
    if gate.generation is not None:
        record["generation"] = gate.generation
    if several:
        record["server"] = source.backend.server
    return record


async def _workspace_paths(sources: Sequence[Source]) -> dict[str, str | None]:
    paths = await asyncio.gather(*(s.service.workspace_path() for s in sources))
    return {s.name: path for s, path in zip(sources, paths, strict=True)}


async def _asked_at(source: Source) -> dict[str, int]:
    """When each gate without a time of its own was asked, in epoch ms: its tool call's
    start (or its message's creation). opencode's requests, and the workspace API's,
    carry no time; a gate is asked as its call starts. One listing per session with such
    gates; a session that cannot be listed leaves its gates' age unknown."""
    untimed = [g for g in source.store.gates_in_order() if not (g.time and g.time.created) and g.tool]
    sessions = sorted({g.session_id for g in untimed if g.session_id})
    if not sessions:
        return {}
    listed = await asyncio.gather(*(source.backend.messages(s) for s in sessions), return_exceptions=True)
    started: dict[tuple[str | None, str | None], int] = {}
    for messages in listed:
        if isinstance(messages, BaseException):
            continue
        for message in messages:
            message_time = message.info.time.created if message.info.time else None
            for part in message.parts:
                if not isinstance(part, ToolPart):
                    continue
                start = part.state.time.start if part.state.time else None
                when = start or message_time
                if when:
                    started[(message.info.id, part.call_id)] = when
                    started.setdefault((None, part.call_id), when)
    found: dict[str, int] = {}
    for gate in untimed:
        assert gate.tool is not None
        when = started.get((gate.tool.message_id, gate.tool.call_id)) or started.get((None, gate.tool.call_id))
        if when:
            found[gate.id] = when
    return found


def _oldest_first(records: list[dict[str, Any]], order: dict[str, int]) -> list[dict[str, Any]]:
    """By creation time; a gate without one keeps its place in its source's listing."""
    now_ms = time.time() * 1000
    return sorted(records, key=lambda r: (r["created_ms"] if r["created_ms"] is not None else now_ms,
                                          order.get(f"{r['source']}\0{r['id']}", 0)))


async def gate_records(sources: Sources, listed: Sequence[Source],
                       clock: Callable[[], float] = time.time) -> list[dict[str, Any]]:
    """Every pending gate of the ``listed`` sources as a JSON-ready record, oldest first."""
    paths = await _workspace_paths(listed)
    asked = await asyncio.gather(*(_asked_at(s) for s in listed))
    now = clock()
    records: list[dict[str, Any]] = []
    order: dict[str, int] = {}
    for source, since in zip(listed, asked, strict=True):
        for index, gate in enumerate(source.store.gates_in_order()):
            order[f"{source.name}\0{gate.id}"] = index
            records.append(_gate_record(source, gate, now, paths.get(source.name), sources.several, since))
    return _oldest_first(records, order)


def print_gates(records: list[dict[str, Any]], *, as_json: bool, several: bool) -> None:
    if as_json:
        emit(dumps(records))
        return
    if not records:
        emit("No gate is waiting for you.")
        return
    header = ["ID", "KIND", *(["SOURCE"] if several else []), "SESSION", "TOOL", "WHAT", "AGE", "RISK"]
    rows = []
    for r in records:
        title = r["session_title"] or r["session"] or ""
        risk = ("⚠ " + "; ".join(r["risk"])) if r["risk"] else ""
        rows.append([r["id"], r["kind"], *([r["source"]] if several else []), shorten(title, 30),
                     r["tool"] or "", r["subject"], age_text(r["age_s"]), shorten(risk, 40)])
    for line in table(header, rows, stretch=header.index("WHAT")):
        emit(line)


async def pending(sources: Sources, *, as_json: bool) -> Exit:
    listed = await sources.list()
    records = await gate_records(sources, listed)
    print_gates(records, as_json=as_json, several=sources.several)
    return Exit.OK


async def wait_for_gates(sources: Sources, *, as_json: bool, timeout: float | None) -> Exit:
    """Block until at least one gate is pending in any source, then print them all (as
    ``pending`` does). Each source follows its live events, reconnecting as the TUI does;
    a source refused for good is said and left; when none is left, the command fails."""
    listed = await sources.list()
    if not any(s.store.permissions or s.store.questions for s in listed):
        if sys.stderr.isatty():
            say("waiting for a gate… (Ctrl-C to stop)")
        await _follow_until_a_gate(sources, listed, timeout)
    records = await gate_records(sources, listed)
    print_gates(records, as_json=as_json, several=sources.several)
    return Exit.OK


async def _follow_until_a_gate(sources: Sources, listed: list[Source], timeout: float | None) -> None:
    woken = asyncio.Event()
    ended: dict[str, ConnectionState] = {}
    crashed: list[BaseException] = []

    def publisher(source: Source) -> Callable[[Publication], None]:
        def publish(publication: Publication) -> None:
            if isinstance(publication, StoreUpdated):
                if source.store.permissions or source.store.questions:
                    woken.set()
            elif isinstance(publication, ConnectionUpdated):
                state = publication.state
                if state.phase == "reconnecting":
                    say(f"{_prefix(sources, source)}{state.describe()}")
                elif state.final:
                    ended[source.name] = state
                    reason = state.reason or state.phase
                    say(f"{_prefix(sources, source)}the event stream stopped: {reason}")
                    if len(ended) == len(listed):
                        woken.set()
            elif isinstance(publication, Notice) and publication.severity == "error":
                say(f"{_prefix(sources, source)}{publication.text}")
        return publish

    def finished(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            crashed.append(task.exception())  # type: ignore[arg-type]
            woken.set()

    tasks = []
    for source in listed:
        source.service.subscribe(publisher(source))
        task = asyncio.create_task(source.service.run(), name=f"hoody-follow-{source.name}")
        task.add_done_callback(finished)
        tasks.append(task)
    try:
        await asyncio.wait_for(woken.wait(), timeout)
    except TimeoutError:
        raise CommandFailed(f"no gate was pending after {timeout:g}s", Exit.TIMED_OUT) from None
    finally:
        await cancel_and_wait(tasks)
    if crashed:
        error = crashed[0]
        raise CommandFailed(str(error) if isinstance(error, HoodyError) else f"the event stream failed: {error!r}")
    if any(s.store.permissions or s.store.questions for s in listed):
        return
    phases = {state.phase for state in ended.values()}
    code = Exit.UNAUTHORIZED if phases & {"unauthorized", "forbidden"} else Exit.ERROR
    raise CommandFailed("no source is left to wait on", code)


def _prefix(sources: Sources, source: Source) -> str:
    return f"{source.name}: " if sources.several else ""


# --- approve, reject, answer -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the person asked for on the command line, before the gate is known."""

    verb: str  # approve | reject | answer
    always: bool = False
    message: str | None = None
    options: tuple[str, ...] = ()
    text: str | None = None
    generation: int | None = None


def parse_options(question: Question, picks: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """``--option`` values (``N``, or ``PART:N`` when the question has several parts; 1-based)
    as the chosen labels of each part. Raises a usage failure that lists the options."""
    items = question.questions
    if not items:
        raise CommandFailed("this question has no options: answer it with --text", Exit.USAGE)
    chosen: list[list[str]] = [[] for _ in items]
    for pick in picks:
        part_text, _, number_text = pick.rpartition(":")
        try:
            part = int(part_text) if part_text else 1
            number = int(number_text)
        except ValueError:
            raise CommandFailed(f"--option takes a number (or PART:NUMBER), not {pick!r}", Exit.USAGE) from None
        if not part_text and len(items) > 1:
            raise CommandFailed(f"this question has {len(items)} parts: say which with --option PART:N "
                                f"(for example --option 1:{number})\n{_option_list(question)}", Exit.USAGE)
        if not 1 <= part <= len(items):
            raise CommandFailed(f"this question has {len(items)} part(s), not {part}\n{_option_list(question)}",
                                Exit.USAGE)
        item = items[part - 1]
        if not 1 <= number <= len(item.options):
            raise CommandFailed(f"option {number} is not one of this question's\n{_option_list(question)}",
                                Exit.USAGE)
        label = item.options[number - 1].label
        if label not in chosen[part - 1]:
            chosen[part - 1].append(label)
    for index, (item, labels) in enumerate(zip(items, chosen, strict=True), start=1):
        if not labels:
            raise CommandFailed(f"part {index} has no option chosen\n{_option_list(question)}", Exit.USAGE)
        if len(labels) > 1 and not item.multiple:
            raise CommandFailed(f"part {index} takes one option, not {len(labels)}\n{_option_list(question)}",
                                Exit.USAGE)
    return tuple(tuple(labels) for labels in chosen)


def _option_list(question: Question) -> str:
    lines = []
    several = len(question.questions) > 1
    for part, item in enumerate(question.questions, start=1):
        lines.append(f"  {part}. {shorten(item.question, 70)}" if several else f"  {shorten(item.question, 72)}")
        for number, option in enumerate(item.options, start=1):
            key = f"{part}:{number}" if several else str(number)
            lines.append(f"    --option {key}  {shorten(option.label, 60)}")
        if item.multiple:
            lines.append("    (more than one may be chosen)")
    return "\n".join(lines)


def _decision(source: Source, gate: Gate, verdict: Verdict) -> Decision:
    """The decision ``verdict`` makes on ``gate``, or a usage failure saying why it cannot."""
    caps = source.backend.capabilities
    is_question = isinstance(gate, Question)
    if verdict.generation is not None:
        if not caps.gate_generation:
            raise CommandFailed("this server's gates have no generation: leave out --generation", Exit.USAGE)
        if gate.generation is not None and gate.generation != verdict.generation:
            raise CommandFailed(
                f"gate {gate.id} has changed since generation {verdict.generation} (it is at {gate.generation} "
                "now): list it again with `hoody-tui pending` and decide what it asks now", Exit.NO_GATE)
    generation = verdict.generation if verdict.generation is not None else gate.generation
    kind: DecisionKind
    labels = None
    message = verdict.message
    if verdict.verb == "approve":
        if is_question:
            raise CommandFailed(f"gate {gate.id} is a question: answer it with `hoody-tui answer {gate.id} "
                                "--option N` (or --text)", Exit.USAGE)
        kind = "always" if verdict.always else "once"
    elif verdict.verb == "reject":
        if is_question:
            if not caps.question_reject:
                raise CommandFailed("this server cannot reject a question: answer it instead", Exit.USAGE)
            if message and not caps.question_reject_reason:
                raise CommandFailed("this server takes no reason with a question's reject: leave out --message",
                                    Exit.USAGE)
            kind = "reject-question"
        else:
            if message and not caps.reject_message:
                raise CommandFailed("this server takes no message with a reject: leave out --message", Exit.USAGE)
            kind = "reject"
    else:
        if not isinstance(gate, Question):
            raise CommandFailed(f"gate {gate.id} is a permission request: use `hoody-tui approve` or "
                                "`hoody-tui reject`", Exit.USAGE)
        kind = "answer"
        if verdict.options:
            labels = parse_options(gate, verdict.options)
            message = None
        else:
            message = verdict.text or ""
            if not message.strip():
                raise CommandFailed("--text needs some text (or choose with --option N)", Exit.USAGE)
    return Decision(gate.id, kind, message or None, labels, generation)


async def decide(sources: Sources, gate_id: str, verdict: Verdict) -> Exit:
    await sources.list()
    source, gate = sources.find(gate_id)
    decision = _decision(source, gate, verdict)
    what = describe_gate(gate, 70)
    where = f" ({source.name})" if sources.several else ""
    result = await source.service.decide(decision)
    if result.status == "ok":
        extra = ""
        if decision.kind == "always" and isinstance(gate, PermissionRequest) and gate.always:
            extra = f"; from now on: {', '.join(gate.always)}"
        emit(f"{result.text}: {what}{where}{extra}")
        return Exit.OK
    if result.status in ("elsewhere", "gone"):
        raise CommandFailed(result.text, Exit.NO_GATE)
    if result.status == "checking":
        return await _confirm(source, gate, result.text, what, where)
    raise CommandFailed(result.text)  # refused (or busy: not reachable from a fresh command)


async def _confirm(source: Source, gate: Gate, said: str, what: str, where: str) -> Exit:
    """The reply got no answer: ask the server (a listing) whether it arrived. The reply
    itself is never sent again."""
    say(said)
    desk = source.service.desk
    await desk.aclose()  # its own background check: this command looks itself, and ends
    for delay in CHECK_DELAYS:
        await asyncio.sleep(delay)
        try:
            still = await source.backend.pending_gate_ids()
        except HoodyError:
            continue
        desk.settle(still)
        if gate.id in still:
            raise CommandFailed(f"the reply did not reach the server: {what}{where} is still pending. Nothing was "
                                "sent again; run the command again to decide it")
        emit(f"The reply had arrived after all: {what}{where}")
        return Exit.OK
    raise CommandFailed(f"the server did not answer, and could not be asked whether the reply arrived: check "
                        f"with `hoody-tui pending` before deciding {gate.id} again")


# --- sessions --------------------------------------------------------------------------


def session_records(sources: Sources, listed: Sequence[Source]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for source in listed:
        store = source.store
        for session in store.sessions.values():
            status = store.status(session.id)
            updated = (session.time.updated or session.time.created) if session.time else None
            gates = store.gate_count(session.id)
            record: dict[str, Any] = {
                "id": session.id,
                "source": source.name,
                "title": session.title,
                "status": "needs-you" if gates else status.type,
                "agent": store.agent_of(session.id),
                "model": session.model.label() if session.model else None,
                "cost": session.cost,
                "pending_gates": gates,
                "parent_id": session.parent_id,
                "updated_ms": updated,
            }
            if sources.several:
                record["server"] = source.backend.server
            records.append(record)
    rank = {"needs-you": 0, "busy": 1, "retry": 1}
    records.sort(key=lambda r: (rank.get(r["status"], 2), -(r["updated_ms"] or 0)))
    return records


async def sessions(sources: Sources, *, as_json: bool) -> Exit:
    listed = await sources.list()
    records = session_records(sources, listed)
    if as_json:
        emit(dumps(records))
        return Exit.OK
    if not records:
        emit("No sessions.")
        return Exit.OK
    now = time.time()
    header = ["ID", *(["SOURCE"] if sources.several else []), "STATUS", "TITLE", "AGENT", "MODEL", "COST",
              "GATES", "UPDATED"]
    rows = []
    for r in records:
        cost = f"${r['cost']:.2f}" if isinstance(r["cost"], int | float) else ""
        updated = age_text(now - r["updated_ms"] / 1000) if r["updated_ms"] else ""
        rows.append([r["id"], *([r["source"]] if sources.several else []), r["status"],
                     ("↳ " if r["parent_id"] else "") + (r["title"] or ""), shorten(r["agent"] or "", 12),
                     shorten(r["model"] or "", 28), cost, str(r["pending_gates"] or ""),
                     f"{updated} ago" if updated else ""])
    for line in table(header, rows, stretch=header.index("TITLE")):
        emit(line)
    return Exit.OK


# --- events ----------------------------------------------------------------------------


def event_record(event: Event, source: str, received: float) -> dict[str, Any]:
    """One event as a JSON object: its ``type``, the source, when it arrived (epoch
    seconds) and its ``properties`` in the documented (opencode) shape."""
    if isinstance(event, UnknownEvent):
        properties: Any = event.properties
    else:
        data = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        data.pop("type", None)
        # A request or question is the properties object itself (contract 1.5, opencode);
        # a session, message or job comes under its key ({"info": …}, {"job": …}).
        properties = data[event.wrap or ""] if isinstance(event, PermissionAsked | QuestionAsked) else data
    return {"type": event.type, "source": source, "time": round(received, 3), "properties": properties}


def _summary(event: Event) -> str:
    """A few words on an event for a person's tail."""
    record = event_record(event, "", 0.0)["properties"]
    if not isinstance(record, dict):
        return ""
    session = record.get("sessionID") or (record.get("info") or {}).get("sessionID") \
        or (record.get("part") or {}).get("sessionID") or (record.get("info") or {}).get("id") or ""
    detail = ""
    kind = event.type
    if kind.startswith("permission.asked") or kind == "permission.updated":
        detail = f"{record.get('permission') or ''}: {' '.join(record.get('patterns') or [])}"
    elif kind == "question.asked":
        detail = " / ".join(str(q.get("question", "")) for q in record.get("questions") or [])
    elif kind == "session.status":
        status = record.get("status")
        detail = str(status.get("type") if isinstance(status, dict) else status or "")
    elif kind in ("permission.replied", "question.replied", "question.rejected"):
        detail = f"{record.get('requestID') or ''} {record.get('reply') or ''}".strip()
    elif kind in ("message.part.delta",):
        detail = str(record.get("delta") or "")
    elif kind in ("session.updated", "session.created"):
        detail = str((record.get("info") or {}).get("title") or "")
    return f"{session}  {detail}".strip()


class _Wanted:
    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = list(patterns)

    def __call__(self, kind: str) -> bool:
        if not self.patterns:
            return kind not in QUIET_TYPES
        return any(fnmatch.fnmatchcase(kind, pattern) for pattern in self.patterns)


async def events(sources: Sources, *, as_json: bool, types: Sequence[str],
                 clock: Callable[[], float] = time.time) -> Exit:
    """Print the live events of every source until interrupted. After a reconnect a
    resync line says events may have been missed. Ends (non-zero) only when every source
    is refused for good."""
    listed = await sources.list()
    wanted = _Wanted(types)
    queue: asyncio.Queue[tuple[Source, object]] = asyncio.Queue(maxsize=1000)

    async def follow(source: Source) -> None:
        async for item in source.backend.events():
            await queue.put((source, item))

    tasks = [asyncio.create_task(follow(s), name=f"hoody-events-{s.name}") for s in listed]
    ended: dict[str, ConnectionState] = {}
    reconnecting: set[str] = set()
    try:
        while len(ended) < len(listed):
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                failed = next(t for t in tasks if t.done())
                error = failed.exception()
                raise CommandFailed(str(error) if isinstance(error, HoodyError)
                                    else f"the event stream ended: {error!r}" if error else "the event stream ended")
            source, item = getter.result()
            prefix = _prefix(sources, source)
            if isinstance(item, Event):
                if wanted(item.type):
                    record = event_record(item, source.name, clock())
                    if as_json:
                        emit(dumps(record))
                    else:
                        stamp = time.strftime("%H:%M:%S", time.localtime(record["time"]))
                        emit(shorten(f"{stamp}  {prefix}{item.type}  {_summary(item)}", 400))
            elif isinstance(item, Resync):
                if item.reconnect:
                    marker = {"type": RESYNC_TYPE, "source": source.name, "time": round(clock(), 3),
                              "properties": {"reason": "reconnected: events while disconnected were not streamed; "
                                                       "list again (hoody-tui pending / sessions)"}}
                    emit(dumps(marker) if as_json else f"── {prefix}reconnected: events may have been missed "
                                                       "meanwhile; list again (hoody-tui pending)")
            elif isinstance(item, ConnectionState):
                if item.phase == "reconnecting":
                    reconnecting.add(source.name)
                    say(f"{prefix}{item.describe()}")
                elif item.phase == "live" and source.name in reconnecting:
                    reconnecting.discard(source.name)
                    say(f"{prefix}connected again")
                elif item.final:
                    ended[source.name] = item
                    say(f"{prefix}the event stream stopped: {item.reason or item.phase}")
            elif isinstance(item, Malformed):
                say(f"{prefix}skipped a malformed event ({item.reason})")
    finally:
        await cancel_and_wait(tasks)
    phases = {state.phase for state in ended.values()}
    return Exit.UNAUTHORIZED if phases & {"unauthorized", "forbidden"} else Exit.ERROR
