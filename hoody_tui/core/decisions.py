"""Deciding gates: the whole protocol, in one place.

A person's decision (:class:`~hoody_tui.gates.ledger.Decision`, made on the gate that was
on screen at the keystroke) goes through :meth:`GateDesk.decide`:

1. the ledger claims the gate, or refuses: a decision is never sent twice;
2. the backend sends it, once (replies are never retried);
3. the outcome settles the gate: accepted, the gate leaves the queue; 404 (or a "gone"
   409), it was decided elsewhere: dropped, and said; refused (400, 409), unlocked, and
   said; no answer (network, 5xx), its fate is unknown: the gate stays locked while
   :meth:`GateDesk.check` lists the pending gates until the server answers;
4. every outcome is one line in the audit log.

Gates that leave the queue by the server's word when no decision of ours is on its way
(:meth:`GateDesk.gates_gone`) were decided elsewhere: that is audited and said too,
never hidden. The desk knows the backend only by its protocol; no Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from ..api.errors import HoodyError, Invalid
from ..api.permissions import PermissionRequest
from ..gates.audit import AuditLog, AuditRecord
from ..gates.ledger import Decision, Ledger, Outcome
from ..store.changes import Changes, Gate, GoneGate
from ..store.state import WorkspaceStore
from ..text import shorten
from .backend import Backend, Unsupported
from .publications import Notice, Publish, StoreUpdated

__all__ = ["GateDesk", "DecisionResult", "DecisionStatus", "describe_gate", "REPLY_WORDS"]

log = logging.getLogger("hoody_tui.decisions")

DecisionStatus = Literal["ok", "elsewhere", "refused", "checking", "busy", "gone"]

VERBS = {
    "once": "Allowed once",
    "always": "Allowed always",
    "reject": "Rejected",
    "answer": "Answered",
    "reject-question": "Rejected the question",
}
REPLY_WORDS = {"once": "allowed once", "always": "allowed always", "reject": "rejected"}
"""A permission's reply as the server names it, in words."""


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """How one decision ended, with a sentence for the person."""

    status: DecisionStatus
    text: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def describe_gate(gate: Gate, limit: int = 80) -> str:
    """A gate in a few words: ``bash: rm -rf build``, ``question: Which db?``."""
    if isinstance(gate, PermissionRequest):
        return shorten(f"{gate.permission or 'permission'}: {gate.subject}", limit)
    return shorten(f"question: {gate.text}", limit)


