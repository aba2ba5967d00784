"""Agent turns: play a :data:`~.script.Script` as a user message plus an assistant
message whose parts stream in (text in deltas, reasoning, step-start/step-finish with
tokens and cost, tool calls going ``pending -> running -> completed|error``).

A tool call is checked against the session's ruleset (agent rules + session rules, last
match wins): ``deny`` fails it, ``ask`` opens a permission request and waits for the
reply; a rejection fails the tool with the user's message and ends the turn. Questions
wait the same way.

:class:`Agents` runs one turn at a time per session (later prompts queue), keeps the
session status busy/idle, and aborts. A turn can also be *recorded* instantly (no
delays, gates treated as approved) to build the history a scenario starts with.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import content
from .catalog import WORKTREE
from .gates import PermissionRejected, QuestionRejected
from .rules import bash_always, bash_patterns, evaluate_all
from .script import Ask, Say, Script, Step, Think, Todos, ToolCall, script_from_prompt

if TYPE_CHECKING:
    from .state import MessageRec, SessionRec, Workspace

__all__ = ["Agents", "Turn", "permission_for", "DENIED_MESSAGE", "ABORTED_MESSAGE"]

DENIED_MESSAGE = ("The user has specified a rule which prevents you from using this specific tool call. "
                  "Try a different approach or ask the user for guidance.")
ABORTED_MESSAGE = "Tool execution aborted"
ABORT_ERROR = {"name": "MessageAbortedError", "data": {"message": "The operation was aborted."}}


class TurnStopped(Exception):
    """The user rejected a gate: the turn ends here."""


def permission_for(call: ToolCall) -> tuple[str, list[str], list[str], dict[str, Any]] | None:
    """``(permission, patterns, always, metadata)`` a tool call is checked under, or None."""
    if call.tool == "bash":
        command = str(call.input.get("command", ""))
        meta = {"command": command}
        if call.input.get("description"):
            meta["description"] = str(call.input["description"])
        return "bash", bash_patterns(command), bash_always(command), meta
    if call.tool in ("edit", "write", "read"):
        path = str(call.input.get("filePath", ""))
        rel = path[len(WORKTREE) + 1:] if path.startswith(WORKTREE + "/") else path
        meta = {"filepath": path}
        if call.tool != "read" and call.metadata.get("diff"):
            meta["diff"] = call.metadata["diff"]
        return ("read" if call.tool == "read" else "edit"), [rel], ["*"], meta
    if call.tool == "webfetch":
        url = str(call.input.get("url", ""))
        return "webfetch", [url], ["*"], {"url": url}
    return None


class Turn:
    """One prompt -> response. ``live=False`` records it instantly with a virtual clock
    starting at ``start_ms`` (history)."""

    def __init__(
        self,
        ws: Workspace,
        rec: SessionRec,
        text: str,
        script: Script,
        *,
        live: bool = True,
        start_ms: int | None = None,
        on_assistant: Callable[[str], None] | None = None,
        agent: str | None = None,
        model: dict[str, str] | None = None,
    ) -> None:
        self.ws = ws
        self.agent = agent or rec.agent
        self.model = model or rec.model
        self.rec = rec
        self.text = text
        self.script = script
        self.live = live
        self.rng: random.Random = rec.rng
        self._virtual = start_ms
        self._on_assistant = on_assistant
        self.assistant: MessageRec | None = None

    # --- time ------------------------------------------------------------------------

    def now(self) -> int:
        return self.ws.now() if self._virtual is None else self._virtual

    async def pause(self, seconds: float) -> None:
        if self.live:
            await self.ws.sleep(seconds)
        elif self._virtual is not None:
            self._virtual += int(seconds * 4000)

    # --- the turn --------------------------------------------------------------------

    async def run(self) -> MessageRec:
        ws, rec = self.ws, self.rec
        user = ws.new_message(rec, "user", created=self.now(), agent=self.agent, model=self.model)
        t = self.now()
        ws.upsert_part(user, ws.new_part(user, "text", text=self.text, time={"start": t, "end": t}))
        await self.pause(0.1)
        assistant = ws.new_message(rec, "assistant", parent_id=user.info["id"], created=self.now(),
                                   agent=self.agent, model=self.model)
        self.assistant = assistant
        if self._on_assistant is not None:
            self._on_assistant(assistant.info["id"])
        try:
            for step in self.script:
                await self.run_step(step)
        except TurnStopped:
            pass
        except asyncio.CancelledError:
            self._abort()
            raise
        except Exception as exc:  # a bug: end the message visibly rather than leave it open
            assistant.info["error"] = {"name": "UnknownError", "data": {"message": f"{type(exc).__name__}: {exc}"}}
            self._complete(None)
            ws.event("session.error", sessionID=rec.id, error=assistant.info["error"])
            raise
        self._complete("stop")
        ws.touch(rec)
        return assistant

    async def run_step(self, step: Step) -> None:
        ws, msg = self.ws, self._msg
        snapshot = f"{self.rng.getrandbits(160):040x}"
        ws.upsert_part(msg, ws.new_part(msg, "step-start", snapshot=snapshot))
        used_tools = False
        try:
            for action in step:
                if isinstance(action, Think):
                    await self._stream(action.text, "reasoning")
                elif isinstance(action, Say):
                    await self._stream(action.text, "text")
                elif isinstance(action, ToolCall):
                    used_tools = True
                    await self._tool(action)
                elif isinstance(action, Ask):
                    used_tools = True
                    await self._ask(action)
                elif isinstance(action, Todos):
                    used_tools = True
                    await self._todos(action)
                await self.pause(0.1)
        except TurnStopped:
            self._finish_step("stop")
            raise
        self._finish_step("tool-calls" if used_tools else "stop")

    @property
    def _msg(self) -> MessageRec:
        assert self.assistant is not None
        return self.assistant

    def _finish_step(self, reason: str) -> None:
        rng, msg = self.rng, self._msg
        # Two flat dicts keep the counts typed as ints; keep the draw order, seeded runs repeat it.
        counts = {"input": rng.randint(1200, 9000), "output": rng.randint(80, 900), "reasoning": rng.randint(0, 400)}
        cache = {"read": rng.randint(0, 20000), "write": rng.randint(0, 2000)}
        tokens = {**counts, "cache": cache}
        cost = round(counts["input"] * 3e-6 + counts["output"] * 15e-6 + cache["read"] * 3e-7, 6)
        self.ws.upsert_part(msg, self.ws.new_part(msg, "step-finish", reason=reason, cost=cost, tokens=tokens))
        total = msg.info["tokens"]
        for key, n in counts.items():
            total[key] += n
        for key, n in cache.items():
            total["cache"][key] += n
        msg.info["cost"] = round(float(msg.info["cost"]) + cost, 6)
        self.ws.update_message(msg)

    def _complete(self, finish: str | None) -> None:
        msg = self._msg
        msg.info["time"]["completed"] = self.now()
        if finish is not None:
            msg.info["finish"] = finish
        self.ws.update_message(msg)

    def _abort(self) -> None:
        """Cancelled mid-turn: fail unfinished tools, mark the message aborted."""
        ws, msg = self.ws, self._msg
        if self.rec.id not in ws.sessions:
            return  # deleted: nothing left to tell
        now = self.now()
        for part in list(msg.parts.values()):
            state = part.get("state") or {}
            if part.get("type") == "tool" and state.get("status") in ("pending", "running"):
                start = (state.get("time") or {}).get("start", now)
                part["state"] = {"status": "error", "input": state.get("input", {}), "error": ABORTED_MESSAGE,
                                 "time": {"start": start, "end": now}}
                ws.upsert_part(msg, part)
            elif part.get("type") in ("text", "reasoning") and "end" not in part.get("time", {"end": None}):
                part["time"]["end"] = now
                ws.upsert_part(msg, part)
        msg.info["error"] = ABORT_ERROR
        self._complete(None)
        ws.event("session.error", sessionID=self.rec.id, error=ABORT_ERROR)

    # --- actions ---------------------------------------------------------------------

    async def _stream(self, text: str, kind: str) -> None:
        ws, msg = self.ws, self._msg
        part = ws.new_part(msg, kind, text="", time={"start": self.now()})
        if not self.live:
            part["text"] = text
            part["time"]["end"] = self.now()
            ws.upsert_part(msg, part)
            return
        words = text.split(" ")
        i = 0
        while i < len(words):
            n = self.rng.randint(1, 3)
            chunk = " ".join(words[i:i + n]) + (" " if i + n < len(words) else "")
            i += n
            part["text"] += chunk
            ws.upsert_part(msg, part, delta=chunk)
            await self.pause(0.03 + self.rng.random() * 0.05)
        part["time"]["end"] = self.now()
        ws.upsert_part(msg, part)

    def _tool_part(self, tool: str, input_: dict[str, Any]) -> dict[str, Any]:
        part = self.ws.new_part(self._msg, "tool", callID=self.ws.new_id("call"), tool=tool,
                                state={"status": "pending", "input": input_, "raw": ""}, metadata={})
        self.ws.upsert_part(self._msg, part)
        return part

    def _fail(self, part: dict[str, Any], error: str, start: int | None = None) -> None:
        now = self.now()
        part["state"] = {"status": "error", "input": part["state"]["input"], "error": error,
                         "time": {"start": start or now, "end": now}}
        self.ws.upsert_part(self._msg, part)

    def _running(self, part: dict[str, Any], title: str, metadata: dict[str, Any] | None = None) -> int:
        start = self.now()
        part["state"] = {"status": "running", "input": part["state"]["input"], "title": title,
                         "metadata": metadata or {}, "time": {"start": start}}
        self.ws.upsert_part(self._msg, part)
        return start

    def _completed(self, part: dict[str, Any], start: int, title: str, output: str, metadata: dict[str, Any]) -> None:
        part["state"] = {"status": "completed", "input": part["state"]["input"], "output": output, "title": title,
                         "metadata": metadata, "time": {"start": start, "end": self.now()}}
        self.ws.upsert_part(self._msg, part)

    async def _gate(self, call: ToolCall, part: dict[str, Any]) -> bool:
        """Check the permission; False if the tool must not run (denied). Raises
        :class:`TurnStopped` on a rejection."""
        checked = permission_for(call)
        if checked is None:
            return True
        permission, patterns, always, metadata = checked
        action = evaluate_all(permission, patterns, self.ws.ruleset(self.rec, self.agent))
        if action == "deny":
            self._fail(part, DENIED_MESSAGE)
            return False
        if action == "ask" and self.live:
            tool = {"messageID": self._msg.info["id"], "callID": part["callID"]}
            try:
                await self.ws.gates.ask_permission(self.rec, permission, patterns, always, metadata, tool,
                                                   self.agent)
            except PermissionRejected as rejected:
                self._fail(part, rejected.tool_error)
                raise TurnStopped from None
        return True

    async def _tool(self, call: ToolCall) -> None:
        part = self._tool_part(call.tool, call.input)
        await self.pause(0.15)
        if not await self._gate(call, part):
            return
        start = self._running(part, call.title, {"description": call.input.get("description")}
                              if call.tool == "bash" else {})
        if call.tool == "bash" and call.output and self.live:
            half = call.output[: len(call.output) // 2]
            await self.pause(call.duration / 2)
            part["state"]["metadata"] = {"output": half, "description": call.input.get("description")}
            self.ws.upsert_part(self._msg, part)
            await self.pause(call.duration / 2)
        else:
            await self.pause(call.duration)
        if call.error:
            self._fail(part, call.error, start)
            return
        output, metadata = call.output, dict(call.metadata)
        if call.tool == "bash" and "output" not in metadata:
            metadata["output"] = call.output
        if call.job is not None:
            job = self.ws.jobs.create(self.rec, call.job, message_id=self._msg.info["id"], call_id=part["callID"],
                                      run=self.live)
            if not self.live:  # history has no runner: set the job's outcome and output here
                self.ws.jobs._finish(job, call.job.outcome, call.job.error)
                self.ws.jobs._append(job, call.job.final_output)
            output = f"Started background job {job.id}"
            metadata["jobID"] = job.id
        self._completed(part, start, call.title, output, metadata)
        if call.tool in ("edit", "write") and "filediff" in call.metadata:
            self.ws.add_diff(self.rec, self._msg.info["id"], call.metadata["filediff"])

    async def _ask(self, ask: Ask) -> None:
        part = self._tool_part("question", {"questions": ask.questions})
        await self.pause(0.1)
        start = self._running(part, "Asking the user")
        if self.live:
            tool = {"messageID": self._msg.info["id"], "callID": part["callID"]}
            try:
                answers = await self.ws.gates.ask_question(self.rec, ask.questions, tool)
            except QuestionRejected as rejected:
                reason = f": {rejected.reason}" if rejected.reason else ""
                self._fail(part, f"The user dismissed this question{reason}", start)
                raise TurnStopped from None
        else:
            answers = [[q["options"][0]["label"]] if q.get("options") else [] for q in ask.questions]
        # Not strict: a client's reply is not checked to hold one answer per question.
        lines = "\n".join(f'"{q["question"]}" = "{", ".join(a)}"' for q, a in zip(ask.questions, answers, strict=False))
        self._completed(part, start, "Asked the user", f"User has answered your questions:\n{lines}",
                        {"answers": answers})

    async def _todos(self, todos: Todos) -> None:
        part = self._tool_part("todowrite", {"todos": todos.todos})
        start = self._running(part, f"{sum(t['status'] != 'completed' for t in todos.todos)} todos")
        await self.pause(0.1)
        self.ws.set_todos(self.rec, todos.todos)
        self._completed(part, start, part["state"]["title"], json.dumps(todos.todos, indent=2), {"todos": todos.todos})


class Agents:
    """Runs turns per session: one at a time, in order; keeps busy/idle; aborts."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def script_for(self, rec: SessionRec, text: str) -> Script:
        """The prompt's own script (backticked commands, ``ask:`` lines), else a seeded one."""
        return script_from_prompt(text, content.bash_output) or content.plan_turn(rec.rng, rec.topic)

    def prompt(
        self,
        rec: SessionRec,
        text: str,
        *,
        script: Script | None = None,
        on_assistant: Callable[[str], None] | None = None,
        retry_blip: bool = False,
        agent: str | None = None,
        model: dict[str, str] | None = None,
    ) -> asyncio.Task[Any]:
        """Queue a turn; the returned task resolves to the assistant message (or None)."""
        task = self.ws.spawn(self.run_prompt(rec, text, script=script, on_assistant=on_assistant,
                                             retry_blip=retry_blip, agent=agent, model=model),
                             name=f"turn {rec.id}")
        rec.prompt_tasks.add(task)
        task.add_done_callback(rec.prompt_tasks.discard)
        return task

    async def run_prompt(
        self,
        rec: SessionRec,
        text: str,
        *,
        script: Script | None = None,
        on_assistant: Callable[[str], None] | None = None,
        retry_blip: bool = False,
        agent: str | None = None,
        model: dict[str, str] | None = None,
    ) -> MessageRec | None:
        self._begin(rec)
        try:
            async with rec.turn_lock:
                if retry_blip:
                    attempt_next = self.ws.now() + int(1500 / self.ws.speed)
                    self.ws.set_status(rec, {"type": "retry", "attempt": 1, "message": "rate limited",
                                             "next": attempt_next})
                    await self.ws.sleep(1.5)
                    self.ws.set_status(rec, {"type": "busy"})
                turn = Turn(self.ws, rec, text, script or self.script_for(rec, text), on_assistant=on_assistant,
                            agent=agent, model=model)
                return await turn.run()
        finally:
            self._end(rec)

    def _begin(self, rec: SessionRec) -> None:
        rec.active_prompts += 1
        if rec.active_prompts == 1:
            self.ws.set_status(rec, {"type": "busy"})

    def _end(self, rec: SessionRec) -> None:
        rec.active_prompts -= 1
        if rec.active_prompts == 0 and rec.id in self.ws.sessions:
            self.ws.set_status(rec, {"type": "idle"})

    def abort(self, rec: SessionRec, *, quiet: bool = False) -> None:
        """Stop the session's turns (running and queued), its loop, and its gates."""
        if rec.loop is not None:
            self.ws.loops.clear(rec, emit=not quiet)
        for task in list(rec.prompt_tasks):
            task.cancel()
        self.ws.gates.drop_session(rec.id)

    async def record(self, rec: SessionRec, text: str, script: Script, start_ms: int) -> int:
        """Record a finished turn instantly (history); returns the virtual end time."""
        turn = Turn(self.ws, rec, text, script, live=False, start_ms=start_ms)
        await turn.run()
        return turn.now()
