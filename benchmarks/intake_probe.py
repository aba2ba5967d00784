"""Event intake alone, headless: the CPU the hoody backend's event stream, its parsing and
the store cost at a steady firehose (no UI, no painting).

    python -m benchmarks.intake_probe [rate] [sessions] [seconds] [--stage client|service]

``client``: the stream of ``client.events()`` read and dropped (SSE reading + parsing);
``service``: a :class:`~hoody_tui.core.service.WorkspaceService` (the pump and the store
too). The firehose server runs in a process of its own (see ``firehose_server.py``), so
the figure is this process's CPU time over the window, as a share of one core, and the
µs it spent per event (collector tuned as the app tunes it). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from contextlib import aclosing
from typing import Any

from hoody_tui.api.events import Event
from hoody_tui.backends.hoody import HoodyBackend, HoodyClient

from .core import firehose_server


async def _client_stage(url: str, workspace: str, warmup: float, seconds: float) -> dict[str, Any]:
    count = 0
    async with HoodyClient(url, workspace) as client, aclosing(client.events().__aiter__()) as items:
        t_start = time.perf_counter()
        t0 = c0 = None
        end = float("inf")
        async for item in items:
            if not isinstance(item, Event):
                continue
            now = time.perf_counter()
            if t0 is None:
                if now - t_start < warmup:
                    continue
                t0, c0, end = now, time.process_time(), now + seconds
                continue
            count += 1
            if now >= end:
                break
        assert t0 is not None and c0 is not None
        return {"events": count, "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}


async def _service_stage(url: str, workspace: str, warmup: float, seconds: float) -> dict[str, Any]:
    from hoody_tui.core.service import WorkspaceService

    async with HoodyClient(url, workspace) as client:
        service = WorkspaceService(HoodyBackend(client), publish=lambda p: None)
        task = asyncio.create_task(service.run())
        try:
            await asyncio.sleep(warmup)
            applied0 = service.store.events_applied
            t0, c0 = time.perf_counter(), time.process_time()
            await asyncio.sleep(seconds)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            count = service.store.events_applied - applied0
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        return {"events": count, "wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rate", nargs="?", type=float, default=2000.0)
    parser.add_argument("sessions", nargs="?", type=int, default=50)
    parser.add_argument("seconds", nargs="?", type=float, default=10.0)
    parser.add_argument("--stage", choices=("client", "service"), default="service")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--default-gc", action="store_true", help="keep Python's collector settings (the app tunes them)")
    args = parser.parse_args()
    if not args.default_gc:
        from hoody_tui.runtime import tune_garbage_collector

        tune_garbage_collector()
    stage = _client_stage if args.stage == "client" else _service_stage
    with firehose_server(args.rate, args.sessions, buffer=200_000) as server:
        result = asyncio.run(stage(server.url, server.workspace, args.warmup, args.seconds))
    result.update({
        "stage": args.stage, "rate": args.rate, "eps": result["events"] / result["wall"],
        "cpu_pct": 100 * result["cpu"] / result["wall"],
        "us_per_event": 1e6 * result["cpu"] / max(1, result["events"]),
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
