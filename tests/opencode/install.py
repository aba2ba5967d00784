"""Getting a real ``opencode`` binary (npm package ``opencode-ai@1.18.33``) for the tests.

:func:`ensure_opencode` returns the path of a working binary:

* ``HOODY_OPENCODE_BIN`` set → that file (must exist and answer ``--version``); nothing is installed.
* otherwise the package is installed with npm, once, into ``$HOODY_OPENCODE_CACHE/1.18.33/``
  (default ``<repo>/.cache/opencode/1.18.33/``), under a file lock so parallel test processes
  (pytest-xdist, two terminals) wait for one install instead of racing. An existing complete
  install is reused: later runs need no network at all.

The binary is a compiled Bun executable needing only glibc; node/npm are needed to install only.
The package ships a primary build and a ``-baseline`` one (no AVX2): the first that answers
``--version`` on this CPU wins.

Anything missing or failing raises :class:`OpencodeUnavailable` whose message says what failed and
how to get these tests running; the ``opencode_bin`` fixture turns it into a skip (a failure on CI).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["OPENCODE_VERSION", "OpencodeUnavailable", "cache_dir", "ensure_opencode", "HOW_TO"]

OPENCODE_VERSION = "1.18.33"
PACKAGE = f"opencode-ai@{OPENCODE_VERSION}"
REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_BIN = "HOODY_OPENCODE_BIN"
ENV_CACHE = "HOODY_OPENCODE_CACHE"
HOW_TO = (
    f"to run the opencode tests, install Node.js 20+ and npm (the first run downloads {PACKAGE}, about 350 MB, "
    f"from the npm registry into the cache), or set {ENV_BIN} to an opencode {OPENCODE_VERSION} binary"
)
COMPLETE_MARKER = ".hoody-install-complete"
INSTALL_TIMEOUT = 900.0
LOCK_TIMEOUT = 1200.0
VERSION_TIMEOUT = 60.0


class OpencodeUnavailable(Exception):
    """No runnable opencode binary; ``reason`` says what failed and how to fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cache_dir() -> Path:
    """Where this version is (or will be) installed: ``$HOODY_OPENCODE_CACHE/<version>`` or
    ``<repo>/.cache/opencode/<version>``."""
    root = os.environ.get(ENV_CACHE)
    base = Path(root).expanduser() if root else REPO_ROOT / ".cache" / "opencode"
    return base / OPENCODE_VERSION


def _platform_packages() -> list[str]:
    """npm package names holding the binary for this machine, preferred first."""
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    if system is None or arch is None:
        raise OpencodeUnavailable(
            f"no opencode build for this platform ({sys.platform}/{platform.machine()}); set {ENV_BIN} to a binary"
        )
    name = f"opencode-{system}-{arch}"
    return [name, f"{name}-baseline"] if arch == "x64" else [name]


def _version_of(binary: Path) -> str:
    """``binary --version`` output; raises OSError/SubprocessError/ValueError if it does not run."""
    result = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT,
        env={**os.environ, "OPENCODE_DISABLE_AUTOUPDATE": "1"}, stdin=subprocess.DEVNULL, check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise ValueError(detail[0])
    return result.stdout.strip()


def _pick_binary(install: Path) -> Path:
    """The first platform binary under ``install`` that runs on this CPU."""
    tried: list[str] = []
    for package in _platform_packages():
        binary = install / "node_modules" / package / "bin" / "opencode"
        if not binary.is_file():
            tried.append(f"{package}: missing")
            continue
        try:
            version = _version_of(binary)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            tried.append(f"{package}: does not run ({exc})")
            continue
        if OPENCODE_VERSION not in version:
            tried.append(f"{package}: reports version {version!r}")
            continue
        return binary
    raise OpencodeUnavailable(f"no working opencode binary in {install} ({'; '.join(tried)}); {HOW_TO}")


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (released when the process dies, so never stale)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OpencodeUnavailable(
                        f"timed out after {timeout:.0f} s waiting for another process installing opencode "
                        f"(lock {path}); {HOW_TO}"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _npm_install(target: Path) -> None:
    """``npm install opencode-ai@<version>`` into a fresh staging dir, then move it to ``target``."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        missing = "npm" if npm is None else "node"
        raise OpencodeUnavailable(f"cannot install {PACKAGE}: `{missing}` is not on PATH; {HOW_TO}")
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    command = [
        npm, "install", PACKAGE, "--prefix", str(staging), "--no-audit", "--no-fund", "--no-save",
        "--ignore-scripts", "--prefer-offline", "--loglevel=error",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OpencodeUnavailable(f"`npm install {PACKAGE}` could not run: {exc}; {HOW_TO}") from exc
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise OpencodeUnavailable(
            f"`npm install {PACKAGE}` failed with exit status {result.returncode}:\n{tail}\n{HOW_TO}"
        )
    shutil.rmtree(target, ignore_errors=True)  # an incomplete earlier attempt
    staging.rename(target)


def ensure_opencode() -> Path:
    """The path of a runnable opencode binary (installing it on first use). Raises
    :class:`OpencodeUnavailable`."""
    explicit = os.environ.get(ENV_BIN)
    if explicit:
        binary = Path(explicit).expanduser()
        if not binary.is_file():
            raise OpencodeUnavailable(f"{ENV_BIN}={explicit} is not a file; unset it or point it at an opencode binary")
        try:
            _version_of(binary)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            raise OpencodeUnavailable(f"{ENV_BIN}={explicit} does not run (`--version`: {exc})") from exc
        return binary

    target = cache_dir()
    if (target / COMPLETE_MARKER).is_file():
        return _pick_binary(target)
    with _file_lock(target.parent / f"{target.name}.lock"):
        if not (target / COMPLETE_MARKER).is_file():  # another process may have finished meanwhile
            _npm_install(target)
            binary = _pick_binary(target)
            (target / COMPLETE_MARKER).write_text(f"{PACKAGE}\n{binary}\n")
            return binary
    return _pick_binary(target)
