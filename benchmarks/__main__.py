"""``python -m benchmarks [--quick] [--json] [--only NAME[,NAME]]``.

NAMEs: floor, client, e2e, reply, reply_firehose, coldstart, rss, app_rss, big, soak, cpu, huge.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import core

RATE = 300_000          # offered firehose load (events/s) for floor and client (the server process tops out near 250-260k)
E2E_RATE = 100_000      # offered load for the app: above what it takes, below what fills the server's backlog
REPLY_FIREHOSE = 10_000  # firehose while measuring reply latency under load

FULL = {"cpu_window": 20.0, "seconds": 5.0, "gates": 1000, "gates_firehose": 50, "cold_runs": 5, "rss": [100_000, 1_000_000], "big": True,
        "fh_sessions": 1000, "parallel_rss": False, "soak_switches": 100, "soak_minutes": 10.0, "soak_warmup": 120.0}
# The quick soak is a smoke run (does memory run away at once?): its slope over half a
# minute is no verdict on flatness, which is the full run's ten minutes. At one minute
# after a minute's warm-up it was 188 s of a 323 s quick run.
QUICK = {"cpu_window": 4.0, "seconds": 1.5, "gates": 50, "gates_firehose": 5, "cold_runs": 3, "rss": [100_000, 200_000], "big": False,
         "fh_sessions": 200, "parallel_rss": True, "soak_switches": 100, "soak_minutes": 0.5, "soak_warmup": 15.0}

NAMES = ("floor", "client", "e2e", "reply", "reply_firehose", "coldstart", "rss", "app_rss", "big", "soak", "cpu",
         "huge")
KEYS = ("floor_eps", "client_eps", "e2e_eps", "e2e_ratio", "e2e_fps", "max_frame_gap_ms", "loop_stall_ms", "reply_p50_ms", "reply_p99_ms",
        "reply_p50_ms_firehose", "reply_p99_ms_firehose", "reply_missed_firehose", "first_paint_s", "cold_start_s", "quit_s",
        "import_textual_s", "rss_idle_mb",
        "rss_100k_mb", "rss_200k_mb", "rss_1m_mb", "rss_flatness", "app_rss_idle_mb", "app_rss_100k_mb", "app_rss_200k_mb",
        "app_rss_1m_mb", "app_rss_flatness", "big_first_paint_s", "big_scroll_max_ms",
        "big_jobs_view_s", "big_jobs_scroll_max_ms", "soak_switch_mb_per_100", "soak_faults_mb_per_min",
        "soak_faults_growth_mb", "soak_faults_minutes", "cpu_pct_idle", "cpu_pct_demo", "cpu_pct_2k", "cpu_pct_stream",
        "huge_text_stall_ms", "huge_tool_stall_ms")

# key -> (target text, predicate)
TARGETS = {
    "e2e_ratio": (">= 0.5", lambda v: v >= 0.5),
    "e2e_fps": (">= 20", lambda v: v >= 20),
    "max_frame_gap_ms": ("<= 100", lambda v: v <= 100),
    "reply_p50_ms": ("<= 5", lambda v: v <= 5),
    "reply_p99_ms": ("<= 16", lambda v: v <= 16),
    "first_paint_s": ("<= 0.35", lambda v: v <= 0.35),
    "cold_start_s": ("<= 0.6", lambda v: v <= 0.6),
    "quit_s": ("<= 0.25", lambda v: v <= 0.25),
    "rss_idle_mb": ("<= 60", lambda v: v <= 60),
    "rss_1m_mb": ("<= 100", lambda v: v <= 100),
    "rss_flatness": ("<= 1.10", lambda v: v <= 1.10),
    "app_rss_idle_mb": ("<= 60", lambda v: v <= 60),
    "app_rss_1m_mb": ("<= 100", lambda v: v <= 100),
    "app_rss_flatness": ("<= 1.10", lambda v: v <= 1.10),
    "big_scroll_max_ms": ("<= 100", lambda v: v <= 100),
    "big_jobs_scroll_max_ms": ("<= 100", lambda v: v <= 100),
    "soak_switch_mb_per_100": ("< 6", lambda v: v < 6),
    "soak_faults_mb_per_min": ("< 0.6", lambda v: v < 0.6),
    "cpu_pct_idle": ("<= 1", lambda v: v <= 1),
    "cpu_pct_demo": ("<= 3", lambda v: v <= 3),
    "cpu_pct_2k": ("<= 10", lambda v: v <= 10),
    "cpu_pct_stream": ("<= 10", lambda v: v <= 10),
    "huge_text_stall_ms": ("<= 100", lambda v: v <= 100),
    "huge_tool_stall_ms": ("<= 100", lambda v: v <= 100),
}
# key -> the floor it is read against
FLOORS = {"client_eps": "floor_eps", "e2e_eps": "floor_eps", "cold_start_s": "import_textual_s", "first_paint_s": "import_textual_s",
          "reply_p50_ms_firehose": "reply_p50_ms", "reply_p99_ms_firehose": "reply_p99_ms"}
NOTES = {
    "floor_eps": f"raw httpx-sse + orjson.loads, offered {RATE:,}/s by a server process",
    "client_eps": "client.events() typed events",
    "e2e_eps": f"headless app, store.events_applied / wall time, offered {E2E_RATE:,}/s",
    "e2e_fps": "screen updates painted per second during the e2e window",
    "max_frame_gap_ms": "largest gap between two painted screen updates during the e2e window",
    "loop_stall_ms": "largest gap between set_interval(1/60) ticks: the longest the UI loop was busy",
    "reply_p50_ms": "keypress 'y' -> reply logged in the server",
    "reply_p50_ms_firehose": f"same, under a {REPLY_FIREHOSE:,}/s firehose (1000 sessions; 200 with --quick)",
    "reply_p99_ms_firehose": f"same, under a {REPLY_FIREHOSE:,}/s firehose",
    "reply_missed_firehose": "gates whose reply did not reach the server within 5 s",
    "first_paint_s": "process start -> first screen painted (median)",
    "cold_start_s": "process start -> first sessions painted (median)",
    "quit_s": "q pressed -> the app has exited (median)",
    "import_textual_s": "python -c 'import textual' (median)",
    "rss_idle_mb": "store process (no Textual), no events",
    "rss_flatness": "rss(largest)/rss(100k)",
    "app_rss_idle_mb": "the whole headless app, connected to an idle demo workspace",
    "app_rss_flatness": "the app after its largest size / after 100k (firehose, 1,000 sessions)",
    "big_first_paint_s": "10k sessions + 100k jobs: sessions table first paint",
    "big_scroll_max_ms": "same: longest UI-loop stall (1/60 s tick gap) over 40 page-down/up presses in sessions",
    "big_jobs_view_s": "same: 3 pressed -> jobs table painted (the store keeps active + 1,000 finished)",
    "big_jobs_scroll_max_ms": "same, in jobs",
    "soak_switch_mb_per_100": "app RSS growth over 100 view switches (3, 1, …) on an idle workspace, after 100 to warm up",
    "soak_faults_mb_per_min": "app RSS slope under 2,000 ev/s, a malformed frame per 500, a drop per 5,000 (after warm-up)",
    "soak_faults_growth_mb": "same: RSS at the end minus at the start of the measured window",
    "soak_faults_minutes": "same: the measured window",
    "cpu_pct_idle": "% of one core, hoody-tui on a 120x36 pty, 50 quiet sessions (after start-up)",
    "cpu_pct_demo": "same, the lively demo scenario",
    "cpu_pct_2k": "same, 2,000 events/s over 50 sessions, sessions view",
    "cpu_pct_stream": "same, one session's stream view taking 100 updates/s",
    "huge_text_stall_ms": "longest UI-loop stall opening a session whose message holds a 5 MB text part",
    "huge_tool_stall_ms": "same, a 10 MB tool output",
}


def run(names: list[str], cfg: dict, log) -> dict:
    out: dict = dict.fromkeys(KEYS)
    seconds = cfg["seconds"]
    steps = {
        "floor": lambda: core.measure_floor(RATE, seconds),
        "client": lambda: core.measure_client(RATE, seconds),
        "e2e": lambda: core.measure_e2e(E2E_RATE, seconds),
        "reply": lambda: core.measure_replies(cfg["gates"]),
        "reply_firehose": lambda: core.measure_replies(cfg["gates_firehose"], firehose=REPLY_FIREHOSE, sessions=cfg["fh_sessions"]),
        "coldstart": lambda: {**core.measure_import_textual(5), **core.measure_cold_start(cfg["cold_runs"])},
        "rss": lambda: core.measure_rss(cfg["rss"], parallel=cfg["parallel_rss"]),
        "app_rss": lambda: core.measure_app_rss(cfg["rss"]),
        "big": lambda: core.measure_big(10_000, 100_000),
        "soak": lambda: core.measure_soak(cfg["soak_switches"], cfg["soak_minutes"], cfg["soak_warmup"]),
        "cpu": lambda: core.measure_cpu(cfg["cpu_window"]),
        "huge": core.measure_huge,
    }
    for name in names:
        t0 = time.perf_counter()
        log(f"... {name}")
        try:
            figures = steps[name]()
            out.update(figures)
            log("    " + json.dumps(figures, default=str))  # partial results survive an interrupted run
        except Exception as exc:
            out[f"{name}_error"] = f"{type(exc).__name__}: {exc}"[:300]
        log(f"    {name} done in {time.perf_counter() - t0:.1f}s")
    if out.get("e2e_eps") and out.get("floor_eps"):
        out["e2e_ratio"] = out["e2e_eps"] / out["floor_eps"]
    return out


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def table(out: dict) -> str:
    rows = [("figure", "value", "floor / vs", "target", "result", "what")]
    for key in KEYS:
        value = out.get(key)
        floor_key = FLOORS.get(key)
        floor = ""
        if floor_key and out.get(floor_key) and value is not None:
            floor = f"{fmt(out[floor_key])} ({value / out[floor_key]:.2f}x)"
        target, ok = TARGETS.get(key, ("", None))
        if key == "rss_flatness" and out.get("rss_flatness_of"):
            target += f" ({out['rss_flatness_of']})"
        result = "" if ok is None or value is None else ("pass" if ok(value) else "MISS")
        rows.append((key, fmt(value), floor, target, result, NOTES.get(key, "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=False)) + "  " + r[5])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    errors = [f"{k}: {v}" for k, v in out.items() if k.endswith("_error")]
    if errors:
        lines.append("")
        lines += ["error " + e for e in errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--only", help=f"comma-separated: {','.join(NAMES)}")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    names = [n for n in NAMES if cfg["big"] or n != "big"]
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in NAMES]
        if bad:
            parser.error(f"unknown benchmark(s): {', '.join(bad)}")
    t0 = time.perf_counter()
    out = run(names, cfg, lambda m: print(m, file=sys.stderr, flush=True))
    out["mode"] = "quick" if args.quick else "full"
    out["total_s"] = time.perf_counter() - t0
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(table(out))
        print(f"\n{out['mode']} run, {out['total_s']:.0f}s. Other details: --json.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
