"""Decision integrity through the App (issue 14): one test per guard a careless change
could remove, each failing without it.

1. Enter on a permission obeys the settle guard (as ``y`` does).
2. Enter on a question obeys it too (it opens the answers only for a gate read).
3. The gate is the one on screen at the keystroke: a confirmation or a message prompt
   decides the gate it was opened on, even if another slid under the cursor meanwhile.
4. A gate decided here does not come back from a listing taken mid-reply.
5. A risky "always" asks twice; a plain one once.
"""

from __future__ import annotations

import asyncio
import os

from hypothesis import HealthCheck, given, settings

from hoody_tui.api.questions import Question
from hoody_tui.ui.screens.answer import AnswerScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.prompt import TextPromptScreen

from .integrity import operations, run_property
from .world import World, until

SIZE = (120, 36)


async def on_gates(pilot, world: World, gate_id: str) -> None:
    app = world.app
    await until(pilot, lambda: gate_id in app.store.permissions or gate_id in app.store.questions, what=gate_id)
    if app.current_view != "gates":
        await pilot.press("4")
    await until(pilot, lambda: app.gates_view.detail.gate_id == gate_id, what=f"{gate_id} shown")


async def read(pilot, world: World) -> None:
    """As a person reads: wait until the gate on screen may be decided."""
    await until(pilot, world.app.gates_view.detail.settled, what="the gate settled")


async def test_enter_right_after_the_gate_changed_is_refused():
    world = World(settle=30.0)  # "right after" stays inside it, however slow the machine
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_a")
        await on_gates(pilot, world, "per_a")
        world.raise_permission("per_b")
        await until(pilot, lambda: "per_b" in app.store.permissions)
        world.decide_elsewhere("per_a")  # the gate being read goes; per_b slides under the cursor
        await until(pilot, lambda: app.gates_view.detail.gate_id == "per_b")
        await pilot.press("enter")
        await pilot.pause()
        assert world.replies_sent() == [] and app.ledger.state("per_b") is None
        assert "just changed" in app.notices[-1].text
        app.gates_view.detail.settle = 0.0  # now it has been read
        await read(pilot, world)
        await pilot.press("enter")
        await until(pilot, lambda: world.replies_sent() == [("per_b", "once")], what="the reply")


async def test_enter_on_a_question_that_just_changed_opens_nothing():
    world = World(settle=30.0)
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_a")
        await on_gates(pilot, world, "per_a")
        world.raise_question("que_b", options=("postgres", "sqlite"))
        await until(pilot, lambda: "que_b" in app.store.questions)
        world.decide_elsewhere("per_a")
        await until(pilot, lambda: app.gates_view.detail.gate_id == "que_b")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AnswerScreen) and world.replies_sent() == []
        app.gates_view.detail.settle = 0.0
        await read(pilot, world)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AnswerScreen))
        screen = app.screen
        screen.settle = 0.0
        await until(pilot, screen.ready)
        await pilot.press("down", "enter")
        await until(pilot, lambda: bool(world.replies_sent()))
    assert world.replies_sent() == [("que_b", "answer")] and world.backend.replies[0].answer == (("sqlite",),)


async def test_a_confirmation_decides_the_gate_it_was_opened_on():
    world = World()
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_a", command="make test")
        await on_gates(pilot, world, "per_a")
        await read(pilot, world)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        world.raise_permission("per_b", command="make deploy")
        world.decide_elsewhere("per_a")  # meanwhile: per_a decided elsewhere, per_b under the cursor
        await until(pilot, lambda: app.gates_view.detail.gate_id == "per_b", what="per_b under the cursor")
        await pilot.press("y")
        await until(pilot, lambda: any("decided elsewhere" in n.text for n in app.notices), what="said")
        assert world.replies_sent() == [] and "per_b" in app.store.permissions and app.ledger.state("per_b") is None


