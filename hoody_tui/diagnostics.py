"""Diagnostics without leaks: a redacted, size-bounded debug log and crash reports.

Everything written here passes through :class:`Redactor`, which removes the token
(and any ``Bearer ...`` credential) before it reaches a file.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import time
import traceback
from pathlib import Path

import platformdirs

__all__ = ["Redactor", "setup_log_file", "write_crash_report", "crash_line", "crash_dir", "LOG_MAX_BYTES"]

LOG_MAX_BYTES = 5 * 1024 * 1024
_BEARER = re.compile(r"(?i)((?:bearer|basic)\s+)[^\s'\"]+")
"""A credential in an ``Authorization`` header (a token, or opencode's Basic password)."""


class Redactor:
    def __init__(self, *secrets: str | None) -> None:
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return _BEARER.sub(r"\1<redacted>", text)


class _RedactingFilter(logging.Filter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


def setup_log_file(path: Path, redact: Redactor, *, level: int = logging.DEBUG) -> logging.Handler:
    """Send hoody_tui's logs to ``path``: rotated at 5 MB (two old files kept), redacted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_MAX_BYTES, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactingFilter(redact))
    logger = logging.getLogger("hoody_tui")
    logger.setLevel(level)
    logger.addHandler(handler)
    return handler


def crash_dir() -> Path:
    return platformdirs.user_state_path("hoody-tui") / "crashes"


def write_crash_report(error: BaseException, redact: Redactor, directory: Path | None = None) -> Path | None:
    """Write the traceback (redacted) to a file; returns its path, or None if it could not."""
    directory = directory or crash_dir()
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    inner = getattr(error, "error", None)  # Textual's WorkerFailed carries the worker's own error
    if isinstance(inner, BaseException) and inner is not error.__cause__:
        text += "\nThe worker's own error:\n" + "".join(traceback.format_exception(type(inner), inner, inner.__traceback__))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        path.write_text(redact(text), encoding="utf-8")
        path.chmod(0o600)
    except OSError:
        return None
    return path


def crash_line(error: BaseException, redact: Redactor) -> str:
    """Write the crash report and say, in one readable line for the terminal, what
    stopped the app and where the details are (never a raw traceback, never the token)."""
    from .text import neutralise, shorten

    path = write_crash_report(error, redact)
    where = f"the details are in {path}" if path else "the details could not be saved"
    text = neutralise(shorten(redact(f"{type(error).__name__}: {error}"), 300))
    return f"hoody-tui stopped on an unexpected error ({text}); {where}. Please attach it to a bug report."
