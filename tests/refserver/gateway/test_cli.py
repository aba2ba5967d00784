"""``hoody-refserver --flavor gateway``: it starts, announces, serves health, and the
token file switches the claim auth on (the token never printed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from .helpers import CLAIM, TIMEOUT

CMD = [sys.executable, "-m", "hoody_tui.refserver.cli"]


def test_flavor_gateway_starts_and_serves_health(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("gw-from-a-file\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*CMD, "--flavor", "gateway", "--port", "0", "--scenario", "idle", "--seed", "4",
                             "--token-file", str(token_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stdout.readline()
        health_line = proc.stdout.readline()
        assert banner.startswith("hoody-refserver: serving gateway hoody-agent-d at http://127.0.0.1:"), banner
        assert "(auth claim)" in banner
        assert "gw-from-a-file" not in banner + health_line
        base = banner.split(" at ")[1].split(" ")[0]
        assert base.endswith("/api/v1/agent")
        assert httpx.get(f"{base}/health", timeout=TIMEOUT).json()["status"] == "ok"
        assert httpx.get(f"{base}/sessions", timeout=TIMEOUT).status_code == 401
        headers = {"X-Hoody-Container-Claim": CLAIM, "X-Hoody-Token": "gw-from-a-file"}
        assert httpx.get(f"{base}/sessions", headers=headers, timeout=TIMEOUT).json()["meta"]["total"] == 5
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 130)
    assert stderr == ""


def test_a_bad_flavor_and_claim_without_a_token_are_one_line_exit_2():
    env = {k: v for k, v in os.environ.items() if k != "HOODY_REFSERVER_TOKEN"}
    for args in (["--flavor", "party"], ["--flavor", "gateway", "--gateway-auth", "claim", "--port", "0"]):
        result = subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hoody-refserver: error:")
