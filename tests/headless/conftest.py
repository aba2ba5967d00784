"""The headless commands against the reference server over real sockets: run in-process
(``main(argv)``, stdout and stderr captured) or as a real process where a pipe matters."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..integration.conftest import make_server, refused_url, server  # noqa: F401 - fixtures

TOKEN = "hl-token-s3cr3t"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in ("HOODY_URL", "HOODY_WORKSPACE", "HOODY_TOKEN", "HOODY_PROFILE", "HOODY_CONFIG",
                 "OPENCODE_SERVER_PASSWORD", "HOODY_CONTAINER_CLAIM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never the developer's own
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def hoody(*argv: str) -> Ran:
    """``hoody-tui ARGV`` in this process."""
    from hoody_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse: usage errors, --help, --version
            code = int(exc.code or 0)
    return Ran(code, out.getvalue(), err.getvalue())


def at(target, *argv: str, audit: Path | None = None) -> Ran:
    """A command against the reference server ``target`` (the workspace API), its decisions
    audited to ``audit``."""
    extra = ["--audit-log", str(audit)] if audit else []
    return hoody(*argv, "--url", target.url, "--workspace", target.workspace, "--backend", "hoody", *extra)


def spawn(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``hoody-tui ARGV`` as a real process, its stdout a pipe read line by line."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HOODY_", "OPENCODE_"))}
    environment.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "hoody_tui.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment)


def audit_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
