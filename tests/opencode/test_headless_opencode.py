"""The headless commands against the real opencode server: a gate raised by the scripted
model is listed with its age, approved from the command line, and the turn goes on; a
question is answered by its option; a password is sent as opencode expects."""

from __future__ import annotations

import pytest

from ..headless.conftest import Ran, _clean_env, audit_lines, hoody  # noqa: F401 - _clean_env: autouse

pytestmark = pytest.mark.opencode


def _at(server, *argv: str) -> Ran:
    return hoody(*argv, "--url", server.url, "--workspace", server.directory)


def test_a_permission_is_listed_approved_from_the_command_line_and_the_turn_finishes(
        opencode_server, opencode_client, tmp_path):
    client = opencode_client
    sid = client.create_session("headless approve")["id"]
    client.prompt_async(sid, "run: echo from-the-cli")
    permission = client.wait_permission(sid)

    listed = [g for g in _at(opencode_server, "pending", "--json").json() if g["session"] == sid]
    assert [(g["id"], g["kind"], g["tool"]) for g in listed] == [(permission["id"], "permission", "bash")]
    assert "echo from-the-cli" in listed[0]["subject"]
    assert listed[0]["age_s"] is not None and listed[0]["age_s"] >= 0  # from the tool call's start

    audit = tmp_path / "audit.jsonl"
    ran = _at(opencode_server, "approve", permission["id"], "--audit-log", str(audit))
    assert ran.code == 0, ran.err
    client.wait_finished(sid)
    assert any(text.startswith("Final: from-the-cli") for text in client.texts(sid))
    assert [(r["gate"], r["via"], r["outcome"]) for r in audit_lines(audit)] == [(permission["id"], "cli", "ok")]
    again = _at(opencode_server, "approve", permission["id"])
    assert again.code == 3  # decided: opencode no longer lists it


def test_a_question_is_answered_by_its_option(opencode_server, opencode_client):
    client = opencode_client
    sid = client.create_session("headless answer")["id"]
    client.prompt_async(sid, "ask: Ship it from the command line?")
    (question,) = client.wait_for(lambda: client.questions(sid), what="a pending question")
    listed = [g for g in _at(opencode_server, "pending", "--json").json() if g["id"] == question["id"]]
    assert listed[0]["questions"][0]["options"] == ["Yes", "No"]
    ran = _at(opencode_server, "answer", question["id"], "--option", "2")
    assert ran.code == 0, ran.err
    client.wait_finished(sid)
    assert client.questions(sid) == []
    finals = [t for t in client.texts(sid) if t.startswith("Final:")]
    assert finals and "No" in finals[-1]  # the model got the option chosen


def test_a_password_protected_server_with_and_without_its_password(opencode_factory, monkeypatch):
    server = opencode_factory(password="oc-s3cret-pw")
    ran = hoody("sessions", "--url", server.url, "--backend", "opencode")
    assert ran.code == 4 and "password" in ran.err and "oc-s3cret-pw" not in ran.err
    monkeypatch.setenv("OPENCODE_SERVER_PASSWORD", "oc-s3cret-pw")
    ran = hoody("sessions", "--json", "--url", server.url)
    assert ran.code == 0, ran.err
    assert isinstance(ran.json(), list)
