"""``hoody-refserver``: help, one-line usage errors with exit 2, the start-up banner, and a
quiet Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from .helpers import TIMEOUT

CMD = [sys.executable, "-m", "hoody_tui.refserver.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=60, env=env)


def test_help_lists_the_flags_and_no_token_flag():
    result = run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: hoody-refserver")
    for flag in ("--host", "--port", "--workspace", "--seed", "--speed", "--token-file", "--alt-shapes",
                 "--firehose", "--sessions", "--scenario", "--heartbeat", "--heartbeat-style", "--event-ids",
                 "--prefix", "--epoch-ms", "--drop-after", "--malformed-every", "--fail-route", "--delay-ms",
                 "--control"):
        assert flag in result.stdout, flag
    assert "--token " not in result.stdout and "--token\n" not in result.stdout


@pytest.mark.parametrize("args", [["--port", "70000"], ["--bogus"], ["--scenario", "party"], ["--speed", "0"]])
def test_bad_flags_are_one_line_exit_2(args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("hoody-refserver: error:")
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_one_line_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--port", str(port), "--scenario", "none")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_missing_token_file_is_one_line_exit_2(tmp_path):
    result = run("--token-file", str(tmp_path / "nope"), "--port", "0")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "token file" in result.stderr


def test_serves_announces_and_exits_quietly_on_ctrl_c(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*CMD, "--port", "0", "--scenario", "none", "--workspace", "demo",
                             "--token-file", str(token_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stdout.readline()
        connect = proc.stdout.readline()
        assert banner.startswith("hoody-refserver: serving workspace demo at http://127.0.0.1:")
        url = banner.split(" at ")[1].split(" ")[0]
        assert f"hoody-tui --url {url} --workspace demo" in connect and "--token-file" in connect
        assert "from-a-file" not in banner + connect, "the token is never printed"
        headers = {"Authorization": "Bearer from-a-file"}
        assert httpx.get(f"{url}/api/v1/workspaces/demo/sessions", headers=headers, timeout=TIMEOUT).json() == []
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 130)
    assert stderr == ""
