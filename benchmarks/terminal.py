"""hoody-tui as a person runs it: a real process on a real terminal (a pseudo-terminal of
120x36, its output read and thrown away as fast as a terminal would draw it), for the
CPU figures. CPU is the process's own user + system time (``/proc/PID/stat``) over a
window after start-up, as a share of one core.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Sequence

__all__ = ["TerminalApp", "cpu_seconds"]

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 overall)


class TerminalApp:
    """``hoody-tui ARGS`` on a pseudo-terminal of ``size`` (columns, rows)."""

    def __init__(self, args: Sequence[str], *, size: tuple[int, int] = (120, 36), env: dict[str, str] | None = None,
                 cwd: str | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        environment = dict(env or os.environ)
        environment.update({"TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1]),
                            "COLORTERM": "truecolor"})
        self.proc = subprocess.Popen([sys.executable, "-m", "hoody_tui.cli", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env=environment, cwd=cwd, start_new_session=True,
                                     close_fds=True)
        os.close(slave)
        self.master = master
        self._seen = bytearray()
        self._lock = threading.Lock()
        self.bytes_read = 0
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.5)
                if not ready:
                    if self.proc.poll() is not None:
                        return
                    continue
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.bytes_read += len(chunk)
            with self._lock:
                self._seen += chunk
                del self._seen[:-200_000]  # the recent output, to look for what is on screen

    def saw(self, needle: bytes) -> bool:
        with self._lock:
            return needle in self._seen

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise RuntimeError(f"hoody-tui ended ({self.proc.returncode}) before {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what} within {timeout:.0f}s")
            time.sleep(0.05)

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def cpu_share(self, seconds: float) -> float:
        """The share of one core the process used over the next ``seconds`` (wall clock)."""
        start_cpu, start = cpu_seconds(self.proc.pid), time.monotonic()
        time.sleep(seconds)
        return (cpu_seconds(self.proc.pid) - start_cpu) / (time.monotonic() - start)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.proc.kill()
        try:
            os.close(self.master)
        except OSError:
            pass