async def test_a_reject_message_goes_to_the_gate_the_prompt_was_opened_on():
    world = World()
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_a")
        await on_gates(pilot, world, "per_a")
        await read(pilot, world)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        world.raise_permission("per_b")
        await until(pilot, lambda: "per_b" in app.store.permissions)
        await pilot.press(*"not now", "enter")
        await until(pilot, lambda: bool(world.replies_sent()))
        assert world.replies_sent() == [("per_a", "reject")] and world.backend.replies[0].message == "not now"
        assert "per_b" in app.store.permissions


async def test_a_decided_gate_does_not_come_back_from_a_listing_taken_mid_reply():
    world = World()
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_a")
        await on_gates(pilot, world, "per_a")
        stale = await world.backend.snapshot()  # taken before the reply: per_a still pending
        await read(pilot, world)
        await pilot.press("y")
        await until(pilot, lambda: "per_a" not in app.store.permissions, what="per_a decided")
        await world.stale_listing(stale)
        await until(pilot, lambda: world.backend.pinned is None, what="the stale listing applied")
        await pilot.pause()
        assert "per_a" not in app.store.permissions and "per_a" not in app.gates_view._keys
    assert world.replies_sent() == [("per_a", "once")]


async def test_a_risky_always_asks_twice_and_a_no_sends_nothing():
    world = World()
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_r", command="rm -rf build", always=["rm *"])
        await on_gates(pilot, world, "per_r")
        await read(pilot, world)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "risky" in app.screen._question)
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert world.replies_sent() == []
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "risky" in app.screen._question)
        await pilot.press("y")
        await until(pilot, lambda: bool(world.replies_sent()))
    assert world.replies_sent() == [("per_r", "always")]


async def test_a_plain_always_asks_once():
    world = World()
    app = world.app
    async with app.run_test(size=SIZE) as pilot:
        world.raise_permission("per_p", command="npm test", always=["npm test*"])
        await on_gates(pilot, world, "per_p")
        await read(pilot, world)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "npm test*" in app.screen._question
        await pilot.press("y")
        await until(pilot, lambda: bool(world.replies_sent()))
        assert not isinstance(app.screen, ConfirmScreen)
    assert world.replies_sent() == [("per_p", "always")]


def test_the_fake_world_speaks_the_servers_shapes():
    """The events the world sends are parsed by the real parser into the real records."""
    world = World()
    world.raise_question("que_1", options=("x", "y"))
    assert isinstance(world.backend.questions["que_1"], Question)


# --- the property, through the App, over the fake backend


class FakeIntegrityWorld(World):
    def __init__(self) -> None:
        super().__init__(settle=0.3)
        self.n = 0
        self.taken = None

    async def ask(self, kind: str) -> str | None:
        self.n += 1
        if kind == "question":
            self.raise_question(f"que_{self.n}")
            return f"que_{self.n}"
        self.raise_permission(f"per_{self.n}", command=f"echo {self.n}", generation=self.n)
        return f"per_{self.n}"

    async def elsewhere(self, index: int) -> str | None:
        pending = sorted([*self.backend.permissions, *self.backend.questions])
        if not pending:
            return None
        gate_id = pending[index % len(pending)]
        self.decide_elsewhere(gate_id)
        return gate_id

    async def stale(self, take: bool) -> None:
        if take:
            self.taken = await self.backend.snapshot()
        elif self.taken is not None:
            await self.stale_listing(self.taken)
            self.taken = None

    async def sent(self) -> list[tuple[str, str]]:
        return self.replies_sent()


@settings(max_examples=int(os.environ.get("HOODY_PROPERTY_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_every_gesture_decides_only_the_gate_it_was_made_on(ops):
    async def scenario() -> None:
        world = FakeIntegrityWorld()
        async with world.app.run_test(size=SIZE) as pilot:
            await run_property(world, pilot, ops)
        # A reply echoes the generation of the gate it was made on.
        assert all(r.generation == int(r.gate_id.split("_")[1]) for r in world.backend.replies
                   if r.gate_id.startswith("per"))

    asyncio.run(scenario())
