"""The command line says exactly what is wrong, on one line, with exit status 2."""

from __future__ import annotations

import pytest

from hoody_tui.cli import main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("HOODY_URL", "HOODY_WORKSPACE", "HOODY_TOKEN"):
        monkeypatch.delenv(name, raising=False)


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


def test_no_token_flag_exists(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--token", "secret"])
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_target_repr_never_shows_the_token(tmp_path):
    from hoody_tui.cli import build_parser, resolve_target

    path = tmp_path / "token"
    path.write_text("s3cret-token\n")
    args = build_parser().parse_args(["--url", "http://x", "--workspace", "w", "--token-file", str(path)])
    target = resolve_target(args)
    assert target.token == "s3cret-token"
    assert "s3cret" not in repr(target)
