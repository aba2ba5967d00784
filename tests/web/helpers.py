"""Running ``hoody-tui serve`` as a real process, and looking at it from outside: its
printed URL, its output, and its child processes (read from /proc)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["Serving", "children", "clean_environment", "open_tab", "wait_until", "DEADLINE"]

DEADLINE = 60.0
"""Generous: a loaded 2-core CI machine starting Python, Textual and Chromium."""


def wait_until(condition: Callable[[], object], *, timeout: float = DEADLINE, what: str = "the condition",
               every: float = 0.05) -> object:
    """Poll ``condition`` until it is truthy (returned); AssertionError past ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (every /proc/N/stat that says so)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


class Serving:
    """``hoody-tui serve ARGV`` in its own process; stdout and stderr read line by line
    by threads (so a full pipe never blocks it)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hoody_tui.cli", "serve", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True, env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self.err, False), daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, into: list[str], signal_lines: bool) -> None:
        for line in stream:
            into.append(line)
            if signal_lines:
                self._lines.put(line)
        if signal_lines:
            self._lines.put(None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, timeout: float = DEADLINE) -> str:
        """The first line of stdout: the URL (AssertionError if it exits or stays silent)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no URL within {timeout:.0f} s; stderr: {''.join(self.err)}") from None
        if line is None:
            self.proc.wait(timeout)
            raise AssertionError(f"serve exited {self.proc.returncode} without a URL; stderr: {''.join(self.err)}")
        return line.strip()

    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def said(self, text: str, timeout: float = DEADLINE) -> str:
        """Wait until ``text`` is on its stderr (read by another thread); all of stderr."""
        wait_until(lambda: text in "".join(self.err), timeout=timeout, what=f"{text!r} on stderr: {self.err}")
        return "".join(self.err)

    def stop(self, timeout: float = DEADLINE) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            raise AssertionError("serve did not stop on SIGTERM") from None
        for reader in self._readers:  # everything it wrote is in out and err
            reader.join(timeout)
        return code


def clean_environment(tmp: Path, **extra: str) -> dict[str, str]:
    """This environment without any HOODY_*/OPENCODE_* setting or the developer's config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOODY_", "OPENCODE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_STATE_HOME=str(tmp / "state"), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def open_tab(serving: Serving, url: str) -> tuple[list[bytes], bytes]:
    """Open one tab's websocket (as the page does), and return its dashboard's argument
    list and environment as /proc shows them; the tab is closed and its dashboard has
    ended on return."""
    import asyncio
    from urllib.parse import urlsplit

    import aiohttp

    parts = urlsplit(url)

    async def one_tab() -> tuple[list[bytes], bytes]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://{parts.netloc}{parts.path}ws?width=80&height=24") as ws:
                # Its first bytes reach the tab: the process has started the dashboard (it
                # is past exec; before, /proc would show this process's own arguments).
                await ws.receive(timeout=DEADLINE)
                (pid,) = children(serving.pid)
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                environ = Path(f"/proc/{pid}/environ").read_bytes()
                await ws.close()
                return cmdline.rstrip(b"\0").split(b"\0"), environ

    argv, environ = asyncio.run(one_tab())
    wait_until(lambda: not children(serving.pid), what="the dashboard to end with its tab")
    return argv, environ
