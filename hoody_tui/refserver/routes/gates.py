"""Permissions and questions: ``S/permissions``, ``W/config/permission``, ``W/permissions``,
``W/permissions/{id}/reply``, ``W/questions``, ``W/questions/{id}/reply|reject|consult``.

Every reply and reject is logged in ``Workspace.replies`` exactly as received, with the
status it was answered with, before it is applied.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import catalog
from ..errors import ApiError
from .common import NO_BODY, listing, ok, read_body, session, workspace

REPLIES = ("once", "always", "reject")


async def session_permissions(request: Request) -> Response:
    _, rec = session(request)
    agent = request.query_params.get("agent") or rec.agent
    agent_rules = catalog.agent_ruleset(agent)
    session_rules = list(rec.info.get("permission") or [])
    return ok({"agent": agent, "agentRuleset": agent_rules, "sessionRuleset": session_rules,
               "effective": agent_rules + session_rules})


async def config_permission(request: Request) -> Response:
    workspace(request)
    return ok(catalog.workspace_config())


async def list_permissions(request: Request) -> Response:
    ws = workspace(request)
    return listing(ws, ws.gates.list_permissions())


async def list_questions(request: Request) -> Response:
    ws = workspace(request)
    return listing(ws, ws.gates.list_questions())


async def _logged_body(request: Request) -> tuple[Any, Any]:
    """(parsed body or NO_BODY or None if not JSON, body as logged)."""
    raw = await request.body()
    if not raw.strip():
        return NO_BODY, None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, raw.decode(errors="replace")
    return body, body


def parse_permission_reply(body: Any) -> tuple[str, str | None]:
    """``{"reply","message"?}`` or the alternative ``{"approved","reason"?}`` (C3)."""
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    if "reply" in body:
        reply, message = body["reply"], body.get("message")
        errors = []
        if reply not in REPLIES:
            errors.append(("reply", "Must be one of: once, always, reject"))
        if message is not None and not isinstance(message, str):
            errors.append(("message", "Must be a string"))
        if errors:
            raise ApiError.invalid(*errors)
        return str(reply), message
    if "approved" in body:
        approved, reason = body["approved"], body.get("reason")
        errors = []
        if not isinstance(approved, bool):
            errors.append(("approved", "Must be a boolean"))
        if reason is not None and not isinstance(reason, str):
            errors.append(("reason", "Must be a string"))
        if errors:
            raise ApiError.invalid(*errors)
        return ("once" if approved else "reject"), reason
    raise ApiError.invalid(("reply", "Required: one of once, always, reject"))


def parse_answers(body: Any) -> list[list[str]]:
    """``{"answer": str}`` or ``{"answers": [[label, ...], ...]}`` (C7)."""
    if not isinstance(body, dict):
        raise ApiError.invalid(("body", "Must be a JSON object"))
    if "answer" in body:
        if not isinstance(body["answer"], str):
            raise ApiError.invalid(("answer", "Must be a string"))
        return [[body["answer"]]]
    if "answers" in body:
        answers = body["answers"]
        if isinstance(answers, list):
            shaped = [[a] if isinstance(a, str) else a for a in answers]
            if all(isinstance(a, list) and all(isinstance(x, str) for x in a) for a in shaped):
                return shaped
        raise ApiError.invalid(("answers", "Must be an array of arrays of strings"))
    raise ApiError.invalid(("answer", "Required"))


async def _handle(request: Request, kind: str, apply: Any) -> Response:
    """Log the reply as received, then parse and apply it; the log records the status."""
    ws = workspace(request)
    request_id = request.path_params["requestID"]
    body, logged = await _logged_body(request)
    try:
        if body is None:
            raise ApiError.invalid(("body", "Must be valid JSON"))
        apply(ws, request_id, body)
    except ApiError as exc:
        ws.log_reply(kind, request_id, logged, exc.status)
        raise
    ws.log_reply(kind, request_id, logged, 200)
    return ok(True)


def _reply_permission(ws: Any, request_id: str, body: Any) -> None:
    if body is NO_BODY:
        raise ApiError.invalid(("reply", "Required: one of once, always, reject"))
    reply, message = parse_permission_reply(body)
    ws.gates.reply_permission(request_id, reply, message)


def _reply_question(ws: Any, request_id: str, body: Any) -> None:
    if body is NO_BODY:
        raise ApiError.invalid(("answer", "Required"))
    ws.gates.reply_question(request_id, parse_answers(body))


def _reject_question(ws: Any, request_id: str, body: Any) -> None:
    reason = None
    if body is not NO_BODY:
        if not isinstance(body, dict):
            raise ApiError.invalid(("body", "Must be a JSON object"))
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ApiError.invalid(("reason", "Must be a string"))
    ws.gates.reject_question(request_id, reason)


async def reply_permission(request: Request) -> Response:
    return await _handle(request, "permission.reply", _reply_permission)


async def reply_question(request: Request) -> Response:
    return await _handle(request, "question.reply", _reply_question)


async def reject_question(request: Request) -> Response:
    return await _handle(request, "question.reject", _reject_question)


async def consult_question(request: Request) -> Response:
    """One-shot advice from another model; does not answer the question."""
    ws = workspace(request)
    pending = ws.gates.questions.get(request.path_params["requestID"])
    if pending is None:
        raise ApiError.not_found("Question request not found")
    body = await read_body(request, optional=True)
    model = body.get("model") if isinstance(body, dict) else None
    first = pending.request["questions"][0]
    options = first.get("options") or []
    pick = options[0]["label"] if options else "the simplest option"
    return ok({"answer": f"{model or 'The advisor'} suggests: {pick}. It is the least risky choice here."})
