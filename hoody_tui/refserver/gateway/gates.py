"""Gates: a turn parked on a confirm (``event.confirm_request``) or a question
(``event.user_question``), and the rules a reply (``POST …/confirm`` / ``…/answer``)
is checked against, in this order:

1. the echoed ``gate_id`` (or, without one, the echoed ``generation``) names a gate that
   was already answered → 409 ``gate_already_answered`` (the caller lost the race);
2. nothing is parked → 409 ``no_pending_gate``;
3. an echoed ``gate_id`` or ``generation`` differs from the parked gate's → 409 ``stale_gate``;
4. the route does not fit the parked gate (confirm to a question or answer to a
   confirm) → 409 ``gate_type_mismatch``.

``generation`` counts the gates parked in a session (1, 2, …); a gate cancelled with its
turn is not "answered": echoing it later is ``stale_gate`` (or ``no_pending_gate``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .errors import conflict

__all__ = ["Gate", "GateBook", "CONFIRM", "QUESTION"]

CONFIRM = "confirm"
QUESTION = "question"
ANSWERED_KEPT = 256
"""How many answered gates a session remembers (for ``gate_already_answered``)."""


@dataclass(eq=False)
class Gate:
    """One parked gate. ``payload`` is what its event carries besides ``gate_id`` and
    ``generation``; ``future`` gets the resolution ``{"outcome", …}``."""

    id: str
    type: str
    generation: int
    payload: dict[str, Any]
    created_at: int
    future: asyncio.Future[dict[str, Any]] = field(repr=False)

    @property
    def event_type(self) -> str:
        return "event.confirm_request" if self.type == CONFIRM else "event.user_question"

    def event_payload(self) -> dict[str, Any]:
        return {"gate_id": self.id, "generation": self.generation, **self.payload}

    def view(self) -> dict[str, Any]:
        """The session summary's ``pending_gate``."""
        return {"gate_id": self.id, "type": self.type, "generation": self.generation, **self.payload,
                "created_at": self.created_at}


class GateBook:
    """A session's parked gate, its generation counter and the gates answered so far."""

    def __init__(self) -> None:
        self.generation = 0
        self.parked: Gate | None = None
        self.answered: dict[str, int] = {}

    def next_generation(self) -> int:
        self.generation += 1
        return self.generation

    def _answered(self, gate_id: str | None, generation: int | None) -> bool:
        if gate_id is not None:
            return gate_id in self.answered and (generation is None or self.answered[gate_id] == generation)
        return generation is not None and generation in self.answered.values()

    def check(self, route_type: str, gate_id: str | None, generation: int | None) -> Gate:
        """The parked gate a reply may resolve, or the 409 (module docstring)."""
        if self._answered(gate_id, generation):
            raise conflict("gate_already_answered", "This gate was already answered")
        gate = self.parked
        if gate is None:
            raise conflict("no_pending_gate", "No gate is parked in this session")
        if (gate_id is not None and gate_id != gate.id) or (generation is not None and generation != gate.generation):
            raise conflict("stale_gate", f"Stale gate: the parked gate is {gate.id} (generation {gate.generation})")
        if gate.type != route_type:
            other = "answer" if gate.type == QUESTION else "confirm"
            raise conflict("gate_type_mismatch", f"The parked gate is a {gate.type} gate: reply with POST …/{other}")
        return gate

    def resolve(self, gate: Gate, resolution: dict[str, Any]) -> None:
        """Unpark ``gate`` with ``resolution``; an answer (not a cancel) is remembered."""
        if self.parked is gate:
            self.parked = None
        if resolution.get("outcome") != "cancelled":
            self.answered[gate.id] = gate.generation
            while len(self.answered) > ANSWERED_KEPT:
                self.answered.pop(next(iter(self.answered)))
        if not gate.future.done():
            gate.future.set_result(resolution)
