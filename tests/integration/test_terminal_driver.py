"""The terminal driver's input thread sleeps until a key (ui/driver.py), and keys still work.

hoody-tui runs on a real pseudo-terminal against the demo server. While nobody types,
its input thread must wait in ``select`` with no timeout (Textual's own polls ten times a
second): read from ``/proc`` (the blocked system call and its arguments), not timed. A
lone Escape (which the parser can only tell from the start of a sequence by waiting)
still closes the help, an arrow key still moves, and ``q`` still quits.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser

from benchmarks.terminal import TerminalApp
from hoody_tui.ui.driver import input_timeout

# pselect6's number, and which of its arguments is the timeout (0-based after the number).
_PSELECT6 = {"x86_64": 270, "aarch64": 72}


def _env(home: str) -> dict[str, str]:
    """The user's settings and state out of the way: a fresh machine's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOODY_", "XDG_"))}
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = os.path.join(home, name.lower())
    return env


def _blocked_selects(pid: int) -> list[int]:
    """The timeout argument of each of the process's threads blocked in pselect6 (0: none)."""
    number = _PSELECT6[platform.machine()]
    timeouts = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
        except OSError:
            continue
        if fields and fields[0] == str(number):
            timeouts.append(int(fields[5], 16))  # nfds, readfds, writefds, exceptfds, timeout
    return timeouts


@pytest.fixture
def terminal(tmp_path):
    app = TerminalApp(["--demo", "--no-bell"], env=_env(str(tmp_path)))
    try:
        app.wait_for(lambda: app.saw(b"Fix the login"), what="the demo's sessions")
        yield app
    finally:
        app.stop()


@pytest.mark.skipif(platform.machine() not in _PSELECT6, reason="the pselect6 number is known for x86_64 and aarch64")
def test_the_input_thread_waits_for_a_key_without_a_timeout(terminal):
    # The thread is in select nearly all the time; read until it is seen there (its
    # wait has no timeout, so once in it, it stays while nobody types).
    terminal.wait_for(lambda: bool(_blocked_selects(terminal.proc.pid)), timeout=20, what="the input thread's wait")
    assert _blocked_selects(terminal.proc.pid) == [0]  # one thread, no timeout (Textual's: 0.1 s)


def test_a_lone_escape_an_arrow_and_quit_still_work(terminal):
    terminal.press(b"?")
    terminal.wait_for(lambda: terminal.saw(b"Sessions view first"), what="the help")
    with terminal._lock:
        mark = len(terminal._seen)
    terminal.press(b"\x1b")  # alone: told from a sequence's start only by the parser's deadline
    terminal.wait_for(lambda: b"Speed up the CI" in terminal._seen[mark:], timeout=20,
                      what="the rows under the help drawn again after Escape")
    terminal.press(b"\x1b[B")  # Down: a whole sequence, read at once
    terminal.press(b"q")
    deadline = time.monotonic() + 20
    while terminal.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert terminal.proc.returncode == 0


def test_the_wait_ends_at_the_parsers_escape_deadline():
    parser = XTermParser()
    assert input_timeout(parser, 100.0) is None  # nothing pending: wait for input
    list(parser.feed("\x1b"))  # a lone Escape: the parser waits to see if more follows
    deadline = parser._timeout_time
    assert deadline is not None
    assert input_timeout(parser, deadline - 0.05) == pytest.approx(0.05)
    assert input_timeout(parser, deadline + 1) == 0.0
    assert input_timeout(object(), 0.0) == 0.1  # a parser without the deadline: Textual's polling


def test_the_escape_key_comes_out_once_the_deadline_passed(monkeypatch):
    import textual._parser as parser_module

    now = [1000.0]
    monkeypatch.setattr(parser_module, "get_time", lambda: now[0])
    parser = XTermParser()
    assert list(parser.feed("\x1b")) == []
    wait = input_timeout(parser, now[0])
    assert wait is not None and wait > 0
    now[0] += wait
    keys = list(parser.tick())
    assert [getattr(k, "key", None) for k in keys] == ["escape"]
    assert input_timeout(parser, now[0]) is None  # and then it waits for input again
