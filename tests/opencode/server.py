"""A real ``opencode serve`` (1.18.33) in an isolated scratch directory, wired to the fake model.

Layout of the scratch dir (``root``)::

    root/home/                 HOME; XDG_{CONFIG,DATA,STATE,CACHE}_HOME under it
    root/project/              the server's cwd, with opencode.json (provider ``fake``)
    root/opencode.log          the child's stdout+stderr (``--print-logs --log-level INFO``)

Offline by construction:

* ``opencode.json`` defines provider ``fake`` (``@ai-sdk/openai-compatible``, bundled in the binary)
  at the fake model; ``OPENCODE_DISABLE_MODELS_FETCH=1`` stops the models.dev catalogue fetch.
* At boot opencode ``npm install``s ``@opencode-ai/plugin`` (64 MB, from the registry) into
  ``$XDG_CONFIG_HOME/opencode`` in the background, unless that dir already has ``node_modules/``
  and a ``package-lock.json`` listing every dependency of its ``package.json`` (its "dirty" check in
  ``Npm.install``). We write that stub: the plugin package only serves user-written plugins, which
  these tests have none of. This also makes SIGTERM stop the server at once (during that install
  it ignored SIGTERM for >10 s).
* The child gets a minimal environment (no API keys of the developer leak in and enable providers).

The password (``OPENCODE_SERVER_PASSWORD``) goes in the child's environment only: never argv, never logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from .fake_model import MODEL_ID
from .install import OPENCODE_VERSION

__all__ = ["OpencodeServer", "OpencodeBootError", "free_port", "USERNAME"]

USERNAME = "opencode"
BOOT_TIMEOUT = 90.0
PROBE_TIMEOUT = 2.0


class OpencodeBootError(RuntimeError):
    """The server did not become ready; the message carries the log tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpencodeServer:
    """One ``opencode serve`` process. ``start()``/``stop()``/``restart()``; also a context manager
    (``__exit__`` stops it and removes the scratch dir if this object created it).

    ``model_url`` is the fake model's base URL (``FakeModel.base_url``, ending in ``/v1``).
    ``config`` entries are merged over the generated ``opencode.json``; ``env`` over the child env.
    """

    def __init__(
        self,
        binary: Path | str,
        model_url: str,
        *,
        password: str | None = None,
        root: Path | str | None = None,
        model_id: str = MODEL_ID,
        permission: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        boot_timeout: float = BOOT_TIMEOUT,
    ) -> None:
        self.binary = Path(binary)
        self.model_url = model_url
        self.model_id = model_id
        self._password = password
        self._owns_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="hoody-opencode-"))
        self.home = self.root / "home"
        self.project = self.root / "project"
        self.log_path = self.root / "opencode.log"
        self.permission = permission if permission is not None else {"bash": "ask", "edit": "ask"}
        self.extra_config = config or {}
        self.extra_env = env or {}
        self.boot_timeout = boot_timeout
        self.port: int | None = None
        self.boot_seconds: float | None = None  # of the last start()
        self._process: subprocess.Popen[bytes] | None = None
        self._prepared = False

    # -- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server was never started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def directory(self) -> str:
        """The project directory (the server's cwd; pass it as ``?directory=``)."""
        return str(self.project)

    @property
    def password(self) -> str | None:
        return self._password

    @property
    def auth(self) -> httpx.BasicAuth | None:
        """HTTP Basic credentials (user ``opencode``) when a password is set."""
        return httpx.BasicAuth(USERNAME, self._password) if self._password else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of the server's output (for failure messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        if self._password:
            text = text.replace(self._password, "***")
        return "\n".join(text.splitlines()[-lines:])

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OpencodeServer:
        """Start and wait until ``GET /session`` answers 200. Raises :class:`OpencodeBootError`."""
        if self.running:
            return self
        if not self._prepared:
            self._prepare()
        if self.port is None:
            self.port = free_port()
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            log.write(f"--- hoody harness: starting opencode {OPENCODE_VERSION} on port {self.port}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [str(self.binary), "serve", "--hostname", "127.0.0.1", "--port", str(self.port),
                 "--print-logs", "--log-level", "INFO"],
                cwd=self.project, env=self._child_env(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - started
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; the port is kept for :meth:`restart`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the server at once (a crash, as a client sees it)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    def restart(self) -> OpencodeServer:
        """Stop (if running) and start again on the same port with the same HOME and project:
        sessions persist (they live in the SQLite db under XDG_DATA_HOME)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> OpencodeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"OpencodeServer(url=http://127.0.0.1:{self.port}, root={self.root}, {state})"

    # -- internals ---------------------------------------------------------------------------

    def opencode_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {
                "fake": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "Fake (hoody tests)",
                    "options": {"baseURL": self.model_url, "apiKey": "fake-key"},
                    "models": {self.model_id: {"name": "Fake model", "tool_call": True}},
                },
            },
            "model": f"fake/{self.model_id}",
            "small_model": f"fake/{self.model_id}",
            "permission": self.permission,
            "share": "disabled",
            "autoupdate": False,
        }
        config.update(self.extra_config)
        return config

    def _prepare(self) -> None:
        config_home = self.home / ".config"
        for path in (config_home, self.home / ".local" / "share", self.home / ".local" / "state",
                     self.home / ".cache", self.project):
            path.mkdir(parents=True, exist_ok=True)
        (self.project / "opencode.json").write_text(json.dumps(self.opencode_config(), indent=2) + "\n")
        # The stub that makes opencode skip its background `npm install @opencode-ai/plugin` (see module doc).
        global_config = config_home / "opencode"
        (global_config / "node_modules").mkdir(parents=True, exist_ok=True)
        dependencies = {"@opencode-ai/plugin": OPENCODE_VERSION}
        (global_config / "package.json").write_text(json.dumps({"dependencies": dependencies}) + "\n")
        (global_config / "package-lock.json").write_text(json.dumps({
            "name": "opencode", "lockfileVersion": 3, "requires": True, "packages": {"": {"dependencies": dependencies}},
        }) + "\n")
        self._prepared = True

    def _child_env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "LANG": "C.UTF-8",
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
        }
        shell = shutil.which("bash")
        if shell:
            env["SHELL"] = shell
        env.update(self.extra_env)
        if self._password:
            env["OPENCODE_SERVER_PASSWORD"] = self._password
        return env

    def _wait_ready(self) -> None:
        # A request sent while the instance boots can hang: short client timeout, retried.
        deadline = time.monotonic() + self.boot_timeout
        last = "no answer yet"
        with httpx.Client(timeout=PROBE_TIMEOUT, auth=self.auth) as client:
            while True:
                process = self._process
                if process is None or process.poll() is not None:
                    code = None if process is None else process.returncode
                    raise OpencodeBootError(f"opencode exited during start-up (status {code}); log:\n{self.log_tail()}")
                try:
                    response = client.get(f"{self.url}/session", params={"directory": self.directory})
                    if response.status_code == 200:
                        return
                    last = f"GET /session → {response.status_code}"
                    if response.status_code == 401:
                        raise OpencodeBootError(f"opencode refused the harness's credentials (401); log:\n{self.log_tail()}")
                except httpx.HTTPError as exc:
                    last = f"GET /session → {type(exc).__name__}"
                if time.monotonic() > deadline:
                    raise OpencodeBootError(
                        f"opencode not ready after {self.boot_timeout:.0f} s ({last}); log:\n{self.log_tail()}"
                    )
                time.sleep(0.1)


class OpencodeClient:
    """A small sync REST client for tests against :class:`OpencodeServer` (httpx, per-request
    timeout). Every call passes ``?directory=<project>`` so results are scoped to that instance.
    Waits poll REST (:meth:`wait_for`): tests wait for conditions, never for durations."""

    def __init__(self, server: OpencodeServer | None = None, *, url: str | None = None,
                 auth: httpx.Auth | None = None, directory: str | None = None, timeout: float = 15.0) -> None:
        if server is not None:
            url = url or server.url
            auth = auth or server.auth
            directory = directory or server.directory
        if url is None:
            raise ValueError("give a server or a url")
        self.directory = directory
        self._prompted: dict[str, int] = {}  # session id → prompts sent through this client
        self.http = httpx.Client(base_url=url, auth=auth, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OpencodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw ---------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = dict(kwargs.pop("params", None) or {})
        if self.directory is not None:
            params.setdefault("directory", self.directory)
        return self.http.request(method, path, params=params, **kwargs)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} → {response.status_code}: {response.text[:500]}")
        return response.json()

    # -- sessions ----------------------------------------------------------------------------

    def create_session(self, title: str | None = None) -> dict[str, Any]:
        return self._json("POST", "/session", json={"title": title} if title else {})

    def sessions(self) -> list[dict[str, Any]]:
        return self._json("GET", "/session")

    def status(self) -> dict[str, Any]:
        """``{session_id: {"type": "busy"|"retry"…}}``; idle sessions are absent."""
        return self._json("GET", "/session/status")

    def is_idle(self, session_id: str) -> bool:
        return self.status().get(session_id, {}).get("type", "idle") == "idle"

    def prompt_async(self, session_id: str, text: str) -> None:
        response = self.request("POST", f"/session/{session_id}/prompt_async",
                                json={"parts": [{"type": "text", "text": text}]})
        if response.status_code != 204:
            raise AssertionError(f"prompt_async → {response.status_code}: {response.text[:500]}")
        self._prompted[session_id] = self._prompted.get(session_id, 0) + 1

    def messages(self, session_id: str) -> list[dict[str, Any]]:
        """``[{info, parts}]``, oldest first."""
        return self._json("GET", f"/session/{session_id}/message")

    def parts(self, session_id: str, type_: str | None = None) -> list[dict[str, Any]]:
        """Every part of every assistant message, optionally only those of one ``type``."""
        return [
            part
            for message in self.messages(session_id) if message["info"]["role"] == "assistant"
            for part in message["parts"] if type_ is None or part.get("type") == type_
        ]

    def texts(self, session_id: str) -> list[str]:
        """The text parts of the assistant messages, in order."""
        return [part.get("text", "") for part in self.parts(session_id, "text")]

    def turn_finished(self, session_id: str) -> bool:
        """Idle, every prompt sent through this client is stored, and the last message is a
        completed assistant message answering the last user message (so a previous turn's end
        is not mistaken for this one's)."""
        if not self.is_idle(session_id):
            return False
        messages = self.messages(session_id)
        users = [m["info"]["id"] for m in messages if m["info"]["role"] == "user"]
        if not messages or len(users) < self._prompted.get(session_id, 0):
            return False
        info = messages[-1]["info"]
        return (
            info["role"] == "assistant" and bool(info.get("time", {}).get("completed"))
            and info.get("parentID") == users[-1]
        )

    # -- gates -------------------------------------------------------------------------------

    def permissions(self, session_id: str | None = None) -> list[dict[str, Any]]:
        found = self._json("GET", "/permission")
        return [p for p in found if session_id is None or p.get("sessionID") == session_id]

    def reply(self, permission_id: str, reply: str, message: str | None = None) -> Any:
        body: dict[str, Any] = {"reply": reply}
        if message is not None:
            body["message"] = message
        return self._json("POST", f"/permission/{permission_id}/reply", json=body)

    def questions(self, session_id: str | None = None) -> list[dict[str, Any]]:
        found = self._json("GET", "/question")
        return [q for q in found if session_id is None or q.get("sessionID") == session_id]

    def answer(self, question_id: str, answers: list[list[str]]) -> Any:
        return self._json("POST", f"/question/{question_id}/reply", json={"answers": answers})

    def reject_question(self, question_id: str) -> Any:
        return self._json("POST", f"/question/{question_id}/reject")

    # -- waiting -----------------------------------------------------------------------------

    @staticmethod
    def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.1, what: str = "condition") -> Any:
        """Poll ``predicate()`` until it returns something truthy and return that; AssertionError
        after ``timeout`` (generous by default: a deadline, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value: {value!r})")
            time.sleep(interval)

    def wait_permission(self, session_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """The first pending permission of ``session_id`` (waits for one to appear)."""
        found = self.wait_for(lambda: self.permissions(session_id), timeout, what=f"a permission in {session_id}")
        return found[0]

    def wait_finished(self, session_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Waits for :meth:`turn_finished`; returns the messages."""
        self.wait_for(lambda: self.turn_finished(session_id), timeout, what=f"the turn of {session_id} to finish")
        return self.messages(session_id)
