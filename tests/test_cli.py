"""The command line says exactly what is wrong, on one line, with exit status 2."""

from __future__ import annotations

import pytest

from hoody_tui.cli import main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in ("HOODY_URL", "HOODY_WORKSPACE", "HOODY_TOKEN", "HOODY_PROFILE", "HOODY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    # Never read the developer's own config file.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def _config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def _target(*argv):
    from hoody_tui.cli import build_parser, resolve_target

    return resolve_target(build_parser().parse_args(list(argv)))


def test_profile_from_config_file_with_flag_and_env_precedence(tmp_path, monkeypatch):
    token_file = tmp_path / "work.token"
    token_file.write_text("file-token\n")
    token_file.chmod(0o600)
    path = _config(tmp_path, f"""
default_profile = "work"
theme = "nord"
[profiles.work]
url = "https://work.example"
workspace = "ws_work"
token_file = "{token_file}"
[profiles.local]
url = "http://127.0.0.1:4096"
workspace = "demo"
insecure = true
""")
    monkeypatch.setenv("HOODY_CONFIG", str(path))
    t = _target()
    assert (t.url, t.workspace, t.token, t.theme, t.insecure) == ("https://work.example", "ws_work", "file-token", "nord", False)
    t = _target("--profile", "local")
    assert (t.url, t.workspace, t.token, t.insecure) == ("http://127.0.0.1:4096", "demo", None, True)
    monkeypatch.setenv("HOODY_WORKSPACE", "ws_env")
    monkeypatch.setenv("HOODY_TOKEN", "env-token")
    t = _target("--url", "https://flag.example")
    assert (t.url, t.workspace, t.token) == ("https://flag.example", "ws_env", "env-token")


def test_token_in_a_readable_config_file_warns(tmp_path, monkeypatch, capsys):
    path = _config(tmp_path, '[profiles.p]\nurl = "http://x"\nworkspace = "w"\ntoken = "in-file"\n')
    path.chmod(0o644)
    monkeypatch.setenv("HOODY_CONFIG", str(path))
    t = _target("--profile", "p")
    assert t.token == "in-file"
    err = capsys.readouterr().err
    assert "can be read by other users" in err and "chmod 600" in err and "in-file" not in err


@pytest.mark.parametrize(
    ("text", "needle"),
    [("url = [", "not valid TOML"), ("colour = 1", "colour"), ("[profiles.a]\nport = 1", "profiles.a.port")],
)
def test_bad_config_file_is_one_clear_line(tmp_path, monkeypatch, capsys, text, needle):
    monkeypatch.setenv("HOODY_CONFIG", str(_config(tmp_path, text)))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_unknown_profile_lists_the_known_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOODY_CONFIG", str(_config(tmp_path, '[profiles.a]\nurl="http://x"\n')))
    assert main(["--profile", "zzz"]) == 2
    assert "no profile 'zzz'" in capsys.readouterr().err


def test_named_config_file_must_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOODY_CONFIG", str(tmp_path / "missing.toml"))
    assert main([]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_nothing_configured_says_what_to_set_and_suggests_demo(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "HOODY_URL" in err and "HOODY_WORKSPACE" in err and "hoody-tui --demo" in err


def test_only_the_missing_setting_is_named(capsys, monkeypatch):
    monkeypatch.setenv("HOODY_URL", "http://127.0.0.1:9")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "HOODY_WORKSPACE" in err and "HOODY_URL (" not in err


def test_bad_url_scheme(capsys):
    assert main(["--url", "localhost:4096", "--workspace", "w"]) == 2
    assert "must start with http:// or https://" in capsys.readouterr().err


def test_missing_token_file(capsys, tmp_path):
    assert main(["--url", "http://127.0.0.1:9", "--workspace", "w", "--token-file", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "cannot read the token file" in err and "Traceback" not in err


def test_empty_token_file(capsys, tmp_path):
    path = tmp_path / "token"
    path.write_text("\n")
    assert main(["--url", "http://127.0.0.1:9", "--workspace", "w", "--token-file", str(path)]) == 2
    assert "is empty" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--token", "secret"], ["pending", "--token", "secret"], ["--token=secret"]])
def test_no_token_flag_exists_and_its_value_is_not_echoed(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "there is no --token flag" in err and "HOODY_TOKEN" in err
    assert "secret" not in err


def test_target_repr_never_shows_the_token(tmp_path):
    from hoody_tui.cli import build_parser, resolve_target

    path = tmp_path / "token"
    path.write_text("s3cret-token\n")
    args = build_parser().parse_args(["--url", "http://x", "--workspace", "w", "--token-file", str(path)])
    target = resolve_target(args)
    assert target.token == "s3cret-token"
    assert "s3cret" not in repr(target)


def test_a_token_file_readable_by_others_warns_without_showing_the_token(tmp_path, capsys):
    path = tmp_path / "token"
    path.write_text("tok_secret_in_file\n")
    path.chmod(0o640)
    t = _target("--url", "http://127.0.0.1:9", "--workspace", "w", "--token-file", str(path))
    assert t.token == "tok_secret_in_file"
    err = capsys.readouterr().err
    assert "can be read by other users" in err and "chmod 600" in err and "tok_secret_in_file" not in err
    path.chmod(0o600)
    _target("--url", "http://127.0.0.1:9", "--workspace", "w", "--token-file", str(path))
    assert "can be read" not in capsys.readouterr().err


def test_version_prints_the_installed_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"hoody-tui {version('hoody-tui')}"


def test_backend_flag_and_profile_key(tmp_path, monkeypatch, capsys):
    path = _config(tmp_path, '[profiles.p]\nurl = "http://x"\nworkspace = "w"\nbackend = "hoody"\n'
                             '[profiles.q]\nurl = "http://x"\nworkspace = "w"\nbackend = "telnet"\n')
    monkeypatch.setenv("HOODY_CONFIG", str(path))
    assert _target("--profile", "p").backend == "hoody"
    assert _target("--url", "http://x", "--workspace", "w").backend == "auto"
    assert _target("--profile", "q", "--backend", "hoody").backend == "hoody"  # the flag wins
    assert main(["--profile", "q"]) == 2
    assert "unknown backend 'telnet'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--backend", "telnet"])
    assert "invalid choice: 'telnet'" in capsys.readouterr().err


def test_the_keys_table_reaches_the_target(tmp_path, monkeypatch):
    path = _config(tmp_path, '[profiles.p]\nurl = "http://x"\nworkspace = "w"\n[keys]\n"app.gates" = "f9"\n')
    monkeypatch.setenv("HOODY_CONFIG", str(path))
    assert _target("--profile", "p").keys == {"app.gates": "f9"}


async def test_auto_picks_the_workspace_api_by_its_health_route():
    """--backend auto asks the server: the reference server answers the workspace API's
    health route; a server that cannot be reached falls back to it too (the app then says
    what is wrong and keeps trying, as it always did)."""
    from hoody_tui.backends import Connection, connect, detect
    from hoody_tui.backends.hoody import HoodyBackend
    from hoody_tui.refserver.runner import start_in_thread

    server = start_in_thread(scenario="none", prefix="agent")
    try:
        connection = Connection(server.url, server.workspace, api_prefix="auto")
        assert await detect(connection) == "hoody"
        backend = await connect(connection)
        assert isinstance(backend, HoodyBackend) and backend.scope == server.workspace
        await backend.aclose()
    finally:
        server.stop()
    assert await detect(Connection("http://127.0.0.1:9", "w")) == "hoody"


def test_several_servers_open_even_when_one_is_down_and_a_kindless_one_says_what_to_set(tmp_path):
    """The dashboard over several profiles: a down server with a workspace is opened (as
    the workspace API, retried in the dashboard); one without a workspace, whose kind no
    server could tell, is a usage error that says what to set."""
    import socket

    from hoody_tui.cli import Target, UsageError, _inbox

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: refused
    try:
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
        up = Target(down, "ws_1", None, False, "/api/v1", name="work")
        inbox = _inbox([up, Target(down, "ws_2", None, False, "/api/v1", backend="hoody", name="home")], None)
        assert [(s.name, s.backend.kind) for s in inbox] == [("work", "hoody"), ("home", "hoody")]
        with pytest.raises(UsageError) as error:
            _inbox([up, Target(down, "", None, False, "/api/v1", name="laptop")], None)
        assert "profile 'laptop'" in str(error.value) and 'backend = "opencode"' in str(error.value)
    finally:
        sock.close()
