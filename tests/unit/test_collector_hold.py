"""Garbage collection waits while a key is on its way (``hoody_tui.runtime.CollectorHold``)."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from hoody_tui.runtime import CollectorHold


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


async def test_the_collector_is_off_while_the_hold_lasts_and_on_again_after(collector_on):
    left = [0.02]
    hold = CollectorHold(lambda: left[0], asyncio.get_running_loop())
    hold.begin()
    assert not gc.isenabled() and hold.holds == 1
    hold.begin()  # a second key within the hold: one hold
    assert hold.holds == 1
    await asyncio.sleep(0)  # the loop looks at the hold: still on
    assert not gc.isenabled()
    left[0] = 0.0
    await asyncio.sleep(0.05)  # (after the 20 ms it said were left)
    assert gc.isenabled()
    hold.begin()
    assert not gc.isenabled() and hold.holds == 2
    hold.close()
    assert gc.isenabled()


async def test_a_key_read_in_another_thread_holds_the_collector_too(collector_on):
    left = [0.0]
    hold = CollectorHold(lambda: left[0], asyncio.get_running_loop())
    reader = threading.Thread(target=hold.begin)
    reader.start()
    reader.join()
    assert not gc.isenabled()
    for _ in range(3):
        await asyncio.sleep(0)  # the loop's look, asked for from the thread: no hold left
    assert gc.isenabled()


async def test_a_collector_turned_off_by_someone_else_is_left_alone(collector_on):
    gc.disable()
    hold = CollectorHold(lambda: 0.02, asyncio.get_running_loop())
    hold.begin()
    hold.close()
    assert not gc.isenabled() and hold.holds == 0
