"""Health, sessions and prompting: ``GET P/workspaces/health``, ``W/sessions``,
``W/sessions/status``, ``S`` (GET/PATCH/DELETE), ``S/children``, ``S/summary``, ``S/diff``,
``S/todo``, ``S/abort``, ``S/fork``, ``S/summarize``, ``S/revert``, ``S/unrevert``,
``S/prompt_async`` and ``S/message``."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError
from ..rules import valid_rule
from .common import NO_BODY, listing, ok, page_after, query_int, read_body, session, workspace


async def health(request: Request) -> Response:
    return ok({"status": "ok"})


async def list_sessions(request: Request) -> Response:
    ws = workspace(request)
    limit = query_int(request, "limit")
    ordered = ws.sessions_newest_first()
    page, cursor = page_after(ordered, lambda r: r.id, request.query_params.get("cursor"), limit, descending=True)
    return listing(ws, [r.info for r in page], total=len(ordered), cursor=cursor)


async def session_statuses(request: Request) -> Response:
    return ok(workspace(request).statuses())


async def get_session(request: Request) -> Response:
    _, rec = session(request)
    return ok(rec.info)


async def patch_session(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request)
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    errors: list[tuple[str, str]] = []
    title, permission = body.get("title"), body.get("permission")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        errors.append(("title", "Must be a non-empty string"))
    if permission is not None and (not isinstance(permission, list) or not all(valid_rule(r) for r in permission)):
        errors.append(("permission", "Must be an array of {permission, pattern, action: allow|deny|ask}"))
    if errors:
        raise ApiError.invalid(*errors)
    ws.update_session(rec, title=title, permission=permission)
    return ok(rec.info)


async def delete_session(request: Request) -> Response:
    ws, rec = session(request)
    ws.delete_session(rec)
    return ok(True)


async def children(request: Request) -> Response:
    ws, rec = session(request)
    kids = sorted((r for r in ws.sessions.values() if r.info.get("parentID") == rec.id), key=lambda r: r.id)
    return listing(ws, [r.info for r in kids])


async def summary(request: Request) -> Response:
    ws, rec = session(request)
    return ok(ws.summary(rec))


async def diff(request: Request) -> Response:
    ws, rec = session(request)
    return listing(ws, ws.session_diff(rec, request.query_params.get("messageID") or None))


async def todo(request: Request) -> Response:
    ws, rec = session(request)
    return listing(ws, rec.todos)


async def abort(request: Request) -> Response:
    ws, rec = session(request)
    ws.agents.abort(rec)
    return ok(True)


async def fork(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request, optional=True)
    message_id = None
    if body is not NO_BODY:
        if not isinstance(body, dict):
            raise ApiError.invalid(("body", "Must be a JSON object"))
        message_id = body.get("messageID")
        if message_id is not None and not isinstance(message_id, str):
            raise ApiError.invalid(("messageID", "Must be a string"))
    child = ws.fork_session(rec, message_id)
    return ok(child.info)


async def summarize(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request, optional=True)
    if body is not NO_BODY and not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    ws.event("session.compacted", sessionID=rec.id)
    return ok(True)


async def revert(request: Request) -> Response:
    ws, rec = session(request)
    body = await read_body(request)
    message_id = body.get("messageID") if isinstance(body, dict) else None
    if not isinstance(message_id, str):
        raise ApiError.invalid(("messageID", "Required"))
    ws.message(rec, message_id)
    rec.info["revert"] = {"messageID": message_id}
    ws.touch(rec)
    return ok(rec.info)


async def unrevert(request: Request) -> Response:
    ws, rec = session(request)
    if rec.info.pop("revert", None) is not None:
        ws.touch(rec)
    return ok(rec.info)


def parse_prompt(body: Any) -> tuple[str, str | None, dict[str, str] | None]:
    """``{"parts":[{"type":"text","text"}], "model"?, "agent"?}`` -> (text, agent, model)."""
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    errors: list[tuple[str, str]] = []
    parts = body.get("parts")
    texts: list[str] = []
    if not isinstance(parts, list) or not parts:
        errors.append(("parts", "Must be a non-empty array of parts"))
    elif not all(isinstance(p, dict) and isinstance(p.get("type"), str) for p in parts):
        errors.append(("parts", "Every part needs a type"))
    else:
        for p in parts:
            if p["type"] == "text":
                if not isinstance(p.get("text"), str):
                    errors.append(("parts", "A text part needs a text string"))
                else:
                    texts.append(p["text"])
    model = body.get("model")
    if model is not None and not (
        isinstance(model, dict) and isinstance(model.get("providerID"), str) and isinstance(model.get("modelID"), str)
    ):
        errors.append(("model", "Must be {providerID, modelID}"))
    agent = body.get("agent")
    if agent is not None and not isinstance(agent, str):
        errors.append(("agent", "Must be a string"))
    if errors:
        raise ApiError.invalid(*errors)
    text = "\n".join(texts) or "(attachments)"
    return text, agent, ({"providerID": model["providerID"], "modelID": model["modelID"]} if model else None)


async def prompt_async(request: Request) -> Response:
    ws, rec = session(request)
    text, agent, model = parse_prompt(await read_body(request))
    ws.agents.prompt(rec, text, agent=agent, model=model)
    return Response(status_code=204)


async def message(request: Request) -> Response:
    """Send a prompt and answer with the finished assistant message ``{info, parts}``."""
    ws, rec = session(request)
    text, agent, model = parse_prompt(await read_body(request))
    seen: list[str] = []
    task = ws.agents.prompt(rec, text, agent=agent, model=model, on_assistant=seen.append)
    await asyncio.wait({task})
    if not seen or seen[0] not in ws.messages:
        raise ApiError.conflict("The prompt was aborted before it started", "aborted")
    return ok(ws.messages[seen[0]].view())
