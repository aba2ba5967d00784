import random

from hoody_tui.events import Backoff


def test_grows_exponentially_then_caps_with_jitter_inside_bounds():
    backoff = Backoff(initial=0.5, maximum=30.0, factor=2.0, jitter=0.5, rng=random.Random(7))
    for attempt in range(1, 40):
        base = min(30.0, 0.5 * 2 ** (attempt - 1))
        delay = backoff.delay(attempt)
        assert base / 2 <= delay <= base
    assert backoff.delay(0) == 0.0


def test_jitter_spreads_clients():
    a = Backoff(rng=random.Random(1))
    b = Backoff(rng=random.Random(2))
    assert [a.delay(5) for _ in range(3)] != [b.delay(5) for _ in range(3)]
