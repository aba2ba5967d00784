"""The pieces of web mode on their own: the secret, the address check, the tab's
command line, the redaction of everything written; and that the serving process
never loads Textual."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys

import pytest

from hoody_tui.diagnostics import Redactor
from hoody_tui.web.address import AddressError, check_address, url_host
from hoody_tui.web.command import child_command
from hoody_tui.web.logs import RedactingStream, quiet_logs
from hoody_tui.web.secret import MIN_LENGTH, new_secret, path_secret_matches


def test_the_secret_is_fresh_long_and_url_safe():
    made = {new_secret() for _ in range(200)}
    assert len(made) == 200
    assert all(len(s) >= MIN_LENGTH and re.fullmatch(r"[A-Za-z0-9_-]+", s) for s in made)


@pytest.mark.parametrize(("path", "ok"), [
    ("/{s}/", True), ("/{s}", True), ("/{s}/ws", True), ("/{s}/static/js/textual.js", True), ("/{s}?x=1", True),
    ("/", False), ("", False), ("//{s}/", False), ("/{s}x/", False), ("/{cut}/", False), ("/x/{s}/", False),
    ("/%2F{s}/", False), ("/{s}%2F/", False), ("/\udcff{s}/", False),
])
def test_only_the_first_segment_that_is_exactly_the_secret_matches(path, ok):
    secret = new_secret()
    assert path_secret_matches(path.format(s=secret, cut=secret[:-1]), secret) is ok


def test_the_comparison_is_hmac_compare_digest():
    import inspect

    from hoody_tui.web import secret

    assert "hmac.compare_digest" in inspect.getsource(secret.path_secret_matches)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_wildcard_addresses_are_not_loopback(host):
    with pytest.raises(AddressError, match="--allow-remote"):
        check_address(host, 0, allow_remote=False)
    assert not check_address(host, 0, allow_remote=True).loopback


def test_the_url_shows_a_name_a_browser_can_open():
    assert url_host("127.0.0.1") == "127.0.0.1"
    assert url_host("::1") == "[::1]"
    assert url_host("0.0.0.0") not in ("0.0.0.0", "")


def test_the_tab_command_has_no_credential_and_keeps_its_environment(tmp_path):
    from hoody_tui.cli import build_parser

    args = build_parser().parse_args(["serve", "--url", "http://127.0.0.1:9", "--workspace", "w",
                                      "--token-file", str(tmp_path / "token"), "--insecure"])
    command = child_command(args, {"HOODY_TUI_DEMO_URL": "http://127.0.0.1:1"})
    assert command.argv[:3] == (sys.executable, "-m", "hoody_tui.cli")
    assert command.argv[3:] == ("--url=http://127.0.0.1:9", "--workspace=w", f"--token-file={tmp_path / 'token'}",
                                "--insecure")
    env = command.environment({"HOODY_TOKEN": "t0ken", "PATH": "/bin"})
    assert env == {"HOODY_TOKEN": "t0ken", "PATH": "/bin", "HOODY_TUI_DEMO_URL": "http://127.0.0.1:1"}


def test_demo_tabs_share_the_serving_process_demo_server(monkeypatch):
    from hoody_tui.demo import SHARED_URL, SHARED_WORKSPACE, demo_server

    monkeypatch.setenv(SHARED_URL, "http://127.0.0.1:4999")
    monkeypatch.setenv(SHARED_WORKSPACE, "ws_demo")
    server = demo_server(seed=1)
    assert (server.url, server.workspace) == ("http://127.0.0.1:4999", "ws_demo")
    server.stop()  # not ours: nothing happens


@pytest.fixture
def _restore_logging():
    """quiet_logs changes this process's loggers: put them back after the test."""
    names = ("aiohttp", "aiohttp.access", "aiohttp.server", "textual-serve", "asyncio")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate,
                 logging.getLogger(n).disabled) for n in names}
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate, logger.disabled = handlers, propagate, disabled
        logger.setLevel(level)


def test_everything_written_after_the_url_is_redacted(_restore_logging):
    secret, token = new_secret(), "tok-abcdef"
    redact = Redactor(secret, token)
    sink = io.StringIO()
    RedactingStream(sink, redact).write(f"GET /{secret}/ws Authorization: Bearer {token}\n")
    assert secret not in sink.getvalue() and token not in sink.getvalue()

    logged = io.StringIO()
    quiet_logs(redact, logged)
    try:
        raise ValueError(f"bad frame on /{secret}/ws")
    except ValueError:
        logging.getLogger("aiohttp.server").exception("Error handling request")
    logging.getLogger("aiohttp.access").warning("GET /%s/ 200", secret)
    logging.getLogger("textual-serve").info("quiet below warnings %s", secret)
    text = logged.getvalue()
    assert text.count("\n") == 1, text  # one line, no traceback; no access log; nothing below a warning
    assert "Error handling request: ValueError" in text and secret not in text and "Traceback" not in text


def test_the_serving_process_never_loads_textual():
    code = (
        "import sys\n"
        "import hoody_tui.cli, hoody_tui.web, hoody_tui.web.run, hoody_tui.web.server, hoody_tui.web.tabs\n"
        "hoody_tui.cli.build_parser()\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'rich', 'jinja2')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_command_line_loads_no_web_server_until_serve():
    code = ("import sys, hoody_tui.cli\nhoody_tui.cli.build_parser()\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith(('aiohttp', 'textual_serve')))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
