"""App RSS probe: the headless app, connected to a server, until it has applied N events;
prints its VmRSS (the whole app: Textual, widgets, store).

Usage: ``python -m benchmarks.app_rss_probe URL WORKSPACE N [N ...]``: one JSON line
``{"rss_mb": {"N": MB, ...}, "applied": ...}``, each size read once the app has applied
that many events (0 = connected, first data shown, nothing more).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from benchmarks.rss_probe import vm_rss_mb


async def _main(url: str, workspace: str, sizes: list[int]) -> dict:
    from hoody_tui.launch import hoody_app

    app = hoody_app(url, workspace, server_label="bench", bell=False,
                    gate_notices=False, tune_gc=True)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 30
        while not app.sessions_view._keys:
            if time.monotonic() > deadline:
                raise SystemExit("no sessions within 30 s")
            await asyncio.sleep(0.01)
        await pilot.pause()
        base = app.store.events_applied
        for n in sorted(sizes):
            while app.store.events_applied - base < n:
                await asyncio.sleep(0.05)
            await pilot.pause()
            out[str(n)] = vm_rss_mb()
        applied = app.store.events_applied - base
    return {"rss_mb": out, "applied": applied}


if __name__ == "__main__":
    url, workspace, *sizes = sys.argv[1:]
    print(json.dumps(asyncio.run(_main(url, workspace, [int(s) for s in sizes]))), flush=True)
    os._exit(0)
