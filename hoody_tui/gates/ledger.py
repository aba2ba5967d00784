"""Decision integrity: each gate gets at most one decision on the wire, and none is lost.

The UI asks the ledger before sending a reply (:meth:`Ledger.begin`); the ledger locks
the gate until the outcome is known. Outcomes:

- success: the gate is done; the server's own ``permission.replied`` (or a listing that
  still shows it for a moment) is absorbed, never re-shown;
- 404 / stale / already answered: it was answered elsewhere, drop it and say so;
- 409 / 400 (refused as such): unlock, say why, the user may decide again;
- no answer (network): we cannot know if it arrived. The gate stays locked as
  "checking" until the next resync: still pending means it did not arrive (unlock
  with "reply failed: <reason>, press again"); gone means it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ..api.errors import ApiError, Conflict, HoodyError, NotFound, TransportError

__all__ = ["Phase", "Decision", "DecisionKind", "GateState", "Outcome", "Ledger", "GATEWAY_GONE_CODES"]

GATEWAY_GONE_CODES = frozenset({"no_pending_gate", "stale_gate", "gate_already_answered"})


class Phase(StrEnum):
    SENDING = "sending"
    CHECKING = "checking"  # reply's fate unknown until the next resync
    FAILED = "failed"  # confirmed still pending; the user may decide again
    DONE = "done"


DecisionKind = Literal["once", "always", "reject", "answer", "reject-question"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision on one gate, as the person made it at the keystroke."""

    gate_id: str
    kind: DecisionKind
    message: str | None = None
    """A reject's message for the agent, a question's typed answer or rejection reason."""
    labels: tuple[tuple[str, ...], ...] | None = None
    """A question answered from its options: the chosen labels of each of its items."""
    generation: int | None = None
    """The gate's generation on screen (servers whose gates have one check it)."""


@dataclass(slots=True)
class GateState:
    decision: Decision
    phase: Phase
    note: str = ""


class Outcome(StrEnum):
    DONE = "done"  # remove the gate
    GONE = "gone"  # answered elsewhere: remove and tell the user
    REFUSED = "refused"  # unlocked, show why
    CHECKING = "checking"  # wait for resync


DONE_KEPT = 500
"""Decided gates remembered (to absorb a stale listing) when the server never confirms them."""


class Ledger:
    def __init__(self) -> None:
        self._states: dict[str, GateState] = {}

    def state(self, gate_id: str) -> GateState | None:
        return self._states.get(gate_id)

    def locked(self, gate_id: str) -> bool:
        state = self._states.get(gate_id)
        return state is not None and state.phase in (Phase.SENDING, Phase.CHECKING, Phase.DONE)

    def begin(self, decision: Decision) -> bool:
        """Claim the gate for this decision. False: a decision is already in flight or done."""
        if self.locked(decision.gate_id):
            return False
        self._states[decision.gate_id] = GateState(decision, Phase.SENDING)
        return True

    def succeeded(self, gate_id: str) -> Outcome:
        state = self._states.get(gate_id)
        if state is not None:
            state.phase = Phase.DONE
            state.note = ""
            self._trim_done()
        return Outcome.DONE

    def _trim_done(self) -> None:
        """Keep the memory of decided gates bounded: the server's replied event for a gate
        already gone from the store is not seen as such, so some are forgotten only here
        (or at the next listing)."""
        done = [gate_id for gate_id, state in self._states.items() if state.phase is Phase.DONE]
        for gate_id in done[: max(0, len(done) - DONE_KEPT)]:
            del self._states[gate_id]

    def failed(self, gate_id: str, error: HoodyError) -> Outcome:
        state = self._states.get(gate_id)
        if state is None:
            return Outcome.REFUSED
        if isinstance(error, NotFound) or (isinstance(error, Conflict) and error.code in GATEWAY_GONE_CODES):
            state.phase = Phase.DONE
            state.note = "answered elsewhere"
            return Outcome.GONE
        if isinstance(error, TransportError) or (isinstance(error, ApiError) and error.status >= 500):
            state.phase = Phase.CHECKING
            state.note = str(error.message)
            return Outcome.CHECKING
        # Refused as such (400, 409, 401, 403, a bad payload): the decision did not apply.
        del self._states[gate_id]
        return Outcome.REFUSED

    def checking(self) -> dict[str, Decision]:
        """The decisions whose fate is unknown (sent, no answer), by gate."""
        return {gate_id: s.decision for gate_id, s in self._states.items() if s.phase is Phase.CHECKING}

    def resynced(self, pending: set[str]) -> dict[str, Outcome]:
        """After a listing: settle every gate whose reply's fate was unknown.

        Also forgets done gates the server no longer lists (nothing left to absorb).
        """
        settled: dict[str, Outcome] = {}
        for gate_id, state in list(self._states.items()):
            if state.phase is Phase.CHECKING:
                if gate_id in pending:
                    state.phase = Phase.FAILED
                    state.note = f"reply failed: {state.note}, press again"
                    settled[gate_id] = Outcome.REFUSED
                else:
                    state.phase = Phase.DONE
                    settled[gate_id] = Outcome.DONE
            if state.phase is Phase.DONE and gate_id not in pending:
                del self._states[gate_id]
        return settled

    def absorbs(self, gate_id: str) -> bool:
        """True when the gate was decided here: a re-listing of it must not show it again."""
        state = self._states.get(gate_id)
        return state is not None and state.phase is Phase.DONE

    def forget(self, gate_id: str) -> None:
        """The server confirmed the gate is gone (its replied event)."""
        state = self._states.get(gate_id)
        if state is not None and state.phase in (Phase.DONE, Phase.FAILED):
            del self._states[gate_id]
