"""The terminal driver: Textual's LinuxDriver, with an input thread that sleeps until a key.

Textual's input thread wakes ten times a second whatever happens (``select`` with a 0.1 s
timeout) to look at its exit flag and at the parser's escape timeout. On an idle
dashboard kept open all day those were most of its wake-ups: 10 a second against ~1 for
the once-a-second updates, each waking a core (and, under load, asking the busy event
loop for the GIL). Here the thread waits for input with no timeout, unless the parser
waits for the rest of an escape sequence (then exactly until that wait ends, as
Textual's tick would have found it), and leaving is said through a pipe the wait also
watches. Everything it does with what it reads is Textual's own code.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

__all__ = ["QuietLinuxDriver", "input_timeout"]

_SELECT_LIMIT = 1024
"""select() watches descriptors below FD_SETSIZE only (Textual uses it: poll does not work
with a terminal on macOS)."""
_FALLBACK_TIMEOUT = 0.1
"""Textual's own polling interval, when the parser's escape deadline cannot be read."""


def input_timeout(parser: Any, now: float) -> float | None:
    """How long the input thread may wait for input: None (until input or leaving) when
    the parser waits for nothing, else until its escape deadline (0 when it has passed)."""
    if not hasattr(parser, "_timeout_time"):
        return _FALLBACK_TIMEOUT  # (a Textual whose parser keeps its deadline elsewhere)
    deadline = parser._timeout_time
    if deadline is None:
        return None
    if not isinstance(deadline, int | float):
        return _FALLBACK_TIMEOUT
    return max(0.0, deadline - now)


class _WakingEvent(threading.Event):
    """The driver's exit flag: setting it also wakes the input thread's wait."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._wake_fd: int | None = None

    def attach(self, fd: int | None) -> None:
        with self._lock:
            self._wake_fd = fd

    def set(self) -> None:
        super().set()
        with self._lock:
            if self._wake_fd is not None:
                try:
                    os.write(self._wake_fd, b"\0")
                except OSError:
                    pass


class QuietLinuxDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes only for input, an escape deadline, or leaving."""

    def __init__(self, app: Any, *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.exit_event = _WakingEvent()

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's loop, without its 0.1 s polling)."""
        exit_event = self.exit_event
        assert isinstance(exit_event, _WakingEvent)
        wake_read, wake_write = os.pipe()
        if wake_read >= _SELECT_LIMIT:  # (select cannot watch it: Textual's polling loop)
            os.close(wake_read)
            os.close(wake_write)
            super().run_input_thread()
            return
        exit_event.attach(wake_write)
        selector = selectors.SelectSelector()
        try:
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(wake_read, selectors.EVENT_READ)
            fileno = self.fileno
            EVENT_READ = selectors.EVENT_READ
            parser = XTermParser(self._debug)
            feed = parser.feed
            tick = parser.tick
            decode = getincrementaldecoder("utf-8")().decode
            read = os.read

            def process_selector_events(selector_events: list[tuple[selectors.SelectorKey, int]],
                                        final: bool = False) -> None:
                for last, (selector_key, mask) in loop_last(selector_events):
                    if selector_key.fd == wake_read:
                        os.read(wake_read, 64)
                        continue
                    if mask & EVENT_READ:
                        unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                        if not unicode_data:
                            break  # (stdin is piped)
                        for event in feed(unicode_data):
                            self.process_message(event)
                for event in tick():
                    self.process_message(event)

            while not exit_event.is_set():
                process_selector_events(selector.select(input_timeout(parser, get_time())))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0), final=True)
        finally:
            exit_event.attach(None)
            selector.close()
            os.close(wake_read)
            os.close(wake_write)
