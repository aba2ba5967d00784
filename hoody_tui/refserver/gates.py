"""Permission requests and questions: the gates an agent waits at.

An agent opens a gate and awaits its future; a reply resolves it. Semantics (contract 1.6):

- ``once``: this call runs.
- ``always``: the request's ``always`` patterns join the session ruleset as ``allow``
  rules; the session's other pending requests that now evaluate to ``allow`` are
  resolved too (``permission.replied`` with ``always``).
- ``reject``: the waiting tool fails with the message; every other pending request of
  the session is rejected as well, and the turn stops.

Questions resolve with ``answers`` (one list of labels per question) or are rejected.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .rules import evaluate_all

if TYPE_CHECKING:
    from .state import SessionRec, Workspace

__all__ = ["Gates", "Pending", "PermissionRejected", "QuestionRejected", "REJECTED_MESSAGE"]

REJECTED_MESSAGE = "The user rejected permission to use this specific tool call."


class PermissionRejected(Exception):
    """The user rejected the call; ``feedback`` is their message, if any."""

    def __init__(self, feedback: str | None) -> None:
        super().__init__(feedback or REJECTED_MESSAGE)
        self.feedback = feedback

    @property
    def tool_error(self) -> str:
        if self.feedback:
            return f"{REJECTED_MESSAGE[:-1]} with the following feedback: {self.feedback}"
        return REJECTED_MESSAGE


class QuestionRejected(Exception):
    """The user dismissed the question."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "The user dismissed this question")
        self.reason = reason


@dataclass
class Pending:
    """An open gate: the request JSON, the future its waiter awaits, the agent it runs as,
    and when it opened (monotonic seconds)."""

    request: dict[str, Any]
    future: asyncio.Future[Any]
    agent: str
    opened: float = field(default_factory=time.monotonic)

    @property
    def session_id(self) -> str:
        return str(self.request["sessionID"])


class Gates:
    """Pending permission requests and questions of the workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.permissions: dict[str, Pending] = {}
        self.questions: dict[str, Pending] = {}

    def list_permissions(self) -> list[dict[str, Any]]:
        return [p.request for p in self.permissions.values()]

    def list_questions(self) -> list[dict[str, Any]]:
        return [q.request for q in self.questions.values()]

    # --- permissions -----------------------------------------------------------------

    def open_permission(
        self,
        rec: SessionRec,
        permission: str,
        patterns: list[str],
        always: list[str],
        metadata: dict[str, Any],
        tool: dict[str, str] | None,
        agent: str,
    ) -> Pending:
        request: dict[str, Any] = {
            "id": self.ws.new_id("per"), "sessionID": rec.id, "permission": permission, "patterns": patterns,
            "metadata": metadata, "always": always,
        }
        if tool is not None:
            request["tool"] = tool
        pending = Pending(request, asyncio.get_running_loop().create_future(), agent)
        self.permissions[request["id"]] = pending
        self.ws.event("permission.asked", **request)
        return pending

    async def ask_permission(
        self,
        rec: SessionRec,
        permission: str,
        patterns: list[str],
        always: list[str],
        metadata: dict[str, Any],
        tool: dict[str, str] | None,
        agent: str,
    ) -> str:
        """Open a request and wait. Returns ``once``/``always``; raises
        :class:`PermissionRejected`. If the waiter is cancelled, the request is withdrawn."""
        pending = self.open_permission(rec, permission, patterns, always, metadata, tool, agent)
        try:
            reply, message = await pending.future
        finally:
            self._withdraw_permission(pending)
        if reply == "reject":
            raise PermissionRejected(message)
        return str(reply)

    def _withdraw_permission(self, pending: Pending) -> None:
        rid = pending.request["id"]
        if self.permissions.pop(rid, None) is not None:
            self.ws.event("permission.replied", sessionID=pending.session_id, requestID=rid, reply="reject")

    def _resolve(self, pending: Pending, reply: str, message: str | None) -> None:
        rid = pending.request["id"]
        self.permissions.pop(rid, None)
        self.ws.event("permission.replied", sessionID=pending.session_id, requestID=rid, reply=reply)
        if not pending.future.done():
            pending.future.set_result((reply, message))

    def reply_permission(self, request_id: str, reply: str, message: str | None = None) -> None:
        """Apply a reply (see the module docstring); 404 for an unknown or answered id."""
        pending = self.permissions.get(request_id)
        if pending is None:
            raise ApiError.not_found("Permission request not found")
        others = [p for p in self.permissions.values() if p.session_id == pending.session_id and p is not pending]
        if reply == "reject":
            self._resolve(pending, "reject", message)
            for other in others:
                self._resolve(other, "reject", None)
            return
        if reply == "always":
            rec = self.ws.sessions.get(pending.session_id)
            self._resolve(pending, "always", message)
            if rec is not None and pending.request.get("always"):
                rules = list(rec.info.get("permission") or [])
                for pattern in pending.request["always"]:
                    rule = {"permission": pending.request["permission"], "pattern": pattern, "action": "allow"}
                    if rule not in rules:
                        rules.append(rule)
                self.ws.update_session(rec, permission=rules)
                for other in others:
                    ruleset = self.ws.ruleset(rec, other.agent)
                    if evaluate_all(other.request["permission"], other.request["patterns"], ruleset) == "allow":
                        self._resolve(other, "always", None)
            return
        self._resolve(pending, "once", message)

    # --- questions -------------------------------------------------------------------

    def open_question(self, rec: SessionRec, questions: list[dict[str, Any]], tool: dict[str, str] | None) -> Pending:
        request: dict[str, Any] = {"id": self.ws.new_id("que"), "sessionID": rec.id, "questions": questions}
        if tool is not None:
            request["tool"] = tool
        pending = Pending(request, asyncio.get_running_loop().create_future(), rec.agent)
        self.questions[request["id"]] = pending
        self.ws.event("question.asked", **request)
        return pending

    async def ask_question(
        self, rec: SessionRec, questions: list[dict[str, Any]], tool: dict[str, str] | None
    ) -> list[list[str]]:
        """Open a question and wait for its answers; raises :class:`QuestionRejected`."""
        pending = self.open_question(rec, questions, tool)
        try:
            kind, value = await pending.future
        finally:
            if self.questions.pop(pending.request["id"], None) is not None:
                self.ws.event("question.rejected", sessionID=rec.id, requestID=pending.request["id"])
        if kind == "reject":
            raise QuestionRejected(value)
        return list(value)

    def _question(self, request_id: str) -> Pending:
        pending = self.questions.pop(request_id, None)
        if pending is None:
            raise ApiError.not_found("Question request not found")
        return pending

    def reply_question(self, request_id: str, answers: list[list[str]]) -> None:
        pending = self._question(request_id)
        self.ws.event("question.replied", sessionID=pending.session_id, requestID=request_id, answers=answers)
        if not pending.future.done():
            pending.future.set_result(("answer", answers))

    def reject_question(self, request_id: str, reason: str | None) -> None:
        pending = self._question(request_id)
        self.ws.event("question.rejected", sessionID=pending.session_id, requestID=request_id)
        if not pending.future.done():
            pending.future.set_result(("reject", reason))

    # --- sessions --------------------------------------------------------------------

    def drop_session(self, session_id: str) -> None:
        """Withdraw every gate of a session (abort, delete): rejected, waiters released."""
        for pending in [p for p in self.permissions.values() if p.session_id == session_id]:
            self._resolve(pending, "reject", None)
        for pending in [q for q in self.questions.values() if q.session_id == session_id]:
            self.reject_question(pending.request["id"], "The session was aborted")
