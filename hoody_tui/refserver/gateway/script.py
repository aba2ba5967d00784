"""What happens in the gateway: the seeded scenario.

- ``none``: no sessions. ``idle``: ``sessions`` seeded sessions (ids derived from the
  seed) and one system session, nothing moving. ``demo``: the same, alive — each session
  starts a turn within about two seconds (scaled by ``speed``) that streams deltas and
  tool events and parks a confirm gate (or, in one session of four, a question); once a
  turn ends the session starts another a few seconds later; the last session has a loop
  firing every 30 s; some turns start background tasks.
- ``pending_gates`` N: a confirm gate is parked in each of the first N sessions at start-up
  (more sessions are made if needed), whatever the scenario.

What a prompt plays is :func:`.prompts.script_for`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..content import RISKY_COMMANDS, TOPICS, bash_call, edit_call, job_spec, read_call
from ..script import Ask, Say, Think, ToolCall, question
from .loops import create_loop
from .prompts import script_for
from .records import SessionRec
from .state import seeded_session_id
from .turns import GatewayScript

if TYPE_CHECKING:
    from .state import GatewayState

__all__ = ["start_scenario"]

STAGGER = 0.4
"""Seconds between the first turns of two demo sessions."""


def _first_turn(s: SessionRec, index: int) -> GatewayScript:
    """A first turn that reaches a gate quickly: an edit or a risky command (confirm), or a question."""
    rng, topic = s.rng, s.topic
    explore: list[Any] = [Think("Let me look at the code first."), Say(f"Looking at `{topic.file}`."),
                          read_call(topic.file)]
    kind = index % 4
    if kind == 0:
        act: list[Any] = [Say("Found it; here is the change."), edit_call(topic.file)]
    elif kind == 1:
        act = [Say("The build directory is stale; cleaning it."), bash_call(rng.choice(RISKY_COMMANDS[:3]))]
    elif kind == 2:
        act = [Ask([question("Which package manager does this repo use?", ["npm", "pnpm", "yarn"],
                             "Package manager")]),
               bash_call("rm -rf node_modules/.cache")]
    else:
        spec = job_spec(rng, "bash")
        act = [Say("Running the suite in the background while I edit."),
               ToolCall("bash", {"command": spec.input["command"], "background": True}, title="Run in the background",
                        output="", duration=0.2, job=spec),
               edit_call(topic.file)]
    return [explore, act, [Say("Done; the change is in place and the tests pass.")]]


async def _drive(state: GatewayState, s: SessionRec, index: int) -> None:
    await state.sleep(0.3 + STAGGER * index)
    script = _first_turn(s, index)
    text = s.topic.prompt
    while not state.closed:
        if s.live and s.turn is None:
            turn = state.dispatch(s, text, script)
            await turn.done.wait()
        else:
            await s.idle.wait()
        await state.sleep(s.rng.uniform(5.0, 12.0))
        text = s.rng.choice(["Keep going.", "Now add a test for it.", "Double-check the edge cases.",
                             s.topic.prompt])
        script = script_for(state, s, text)


async def start_scenario(state: GatewayState) -> None:
    config = state.config
    scenario = config.scenario
    count = 0 if scenario == "none" else config.sessions
    count = max(count, config.pending_gates)
    sessions = [state.new_session(session_id=seeded_session_id(config.seed, i), topic=TOPICS[i % len(TOPICS)])
                for i in range(count)]
    if scenario != "none":
        state.new_session("memory consolidator (resident)", session_id=seeded_session_id(config.seed, -1),
                          system=True, agent="memory")
    for s in sessions[: config.pending_gates]:
        await state.park_gate(s.id, tool="bash", args={"command": "rm -rf build/"}, summary="Run `rm -rf build/`")
    if scenario != "demo":
        return
    looped = sessions[-1] if len(sessions) > 1 else None
    if looped is not None and looped.turn is None:
        looped.title = "Nightly test loop"
        create_loop(state, looped, {"prompt": "Run the test suite and report failures.", "interval": "30s",
                                    "max_runs": 0})
    for i, s in enumerate(sessions):
        if s is not looped and s.turn is None:
            state.spawn(_drive(state, s, i), name=f"drive {s.id}")

