"""Jobs, the loop and the CLI agent: ``S/jobs`` (list, bulk cancel, inject, get, output,
cancel, retry), ``S/loop`` (GET/POST/DELETE), ``S/cli-agent`` and its run stream."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import catalog, content
from ..errors import ApiError
from ..sse import sse_response
from ..streams import cli_agent_events
from .common import NO_BODY, ok, page_after, query_int, read_body, session

STATUS_FILTERS = ("active", "completed", "all")
MAX_IDS = 1000
PROMPT_MAX = 8000
CLI_PROMPT_MAX = 100_000
CLI_DEFAULT_TIMEOUT_MS = 300_000


# --- jobs --------------------------------------------------------------------------------


async def list_jobs(request: Request) -> Response:
    ws, rec = session(request)
    status = request.query_params.get("status") or "all"
    if status not in STATUS_FILTERS:
        raise ApiError.invalid(("status", "Must be one of: active, completed, all"))
    limit = query_int(request, "limit")
    jobs = ws.jobs.list(rec.id, status)
    page, cursor = page_after(jobs, lambda j: j.id, request.query_params.get("cursor"), limit)
    infos = [j.info for j in page]
    if ws.config.alt_shapes:
        return ok({"items": infos, "total": len(jobs), "cursor": cursor})
    body: dict[str, Any] = {"jobs": infos}
    if cursor is not None:
        body["nextCursor"] = cursor
    return ok(body)


async def get_job(request: Request) -> Response:
    ws, rec = session(request)
    return ok(ws.jobs.get(rec.id, request.path_params["jobId"]).info)


async def job_output(request: Request) -> Response:
    ws, rec = session(request)
    return ok({"output": ws.jobs.get(rec.id, request.path_params["jobId"]).full_output})


async def cancel_job(request: Request) -> Response:
    ws, rec = session(request)
    job, message = ws.jobs.cancel(rec.id, request.path_params["jobId"])
    return ok({"job": job, "message": message})


def _job_ids(body: Any, *, required: bool) -> list[str] | None:
    if body is NO_BODY or (isinstance(body, dict) and "jobIds" not in body):
        if required:
            raise ApiError.invalid(("jobIds", "Required"))
        return None
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    ids = body["jobIds"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError.invalid(("jobIds", "Must be an array of job ID strings"))
    low = 1 if required else 0
    if not low <= len(ids) <= MAX_IDS:
        raise ApiError.invalid(("jobIds", f"Must contain between {low} and {MAX_IDS} job IDs"))
    return ids


async def cancel_jobs(request: Request) -> Response:
    ws, rec = session(request)
    ids = _job_ids(await read_body(request, optional=True), required=True)
    assert ids is not None
    return ok(ws.jobs.cancel_many(rec.id, ids))


async def retry_job(request: Request) -> Response:
    ws, rec = session(request)
    return ok(ws.jobs.retry(rec, request.path_params["jobId"]))


async def inject_jobs(request: Request) -> Response:
    ws, rec = session(request)
    ids = _job_ids(await read_body(request, optional=True), required=False)
    return ok(ws.jobs.inject(rec, ids))


# --- loop --------------------------------------------------------------------------------


async def get_loop(request: Request) -> Response:
    _, rec = session(request)
    return ok(rec.loop)


async def install_loop(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request)
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    errors: list[tuple[str, str]] = []
    prompt, iters = body.get("prompt"), body.get("iters")
    if prompt is None:
        errors.append(("prompt", "Required"))
    elif not isinstance(prompt, str) or not 1 <= len(prompt) <= PROMPT_MAX:
        errors.append(("prompt", f"Must be between 1 and {PROMPT_MAX} characters"))
    if iters is None:
        errors.append(("iters", "Required"))
    elif isinstance(iters, bool) or not isinstance(iters, int) or not 1 <= iters <= 100:
        errors.append(("iters", "Must be between 1 and 100"))
    if errors:
        raise ApiError.invalid(*errors)
    assert isinstance(prompt, str) and isinstance(iters, int)  # the checks above; tells mypy
    return ok(ws.loops.install(rec, prompt, iters))


async def clear_loop(request: Request) -> Response:
    ws, rec = session(request)
    ws.loops.clear(rec)
    return ok(True)


# --- CLI agent ---------------------------------------------------------------------------


async def start_cli_agent(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request)
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    errors: list[tuple[str, str]] = []
    agent, prompt = body.get("agent"), body.get("prompt")
    model, git, timeout = body.get("model"), body.get("git"), body.get("timeout")
    key = agent.strip().lower() if isinstance(agent, str) else ""
    if not isinstance(agent, str) or not key:
        errors.append(("agent", "Required"))
    elif key not in catalog.CLI_AGENTS:
        errors.append(("agent", f"Unknown CLI agent {agent!r}; configured: {', '.join(catalog.CLI_AGENTS)}"))
    if not isinstance(prompt, str) or not prompt:
        errors.append(("prompt", "Required"))
    elif len(prompt) > CLI_PROMPT_MAX:
        errors.append(("prompt", f"Must be at most {CLI_PROMPT_MAX} characters"))
    if model is not None and not isinstance(model, str):
        errors.append(("model", "Must be a string"))
    if git is not None and not isinstance(git, bool):
        errors.append(("git", "Must be a boolean"))
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        errors.append(("timeout", "Must be a positive integer (ms)"))
    if errors:
        raise ApiError.invalid(*errors)
    assert isinstance(prompt, str)  # the checks above; tells mypy
    defn = catalog.CLI_AGENTS[key]
    clamped = min(timeout or CLI_DEFAULT_TIMEOUT_MS, catalog.CLI_TIMEOUT_CEILING_MS)
    rng = ws.rng(f"cli:{len(ws.jobs.records)}")
    spec = content.cli_agent_spec(defn["label"], prompt, model or defn["model"], clamped, rng)
    spec.input["git"] = bool(git) and (defn["allow_git"] or key == "codex-rw")
    job = ws.jobs.create(rec, spec)
    return ok({"jobID": job.id, "sessionID": rec.id, "status": "queued"})


async def stream_cli_agent(request: Request) -> Response:
    ws, rec = session(request)
    job = ws.jobs.get(rec.id, request.path_params["jobID"])
    return sse_response(cli_agent_events(ws, job))
