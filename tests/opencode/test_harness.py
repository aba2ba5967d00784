"""The harness itself, against the real opencode 1.18.33 binary: boot, permission gates
(once / reject / reject with feedback / always), password auth, questions, restart.

Every wait is a condition polled over REST with a generous deadline; nothing asserts a duration.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from .fake_model import TITLE, message_text, tool_names
from .install import OpencodeUnavailable, ensure_opencode
from .server import USERNAME, OpencodeClient

pytestmark = pytest.mark.opencode


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tool_parts(client: OpencodeClient, session_id: str) -> list[dict]:
    return client.parts(session_id, "tool")


# -- boot --------------------------------------------------------------------------------------


def test_server_boots_and_lists_sessions(opencode_server, opencode_client):
    assert opencode_server.boot_seconds is not None
    health = opencode_client.request("GET", "/global/health")
    assert health.status_code == 200
    session = opencode_client.create_session(unique("harness"))
    assert session["id"].startswith("ses_")
    listed = opencode_client.sessions()
    assert session["id"] in [s["id"] for s in listed]
    assert opencode_client.is_idle(session["id"])


# -- permission gates --------------------------------------------------------------------------


def test_run_raises_bash_permission_and_once_finishes(opencode_client, fake_model):
    client = opencode_client
    sid = client.create_session()["id"]
    client.prompt_async(sid, "run: echo hello")

    permission = client.wait_permission(sid)
    assert permission["permission"] == "bash"
    assert any("echo hello" in pattern for pattern in permission["patterns"])
    assert permission["id"] in [p["id"] for p in client.permissions()]  # the unfiltered list has it too
    assert not client.is_idle(sid)

    assert client.reply(permission["id"], "once") is True
    messages = client.wait_finished(sid)
    assert any(text.startswith("Final: hello") for text in client.texts(sid)), messages
    (tool,) = tool_parts(client, sid)
    assert tool["tool"] == "bash"
    assert tool["state"]["status"] == "completed"
    assert tool["state"]["output"].strip() == "hello"
    assert client.permissions(sid) == []
    # The small model answered the title request.
    def titled() -> bool:
        return any(s["id"] == sid and s.get("title") == TITLE for s in client.sessions())

    client.wait_for(titled, what="the generated session title")


def test_reject_without_message_stops_the_turn(opencode_client, fake_model):
    client = opencode_client
    command = f"echo {unique('rejected')}"
    sid = client.create_session()["id"]
    client.prompt_async(sid, f"run: {command}")
    permission = client.wait_permission(sid)

    assert client.reply(permission["id"], "reject") is True
    client.wait_finished(sid)
    (tool,) = tool_parts(client, sid)
    assert tool["state"]["status"] == "error"
    assert "rejected" in tool["state"]["error"]
    assert not any(text.startswith("Final:") for text in client.texts(sid))
    # The turn stopped: the model never got the rejected call's result.
    call_id = tool["callID"]
    assert not any(
        m.get("role") == "tool" and m.get("tool_call_id") == call_id
        for body in fake_model.chat_requests() for m in body.get("messages") or []
    )


def test_reject_with_message_continues_with_the_feedback(opencode_client, fake_model):
    client = opencode_client
    feedback = unique("use printf")
    sid = client.create_session()["id"]
    client.prompt_async(sid, f"run: echo {unique('feedback')}")
    permission = client.wait_permission(sid)

    assert client.reply(permission["id"], "reject", message=feedback) is True
    client.wait_finished(sid)
    (tool,) = tool_parts(client, sid)
    assert tool["state"]["status"] == "error"
    assert feedback in tool["state"]["error"]
    assert any(feedback in result for result in fake_model.tool_results())
    finals = [text for text in client.texts(sid) if text.startswith("Final:")]
    assert finals and feedback in finals[-1]


def test_always_lets_the_identical_command_run_without_asking(opencode_factory, opencode_client_for):
    # A dedicated server: an `always` reply widens the rules of the whole instance.
    client = opencode_client_for(opencode_factory())
    sid = client.create_session()["id"]
    client.prompt_async(sid, "run: echo always")
    permission = client.wait_permission(sid)
    assert client.reply(permission["id"], "always") is True
    client.wait_finished(sid)

    asked: list[dict] = []

    def finished_without_asking() -> bool:
        asked.extend(client.permissions(sid))
        return client.turn_finished(sid)

    client.prompt_async(sid, "run: echo always")
    client.wait_for(finished_without_asking, what="the second turn to finish without a permission")
    assert asked == []
    parts = tool_parts(client, sid)
    assert [p["state"]["status"] for p in parts] == ["completed", "completed"]
    assert sum(text.startswith("Final: always") for text in client.texts(sid)) == 2


# -- auth --------------------------------------------------------------------------------------


def test_password_protected_server(opencode_factory):
    password = unique("pw")
    server = opencode_factory(password=password)
    url = server.url
    for path in ("/session", "/global/health"):
        denied = httpx.get(url + path, timeout=15)
        assert denied.status_code == 401
        assert denied.headers.get("www-authenticate", "").lower().startswith("basic")
    assert httpx.get(url + "/session", auth=(USERNAME, password), timeout=15).status_code == 200
    assert httpx.get(url + "/session", auth=(USERNAME, "wrong"), timeout=15).status_code == 401
    # The password is in the child's environment only.
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
    assert password not in cmdline
    assert password not in server.log_path.read_text(errors="replace")


# -- questions ---------------------------------------------------------------------------------


def test_ask_raises_a_question(opencode_client, fake_model):
    client = opencode_client
    text = f"Deploy {unique('build')}?"
    sid = client.create_session()["id"]
    client.prompt_async(sid, f"ask: {text}")

    def main_request() -> dict | None:
        for body in fake_model.chat_requests():
            messages = body.get("messages") or []
            if body.get("tools") and any(m.get("role") == "user" and text in message_text(m) for m in messages):
                return body
        return None

    body = client.wait_for(main_request, what="the model request for the ask prompt")
    if "question" not in tool_names(body):
        client.wait_finished(sid)
        pytest.skip(f"opencode did not offer the question tool to the custom provider (offered: {tool_names(body)})")

    (question,) = client.wait_for(lambda: client.questions(sid), what="a pending question")
    assert question["id"].startswith("que_")
    assert question["questions"][0]["question"] == text
    assert [o["label"] for o in question["questions"][0]["options"]] == ["Yes", "No"]

    assert client.answer(question["id"], [["Yes"]]) is True
    client.wait_finished(sid)
    assert client.questions(sid) == []
    finals = [t for t in client.texts(sid) if t.startswith("Final:")]
    assert finals and "Yes" in finals[-1]


# -- restart -----------------------------------------------------------------------------------


def test_restart_keeps_port_and_sessions(opencode_factory, opencode_client_for):
    server = opencode_factory()
    url = server.url
    client = opencode_client_for(server)
    sid = client.create_session()["id"]

    server.kill()
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/session", timeout=5)
    server.start()
    assert server.url == url
    assert sid in [s["id"] for s in client.sessions()]

    server.restart()
    assert server.url == url
    assert sid in [s["id"] for s in client.sessions()]


# -- install failures (no binary needed) -------------------------------------------------------


def test_bad_explicit_binary_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("HOODY_OPENCODE_BIN", str(tmp_path / "missing-opencode"))
    with pytest.raises(OpencodeUnavailable, match="HOODY_OPENCODE_BIN"):
        ensure_opencode()


def test_missing_npm_is_reported(monkeypatch, tmp_path):
    monkeypatch.delenv("HOODY_OPENCODE_BIN", raising=False)
    monkeypatch.setenv("HOODY_OPENCODE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(OpencodeUnavailable) as info:
        ensure_opencode()
    assert "npm" in info.value.reason
    assert "HOODY_OPENCODE_BIN" in info.value.reason
