"""Scenarios: what the workspace holds at start-up, and what moves by itself.

- ``none``: an empty workspace.
- ``idle``: ``sessions`` sessions (one a fork of another) with a recorded history of
  finished turns, todos, diffs and terminal jobs (a failed parent with shards, a
  cancelled CLI-agent run...). Nothing moves unless a client or test drives it.
- ``demo``: the same, then the :class:`Director` keeps it lively: agents take turns
  (streaming, tools, permission gates every few seconds, questions), jobs run and some
  fail, one session runs a loop, a session hits a rate-limit retry now and then, and the
  branch changes. The first activity starts within a fraction of a second. A gate nobody
  answers for :data:`PATIENCE` seconds is answered by a "teammate" (as if from another
  dashboard: risky commands rejected, the rest allowed once), so an unattended demo
  keeps raising new gates instead of stalling with every agent waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from . import catalog, content
from .content import TOPICS

if TYPE_CHECKING:
    from .state import SessionRec, Workspace

__all__ = ["populate", "open_pending_gates", "start_scenario", "Director", "LOOP_PROMPT"]

AGENTS = ["build", "build", "plan", "general", "build"]
RISKY_MARKERS = ("rm ", "--force", "| sh", "sudo ", "reset --hard", "777", "prune", "id_rsa")
LOOP_PROMPT = "Run the test suite and fix any failures."
MINUTE = 60_000
PATIENCE = 20.0
"""Seconds (at speed 1) a demo gate waits before a teammate answers it."""
TEAMMATE_NOTE = "Answered by a teammate from another dashboard"


async def populate(ws: Workspace) -> None:
    """Create the scenario's sessions and history (instantly, in the past)."""
    n = ws.config.sessions if ws.config.scenario != "none" else 0
    if n == 0:
        return
    now = ws.now()
    rng = ws.rng("scenario")
    recs: list[SessionRec] = []
    for i in range(n):
        created = now - (n - i) * 9 * MINUTE
        if i == 1:
            parent = recs[0]
            first = next(m for m in parent.message_ids if ws.messages[m].info["role"] == "assistant")
            rec = ws.fork_session(parent, first)
            rec.info["time"] = {"created": created, "updated": created}
        else:
            topic = TOPICS[i % len(TOPICS)]
            permission = ([{"permission": "bash", "pattern": "rm -rf *", "action": "deny"}] if i == 3 else None)
            rec = ws.new_session(topic.title, agent=AGENTS[i % len(AGENTS)], topic=topic, created=created,
                                 permission=permission, model=catalog.MODELS[i % len(catalog.MODELS)])
        t = created + 20_000
        for _ in range(1 + rng.randint(0, 1)):
            script = content.plan_turn(rec.rng, rec.topic, jobs=True)
            t = await ws.agents.record(rec, rec.topic.prompt, script, t) + MINUTE
        ws.set_todos(rec, content.todos_for(rec.topic, rng.randint(0, len(rec.topic.todos) - 1), rng))
        rec.info["time"]["updated"] = t
        recs.append(rec)
    _add_jobs(ws, rng)


def _add_jobs(ws: Workspace, rng: Any) -> None:
    """Terminal jobs worth looking at: a failed shard group, a cancelled CLI run, a
    completed review awaiting injection, an expired fetch."""
    recs = sorted(ws.sessions.values(), key=lambda r: r.id)
    first = recs[0]
    parent = ws.jobs.add(first, "failed", tool="task", input={"description": "Run the test suite in 3 shards"},
                         output="1 child job(s) failed\n", error="1 of 3 child jobs failed")
    for shard, status in ((1, "completed"), (2, "failed"), (3, "completed")):
        ws.jobs.add(first, status, tool="bash", input={"command": f"npm test -- --shard={shard}/3"},
                    parent_id=parent.id, output=f"shard {shard}: {'ok' if status == 'completed' else '2 failed'}\n",
                    error="2 tests failed (exit code 1)" if status == "failed" else None)
    last = recs[-1]
    ws.jobs.add(last, "cancelled", tool="cli_agent", input={"agent": "codex", "prompt": "Investigate the flaky test"},
                wake_policy="manual")
    ws.jobs.add(last, "completed", tool="rsi", input={"target": "src/", "mode": "review"},
                output="3 findings (1 high, 2 low).\n", wake_policy="manual")
    if len(recs) > 2:
        ws.jobs.add(recs[2], "expired", tool="webfetch", input={"url": TOPICS[2].url, "format": "markdown"},
                    error="The job expired before it started")


