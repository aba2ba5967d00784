"""The gateway's state: sessions (each with its event ring, gates, turn slot, tasks and
loops) and jobs, plus the operations the routes and the scenario perform on them.

Everything lives in the server's event loop and is touched only from there (tests go
through ``RunningGateway.call``). The methods under "test driving API" set up a
situation precisely and return JSON-ready views.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from ..catalog import WORKTREE
from ..clock import Clock
from ..config import Faults, ServerConfig
from ..content import TOPICS, Topic
from ..ids import CROCKFORD, IdFactory
from ..script import Ask, JobSpec, Say, question
from .errors import conflict, not_found
from .gates import CONFIRM, Gate
from .records import JobRec, SessionRec, TaskRec, Turn
from .ring import EventRing
from .turns import Confirm, Denied, GatewayScript, Hold, play

__all__ = ["GatewayState", "DEFAULT_MODEL", "VERSION"]

log = logging.getLogger("hoody_tui.refserver.gateway")

DEFAULT_MODEL = "anthropic/claude-sonnet-4-5"
VERSION = "0.9.0-refserver"
TASK_STEP_DELAY = 0.6


def seeded_session_id(seed: int, index: int) -> str:
    """``sess_`` + 26 Crockford characters derived from the seed: a restart with the same
    seed serves the same session ids (with fresh gates and seqs)."""
    digest = int.from_bytes(hashlib.sha256(f"hoody-agent-d:{seed}:{index}".encode()).digest()[:17], "big")
    return "sess_" + "".join(CROCKFORD[(digest >> (5 * i)) & 31] for i in range(26))


class GatewayState:
    """See the module docstring. ``hits``, ``faults``, ``closed`` and ``config`` are what
    the shared guard middleware reads."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.clock = Clock(config.epoch_ms, config.clock)
        self.ids = IdFactory(self.clock.start_ms)
        self.faults = Faults.from_config(config)
        self.speed = config.speed
        self.hits: Counter[str] = Counter()
        self.sessions: dict[str, SessionRec] = {}
        self.jobs: dict[str, JobRec] = {}
        self.closed = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- plumbing --------------------------------------------------------------------

    def now(self) -> int:
        return self.clock.now_ms()

    def new_id(self, prefix: str) -> str:
        return self.ids.new(prefix)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.config.seed}:gateway:{name}")

    async def sleep(self, seconds: float) -> None:
        """A scripted delay, scaled by ``speed`` (0 = just yield)."""
        await asyncio.sleep(seconds / self.speed if seconds > 0 else 0)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def close_streams(self) -> None:
        self.closed = True
        for s in self.sessions.values():
            s.ring.close_all()

    async def shutdown(self) -> None:
        self.close_streams()
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    # --- lookups ---------------------------------------------------------------------

    def session(self, session_id: str) -> SessionRec:
        s = self.sessions.get(session_id)
        if s is None:
            raise not_found("session_not_found", f"Session {session_id} not found")
        return s

    def live_session(self, session_id: str) -> SessionRec:
        """A session in the live map; a closed one is not-found (re-attach it first)."""
        s = self.session(session_id)
        if not s.live:
            raise not_found("session_not_live",
                            f"Session {session_id} is not live: re-attach with POST /sessions {{\"attach\"}}")
        return s

    def job(self, job_id: str) -> JobRec:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found("job_not_found", f"Job {job_id} not found")
        return job

    # --- events and views ------------------------------------------------------------

    def emit(self, s: SessionRec, type_: str, **payload: Any) -> dict[str, Any]:
        """Publish ``{"type","seq","session_id","ts",…payload}`` on the session's stream."""
        return s.ring.publish(type_, self.now(), payload)

    def summary(self, s: SessionRec) -> dict[str, Any]:
        gate = s.gates.parked
        return {
            "id": s.id, "title": s.title, "cwd": s.cwd, "model": s.model, "agent": s.agent, "live": s.live,
            "turn_in_flight": s.turn is not None, "pending_gate": gate.view() if gate else None,
            "created_at": s.created_at, "updated_at": s.updated_at,
            "job_id": s.turn.job.id if s.turn else None, "turns": len(s.history), "system": s.system,
            "realm": s.realm, "container": s.container, "tool_mode": s.tool_mode, "dir_scope": s.dir_scope,
            "backend": s.backend, "delegated_agent": s.delegated_agent, "headless": s.headless,
            "effort": s.effort, "verbosity": s.verbosity, "hoody_env": s.hoody_env,
        }

    def listed_sessions(self, include_system: bool) -> list[SessionRec]:
        """Newest first (creation order; attaching does not move a session)."""
        return [s for s in reversed(self.sessions.values()) if include_system or not s.system]

    # --- sessions --------------------------------------------------------------------

    def new_session(self, title: str | None = None, *, session_id: str | None = None, topic: Topic | None = None,
                    cwd: str | None = None, model: str | None = None, agent: str | None = None,
                    system: bool = False, **options: Any) -> SessionRec:
        sid = session_id or self.new_id("sess")
        rng = self.rng(sid)
        topic = topic or rng.choice(TOPICS)
        now = self.now()
        s = SessionRec(
            id=sid, title=title or topic.title, cwd=cwd or WORKTREE, model=model or DEFAULT_MODEL,
            agent=agent or "build", created_at=now, updated_at=now,
            ring=EventRing(sid, subscriber_limit=self.config.subscriber_buffer), topic=topic, rng=rng,
            system=system, **options,
        )
        self.sessions[sid] = s
        return s

    def attach(self, s: SessionRec) -> None:
        """Back into the live map (its loops may fire again)."""
        if not s.live:
            s.live = True
            s.updated_at = self.now()
            for loop in s.loops.values():
                loop.wake.set()

    def fork(self, source: SessionRec, turn_idx: int | None, **options: Any) -> SessionRec:
        s = self.new_session(f"Fork of {source.title}", topic=source.topic, cwd=options.pop("cwd", None) or source.cwd,
                             model=options.pop("model", None) or source.model,
                             agent=options.pop("agent", None) or source.agent, **options)
        history = source.history if turn_idx is None else source.history[: turn_idx + 1]
        s.history = [dict(h) for h in history]
        return s

    def close(self, s: SessionRec) -> None:
        """Out of the live map: the turn is cancelled; the record (and its ring) stay."""
        self.cancel_turn(s)
        s.live = False
        s.updated_at = self.now()

    def delete(self, s: SessionRec, hard: bool) -> None:
        self.close(s)
        if hard:
            for loop in s.loops.values():
                loop.status = "deleted"
                loop.wake.set()
            s.ring.close_all()
            self.sessions.pop(s.id, None)

    def update(self, s: SessionRec, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(s, name, value)
        s.updated_at = self.now()
        self.emit(s, "event.session_updated", changes=changes)

    # --- turns -----------------------------------------------------------------------

    def check_slot(self, s: SessionRec) -> None:
        """409 ``gate_parked`` / ``turn_in_flight`` while the serial turn slot is taken."""
        if s.turn is not None:
            if s.gates.parked is not None:
                raise conflict("gate_parked", "A gate is open in this session: answer it first")
            raise conflict("turn_in_flight", "A turn is already running in this session")

    def dispatch(self, s: SessionRec, text: str, script: GatewayScript, *, kind: str = "turn",
                 loop_id: str | None = None, auto_approve: bool = False) -> Turn:
        """Claim the turn slot and start playing ``script`` (the job is ``queued`` until it runs)."""
        self.check_slot(s)
        job = JobRec(self.new_id("job"), kind, s.id, self.now(), loop_id=loop_id)
        self.jobs[job.id] = job
        turn = Turn(job, text, len(s.history), auto_approve=auto_approve, loop_id=loop_id)
        job.turn = turn
        s.turn = turn
        s.idle.clear()
        s.updated_at = self.now()
        turn.task = job.task = self.spawn(self._run_turn(s, turn, script), name=f"turn {job.id}")
        return turn

    async def _run_turn(self, s: SessionRec, turn: Turn, script: GatewayScript) -> None:
        job = turn.job
        job.status, job.started_at, job.run_id = "running", self.now(), self.new_id("run")
        started: dict[str, Any] = {"job_id": job.id, "turn_idx": turn.idx, "text": turn.text}
        if turn.loop_id:
            started["loop_id"] = turn.loop_id
        self.emit(s, "event.turn_started", **started)
        try:
            await play(self, s, turn, script)
        except Denied as exc:
            self.finish_turn(s, turn, ok=False, error=str(exc), status="failed")
            return
        except asyncio.CancelledError:
            if turn.cancel_requested:
                return
            raise
        self.finish_turn(s, turn, ok=True)

    def finish_turn(self, s: SessionRec, turn: Turn, *, ok: bool, error: str | None = None,
                    status: str | None = None) -> None:
        """End ``turn`` once: job, history, ``agent_done``, free the slot."""
        if turn.finished:
            return
        turn.finished, turn.ok, turn.error = True, ok, error
        now = self.now()
        text = "".join(turn.reply).strip()
        job = turn.job
        job.status = status or ("completed" if ok else "failed")
        job.finished_at, job.error = now, error
        job.result = {"ok": ok, "text": text, "turn_idx": turn.idx, "error": error}
        s.history.append({"turn_idx": turn.idx, "text": turn.text, "reply": text, "ok": ok})
        if s.turn is turn:
            s.turn = None
        s.updated_at = now
        done: dict[str, Any] = {"job_id": job.id, "ok": ok, "turn_idx": turn.idx}
        if error:
            done["error"] = error
        self.emit(s, "agent_done", **done)
        s.idle.set()
        turn.done.set()

    def cancel_turn(self, s: SessionRec) -> Turn | None:
        """Stop the running turn (its open gate resolves ``cancelled``); tasks survive."""
        turn = s.turn
        if turn is None:
            return None
        turn.cancel_requested = True
        if s.gates.parked is not None:
            self._resolve(s, s.gates.parked, {"outcome": "cancelled"})
        self.finish_turn(s, turn, ok=False, error="cancelled", status="cancelled")
        if turn.task is not None and not turn.task.done():
            turn.task.cancel()
        return turn

    # --- gates -----------------------------------------------------------------------

    async def park(self, s: SessionRec, turn: Turn, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Park a gate and wait for its resolution. An ``auto_approve`` turn has its
        confirm gates approved at once (never its questions)."""
        gate = Gate(self.new_id("gate"), type_, s.gates.next_generation(), payload, self.now(),
                    asyncio.get_running_loop().create_future())
        s.gates.parked = gate
        s.updated_at = self.now()
        self.emit(s, gate.event_type, **gate.event_payload())
        if turn.auto_approve and type_ == CONFIRM:
            self._resolve(s, gate, {"outcome": "approved", "approved": True, "auto": True})
        return await gate.future

    def _resolve(self, s: SessionRec, gate: Gate, resolution: dict[str, Any]) -> None:
        s.gates.resolve(gate, resolution)
        s.updated_at = self.now()
        self.emit(s, "event.gate_resolved", gate_id=gate.id, generation=gate.generation, gate_type=gate.type,
                  **resolution)

    def confirm(self, s: SessionRec, *, gate_id: str | None = None, generation: int | None = None,
                approved: bool = True, persist_dirs: bool = False) -> dict[str, Any]:
        gate = s.gates.check(CONFIRM, gate_id, generation)
        resolution: dict[str, Any] = {"outcome": "approved" if approved else "denied", "approved": approved}
        dirs = gate.payload.get("dirs")
        if approved and persist_dirs and dirs:
            resolution["persist_dirs"] = True
            resolution["dirs"] = list(dirs)
            s.persisted_dirs.extend(d for d in dirs if d not in s.persisted_dirs)
        self._resolve(s, gate, resolution)
        return {"ok": True, "gate_id": gate.id, "generation": gate.generation, **resolution}

    def answer(self, s: SessionRec, answer: Any, *, gate_id: str | None = None,
               generation: int | None = None) -> dict[str, Any]:
        gate = s.gates.check("question", gate_id, generation)
        resolution = {"outcome": "answered", "answer": answer}
        self._resolve(s, gate, resolution)
        return {"ok": True, "gate_id": gate.id, "generation": gate.generation, **resolution}

    # --- background tasks ------------------------------------------------------------

    def tasks_snapshot(self, s: SessionRec) -> dict[str, Any]:
        return self.emit(s, "event.tasks_snapshot", tasks=[t.view() for t in s.tasks.values()])

    def add_task(self, s: SessionRec, title: str, status: str = "running") -> TaskRec:
        task = TaskRec(self.new_id("task"), title, self.now(), status)
        s.tasks[task.tid] = task
        self.tasks_snapshot(s)
        return task

    def start_task(self, s: SessionRec, spec: JobSpec) -> TaskRec:
        title = str(spec.input.get("command") or spec.input.get("description") or spec.tool)
        task = self.add_task(s, title)
        self.spawn(self._run_task(s, task, spec), name=f"task {task.tid}")
        return task

    async def _run_task(self, s: SessionRec, task: TaskRec, spec: JobSpec) -> None:
        for step in spec.steps:
            await self.sleep(TASK_STEP_DELAY)
            if task.status != "running":
                return
            task.add_entry(self.now(), step.message + (f"\n{step.line}" if step.line else ""))
        self.end_task(s, task, "completed" if spec.outcome == "completed" else "failed")

    def end_task(self, s: SessionRec, task: TaskRec, status: str) -> None:
        if task.status == "running":
            task.status = status
            self.tasks_snapshot(s)

    # --- test driving API (call through RunningGateway.call) --------------------------

    def create_session(self, title: str | None = None, **options: Any) -> dict[str, Any]:
        """A new live session, idle; returns its summary."""
        return self.summary(self.new_session(title, **options))

    async def park_gate(self, session_id: str, type: str = CONFIRM, *, tool: str = "bash",
                        args: dict[str, Any] | None = None, summary: str | None = None,
                        dirs: list[str] | None = None, question_text: str = "Which database should I use?",
                        options: list[str] | None = None) -> dict[str, Any]:
        """Start a turn that parks a gate at once (``confirm`` or ``question``) and return
        the parked gate (the summary's ``pending_gate``). Approved/answered, the turn
        says one line and ends; denied, it ends at once. 409 if the slot is taken."""
        s = self.live_session(session_id)
        if type == CONFIRM:
            step: list[Any] = [Confirm(tool, args or {"command": "rm -rf build/"}, summary, dirs)]
            text = summary or f"Run {tool}"
        else:
            step = [Ask([question(question_text, options or ["postgres", "sqlite"])])]
            text = question_text
        turn = self.dispatch(s, text, [step, [Say("Done.")]])
        while s.gates.parked is None and not turn.finished:
            await asyncio.sleep(0)
        assert s.gates.parked is not None, "the gate was not parked"
        return s.gates.parked.view()

    def start_turn(self, session_id: str, text: str = "Work on it", *, hold: bool = True) -> dict[str, Any]:
        """Start a turn without gates; with ``hold`` it stays in flight until :meth:`release`."""
        s = self.live_session(session_id)
        steps: GatewayScript = [[Hold()]] if hold else []
        turn = self.dispatch(s, text, [*steps, [Say("All done.")]])
        return turn.job.view()

    def release(self, session_id: str) -> bool:
        """Let the held turn of the session go on (False if none)."""
        s = self.session(session_id)
        if s.turn is None:
            return False
        s.turn.hold.set()
        return True

    def push_events(self, session_id: str, count: int, type_: str = "event.text_delta") -> int:
        """Publish ``count`` filler events (to overflow the ring); returns the head seq."""
        s = self.session(session_id)
        for i in range(count):
            self.emit(s, type_, delta=f"filler {i} ")
        return s.ring.head

    def head_seq(self, session_id: str) -> int:
        return self.session(session_id).ring.head

    def add_background_task(self, session_id: str, title: str, status: str = "running") -> dict[str, Any]:
        task = self.add_task(self.session(session_id), title, status)
        task.add_entry(self.now(), f"Started: {title}")
        return task.view()

    def get_summary(self, session_id: str) -> dict[str, Any]:
        return self.summary(self.session(session_id))
