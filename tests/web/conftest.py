"""Fixtures for web mode: ``serve(*argv, env=...)`` runs ``hoody-tui serve`` as a real
process on a free port (stopped after the test, and checked to leave no dashboard
behind); ``browser`` is Debian's Chromium driven by playwright.

Without Chromium (or playwright) the browser tests are skipped with how to install
it; when ``CI`` is ``true``/``1`` that is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..integration.conftest import make_server, refused_url  # noqa: F401 - fixtures
from .helpers import DEADLINE, Serving, children, clean_environment, wait_until

HOW_TO = ("install Debian's Chromium to run the browser tests: apt-get install chromium "
          "(and pip install -e '.[test]' for the playwright package)")


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def _unavailable(reason: str) -> None:
    if _on_ci():
        pytest.fail(f"browser tests cannot run on CI: {reason}; {HOW_TO}", pytrace=False)
    pytest.skip(f"{reason}; {HOW_TO}")


def chromium_path() -> str | None:
    """Debian's Chromium: ``$HOODY_CHROMIUM``, else ``chromium`` on PATH, else /usr/bin/chromium."""
    for candidate in (os.environ.get("HOODY_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    path = chromium_path()
    if path is None:
        _unavailable("Chromium is not installed (no chromium on PATH, no /usr/bin/chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., Serving]]:
    started: list[Serving] = []

    def start(*argv: str, env: dict[str, str] | None = None) -> Serving:
        environment = clean_environment(tmp_path, **(env or {}))
        serving = Serving(["--port", "0", "--audit-log", str(tmp_path / "audit.jsonl"), *argv], environment)
        started.append(serving)
        return serving

    yield start
    for serving in started:
        if serving.proc.poll() is not None:  # the test ended it (and checked how)
            continue
        alive = children(serving.pid)
        code = serving.stop()
        assert code == 0, f"serve exited {code} on SIGTERM: {serving.output()}"
        # Nothing outlives the server: every tab's dashboard is gone with it.
        wait_until(lambda alive=alive: not any(Path(f"/proc/{p}").exists() and _state(p) != "Z" for p in alive),
                   timeout=DEADLINE, what="the dashboards to end with the server")


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "Z"
    return stat[stat.rindex(")") + 2:].split()[0]