class Director:
    """Drives the demo: one life task per session, a loop, jobs and branch changes."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.rng = ws.rng("director")

    def start(self) -> None:
        recs = sorted(self.ws.sessions.values(), key=lambda r: r.id)
        if not recs:
            return
        loop_index = 2 if len(recs) > 2 else None
        for i, rec in enumerate(recs):
            if i == loop_index:
                self.ws.spawn(self._looping(rec), name=f"demo loop {rec.id}")
            else:
                first_delay = 0.05 if i == 0 else 0.2 + 0.6 * i
                self.ws.spawn(self._life(rec, first_delay), name=f"demo life {rec.id}")
        self.ws.spawn(self._jobs(recs), name="demo jobs")
        self.ws.spawn(self._branches(), name="demo branches")
        self.ws.spawn(self._teammate(), name="demo teammate")

    async def _life(self, rec: SessionRec, first_delay: float) -> None:
        """Prompt, wait for the turn (gates included), rest, repeat."""
        await self.ws.sleep(first_delay)
        prompts = [rec.topic.prompt, "Keep going.", "Now double-check the edge cases.", "Clean up and summarise."]
        n = 0
        while rec.id in self.ws.sessions:
            if not rec.busy and rec.loop is None:
                blip = self.rng.random() < 0.12
                turn = self.ws.agents.prompt(rec, prompts[n % len(prompts)], retry_blip=blip)
                await asyncio.wait({turn})  # an abort cancels the turn, not this life
                n += 1
            await self.ws.sleep(1.5 + self.rng.random() * 3.5)

    async def _looping(self, rec: SessionRec) -> None:
        await self.ws.sleep(0.3)
        while rec.id in self.ws.sessions:
            if rec.loop is None and not rec.busy:
                self.ws.loops.install(rec, LOOP_PROMPT, self.rng.randint(4, 6), check=False)
            while rec.loop is not None:
                await self.ws.sleep(0.5)
            await self.ws.sleep(4 + self.rng.random() * 4)

    async def _jobs(self, recs: list[SessionRec]) -> None:
        await self.ws.sleep(0.5)
        kinds = ["bash", "webfetch", "rsi", "group", "bash", "cli"]
        while True:
            live = [r for r in recs if r.id in self.ws.sessions]
            if not live:
                return
            rec = self.rng.choice(live)
            kind = self.rng.choice(kinds)
            if kind == "group":
                spec = content.job_group_spec(self.rng)
            elif kind == "cli":
                spec = content.cli_agent_spec("codex", rec.topic.prompt, "gpt-5-codex", 300_000, self.rng)
            else:
                spec = content.job_spec(self.rng, kind)
            self.ws.jobs.create(rec, spec)
            await self.ws.sleep(3 + self.rng.random() * 3)

    async def _teammate(self) -> None:
        """Answer gates left alone for PATIENCE seconds (scaled by speed)."""
        gates = self.ws.gates
        patience = PATIENCE / self.ws.speed
        while True:
            await self.ws.sleep(0.5)
            now = time.monotonic()
            for rid, pending in list(gates.permissions.items()):
                if now - pending.opened >= patience and rid in gates.permissions:
                    risky = any(c in " ".join(pending.request["patterns"]) for c in RISKY_MARKERS)
                    if risky:
                        gates.reply_permission(rid, "reject", f"Not without a review. ({TEAMMATE_NOTE})")
                    else:
                        gates.reply_permission(rid, "once", TEAMMATE_NOTE)
            for rid, pending in list(gates.questions.items()):
                if now - pending.opened >= patience and rid in gates.questions:
                    answers = [[q["options"][0]["label"]] if q.get("options") else ["OK"]
                               for q in pending.request["questions"]]
                    gates.reply_question(rid, answers)

    async def _branches(self) -> None:
        branches = ["feat/login-fix", "fix/api-retries", "main", "chore/ci-shards"]
        i = 0
        while True:
            await self.ws.sleep(25 + self.rng.random() * 20)
            i += 1
            self.ws.vcs["branch"] = branches[i % len(branches)]
            self.ws.event("vcs.branch.updated", branch=self.ws.vcs["branch"])


def open_pending_gates(ws: Workspace) -> None:
    """``pending_gates``: that many permission requests in a session of their own,
    opened at start-up with nobody waiting on them (a client decides them)."""
    count = ws.config.pending_gates
    if count <= 0:
        return
    rec = ws.new_session(f"Waiting for {count} decisions")
    for n in range(1, count + 1):
        command = f"make step-{n}"
        ws.gates.open_permission(rec, "bash", [command], [], {"command": command}, None, rec.agent)


async def start_scenario(ws: Workspace) -> None:
    """Populate, open the ``pending_gates``, then start the director for ``demo``."""
    await populate(ws)
    open_pending_gates(ws)
    if ws.config.scenario == "demo":
        Director(ws).start()

