"""The audit log: one JSON line per decision, in the XDG state dir (or ``--audit-log``).

It records what was decided, on what, and how it ended. It never holds the token:
nothing that reaches it carries one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

__all__ = ["AuditRecord", "AuditLog", "default_audit_path"]


def default_audit_path() -> Path:
    return platformdirs.user_state_path("hoody-tui") / "audit.jsonl"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: float
    server: str
    workspace: str
    session: str | None
    gate: str
    kind: str  # permission | question
    tool: str | None
    subject: str  # the command, file, URL, patterns or question text
    decision: str
    message: str | None
    outcome: str
    via: str = "tui"
    """Where the decision was made: ``tui``, ``cli``; ``elsewhere`` for one we only saw."""
    source: str | None = None
    """The profile the server was opened by, when several are open at once."""


class AuditLog:
    """Appends records; a failure to write is reported once, never raised into the UI."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.error: str | None = None

    def write(self, record: AuditRecord) -> bool:
        if self.path is None:
            return False
        line = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            self.error = f"cannot write the audit log {self.path}: {exc.strerror or exc}"
            return False
        return True

    @staticmethod
    def now() -> float:
        return time.time()