class GateDesk:
    """Sends decisions and settles their gates, for one backend and its store."""

    def __init__(
        self,
        backend: Backend,
        store: WorkspaceStore,
        ledger: Ledger,
        audit: AuditLog,
        publish: Publish,
        *,
        clock: Callable[[], float],
        via: str = "tui",
        source: str | None = None,
    ) -> None:
        self.source = source
        self.backend = backend
        self.store = store
        self.ledger = ledger
        self.audit = audit
        self.publish = publish
        self.clock = clock
        self.via = via
        self._check: asyncio.Task[None] | None = None

    # --- deciding --------------------------------------------------------------------

    async def decide(self, decision: Decision) -> DecisionResult:
        """Send ``decision`` exactly once and settle its gate by the outcome."""
        gate_id = decision.gate_id
        if self.ledger.locked(gate_id):
            return DecisionResult("busy", "A decision for this gate is already on its way.")
        gate = self.store.gate(gate_id)
        if gate is None:
            return DecisionResult("gone", "That gate is gone: it was decided elsewhere.")
        self.ledger.begin(decision)  # not locked (checked above): this claims the gate
        self.publish(StoreUpdated(_touched(gate)))  # its row says "sending…"
        try:
            await self._send(decision, gate)
        except HoodyError as exc:
            return self._failed(decision, gate, exc)
        except Unsupported as exc:  # the UI should not have offered it: refused, nothing sent
            return self._failed(decision, gate, Invalid(str(exc), status=0, context="deciding a gate"))
        self.ledger.succeeded(gate_id)
        self._audit(gate, decision, "ok")
        self.publish(StoreUpdated(self.store.remove_gate(gate_id)))
        return DecisionResult("ok", VERBS[decision.kind])

    async def _send(self, decision: Decision, gate: Gate) -> None:
        backend, generation = self.backend, decision.generation
        if decision.kind == "answer":
            answer = decision.labels if decision.labels is not None else (decision.message or "")
            await backend.answer_question(gate.id, answer, generation=generation)
        elif decision.kind == "reject-question":
            await backend.reject_question(gate.id, decision.message, generation=generation)
        else:
            await backend.reply_permission(gate.id, decision.kind, decision.message, generation=generation)

    def _failed(self, decision: Decision, gate: Gate, exc: HoodyError) -> DecisionResult:
        outcome = self.ledger.failed(decision.gate_id, exc)
        if outcome is Outcome.GONE:
            self._audit(gate, decision, "decided elsewhere")
            self.publish(StoreUpdated(self.store.remove_gate(decision.gate_id)))
            return DecisionResult("elsewhere", f"Decided elsewhere before your reply arrived: {describe_gate(gate, 60)}")
        if outcome is Outcome.CHECKING:
            self._audit(gate, decision, f"checking: {exc.message}")
            self.publish(StoreUpdated(_touched(gate)))
            self.start_check()
            return DecisionResult("checking", f"No answer from the server ({exc.message}); checking whether the reply arrived…")
        self._audit(gate, decision, f"refused: {exc.message}")
        self.publish(StoreUpdated(_touched(gate)))
        return DecisionResult("refused", f"Not accepted: {exc}")

    # --- replies of unknown fate -------------------------------------------------------

    def start_check(self) -> None:
        """List the pending gates (in the background) until the server answers."""
        if self._check is None or self._check.done():
            self._check = asyncio.create_task(self.check(), name="hoody-check-gates")

    async def check(self, *, delay: float = 1.0, longest: float = 15.0) -> None:
        while True:
            try:
                pending = await self.backend.pending_gate_ids()
            except HoodyError as exc:
                log.info("listing the pending gates failed (%s); trying again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)
                continue
            self.settle(pending)
            return

    def settle(self, pending: set[str], gone: dict[str, GoneGate] | None = None) -> None:
        """A listing says which gates are ``pending``: settle the replies of unknown fate by
        it, and say how each ended (``gone``: the gates that listing no longer had)."""
        decisions = self.ledger.checking()
        for gate_id, outcome in self.ledger.resynced(pending).items():
            gate = self.store.gate(gate_id)
            if gate is None and gone and gate_id in gone:
                gate = gone[gate_id].gate
            if outcome is Outcome.DONE:
                self.publish(StoreUpdated(self.store.remove_gate(gate_id)))
                self.publish(Notice("The reply had arrived after all.", "information", "gate"))
                note = "ok (confirmed by a listing)"
            else:
                if gate is not None:
                    self.publish(StoreUpdated(_touched(gate)))
                self.publish(Notice("A reply did not reach the server; the gate is still pending. Press the key again.",
                                    "warning", "gate"))
                note = "not delivered (still pending)"
            if gate is not None and gate_id in decisions:
                self._audit(gate, decisions[gate_id], note)

    async def aclose(self) -> None:
        if self._check is not None:
            self._check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._check

    # --- gates that left the queue -------------------------------------------------------

    def gates_gone(self, changes: Changes) -> None:
        """The server removed these gates: the ones no decision of ours explains were
        decided elsewhere (or went with their session). Audit each; say it once."""
        elsewhere: list[GoneGate] = []
        for gate_id, gone in changes.gone.items():
            if not self.ledger.locked(gate_id):  # locked: ours, told by decide() or settle()
                elsewhere.append(gone)
            self.ledger.forget(gate_id)  # the server's word: nothing left to absorb
        if not elsewhere:
            return
        for gone in elsewhere:
            self._audit_elsewhere(gone)
        self.publish(Notice(_gone_sentence(elsewhere, self.store), "information", "gate"))

    # --- audit -------------------------------------------------------------------------

    def _audit(self, gate: Gate, decision: Decision, outcome: str) -> None:
        message = decision.message
        if decision.labels is not None:
            message = "; ".join(", ".join(group) for group in decision.labels)
        self._write(gate, decision.kind, message, outcome, self.via)

    def _audit_elsewhere(self, gone: GoneGate) -> None:
        outcome = {"session-deleted": "session deleted", "listing": "decided elsewhere (gone from a listing)",
                   "turn-ended": "dropped: the session's turn ended"}.get(gone.how, "decided elsewhere")
        decision = "reject-question" if gone.how == "rejected" else (gone.reply or "unknown")
        self._write(gone.gate, decision, None, outcome, "elsewhere")

    def _write(self, gate: Gate, decision: str, message: str | None, outcome: str, via: str) -> None:
        if isinstance(gate, PermissionRequest):
            kind, tool = "permission", gate.permission
            subject = gate.command or gate.filepath or ", ".join(gate.patterns)
        else:
            kind, tool, subject = "question", None, gate.text
        record = AuditRecord(
            time=self.clock(), server=self.backend.server, workspace=self.backend.scope, session=gate.session_id,
            gate=gate.id, kind=kind, tool=tool, subject=subject, decision=decision, message=message,
            outcome=outcome, via=via, source=self.source,
        )
        if not self.audit.write(record) and self.audit.error:
            self.publish(Notice(self.audit.error, "error", "audit"))
            self.audit.error = None


def _touched(gate: Gate) -> Changes:
    """A change that redraws ``gate``'s row (its decision's state changed)."""
    if isinstance(gate, PermissionRequest):
        return Changes(permissions={gate.id})
    return Changes(questions={gate.id})


def _gone_sentence(gones: Iterable[GoneGate], store: WorkspaceStore) -> str:
    items = list(gones)
    if len(items) > 1:
        deleted = sum(1 for g in items if g.how == "session-deleted")
        ended = sum(1 for g in items if g.how == "turn-ended")
        elsewhere = len(items) - deleted - ended
        parts = [f"{elsewhere} gates were decided elsewhere" if elsewhere else "",
                 f"{deleted} went with their deleted session" if deleted else "",
                 f"{ended} were dropped as their session's turn ended" if ended else ""]
        text = "; ".join(p for p in parts if p)
        return text + " (the audit log has each)."
    gone = items[0]
    session = store.sessions.get(gone.gate.session_id or "")
    where = f" in “{shorten(session.title or session.id, 30)}”" if session else ""
    what = describe_gate(gone.gate, 60)
    if gone.how == "session-deleted":
        return f"Gone with its deleted session: {what}"
    if gone.how == "turn-ended":
        return f"Dropped, the turn ended (aborted or finished){where}: {what}"
    if gone.how == "listing":
        return f"Decided elsewhere (no longer pending){where}: {what}"
    if gone.how == "rejected":
        return f"Decided elsewhere: rejected{where}: {what}"
    if isinstance(gone.gate, PermissionRequest):
        word = REPLY_WORDS.get(gone.reply or "", gone.reply or "decided")
    else:
        word = f"answered “{shorten(gone.reply, 30)}”" if gone.reply else "answered"
    return f"Decided elsewhere: {word}{where}: {what}"
