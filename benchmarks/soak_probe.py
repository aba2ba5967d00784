"""Soak probe: the headless app in a process of its own, its VmRSS over a long run.

Usage:
- ``python -m benchmarks.soak_probe switches URL WORKSPACE N``: N warm-up view switches
  between the Jobs and Sessions views (3, 1, 3, 1 …: Textual's style and render caches
  fill up meanwhile), then N more; one JSON line ``{"before": MB, "after": MB}``
  (before = after the warm-up).
- ``python -m benchmarks.soak_probe faults URL WORKSPACE WARMUP SECONDS``: connected to a
  (faulty) firehose, RSS sampled every 10 s for SECONDS after WARMUP seconds; one JSON line
  ``{"samples": [[seconds, MB], ...], "malformed": n, "reconnects": n}``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

from benchmarks.rss_probe import vm_rss_mb


async def _switches(url: str, workspace: str, n: int) -> dict:
    from hoody_tui.launch import hoody_app

    app = hoody_app(url, workspace, server_label="bench", bell=False, gate_notices=False, tune_gc=True)
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 30
        while len(app.store.sessions) < 5:
            if time.monotonic() > deadline:
                raise SystemExit("the sessions did not arrive within 30 s")
            await asyncio.sleep(0.02)

        async def switches(count: int) -> None:
            for i in range(count):
                await pilot.press("3" if i % 2 == 0 else "1")
                await pilot.pause()

        await switches(n)
        gc.collect()
        before = vm_rss_mb()
        await switches(n)
        gc.collect()
        return {"before": before, "after": vm_rss_mb()}


async def _faults(url: str, workspace: str, warmup: float, seconds: float) -> dict:
    from hoody_tui.launch import hoody_app

    app = hoody_app(url, workspace, server_label="bench", bell=False, gate_notices=False, tune_gc=True)
    samples = []
    async with app.run_test(size=(120, 36)):
        await asyncio.sleep(warmup)
        t0 = time.monotonic()
        while True:
            elapsed = time.monotonic() - t0
            samples.append([elapsed, vm_rss_mb()])
            if elapsed >= seconds:
                break
            await asyncio.sleep(min(10.0, seconds - elapsed))
        pump = app.service.pump
        return {"samples": samples, "malformed": pump.malformed if pump else 0,
                "reconnects": pump.reconnects if pump else 0, "applied": app.store.events_applied}


def main() -> None:
    kind, url, workspace = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "switches":
        out = asyncio.run(_switches(url, workspace, int(sys.argv[4])))
    else:
        out = asyncio.run(_faults(url, workspace, float(sys.argv[4]), float(sys.argv[5])))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
