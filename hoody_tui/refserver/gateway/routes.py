"""The gateway's route handlers and table (relative to ``/api/v1/agent``; the table is
in the package docstring). Literal segments come before parameters:
``sessions/cwds`` before ``sessions/{id}``, ``tasks/cancel`` before ``tasks/{tid}/…``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..routes.common import JSON
from ..sse import SSE_HEADERS
from .errors import conflict, invalid, not_found
from .gates import QUESTION
from .http import gateway, opt_bool, opt_int, opt_str, page_params, paged, query_int, read_object, realm_of
from .loops import LoopRec, create_loop, delete_loop, patch_loop, run_now
from .prompts import script_for
from .records import JobRec, SessionRec
from .state import VERSION
from .stream import session_stream, turn_stream

__all__ = ["ROUTES", "PREFIX"]

PREFIX = "/api/v1/agent"
GATE_POLICIES = ("auto_approve",)
ASSIST_DELAY = 0.5


def ok(data: Any, status: int = 200) -> JSON:
    return JSON(data, status_code=status)


def _live(request: Request) -> SessionRec:
    return gateway(request).live_session(request.path_params["id"])


# --- system ------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    state = gateway(request)
    return ok({"status": "ok", "service": "hoody-agent-d", "version": VERSION,
               "uptime_ms": state.now() - state.clock.start_ms,
               "sessions": sum(1 for s in state.sessions.values() if s.live)})


# --- sessions ----------------------------------------------------------------------------


async def list_sessions(request: Request) -> Response:
    state = gateway(request)
    include_system = request.query_params.get("include_system", "").lower() in ("1", "true", "yes")
    page, limit = page_params(request)
    items = [state.summary(s) for s in state.listed_sessions(include_system)]
    return ok(paged(items, page, limit))


async def session_cwds(request: Request) -> Response:
    state = gateway(request)
    cwds = sorted({s.cwd for s in state.sessions.values() if not s.system})
    return ok({"items": cwds, "meta": {"page": 1, "limit": 0, "total": len(cwds)}})


async def create_session(request: Request) -> Response:
    state = gateway(request)
    body = await read_object(request)
    headers = request.headers
    options: dict[str, Any] = {
        "realm": realm_of(request, body),
        "container": opt_str(body, "container") or headers.get("x-hoody-container") or None,
        "tool_mode": opt_str(body, "tool_mode") or "full",
        "dir_scope": opt_str(body, "dir_scope", ("home", "full")) or "home",
        "backend": opt_str(body, "backend", ("", "acp")) or "",
        "delegated_agent": opt_str(body, "delegated_agent", ("codex", "claude", "gemini", "opencode")),
        "headless": bool(opt_bool(body, "headless")),
    }
    for name in ("config_dir", "acp_trust_state"):
        opt_str(body, name)
    if options["backend"] == "acp" and not options["delegated_agent"]:
        raise invalid("delegated_agent: required when backend is \"acp\" (codex|claude|gemini|opencode)")
    cwd = opt_str(body, "cwd") or headers.get("x-hoody-cwd") or None
    model, agent = opt_str(body, "model"), opt_str(body, "agent")
    attach, fork = opt_str(body, "attach"), opt_str(body, "fork")
    fork_turn_idx = opt_int(body, "fork_turn_idx")
    if attach and fork:
        raise invalid("attach and fork are exclusive")
    if attach:
        s = state.session(attach)
        state.attach(s)
    elif fork:
        s = state.fork(state.session(fork), fork_turn_idx, cwd=cwd, model=model, agent=agent, **options)
    else:
        s = state.new_session(cwd=cwd, model=model, agent=agent, **options)
    return ok(state.summary(s))


async def get_session(request: Request) -> Response:
    state = gateway(request)
    return ok(state.summary(state.session(request.path_params["id"])))


async def delete_session(request: Request) -> Response:
    state = gateway(request)
    s = state.session(request.path_params["id"])
    hard = request.query_params.get("hard", "").lower() in ("1", "true", "yes")
    if not hard and not s.live:
        raise not_found("session_not_live", f"Session {s.id} is not live")
    state.delete(s, hard)
    return ok({"ok": True, "id": s.id, "hard": hard})


async def close_session(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    state.close(s)
    return ok({"ok": True, "id": s.id})


async def cancel(request: Request) -> Response:
    state = gateway(request)
    turn = state.cancel_turn(_live(request))
    return ok({"ok": True, "cancelled": turn is not None, "job_id": turn.job.id if turn else None})


def _knob(field: str, attribute: str, check: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        state = gateway(request)
        s = _live(request)
        body = await read_object(request)
        if field not in body:
            raise invalid(f"{field}: required")
        value = check(body)
        state.update(s, **{attribute: value})
        return ok(state.summary(s))

    handler.__name__ = f"patch_{attribute}"
    return handler


def _non_empty(field: str) -> Callable[[dict[str, Any]], str]:
    def check(body: dict[str, Any]) -> str:
        value = opt_str(body, field)
        if not value:
            raise invalid(f"{field}: must be a non-empty string")
        return value
    return check


def _required_bool(body: dict[str, Any]) -> bool:
    value = opt_bool(body, "enabled")
    if value is None:
        raise invalid("enabled: must be true or false")
    return value


patch_model = _knob("model", "model", _non_empty("model"))
patch_agent = _knob("agent", "agent", _non_empty("agent"))
patch_effort = _knob("effort", "effort", lambda b: opt_str(b, "effort", ("low", "medium", "high", "xhigh", "")))
patch_verbosity = _knob("level", "verbosity",
                        lambda b: opt_str(b, "level", ("normal", "concise", "terse", "minimal")) or "normal")
patch_hoody_env = _knob("enabled", "hoody_env", _required_bool)


# --- turns -------------------------------------------------------------------------------


async def _turn_text(request: Request) -> str:
    body = await read_object(request)
    text = opt_str(body, "text")
    if not text or not text.strip():
        raise invalid("text: required, a non-empty string")
    opt_str(body, "tool_mode")
    opt_str(body, "dir_scope", ("home", "full"))
    return text


def _gate_policy(request: Request) -> bool:
    policy = request.headers.get("x-hoody-gate-policy") or request.query_params.get("policy")
    if not policy:
        return False
    if policy not in GATE_POLICIES:
        raise invalid(f"gate policy must be \"auto_approve\" (got {policy!r})", code="invalid_gate_policy")
    return True


async def send_message(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    text = await _turn_text(request)
    turn = state.dispatch(s, text, script_for(state, s, text))
    return ok({"job_id": turn.job.id}, 202)


async def prompt_sync(request: Request) -> Response:
    """Blocks until the turn ends (``{job_id, ok, text, error?}``) or parks a gate
    (``{job_id, pending_gate}``)."""
    state = gateway(request)
    s = _live(request)
    auto = _gate_policy(request)
    text = await _turn_text(request)
    state.check_slot(s)
    listener = s.ring.listen()
    try:
        turn = state.dispatch(s, text, script_for(state, s, text), auto_approve=auto)
        while not turn.finished:
            await listener.wait(None)
            listener.drain()
            if listener.closed:
                break
            gate = s.gates.parked
            if not turn.finished and s.turn is turn and gate is not None:
                return ok({"job_id": turn.job.id, "pending_gate": gate.view()})
    finally:
        s.ring.unlisten(listener)
    result = dict(turn.job.result or {})
    return ok({"job_id": turn.job.id, **result})


async def prompt_stream(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    auto = _gate_policy(request)
    text = await _turn_text(request)
    state.check_slot(s)
    listener = s.ring.listen()
    try:
        turn = state.dispatch(s, text, script_for(state, s, text), auto_approve=auto)
    except BaseException:
        s.ring.unlisten(listener)
        raise
    return StreamingResponse(turn_stream(state, s, turn, listener), headers=SSE_HEADERS)


# --- stream and replay -------------------------------------------------------------------


async def stream(request: Request) -> Response:
    state = gateway(request)
    s = state.session(request.path_params["id"])
    header = request.headers.get("last-event-id")
    since = query_int(request, "Last-Event-ID", value=header) if header else query_int(request, "since")
    return StreamingResponse(session_stream(state, s, since), headers=SSE_HEADERS)


async def replay(request: Request) -> Response:
    s = _live(request)
    low, high = query_int(request, "min_seq"), query_int(request, "max_seq")
    return ok(s.ring.replay(low, high))


# --- gates -------------------------------------------------------------------------------


def _echo(body: dict[str, Any]) -> dict[str, Any]:
    return {"gate_id": opt_str(body, "gate_id"), "generation": opt_int(body, "generation")}


async def confirm(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    body = await read_object(request)
    approved = opt_bool(body, "approved")
    persist = opt_bool(body, "persist_dirs")
    return ok(state.confirm(s, approved=True if approved is None else approved, persist_dirs=bool(persist),
                            **_echo(body)))


async def answer(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    body = await read_object(request)
    answers = body.get("answers")
    if answers is not None and not isinstance(answers, dict):
        raise invalid("answers: must be an object {field: value}")
    text = opt_str(body, "answer") or opt_str(body, "text")
    if answers is None and text is None:
        raise invalid("one of answer, text or answers is required")
    return ok(state.answer(s, answers if answers is not None else text, **_echo(body)))


async def answer_assist(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    body = await read_object(request)
    opt_str(body, "mode")
    opt_str(body, "model")
    gen = opt_int(body, "gen")
    if s.assist is not None and not s.assist.terminal:
        raise conflict("assist_in_flight", "An answer:assist job is already in flight for this session")
    gate = s.gates.check(QUESTION, None, gen)
    job = JobRec(state.new_id("job"), "answer_assist", s.id, state.now())
    state.jobs[job.id] = job
    s.assist = job
    options = gate.payload.get("options") or ["Yes"]

    async def draft() -> None:
        job.status, job.started_at, job.run_id = "running", state.now(), state.new_id("run")
        await state.sleep(ASSIST_DELAY)
        suggestion = str(options[0])
        job.status, job.finished_at = "completed", state.now()
        job.result = {"suggestion": suggestion, "gen": gate.generation}
        state.emit(s, "event.question_suggestion", gen=gate.generation, suggestion=suggestion, job_id=job.id)

    job.task = state.spawn(draft(), name=f"assist {job.id}")
    return ok({"job_id": job.id}, 202)


# --- loops -------------------------------------------------------------------------------


def _loop(request: Request) -> tuple[SessionRec, LoopRec]:
    s = _live(request)
    loop = s.loops.get(request.path_params["loopId"])
    if loop is None:
        raise not_found("loop_not_found", f"Loop {request.path_params['loopId']} not found in this session")
    return s, loop


async def list_loops(request: Request) -> Response:
    s = _live(request)
    page, limit = page_params(request)
    return ok(paged([loop.view() for loop in s.loops.values()], page, limit))


async def new_loop(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    return ok(create_loop(state, s, await read_object(request)).view())


async def update_loop(request: Request) -> Response:
    state = gateway(request)
    s, loop = _loop(request)
    return ok(patch_loop(state, s, loop, await read_object(request)).view())


async def remove_loop(request: Request) -> Response:
    state = gateway(request)
    s, loop = _loop(request)
    delete_loop(state, s, loop)
    return ok({"ok": True, "id": loop.id, "deleted": True})


async def loop_run_now(request: Request) -> Response:
    state = gateway(request)
    s, loop = _loop(request)
    turn = run_now(state, s, loop)
    return ok({"job_id": turn.job.id, "loop": loop.view()}, 202)


# --- tasks -------------------------------------------------------------------------------


async def tasks(request: Request) -> Response:
    event = gateway(request).tasks_snapshot(_live(request))
    return ok({"ok": True, "requested": "event.tasks_snapshot", "seq": event["seq"]})


def _task(request: Request) -> tuple[SessionRec, Any]:
    s = _live(request)
    task = s.tasks.get(request.path_params["tid"])
    if task is None:
        raise not_found("task_not_found", f"Task {request.path_params['tid']} not found in this session")
    return s, task


async def task_transcript(request: Request) -> Response:
    state = gateway(request)
    s, task = _task(request)
    after = query_int(request, "after_seq") or 0
    entries = [e for e in task.entries if e["seq"] >= after] if after else list(task.entries)
    last = task.entries[-1]["seq"] if task.entries else 0
    event = state.emit(s, "event.task_transcript", tid=task.tid, entries=entries, seq=last)
    return ok({"ok": True, "requested": "event.task_transcript", "seq": event["seq"]})


async def cancel_task(request: Request) -> Response:
    state = gateway(request)
    s, task = _task(request)
    state.end_task(s, task, "cancelled")
    return ok({"ok": True, "tid": task.tid, "status": task.status})


async def cancel_tasks(request: Request) -> Response:
    state = gateway(request)
    s = _live(request)
    running = [t for t in s.tasks.values() if t.status == "running"]
    for task in running:
        task.status = "cancelled"
    if running:
        state.tasks_snapshot(s)
    return ok({"ok": True, "cancelled": len(running)})


# --- jobs --------------------------------------------------------------------------------


async def get_job(request: Request) -> Response:
    return ok(gateway(request).job(request.path_params["id"]).view())


async def job_result(request: Request) -> Response:
    """200 ``{id, status, result, error}`` once terminal; 202 with ``result: null`` before."""
    job = gateway(request).job(request.path_params["id"])
    body = {"id": job.id, "status": job.status, "result": job.result if job.terminal else None, "error": job.error}
    return ok(body, 200 if job.terminal else 202)


async def delete_job(request: Request) -> Response:
    state = gateway(request)
    job = state.job(request.path_params["id"])
    if job.terminal:
        state.jobs.pop(job.id, None)
        return ok({"ok": True, "id": job.id, "deleted": True})
    s = state.sessions.get(job.session_id or "")
    if job.turn is not None and s is not None and s.turn is job.turn:
        state.cancel_turn(s)
    else:
        if job.task is not None and not job.task.done():
            job.task.cancel()
        job.status, job.finished_at, job.error = "cancelled", state.now(), "cancelled"
    await asyncio.sleep(0)
    return ok(job.view())


ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("GET", "/health", health),
    ("GET", "/sessions", list_sessions),
    ("POST", "/sessions", create_session),
    ("GET", "/sessions/cwds", session_cwds),
    ("GET", "/sessions/{id}", get_session),
    ("DELETE", "/sessions/{id}", delete_session),
    ("POST", "/sessions/{id}/cancel", cancel),
    ("POST", "/sessions/{id}/close", close_session),
    ("PATCH", "/sessions/{id}/model", patch_model),
    ("PATCH", "/sessions/{id}/agent", patch_agent),
    ("PATCH", "/sessions/{id}/effort", patch_effort),
    ("PATCH", "/sessions/{id}/verbosity", patch_verbosity),
    ("PATCH", "/sessions/{id}/hoody-env", patch_hoody_env),
    ("POST", "/sessions/{id}/messages", send_message),
    ("POST", "/sessions/{id}/prompt:sync", prompt_sync),
    ("POST", "/sessions/{id}/prompt:stream", prompt_stream),
    ("GET", "/sessions/{id}/stream", stream),
    ("GET", "/sessions/{id}/replay", replay),
    ("POST", "/sessions/{id}/confirm", confirm),
    ("POST", "/sessions/{id}/answer", answer),
    ("POST", "/sessions/{id}/answer:assist", answer_assist),
    ("GET", "/sessions/{id}/loops", list_loops),
    ("POST", "/sessions/{id}/loops", new_loop),
    ("PATCH", "/sessions/{id}/loops/{loopId}", update_loop),
    ("DELETE", "/sessions/{id}/loops/{loopId}", remove_loop),
    ("POST", "/sessions/{id}/loops/{loopId}/run-now", loop_run_now),
    ("GET", "/sessions/{id}/tasks", tasks),
    ("POST", "/sessions/{id}/tasks/cancel", cancel_tasks),
    ("GET", "/sessions/{id}/tasks/{tid}/transcript", task_transcript),
    ("POST", "/sessions/{id}/tasks/{tid}/cancel", cancel_task),
    ("GET", "/jobs/{id}", get_job),
    ("GET", "/jobs/{id}/result", job_result),
    ("DELETE", "/jobs/{id}", delete_job),
]
