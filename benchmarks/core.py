"""The measurements. Each one starts its own reference server in a thread (same process,
so the server shares the GIL and the 2 cores with what is measured, equally for every
figure) and stops it before returning."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import aclosing, contextmanager
from typing import Any

import httpx
import orjson
from httpx_sse import EventSource

from hoody_tui.api.events import Event
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.events.items import ConnectionState, Malformed
from hoody_tui.refserver import start_in_thread

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class FirehoseServer:
    """A firehose server process (``benchmarks/firehose_server.py``)."""

    def __init__(self, rate: float, sessions: int, buffer: int, faults: dict[str, Any] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.firehose_server", repr(rate), str(sessions), str(buffer),
             json.dumps(faults or {})],
            env=_env(), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None  # both are pipes
        self._out, self._in = self.proc.stdout, self.proc.stdin
        line = self._out.readline()
        if not line:
            raise RuntimeError("the firehose server did not start")
        info = json.loads(line)
        self.url, self.workspace, self.prefix = info["url"], info["workspace"], info["prefix"]

    def _ask(self, line: str) -> str:
        self._in.write(line + "\n")
        self._in.flush()
        return self._out.readline().strip()

    def dropped(self) -> int:
        return int(self._ask("dropped"))

    def create_session(self, title: str) -> str:
        return self._ask(f"session {title}")

    def raise_permission(self, session_id: str, n: int) -> str:
        """A permission (``echo n``) on the session; its request id."""
        return self._ask(f"gate {session_id} {n}")

    def replies(self) -> dict[str, list[float]]:
        """Each reply's request id to the ``time.monotonic()`` values it was received at."""
        return json.loads(self._ask("replies"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self._in.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@contextmanager
def firehose_server(rate: float, sessions: int = 1000, *, buffer: int = 2_000_000, faults: dict[str, Any] | None = None):
    """A server process offering ``rate`` events/s over ``sessions`` sessions; subscriber
    backlog ``buffer`` frames (large, so a slow consumer is measured, not disconnected);
    ``faults``: the server's fault switches (``malformed_every``, ``drop_after``)."""
    server = FirehoseServer(rate, sessions, buffer, faults)
    try:
        yield server
    finally:
        server.stop()


def _dropped(server) -> int:
    return server.dropped()


# --- a. floor: raw httpx-sse + orjson.loads ---------------------------------------------------

async def _floor(server, seconds: float, max_events: int | None) -> dict:
    count = 0
    gaps = 0
    last_id = None
    async with httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(30.0)) as http:
        path = f"{server.prefix}/workspaces/{server.workspace}/meta/events"
        async with http.stream("GET", path, headers={"Accept": "text/event-stream"}) as response:
            response.raise_for_status()
            t0 = None
            end = math.inf
            async for sse in EventSource(response).aiter_sse():
                if not sse.data.strip():
                    continue
                payload = orjson.loads(sse.data)
                if payload.get("type") in ("server.connected", "server.heartbeat"):
                    continue
                if t0 is None:  # start the clock at the first firehose event
                    t0 = time.perf_counter()
                    end = t0 + seconds
                    last_id = int(sse.id) if sse.id else None
                    continue
                count += 1
                if sse.id:
                    seq = int(sse.id)
                    if last_id is not None and seq != last_id + 1:
                        gaps += 1
                    last_id = seq
                if max_events is not None and count >= max_events:
                    break
                if max_events is None and (count & 255) == 0 and time.perf_counter() >= end:
                    break
            elapsed = time.perf_counter() - (t0 or time.perf_counter())
    return {"floor_eps": count / elapsed, "floor_events": count, "floor_gaps": gaps, "floor_seconds": elapsed}


def measure_floor(rate: float, seconds: float, *, max_events: int | None = None, sessions: int = 1000) -> dict:
    with firehose_server(rate, sessions) as server:
        result = asyncio.run(_floor(server, seconds, max_events))
        result["floor_dropped"] = _dropped(server)
    return result


# --- b. client layer: client.events() --------------------------------------------------------

async def _client(server, seconds: float, max_events: int | None) -> dict:
    count = 0
    other = 0
    async with HoodyClient(server.url, server.workspace) as client:
        stream = client.events()
        t0: float | None = None
        end = math.inf
        async with aclosing(stream.__aiter__()) as items:
            async for item in items:
                if isinstance(item, Event):
                    if t0 is None:
                        t0 = time.perf_counter()
                        end = t0 + seconds
                        continue
                    count += 1
                    if max_events is not None and count >= max_events:
                        break
                    if max_events is None and (count & 255) == 0 and time.perf_counter() >= end:
                        break
                elif isinstance(item, Malformed) or (isinstance(item, ConnectionState) and item.phase not in ("connecting", "live")):
                    other += 1
        elapsed = time.perf_counter() - (t0 or time.perf_counter())
        connects = stream.stats.connects
    return {"client_eps": count / elapsed, "client_events": count, "client_connects": connects,
            "client_problems": other, "client_seconds": elapsed}


def measure_client(rate: float, seconds: float, *, max_events: int | None = None, sessions: int = 1000) -> dict:
    with firehose_server(rate, sessions) as server:
        result = asyncio.run(_client(server, seconds, max_events))
        result["client_dropped"] = _dropped(server)
    return result


# --- c. end to end: the headless app ---------------------------------------------------------

def _app(server):
    from hoody_tui.launch import hoody_app

    return hoody_app(server.url, server.workspace, server_label="bench", bell=False,
                    gate_notices=False, gate_settle=0.0, tune_gc=True)


async def _wait(condition, timeout: float = 30.0, poll: float = 0.002, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(poll)


async def _e2e(server, seconds: float, sessions: int) -> dict:
    app = _app(server)
    result: dict[str, Any] = {}
    try:
        await _e2e_run(app, seconds, sessions, result)
    except Exception as exc:
        if "e2e_eps" not in result:
            raise
        result["e2e_app_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return result


@contextmanager
def _painted_frames(frames: list[float]):
    """Record the time of each screen update that painted (Screen._compositor_refresh)."""
    from textual.screen import Screen

    original = Screen._compositor_refresh

    def counted(self) -> None:
        original(self)
        frames.append(time.perf_counter())

    setattr(Screen, "_compositor_refresh", counted)  # noqa: B010 - patching a method, on purpose
    try:
        yield
    finally:
        setattr(Screen, "_compositor_refresh", original)  # noqa: B010


async def _e2e_run(app, seconds: float, sessions: int, result: dict) -> None:
    frames: list[float] = []
    with _painted_frames(frames):
        async with app.run_test(size=(120, 36)):
            await _wait(lambda: len(app.store.sessions) >= sessions, what="the firehose sessions")
            ticks: list[float] = []
            timer = app.set_interval(1 / 60, lambda: ticks.append(time.perf_counter()))
            await asyncio.sleep(0.3)  # warm up
            applied0 = app.store.events_applied
            ticks.clear()
            frames.clear()
            t0 = time.perf_counter()
            await asyncio.sleep(seconds)
            applied = app.store.events_applied - applied0
            elapsed = time.perf_counter() - (t0 or time.perf_counter())
            timer.stop()
            painted = [t for t in frames if t <= t0 + elapsed]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    frame_gaps = [b - a for a, b in zip([t0, *painted], painted, strict=False)]
    result.update({
        "e2e_eps": applied / elapsed, "e2e_events": applied, "e2e_seconds": elapsed,
        "e2e_fps": len(painted) / elapsed,
        "max_frame_gap_ms": max(frame_gaps) * 1000 if frame_gaps else None,
        "frame_gap_p99_ms": (sorted(frame_gaps)[int(0.99 * (len(frame_gaps) - 1))] * 1000) if frame_gaps else None,
        "loop_stall_ms": max(gaps) * 1000 if gaps else None, "e2e_ticks": len(ticks),
    })


def measure_e2e(rate: float, seconds: float, *, sessions: int = 1000) -> dict:
    with firehose_server(rate, sessions) as server:
        result = asyncio.run(_e2e(server, seconds, sessions))
        result["e2e_dropped"] = _dropped(server)
    return result


# --- d. keypress to reply ---------------------------------------------------------------------

class _ThreadGates:
    """Gates raised on a reference server in a thread of this process, and its replies
    timed as they are received (``time.monotonic()``)."""

    def __init__(self, server) -> None:
        self.server = server
        self.received: dict[str, list[float]] = {}
        received = self.received

        def patch() -> None:
            ws = server.state
            original = ws.log_reply

            def log_reply(kind, request_id, body, status):
                received.setdefault(request_id, []).append(time.monotonic())
                return original(kind, request_id, body, status)

            ws.log_reply = log_reply

        server.call(patch)

    def create_session(self, title: str) -> str:
        return self.server.call(self.server.state.create_session, title)["id"]

    def raise_permission(self, session_id: str, n: int) -> str:
        return self.server.call(self.server.state.raise_permission, session_id, "bash", [f"echo {n}"], [],
                                {"command": f"echo {n}"})["id"]

    async def replies(self) -> dict[str, list[float]]:
        return self.received


class _ProcessGates:
    """The same, on the firehose server process (its answers read off the UI loop, so
    waiting for them never holds the app being measured)."""

    def __init__(self, server: FirehoseServer) -> None:
        self.server = server

    def create_session(self, title: str) -> str:
        return self.server.create_session(title)

    def raise_permission(self, session_id: str, n: int) -> str:
        return self.server.raise_permission(session_id, n)

    async def replies(self) -> dict[str, list[float]]:
        return await asyncio.to_thread(self.server.replies)


async def _replies(server, gates_api, gates: int, sessions_needed: int, reply_timeout: float = 5.0) -> dict:
    sid = gates_api.create_session("Bench gates")
    app = _app(server)
    latencies: list[float] = []
    ids: list[str] = []
    missed = 0
    received: dict[str, list[float]] = {}

    async def replied(gate: str) -> bool:
        received.update(await gates_api.replies())
        return gate in received

    async with app.run_test(size=(120, 36)) as pilot:
        await _wait(lambda: sid in app.store.sessions and len(app.store.sessions) >= sessions_needed,
                    what="the sessions")
        await pilot.press("4")
        await _wait(lambda: app.current_view == "gates", what="the gates view")
        for i in range(gates):
            gate = gates_api.raise_permission(sid, i)
            ids.append(gate)
            # Shown and painted: the app refuses (rightly) a key on a gate not yet painted,
            # even with gate_settle=0.
            await _wait(lambda gate=gate: app.gates_view.detail.gate_id == gate and app.gates_view.detail.settled(),
                        what=f"gate {i} on screen")
            t0 = time.monotonic()
            await pilot.press("y")
            deadline = t0 + reply_timeout
            while not await replied(gate) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            if gate not in received:
                missed += 1
                continue
            latencies.append(received[gate][0] - t0)
        await asyncio.sleep(0.1)  # a duplicate reply would arrive meanwhile
        received.update(await gates_api.replies())
    latencies.sort()
    if not latencies:
        raise RuntimeError(f"no gate got a reply within {reply_timeout:g}s ({missed} missed)")
    return {
        "missed": missed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] * 1000,
        "max": latencies[-1] * 1000,
        "gates": gates,
        "replied_once": sum(1 for g in ids if len(received.get(g, [])) == 1),
    }


def measure_replies(gates: int, *, firehose: float = 0.0, sessions: int = 1000) -> dict:
    """Keypress to reply received, over ``gates`` gates; under a firehose over ``sessions``
    if set. The firehose server runs in a process of its own, as a real server does (and
    as the intake figures have it): in a thread of this process, its 10,000 events a
    second shared the GIL with the app being measured, so its own work was counted as
    the app's latency. The key and the reply are timed on one clock (``time.monotonic``,
    the same for every process of the machine)."""
    if firehose:
        with firehose_server(firehose, sessions, buffer=2_000_000) as fh:
            r = asyncio.run(_replies(fh, _ProcessGates(fh), gates, sessions + 1))
    else:
        server = start_in_thread(scenario="none")
        try:
            r = asyncio.run(_replies(server, _ThreadGates(server), gates, 1))
        finally:
            server.stop()
    suffix = "_firehose" if firehose else ""
    return {f"reply_p50_ms{suffix}": r["p50"], f"reply_p99_ms{suffix}": r["p99"], f"reply_max_ms{suffix}": r["max"],
            f"reply_gates{suffix}": r["gates"], f"reply_missed{suffix}": r["missed"], f"reply_replied_once{suffix}": r["replied_once"]}


# --- e. cold start ----------------------------------------------------------------------------

def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def measure_import_textual(runs: int) -> dict:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual"], check=True, env=_env())
        times.append(time.perf_counter() - t0)
    return {"import_textual_s": statistics.median(times), "import_textual_runs": times}


def measure_cold_start(runs: int) -> dict:
    server = start_in_thread(scenario="demo")
    times, procstat, rows, paints, quits = [], [], [], [], []
    try:
        for _ in range(runs):
            t = time.time()
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.coldstart_probe", server.url, server.workspace, repr(t)],
                check=True, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60,
            )
            data = json.loads(out.stdout.strip().splitlines()[-1])
            times.append(data["from_parent_s"])
            procstat.append(data["from_procstat_s"])
            paints.append(data["first_paint_s"])
            quits.append(data["quit_s"])
            rows.append(data["rows"])
    finally:
        server.stop()
    return {"cold_start_s": statistics.median(times), "first_paint_s": statistics.median(paints),
            "quit_s": statistics.median(quits), "cold_start_procstat_s": statistics.median(procstat),
            "cold_start_runs": times, "cold_start_rows": min(rows)}


# --- f. memory ---------------------------------------------------------------------------------

def _rss_start(n: int, sessions: int = 1000) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchmarks.rss_probe", str(n), str(sessions)], env=_env(),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _rss_result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=600)
    if proc.returncode:
        raise RuntimeError(f"rss probe failed: {err.strip()[-300:]}")
    return json.loads(out.strip().splitlines()[-1])


def rss_probe(n: int, sessions: int = 1000) -> dict:
    return _rss_result(_rss_start(n, sessions))


def measure_rss(sizes: list[int], *, parallel: bool = False) -> dict:
    """``sizes``: the event counts (e.g. [100_000, 1_000_000]); idle = a store with none.
    Each size runs in its own fresh process (``parallel``: all at once, for --quick)."""
    if parallel:
        procs = [_rss_start(n) for n in [0, *sizes]]
        results = [_rss_result(p) for p in procs]
    else:
        results = [rss_probe(n) for n in [0, *sizes]]
    idle, rest = results[0], results[1:]
    result: dict[str, Any] = {"rss_idle_mb": idle["rss_mb"]}
    by_size = {}
    for n, r in zip(sizes, rest, strict=False):
        assert r["applied"] == n + 1000, r
        by_size[n] = r["rss_mb"]
        result[f"rss_{_label(n)}_mb"] = r["rss_mb"]
        result[f"rss_{_label(n)}_jobs"] = r["jobs"]
    small, large = sizes[0], sizes[-1]
    result["rss_flatness"] = by_size[large] / by_size[small]
    result["rss_flatness_of"] = f"{_label(large)}/{_label(small)}"
    return result


def measure_app_rss(sizes: list[int], rate: float = 50_000, sessions: int = 1000) -> dict:
    """The whole app's RSS (headless) once connected to an idle demo workspace, and after
    applying each of ``sizes`` events from a firehose over ``sessions`` sessions."""
    result: dict[str, Any] = {}
    server = start_in_thread(scenario="idle")
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.app_rss_probe", server.url, server.workspace, "0"],
                             check=True, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
        result["app_rss_idle_mb"] = json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"]["0"]
    finally:
        server.stop()
    with firehose_server(rate, sessions, buffer=4_000_000) as fh:
        out = subprocess.run([sys.executable, "-m", "benchmarks.app_rss_probe", fh.url, fh.workspace, *map(str, sizes)],
                             check=True, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=1800)
        data = json.loads(out.stdout.strip().splitlines()[-1])
    for n in sizes:
        result[f"app_rss_{_label(n)}_mb"] = data["rss_mb"][str(n)]
    small, large = sizes[0], sizes[-1]
    result["app_rss_flatness"] = data["rss_mb"][str(large)] / data["rss_mb"][str(small)]
    return result


def _label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --- g. a big workspace: time to first paint of the sessions table ------------------------

async def _big(sessions: int, jobs: int) -> dict:
    from hoody_tui.api import parse_event
    from hoody_tui.launch import hoody_app

    now = 1_760_000_000_000
    events = []
    sids = [f"ses_{i:08d}big" for i in range(sessions)]
    for sid in sids:
        events.append(parse_event({"type": "session.updated", "properties": {"info": {
            "id": sid, "title": f"Big session {sid}", "directory": "/w", "projectID": "prj", "version": "1",
            "time": {"created": now, "updated": now}}}}))
    for j in range(jobs):
        events.append(parse_event({"type": "job.updated", "properties": {"job": {
            "id": f"job_{j:08d}", "sessionID": sids[j % sessions], "messageID": "msg_x", "callID": f"call_{j}",
            "tool": "bash", "status": "running" if j % 10 == 0 else "completed", "input": {"command": "npm test"},
            "time": {"created": now, "started": now}}}}))
    server = start_in_thread(scenario="none")
    try:
        app = hoody_app(server.url, server.workspace, server_label="bench", bell=False,
                                  gate_notices=False, gate_settle=0.0, tune_gc=True, start_worker=False)
        t_build = time.perf_counter()
        app.store.apply_many(events)
        build = time.perf_counter() - t_build
        del events  # what the app keeps is its store; the event list would only weigh on the GC
        t0 = time.perf_counter()
        async with app.run_test(size=(120, 36)) as pilot:
            from hoody_tui.store.changes import Changes
            from hoody_tui.ui.messages import StoreChanged

            changes = Changes()
            changes.sessions.update(sids)
            changes.jobs.update(app.store.jobs)
            app.post_message(StoreChanged(changes))
            await _wait(lambda: len(app.sessions_view._keys) >= sessions, timeout=120, what="the rows")
            await pilot.pause()
            paint = time.perf_counter() - t0
            scroll = await _scroll(pilot, 40)
            t1 = time.perf_counter()
            await pilot.press("3")
            await _wait(lambda: app.current_view == "jobs" and app.jobs_view._keys, timeout=120, what="the jobs")
            await pilot.pause()
            jobs_paint = time.perf_counter() - t1
            jobs_scroll = await _scroll(pilot, 40)
            shown_jobs = len(app.jobs_view._keys)
    finally:
        server.stop()
    return {"big_sessions": sessions, "big_jobs": jobs, "big_jobs_kept": shown_jobs, "big_store_build_s": build,
            "big_first_paint_s": paint, "big_scroll_max_ms": scroll * 1000,
            "big_jobs_view_s": jobs_paint, "big_jobs_scroll_max_ms": jobs_scroll * 1000}


async def _scroll(pilot, presses: int) -> float:
    """The longest the UI loop was busy (gap between 1/60 s ticks) while paging down then
    up: the stall a person would see. (The time from a press to the next paint is not
    used: Pilot's own waits between presses dominate it.)"""
    ticks: list[float] = []
    timer = pilot.app.set_interval(1 / 60, lambda: ticks.append(time.perf_counter()))
    await asyncio.sleep(0.05)
    for i in range(presses):
        await pilot.press("pagedown" if i < presses // 2 else "pageup")
        await pilot.pause()
    await asyncio.sleep(0.05)
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    if os.environ.get("HOODY_BENCH_VERBOSE"):
        print("scroll tick gaps ms", sorted(round(g * 1000) for g in gaps)[-5:], file=sys.stderr)
    return max(gaps)


def measure_big(sessions: int, jobs: int) -> dict:
    return asyncio.run(_big(sessions, jobs))


# --- h. soak: memory that stays flat (view switches, a faulty firehose) ---------------------

SOAK_FAULTS = {"malformed_every": 500, "drop_after": 5000}


def measure_soak(switches: int, minutes: float, warmup: float) -> dict:
    """RSS growth of the headless app (its own process) per 100 view switches on an idle
    5-session workspace, and per minute under a 2,000 events/s firehose over 50 sessions
    with a malformed frame every 500 events and a dropped connection every 5,000; both
    after a warm-up (the first switches, the first ``warmup`` seconds)."""
    result: dict[str, Any] = {}
    server = start_in_thread(scenario="none")
    try:
        for i in range(5):
            sid = server.call(server.state.create_session, f"Soak {i}")["id"]
            server.call(server.state.add_job, sid, "running", run=False)
        out = subprocess.run([sys.executable, "-m", "benchmarks.soak_probe", "switches", server.url, server.workspace,
                              str(switches)], check=True, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=1800)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        result["soak_switch_mb_per_100"] = (data["after"] - data["before"]) * 100 / switches
        result["soak_switch_rss_mb"] = data["after"]
    finally:
        server.stop()
    with firehose_server(2000, 50, buffer=100_000, faults=SOAK_FAULTS) as fh:
        out = subprocess.run([sys.executable, "-m", "benchmarks.soak_probe", "faults", fh.url, fh.workspace,
                              str(warmup), str(minutes * 60)], check=True, env=_env(), cwd=ROOT, capture_output=True,
                             text=True, timeout=minutes * 60 + warmup + 300)
        data = json.loads(out.stdout.strip().splitlines()[-1])
    samples = data["samples"]  # [seconds after warm-up, MB]
    xs = [t / 60 for t, _ in samples]
    ys = [mb for _, mb in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    result["soak_faults_mb_per_min"] = slope
    result["soak_faults_growth_mb"] = ys[-1] - ys[0]
    result["soak_faults_minutes"] = xs[-1]
    result["soak_faults_malformed"] = data["malformed"]
    result["soak_faults_reconnects"] = data["reconnects"]
    return result


# --- i. CPU: hoody-tui on a real terminal (issue 20) ---------------------------------------------

def _cpu_run(url: str, workspace: str, window: float, *, ready: bytes, stream: bool = False,
             latest: Callable[[], bytes] | None = None) -> float:
    """The share of one core hoody-tui uses over ``window`` seconds on a 120x36 pseudo-
    terminal, after ``ready`` is on screen and 3 s more (start-up is not counted).
    ``latest``: what was last sent when the window ended, which must then be on screen
    within 5 s. An app that falls behind its events uses less CPU for it: a figure from
    one that did not keep up would be a false one."""
    from .terminal import TerminalApp

    app = TerminalApp(["--url", url, "--workspace", workspace, "--backend", "hoody", "--no-bell",
                       "--audit-log", os.devnull], env=_env(), cwd=ROOT)
    try:
        app.wait_for(lambda: app.saw(ready), what="the sessions on screen")
        if stream:
            app.press(b"\r")  # the first session's stream
        time.sleep(3.0)
        share = app.cpu_share(window) * 100
        if latest is not None:
            needle = latest()
            app.wait_for(lambda: app.saw(needle), timeout=5.0,
                         what=f"{needle.decode()!r} on screen: the app fell behind the events it was sent")
        return share
    finally:
        app.stop()


def measure_cpu(window: float) -> dict:
    """CPU of the whole app process: idle (50 quiet sessions), the lively demo, 2,000
    events/s over 50 sessions (sessions view), and one session's stream taking 100
    updates/s."""
    from hoody_tui.demo import start_demo_server

    result: dict[str, Any] = {}
    server = start_in_thread(scenario="none")
    try:
        for i in range(50):
            server.call(server.state.create_session, f"Quiet session {i + 1}")
        result["cpu_pct_idle"] = _cpu_run(server.url, server.workspace, window, ready=b"Quiet session")
    finally:
        server.stop()
    demo = start_demo_server(seed=1)
    try:
        result["cpu_pct_demo"] = _cpu_run(demo.url, demo.workspace, window, ready=b"Fix the login")
    finally:
        demo.stop()
    with firehose_server(2000, 50, buffer=200_000) as fh:
        result["cpu_pct_2k"] = _cpu_run(fh.url, fh.workspace, window, ready=b"Firehose session")
    result["cpu_pct_stream"] = _cpu_stream(window)
    return result


STREAM_WORDS = ("The", "failing", "assertion", "comes", "from", "the", "session", "cookie", "being", "written",
                "after", "the", "redirect", "response", "has", "already", "been", "committed,", "so", "the",
                "browser", "follows", "it", "without", "the", "cookie")


def _cpu_stream(window: float, rate: float = 100.0) -> float:
    """One session whose answer streams at ``rate`` updates a second, as an agent types
    it: the text part grows by a word or two each time (a new paragraph every 40 words,
    ending with the count of words so far, a new part past 3,000 characters), the stream
    view open on it. The last count typed must be on screen soon after the window."""
    import threading

    server = start_in_thread(scenario="none")
    stop = threading.Event()
    typed = [0]
    try:
        sid = server.call(server.state.create_session, "Streaming answer")["id"]

        def type_it() -> None:
            msg = server.call(server.state.add_message, sid, "assistant", None, completed=False)["info"]["id"]
            part, text, n = None, "", 0
            next_at = time.monotonic()
            while not stop.is_set():
                n += 1
                word = STREAM_WORDS[n % len(STREAM_WORDS)] + (f" {n}.\n\n" if n % 40 == 0 else " ")
                if part is None or len(text) > 3000:
                    text = ""
                    part = server.call(server.state.add_part, msg, {"type": "text", "text": ""})["id"]
                text += word
                server.call(server.state.add_part, msg, {"id": part, "type": "text", "text": text}, word)
                if n % 40 == 0:
                    typed[0] = n
                next_at += 1 / rate
                time.sleep(max(0.0, next_at - time.monotonic()))

        typist = threading.Thread(target=type_it, daemon=True)
        typist.start()
        return _cpu_run(server.url, server.workspace, window, ready=b"Streaming answer", stream=True,
                        latest=lambda: f" {typed[0]}.".encode())
    finally:
        stop.set()
        server.stop()


# --- j. a huge message: the UI loop while its stream opens (issue 20) ------------------------------

async def _huge(kind: str, size: int) -> float:
    """The longest the UI loop was busy (1/60 s tick gap) from Enter on a session whose
    message holds a ``size``-byte text part (``text``) or tool output (``tool``) until
    its stream is painted."""
    from hoody_tui.launch import hoody_app

    server = start_in_thread(scenario="none")
    try:
        sid = server.call(server.state.create_session, "Huge")["id"]
        line = "The quick brown fox jumps over the lazy dog; " * 2 + "\n"
        body = (line * (size // len(line) + 1))[:size]
        if kind == "text":
            server.call(server.state.add_message, sid, "assistant", body)
        else:
            msg = server.call(server.state.add_message, sid, "assistant", "Running it.")["info"]["id"]
            server.call(server.state.add_part, msg, {"type": "tool", "tool": "bash", "callID": "call_huge", "state": {
                "status": "completed", "input": {"command": "cat big.log"}, "output": body,
                "time": {"start": 1, "end": 2}}})
        app = hoody_app(server.url, server.workspace, server_label="bench", bell=False, gate_notices=False,
                        tune_gc=True)  # as hoody-tui runs it (and the other figures measure it)
        async with app.run_test(size=(120, 36)) as pilot:
            await _wait(lambda: sid in app.sessions_view._keys, what="the session")
            # (as a person opens it: after start-up, when the stream view has its Markdown ready)
            await _wait(lambda: bool(app.query("#markdown-warmup")), what="the start-up")
            ticks: list[float] = []
            timer = app.set_interval(1 / 60, lambda: ticks.append(time.perf_counter()))
            await asyncio.sleep(0.2)
            await pilot.press("enter")
            await _wait(lambda: app.current_view == "stream" and app.store.messages.get(sid), timeout=120,
                        what="the messages")
            await asyncio.sleep(1.0)  # the stream renders, and is painted
            timer.stop()
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        return max(gaps) * 1000
    finally:
        server.stop()


def measure_huge() -> dict:
    return {"huge_text_stall_ms": asyncio.run(_huge("text", 5_000_000)),
            "huge_tool_stall_ms": asyncio.run(_huge("tool", 10_000_000))}
