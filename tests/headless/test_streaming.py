"""``pending --wait`` and ``events`` as real processes, read through a pipe line by line:
what a notification hook or ``| jq`` sees, including across a dropped connection."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable

import pytest

from .conftest import spawn

PATIENCE = 60.0
"""How long a test waits for a line before it gives up (a hang guard, not a timing claim)."""


class Lines:
    """A process's stdout, one line at a time, read on a thread so a test never blocks."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def next(self) -> str:
        try:
            line = self.queue.get(timeout=PATIENCE)
        except queue.Empty:
            raise AssertionError(f"no line after {PATIENCE}s; seen: {self.seen}") from None
        if line is None:
            raise AssertionError(f"the process ended; seen: {self.seen}")
        self.seen.append(line)
        return line

    def until(self, wanted: Callable[[dict], bool]) -> dict:
        while True:
            record = json.loads(self.next())  # every line of stdout is JSON
            if wanted(record):
                return record


def _until(condition: Callable[[], bool]) -> None:
    import time

    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def _args(server) -> list[str]:
    return ["--url", server.url, "--workspace", server.workspace, "--backend", "hoody"]


@pytest.fixture
def procs():
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_wait_blocks_until_a_gate_arrives_then_lists_it_and_exits_0(server, procs, tmp_path):
    sid = server.call(server.state.create_session, "Waiting")["id"]
    proc = spawn("pending", "--wait", "--json", *_args(server), env={"XDG_STATE_HOME": str(tmp_path)})
    procs.append(proc)
    # The gate is raised once the command follows the live events (it is not in the listing).
    _until(lambda: server.call(lambda: server.state.bus.subscriber_count) >= 1)
    gate = server.call(server.state.raise_permission, sid, "bash", ["make deploy"], [], {"command": "make deploy"})
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, err
    [listed] = json.loads(out)
    assert (listed["id"], listed["command"], listed["session_title"]) == (gate["id"], "make deploy", "Waiting")


def test_events_prints_flushed_json_lines_and_a_resync_line_after_a_dropped_connection(make_server, procs):
    # Each connection of the event stream is closed by the server after 3 frames.
    server = make_server(drop_after=3)
    sid = server.call(server.state.create_session, "Busy")["id"]
    proc = spawn("events", "--json", *_args(server))
    procs.append(proc)
    lines = Lines(proc.stdout)
    _until(lambda: server.call(lambda: server.state.bus.subscriber_count) >= 1)
    first = server.call(server.state.raise_permission, sid, "bash", ["echo 1"], [], {"command": "echo 1"})
    asked = lines.until(lambda r: r["type"] == "permission.asked")
    assert asked["properties"]["id"] == first["id"] and asked["source"] == server.url
    assert set(asked) == {"type", "source", "time", "properties"}
    for n in range(2, 5):  # enough frames to have the connection dropped
        server.call(server.state.raise_permission, sid, "bash", [f"echo {n}"], [], {"command": f"echo {n}"})
    marker = lines.until(lambda r: r["type"] == "hoody.resync")
    assert "list again" in marker["properties"]["reason"]
    # After the reconnect, events flow again (and only JSON reaches stdout).
    _until(lambda: server.call(lambda: server.state.bus.subscriber_count) >= 1)
    later = server.call(server.state.raise_permission, sid, "bash", ["echo after"], [], {"command": "echo after"})
    again = lines.until(lambda r: r["type"] == "permission.asked" and r["properties"]["id"] == later["id"])
    assert again["properties"]["patterns"] == ["echo after"]
    proc.terminate()
    _, err = proc.communicate(timeout=PATIENCE)
    assert "reconnecting" in err  # said on stderr, never on stdout


def test_events_types_filter_with_globs(server, procs):
    sid = server.call(server.state.create_session, "Filtered")["id"]
    proc = spawn("events", "--json", "--type", "question.*", *_args(server))
    procs.append(proc)
    lines = Lines(proc.stdout)
    _until(lambda: server.call(lambda: server.state.bus.subscriber_count) >= 1)
    server.call(server.state.raise_permission, sid, "bash", ["echo no"], [], {"command": "echo no"})
    server.call(server.state.raise_question, sid, "Proceed?", ["yes", "no"])
    record = json.loads(lines.next())
    assert record["type"] == "question.asked"  # the permission before it was left out
    assert record["properties"]["questions"][0]["question"] == "Proceed?"


def test_events_for_a_person_are_one_readable_line_each(server, procs):
    sid = server.call(server.state.create_session, "Readable")["id"]
    proc = spawn("events", "--type", "permission.asked", *_args(server))
    procs.append(proc)
    lines = Lines(proc.stdout)
    _until(lambda: server.call(lambda: server.state.bus.subscriber_count) >= 1)
    server.call(server.state.raise_permission, sid, "bash", ["git push \x1b[2J"], [], {"command": "git push"})
    line = lines.next()
    assert "permission.asked" in line and sid in line and "bash: git push" in line
    assert "\x1b" not in line
