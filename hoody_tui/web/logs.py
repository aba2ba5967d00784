"""What ``hoody-tui serve`` writes after the URL: one-line messages, with the URL's
secret and the server's credentials redacted from everything.

There is no access log (a request line holds the secret in its path). aiohttp's and
textual-serve's own warnings are kept, as one line each (no traceback), and pass a
:class:`~hoody_tui.diagnostics.Redactor`; so does whatever reaches this process's
stdout and stderr afterwards (textual-serve copies a tab's stderr there when it ends).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from typing import TextIO

from ..diagnostics import Redactor

__all__ = ["quiet_logs", "RedactingStream", "redact_output", "say", "PROG"]

PROG = "hoody-tui serve"
_LOGGERS = ("aiohttp", "textual-serve", "asyncio")


def say(message: str) -> None:
    """One line on stderr, prefixed with the command."""
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


class _OneLine(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(f"{PROG}: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = f"{message}: {type(error).__name__}: {error}" if str(error) else f"{message}: {type(error).__name__}"
        return self.redact(f"{PROG}: {' '.join(message.split())}")


def quiet_logs(redact: Redactor, stream: TextIO | None = None) -> logging.Handler:
    """Warnings of the web server's libraries, one redacted line each; no access log."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_OneLine(redact))
    handler.setLevel(logging.WARNING)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    logging.getLogger("aiohttp.access").disabled = True
    return handler


class RedactingStream(io.TextIOBase):
    """A text stream that writes through ``redact`` to ``stream``."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        super().__init__()
        self.stream = stream
        self.redact = redact

    def write(self, text: str) -> int:
        self.stream.write(self.redact(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")


@contextlib.contextmanager
def redact_output(redact: Redactor) -> Iterator[None]:
    """Meanwhile, this process's stdout and stderr pass ``redact``."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(out, redact), RedactingStream(err, redact)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
