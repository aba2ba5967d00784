"""The workspace: every session, message, part, todo and diff, plus the engines that act
on them (gates, jobs, agents, loops), and the event bus they all publish to.

All of it lives in the server's event loop and is touched only from there (tests go
through ``RunningServer.call``). Every mutation publishes its contract event, so
``meta/events`` always mirrors the REST view.

The methods under "test driving API" are what tests (and the demo) call to set up a
situation precisely; they return JSON-ready copies.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from . import catalog
from .agent import Agents
from .bus import EventBus
from .clock import Clock
from .config import Faults, ServerConfig
from .content import TOPICS, Topic
from .errors import ApiError
from .gates import Gates
from .ids import IdFactory
from .jobs import Jobs
from .loops import Loops
from .script import Script

__all__ = ["Workspace", "SessionRec", "MessageRec", "IDLE"]

log = logging.getLogger("hoody_tui.refserver")

IDLE: dict[str, Any] = {"type": "idle"}
VERSION = "1.4.2"


@dataclass
class MessageRec:
    """One message: its ``info`` and its parts by id, in first-seen order."""

    info: dict[str, Any]
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """``{"info","parts"}`` (live objects: serialise before they change)."""
        return {"info": self.info, "parts": list(self.parts.values())}


@dataclass
class SessionRec:
    """One session: its ``info`` (the Session JSON) plus what the server keeps beside it."""

    info: dict[str, Any]
    agent: str
    model: dict[str, str]
    topic: Topic
    rng: random.Random
    status: dict[str, Any] = field(default_factory=lambda: dict(IDLE))
    message_ids: list[str] = field(default_factory=list)
    todos: list[dict[str, Any]] = field(default_factory=list)
    diffs: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    loop: dict[str, Any] | None = None
    loop_task: asyncio.Task[Any] | None = None
    prompt_tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    active_prompts: int = 0
    turn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    fork_count: int = 0

    @property
    def id(self) -> str:
        return str(self.info["id"])

    @property
    def busy(self) -> bool:
        return self.active_prompts > 0


class Workspace:
    """The whole server-side state of one workspace (see the module docstring)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.id = config.workspace_id
        self.clock = Clock(config.epoch_ms, config.clock)
        self.ids = IdFactory(self.clock.start_ms)
        self.bus = EventBus(event_ids=config.event_ids, subscriber_limit=config.subscriber_buffer)
        self.faults = Faults.from_config(config)
        self.speed = config.speed
        self.sessions: dict[str, SessionRec] = {}
        self.messages: dict[str, MessageRec] = {}
        self.replies: list[dict[str, Any]] = []
        self.hits: Counter[str] = Counter()
        """Requests received, by path (refused ones included): how tests count retries."""
        self.vcs: dict[str, Any] = {"branch": "feat/login-fix"}
        self.gates = Gates(self)
        self.jobs = Jobs(self)
        self.agents = Agents(self)
        self.loops = Loops(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session_count = 0
        self.closed = False

    # --- plumbing --------------------------------------------------------------------

    def now(self) -> int:
        return self.clock.now_ms()

    def new_id(self, prefix: str) -> str:
        return self.ids.new(prefix)

    def rng(self, name: str) -> random.Random:
        """A generator seeded from the server seed and ``name`` (stable across runs)."""
        return random.Random(f"{self.config.seed}:{name}")

    def event(self, type_: str, **properties: Any) -> int:
        """Publish a contract event ``{"type", "properties"}``."""
        return self.bus.publish({"type": type_, "properties": properties})

    async def sleep(self, seconds: float) -> None:
        """A scripted delay, scaled by ``speed``."""
        await asyncio.sleep(seconds / self.speed)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; it is cancelled at shutdown and its failure logged."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def shutdown(self) -> None:
        """End every stream and background task (server stop)."""
        self.close_streams()
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    def close_streams(self) -> None:
        self.closed = True
        self.bus.close_all()

    # --- lookups -----------------------------------------------------------------------

    def session(self, session_id: str) -> SessionRec:
        rec = self.sessions.get(session_id)
        if rec is None:
            raise ApiError.not_found("Session not found")
        return rec

    def message(self, rec: SessionRec, message_id: str) -> MessageRec:
        msg = self.messages.get(message_id)
        if msg is None or msg.info.get("sessionID") != rec.id:
            raise ApiError.not_found("Message not found in this session")
        return msg

    def sessions_newest_first(self) -> list[SessionRec]:
        return sorted(self.sessions.values(), key=lambda r: r.id, reverse=True)

    def ruleset(self, rec: SessionRec, agent: str | None = None) -> list[dict[str, Any]]:
        """The array evaluated for a tool call: agent rules, then session rules (C12)."""
        return catalog.agent_ruleset(agent or rec.agent) + list(rec.info.get("permission") or [])

    # --- sessions ----------------------------------------------------------------------

    def new_session(
        self,
        title: str | None = None,
        *,
        agent: str = "build",
        model: dict[str, str] | None = None,
        parent_id: str | None = None,
        permission: list[dict[str, Any]] | None = None,
        topic: Topic | None = None,
        created: int | None = None,
    ) -> SessionRec:
        if parent_id is not None and parent_id not in self.sessions:
            raise ApiError.not_found("Session not found")
        index = self._session_count
        self._session_count += 1
        topic = topic or TOPICS[index % len(TOPICS)]
        sid = self.new_id("sess")
        t = created if created is not None else self.now()
        info = {
            "id": sid, "projectID": self.id, "directory": catalog.WORKTREE, "parentID": parent_id,
            "title": title or topic.title, "version": VERSION, "time": {"created": t, "updated": t},
            "permission": copy.deepcopy(permission or []),
            "summary": {"additions": 0, "deletions": 0, "files": 0},
        }
        rec = SessionRec(
            info=info, agent=agent, model=dict(model or catalog.MODELS[index % len(catalog.MODELS)]),
            topic=topic, rng=self.rng(f"session:{index}"),
        )
        self.sessions[sid] = rec
        self.event("session.created", info=info)
        return rec

    def touch(self, rec: SessionRec) -> None:
        rec.info["time"]["updated"] = self.now()
        self.event("session.updated", info=rec.info)

    def update_session(
        self, rec: SessionRec, *, title: str | None = None, permission: list[dict[str, Any]] | None = None
    ) -> None:
        if title is not None:
            rec.info["title"] = title
        if permission is not None:
            rec.info["permission"] = copy.deepcopy(permission)
        self.touch(rec)

    def delete_session(self, rec: SessionRec) -> None:
        """Delete a session and its forks: stop their work, drop their gates and jobs."""
        for child in [r for r in self.sessions.values() if r.info.get("parentID") == rec.id]:
            self.delete_session(child)
        self.agents.abort(rec, quiet=True)
        self.jobs.drop_session(rec.id)
        self.sessions.pop(rec.id, None)
        for mid in rec.message_ids:
            self.messages.pop(mid, None)
        self.event("session.deleted", info=rec.info)

    def fork_session(self, rec: SessionRec, message_id: str | None = None) -> SessionRec:
        """A child session with a copy of the messages up to ``message_id`` (all if None)."""
        if message_id is not None:
            self.message(rec, message_id)
        rec.fork_count += 1
        child = self.new_session(
            f"{rec.info['title']} (fork #{rec.fork_count})", agent=rec.agent, model=rec.model,
            parent_id=rec.id, permission=rec.info.get("permission"), topic=rec.topic,
        )
        copies: dict[str, str] = {}
        for mid in list(rec.message_ids):
            original = self.messages[mid]
            info = copy.deepcopy(original.info)
            copies[mid] = info["id"] = self.new_id("msg")
            info["sessionID"] = child.id
            if info.get("parentID") in copies:
                info["parentID"] = copies[info["parentID"]]
            msg = MessageRec(info)
            self.messages[info["id"]] = msg
            child.message_ids.append(info["id"])
            self.update_message(msg)
            for part in original.parts.values():
                clone = copy.deepcopy(part)
                clone.update(id=self.new_id("prt"), sessionID=child.id, messageID=info["id"])
                self.upsert_part(msg, clone)
            if mid == message_id:
                break
        return child

    def set_status(self, rec: SessionRec, status: dict[str, Any]) -> None:
        rec.status = status
        self.event("session.status", sessionID=rec.id, status=status)
        if status.get("type") == "idle":
            self.event("session.idle", sessionID=rec.id)

    def statuses(self) -> dict[str, dict[str, Any]]:
        """Non-idle sessions only (missing = idle)."""
        return {r.id: r.status for r in self.sessions.values() if r.status.get("type") != "idle"}

    def summary(self, rec: SessionRec) -> dict[str, Any]:
        cost = sum(float(self.messages[m].info.get("cost") or 0) for m in rec.message_ids)
        return {
            "id": rec.id, "title": rec.info["title"], "status": rec.status, "messageCount": len(rec.message_ids),
            "time": rec.info["time"], "summary": rec.info["summary"], "cost": round(cost, 6),
        }

    # --- messages and parts ----------------------------------------------------------

    def new_message(
        self,
        rec: SessionRec,
        role: str,
        *,
        parent_id: str | None = None,
        agent: str | None = None,
        model: dict[str, str] | None = None,
        created: int | None = None,
    ) -> MessageRec:
        mid = self.new_id("msg")
        agent = agent or rec.agent
        model = model or rec.model
        t = created if created is not None else self.now()
        if role == "assistant":
            info: dict[str, Any] = {
                "id": mid, "sessionID": rec.id, "role": "assistant", "parentID": parent_id, "time": {"created": t},
                "providerID": model["providerID"], "modelID": model["modelID"], "agent": agent, "cost": 0,
                "tokens": {"input": 0, "output": 0, "reasoning": 0, "cache": {"read": 0, "write": 0}},
            }
        else:
            info = {"id": mid, "sessionID": rec.id, "role": role, "time": {"created": t}, "agent": agent,
                    "model": {"providerID": model["providerID"], "modelID": model["modelID"]}}
        msg = MessageRec(info)
        self.messages[mid] = msg
        rec.message_ids.append(mid)
        self.update_message(msg)
        return msg

    def update_message(self, msg: MessageRec) -> None:
        self.event("message.updated", info=msg.info)

    def new_part(self, msg: MessageRec, type_: str, **fields: Any) -> dict[str, Any]:
        """A part dict (not yet published: pass it to :meth:`upsert_part`)."""
        return {"id": self.new_id("prt"), "sessionID": msg.info["sessionID"], "messageID": msg.info["id"],
                "type": type_, **fields}

    def upsert_part(self, msg: MessageRec, part: dict[str, Any], delta: str | None = None) -> None:
        msg.parts[part["id"]] = part
        if delta is None:
            self.event("message.part.updated", part=part)
        else:
            self.event("message.part.updated", part=part, delta=delta)

    def remove_part(self, msg: MessageRec, part_id: str) -> None:
        if msg.parts.pop(part_id, None) is not None:
            self.event("message.part.removed", sessionID=msg.info["sessionID"], messageID=msg.info["id"],
                       partID=part_id)

    def remove_message(self, rec: SessionRec, message_id: str) -> None:
        if self.messages.pop(message_id, None) is not None:
            rec.message_ids.remove(message_id)
            self.event("message.removed", sessionID=rec.id, messageID=message_id)

    def last_user_message(self, rec: SessionRec) -> MessageRec | None:
        for mid in reversed(rec.message_ids):
            if self.messages[mid].info.get("role") == "user":
                return self.messages[mid]
        return None

    # --- todos and diffs -------------------------------------------------------------

    def set_todos(self, rec: SessionRec, todos: list[dict[str, Any]]) -> None:
        rec.todos = copy.deepcopy(todos)
        self.event("todo.updated", sessionID=rec.id, todos=rec.todos)

    def add_diff(self, rec: SessionRec, message_id: str | None, filediff: dict[str, Any]) -> None:
        rec.diffs.append((message_id, copy.deepcopy(filediff)))
        merged = self.session_diff(rec)
        rec.info["summary"] = {
            "additions": sum(d["additions"] for d in merged),
            "deletions": sum(d["deletions"] for d in merged),
            "files": len(merged),
        }
        self.touch(rec)
        self.event("session.diff", sessionID=rec.id, diff=merged)

    def session_diff(self, rec: SessionRec, message_id: str | None = None) -> list[dict[str, Any]]:
        """Per-file diffs; with ``message_id`` only that message's, else merged per file
        (first ``before``, last ``after``)."""
        if message_id is not None:
            return [copy.deepcopy(d) for mid, d in rec.diffs if mid == message_id]
        merged: dict[str, dict[str, Any]] = {}
        for _, d in rec.diffs:
            if d["file"] in merged:
                merged[d["file"]] = {**merged[d["file"]], "after": d["after"]}
                merged[d["file"]]["additions"] += d["additions"]
                merged[d["file"]]["deletions"] += d["deletions"]
            else:
                merged[d["file"]] = copy.deepcopy(d)
        return list(merged.values())

    # --- replies log -----------------------------------------------------------------

    def log_reply(self, kind: str, request_id: str, body: Any, status: int) -> None:
        """Record a permission/question reply or reject as received (``replies``)."""
        self.replies.append({"kind": kind, "requestID": request_id, "body": copy.deepcopy(body),
                             "time": self.now(), "status": status})

    # --- test driving API ------------------------------------------------------------

    def create_session(
        self,
        title: str | None = None,
        *,
        agent: str = "build",
        parent_id: str | None = None,
        permission: list[dict[str, Any]] | None = None,
        model: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a session (``session.created``); returns the Session."""
        rec = self.new_session(title, agent=agent, parent_id=parent_id, permission=permission, model=model)
        return copy.deepcopy(rec.info)

    def add_message(
        self, session_id: str, role: str = "user", text: str | None = "Hello", *, completed: bool = True
    ) -> dict[str, Any]:
        """Add a message with one text part; an assistant message is completed unless
        ``completed=False`` (then its stream stays open). Returns ``{"info","parts"}``."""
        rec = self.session(session_id)
        parent = self.last_user_message(rec)
        msg = self.new_message(rec, role, parent_id=parent.info["id"] if parent and role == "assistant" else None)
        if text is not None:
            now = self.now()
            self.upsert_part(msg, self.new_part(msg, "text", text=text, time={"start": now, "end": now}))
        if role == "assistant" and completed:
            msg.info["time"]["completed"] = self.now()
            msg.info["finish"] = "stop"
            self.update_message(msg)
        return copy.deepcopy(msg.view())

    def complete_message(self, message_id: str) -> dict[str, Any]:
        """Set ``time.completed`` on a message (ends its stream with ``done``)."""
        msg = self.messages[message_id]
        msg.info["time"]["completed"] = self.now()
        msg.info.setdefault("finish", "stop")
        self.update_message(msg)
        return copy.deepcopy(msg.info)

    def add_part(self, message_id: str, part: dict[str, Any], delta: str | None = None) -> dict[str, Any]:
        """Upsert a part (``id``/``sessionID``/``messageID`` filled in when missing)."""
        msg = self.messages[message_id]
        full = self.new_part(msg, str(part.get("type", "text")))
        full.update(part)
        self.upsert_part(msg, full, delta)
        return copy.deepcopy(full)

    def raise_permission(
        self,
        session_id: str,
        permission: str = "bash",
        patterns: list[str] | None = None,
        always: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        tool: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Open a permission request (``permission.asked``) nobody is waiting on; returns it."""
        rec = self.session(session_id)
        pending = self.gates.open_permission(
            rec, permission, list(patterns or ["*"]), list(always or []), dict(metadata or {}), tool, rec.agent,
        )
        return copy.deepcopy(pending.request)

    def raise_permissions(self, session_id: str, count: int, permission: str = "bash") -> list[str]:
        """Open ``count`` permission requests at once (``echo 1`` … ``echo N``); returns their ids."""
        rec = self.session(session_id)
        ids = []
        for n in range(1, count + 1):
            command = f"echo {n}"
            pending = self.gates.open_permission(rec, permission, [command], [], {"command": command}, None, rec.agent)
            ids.append(pending.request["id"])
        return ids

    def remove_session(self, session_id: str) -> None:
        """Delete a session as ``DELETE S`` does (``session.deleted``)."""
        self.delete_session(self.session(session_id))

    def hit_count(self, suffix: str) -> int:
        """Requests received on paths ending with ``suffix``."""
        return sum(n for path, n in self.hits.items() if path.endswith(suffix))

    def raise_question(
        self,
        session_id: str,
        question: str = "Which option?",
        options: list[str] | tuple[str, ...] = ("Yes", "No"),
        *,
        header: str | None = None,
        multiple: bool = False,
        tool: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Open a question (``question.asked``); returns it."""
        from .script import question as make_question

        rec = self.session(session_id)
        pending = self.gates.open_question(rec, [make_question(question, list(options), header, multiple)], tool)
        return copy.deepcopy(pending.request)

    def add_job(self, session_id: str, status: str = "running", **fields: Any) -> dict[str, Any]:
        """Add a job with ``status`` (see :meth:`Jobs.add`); returns the Job."""
        rec = self.session(session_id)
        return copy.deepcopy(self.jobs.add(rec, status, **fields).info)

    def set_loop(
        self, session_id: str, prompt: str = "Run the test suite and fix any failures.", iters: int = 3,
        iter: int = 0, *, run: bool = False,
    ) -> dict[str, Any]:
        """Install a loop record (``loop.updated``); it iterates only with ``run=True``."""
        rec = self.session(session_id)
        return copy.deepcopy(self.loops.install(rec, prompt, iters, iter=iter, run=run, check=False))

    def clear_loop(self, session_id: str) -> None:
        """Clear the loop (``loop.updated`` with ``loop: null``), stopping its iterations."""
        self.loops.clear(self.session(session_id))

    def emit(self, event: dict[str, Any]) -> int:
        """Publish an arbitrary raw event dict on ``meta/events``; returns its sequence number."""
        return self.bus.publish(event)

    def prompt(self, session_id: str, text: str, script: Script | None = None) -> None:
        """Start an agent turn, as ``POST S/prompt_async`` does."""
        self.agents.prompt(self.session(session_id), text, script=script)

    def get_session(self, session_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.session(session_id).info)

    def get_message(self, message_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.messages[message_id].view())

    def session_ids(self) -> list[str]:
        """Session ids, newest first."""
        return [r.id for r in self.sessions_newest_first()]

    def pending_permissions(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.gates.list_permissions())
