"""Input first: the intake steps aside while the person acts, within limits."""

from __future__ import annotations

import asyncio

import pytest

from hoody_tui.core.priority import HOLD, LONGEST, InputPriority


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_key_holds_the_intake_for_a_moment_then_it_goes_on():
    clock = Clock()
    priority = InputPriority(clock)
    assert priority.held() == 0
    priority.begin()
    assert priority.held() == pytest.approx(HOLD)
    clock.now += HOLD / 2
    assert priority.held() == pytest.approx(HOLD / 2)
    clock.now += HOLD
    assert priority.held() == 0


def test_a_key_held_down_never_stops_the_events_for_long():
    clock = Clock()
    priority = InputPriority(clock)
    held_ms = run_ms = longest_run_ms = 0
    for ms in range(2000):  # two seconds of a key repeating every 10 ms, looked at each ms
        if ms % 10 == 0:
            priority.begin()
        if priority.held() > 0:
            held_ms += 1
            run_ms += 1
            longest_run_ms = max(longest_run_ms, run_ms)
        else:
            run_ms = 0
        clock.now += 0.001
    assert longest_run_ms <= round(LONGEST * 1000) + 1
    assert held_ms <= 0.55 * 2000  # at least as long free as held


def test_stepping_aside_waits_out_the_hold_and_otherwise_gives_one_turn():
    async def run() -> list[str]:
        priority = InputPriority()
        order: list[str] = []

        async def other() -> None:
            order.append("other")

        task = asyncio.ensure_future(other())
        await priority.step_aside()  # no hold: one turn, and the other task ran in it
        order.append("after one turn")
        priority.begin(0.01)
        await priority.step_aside()
        assert priority.held() == 0
        order.append("after the hold")
        await task
        return order

    assert asyncio.run(run()) == ["other", "after one turn", "after the hold"]
