"""The script a prompt plays: backticked commands and ``ask:`` lines are played exactly
(:func:`..script.script_from_prompt`; a command outside the safe list parks a confirm
gate); other text plays a seeded realistic turn in the ``demo`` scenario (it may park
gates) and a plain reply (no gate) otherwise, so tests stay deterministic; a loop run
plays a quiet turn (no gate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..content import bash_output, plan_turn, quiet_turn
from ..script import Say, Think, script_from_prompt
from .records import SessionRec
from .turns import GatewayScript

if TYPE_CHECKING:
    from .state import GatewayState

__all__ = ["script_for"]


def script_for(state: GatewayState, s: SessionRec, text: str, *, loop: bool = False) -> GatewayScript:
    spelled = script_from_prompt(text, bash_output)
    if spelled is not None:
        return spelled
    if loop:
        return quiet_turn(s.rng, s.topic)
    if state.config.scenario == "demo":
        return plan_turn(s.rng, s.topic)
    return [[Think("A plain request: I will answer directly."), Say(f"Understood: {text.strip()[:200]}")]]
