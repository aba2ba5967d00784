"""The pacing of view updates (``hoody_tui.ui.pacing``), on a clock the test moves."""

from __future__ import annotations

import itertools

import pytest

from hoody_tui.store.changes import Changes
from hoody_tui.ui import pacing
from hoody_tui.ui.pacing import EARLY, LONGEST_GAP, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(pacing.time, "monotonic", fake)
    return fake


def _pacer(clock: Clock, cost: float, minimum: float = 0.04):
    waits: list[float] = []
    shown: list[dict] = []

    def show(batch) -> None:
        shown.append(batch)
        clock.now += cost  # the update takes this long

    pacer = Pacer(lambda wait, flush: waits.append(wait) or object(), show, minimum)  # type: ignore[arg-type]
    return pacer, waits, shown


@pytest.mark.parametrize(("cost", "period"), [(0.001, 0.04), (0.010, 0.04), (0.020, 0.06), (0.3, LONGEST_GAP)])
def test_updates_start_at_most_every_minimum_or_three_times_their_cost(clock, cost, period):
    """A third of the time at most goes to updating views, and the gap counts from the start
    of the last update (counted from its end, a 10 ms update meant 50 ms between frames)."""
    pacer, waits, shown = _pacer(clock, cost)
    pacer.add({0: Changes()})  # nothing shown for a while: at once
    assert len(shown) == 1 and not waits
    started = clock.now - cost
    clock.now += 0.001
    pacer.add({0: Changes()})  # soon after: waits for the next start (a little early, see EARLY)
    assert len(shown) == 1
    assert waits == [pytest.approx(started + period - clock.now - 0.04 * EARLY / 2)]


def test_changes_that_arrive_meanwhile_are_shown_together_in_the_next_update(clock):
    pacer, waits, shown = _pacer(clock, 0.001)
    pacer.add({0: Changes()})
    clock.now += 0.005
    pacer.add({0: Changes(sessions={"a"})})
    pacer.add({0: Changes(sessions={"b"})})
    assert len(waits) == 1  # one timer for both
    clock.now += 0.05
    pacer.flush()
    assert len(shown) == 2 and shown[1][0].sessions == {"a", "b"}


def test_deferred_changes_are_shown_on_the_loops_next_turn_not_in_the_callers_step(clock):
    """The pump hands its changes over with ``defer``: even when an update is due, it is
    scheduled (no wait) rather than run inside the pump's step."""
    pacer, waits, shown = _pacer(clock, 0.001)
    pacer.add({0: Changes(sessions={"a"})}, defer=True)
    assert waits == [0.0] and not shown
    pacer.add({0: Changes(sessions={"b"})}, defer=True)  # the same scheduled update takes it
    assert waits == [0.0]
    pacer.flush()
    assert len(shown) == 1 and shown[0][0].sessions == {"a", "b"}


def test_a_cancelled_pacer_shows_nothing_more(clock):
    cancelled: list[bool] = []

    class Handle:
        def cancel(self) -> None:
            cancelled.append(True)

    shown: list[dict] = []
    pacer = Pacer(lambda wait, flush: Handle(), shown.append, 0.04)
    pacer.add({0: Changes(sessions={"a"})}, defer=True)
    pacer.cancel()
    assert cancelled == [True]
    pacer.flush()  # (a handle that fired anyway)
    assert not shown


def test_the_paint_after_an_update_runs_in_its_step_and_does_not_count_in_its_cost(clock):
    """The app paints right after each update (``after``); the next update is paced by
    what the views cost, as when the paint came a moment later from Textual."""
    order: list[str] = []
    waits: list[float] = []

    def show(batch) -> None:
        order.append("show")
        clock.now += 0.010  # the views: 10 ms

    def paint() -> None:
        order.append("paint")
        clock.now += 0.030  # the paint: 30 ms, not the views' cost

    pacer = Pacer(lambda wait, flush: waits.append(wait) or object(), show, 0.04, after=paint)  # type: ignore[arg-type]
    pacer.add({0: Changes()})
    assert order == ["show", "paint"]
    pacer.add({0: Changes()})  # 40 ms after the first began: due (3 x 10 ms < the 40 ms minimum)
    assert order == ["show", "paint", "show", "paint"] and waits == []  # (counted, 3 x 40: 80 ms more)


def test_the_paint_runs_even_when_the_update_fails(clock):
    """The paint also gives back the idle prompts the update held: it runs after an update
    that raised (the error still reaches the caller, the app's handler)."""
    order: list[str] = []

    def show(batch) -> None:
        order.append("show")
        raise RuntimeError("a view failed")

    pacer = Pacer(lambda wait, flush: object(), show, 0.04, after=lambda: order.append("paint"))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="a view failed"):
        pacer.add({0: Changes()})
    assert order == ["show", "paint"]


def test_updates_fall_into_the_rhythm_of_the_reads_that_bring_their_changes(clock):
    """Under load the changes come a read at a time, ~41 ms apart. An update due 40 ms
    after the last kept whatever phase it started in against the reads (each ran up to
    ~40 ms after its read: a wake-up of its own, and late on screen). Started a little
    early, the updates drift onto the reads, then run with each read's changes."""
    shown_at: list[float] = []
    timers: list[tuple[float, object]] = []

    def show(batch) -> None:
        shown_at.append(clock.now)
        clock.now += 0.001

    pacer = Pacer(lambda wait, flush: timers.append((clock.now + wait, flush)) or object(), show, 0.04)  # type: ignore[arg-type]
    start = clock.now
    reads = [start + 0.012 + 0.041 * k for k in range(40)]  # the first read 12 ms after an update
    pacer.add({0: Changes()})  # (that update)
    lags = []
    for read in reads:
        while timers and timers[0][0] <= read:  # a scheduled update due before this read
            when, flush = timers.pop(0)
            clock.now = when + 0.001  # (a timer fires a little late)
            flush()  # type: ignore[operator]
        clock.now = read + 0.002  # the read parsed and applied
        pacer.add({0: Changes(sessions={"s"})}, defer=True)
        when, flush = timers.pop(0)
        if when <= clock.now:  # run on the loop's next turn, in this wake-up
            flush()  # type: ignore[operator]
            lags.append(0.0)
        else:
            timers.insert(0, (when, flush))
            lags.append(when - read)
    assert lags[0] > 0.02  # at first the update waits for its turn, long after the read
    assert lags[-10:] == [0.0] * 10  # then each runs with its read
    gaps = [b - a for a, b in itertools.pairwise(shown_at)]
    assert min(gaps) >= 0.04 * (1 - EARLY) - 1e-9  # never more than 5 ms early
