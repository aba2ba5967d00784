"""``hoody-tui serve``'s command line: loopback unless told otherwise in so many words,
one readable line (never a traceback) for every failure, and a man page for --help."""

from __future__ import annotations

import contextlib
import io
import socket

import pytest

from hoody_tui.cli import main

from ..headless.conftest import _clean_env  # noqa: F401 - the same clean environment (autouse)
from .helpers import open_tab


def hoody(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_host_other_devices_can_reach_needs_allow_remote(host):
    code, out, err = hoody("serve", "--demo", "--host", host, "--port", "0")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"--host {host} can be reached from other devices" in err and "--allow-remote" in err and "TLS" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_loopback_names_need_nothing(host):
    from hoody_tui.web.address import check_address

    assert check_address(host, 0, allow_remote=False).loopback


def test_allow_remote_listens_and_warns_to_put_tls_in_front(serve):
    serving = serve("--demo", "--host", "0.0.0.0", "--allow-remote")
    url = serving.url()
    assert url.startswith("http://") and url.endswith("/")
    err = serving.said("each tab runs its own dashboard")  # the last line it says at start
    assert "warning: listening on 0.0.0.0, which other devices can reach" in err
    assert "TLS" in err and "reverse proxy" in err
    assert len([word for word in serving.output().split() if "http" in word]) == 1


def test_a_taken_port_is_one_line_and_exit_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = hoody("serve", "--demo", "--port", str(port))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "needle"), [
    (["--port", "70000"], "a port is 0 to 65535"),
    (["--port", "http"], "not a port number"),
    (["--host", ""], "--host is empty"),
    (["--profile", "nope"], "no profile 'nope'"),
    ([], "no server configured"),
    (["--url", "localhost:4096", "--workspace", "w"], "must start with http:// or https://"),
])
def test_bad_usage_is_one_line_and_exit_2(argv, needle):
    code, out, err = hoody("serve", *argv)
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["serve", "--token", "s3cret"], ["serve", "--token=s3cret"]])
def test_there_is_no_token_flag_here_either(argv):
    code, _, err = hoody(*argv)
    assert code == 2 and "there is no --token flag" in err and "s3cret" not in err


def test_help_reads_like_a_man_page():
    code, out, _ = hoody("serve", "--help")
    assert code == 0
    for needle in ("usage: hoody-tui serve", "--allow-remote", "examples:", "hoody-tui serve --demo", "privacy:",
                   "exit status:", "--profile", "--token-file", "TLS", "403"):
        assert needle in out, needle
    code, out, _ = hoody("--help")
    assert "serve" in out


def test_options_given_before_the_command_are_kept(tmp_path):
    from hoody_tui.cli import build_parser
    from hoody_tui.web.command import dashboard_flags

    token_file = tmp_path / "t"
    args = build_parser().parse_args(["--theme", "nord", "--profile", "a", "serve", "--profile", "b", "--no-bell",
                                      "--token-file", str(token_file), "--workspace=-odd"])
    assert dashboard_flags(args) == ["--profile=a", "--profile=b", "--workspace=-odd", f"--token-file={token_file}",
                                     "--theme=nord", "--no-bell"]


def test_a_config_file_error_is_said_once_before_listening(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("url = [")
    monkeypatch.setenv("HOODY_CONFIG", str(path))
    code, out, err = hoody("serve", "--port", "0")
    assert code == 2 and out == "" and "not valid TOML" in err and err.count("\n") == 1


def test_serve_with_profiles_forwards_them_to_each_tab(tmp_path, serve, make_server):
    """Profiles, ``--profile`` repeated and the config file reach each tab's dashboard
    as they would reach ``hoody-tui``: the tab's command line names them."""
    a, b = make_server(), make_server()
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.a]\nurl = "{a.url}"\nworkspace = "{a.workspace}"\nbackend = "hoody"\n'
                      f'[profiles.b]\nurl = "{b.url}"\nworkspace = "{b.workspace}"\nbackend = "hoody"\n')
    config.chmod(0o600)
    serving = serve("--profile", "a", "--profile", "b", env={"HOODY_CONFIG": str(config)})
    argv, environ = open_tab(serving, serving.url())
    assert argv[argv.index(b"hoody_tui.cli") + 1:] == [
        b"--profile=a", b"--profile=b", f"--audit-log={tmp_path / 'audit.jsonl'}".encode()]
    assert f"HOODY_CONFIG={config}".encode() in environ.split(b"\0")
