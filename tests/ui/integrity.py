"""The decision-integrity property, through the App, for any backend (issue 14).

A world (a fake backend, or the reference server) raises gates and has them answered
elsewhere; Hypothesis interleaves those with every deciding gesture (allow once with
``y`` or Enter, always with its confirmations, reject, reject with a message, a question
answered in its panel or rejected with a reason) and every view key. Checked both ways:

- every reply the server received is one gesture's: on the gate shown at that
  keystroke, with that gesture's decision;
- every gesture on a gate that was shown, read (settled), pending and free produced
  exactly one reply, or a visible refusal (the gate went meanwhile, said so);
- a key pressed off the gates view, or on a gate not yet read, never decides anything
  it was not allowed to: it may only be refused.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from hypothesis import strategies as st

from hoody_tui.core.backend import Capabilities
from hoody_tui.gates.ledger import Phase
from hoody_tui.ui.app import HoodyApp
from hoody_tui.ui.screens.answer import AnswerScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.prompt import TextPromptScreen

GESTURES = ["y", "enter", "a", "n", "N"]
VIEW_KEYS = ["1", "2", "3", "4", "j", "k", "up", "down", "home", "end", "escape"]


class IntegrityWorld(Protocol):
    """Gates are named by their row key in the app's inbox (their id, with one source)."""

    app: HoodyApp

    async def ask(self, kind: str) -> str | None: ...

    async def elsewhere(self, index: int) -> str | None: ...

    async def stale(self, take: bool) -> None: ...

    async def sent(self) -> list[tuple[str, str]]:
        """Every reply the servers received (accepted or refused), as (gate key, decision)."""
        ...


operations = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.sampled_from(["permission", "permission", "question"])),
        st.tuples(st.just("elsewhere"), st.integers(0, 9)),
        st.tuples(st.just("stale"), st.booleans()),
        st.tuples(st.just("gesture"), st.sampled_from(GESTURES)),
        st.tuples(st.just("key"), st.sampled_from(VIEW_KEYS)),
        st.tuples(st.just("read"), st.just(None)),
    ),
    min_size=4,
    max_size=22,
)


@dataclass
class Press:
    gesture: str
    gate: str | None
    decision: str | None
    must: bool  # shown, read, pending and free: exactly one reply, or a visible refusal
    answered: bool = False


def decision_of(gesture: str, is_question: bool, capabilities: Capabilities | None = None) -> str | None:
    """What ``gesture`` decides on a gate, on a server of ``capabilities``: a key the
    server's gates do not take (N without reject messages, a question's reject where
    questions cannot be rejected) decides nothing."""
    caps = capabilities or Capabilities()
    if gesture == "N" and not caps.reject_message:
        return None
    if is_question:
        if gesture in ("n", "N") and not caps.question_reject:
            return None
        return {"enter": "answer", "y": "answer", "n": "reject-question", "N": "reject-question"}.get(gesture)
    return {"y": "once", "enter": "once", "a": "always", "n": "reject", "N": "reject"}[gesture]


async def until(pilot, condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.02)


async def _finish(pilot, app: HoodyApp) -> None:
    """Go through whatever the gesture opened, as a person who means it would."""
    for _ in range(3):
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, ConfirmScreen):
            await pilot.press("y")
        elif isinstance(screen, TextPromptScreen):
            await pilot.press(*"why", "enter")
        elif isinstance(screen, AnswerScreen):
            await until(pilot, screen.ready)
            await pilot.press("enter")
        else:
            return


def _sending(app: HoodyApp, key: str) -> bool:
    source, gate_id = app.inbox.split(key)
    state = source.service.ledger.state(gate_id)
    return state is not None and state.phase is Phase.SENDING


def _pending(app: HoodyApp, key: str) -> bool:
    return app.inbox.gate(key) is not None


def _checking(app: HoodyApp) -> bool:
    return any(source.service.ledger.checking() for source in app.inbox)


async def run_property(world: IntegrityWorld, pilot, ops: list[tuple[str, Any]]) -> None:
    app = world.app
    presses: list[Press] = []
    main = app.screen_stack[0]
    await pilot.press("4")
    for op, arg in ops:
        if op == "ask":
            gate_id = await world.ask(arg)
            if gate_id:
                await until(pilot, lambda g=gate_id: g in app.gates_view._keys or app.current_view != "gates")
        elif op == "elsewhere":
            gone = await world.elsewhere(arg)
            if gone:
                await until(pilot, lambda g=gone: not _pending(app, g))
        elif op == "stale":
            await world.stale(arg)
        elif op == "read":
            if app.current_view == "gates" and app.gates_view.detail.gate_id:
                await until(pilot, app.gates_view.detail.settled)
        elif op == "key":
            await pilot.press(arg)
            await pilot.pause()
            while app.screen is not main:  # a view key opened something (a job, a stream): back
                await pilot.press("escape")
                await pilot.pause()
        else:
            shown = app.gates_view.detail.gate_id if app.current_view == "gates" and app.screen is main else None
            found = app.inbox.gate(shown) if shown else None
            decision = None
            locked = False
            if found is not None:
                source, gate = found
                decision = decision_of(arg, gate.id in source.store.questions, source.capabilities)
                locked = source.service.ledger.locked(gate.id)
            settled = app.gates_view.detail.settled()
            must = bool(found is not None and decision and settled and not locked)
            replies_before = len(await world.sent())
            notices_before = len(app.notices)
            await pilot.press(arg)
            await _finish(pilot, app)
            press = Press(arg, shown, decision, must)
            presses.append(press)
            if must:
                # Wait until the decision went out or was refused in words.
                await until(pilot, lambda g=shown or "": not _sending(app, g))
                await until(pilot, lambda n=notices_before: len(app.notices) > n)
                press.answered = len(await world.sent()) > replies_before
                if not press.answered:
                    said = " ".join(n.text for n in list(app.notices)[notices_before:]).lower()
                    assert "elsewhere" in said or "gone" in said or "on its way" in said, (press, said)
            while app.screen is not main:
                await pilot.press("escape")
                await pilot.pause()
    # Let every reply finish (nothing sending, nothing being checked).
    await until(pilot, lambda: not _checking(app) and not any(_sending(app, p.gate) for p in presses if p.gate))
    sent = await world.sent()
    # Every reply is a gesture's: the gate shown at its keystroke, its decision...
    allowed = Counter((p.gate, p.decision) for p in presses if p.gate and p.decision)
    assert not (Counter(sent) - allowed), f"a reply no keystroke made: {Counter(sent) - allowed}"
    # ...no gate was sent two decisions by the app...
    assert all(n == 1 for n in Counter(gate for gate, _ in sent).values()), sent
    # ...and every gesture that had to decide did (once) or was refused in words.
    for press in presses:
        if press.must and press.answered:
            assert (press.gate, press.decision) in sent, press
