"""Recurring loops (many per session): create, the one-intent PATCH, run-now, delete,
and the scheduler that fires a run every ``interval``.

- A run is a turn in the session's serial slot (job kind ``loop_run``): a due run waits
  for the slot to be free; ``run-now`` answers 409 ``turn_in_flight``/``gate_parked``
  instead. Runs fire only while the session is live and the loop active.
- After each run: ``runs`` +1, ``cost_usd`` + the run's (seeded) cost, ``wall_ms`` + its
  duration; the loop finishes (``status: "finished"``, ``stop_reason``) when ``max_runs``,
  ``max_cost_usd`` or ``max_wall_ms`` is reached (0 = unlimited) or ``stop_when`` occurs
  (case-insensitive) in the run's reply. ``expires_at`` passing ends it as ``expired``.
- ``speed`` scales intervals and expiry like every scripted delay (``next_run_at`` and
  ``expires_at`` are the real, scaled times).
- PATCH takes exactly one intent: ``{paused}`` | ``{expires_in}`` | the budget
  ``{max_cost_usd?, max_wall_ms?}`` (one or both keys); none, several, or an unknown key → 400.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .durations import parse_duration_ms
from .errors import invalid
from .prompts import script_for
from .records import SessionRec, Turn

if TYPE_CHECKING:
    from .state import GatewayState

__all__ = ["LoopRec", "create_loop", "patch_loop", "run_now", "delete_loop", "DEFAULT_INTERVAL"]

DEFAULT_INTERVAL = "30m"
CAPS = ("max_runs", "max_cost_usd", "max_wall_ms")
INTENTS = {"paused": "paused", "expires_in": "expires_in", "max_cost_usd": "budget", "max_wall_ms": "budget"}


@dataclass(eq=False)
class LoopRec:
    id: str
    session_id: str
    prompt: str
    interval: str
    interval_ms: int
    created_at: int
    max_runs: int = 0
    stop_when: str = ""
    max_cost_usd: float = 0.0
    max_wall_ms: int = 0
    runs: int = 0
    cost_usd: float = 0.0
    wall_ms: int = 0
    paused: bool = False
    expires_at: int | None = None
    next_run_at: int | None = None
    last_run_at: int | None = None
    last_job_id: str | None = None
    status: str = "active"
    stop_reason: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id, "session_id": self.session_id, "prompt": self.prompt, "interval": self.interval,
            "max_runs": self.max_runs, "runs": self.runs, "stop_when": self.stop_when,
            "max_cost_usd": self.max_cost_usd, "cost_usd": round(self.cost_usd, 4), "max_wall_ms": self.max_wall_ms,
            "wall_ms": self.wall_ms, "paused": self.paused, "expires_at": self.expires_at,
            "next_run_at": self.next_run_at, "last_run_at": self.last_run_at, "status": self.status,
            "stop_reason": self.stop_reason, "last_job_id": self.last_job_id, "created_at": self.created_at,
        }

    def cap_reached(self) -> str | None:
        if self.max_runs and self.runs >= self.max_runs:
            return "max_runs"
        if self.max_cost_usd and self.cost_usd >= self.max_cost_usd:
            return "max_cost_usd"
        if self.max_wall_ms and self.wall_ms >= self.max_wall_ms:
            return "max_wall_ms"
        return None


# --- validation --------------------------------------------------------------------------


def _non_negative_int(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(f"{name}: must be an integer >= 0 (0 = unlimited)")
    return value


def _cost(body: dict[str, Any]) -> float:
    value = body.get("max_cost_usd", 0)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise invalid("max_cost_usd: must be a number >= 0 (0 = unlimited)")
    return float(value)


def _wall(body: dict[str, Any]) -> int:
    value = body.get("max_wall_ms", 0)
    if value is None:
        return 0
    try:
        return parse_duration_ms(value, allow_number=True)
    except ValueError as exc:
        raise invalid(f"max_wall_ms: {exc} (ms or a duration token; 0 = unlimited)") from None


def _scaled(state: GatewayState, ms: int) -> int:
    return state.now() + int(ms / state.speed)


# --- operations --------------------------------------------------------------------------


def create_loop(state: GatewayState, s: SessionRec, body: dict[str, Any]) -> LoopRec:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("prompt: required, a non-empty string")
    interval = body.get("interval") or DEFAULT_INTERVAL
    try:
        interval_ms = parse_duration_ms(interval)
    except ValueError as exc:
        raise invalid(f"interval: {exc}") from None
    if interval_ms <= 0:
        raise invalid("interval: must be longer than 0")
    stop_when = body.get("stop_when") or ""
    if not isinstance(stop_when, str):
        raise invalid("stop_when: must be a string")
    loop = LoopRec(state.new_id("loop"), s.id, prompt, str(interval), interval_ms, state.now(),
                   max_runs=_non_negative_int(body, "max_runs"), stop_when=stop_when, max_cost_usd=_cost(body),
                   max_wall_ms=_wall(body))
    loop.next_run_at = _scaled(state, interval_ms)
    s.loops[loop.id] = loop
    state.spawn(_schedule(state, s, loop), name=f"loop {loop.id}")
    _changed(state, s, loop)
    return loop


def patch_loop(state: GatewayState, s: SessionRec, loop: LoopRec, body: Any) -> LoopRec:
    if not isinstance(body, dict):
        raise invalid("body: must be a JSON object with exactly one intent")
    unknown = sorted(set(body) - set(INTENTS))
    if unknown:
        raise invalid(f"unknown field(s) {', '.join(unknown)}: a PATCH takes exactly one intent: "
                      "{paused} | {expires_in} | {max_cost_usd, max_wall_ms}")
    intents = sorted({INTENTS[k] for k in body})
    if len(intents) != 1:
        got = "none" if not intents else " and ".join(intents)
        raise invalid(f"a PATCH takes exactly one intent: {{paused}} | {{expires_in}} | "
                      f"{{max_cost_usd, max_wall_ms}} (got {got})", code="invalid_intent")
    intent = intents[0]
    if intent == "paused":
        paused = body["paused"]
        if not isinstance(paused, bool):
            raise invalid("paused: must be true or false")
        loop.paused = paused
        if loop.status in ("active", "paused"):
            loop.status = "paused" if paused else "active"
            loop.next_run_at = None if paused else _scaled(state, loop.interval_ms)
    elif intent == "expires_in":
        token = body["expires_in"]
        if token in ("", "never", None):
            loop.expires_at = None
        else:
            try:
                loop.expires_at = _scaled(state, parse_duration_ms(token))
            except ValueError as exc:
                raise invalid(f"expires_in: {exc} (or \"\"/\"never\" to clear)") from None
        if loop.status == "expired":
            _reopen(state, loop)
    else:
        if "max_cost_usd" in body:
            loop.max_cost_usd = _cost(body)
        if "max_wall_ms" in body:
            loop.max_wall_ms = _wall(body)
        if loop.status == "finished" and loop.stop_reason in CAPS and loop.cap_reached() is None:
            _reopen(state, loop)
    loop.wake.set()
    _changed(state, s, loop)
    return loop


def _reopen(state: GatewayState, loop: LoopRec) -> None:
    loop.status, loop.stop_reason = ("paused" if loop.paused else "active"), None
    loop.next_run_at = None if loop.paused else _scaled(state, loop.interval_ms)


def delete_loop(state: GatewayState, s: SessionRec, loop: LoopRec) -> None:
    s.loops.pop(loop.id, None)
    loop.status = "deleted"
    loop.next_run_at = None
    loop.wake.set()
    state.emit(s, "event.loop_deleted", loop_id=loop.id)


def run_now(state: GatewayState, s: SessionRec, loop: LoopRec) -> Turn:
    """Fire one run now (409 if the slot is taken); the schedule is unchanged."""
    turn = _fire(state, s, loop)
    state.spawn(_after_run(state, s, loop, turn), name=f"loop run {turn.job.id}")
    return turn


def _changed(state: GatewayState, s: SessionRec, loop: LoopRec) -> None:
    state.emit(s, "event.loop_updated", loop=loop.view())


def _fire(state: GatewayState, s: SessionRec, loop: LoopRec) -> Turn:
    turn = state.dispatch(s, loop.prompt, script_for(state, s, loop.prompt, loop=True), kind="loop_run",
                          loop_id=loop.id)
    loop.last_job_id = turn.job.id
    return turn


async def _after_run(state: GatewayState, s: SessionRec, loop: LoopRec, turn: Turn) -> None:
    await turn.done.wait()
    if loop.status == "deleted":
        return
    job = turn.job
    loop.runs += 1
    loop.cost_usd += round(s.rng.uniform(0.01, 0.05), 4)
    loop.wall_ms += max(0, (job.finished_at or state.now()) - (job.started_at or job.created_at))
    loop.last_run_at = job.finished_at
    reason = loop.cap_reached()
    if reason is None and loop.stop_when and loop.stop_when.lower() in "".join(turn.reply).lower():
        reason = "stop_when"
    if reason is not None:
        loop.status, loop.stop_reason, loop.next_run_at = "finished", reason, None
    loop.wake.set()
    _changed(state, s, loop)


async def _schedule(state: GatewayState, s: SessionRec, loop: LoopRec) -> None:
    """Fire ``loop`` every interval while it is active and its session live."""
    while loop.status not in ("finished", "deleted") and not state.closed:
        loop.wake.clear()
        if loop.status != "active" or not s.live or loop.next_run_at is None:
            await loop.wake.wait()
            continue
        now = state.now()
        if loop.expires_at is not None and now >= loop.expires_at:
            loop.status, loop.next_run_at = "expired", None
            _changed(state, s, loop)
            continue
        due = loop.next_run_at if loop.expires_at is None else min(loop.next_run_at, loop.expires_at)
        if due > now:
            try:
                await asyncio.wait_for(loop.wake.wait(), (due - now) / 1000)
            except TimeoutError:
                pass
            continue
        while s.turn is not None:
            await s.idle.wait()
        if loop.status != "active" or not s.live:
            continue
        turn = _fire(state, s, loop)
        await _after_run(state, s, loop, turn)
        if loop.status == "active":
            loop.next_run_at = _scaled(state, loop.interval_ms)
            _changed(state, s, loop)
