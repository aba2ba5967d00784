"""One dashboard process per browser tab, as textual-serve runs them, with these
changes:

- the process is started without a shell: its argument list is exactly the
  :class:`~.command.ChildCommand`, nothing for a shell to reinterpret;
- it gets the child's environment (where its credentials are, never its arguments);
- what it says on stderr (why it failed) goes to this process's stderr once, a line
  each, and its tab is closed when it ends, so the page says so instead of waiting;
- it never outlives the server: stopped with a deadline, killed if it hangs, and on
  Linux sent SIGTERM if the server dies without stopping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import Callable
from typing import Any

from textual_serve.app_service import AppService

from .command import ChildCommand
from .logs import say

__all__ = ["Tab", "Tabs", "STOP_DEADLINE"]

STOP_DEADLINE = 5.0
"""Seconds a dashboard gets to quit when its tab closes, before it is killed."""
MAX_STDERR = 64 * 1024
MAX_LINES = 20
"""What is kept of a dashboard's stderr (a crash says one line; a runaway says less)."""


async def _drain(stream: asyncio.StreamReader, limit: int) -> bytes:
    """Everything ``stream`` says until it ends, keeping the first ``limit`` bytes (it is
    read to the end, so the dashboard never blocks on a full pipe)."""
    kept = bytearray()
    while chunk := await stream.read(4096):
        kept += chunk[: max(0, limit - len(kept))]
    return bytes(kept)


async def _started(stdout: asyncio.StreamReader) -> bool:
    """Whether the process says it is a Textual app in web mode (its first lines)."""
    for _ in range(10):
        line = await stdout.readline()
        if not line:
            return False
        if line == b"__GANGLION__\n":
            return True
    return False


def _death_signal() -> Callable[[], None] | None:
    """Linux: a function for the child, between fork and exec, that has it sent SIGTERM
    when this process ends (PR_SET_PDEATHSIG), however it ends. The C function is looked
    up here, in the parent: the child only calls it (no loading in a forked child)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent, term = os.getpid(), int(signal.SIGTERM)

    def die_with_parent() -> None:  # pragma: no cover - runs in the child
        prctl(1, term)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the server ended before the call: end now
            os._exit(1)

    return die_with_parent


class Tab(AppService):
    """The dashboard behind one browser tab (one websocket)."""

    def __init__(self, command: ChildCommand, tabs: Tabs, **kwargs: Any) -> None:
        super().__init__(" ".join(command.argv), **kwargs)
        self.child = command
        self.tabs = tabs

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        return self.child.environment(super()._build_environment(width, height))

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.child.argv,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width, height),
            preexec_fn=_death_signal(),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        self.tabs.running.add(self)
        return process

    async def run(self) -> None:
        """Relay the dashboard's output to the tab until it ends (textual-serve's packets:
        D data, M meta, P packed). Then its stderr (what it said when it failed) goes to
        this process's stderr, once, a line each; and the tab's websocket is closed, so
        the page says the dashboard ended instead of waiting for it."""
        assert self._process is not None
        stdout, stderr = self._process.stdout, self._process.stderr
        assert stdout is not None and stderr is not None
        said = asyncio.create_task(_drain(stderr, MAX_STDERR))
        try:
            if await _started(stdout):
                while True:
                    kind = await stdout.readexactly(1)
                    payload = await stdout.readexactly(int.from_bytes(await stdout.readexactly(4), "big"))
                    if kind == b"D":
                        await self.on_data(payload)
                    elif kind == b"M":
                        await self.on_meta(payload)
                    elif kind == b"P":
                        await self.on_packed(payload)
        except (asyncio.IncompleteReadError, ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            try:
                text = (await asyncio.wait_for(said, STOP_DEADLINE)).decode("utf-8", "replace")
            except TimeoutError:
                text = ""
            lines = [line for line in text.splitlines() if line.strip()]
            for line in lines[:MAX_LINES]:
                say(f"a tab's dashboard said: {line}")
            with contextlib.suppress(Exception):
                await self.remote_close()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the dashboard to quit; kill it if it has not within :data:`STOP_DEADLINE`."""
        try:
            if self._task is not None:
                task = self._task
                with contextlib.suppress(Exception):
                    await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
                    await self.send_meta({"type": "quit"})
                try:
                    await asyncio.wait_for(asyncio.shield(task), STOP_DEADLINE)
                except TimeoutError:
                    self._kill()
                    with contextlib.suppress(Exception):
                        await task
                self._task = None
            await self._reap()
        finally:
            self.tabs.running.discard(self)

    def _kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    async def _reap(self) -> None:
        if self._process is None:
            return
        try:
            await asyncio.wait_for(self._process.wait(), STOP_DEADLINE)
        except TimeoutError:
            self._kill()
            await self._process.wait()


class Tabs:
    """The dashboards running now: each is stopped when its tab closes, and all of them
    when the server stops."""

    def __init__(self) -> None:
        self.running: set[Tab] = set()

    async def stop_all(self) -> None:
        await asyncio.gather(*(tab.stop() for tab in list(self.running)), return_exceptions=True)

    def kill_all(self) -> None:
        """Last resort at exit: nothing may outlive the server."""
        for tab in list(self.running):
            tab._kill()

