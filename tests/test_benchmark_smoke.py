"""The benchmark's building blocks at a tiny size: correctness only, never a timing."""

from __future__ import annotations

import math

import pytest

from benchmarks import core
from benchmarks.rss_probe import run as rss_run


def _positive(*values):
    for value in values:
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, value


def test_floor_gets_every_event():
    r = core.measure_floor(20_000, 10, max_events=2000, sessions=50)
    assert r["floor_events"] == 2000 and r["floor_gaps"] == 0 and r["floor_dropped"] == 0
    _positive(r["floor_eps"])


def test_client_layer_gets_every_event():
    r = core.measure_client(20_000, 10, max_events=2000, sessions=50)
    assert r["client_events"] == 2000 and r["client_connects"] == 1 and r["client_problems"] == 0
    assert r["client_dropped"] == 0
    _positive(r["client_eps"])


def test_app_end_to_end_applies_events_paints_and_ticks():
    r = core.measure_e2e(5_000, 1.5, sessions=50)  # three times the longest gap between paced updates
    _positive(r["e2e_eps"], r["e2e_events"], r["max_frame_gap_ms"], r["e2e_fps"], r["loop_stall_ms"])
    assert r["e2e_dropped"] == 0


def test_every_gate_gets_exactly_one_reply():
    r = core.measure_replies(5)
    assert r["reply_gates"] == 5 and r["reply_missed"] == 0 and r["reply_replied_once"] == 5
    _positive(r["reply_p50_ms"], r["reply_p99_ms"])


def test_every_gate_gets_exactly_one_reply_under_a_firehose_from_a_server_process():
    # The server in a process of its own (gates raised and replies timed over its pipe).
    r = core.measure_replies(3, firehose=500, sessions=20)
    assert r["reply_gates_firehose"] == 3 and r["reply_missed_firehose"] == 0
    assert r["reply_replied_once_firehose"] == 3
    _positive(r["reply_p50_ms_firehose"], r["reply_p99_ms_firehose"])


def test_rss_probe_applies_every_event():
    r = rss_run(2000, sessions=20)
    assert r["applied"] == 2000 + 20 and r["sessions"] == 20
    _positive(r["rss_mb"], r["rss_idle_mb"])


def test_app_rss_probe_reads_the_whole_app_idle_and_after_events():
    r = core.measure_app_rss([1000, 2000], rate=5_000, sessions=20)
    _positive(r["app_rss_idle_mb"], r["app_rss_1k_mb"], r["app_rss_2k_mb"], r["app_rss_flatness"])


def test_the_app_on_a_real_terminal_shows_its_sessions_and_its_cpu_is_read():
    """The CPU figures' harness: hoody-tui on a pseudo-terminal reaches its sessions
    view (its own output says so) and its CPU time is read from /proc."""

    server = core.start_in_thread(scenario="none")
    try:
        server.call(server.state.create_session, "Terminal smoke")
        share = core._cpu_run(server.url, server.workspace, 0.5, ready=b"Terminal smoke")
    finally:
        server.stop()
    assert isinstance(share, float) and math.isfinite(share) and share >= 0


def test_the_stream_figure_is_read_only_from_an_app_that_kept_up():
    """The stream CPU figure: the app opens the streaming session, its CPU is read, and
    the last count typed is then on its screen (an app that fell behind would fail here,
    not report a low figure); the same check fails for a count never typed."""
    share = core._cpu_stream(1.0, rate=50.0)
    assert math.isfinite(share) and share > 0
    server = core.start_in_thread(scenario="none")
    try:
        server.call(server.state.create_session, "Terminal smoke")
        with pytest.raises(RuntimeError, match="fell behind"):
            core._cpu_run(server.url, server.workspace, 0.2, ready=b"Terminal smoke", latest=lambda: b" 424242.")
    finally:
        server.stop()


def test_a_huge_message_is_opened_and_its_stall_read():
    import asyncio

    _positive(asyncio.run(core._huge("text", 200_000)), asyncio.run(core._huge("tool", 200_000)))
