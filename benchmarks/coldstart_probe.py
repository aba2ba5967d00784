"""Cold-start probe: start the app headless against a running server and print the
seconds from this process's start to the first screen painted and to the first
sessions painted in the sessions table, and how long ``q`` takes to quit.

Usage: ``python -m benchmarks.coldstart_probe URL WORKSPACE PARENT_TIME`` where
PARENT_TIME is the parent's ``time.time()`` just before it spawned this process.
Prints one JSON line: ``{"from_parent_s", "from_procstat_s", "first_paint_s", "quit_s", "rows"}``
(``first_paint_s`` is from the parent's time too).
"""

import os
import sys
import time


def _process_age() -> float:
    """Seconds since this process started, from /proc/self/stat (10 ms resolution)."""
    with open("/proc/self/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    start_ticks = int(fields[19])  # field 22 overall: starttime, in clock ticks since boot
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


async def _main(url: str, workspace: str, result: dict) -> int:
    from textual.screen import Screen

    from hoody_tui.launch import hoody_app

    original = Screen._compositor_refresh

    def painted(self) -> None:
        original(self)
        result.setdefault("first_paint", time.time())

    setattr(Screen, "_compositor_refresh", painted)  # noqa: B010 - patching a method, on purpose
    app = hoody_app(url, workspace, server_label="bench", bell=False,
                    gate_notices=False, gate_settle=0.0, tune_gc=True)
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 30
        while not app.sessions_view._keys:
            if time.monotonic() > deadline:
                raise SystemExit("no sessions within 30 s")
            await asyncio.sleep(0.002)
        await pilot.pause()  # let the refresh that paints the rows run
        result["now"] = time.time()
        result["age"] = _process_age()
        result["rows"] = len(app.sessions_view._keys)
        quit_started = time.perf_counter()
        await pilot.press("q")
    result["quit"] = time.perf_counter() - quit_started
    return 0


if __name__ == "__main__":
    import asyncio
    import json

    url, workspace, parent_time = sys.argv[1], sys.argv[2], float(sys.argv[3])
    result: dict = {}
    asyncio.run(_main(url, workspace, result))
    print(json.dumps({"from_parent_s": result["now"] - parent_time, "from_procstat_s": result["age"],
                      "first_paint_s": result["first_paint"] - parent_time, "quit_s": result["quit"],
                      "rows": result["rows"]}), flush=True)
    os._exit(0)  # the interpreter's own teardown is not part of quitting the app
